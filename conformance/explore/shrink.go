package explore

import (
	"context"
	"fmt"
)

// shrink minimises a failing plan by replaying smaller ones (delta
// debugging over the operations, then fewer actors and connections), each
// against a fresh server when the target can start one. A candidate
// counts as failing when its run breaks one of the invariants the
// original run broke. A concurrency bug need not show on every replay, so
// a candidate that passes is replayed again, up to o.ShrinkTries times,
// before it is thrown away: under the race detector on a loaded machine
// one try let chance decide, and big plans that held the bug were
// discarded. The result is the smallest plan that failed, never a guess.
// All replays together are bounded by o.Shrink.
func shrink(ctx context.Context, o Options, p *Plan, failures []Violation) (*Plan, []Violation, int) {
	return newShrinker(ctx, o, failures).shrink(p)
}

func newShrinker(ctx context.Context, o Options, failures []Violation) *shrinker {
	s := &shrinker{ctx: ctx, o: o, inv: map[string]bool{}, budget: o.Shrink, tries: o.ShrinkTries}
	if s.tries <= 0 {
		s.tries = DefaultShrinkTries
	}
	for _, v := range failures {
		s.inv[v.Invariant] = true
	}
	s.last = failures // what the plan breaks if no smaller one fails
	s.replay = s.runJudged
	return s
}

func (s *shrinker) shrink(p *Plan) (*Plan, []Violation, int) {
	best := s.trimTail(p)
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
	return best, s.last, s.o.Shrink - s.budget
}

// trimTail first tries the prefix of the plan that ends at the last
// operation a failure named (when every failure names one: a violation
// found in the quiescent phase may need any operation), then halves of
// the plan: the cheapest large cuts.
func (s *shrinker) trimTail(p *Plan) *Plan {
	if end := namedPrefix(p, s.last); end < len(p.Ops) {
		if q := withOps(p, p.Ops[:end]); s.fails(q) {
			p = q
		}
	}
	for len(p.Ops) >= 8 {
		half := withOps(p, p.Ops[:len(p.Ops)/2])
		if !s.fails(half) {
			break
		}
		p = half
	}
	return p
}

// namedPrefix is the length of p's prefix through the last operation vs
// name, or len(p.Ops) when there is none or one names no operation.
func namedPrefix(p *Plan, vs []Violation) int {
	if len(vs) == 0 {
		return len(p.Ops)
	}
	last := -1
	for _, v := range vs {
		if v.Op < 0 {
			return len(p.Ops)
		}
		last = max(last, v.Op)
	}
	for i, op := range p.Ops {
		if op.Index > last {
			return max(i, 1)
		}
	}
	return len(p.Ops)
}

type shrinker struct {
	ctx    context.Context
	o      Options
	inv    map[string]bool
	budget int
	tries  int
	last   []Violation
	// replay runs a plan once and gives the failures it judged (nil when
	// the run could not be made); tests replace it.
	replay func(context.Context, *Plan) []Violation
}

// fails replays p until it breaks one of the original invariants, at most
// s.tries times and within the budget.
func (s *shrinker) fails(p *Plan) bool {
	for try := 1; try <= s.tries; try++ {
		if s.budget <= 0 || s.ctx.Err() != nil {
			return false
		}
		s.budget--
		var same []Violation
		for _, v := range s.replay(s.ctx, p) {
			if s.inv[v.Invariant] {
				same = append(same, v)
			}
		}
		if s.o.Log != nil {
			fmt.Fprintf(s.o.Log, "explore: shrink: %d ops, %d actors, try %d: %v\n", len(p.Ops), p.Actors, try, len(same) > 0)
		}
		if len(same) > 0 {
			s.last = same
			return true
		}
	}
	return false
}

func (s *shrinker) runJudged(ctx context.Context, p *Plan) []Violation {
	out, vs, err := runPlan(ctx, s.o, p)
	if err != nil || out.Setup != nil {
		return nil
	}
	failures, _ := Judge(vs, s.o.Strict)
	return failures
}

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
