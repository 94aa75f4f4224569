// Package expr evaluates the value expressions and argument matchers of
// conformance scenarios (docs/scenarios.md) for the engine, in both
// roles: an Env holds one run's actors, variables and dialect.
package expr

import (
	"bytes"
	"crypto/rsa"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
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
	// Deviations lists what the last Match accepted although a decision
	// of this project (not the specification) rules it out; the engine
	// files each at its requirement's level and source.
	Deviations []Deviation
}

// Deviation is a difference a matcher let pass because only a decision
// forbids it: Req is that decision's requirement, Why the difference.
type Deviation struct {
	Req, Why string
}

func (e *Env) deviate(req, format string, a ...any) {
	e.Deviations = append(e.Deviations, Deviation{Req: req, Why: fmt.Sprintf(format, a...)})
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

// Expand renders a template: ${actor.name} and ${var}, filtered. On
// error it still returns the text with the missing references left empty.
func (e *Env) Expand(t *scenario.Template) ([]byte, error) {
	var out []byte
	var err error
	for _, p := range t.Parts {
		if p.Ref == nil {
			out = append(out, p.Lit...)
			continue
		}
		var v []byte
		var found bool
		if p.Ref.Actor != "" {
			var name string
			name, found = e.Names[p.Ref.Actor]
			v = []byte(name)
		} else {
			v, found = e.Vars[p.Ref.Var]
		}
		if !found {
			err = fmt.Errorf("%s has no value (an actor without credentials, or a variable never set?)", p.Ref)
		}
		switch p.Ref.Filter {
		case "upper":
			v = bytes.ToUpper(v)
		case "lower":
			v = bytes.ToLower(v)
		case "hex":
			v = []byte(hex.EncodeToString(v))
		}
		out = append(out, v...)
	}
	return out, err
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
		return e.Expand(&v.Text)
	case "hex":
		return v.Hex, nil
	case "key":
		k := e.Keys[v.Actor]
		if k == nil {
			return nil, fmt.Errorf("actor %s has no key", v.Actor)
		}
		return codec.MarshalPublicKey(e.Dialect, &k.PublicKey, v.KeyFormat)
	case "stamp":
		return codec.AppendStamp(nil, e.Dialect, v.Stamp.Unix(e.now())), nil
	case "encrypt":
		return e.encrypt(v.Encrypt)
	case "perm":
		return []byte{v.Perm}, nil
	case "bytes":
		return e.genBytes(v.Bytes), nil
	case "var":
		b, ok := e.Vars[v.Var]
		if !ok {
			return nil, fmt.Errorf("variable %s is not set", v.Var)
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
	case "pem":
		der, err := e.Eval(&v.Parts[0])
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: codec.PEMBlockType, Bytes: der}), nil
	}
	return nil, fmt.Errorf("unknown value kind %q", v.Kind)
}

// Packet builds the packet a send step describes, without its ID, which
// the role assigns.
func (e *Env) Packet(s *scenario.Send) (*spec.Packet, error) {
	args, err := e.EvalAll(s.Args)
	if err != nil {
		return nil, err
	}
	return &spec.Packet{Action: s.Action.Action, Info: s.Info.Value, Args: args}, nil
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Env) encrypt(enc *scenario.EncryptSpec) ([]byte, error) {
	k := e.Keys[enc.To]
	if k == nil {
		return nil, fmt.Errorf("actor %s has no key", enc.To)
	}
	msg, err := e.Expand(&enc.Text)
	if err != nil {
		return nil, err
	}
	if enc.ContainsCRLF {
		return codec.EncryptWithCRLF(&k.PublicKey, msg)
	}
	return codec.EncryptWithoutCRLF(&k.PublicKey, msg)
}

func (e *Env) genBytes(b *scenario.BytesSpec) []byte {
	out := make([]byte, b.Len)
	fill := byte('A')
	if b.Fill != nil {
		fill = *b.Fill
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
