package wire

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/keystore"
	"github.com/gochatproto/gochat/fuzz/corpus"
	"github.com/gochatproto/gochat/spec"
)

// regCounter forwards to a server and counts the REG packets clients send.
type regCounter struct {
	*relay
	regsMu sync.Mutex
	regs   int
}

func newRegCounter(t testing.TB, target string) *regCounter {
	p := &regCounter{}
	p.relay = newRelay(t, target, p.forward, copyAll)
	return p
}

func (p *regCounter) count() int {
	p.regsMu.Lock()
	defer p.regsMu.Unlock()
	return p.regs
}

// forward copies a client's packets (whole frames, as protoclient writes
// them) and counts the REGs among them.
func (p *regCounter) forward(dst, src net.Conn) {
	var pending []byte
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		pending = append(pending, buf[:n]...)
		for len(pending) >= unitSize {
			size := unitSize + int(spec.ParseHeader(pending).Len)
			if len(pending) < size {
				break
			}
			if spec.ParseHeader(pending).Action == spec.REG {
				p.regsMu.Lock()
				p.regs++
				p.regsMu.Unlock()
			}
			pending = pending[size:]
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestProvisionOncePerDatabase: the run's accounts are registered on the
// first server only; attaching again to a server whose database knows
// them sends no REG, and a server with an empty database gets each account
// exactly once.
func TestProvisionOncePerDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := spec.DialectSpec
	cfg := &FuzzConfig{Dialect: d, Seed: 5}
	cfg.defaults()
	first := newRegCounter(t, startRef(t, d))
	ra, err := provisionRun(ctx, cfg, first.addr())
	require.NoError(t, err)
	require.Equal(t, 3, first.count(), "three accounts on the first server")

	for range 2 { // as after a finding, or a restart that kept the database
		e, err := newEnv(ctx, cfg, first.addr(), ra)
		require.NoError(t, err)
		e.close()
		assert.Equal(t, 3, first.count(), "no REG on a database that knows the accounts")
	}

	empty := newRegCounter(t, startRef(t, d))
	for range 2 {
		e, err := newEnv(ctx, cfg, empty.addr(), ra)
		require.NoError(t, err)
		e.close()
	}
	assert.Equal(t, 3, empty.count(), "each account once on an empty database")
}

// TestVictimReplacedAfterDereg: in admin mode a case may deregister the
// victim; attaching again (after a finding or a restart that kept the
// database) registers a new victim with a key the run has not used, and
// never the deregistered one's key again (E-20 is not relied on).
func TestVictimReplacedAfterDereg(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := spec.DialectSpec
	addr, root := startRefAdmin(t, d, "fzroot")
	cfg := &FuzzConfig{Dialect: d, Seed: 6, Admin: root}
	cfg.defaults()
	ra, err := provisionRun(ctx, cfg, addr)
	require.NoError(t, err)
	old := *ra.victim

	c, err := dial(ctx, addr, d, cfg.slow())
	require.NoError(t, err)
	defer c.close()
	require.NoError(t, c.login(ctx, *root, cfg.slow()))
	c.SetTimeout(cfg.slow())
	require.NoError(t, c.Do(&spec.Packet{Action: spec.ADMIN, Info: uint8(spec.AdminDereg), Args: [][]byte{[]byte(old.Name)}}))

	e, err := newEnv(ctx, cfg, addr, ra)
	require.NoError(t, err)
	defer e.close()
	require.NotEqual(t, old.Name, ra.victim.Name)
	assert.NotSame(t, old.Key, ra.victim.Key, "a new key, not the deregistered account's")
	assert.Equal(t, ra.victim.Name, e.roles.victim)
}

// TestKeyLedgerAcrossRuns: runs against one server with a key cache (the
// CLI's --key-cache with --addr) never send REG for a key an earlier run,
// the corpus replay or the fuzzer, registered there: every REG succeeds at
// once, with no ERR_EXISTS to skip, and the ledger lists each key.
func TestKeyLedgerAcrossRuns(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := spec.DialectSpec
	srv := newRegCounter(t, startRef(t, d))
	st, err := keystore.Open(t.TempDir())
	require.NoError(t, err)
	keys := Keys{Store: st, Server: "addr " + srv.addr()}

	seen := map[string]bool{}
	note := func(as ...Account) {
		for _, a := range as {
			fp := keystore.Fingerprint(&a.Key.PublicKey)
			require.False(t, seen[fp], "key of %s registered twice", a.Name)
			seen[fp] = true
		}
	}
	for range 2 { // the same seed twice: the same start index, so the ledger must steer
		cfg := &FuzzConfig{Dialect: d, Seed: 7, Keys: keys}
		cfg.defaults()
		ra, err := provisionRun(ctx, cfg, srv.addr())
		require.NoError(t, err)
		note(ra.registered()...)
	}
	rs, err := Replay(ctx, ReplayConfig{Addr: srv.addr(), Dialect: d, Keys: keys, Cases: []*corpus.Case{}})
	require.NoError(t, err)
	assert.Empty(t, rs)
	assert.Equal(t, 7, srv.count(), "3 + 3 fuzz accounts and the corpus account, each REG once")
	ledger, err := st.Ledger(keys.Server)
	require.NoError(t, err)
	used := 0
	fixtures, err := fixtureKeys()
	require.NoError(t, err)
	for _, k := range fixtures {
		if ledger.Used(&k.PublicKey) {
			used++
		}
	}
	assert.Equal(t, 7, used, "the ledger lists every key the runs registered")
}

// TestGivenUserOnEmptyDatabase: with --user, the caller registered the
// fuzz account on the first server; a restarted server with an empty
// database gets it too (with its key, new to that database), so
// authenticated cases keep working after a restart.
func TestGivenUserOnEmptyDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := spec.DialectSpec
	keys, err := fixtureKeys()
	require.NoError(t, err)
	user := Account{Name: "fzgiven", Key: keys[len(keys)-1]}
	first := startRef(t, d)
	c, err := dial(ctx, first, d, 10*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.register(user, 10*time.Second))
	c.close()

	cfg := &FuzzConfig{Dialect: d, Seed: 8, User: &user}
	cfg.defaults()
	ra, err := provisionRun(ctx, cfg, first)
	require.NoError(t, err)
	empty := newRegCounter(t, startRef(t, d))
	e, err := newEnv(ctx, cfg, empty.addr(), ra)
	require.NoError(t, err)
	defer e.close()
	assert.Equal(t, 3, empty.count(), "bystander, probe and the given account")
	lc, err := dial(ctx, empty.addr(), d, 10*time.Second)
	require.NoError(t, err)
	defer lc.close()
	require.NoError(t, e.loginFuzz(ctx, lc))
}
