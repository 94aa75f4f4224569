package expr

import (
	"bytes"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/conformance/scenario"
	"github.com/gochatproto/gochat/spec"
)

// Requirements of encoding decisions: a value that differs from the
// expected one only in such an encoding passes the check, and the
// difference is filed under the decision (Env.Deviations).
const (
	ReqPermRaw      = "ENC-7"  // decision E-14: a level is one raw byte
	ReqPermOneByte  = "ENC-12" // spec SHOULD: a level is a single byte
	ReqStampSpec    = "ENC-4"  // decision E-13: 4 bytes big-endian
	ReqStampGochat1 = "ENC-5"  // decision E-13: zigzag varint
	ReqKeyPEM       = "ENC-2"  // decision E-12: PEM in gochat1
	ReqListLevel    = "ENC-8"  // decision E-14: "name level" in decimal
)

// ReqPadding is the requirement of E-15's padding (RSA-OAEP-SHA256): a
// decision, since the original specification names no padding.
const ReqPadding = "ENC-10"

// Match checks one argument; "" means it matched, anything else says
// why not. On a match a capturing matcher stores a copy of arg in caps.
// Matchers that let a decision-only difference pass append a Deviation.
func (e *Env) Match(m *scenario.Matcher, arg []byte, caps map[string][]byte) string {
	why := e.matchKind(m, arg)
	if why == "" && m.Capture != "" {
		caps[m.Capture] = append([]byte(nil), arg...)
	}
	return why
}

func (e *Env) matchKind(m *scenario.Matcher, arg []byte) string {
	switch m.Kind {
	case "any":
		return ""
	case "eq":
		want, err := e.Eval(m.Value)
		if err != nil {
			return err.Error()
		}
		if !bytes.Equal(arg, want) {
			return fmt.Sprintf("is %s, want %s", Show(arg), Show(want))
		}
	case "re":
		if !m.Re.Match(arg) {
			return fmt.Sprintf("%s does not match /%s/", Show(arg), m.Re)
		}
	case "len":
		if len(arg) != m.Len {
			return fmt.Sprintf("is %d bytes, want %d", len(arg), m.Len)
		}
	case "perm":
		return e.matchPerm(m.Perm, arg)
	case "decrypts_to":
		return e.matchDecrypt(m.Decrypt, arg)
	case "key_of":
		return e.matchKey(m.Actor, arg)
	case "stamp_near":
		return e.matchStamp(m, arg)
	default:
		return "matcher " + m.Kind + " applies only to a whole USRS reply"
	}
	return ""
}

func (e *Env) matchDecrypt(d *scenario.DecryptsTo, arg []byte) string {
	k := e.Keys[d.Actor]
	if k == nil {
		return "actor " + d.Actor + " has no key"
	}
	pt, _, pad, err := codec.DecryptAny([]*rsa.PrivateKey{k}, arg)
	if err != nil {
		return fmt.Sprintf("does not decrypt with %s's key (%v); ciphertext altered?", d.Actor, err)
	}
	if pad != codec.OAEPSHA256 {
		e.deviate(ReqPadding, "the ciphertext uses %s, not %s (E-15)", pad, codec.OAEPSHA256)
	}
	want, err := e.Expand(&d.Text)
	if err != nil {
		return err.Error()
	}
	if bytes.Equal(pt, want) || (d.Prefix && bytes.HasPrefix(pt, want)) {
		return ""
	}
	return fmt.Sprintf("decrypts to %q, want %q", pt, want)
}

// matchKey requires actor's public key in the dialect's encoding (DER for
// spec, PEM for gochat1). A different key of the wrong size is reported
// by its size, the likelier mistake.
func (e *Env) matchKey(actor string, arg []byte) string {
	k := e.Keys[actor]
	if k == nil {
		return "actor " + actor + " has no key"
	}
	pub, err := codec.ParsePublicKey(arg)
	if err != nil {
		return "not a public key: " + err.Error()
	}
	if !pub.Equal(&k.PublicKey) {
		if pub.N.BitLen() != spec.KeyBits {
			return fmt.Sprintf("key has %d bits, want %d", pub.N.BitLen(), spec.KeyBits)
		}
		return fmt.Sprintf("is not %s's public key", actor)
	}
	if isPEM := bytes.HasPrefix(arg, []byte("-----BEGIN")); isPEM != (e.Dialect == spec.DialectGochat1) {
		if e.Dialect != spec.DialectGochat1 { // DER is the specification's form (ENC-1)
			return fmt.Sprintf("key is in the wrong encoding for dialect %s", e.Dialect)
		}
		e.deviate(ReqKeyPEM, "key is DER, not the gochat1 dialect's PEM (E-12)")
	}
	return ""
}

func (e *Env) matchStamp(m *scenario.Matcher, arg []byte) string {
	want := m.Stamp.Unix(e.now())
	near := func(got int64) (time.Duration, bool) {
		diff := time.Duration(got-want) * time.Second
		if diff < 0 {
			diff = -diff
		}
		return diff, diff <= m.Within
	}
	got, err := codec.ParseStamp(e.Dialect, arg)
	var why string
	if err != nil {
		why = "timestamp: " + err.Error()
	} else if diff, ok := near(got); ok {
		return ""
	} else {
		why = fmt.Sprintf("timestamp %d is %v away from %d (allowed %v)", got, diff, want, m.Within)
	}
	// The encoding of a timestamp is E-13's decision: the right time in
	// another common encoding differs only from the decision.
	for _, alt := range otherStamps(arg) {
		if _, ok := near(alt.secs); ok {
			e.deviate(stampReq(e.Dialect), "timestamp is %s, not the %s dialect's encoding (E-13)", alt.enc, e.Dialect)
			return ""
		}
	}
	return why
}

// MatchUserList checks a USRS reply; the list may span several arguments,
// which are joined with "\n" (errata E-30). Entries are compared on the
// name, or on "name perm" when the expected entry has a space.
func (e *Env) MatchUserList(m *scenario.Matcher, args [][]byte, caps map[string][]byte) string {
	joined := bytes.Join(args, []byte("\n"))
	var entries []string
	if len(joined) > 0 {
		entries = strings.Split(string(joined), "\n")
	}
	var want []string
	for i := range m.List {
		b, err := e.Expand(&m.List[i])
		if err != nil {
			return err.Error()
		}
		want = append(want, string(b))
	}
	has := func(w string) bool {
		if slices.ContainsFunc(entries, func(ent string) bool {
			if strings.Contains(w, " ") {
				return ent == w
			}
			name, _, _ := strings.Cut(ent, " ")
			return name == w
		}) {
			return true
		}
		return e.hasRawLevel(entries, w)
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

// Show renders an argument for messages and transcripts: printable text
// quoted, anything else as hex, both truncated.
func Show(a []byte) string {
	const max = 48
	if utf8.Valid(a) && printable(a) {
		if len(a) > max {
			return strconv.Quote(string(a[:max])) + fmt.Sprintf("...(%d bytes)", len(a))
		}
		return strconv.Quote(string(a))
	}
	if len(a) > max/2 {
		return "0x" + hex.EncodeToString(a[:max/2]) + fmt.Sprintf("...(%d bytes)", len(a))
	}
	return "0x" + hex.EncodeToString(a)
}

func printable(a []byte) bool {
	for _, b := range a {
		if (b < 0x20 && b != '\n') || b == 0x7f {
			return false
		}
	}
	return true
}
