package server

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// sourceKey groups client addresses into sources: an IPv4 address, or
// the /64 of an IPv6 address (one subscriber's usual allocation, so that
// walking through its addresses gains nothing). An address that is not
// TCP/IP is one source of its own.
func sourceKey(a net.Addr) netip.Prefix {
	var ip netip.Addr
	if ta, ok := a.(*net.TCPAddr); ok {
		ip = ta.AddrPort().Addr()
	} else if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		ip = ap.Addr()
	}
	ip = ip.Unmap()
	switch {
	case ip.Is4():
		return netip.PrefixFrom(ip, 32)
	case ip.Is6():
		p, _ := ip.WithZone("").Prefix(64)
		return p
	}
	return netip.Prefix{}
}

// warnEvery is how often a refusal is logged per source (and for the
// descriptor budget), so a flood cannot flood the log.
const warnEvery = time.Minute

// sweepEvery is how often sources that hold nothing are forgotten.
const sweepEvery = time.Minute

// sources keeps the per-source state behind Limits and counts client
// sockets against the descriptor budget. One mutex guards it all; every
// operation under it is a few map and arithmetic steps.
type sources struct {
	lim       Limits
	budget    int // client sockets allowed at once; 0 = no budget
	perSource bool
	verifyTTL time.Duration
	now       func() time.Time

	mu      sync.Mutex
	sockets int
	m       map[netip.Prefix]*source
	swept   time.Time
	over    refusals // descriptor budget refusals
}

// source is one address's (or /64's) share.
type source struct {
	key     netip.Prefix
	conns   int
	pending map[*conn]time.Time // verifications waiting, until when
	reg     bucket
	login   bucket
	verify  bucket
	over    refusals // connection cap refusals
}

// refusals rate-limits the log line about a repeated refusal.
type refusals struct {
	logged time.Time
	quiet  int // refusals since the last log line
}

// note counts a refusal and reports whether to log it, with how many
// were not logged before it.
func (r *refusals) note(now time.Time) (bool, int) {
	if !r.logged.IsZero() && now.Sub(r.logged) < warnEvery {
		r.quiet++
		return false, 0
	}
	n := r.quiet
	r.logged, r.quiet = now, 0
	return true, n
}

func newSources(lim Limits, budget int, verifyTTL time.Duration, now func() time.Time) *sources {
	return &sources{lim: lim, budget: budget, perSource: lim.perSource(), verifyTTL: verifyTTL,
		now: now, m: make(map[netip.Prefix]*source)}
}

// refusal describes a socket closed at accept.
type refusal struct {
	limit  Limit
	log    bool // first refusal of its kind this minute
	quiet  int  // refusals not logged since the last line
	source netip.Prefix
}

// admit counts a freshly accepted socket from key. It returns the
// socket's source (nil without per-source limits), or ok false and why
// the socket must be closed instead.
func (ss *sources) admit(key netip.Prefix) (src *source, ref refusal, ok bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	if ss.budget > 0 && ss.sockets >= ss.budget {
		log, quiet := ss.over.note(now)
		return nil, refusal{LimitDescriptors, log, quiet, key}, false
	}
	if ss.perSource {
		src = ss.m[key]
		if src == nil {
			ss.sweep(now)
			src = &source{key: key}
			ss.m[key] = src
		}
		if cap := ss.lim.MaxConnsPerSource; cap > 0 && src.conns >= cap {
			log, quiet := src.over.note(now)
			return nil, refusal{LimitConnsPerSource, log, quiet, key}, false
		}
		src.conns++
	}
	ss.sockets++
	return src, refusal{}, true
}

// release uncounts a socket that admit let in; c is its connection, or
// nil if it never got one.
func (ss *sources) release(src *source, c *conn) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.sockets--
	if src != nil {
		src.conns--
		delete(src.pending, c)
	}
}

// sweep forgets, at most once a minute, the sources that hold nothing: no
// socket, no verification, full buckets and no recent refusal. Caller
// holds mu.
func (ss *sources) sweep(now time.Time) {
	if now.Sub(ss.swept) < sweepEvery {
		return
	}
	ss.swept = now
	for k, s := range ss.m {
		if s.conns == 0 && len(s.pending) == 0 && now.Sub(s.over.logged) >= warnEvery &&
			s.reg.full(ss.lim.Reg, now) && s.login.full(ss.lim.Login, now) &&
			s.verify.full(ss.lim.VerifyFail, now) {
			delete(ss.m, k)
		}
	}
}

// allow decides whether c, not logged in, may have p handled; it takes
// the tokens that p costs, and a place for the verification a LOGIN will
// start. The caller answers a refused request with ERR_LOGIN and handles
// nothing of it (E-49, E-52).
func (ss *sources) allow(src *source, c *conn, p *spec.Packet) (Limit, bool) {
	if src == nil {
		return 0, true
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	switch p.Action {
	case spec.REG:
		if !src.reg.take(ss.lim.Reg, now) {
			return LimitReg, false
		}
	case spec.LOGIN:
		challenge := len(p.Args) == 1 // a token LOGIN creates no verification
		_, own := src.pending[c]      // replacing its own takes no new place
		if challenge && !own && !ss.pendingRoom(src, now) {
			return LimitPendingPerSource, false
		}
		if !src.login.take(ss.lim.Login, now) {
			return LimitLogin, false
		}
		if challenge {
			// Take the place now: connections of one source run their
			// LOGINs at the same time, and the verification exists only
			// once the handler is done (after releases it if it is not).
			ss.reserve(src, c, now)
		}
	case spec.VERIF:
		// Only failures cost a token (taken in after), but with none left
		// the VERIF is not tried.
		if !src.verify.has(ss.lim.VerifyFail, now) {
			return LimitVerifyFail, false
		}
	}
	return 0, true
}

// pendingRoom reports whether src may start one more verification,
// dropping the ones that expired. Caller holds mu.
func (ss *sources) pendingRoom(src *source, now time.Time) bool {
	cap := ss.lim.MaxPendingPerSource
	if cap <= 0 || len(src.pending) < cap {
		return true
	}
	for c, until := range src.pending {
		if !now.Before(until) {
			delete(src.pending, c)
		}
	}
	return len(src.pending) < cap
}

// after records what handling p did to c's state: a verification
// started or ended, a VERIF that failed.
func (ss *sources) after(src *source, c *conn, p *spec.Packet, from, to ConnState) {
	if src == nil {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	if p.Action == spec.VERIF && from != ConnLoggedIn && to != ConnLoggedIn {
		src.verify.take(ss.lim.VerifyFail, now)
	}
	switch {
	case to != ConnVerifying:
		delete(src.pending, c)
	case p.Action == spec.LOGIN: // a new or replaced verification
		ss.reserve(src, c, now)
	}
}

// reserve counts c's verification, started now, against src. Caller
// holds mu.
func (ss *sources) reserve(src *source, c *conn, now time.Time) {
	if src.pending == nil {
		src.pending = make(map[*conn]time.Time)
	}
	src.pending[c] = now.Add(ss.verifyTTL)
}
