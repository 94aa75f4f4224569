package spec

import (
	"bytes"
	"fmt"
	"strconv"
)

// Permission levels used by this project (the spec only fixes 0).
const (
	PermUser  = 0
	PermAdmin = 1
	PermOwner = 2
)

// NormalizeUsername lowercases ASCII letters (the spec makes names
// case-insensitive) and then requires 1..32 characters of [a-z0-9].
func NormalizeUsername(b []byte) (string, error) {
	if len(b) == 0 || len(b) > MaxUsernameLen {
		return "", perr(CodeArgs, ErrBadUsername, "length %d", len(b))
	}
	var buf [MaxUsernameLen]byte
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !isNameByte(c) {
			return "", perr(CodeArgs, ErrBadUsername, "byte 0x%02X", b[i])
		}
		buf[i] = c
	}
	return string(buf[:len(b)]), nil
}

// ValidUsername reports whether s is a normalized username:
// 1..32 characters of [a-z0-9].
func ValidUsername(s string) bool {
	if len(s) == 0 || len(s) > MaxUsernameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// UserEntry is one line of a USRS list: "name" or "name N".
type UserEntry struct {
	Name    string
	Perm    uint8
	HasPerm bool
}

// FormatUserList renders entries one per line ("name", or "name N" when
// withPerms) and cuts the text at newline boundaries into fragments of
// at most maxArg bytes; the separating newline at a cut is dropped, as
// clients join fragments with "\n". It returns nil for no entries. An
// entry longer than maxArg gets a fragment of its own (too long to send).
func FormatUserList(entries []UserEntry, withPerms bool, maxArg int) [][]byte {
	var frags [][]byte
	var cur []byte
	var line []byte
	for i, e := range entries {
		line = append(line[:0], e.Name...)
		if withPerms {
			line = append(line, ' ')
			line = strconv.AppendUint(line, uint64(e.Perm), 10)
		}
		switch {
		case i == 0:
			cur = append(cur, line...)
		case len(cur)+1+len(line) <= maxArg:
			cur = append(append(cur, '\n'), line...)
		default:
			frags = append(frags, cur)
			cur = append([]byte(nil), line...)
		}
	}
	if len(entries) > 0 {
		frags = append(frags, cur)
	}
	return frags
}

// ParseUserList joins USRS fragments with "\n" and parses each line as
// "name" or "name N" (N decimal 0..255). Names must be non-empty and free
// of spaces and control characters; they are not normalized (upstream
// lists online names as typed). A single empty fragment is an empty list.
func ParseUserList(args [][]byte) ([]UserEntry, error) {
	if len(args) == 0 || len(args) == 1 && len(args[0]) == 0 {
		return nil, nil
	}
	var out []UserEntry
	for fi, frag := range args {
		for ln := range bytes.SplitSeq(frag, []byte("\n")) {
			e, err := parseUserLine(ln)
			if err != nil {
				return nil, perr(CodeArgs, ErrBadUserList, "fragment %d: %v", fi+1, err)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func parseUserLine(ln []byte) (UserEntry, error) {
	name, perm, hasPerm := bytes.Cut(ln, []byte(" "))
	if len(name) == 0 {
		return UserEntry{}, fmt.Errorf("empty name in %q", ln)
	}
	for _, c := range name {
		if c <= ' ' || c == 0x7F {
			return UserEntry{}, fmt.Errorf("bad byte 0x%02X in name", c)
		}
	}
	e := UserEntry{Name: string(name), HasPerm: hasPerm}
	if hasPerm {
		if len(perm) == 0 || len(perm) > 3 || perm[0] < '0' || perm[0] > '9' {
			return UserEntry{}, fmt.Errorf("bad permission %q", perm)
		}
		v, err := strconv.ParseUint(string(perm), 10, 8)
		if err != nil {
			return UserEntry{}, fmt.Errorf("bad permission %q", perm)
		}
		e.Perm = uint8(v)
	}
	return e, nil
}
