package wire

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/codec"
	"github.com/gochatproto/gochat/internal/testserver"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/scenarios"
	"github.com/gochatproto/gochat/spec"
)

func TestSanitizeAdmin(t *testing.T) {
	now := time.Now()
	for _, d := range []spec.Dialect{spec.DialectSpec, spec.DialectGochat1} {
		r := roles{dialect: d, admin: "fzroot", victim: "fzaaaaaaaa3", keep: []string{"fzaaaaaaaa0", "fzaaaaaaaa1", "fzroot"}}
		adm := func(op spec.AdminOp, id uint16, args ...[]byte) []byte {
			return r.pkt(spec.ADMIN, uint8(op), id, args...)
		}
		past := d.AppendTimestamp(nil, now.Add(-time.Hour))
		in := bytes.Join([][]byte{
			adm(spec.AdminShtdwn, 1, d.AppendTimestamp(nil, now.Add(30*time.Second))),
			adm(spec.AdminKick, 2, []byte("FZAAAAAAAA0")),
			adm(spec.AdminDereg, 3, []byte("fzaaaaaaaa1")),
			adm(spec.AdminChgPerms, 4, []byte("fzroot"), []byte{0}),
			adm(spec.AdminShtdwn, 5, past),
			adm(spec.AdminKick, 6, []byte("fzaaaaaaaa3")),
		}, nil)
		out := r.sanitize(in, now)
		require.Len(t, out, len(in), "%v: the length must not change", d)
		dec := spec.NewDecoder(bytes.NewReader(out), spec.ServerBound, d)
		var got []string
		for {
			var p spec.Packet
			if dec.ReadPacket(&p) != nil {
				break
			}
			got = append(got, spec.AdminOp(p.Info).String()+" "+string(p.Args[0]))
			if spec.AdminOp(p.Info) == spec.AdminShtdwn && p.ID == 1 {
				at, err := d.ParseTimestamp(p.Args[0])
				require.NoError(t, err)
				assert.True(t, at.Equal(farFuture), "%v: shutdown at %v", d, at)
			}
			if p.ID == 5 {
				assert.Equal(t, past, p.Args[0], "%v: a past shutdown is refused by the server anyway", d)
			}
		}
		require.Len(t, got, 6, "%v: %q", d, got)
		assert.Equal(t, "ADMIN_KICK fzaaaaaaaa3", got[1], d)
		assert.Equal(t, "ADMIN_DEREG fzaaaaaaaa3", got[2], d)
		assert.Equal(t, "ADMIN_CHGPERMS qqqqqq", got[3], d)
		assert.Equal(t, "ADMIN_KICK fzaaaaaaaa3", got[5], d)
		assert.Equal(t, out, r.sanitize(out, now), "sanitize is idempotent")
	}
}

// When the far-future time does not fit the argument's length, the
// shutdown becomes a broadcast (refused on plain TCP).
func TestSanitizeShutdownOtherLength(t *testing.T) {
	r := roles{dialect: spec.DialectGochat1, admin: "fzroot", victim: "fzv"}
	p := &spec.Packet{Action: spec.ADMIN, Info: uint8(spec.AdminShtdwn), ID: 1,
		Args: [][]byte{spec.DialectGochat1.AppendTimestamp(nil, time.Unix(1, 0))}}
	q, ok := r.sanitizeAdmin(p, time.Unix(0, 0))
	require.True(t, ok)
	assert.Equal(t, uint8(spec.AdminBrdcast), q.Info)
}

func TestGenerateAdminCasesAreSafe(t *testing.T) {
	r := roles{self: "fzself", bystander: "fzby", key: []byte("k"), dialect: spec.DialectSpec,
		admin: "fzroot", victim: "fzvic", keep: []string{"fzby", "fzprobe", "fzself", "fzroot"}}
	e := &env{cfg: &FuzzConfig{Admin: &Account{Name: "fzroot"}}, roles: r}
	admin := 0
	for i := range 2000 {
		fc := e.generate(11, i)
		if fc.admin {
			admin++
		}
		for _, s := range [][]byte{fc.stream, fc.second} {
			dec := spec.NewDecoder(bytes.NewReader(s), spec.ServerBound, spec.DialectSpec)
			for {
				var p spec.Packet
				if dec.ReadPacket(&p) != nil {
					break
				}
				if p.Action != spec.ADMIN {
					continue
				}
				switch spec.AdminOp(p.Info) {
				case spec.AdminShtdwn:
					at, _ := spec.DialectSpec.ParseTimestamp(p.Args[0])
					if at.After(time.Now()) && at.Before(time.Now().Add(shutdownHorizon)) {
						require.True(t, at.Equal(farFuture), "case %d: shutdown at %v", i, at)
					}
				case spec.AdminDereg, spec.AdminKick, spec.AdminChgPerms:
					name, _ := spec.NormalizeUsername(p.Args[0])
					require.False(t, r.protected(name), "case %d: %v targets %s", i, spec.AdminOp(p.Info), name)
				}
			}
		}
	}
	assert.Greater(t, admin, 300)
}

// startRefAdmin is startRef with an owner account (the "owner" fixture key)
// bootstrapped before the server starts.
func startRefAdmin(t *testing.T, d spec.Dialect, name string) (string, *Account) {
	t.Helper()
	keys, err := codec.LoadKeys(scenarios.FS, "fixtures/keys")
	require.NoError(t, err)
	k := keys["owner"]
	require.NotNil(t, k)
	srv := testserver.Start(t, refOptions(d, testserver.WithUser(name, &k.PublicKey, store.PermOwner))...)
	return srv.Addr(), &Account{Name: name, Key: k}
}

// TestFuzzAdminReference: admin mode against the reference server, as its
// owner, for a bounded number of cases: no finding, and the server is
// still up (no fuzzed shutdown fired, the bystander was never kicked).
func TestFuzzAdminReference(t *testing.T) {
	addr, root := startRefAdmin(t, spec.DialectSpec, "fzroot")
	var log strings.Builder
	rep, err := Fuzz(context.Background(), FuzzConfig{
		Addr: addr, Seed: 5, Cases: 200, Duration: 8 * time.Second,
		Timeout: 2 * time.Second, FullCheckEvery: 10, Admin: root, Log: &log,
	})
	require.NoError(t, err)
	t.Logf("%d cases (%d admin, %d OK replies there) in %v, %d malformed\n%s", rep.Cases, rep.Admin, rep.AdminOK, rep.Elapsed, rep.Malformed, log.String())
	assert.Empty(t, rep.Findings, log.String())
	assert.Positive(t, rep.Admin)
	assert.Positive(t, rep.AdminOK, "some ADMIN requests must be carried out")
	c, err := dial(context.Background(), addr, spec.DialectSpec, 2*time.Second)
	require.NoError(t, err, "the server must still greet clients")
	c.close()
}
