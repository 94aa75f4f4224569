package wire

import (
	"context"
	"fmt"

	"github.com/gochatproto/gochat/spec"
)

// minimize delta-debugs a failing case: first the delivery (one write, no
// second connection, no login), then whole frames, then single bytes.
// Every attempt runs on a fresh target when cfg.Reset is set; otherwise
// on the original one while it still answers.
//
// recent holds the failing case first, then the cases before it: a failure
// noticed at the start of a case (no HELLO, login impossible) may have been
// caused by the previous one, e.g. bytes written just before an abrupt
// close. With cfg.Reset the first of them that fails on a fresh server is
// the one minimised.
func minimize(ctx context.Context, cfg *FuzzConfig, e *env, recent []*fcase, f *failure) *Finding {
	fc := recent[0]
	full := f.kind == "round-trip"
	budget := cfg.MaxMinimizeRuns
	canFresh := cfg.Reset != nil || cfg.Restart != nil
	confirmed := !canFresh
	if canFresh {
		for _, c := range recent {
			budget--
			g := runFresh(ctx, cfg, e, c, true)
			cfg.logf("rerun of case %d on a fresh target: %v", c.idx, g)
			if g != nil {
				fc, f, confirmed = c, g, true
				break
			}
		}
	}
	fd := &Finding{Seed: cfg.Seed, Case: fc.idx, Kind: f.kind, Detail: f.detail, Mutation: fc.mutation,
		Auth: fc.auth, Admin: fc.admin, Delivery: string(fc.delivery), Stream: fc.stream, Original: len(fc.stream), Confirmed: confirmed}
	if !confirmed {
		budget = 0 // nothing to compare attempts with
	}
	stuck := false
	test := func(c *fcase) bool {
		if budget <= 0 || stuck || ctx.Err() != nil {
			return false
		}
		budget--
		fd.Runs++
		t, done, err := target(ctx, cfg, e)
		if err != nil {
			stuck = true // the server is gone and cannot be reset: keep what we have
			return false
		}
		defer done()
		g := t.run(ctx, c, full)
		if g != nil && g.kind == f.kind {
			fd.replies = append([]spec.Header(nil), t.replies...)
			return true
		}
		return false
	}
	best := *fc
	if simple := (fcase{idx: fc.idx, auth: fc.auth, admin: fc.admin, stream: fc.stream, delivery: oneWrite, splits: [][]byte{fc.stream}}); fc.delivery != oneWrite && test(&simple) {
		best = simple
	}
	if best.auth {
		if c := best; true {
			c.auth = false
			if test(&c) {
				best = c
			}
		}
	}
	if best.delivery == oneWrite || best.delivery == abrupt || best.delivery == slowReader {
		try := func(units [][]byte) bool {
			c := best
			c.stream = joinUnits(units)
			c.splits = [][]byte{c.stream}
			return test(&c)
		}
		units := ddmin(frames(best.stream), try)
		units = ddmin(bytesOf(joinUnits(units)), try)
		best.stream = joinUnits(units)
		best.splits = [][]byte{best.stream}
	}
	fd.Stream, fd.Auth, fd.Delivery = best.stream, best.auth, string(best.delivery)
	fd.verdict = analyze(best.stream, cfg.Dialect)
	cfg.logf("minimised %d -> %d bytes in %d runs (%s)", fd.Original, len(fd.Stream), fd.Runs, fd.Delivery)
	return fd
}

// runFresh runs one case on a server that has seen nothing before it: a
// Reset target of its own, or (with Restart) the run's server restarted.
func runFresh(ctx context.Context, cfg *FuzzConfig, e *env, c *fcase, full bool) *failure {
	t, done, err := fresh(ctx, cfg, e)
	if err != nil {
		return &failure{"reset", err.Error()}
	}
	defer done()
	return t.run(ctx, c, full)
}

func fresh(ctx context.Context, cfg *FuzzConfig, e *env) (*env, func(), error) {
	if cfg.Reset == nil {
		if err := e.restart(ctx); err != nil {
			return nil, nil, err
		}
		return e, func() {}, nil
	}
	addr, err := cfg.Reset(ctx)
	if err != nil {
		return nil, nil, err
	}
	t, err := newEnv(ctx, cfg, addr, e.ra)
	if err != nil {
		return nil, nil, err
	}
	return t, t.close, nil
}

// target returns an environment for one attempt and its cleanup: a fresh
// one with Reset, else the run's server, restarted (with Restart) only when
// it no longer answers.
func target(ctx context.Context, cfg *FuzzConfig, e *env) (*env, func(), error) {
	if cfg.Reset != nil {
		return fresh(ctx, cfg, e)
	}
	if f := e.invariants(ctx, false); f != nil {
		if err := e.recover(ctx); err != nil {
			return nil, nil, fmt.Errorf("target unusable after %v: %w", f, err)
		}
	}
	return e, func() {}, nil
}

// frames cuts a stream at the packet boundaries its headers claim.
func frames(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := len(b)
		if n >= spec.HeaderSize+2 {
			n = min(n, spec.HeaderSize+2+int(spec.ParseHeader(b).Len))
		}
		out, b = append(out, b[:n]), b[n:]
	}
	return out
}

func bytesOf(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

func joinUnits(us [][]byte) []byte {
	var out []byte
	for _, u := range us {
		out = append(out, u...)
	}
	return out
}

// ddmin is Zeller's delta debugging over complements: it removes ever
// smaller chunks while the failure persists. test must be deterministic
// enough; a flaky failure only makes the result less minimal.
func ddmin(units [][]byte, test func([][]byte) bool) [][]byte {
	n := 2
	for len(units) >= 2 {
		chunk := (len(units) + n - 1) / n
		reduced := false
		for start := 0; start < len(units); start += chunk {
			end := min(start+chunk, len(units))
			cand := append(append([][]byte{}, units[:start]...), units[end:]...)
			if len(cand) > 0 && test(cand) {
				units, n, reduced = cand, max(n-1, 2), true
				break
			}
		}
		if !reduced {
			if n >= len(units) {
				break
			}
			n = min(2*n, len(units))
		}
	}
	return units
}
