package explore

import (
	"context"
	"time"

	"github.com/gochatproto/gochat/spec"
)

// adminIndex is the admin's actor number in the history: after the
// actors and the observer.
func (x *executor) adminIndex() int { return len(x.cfg.Accounts) }

// adminLogin logs the admin in on its own connection (one try: on a
// shared server the admin may be logged in elsewhere, and then the round
// simply has no administrative operations). Nil without an admin.
func (x *executor) adminLogin(ctx context.Context) *conn {
	acc := x.cfg.Admin
	if acc == nil || !x.cfg.Plan.hasAdminOps() {
		return nil
	}
	c, err := x.dial(ctx, x.adminIndex(), "admin", -1)
	if err != nil {
		return nil
	}
	if c.answer(ctx, *acc, c.call(ctx, spec.NewPacket(spec.LOGIN, 0, []byte(acc.Name)), -1)) {
		return c
	}
	c.close(-1)
	return nil
}

func (p *Plan) hasAdminOps() bool {
	for _, op := range p.Ops {
		if op.Kind.admin() {
			return true
		}
	}
	return false
}

// runAdmin runs the plan's administrative operations on adm, each once
// the actors have done the operations that precede it in the plan (or
// have all finished), so that kicks and level changes race with them.
func (x *executor) runAdmin(ctx context.Context, adm *conn, finished <-chan struct{}) {
	ops, after := x.cfg.Plan.adminOps()
	for i, op := range ops {
		if !x.waitActors(ctx, int64(after[i]), finished) {
			return
		}
		if adm != nil && !adm.dead() {
			x.adminDo(ctx, adm, op)
		}
		x.done.Add(1)
	}
}

// waitActors waits until the actors have done n operations or finished;
// false when the run is cancelled.
func (x *executor) waitActors(ctx context.Context, n int64, finished <-chan struct{}) bool {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for x.actorsDone.Load() < n {
		select {
		case <-finished:
			return ctx.Err() == nil
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return ctx.Err() == nil
}

// adminDo sends one administrative request and waits for its reply.
func (x *executor) adminDo(ctx context.Context, adm *conn, op Op) {
	target := []byte(x.cfg.Accounts[op.Actor].Name)
	var p *spec.Packet
	switch op.Kind {
	case OpAdminKick:
		p = spec.NewPacket(spec.ADMIN, 0, target)
		p.Info = uint8(spec.AdminKick)
	case OpAdminPerms:
		p = spec.NewPacket(spec.ADMIN, 0, target, []byte{byte(op.Level)})
		p.Info = uint8(spec.AdminChgPerms)
	default:
		return
	}
	adm.call(ctx, p, op.Index)
}
