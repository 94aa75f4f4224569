package server

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits are the reference server's defences for a server on the open
// internet: a cap on the sockets one source may hold, a deadline for
// logging in, per-source throttles for REG, LOGIN and failed VERIF, a cap
// on a source's pending verifications, and a descriptor budget that keeps
// room for the store (E-48 to E-52). A source is an IPv4 address or an
// IPv6 /64. The zero value turns every limit off; gochat-server starts
// with DefaultLimits.
type Limits struct {
	// MaxConnsPerSource caps the client sockets one source holds at once,
	// whether waiting for admission, in the TLS handshake or admitted. A
	// socket over the cap is closed right after accept (E-50). 0 = no cap.
	MaxConnsPerSource int
	// LoginDeadline closes, with ERR_LOGIN, a connection that has not
	// logged in this long after its HELLO, or after its session ended
	// (E-48). 0 = no deadline.
	LoginDeadline time.Duration
	// Reg, Login and VerifyFail are per-source token buckets: REG and
	// LOGIN take a token each, a VERIF that does not log in takes one, and
	// with the bucket empty the request is refused with ERR_LOGIN unread
	// (E-49). A zero Rate is no throttle.
	Reg, Login, VerifyFail Rate
	// MaxPendingPerSource caps the verifications one source has waiting
	// for their VERIF; a LOGIN that would exceed it gets ERR_LOGIN (E-52).
	// 0 = no cap.
	MaxPendingPerSource int
	// FDReserve is the part of the process's open-file limit kept for
	// everything but client sockets (store, listeners, logs, metrics);
	// client sockets beyond the rest are closed right after accept (E-51).
	// 0 = no descriptor budget.
	FDReserve int
	// OpenFiles replaces the process's open-file limit (RLIMIT_NOFILE) in
	// the budget; tests use it. 0 = read the process's limit.
	OpenFiles int
}

// DefaultLimits are gochat-server's defaults; docs/operations.md explains
// each value.
func DefaultLimits() Limits {
	return Limits{
		MaxConnsPerSource: 64,
		LoginDeadline:     60 * time.Second,
		// A person registers once; a classroom behind one address
		// registers a burst, then trickles.
		Reg: Rate{N: 30, Per: time.Hour, Burst: 10},
		// Every connection a source may hold can log in at once after a
		// server restart.
		Login:               Rate{N: 60, Per: time.Minute, Burst: 64},
		VerifyFail:          Rate{N: 6, Per: time.Minute, Burst: 10},
		MaxPendingPerSource: 16,
		FDReserve:           128,
	}
}

func (l Limits) check() error {
	for _, v := range []struct {
		name string
		n    int
	}{
		{"MaxConnsPerSource", l.MaxConnsPerSource},
		{"MaxPendingPerSource", l.MaxPendingPerSource},
		{"FDReserve", l.FDReserve},
		{"OpenFiles", l.OpenFiles},
	} {
		if v.n < 0 {
			return fmt.Errorf("server: negative %s", v.name)
		}
	}
	if l.LoginDeadline < 0 {
		return errors.New("server: negative LoginDeadline")
	}
	for _, r := range []struct {
		name string
		r    Rate
	}{{"Reg", l.Reg}, {"Login", l.Login}, {"VerifyFail", l.VerifyFail}} {
		if err := r.r.check(); err != nil {
			return fmt.Errorf("server: %s: %w", r.name, err)
		}
	}
	return nil
}

// perSource reports whether any limit needs per-source bookkeeping.
func (l Limits) perSource() bool {
	return l.MaxConnsPerSource > 0 || l.MaxPendingPerSource > 0 ||
		!l.Reg.Off() || !l.Login.Off() || !l.VerifyFail.Off()
}

// Rate is a token bucket: N tokens per Per, holding at most Burst (Burst 0
// means N). N 0 turns it off.
type Rate struct {
	N     int
	Per   time.Duration
	Burst int
}

// Off reports whether r throttles nothing.
func (r Rate) Off() bool { return r.N == 0 }

func (r Rate) check() error {
	switch {
	case r.N < 0 || r.Burst < 0:
		return errors.New("negative rate")
	case r.N > 0 && r.Per <= 0:
		return errors.New("rate needs a positive period")
	}
	return nil
}

func (r Rate) burst() float64 {
	if r.Burst > 0 {
		return float64(r.Burst)
	}
	return float64(r.N)
}

// perSecond is the refill speed.
func (r Rate) perSecond() float64 { return float64(r.N) / r.Per.Seconds() }

// String gives r's N/Per part as ParseRate reads it ("30/1h"), or "0".
func (r Rate) String() string {
	if r.Off() {
		return "0"
	}
	per := r.Per.String()
	if strings.HasSuffix(per, "m0s") {
		per = strings.TrimSuffix(per, "0s")
	}
	if strings.HasSuffix(per, "h0m") {
		per = strings.TrimSuffix(per, "0m")
	}
	return strconv.Itoa(r.N) + "/" + per
}

// ParseRate reads "N/PERIOD" (30/1h, 5/m, 1/500ms) or "0" (off). A period
// without a number means one unit: "m" is "1m". Burst is left zero.
func ParseRate(s string) (Rate, error) {
	if s == "0" || s == "off" {
		return Rate{}, nil
	}
	num, per, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/PERIOD such as 30/1h, or 0", s)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return Rate{}, fmt.Errorf("rate %q: count must be a whole number >= 0", s)
	}
	if per != "" && (per[0] < '0' || per[0] > '9') && per[0] != '.' {
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("rate %q: period must be a positive duration", s)
	}
	if n == 0 {
		return Rate{}, nil
	}
	return Rate{N: n, Per: d}, nil
}

// bucket is one token bucket's state; its Rate is kept by the caller. A
// bucket that was never used is full.
type bucket struct {
	tokens float64
	at     time.Time
}

// fill adds the tokens earned since the last call.
func (b *bucket) fill(r Rate, now time.Time) {
	if b.at.IsZero() {
		b.tokens, b.at = r.burst(), now
		return
	}
	if dt := now.Sub(b.at); dt > 0 {
		b.tokens = min(r.burst(), b.tokens+dt.Seconds()*r.perSecond())
		b.at = now
	}
}

// has reports whether a token is available, without taking it.
func (b *bucket) has(r Rate, now time.Time) bool {
	if r.Off() {
		return true
	}
	b.fill(r, now)
	return b.tokens >= 1
}

// take takes a token if there is one.
func (b *bucket) take(r Rate, now time.Time) bool {
	if !b.has(r, now) {
		return false
	}
	if !r.Off() {
		b.tokens--
	}
	return true
}

// full reports whether b is indistinguishable from a bucket never used,
// so that its source may be forgotten.
func (b *bucket) full(r Rate, now time.Time) bool {
	if r.Off() || b.at.IsZero() {
		return true
	}
	b.fill(r, now)
	return b.tokens >= r.burst()
}
