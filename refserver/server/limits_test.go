package server

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/spec"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		"30/1h":   {N: 30, Per: time.Hour},
		"5/m":     {N: 5, Per: time.Minute},
		"1/500ms": {N: 1, Per: 500 * time.Millisecond},
		"2/.5s":   {N: 2, Per: 500 * time.Millisecond},
		"0":       {},
		"off":     {},
		"0/1h":    {},
		"3/1h30m": {N: 3, Per: 90 * time.Minute},
		"4/10s":   {N: 4, Per: 10 * time.Second},
	} {
		got, err := ParseRate(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		if !got.Off() {
			if in != "5/m" && in != "2/.5s" {
				require.Equal(t, in, got.String(), "short form")
			}
			back, err := ParseRate(got.String())
			require.NoError(t, err)
			require.Equal(t, got, back, "String round trip of %q", in)
		}
	}
	for _, in := range []string{"", "30", "/1h", "x/1h", "-1/1h", "3/", "3/0s", "3/-1m", "3/fortnight", "1.5/1h"} {
		_, err := ParseRate(in)
		require.Error(t, err, "%q", in)
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"30/1h", "5/m", "0", "1/500ms", "9/.5h", "x/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		require.NoError(t, r.check(), "accepted %q", s)
		if !r.Off() {
			require.Positive(t, r.Per, "accepted %q", s)
			back, err := ParseRate(r.String())
			require.NoError(t, err)
			require.Equal(t, r, back)
		}
	})
}

func TestBucket(t *testing.T) {
	r := Rate{N: 2, Per: time.Second, Burst: 3}
	t0 := time.Unix(1000, 0)
	var b bucket
	require.True(t, b.full(r, t0), "a bucket never used is full")
	for i := range 3 {
		require.True(t, b.take(r, t0), "burst token %d", i)
	}
	require.False(t, b.take(r, t0), "burst spent")
	require.False(t, b.has(r, t0.Add(400*time.Millisecond)), "0.8 tokens")
	require.True(t, b.take(r, t0.Add(500*time.Millisecond)), "one token after 1/2 s")
	require.False(t, b.full(r, t0.Add(time.Second)))
	require.True(t, b.full(r, t0.Add(10*time.Second)), "refills up to the burst only")
	require.True(t, b.take(r, t0.Add(10*time.Second)))
	require.True(t, b.take(r, t0.Add(10*time.Second)))
	require.True(t, b.take(r, t0.Add(10*time.Second)))
	require.False(t, b.take(r, t0.Add(10*time.Second)), "still three at most")

	var off bucket
	for range 100 {
		require.True(t, off.take(Rate{}, t0), "a zero Rate throttles nothing")
	}
}

func TestSourceKey(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:5000":              "192.0.2.7/32",
		"[::ffff:192.0.2.7]:5000":     "192.0.2.7/32",
		"[2001:db8:1:2:3:4:5:6]:5000": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:1":    "2001:db8:1:2::/64",
		"[fe80::1%eth0]:1":            "fe80::/64",
		"[2001:db8:1:3:3:4:5:6]:5000": "2001:db8:1:3::/64",
		"[::1]:9":                     "::/64",
		"127.0.0.2:1":                 "127.0.0.2/32",
	} {
		ap := netip.MustParseAddrPort(addr)
		got := sourceKey(net.TCPAddrFromAddrPort(ap))
		require.Equal(t, want, got.String(), addr)
	}
	require.Equal(t, netip.Prefix{}, sourceKey(&net.UnixAddr{Name: "x", Net: "unix"}))
}

// fakeClock is a settable clock for the sources' buckets.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Unix(1e6, 0)} }
func pkt(a spec.Action, args ...string) *spec.Packet {
	p := &spec.Packet{Action: a, ID: 1}
	for _, s := range args {
		p.Args = append(p.Args, []byte(s))
	}
	return p
}

func TestSourcesConnCapAndBudget(t *testing.T) {
	clk := newClock()
	a, b := netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("10.0.0.2/32")
	ss := newSources(Limits{MaxConnsPerSource: 2}, 3, time.Minute, clk.now)
	sa1, _, ok := ss.admit(a)
	require.True(t, ok)
	sa2, _, ok := ss.admit(a)
	require.True(t, ok)
	_, ref, ok := ss.admit(a)
	require.False(t, ok)
	require.Equal(t, LimitConnsPerSource, ref.limit)
	require.True(t, ref.log, "the first refusal is logged")
	_, ref, _ = ss.admit(a)
	require.False(t, ref.log, "later ones in the same minute are not")
	clk.add(warnEvery)
	_, ref, _ = ss.admit(a)
	require.True(t, ref.log)
	require.Equal(t, 1, ref.quiet, "and the line counts the unlogged ones")

	sb1, _, ok := ss.admit(b)
	require.True(t, ok, "another source is not affected")
	_, ref, ok = ss.admit(b)
	require.False(t, ok)
	require.Equal(t, LimitDescriptors, ref.limit, "three sockets is the whole budget")

	ss.release(sa1, nil)
	_, _, ok = ss.admit(b)
	require.True(t, ok, "a released socket frees budget")
	ss.release(sa2, nil)
	ss.release(sb1, nil)
	require.Equal(t, 1, ss.sockets)
}

