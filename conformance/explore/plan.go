// Package explore is the model-based, concurrent, randomized explorer
// behind "gochat-conformance explore". It keeps Jepsen's split: a seeded
// generator writes a plan (which actor does what, on which of its
// connections), an executor runs the actors concurrently against a server
// and records a history (every request's invocation and completion, every
// push, every open and close), and checkers judge the whole history
// against a model of the protocol. A failing plan is shrunk by replaying
// smaller plans against fresh servers.
package explore

import (
	"fmt"
	"math/rand/v2"
)

// Kind is one generated operation.
type Kind string

// Operations. Each runs on one connection of one actor; the executor
// dials the connection first when it is closed.
const (
	OpLogin      Kind = "login"       // LOGIN, then VERIF with the right plaintext
	OpLoginHalf  Kind = "login-half"  // LOGIN only: the verification stays pending
	OpLoginWrong Kind = "login-wrong" // LOGIN, then VERIF with a wrong plaintext
	OpLoginClose Kind = "login-close" // LOGIN, then close before VERIF
	OpLogout     Kind = "logout"
	OpMsg        Kind = "msg"   // MSG to Peer (-1: an unknown name; the actor itself: self)
	OpReciv      Kind = "reciv" // catch-up
	OpReq        Kind = "req"
	OpUsrs       Kind = "usrs" // USRS_ONLINE
	OpSub        Kind = "sub"  // SUB HOOK_ALL
	OpUnsub      Kind = "unsub"
	OpKeep       Kind = "keep"
	OpBurst      Kind = "burst"       // N requests written before any reply is read
	OpBurstClose Kind = "burst-close" // a burst, then close without reading
	OpClose      Kind = "close"       // abrupt close
	// Two devices racing for one account: LOGIN written on two of the
	// actor's connections before either VERIF; race-close then closes the
	// second one while the first answers its challenge.
	OpRaceLogin Kind = "race-login"
	OpRaceClose Kind = "race-close"
	// login-late answers the challenge only after the server's
	// verification timeout (when the explorer knows it, i.e. it starts the
	// servers); otherwise it is a plain login.
	OpLoginLate Kind = "login-late"
	// tls-login dials the slot anew over TLS and logs in there (the
	// decrypted challenge becomes the account's reusable token);
	// token-login dials over TLS and logs in with the latest token. Both
	// are plain logins when the target has no TLS address.
	OpTLSLogin   Kind = "tls-login"
	OpTokenLogin Kind = "token-login"
	// Administrative operations, generated only when the explorer has an
	// admin account. The admin runs them from its own connection,
	// concurrently with the actors; Actor names the target (always an
	// actor, never the admin or the observer) and Conn is unused.
	OpAdminKick  Kind = "admin-kick"  // ADMIN_KICK of the target
	OpAdminPerms Kind = "admin-perms" // ADMIN_CHGPERMS of the target to Level
)

// admin reports whether k is run by the admin, not by its actor.
func (k Kind) admin() bool { return k == OpAdminKick || k == OpAdminPerms }

// Op is one step of the plan. Index is its position in the generated plan
// and stays the same while shrinking, so message texts and findings keep
// naming the same operation.
type Op struct {
	Index int  `json:"index"`
	Actor int  `json:"actor"`
	Conn  int  `json:"conn"`
	Kind  Kind `json:"kind"`
	Peer  int  `json:"peer,omitempty"`
	N     int  `json:"n,omitempty"`     // burst size
	Level int  `json:"level,omitempty"` // admin-perms: the new level (0..2)
}

func (o Op) String() string {
	s := fmt.Sprintf("#%d a%d/c%d %s", o.Index, o.Actor, o.Conn, o.Kind)
	switch o.Kind {
	case OpAdminKick:
		return fmt.Sprintf("#%d admin kick a%d", o.Index, o.Actor)
	case OpAdminPerms:
		return fmt.Sprintf("#%d admin perms a%d level=%d", o.Index, o.Actor, o.Level)
	case OpMsg, OpReq:
		s += fmt.Sprintf(" peer=%d", o.Peer)
	case OpBurst, OpBurstClose:
		s += fmt.Sprintf(" n=%d peer=%d", o.N, o.Peer)
	}
	return s
}

