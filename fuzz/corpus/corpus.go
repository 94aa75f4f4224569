// Package corpus holds the malformed- and edge-input corpus of the gochat
// conformance project and the parser of its file format.
//
// Each case is one file named by the outcome a conforming server must
// produce, like JSONTestSuite:
//
//	y_*.case  accepted: answered normally, the connection stays open
//	n_*.case  rejected: ERR with ID 0 (code a SHOULD, errata E-7), then close (a MUST)
//	i_*.case  implementation-defined: recorded, never a failure
//
// The format is line based (see README.md in this directory):
//
//	# comment lines; the first ones describe the case
//	requirements: FRAME-12 CONN-9
//	before: login          (optional: log in before writing; default none)
//	dialect: gochat1       (optional: run only in this dialect; default any)
//	code: ERR_HEADER       (n_ only, optional: the ERR code E-7 recommends)
//	write: 10 03 ff 00 00 40 ff ff 0d 0a
//
// Every write line is one write on the connection, in order. A write holds
// whitespace-separated tokens: an even number of hex digits, or HH*N for
// N copies of the byte HH.
package corpus

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/gochatproto/gochat/spec"
)

// Files is the committed corpus.
//
//go:embed *.case
var Files embed.FS

// Ext is the file extension of corpus cases.
const Ext = ".case"

// Limits that keep a hostile file from exhausting memory.
const (
	MaxWriteBytes = 1 << 20
	MaxWrites     = 4096
	maxRepeat     = 1 << 16
)

// Outcome is what a conforming server must do with a case.
type Outcome byte

// Outcomes, from the file name prefix.
const (
	Accept  Outcome = 'y'
	Reject  Outcome = 'n'
	ImplDef Outcome = 'i'
)

func (o Outcome) String() string {
	switch o {
	case Accept:
		return "accept"
	case Reject:
		return "reject"
	case ImplDef:
		return "implementation-defined"
	}
	return "unknown"
}

// Precondition is the state the connection is brought to before the writes.
type Precondition string

// Preconditions.
const (
	BeforeNone  Precondition = "none"
	BeforeLogin Precondition = "login"
)

// Case is one corpus entry.
type Case struct {
	Name         string // file name without extension, e.g. "n_version_0"
	Outcome      Outcome
	Description  string // the leading comment lines, joined by spaces
	Requirements []string
	Before       Precondition
	// Dialect restricts the case to one dialect; nil means both.
	Dialect *spec.Dialect
	// Code is the ERR code errata E-7 recommends for an n_ case (HasCode).
	Code    spec.ErrCode
	HasCode bool
	Writes  [][]byte
}

// Bytes is the concatenation of all writes.
func (c *Case) Bytes() []byte { return bytes.Join(c.Writes, nil) }

// AppliesTo reports whether the case runs in dialect d.
func (c *Case) AppliesTo(d spec.Dialect) bool { return c.Dialect == nil || *c.Dialect == d }

// Parse decodes one case file. name is the file name (its base decides the
// outcome and the case name).
func Parse(name string, data []byte) (*Case, error) {
	base := path.Base(name)
	c := &Case{Name: strings.TrimSuffix(base, Ext), Before: BeforeNone}
	if len(c.Name) < 3 || c.Name[1] != '_' {
		return nil, fmt.Errorf("%s: name must start with y_, n_ or i_", name)
	}
	switch o := Outcome(c.Name[0]); o {
	case Accept, Reject, ImplDef:
		c.Outcome = o
	default:
		return nil, fmt.Errorf("%s: name must start with y_, n_ or i_", name)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4*MaxWriteBytes)
	var desc []string
	total, lineNo := 0, 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if len(c.Writes) == 0 && c.Requirements == nil {
				desc = append(desc, strings.TrimSpace(line[1:]))
			}
			continue
		}
		if err := c.parseLine(line, &total); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(c.Writes) == 0 {
		return nil, fmt.Errorf("%s: no write line", name)
	}
	if c.HasCode && c.Outcome != Reject {
		return nil, fmt.Errorf("%s: code is only meaningful for n_ cases", name)
	}
	c.Description = strings.TrimSpace(strings.Join(desc, " "))
	return c, nil
}

func (c *Case) parseLine(line string, total *int) error {
	key, val, ok := strings.Cut(line, ":")
	if !ok {
		return fmt.Errorf("want \"key: value\", got %q", line)
	}
	val = strings.TrimSpace(val)
	switch strings.TrimSpace(key) {
	case "write":
		if len(c.Writes) >= MaxWrites {
			return fmt.Errorf("more than %d writes", MaxWrites)
		}
		b, err := DecodeWrite(val, MaxWriteBytes-*total)
		if err != nil {
			return err
		}
		*total += len(b)
		c.Writes = append(c.Writes, b)
	case "requirements":
		c.Requirements = append(c.Requirements, strings.Fields(val)...)
	case "before":
		switch p := Precondition(val); p {
		case BeforeNone, BeforeLogin:
			c.Before = p
		default:
			return fmt.Errorf("before: want none or login, got %q", val)
		}
	case "dialect":
		d, err := spec.ParseDialect(val)
		if err != nil {
			return err
		}
		c.Dialect = &d
	case "code":
		code, err := spec.ParseErrCode(val)
		if err != nil {
			return err
		}
		c.Code, c.HasCode = code, true
	default:
		return fmt.Errorf("unknown key %q (want write, requirements, before, dialect, code)", key)
	}
	return nil
}

// DecodeWrite decodes the tokens of a write line into at most limit bytes.
func DecodeWrite(s string, limit int) ([]byte, error) {
	var out []byte
	for _, tok := range strings.Fields(s) {
		if hexPart, count, ok := strings.Cut(tok, "*"); ok {
			b, err := hex.DecodeString(hexPart)
			if err != nil || len(b) != 1 {
				return nil, fmt.Errorf("repeat %q: want HH*N", tok)
			}
			n, err := strconv.Atoi(count)
			if err != nil || n < 1 || n > maxRepeat {
				return nil, fmt.Errorf("repeat %q: count must be 1..%d", tok, maxRepeat)
			}
			if len(out)+n > limit {
				return nil, fmt.Errorf("write exceeds %d bytes", MaxWriteBytes)
			}
			out = append(out, bytes.Repeat(b, n)...)
			continue
		}
		if len(tok)%2 != 0 || len(out)+len(tok)/2 > limit {
			return nil, fmt.Errorf("token %q: odd length or write too large", tok)
		}
		b, err := hex.DecodeString(tok)
		if err != nil {
			return nil, fmt.Errorf("token %q: %w", tok, err)
		}
		out = append(out, b...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty write")
	}
	return out, nil
}

// EncodeWrite formats b as the value of a write line: runs of 8 or more
// equal bytes become HH*N, other bytes tokens of up to 16 bytes.
func EncodeWrite(b []byte) string {
	var sb strings.Builder
	var lit []byte
	flush := func() {
		for len(lit) > 0 {
			n := min(len(lit), 16)
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(hex.EncodeToString(lit[:n]))
			lit = lit[n:]
		}
	}
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && b[j] == b[i] {
			j++
		}
		if j-i >= 8 {
			flush()
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			fmt.Fprintf(&sb, "%02x*%d", b[i], j-i)
		} else {
			lit = append(lit, b[i:j]...)
		}
		i = j
	}
	flush()
	return sb.String()
}

// Load parses every *.case file of fsys's root, sorted by name.
func Load(fsys fs.FS) ([]*Case, error) {
	names, err := fs.Glob(fsys, "*"+Ext)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]*Case, 0, len(names))
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		c, err := Parse(n, data)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
