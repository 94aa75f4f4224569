// Package session is the per-connection protocol state machine of the
// reference server. A Session receives decoded, well-framed packets from the
// transport one at a time, checks each command's precondition in one place
// (the command table), and runs its handler. Handlers reply through the Conn
// interface and reach shared state through the hub and the store; they never
// see sockets.
package session

import (
	"context"
	"errors"
	"log/slog"

	"github.com/gochatproto/gochat/refserver/hub"
	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// Conn is a session's view of its own connection.
type Conn interface {
	hub.Peer
	// Reply queues the packets back to back (nothing else can be written
	// between them), waiting for room in the write queue but not for the
	// write itself. It fails once the connection is closing.
	Reply(ctx context.Context, ps ...*spec.Packet) error
	// ReplyBytes is Reply for packets already encoded in the server's
	// dialect; it does not retain pkts.
	ReplyBytes(ctx context.Context, pkts []byte) error
}

// Config holds the session's tunables.
type Config struct {
	Dialect  spec.Dialect
	Logger   *slog.Logger
	Observer Observer // nil = none
}

// Session is the protocol state of one connection. Handle and Close must be
// called from one goroutine (the connection's reader).
type Session struct {
	cfg    Config
	hub    *hub.Hub
	st     store.Store
	conn   Conn
	log    *slog.Logger
	member *hub.Member // the logged-in session, nil when anonymous

	req      request  // the packet being handled
	held     heldMsgs // MSGs accepted but not yet answered
	catchup  catchUpState
	stampBuf []byte // scratch for encoding RECIVs
	fromBuf  []byte
	args     [][]byte
}

// New returns the state of a fresh, anonymous connection.
func New(cfg Config, h *hub.Hub, st store.Store, conn Conn) *Session {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	return &Session{cfg: cfg, hub: h, st: st, conn: conn, log: cfg.Logger}
}

// need is a command's precondition on the session state.
type need uint8

const (
	needNone             need = iota // any state (KEEP)
	needAnonymous                    // not logged in, else ERR_INVALID (E-24)
	needPendingOrSession             // logged in or verifying, else ERR_NOSESS (E-22)
	needSession                      // logged in, else ERR_NOSESS
)

// request is one server-bound command. Args alias the decoder's buffer and
// are valid only while the handler runs.
type request struct {
	ID   uint16
	Info uint8
	Args [][]byte
}

type command struct {
	need need
	run  func(s *Session, ctx context.Context, r *request) error
}

// commands is the whole server-bound protocol. Header checks done by the
// decoder guarantee the argument count matches the action's schema.
var commands map[spec.Action]command

func init() {
	commands = map[spec.Action]command{
		spec.KEEP:   {needNone, func(*Session, context.Context, *request) error { return nil }},
		spec.REG:    {needAnonymous, (*Session).register},
		spec.LOGIN:  {needAnonymous, (*Session).login},
		spec.VERIF:  {needAnonymous, (*Session).verify},
		spec.LOGOUT: {needPendingOrSession, (*Session).logout},
		spec.DEREG:  {needSession, (*Session).deregister},
		spec.REQ:    {needSession, (*Session).requestUser},
		spec.USRS:   {needSession, (*Session).listUsers},
		spec.MSG:    {needSession, (*Session).message},
		spec.RECIV:  {needSession, (*Session).catchUp},
		spec.SUB:    {needSession, (*Session).subscribe},
		spec.UNSUB:  {needSession, (*Session).unsubscribe},
		spec.ADMIN:  {needSession, (*Session).admin},
	}
}

// ErrClosed is returned by Handle when the connection can no longer be
// written to; the transport should stop reading.
var ErrClosed = errors.New("session: connection closed")

// replyErr makes a handler answer ERR with the request's ID.
type replyErr spec.ErrCode

func (e replyErr) Error() string { return "reply " + spec.ErrCode(e).String() }

func fail(code spec.ErrCode) error { return replyErr(code) }

// Handle runs one packet. It returns an error only when the connection
// must be closed. A MSG to an online recipient may be held back until the
// next Flush; any other command flushes first, so answers keep request
// order.
func (s *Session) Handle(ctx context.Context, p *spec.Packet) error {
	if p.Action != spec.MSG {
		if err := s.Flush(ctx); err != nil {
			return err
		}
	}
	cmd, ok := commands[p.Action]
	if !ok {
		// The decoder only passes server-bound actions; this is defence.
		return s.sendErr(ctx, p.ID, spec.CodeInvalid)
	}
	// The request lives in the session: through the command table's
	// indirect call a local one would escape, one allocation per packet.
	s.req = request{ID: p.ID, Info: p.Info, Args: p.Args}
	r := &s.req
	if code, ok := s.check(cmd.need); !ok {
		return s.sendErr(ctx, r.ID, code)
	}
	err := cmd.run(s, ctx, r)
	var re replyErr
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return s.sendErr(ctx, r.ID, spec.ErrCode(re))
	case errors.Is(err, ErrClosed):
		return err
	}
	s.log.Error("command failed", "action", p.Action, "user", s.name(), "err", err)
	return s.sendErr(ctx, r.ID, spec.CodeServer)
}

// check applies a precondition and returns the code to refuse with.
func (s *Session) check(n need) (spec.ErrCode, bool) {
	in := s.loggedIn()
	switch n {
	case needAnonymous:
		if in {
			return spec.CodeInvalid, false
		}
	case needPendingOrSession:
		if !in && !s.hub.HasPending(s) {
			return spec.CodeNoSess, false
		}
	case needSession:
		if !in {
			return spec.CodeNoSess, false
		}
	}
	return 0, true
}

// loggedIn reports whether this connection still holds a live session; an
// admin may have kicked or deregistered it from another connection.
func (s *Session) loggedIn() bool {
	if s.member != nil && s.hub.Lookup(s.member.Name) != s.member {
		s.member = nil
	}
	return s.member != nil
}

func (s *Session) name() string {
	if s.member == nil {
		return ""
	}
	return s.member.Name
}

// Close releases the session when the connection ends: the pending
// verification is dropped and a logged-in user goes offline (E-36 logout
// hook, subscriptions removed).
func (s *Session) Close() {
	// Held MSGs are still delivered (or stored); their answers are lost
	// with the connection, as they would be if the close came a moment
	// earlier.
	_ = s.Flush(context.Background())
	s.hub.CancelVerify(s)
	if s.member != nil {
		s.hub.Logout(s.member)
		s.member = nil
	}
}

func (s *Session) reply(ctx context.Context, ps ...*spec.Packet) error {
	if err := s.Flush(ctx); err != nil {
		return err
	}
	if err := s.conn.Reply(ctx, ps...); err != nil {
		return ErrClosed
	}
	return nil
}

func (s *Session) ok(ctx context.Context, r *request) error {
	return s.reply(ctx, spec.NewPacket(spec.OK, r.ID))
}

func (s *Session) sendErr(ctx context.Context, id uint16, code spec.ErrCode) error {
	return s.reply(ctx, &spec.Packet{Action: spec.ERR, Info: uint8(code), ID: id})
}

// username normalizes a username argument (E-17).
func username(b []byte) (string, error) {
	name, err := spec.NormalizeUsername(b)
	if err != nil {
		return "", fail(spec.CodeArgs)
	}
	return name, nil
}

// liveUser looks up a user that must exist and not be deregistered.
func (s *Session) liveUser(ctx context.Context, name string) (store.User, error) {
	u, err := s.st.UserByName(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return u, fail(spec.CodeNotFound)
	case err != nil:
		return u, err
	case u.Deregistered:
		return u, fail(spec.CodeDereg)
	}
	return u, nil
}
