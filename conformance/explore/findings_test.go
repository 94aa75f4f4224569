package explore

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Markdown timeline has a column per actor, the observer's, and the
// admin's when the run had ADMIN operations: an admin event is not lost.
func TestTimelineHasAnAdminColumn(t *testing.T) {
	f := &Finding{Plan: &Plan{Seed: 3, Actors: 2, Conns: 1, Ops: []Op{{Index: 0, Actor: 1, Kind: OpAdminKick}}},
		History: []Event{
			{Seq: 1, Kind: EvCall, Actor: 0, Conn: "a0.c0.1", Action: "LOGIN"},
			{Seq: 2, Kind: EvCall, Actor: 3, Conn: "admin", Action: "ADMIN"},
			{Seq: 3, Kind: EvPush, Actor: 2, Conn: "a2.obs", Action: "HOOK"},
		}}
	md := timeline(f, 2)
	head, row := lineWith(t, md, "| seq |"), lineWith(t, md, "| 2 |")
	assert.Equal(t, "| seq | ms | a0 | a1 | obs | admin |", head)
	assert.Equal(t, "| 2 | 0.0 | | | | call admin ADMIN |", row)
	assert.Equal(t, "| 3 | 0.0 | | | push a2.obs HOOK |", strings.TrimSuffix(lineWith(t, md, "| 3 |"), " |"))

	f.History = f.History[:1] // no ADMIN operation: no admin column
	assert.Equal(t, "| seq | ms | a0 | a1 | obs |", lineWith(t, timeline(f, 2), "| seq |"))
}

func lineWith(t *testing.T, s, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	require.Failf(t, "no line", "%q in\n%s", prefix, s)
	return ""
}
