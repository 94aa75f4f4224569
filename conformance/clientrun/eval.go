package clientrun

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// The value and matcher semantics follow the server runner's
// (docs/scenarios.md); they are re-implemented here because the runner
// keeps them on its unexported executor.

var templRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// expand replaces ${actor.name}, ${var} and their |upper, |lower, |hex forms.
func (x *exec) expand(s string) ([]byte, error) {
	var out []byte
	var err error
	last := 0
	for _, m := range templRE.FindAllStringSubmatchIndex(s, -1) {
		out = append(out, s[last:m[0]]...)
		last = m[1]
		base, filter, _ := strings.Cut(s[m[2]:m[3]], "|")
		var v []byte
		if actor, ok := strings.CutSuffix(base, ".name"); ok {
			name, found := x.names[actor]
			if !found {
				err = fmt.Errorf("unknown actor %s", actor)
			}
			v = []byte(name)
		} else {
			var found bool
			if v, found = x.vars[base]; !found {
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
		return codec.MarshalPublicKey(x.o.Dialect, &k.PublicKey, v.KeyFormat)
	case "stamp":
		return codec.AppendStamp(nil, x.o.Dialect, stampOf(v.Text)), nil
	case "encrypt":
		k := x.keys[v.Encrypt.To]
		if k == nil {
			return nil, fmt.Errorf("actor %s has no key", v.Encrypt.To)
		}
		msg, err := x.expand(v.Encrypt.Text)
		if err != nil {
			return nil, err
		}
		if v.Encrypt.ContainsCRLF {
			return codec.EncryptWithCRLF(&k.PublicKey, msg)
		}
		return codec.Encrypt(&k.PublicKey, msg)
	case "perm":
		return []byte{byte(v.Perm)}, nil
	case "bytes":
		out := make([]byte, v.Bytes.Len)
		fill := byte('A')
		if v.Bytes.Fill != nil {
			fill = byte(*v.Bytes.Fill)
		}
		for i := range out {
			out[i] = fill
			if v.Bytes.Random {
				out[i] = byte(x.rng.Uint32())
			}
		}
		return out, nil
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

func stampOf(s string) int64 {
	rel, n, _ := scenario.ParseStamp(s)
	if rel {
		return time.Now().Unix() + n
	}
	return n
}

// matchArg checks one argument; "" means it matched.
func (x *exec) matchArg(m *scenario.Matcher, arg []byte) string {
	why := x.matchKind(m, arg)
	if why == "" && m.Capture != "" {
		x.vars[m.Capture] = append([]byte(nil), arg...)
	}
	return why
}

func (x *exec) matchKind(m *scenario.Matcher, arg []byte) string {
	switch m.Kind {
	case "any":
		return ""
	case "eq":
		want, err := x.eval(m.Value)
		if err != nil {
			return err.Error()
		}
		if !bytes.Equal(arg, want) {
			return fmt.Sprintf("is %s, want %s", show(arg), show(want))
		}
	case "re":
		if !m.Re.Match(arg) {
			return fmt.Sprintf("%s does not match /%s/", show(arg), m.Re)
		}
	case "len":
		if len(arg) != m.Len {
			return fmt.Sprintf("is %d bytes, want %d", len(arg), m.Len)
		}
	case "perm":
		if len(arg) != 1 || int(arg[0]) != m.Perm {
			return fmt.Sprintf("permission is %s, want the single byte %d", show(arg), m.Perm)
		}
	case "decrypts_to":
		return x.matchDecrypt(m.Decrypt, arg)
	case "key_of":
		return x.matchKey(m.Actor, arg)
	case "stamp_near":
		got, err := codec.ParseStamp(x.o.Dialect, arg)
		if err != nil {
			return "timestamp: " + err.Error()
		}
		diff := time.Duration(got-stampOf(m.Stamp)) * time.Second
		if diff < -m.Within || diff > m.Within {
			return fmt.Sprintf("timestamp %d is %v away from %s (allowed %v)", got, diff, m.Stamp, m.Within)
		}
	default:
		return "matcher " + m.Kind + " is not available in client scenarios"
	}
	return ""
}

func (x *exec) matchDecrypt(d *scenario.DecryptsTo, arg []byte) string {
	k := x.keys[d.Actor]
	if k == nil {
		return "actor " + d.Actor + " has no key"
	}
	pt, err := codec.Decrypt(k, arg)
	if err != nil {
		return fmt.Sprintf("does not decrypt with %s's key (%v)", d.Actor, err)
	}
	want, err := x.expand(d.Text)
	if err != nil {
		return err.Error()
	}
	if bytes.Equal(pt, want) || (d.Prefix && bytes.HasPrefix(pt, want)) {
		return ""
	}
	return fmt.Sprintf("decrypts to %q, want %q", pt, want)
}

// matchKey requires actor's public key, 4096 bits, in the dialect's
// encoding (DER for spec, PEM for gochat1).
func (x *exec) matchKey(actor string, arg []byte) string {
	k := x.keys[actor]
	if k == nil {
		return "actor " + actor + " has no key"
	}
	pub, err := codec.ParsePublicKey(arg)
	if err != nil {
		return "not a public key: " + err.Error()
	}
	if pub.N.BitLen() != spec.KeyBits {
		return fmt.Sprintf("key has %d bits, want %d", pub.N.BitLen(), spec.KeyBits)
	}
	if !codec.SameKey(arg, &k.PublicKey) {
		return fmt.Sprintf("is not %s's public key", actor)
	}
	if isPEM := bytes.HasPrefix(arg, []byte("-----BEGIN")); isPEM != (x.o.Dialect == spec.DialectGochat1) {
		return fmt.Sprintf("key is in the wrong encoding for dialect %s", x.o.Dialect)
	}
	return ""
}

func show(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			if len(b) > 48 {
				return "hex:" + hex.EncodeToString(b[:48]) + "…"
			}
			return "hex:" + hex.EncodeToString(b)
		}
	}
	if len(b) > 80 {
		return fmt.Sprintf("%q…", b[:80])
	}
	return fmt.Sprintf("%q", b)
}
