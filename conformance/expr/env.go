// Package expr evaluates the value expressions and argument matchers of
// conformance scenarios (docs/scenarios.md). Both runners use it: the
// server runner, which plays clients against a server, and clientrun,
// which plays the server against a client; each provides an Env with its
// actors, variables and dialect.
package expr

import (
	"bytes"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// Env is what one scenario run provides to its expressions. The maps are
// shared with the runner, which fills them as the scenario goes.
type Env struct {
	// Dialect encodes keys and timestamps.
	Dialect spec.Dialect
	// Names maps actors to their usernames (${actor.name}).
	Names map[string]string
	// Keys maps actors to their private keys.
	Keys map[string]*rsa.PrivateKey
	// Vars holds captured and set variables (${var}, {var: v}).
	Vars map[string][]byte
	// Rand fills {bytes: {random: true}}; seeded for reproducible runs.
	Rand *rand.Rand
	// Now is the clock for relative timestamps (nil: time.Now).
	Now func() time.Time
}

// NewEnv returns an Env with empty maps for one run of scenario id. Its
// random bytes come from a source seeded by seed and id, so that a run can
// be reproduced and parallel scenarios do not share a sequence.
func NewEnv(d spec.Dialect, seed int64, id string) *Env {
	h := fnv.New64a()
	h.Write([]byte(id))
	return &Env{Dialect: d, Names: map[string]string{}, Keys: map[string]*rsa.PrivateKey{},
		Vars: map[string][]byte{}, Rand: rand.New(rand.NewPCG(uint64(seed), h.Sum64()))}
}

var templRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// Expand replaces ${actor.name}, ${var} and their |upper, |lower, |hex
// filtered forms. On error it still returns the text with the unknown
// references left empty.
func (e *Env) Expand(s string) ([]byte, error) {
	var out []byte
	var err error
	last := 0
	for _, m := range templRE.FindAllStringSubmatchIndex(s, -1) {
		out = append(out, s[last:m[0]]...)
		last = m[1]
		base, filter, _ := strings.Cut(s[m[2]:m[3]], "|")
		var v []byte
		if actor, ok := strings.CutSuffix(base, ".name"); ok {
			name, found := e.Names[actor]
			if !found {
				err = fmt.Errorf("actor %s has no name (unknown actor, or missing credentials?)", actor)
			}
			v = []byte(name)
		} else {
			var found bool
			if v, found = e.Vars[base]; !found {
				err = fmt.Errorf("variable %s is not set", base)
			}
		}
		switch filter {
		case "upper":
			v = bytes.ToUpper(v)
		case "lower":
			v = bytes.ToLower(v)
		case "hex":
			v = []byte(hex.EncodeToString(v))
		}
		out = append(out, v...)
	}
	return append(out, s[last:]...), err
}

// EvalAll computes a list of values; an error names the value's position.
func (e *Env) EvalAll(vs []scenario.Value) ([][]byte, error) {
	out := make([][]byte, 0, len(vs))
	for i := range vs {
		b, err := e.Eval(&vs[i])
		if err != nil {
			return nil, fmt.Errorf("%d:%d: %w", vs[i].Line, vs[i].Col, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// Eval computes the bytes of a value expression.
func (e *Env) Eval(v *scenario.Value) ([]byte, error) {
	switch v.Kind {
	case "text":
		return e.Expand(v.Text)
	case "hex":
		return scenario.DecodeHex(v.Text)
	case "key":
		k := e.Keys[v.Text]
		if k == nil {
			return nil, fmt.Errorf("actor %s has no key", v.Text)
		}
		return codec.MarshalPublicKey(e.Dialect, &k.PublicKey, v.KeyFormat)
	case "stamp":
		return codec.AppendStamp(nil, e.Dialect, e.Stamp(v.Text)), nil
	case "encrypt":
		return e.encrypt(v.Encrypt)
	case "perm":
		return []byte{byte(v.Perm)}, nil
	case "bytes":
		return e.genBytes(v.Bytes), nil
	case "var":
		b, ok := e.Vars[v.Text]
		if !ok {
			return nil, fmt.Errorf("variable %s is not set", v.Text)
		}
		return b, nil
	case "concat":
		var out []byte
		for i := range v.Parts {
			b, err := e.Eval(&v.Parts[i])
			if err != nil {
				return nil, err
			}
			out = append(out, b...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown value kind %q", v.Kind)
}

// Packet builds the packet a send step describes, without its ID, which
// each runner assigns its own way. An Action or Info that does not parse
// (loading rejects them in server scenarios) is left zero.
func (e *Env) Packet(s *scenario.Send) (*spec.Packet, error) {
	args, err := e.EvalAll(s.Args)
	if err != nil {
		return nil, err
	}
	a, _ := spec.ParseAction(s.Action)
	info, _ := scenario.ParseInfo(a, s.Info)
	return &spec.Packet{Action: a, Info: info, Args: args}, nil
}

// Stamp resolves a timestamp expression ("now", "now+N", "now-N" or a
// number) to Unix seconds.
func (e *Env) Stamp(s string) int64 {
	rel, n, _ := scenario.ParseStamp(s)
	if !rel {
		return n
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	return now().Unix() + n
}

func (e *Env) encrypt(enc *scenario.EncryptSpec) ([]byte, error) {
	k := e.Keys[enc.To]
	if k == nil {
		return nil, fmt.Errorf("actor %s has no key", enc.To)
	}
	msg, err := e.Expand(enc.Text)
	if err != nil {
		return nil, err
	}
	if enc.ContainsCRLF {
		return codec.EncryptWithCRLF(&k.PublicKey, msg)
	}
	return codec.Encrypt(&k.PublicKey, msg)
}

func (e *Env) genBytes(b *scenario.BytesSpec) []byte {
	out := make([]byte, b.Len)
	fill := byte('A')
	if b.Fill != nil {
		fill = byte(*b.Fill)
	}
	for i := range out {
		if b.Random {
			out[i] = byte(e.Rand.Uint32())
		} else {
			out[i] = fill
		}
	}
	return out
}
