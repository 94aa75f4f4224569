package runner

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/scenario"
)

var templRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// expand replaces ${actor.name}, ${var} and their |upper, |lower, |hex
// filtered forms.
func (x *exec) expand(s string) ([]byte, error) {
	var out []byte
	var err error
	last := 0
	for _, m := range templRE.FindAllStringSubmatchIndex(s, -1) {
		out = append(out, s[last:m[0]]...)
		last = m[1]
		ref := s[m[2]:m[3]]
		base, filter, _ := strings.Cut(ref, "|")
		var v []byte
		if actor, ok := strings.CutSuffix(base, ".name"); ok {
			name, found := x.names[actor]
			if !found {
				err = fmt.Errorf("actor %s has no name (missing credentials?)", actor)
			}
			v = []byte(name)
		} else {
			var found bool
			v, found = x.vars[base]
			if !found {
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

func (x *exec) evalAll(vs []scenario.Value) ([][]byte, error) {
	out := make([][]byte, 0, len(vs))
	for i := range vs {
		b, err := x.eval(&vs[i])
		if err != nil {
			return nil, fmt.Errorf("%d:%d: %w", vs[i].Line, vs[i].Col, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// eval computes the bytes of a value expression.
func (x *exec) eval(v *scenario.Value) ([]byte, error) {
	switch v.Kind {
	case "text":
		return x.expand(v.Text)
	case "hex":
		return scenario.DecodeHex(v.Text)
	case "key":
		k := x.keys[v.Text]
		if k == nil {
			return nil, fmt.Errorf("actor %s has no key", v.Text)
		}
		return codec.MarshalPublicKey(x.dialect, &k.PublicKey, v.KeyFormat)
	case "stamp":
		return codec.AppendStamp(nil, x.dialect, x.stamp(v.Text)), nil
	case "encrypt":
		return x.encrypt(v.Encrypt)
	case "perm":
		return []byte{byte(v.Perm)}, nil
	case "bytes":
		return x.genBytes(v.Bytes), nil
	case "var":
		b, ok := x.vars[v.Text]
		if !ok {
			return nil, fmt.Errorf("variable %s is not set", v.Text)
		}
		return b, nil
	case "concat":
		var out []byte
		for i := range v.Parts {
			b, err := x.eval(&v.Parts[i])
			if err != nil {
				return nil, err
			}
			out = append(out, b...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown value kind %q", v.Kind)
}

func (x *exec) stamp(s string) int64 {
	rel, n, _ := scenario.ParseStamp(s)
	if rel {
		return time.Now().Unix() + n
	}
	return n
}

func (x *exec) encrypt(e *scenario.EncryptSpec) ([]byte, error) {
	k := x.keys[e.To]
	if k == nil {
		return nil, fmt.Errorf("actor %s has no key", e.To)
	}
	msg, err := x.expand(e.Text)
	if err != nil {
		return nil, err
	}
	if e.ContainsCRLF {
		return codec.EncryptWithCRLF(&k.PublicKey, msg)
	}
	return codec.Encrypt(&k.PublicKey, msg)
}

func (x *exec) genBytes(b *scenario.BytesSpec) []byte {
	out := make([]byte, b.Len)
	fill := byte('A')
	if b.Fill != nil {
		fill = byte(*b.Fill)
	}
	for i := range out {
		if b.Random {
			out[i] = byte(x.rng.Uint32())
		} else {
			out[i] = fill
		}
	}
	return out
}
