package clientrun_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gochatproto/gochat/conformance/runner"
	"github.com/gochatproto/gochat/spec"
)

// TestBrokenClientsFail shows that the client scenarios can fail: each
// fault injected into the reference client's outgoing bytes must make the
// listed scenarios fail (and nothing may error). Faults apply to plain TCP
// only (the wrapper sits below TLS), so TLS scenarios are not listed.
func TestBrokenClientsFail(t *testing.T) {
	bin := binaries(t)
	cases := []struct {
		fault    string
		mustFail []string
	}{
		{"msg-byte", []string{"CLI-msg-encrypt", "CLI-msg-maxlen"}},
		{"verif-wrong", []string{"CLI-login-challenge", "CLI-login-challenge-crlf", "CLI-msg-encrypt"}},
		{"id-zero", []string{"CLI-hdr-valid", "CLI-reg-key", "CLI-login-challenge"}},
	}
	for _, tc := range cases {
		t.Run(tc.fault, func(t *testing.T) {
			rs := run(t, filepath.Join(bin, "faultyclient")+" -fault "+tc.fault, spec.DialectSpec, "")
			got := map[string]runner.Verdict{}
			for _, r := range rs {
				got[r.ID] = r.Verdict
				assert.NotEqual(t, runner.Error, r.Verdict, "%s: %s", r.ID, r.Reason)
			}
			for _, id := range tc.mustFail {
				assert.Equal(t, runner.Fail, got[id], "%s should catch fault %s", id, tc.fault)
			}
		})
	}
}
