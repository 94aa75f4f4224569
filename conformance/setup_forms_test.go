package conformance_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/gochatproto/gochat/conformance/scenario"
)

// TestServerScenariosSendFairForms keeps the review rules of issue #18 for
// what server scenarios send: a key names its encoding (PEM, unless the
// encoding is the subject: a server need not accept DER, ENC-3), and setup
// sends no DER key and no CRLF inside an argument (the original splits
// every argument at CRLF). A setup the implementation may refuse would
// turn a question it was never asked into an error.
func TestServerScenariosSendFairForms(t *testing.T) {
	for _, sc := range loadSuite(t).Scenarios {
		if sc.Role != scenario.RoleServer {
			continue
		}
		for i := range sc.Steps {
			st := &sc.Steps[i]
			if st.Send == nil {
				continue
			}
			for j := range st.Send.Args {
				if msg := unfairValue(&st.Send.Args[j], st.Setup); msg != "" {
					t.Errorf("%s (%s): %s", sc.ID, st.Pos, msg)
				}
			}
		}
	}
}

// unfairValue says what is wrong with v as an argument of a server
// scenario's send ("" when nothing is).
func unfairValue(v *scenario.Value, setup bool) string {
	switch v.Kind {
	case "key":
		if v.KeyFormat == "" {
			return fmt.Sprintf("key of %s without format: write format: pem (der only where the encoding is the subject)", v.Actor)
		}
		if setup && v.KeyFormat == "der" {
			return "DER key in setup"
		}
	case "text":
		if setup && strings.Contains(v.Text.Text, "\r\n") {
			return "CRLF inside a setup argument"
		}
	case "hex":
		if setup && (bytes.Contains(v.Hex, []byte("\r\n")) || bytes.HasPrefix(v.Hex, []byte{0x30})) {
			return "CRLF or a raw DER key in a setup argument"
		}
	case "encrypt":
		if setup && v.Encrypt.ContainsCRLF {
			return "a ciphertext with CRLF in setup"
		}
	case "concat", "pem":
		for i := range v.Parts {
			if msg := unfairValue(&v.Parts[i], setup && v.Kind == "concat"); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// TestUnfairValueFindsEachForm proves the rule above can fail.
func TestUnfairValueFindsEachForm(t *testing.T) {
	der := scenario.Value{Kind: "key", Actor: "bob", KeyFormat: "der"}
	cases := []struct {
		v     scenario.Value
		setup bool
		bad   bool
	}{
		{scenario.Value{Kind: "key", Actor: "bob"}, false, true},
		{der, true, true},
		{der, false, false},
		{scenario.Value{Kind: "key", Actor: "bob", KeyFormat: "pem"}, true, false},
		{scenario.Value{Kind: "text", Text: scenario.Template{Text: "a\r\nb"}}, true, true},
		{scenario.Value{Kind: "text", Text: scenario.Template{Text: "a\r\nb"}}, false, false},
		{scenario.Value{Kind: "hex", Hex: []byte{0x30, 0x82}}, true, true},
		{scenario.Value{Kind: "encrypt", Encrypt: &scenario.EncryptSpec{To: "bob", ContainsCRLF: true}}, true, true},
		{scenario.Value{Kind: "concat", Parts: []scenario.Value{{Kind: "hex", Hex: []byte{0x0d, 0x0a}}}}, true, true},
		{scenario.Value{Kind: "pem", Parts: []scenario.Value{{Kind: "hex", Hex: []byte{0x30, 0x82}}}}, true, false},
	}
	for i, c := range cases {
		if got := unfairValue(&c.v, c.setup) != ""; got != c.bad {
			t.Errorf("case %d (%s, setup %v): unfair = %v, want %v", i, c.v.Kind, c.setup, got, c.bad)
		}
	}
}
