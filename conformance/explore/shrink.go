package explore

import (
	"context"
	"fmt"
)

// shrink minimises a failing plan by replaying smaller ones (delta
// debugging over the operations, then fewer actors and connections), each
// against a fresh server when the target can start one. A candidate
// counts as failing when its run breaks one of the invariants the
// original run broke; a concurrency
// bug may not show on every replay, so the result is the smallest plan
// that failed, never a guess. Replays are bounded by o.Shrink.
func shrink(ctx context.Context, o Options, p *Plan, failures []Violation) (*Plan, []Violation, int) {
	s := &shrinker{ctx: ctx, o: o, inv: map[string]bool{}, budget: o.Shrink}
	for _, v := range failures {
		s.inv[v.Invariant] = true
	}
	best := trimTail(p, s)
	ops := best.Ops
	n := 2
	for len(ops) >= 2 && s.budget > 0 {
		chunk := (len(ops) + n - 1) / n
		reduced := false
		for start := 0; start < len(ops) && s.budget > 0; start += chunk {
			cand := append(append([]Op(nil), ops[:start]...), ops[min(start+chunk, len(ops)):]...)
			if q := withOps(best, cand); s.fails(q) {
				best, ops, reduced = q, cand, true
				n = max(n-1, 2)
				break
			}
		}
		if !reduced {
			if n >= len(ops) {
				break
			}
			n = min(n*2, len(ops))
		}
	}
	if q := compact(best); q.Actors < best.Actors || q.Conns < best.Conns {
		if s.fails(q) {
			best = q
		}
	}
	best.Shrunk = true
	why := s.last
	if len(why) == 0 {
		why = s.lastOf(best)
	}
	return best, why, o.Shrink - s.budget
}

// trimTail first tries the prefix of the plan up to the last operation a
// failure named: the cheapest large cut.
func trimTail(p *Plan, s *shrinker) *Plan {
	if len(p.Ops) < 8 {
		return p
	}
	half := withOps(p, p.Ops[:len(p.Ops)/2])
	if s.fails(half) {
		return trimTail(half, s)
	}
	return p
}

type shrinker struct {
	ctx    context.Context
	o      Options
	inv    map[string]bool
	budget int
	last   []Violation
}

func (s *shrinker) fails(p *Plan) bool {
	if s.budget <= 0 || s.ctx.Err() != nil {
		return false
	}
	s.budget--
	out, vs, err := runPlan(s.ctx, s.o, p)
	if err != nil || out.Setup != nil {
		return false
	}
	failures, _ := Judge(vs, s.o.Strict)
	var same []Violation
	for _, v := range failures {
		if s.inv[v.Invariant] {
			same = append(same, v)
		}
	}
	if s.o.Log != nil {
		fmt.Fprintf(s.o.Log, "explore: shrink: %d ops, %d actors: %v\n", len(p.Ops), p.Actors, len(same) > 0)
	}
	if len(same) > 0 {
		s.last = same
		return true
	}
	return false
}

func (s *shrinker) lastOf(*Plan) []Violation { return s.last }

func withOps(p *Plan, ops []Op) *Plan {
	q := *p
	q.Ops = ops
	return &q
}

// compact renumbers the actors and connection slots the plan still uses.
func compact(p *Plan) *Plan {
	actor, conn := map[int]int{}, map[int]int{}
	id := func(m map[int]int, k int) int {
		if v, ok := m[k]; ok {
			return v
		}
		m[k] = len(m)
		return m[k]
	}
	q := *p
	q.Ops = nil
	for _, op := range p.Ops {
		op.Actor, op.Conn = id(actor, op.Actor), id(conn, op.Conn)
		q.Ops = append(q.Ops, op)
	}
	for i := range q.Ops {
		if q.Ops[i].Peer >= 0 && !q.Ops[i].Kind.admin() { // an admin op's target is its Actor
			q.Ops[i].Peer = id(actor, p.Ops[i].Peer)
		}
	}
	q.Actors, q.Conns = max(len(actor), 1), max(len(conn), 1)
	return &q
}