func TestSourcesSweep(t *testing.T) {
	clk := newClock()
	lim := Limits{Reg: Rate{N: 1, Per: 10 * time.Minute, Burst: 1}}
	ss := newSources(lim, 0, time.Minute, clk.now)
	k := netip.MustParsePrefix("10.0.0.1/32")
	src, _, _ := ss.admit(k)
	_, ok := ss.allow(src, nil, pkt(spec.REG, "a", "k"))
	require.True(t, ok)
	ss.release(src, nil)

	// A sweep runs when a new source arrives; one with debt stays.
	clk.add(sweepEvery)
	ss.admit(netip.MustParsePrefix("10.0.0.9/32"))
	require.Contains(t, ss.m, k, "a source whose bucket is not full is kept")
	src, _, _ = ss.admit(k)
	_, ok = ss.allow(src, nil, pkt(spec.REG, "b", "k"))
	require.False(t, ok, "reconnecting does not refill the bucket")
	ss.release(src, nil)

	clk.add(10 * time.Minute)
	ss.admit(netip.MustParsePrefix("10.0.0.10/32"))
	require.NotContains(t, ss.m, k, "a source holding nothing is forgotten")
}

func TestSourcesThrottles(t *testing.T) {
	clk := newClock()
	lim := Limits{
		Reg:                 Rate{N: 1, Per: time.Minute, Burst: 2},
		Login:               Rate{N: 1, Per: time.Minute, Burst: 3},
		VerifyFail:          Rate{N: 1, Per: time.Minute, Burst: 1},
		MaxPendingPerSource: 2,
	}
	ss := newSources(lim, 0, 30*time.Second, clk.now)
	src, _, _ := ss.admit(netip.MustParsePrefix("10.0.0.1/32"))
	c1, c2, c3 := &conn{}, &conn{}, &conn{}

	reg := pkt(spec.REG, "a", "k")
	for range 2 {
		_, ok := ss.allow(src, c1, reg)
		require.True(t, ok)
	}
	l, ok := ss.allow(src, c1, reg)
	require.False(t, ok)
	require.Equal(t, LimitReg, l)

	// Two verifications waiting fill the source's share; the owner of one
	// may replace it, a token LOGIN needs none.
	login := pkt(spec.LOGIN, "a")
	for _, c := range []*conn{c1, c2} {
		_, ok := ss.allow(src, c, login)
		require.True(t, ok)
	}
	l, ok = ss.allow(src, c3, login)
	require.False(t, ok)
	require.Equal(t, LimitPendingPerSource, l, "a third verification, while the first two are still being handled")
	for _, c := range []*conn{c1, c2} {
		ss.after(src, c, login, ConnAnonymous, ConnVerifying)
	}
	_, ok = ss.allow(src, c1, login)
	require.True(t, ok, "replacing one's own")
	l, ok = ss.allow(src, c3, pkt(spec.LOGIN, "a", "token"))
	require.False(t, ok)
	require.Equal(t, LimitLogin, l, "three LOGINs spent the login burst")

	// Verifications expire, and a VERIF ends one.
	clk.add(31 * time.Second)
	require.True(t, ss.pendingRoom(src, clk.now()), "expired verifications free their place")
	verif := pkt(spec.VERIF, "a", "x")
	_, ok = ss.allow(src, c1, verif)
	require.True(t, ok)
	ss.after(src, c1, verif, ConnVerifying, ConnAnonymous)
	l, ok = ss.allow(src, c2, verif)
	require.False(t, ok, "one failed VERIF spent the burst")
	require.Equal(t, LimitVerifyFail, l)
	ss.after(src, c2, verif, ConnVerifying, ConnLoggedIn) // (as if allowed) a success costs nothing
	clk.add(time.Minute)
	_, ok = ss.allow(src, c3, verif)
	require.True(t, ok, "refilled")
	ss.release(src, c3)
}
