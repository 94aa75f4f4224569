package server

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/gochatproto/gochat/refserver/session"
	"github.com/gochatproto/gochat/spec"
)

// refusePause is how long the server reads nothing more from a connection
// after refusing one of its requests under a per-source limit (E-49): a
// client that pipelines REGs gets one cheap answer a second instead of
// spinning a reader goroutine.
const refusePause = time.Second

// descriptorBudget turns the open-file limit into the number of client
// sockets allowed at once (E-51) and says so in the log; 0 means no
// budget.
func (s *Server) descriptorBudget() (int, error) {
	reserve := s.cfg.Limits.FDReserve
	if reserve == 0 {
		return 0, nil
	}
	limit := s.cfg.Limits.OpenFiles
	if limit == 0 {
		var ok bool
		if limit, ok = openFileLimit(); !ok {
			s.log.Info("no open-file limit: client sockets are not budgeted")
			return 0, nil
		}
	}
	budget := limit - reserve
	if budget < 1 {
		return 0, fmt.Errorf("server: open-file limit %d leaves no room for clients after the %d descriptors reserved for the store (raise the limit or lower the reserve)", limit, reserve)
	}
	s.log.Info("descriptor budget", "open_file_limit", limit, "reserved", reserve, "max_client_sockets", budget)
	if s.cfg.MaxClients > budget {
		s.log.Warn("max clients exceeds the descriptor budget: sockets beyond the budget are refused, not queued",
			"max_clients", s.cfg.MaxClients, "max_client_sockets", budget)
	}
	return budget, nil
}

// logLimits says at start which limits for the open internet apply.
func (s *Server) logLimits() {
	l := s.cfg.Limits
	if !l.perSource() && l.LoginDeadline == 0 {
		s.log.Info("no per-source limits and no login deadline")
		return
	}
	s.log.Info("limits", "max_conns_per_source", l.MaxConnsPerSource, "login_deadline", l.LoginDeadline,
		"reg_rate", l.Reg.String(), "reg_burst", int(l.Reg.burst()),
		"login_rate", l.Login.String(), "login_burst", int(l.Login.burst()),
		"verify_fail_rate", l.VerifyFail.String(), "verify_fail_burst", int(l.VerifyFail.burst()),
		"max_pending_per_source", l.MaxPendingPerSource)
}

// refuse closes a socket that a limit turned away at accept (E-50, E-51).
// On plain TCP it first writes ERR_CONN with ID 0; on TLS nothing, since
// the client expects a handshake and the point is not to spend one.
func (s *Server) refuse(nc net.Conn, secure bool, r refusal) {
	s.obs.LimitHit(r.limit)
	if r.log {
		switch r.limit {
		case LimitDescriptors:
			s.log.Warn("refusing connections: descriptor budget exhausted",
				"remote", nc.RemoteAddr().String(), "refused_unlogged", r.quiet)
		default:
			s.log.Warn("refusing connections: source over its connection cap",
				"source", r.source.String(), "cap", s.cfg.Limits.MaxConnsPerSource, "refused_unlogged", r.quiet)
		}
	}
	if !secure {
		// A new socket's send buffer is empty: this write cannot block.
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = nc.Write(s.refuseERR)
	}
	_ = nc.Close()
}

// armLoginDeadline starts (or restarts) the login deadline at now.
func (c *conn) armLoginDeadline(now time.Time) {
	if d := c.srv.cfg.Limits.LoginDeadline; d > 0 {
		c.loginBy = now.Add(d)
	}
}

// readDeadline is the idle deadline, or the login deadline if that comes
// first.
func (c *conn) readDeadline(now time.Time) time.Time {
	t := now.Add(c.srv.cfg.IdleTimeout)
	if c.state != ConnLoggedIn && !c.loginBy.IsZero() && c.loginBy.Before(t) {
		return c.loginBy
	}
	return t
}

func (c *conn) loginOverdue(now time.Time) bool {
	return c.state != ConnLoggedIn && !c.loginBy.IsZero() && !now.Before(c.loginBy)
}

func (c *conn) closeLoginDeadline() {
	c.srv.obs.LimitHit(LimitLoginDeadline)
	c.log.Info("login deadline passed")
	c.Close(spec.CodeLogin)
}

// screen applies the login phase's limits to p before it is handled:
// handle false means p was answered (refused) here; ok false means the
// connection is being closed.
func (c *conn) screen(ctx context.Context, p *spec.Packet) (handle, ok bool) {
	if c.loginOverdue(time.Now()) {
		// A client that never lets the read block still meets its deadline.
		c.closeLoginDeadline()
		return false, false
	}
	switch p.Action {
	case spec.REG, spec.LOGIN, spec.VERIF:
	default:
		return true, true
	}
	lim, allowed := c.srv.src.allow(c.src, c, p)
	if allowed {
		return true, true
	}
	c.srv.obs.LimitHit(lim)
	c.log.Debug("request refused", "action", p.Action, "limit", lim)
	refused := &spec.Packet{Action: spec.ERR, Info: uint8(spec.CodeLogin), ID: p.ID}
	if err := c.Reply(ctx, refused); err != nil {
		c.closeQuiet()
		return false, false
	}
	return false, c.pause(ctx, refusePause)
}

// pause reads nothing for d; false if the connection closes meanwhile.
func (c *conn) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.quit:
		return false
	case <-ctx.Done():
		return false
	}
}

// changesLogin reports whether handling an action may change the login
// state.
func changesLogin(a spec.Action) bool {
	switch a {
	case spec.LOGIN, spec.VERIF, spec.LOGOUT, spec.DEREG:
		return true
	}
	return false
}

// settle follows the login state after p was handled: metrics, the
// source's verifications and failed VERIFs, and the login deadline, which
// restarts when a session ends (E-48).
func (c *conn) settle(sess *session.Session, p *spec.Packet) {
	from, to := c.state, stateOf(sess.State())
	if from != ConnLoggedIn && (p.Action == spec.VERIF || (p.Action == spec.LOGIN && len(p.Args) == 2)) {
		c.srv.obs.Login(to == ConnLoggedIn)
	}
	c.srv.src.after(c.src, c, p, from, to)
	if from == ConnLoggedIn && to != ConnLoggedIn {
		c.armLoginDeadline(time.Now())
	}
	if from != to {
		c.state = to
		c.srv.obs.ConnMoved(from, to)
	}
}
