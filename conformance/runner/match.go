package runner

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// matchArg checks one argument; "" means it matched.
func (x *exec) matchArg(m *scenario.Matcher, arg []byte, caps map[string][]byte) string {
	why := x.matchKind(m, arg)
	if why == "" && m.Capture != "" {
		caps[m.Capture] = append([]byte(nil), arg...)
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
			return fmt.Sprintf("is %s, want %s", argString(arg), argString(want))
		}
	case "re":
		if !m.Re.Match(arg) {
			return fmt.Sprintf("%s does not match /%s/", argString(arg), m.Re)
		}
	case "len":
		if len(arg) != m.Len {
			return fmt.Sprintf("is %d bytes, want %d", len(arg), m.Len)
		}
	case "perm":
		if len(arg) != 1 || int(arg[0]) != m.Perm {
			return fmt.Sprintf("permission is %s, want the single byte %d", argString(arg), m.Perm)
		}
	case "decrypts_to":
		return x.matchDecrypt(m.Decrypt, arg)
	case "key_of":
		return x.matchKey(m.Actor, arg)
	case "stamp_near":
		return x.matchStamp(m, arg)
	default:
		return "list matchers apply to a whole USRS reply"
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
		return fmt.Sprintf("does not decrypt with %s's key (%v); ciphertext altered?", d.Actor, err)
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

func (x *exec) matchKey(actor string, arg []byte) string {
	k := x.keys[actor]
	if k == nil {
		return "actor " + actor + " has no key"
	}
	if !codec.SameKey(arg, &k.PublicKey) {
		return fmt.Sprintf("is not %s's public key", actor)
	}
	isPEM := bytes.HasPrefix(arg, []byte("-----BEGIN"))
	if isPEM != (x.dialect == spec.DialectGochat1) {
		return fmt.Sprintf("key is in the wrong encoding for dialect %s", x.dialect)
	}
	return ""
}

func (x *exec) matchStamp(m *scenario.Matcher, arg []byte) string {
	got, err := codec.ParseStamp(x.dialect, arg)
	if err != nil {
		return err.Error()
	}
	want := x.stamp(m.Stamp)
	diff := time.Duration(got-want) * time.Second
	if diff < 0 {
		diff = -diff
	}
	if diff > m.Within {
		return fmt.Sprintf("timestamp %d is %v away from %d (allowed %v)", got, diff, want, m.Within)
	}
	return ""
}

// matchUserList checks a USRS reply; the list may span several arguments,
// which are joined with "\n" (errata E-30). Entries are compared on the
// name, or on "name perm" when the expected entry has a space.
func (x *exec) matchUserList(m *scenario.Matcher, args [][]byte, caps map[string][]byte) string {
	joined := bytes.Join(args, []byte("\n"))
	var entries []string
	if len(joined) > 0 {
		entries = strings.Split(string(joined), "\n")
	}
	var want []string
	for _, t := range m.List {
		b, err := x.expand(t)
		if err != nil {
			return err.Error()
		}
		want = append(want, string(b))
	}
	has := func(w string) bool {
		return slices.ContainsFunc(entries, func(e string) bool {
			if strings.Contains(w, " ") {
				return e == w
			}
			name, _, _ := strings.Cut(e, " ")
			return name == w
		})
	}
	for _, w := range want {
		switch m.Kind {
		case "user_list_contains", "user_list_equals":
			if !has(w) {
				return fmt.Sprintf("user list lacks %q", w)
			}
		case "user_list_excludes":
			if has(w) {
				return fmt.Sprintf("user list contains %q", w)
			}
		}
	}
	if m.Kind == "user_list_equals" && len(entries) != len(want) {
		return fmt.Sprintf("user list has %d entries, want %d", len(entries), len(want))
	}
	if m.Capture != "" {
		caps[m.Capture] = joined
	}
	return ""
}
