package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/result"
	"github.com/gochatproto/gochat/conformance/scenario"
)

// thinAdapter answers every driver command but quit with "unsupported".
const thinAdapter = `#!/bin/sh
echo '{"driver":"gochat-driver","version":1,"client":"thin"}'
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  case "$line" in
    *'"cmd":"quit"'*) echo "{\"id\":$id,\"ok\":true}"; exit 0;;
    *) echo "{\"id\":$id,\"ok\":false,\"error\":{\"code\":\"unsupported\",\"message\":\"thin\"}}";;
  esac
done
`

// TestUnsupportedSkipsWhateverStepWaits: an adapter that cannot do a
// command makes the scenario skip, also when the next step waits for a
// connection or an event rather than for the command's response.
func TestUnsupportedSkipsWhateverStepWaits(t *testing.T) {
	script := filepath.Join(t.TempDir(), "thin.sh")
	require.NoError(t, os.WriteFile(script, []byte(thinAdapter), 0o755))
	e, err := New(Options{Role: scenario.RoleClient, ClientCmd: script, Keys: testKeys(t)})
	require.NoError(t, err)
	for _, next := range []string{"accept: {}", "expect_event: {event: connected}", "response: {}", "sleep: 1s"} {
		t.Run(next, func(t *testing.T) {
			doc := "id: T-thin\ntitle: t\nrequirements: [X-1]\nlevel: must\nactors: {alice: {}}\nsteps:\n" +
				"  - drive: {cmd: register, actor: alice}\n  - " + next + "\n"
			scs, err := scenario.Parse("t.yaml", []byte(doc), scenario.RoleClient, scenario.LoadOptions{})
			require.NoError(t, err)
			r := e.RunOne(context.Background(), scs[0])
			assert.Equal(t, result.Skip, r.Verdict, "%+v", r.Failures)
			assert.Equal(t, result.KindUnsupported, r.Kind)
			assert.Equal(t, "register", r.Reason)
			assert.Equal(t, "skip: unsupported by the adapter", r.Label())
		})
	}
}

// eventAdapter answers every command with ok and reports a hook event
// after it: a client that reports something it should not have.
const eventAdapter = `#!/bin/sh
echo '{"driver":"gochat-driver","version":1,"client":"chatty"}'
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  echo '{"event":"hook","hook":"new_logout","user":"zed"}'
  echo "{\"id\":$id,\"ok\":true}"
  case "$line" in *'"cmd":"quit"'*) exit 0;; esac
done
`

// TestAbsentEventFails: expect_event with absent fails when the client
// reported such an event, and passes for a kind it did not report.
func TestAbsentEventFails(t *testing.T) {
	script := filepath.Join(t.TempDir(), "chatty.sh")
	require.NoError(t, os.WriteFile(script, []byte(eventAdapter), 0o755))
	e, err := New(Options{Role: scenario.RoleClient, ClientCmd: script, Keys: testKeys(t)})
	require.NoError(t, err)
	for kind, want := range map[string]result.Verdict{"hook": result.Fail, "shutdown": result.Pass} {
		doc := "id: T-absent\ntitle: t\nrequirements: [X-1]\nlevel: must\nactors: {alice: {}}\nsteps:\n" +
			"  - drive: {cmd: keepalive}\n  - response: {}\n  - expect_event: {event: " + kind + ", absent: true, within: 100ms}\n"
		scs, err := scenario.Parse("t.yaml", []byte(doc), scenario.RoleClient, scenario.LoadOptions{})
		require.NoError(t, err)
		r := e.RunOne(context.Background(), scs[0])
		assert.Equal(t, want, r.Verdict, "%s: %+v", kind, r.Failures)
	}
}