// Plan is what the generator produced: the actors, their connections and
// the operations in generation order. The executor gives each actor its
// own operations in that order; actors run concurrently.
type Plan struct {
	Seed    uint64 `json:"seed"`
	Actors  int    `json:"actors"`
	Conns   int    `json:"conns_per_actor"`
	Ops     []Op   `json:"ops"`
	Shrunk  bool   `json:"shrunk,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// weights of the operations. Logins and messages dominate because most
// invariants are about sessions and deliveries; closes and bursts are
// frequent enough that every run has many of them.
var weights = []struct {
	k Kind
	w int
}{
	{OpLogin, 16}, {OpLoginHalf, 3}, {OpLoginWrong, 3}, {OpLoginClose, 4}, {OpLogout, 8},
	{OpMsg, 20}, {OpReciv, 6}, {OpReq, 4}, {OpUsrs, 8}, {OpSub, 6}, {OpUnsub, 2},
	{OpKeep, 2}, {OpBurst, 6}, {OpBurstClose, 3}, {OpClose, 5}, {OpRaceLogin, 4}, {OpRaceClose, 4},
	{OpLoginLate, 1}, {OpTLSLogin, 3}, {OpTokenLogin, 3},
}

// adminWeights are added to weights when the explorer has an admin. They
// are low: a kick ends a session the actor then has to rebuild, and a
// few changes of level per round are enough for the hook check.
var adminWeights = []struct {
	k Kind
	w int
}{{OpAdminKick, 2}, {OpAdminPerms, 3}}

// Generator draws operations from a seeded stream, so a long run can
// take its plan round by round: the same seed and sizes give the same
// operations on every machine (math/rand/v2's PCG is specified).
type Generator struct {
	r             *rand.Rand
	seed          uint64
	actors, conns int
	next          int
	admin         bool
}

// NewGenerator starts the stream for seed.
func NewGenerator(seed uint64, actors, conns int) *Generator {
	return &Generator{r: rand.New(rand.NewPCG(seed, 0x6f63686174)), seed: seed, actors: max(actors, 1), conns: max(conns, 1)}
}

// WithAdmin makes the generator draw administrative operations too.
// Without it the stream is the same as before they existed, so the seeds
// of recorded findings keep their plans.
func (g *Generator) WithAdmin(on bool) *Generator {
	g.admin = on
	return g
}

// Next returns the plan of the next n operations.
func (g *Generator) Next(n int) *Plan {
	table := weights
	if g.admin {
		table = append(table[:len(table):len(table)], adminWeights...)
	}
	total := 0
	for _, w := range table {
		total += w.w
	}
	p := &Plan{Seed: g.seed, Actors: g.actors, Conns: g.conns}
	for range n {
		op := Op{Index: g.next, Actor: g.r.IntN(g.actors), Conn: g.r.IntN(g.conns)}
		g.next++
		x := g.r.IntN(total)
		for _, w := range table {
			if x < w.w {
				op.Kind = w.k
				break
			}
			x -= w.w
		}
		op.Peer = pickPeer(g.r, op.Actor, g.actors)
		if op.Kind == OpBurst || op.Kind == OpBurstClose {
			op.N = 2 + g.r.IntN(5)
		}
		if (op.Kind == OpRaceLogin || op.Kind == OpRaceClose) && g.conns < 2 {
			op.Kind = OpLogin
		}
		if op.Kind.admin() {
			op.Conn, op.Peer = 0, 0
			if op.Kind == OpAdminPerms {
				op.Level = g.r.IntN(3)
			}
		}
		p.Ops = append(p.Ops, op)
	}
	return p
}

// Generate returns the first ops operations for seed.
func Generate(seed uint64, actors, conns, ops int) *Plan {
	return NewGenerator(seed, actors, conns).Next(ops)
}

// pickPeer names a recipient: mostly another actor, sometimes the actor
// itself or an unknown name (-1).
func pickPeer(r *rand.Rand, self, actors int) int {
	switch x := r.IntN(20); {
	case x == 0:
		return -1
	case x == 1 || actors == 1:
		return self
	default:
		p := r.IntN(actors - 1)
		if p >= self {
			p++
		}
		return p
	}
}

// byActor splits the plan's operations per actor, keeping their order;
// administrative operations are the admin's, not their target's.
func (p *Plan) byActor() [][]Op {
	out := make([][]Op, p.Actors)
	for _, op := range p.Ops {
		if !op.Kind.admin() {
			out[op.Actor] = append(out[op.Actor], op)
		}
	}
	return out
}

// adminOps returns the administrative operations in plan order, each
// with the number of actor operations that precede it in the plan: the
// admin waits until the actors have done that many, so that its
// operations fall among theirs instead of all at the start.
func (p *Plan) adminOps() (ops []Op, after []int) {
	n := 0
	for _, op := range p.Ops {
		if op.Kind.admin() {
			ops, after = append(ops, op), append(after, n)
		} else {
			n++
		}
	}
	return ops, after
}
