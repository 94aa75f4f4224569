package session

import (
	"context"
	"sync"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// A catch-up reads the queue in pages of up to catchUpPage messages or
// catchUpPageBytes of encoded RECIVs (one read, one write each) and sends
// at most catchUpMax messages per RECIV, so a sender who keeps queueing
// cannot hold the connection in RECIV forever. The first page is small:
// OK waits for it (ERR_EMPTY needs to know), and the client starts
// receiving while the larger pages are read.
const (
	catchUpFirstPage = 256
	catchUpPage      = 2048
	catchUpPageBytes = 1 << 20
	catchUpMax       = 16384
)

// pageBufs holds catch-up page buffers between catch-ups. A buffer is
// allocated at its full size once: grown by append, a page cost two
// copies of a megabyte and fresh memory from the kernel per catch-up
// (in a profile of the catchup load profile, as much CPU as reading the
// rows), and an idle session still keeps none.
var pageBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, catchUpPageBytes+8<<10) // one RECIV past the bound fits
	return &b
}}

// requestUser is REQ <username>: the key in the server's dialect and the
// level as one raw byte (E-14).
func (s *Session) requestUser(ctx context.Context, r *request) error {
	name, err := username(r.Args[0])
	if err != nil {
		return err
	}
	u, err := s.liveUser(ctx, name)
	if err != nil {
		return err
	}
	pub, err := spec.ParsePublicKey(u.Key)
	if err != nil {
		return fail(spec.CodeCorrupted)
	}
	key, err := s.cfg.Dialect.MarshalPublicKey(pub)
	if err != nil {
		return fail(spec.CodeCorrupted)
	}
	return s.reply(ctx, spec.NewPacket(spec.REQ, r.ID, []byte(u.Name), key, []byte{u.Perm}))
}

// listUsers is USRS with the list kind in Info (E-30).
func (s *Session) listUsers(ctx context.Context, r *request) error {
	kind := spec.UsrsKind(r.Info)
	if !kind.Valid() {
		return fail(spec.CodeOption)
	}
	var users []store.UserSummary
	if kind == spec.UsrsOnline || kind == spec.UsrsOnlinePerms {
		users = s.hub.Online()
	} else {
		var err error
		if users, err = s.st.ListUsers(ctx); err != nil {
			return err
		}
	}
	if len(users) == 0 {
		return fail(spec.CodeEmpty)
	}
	entries := make([]spec.UserEntry, len(users))
	for i, u := range users {
		entries[i] = spec.UserEntry{Name: u.Name, Perm: u.Perm, HasPerm: kind.WithPerms()}
	}
	max := s.cfg.Dialect.MaxArgSize()
	frags := spec.FormatUserList(entries, kind.WithPerms(), max)
	if len(frags) > spec.MaxArgs {
		return fail(spec.CodePacket)
	}
	p := spec.NewPacket(spec.USRS, r.ID, frags...)
	if _, err := spec.MarshalPacket(p, s.cfg.Dialect); err != nil {
		return fail(spec.CodePacket)
	}
	return s.reply(ctx, p)
}

// message is MSG <username> <stamp> <ciphertext> (E-27, E-29). OK means the
// RECIV was written to the recipient's socket or the message is stored.
func (s *Session) message(ctx context.Context, r *request) error {
	to, err := username(r.Args[0])
	if err != nil {
		return err
	}
	stamp, err := s.cfg.Dialect.ParseTimestamp(r.Args[1])
	if err != nil || len(r.Args[2]) == 0 {
		return fail(spec.CodeArgs)
	}
	from := s.member.Name
	if to == from {
		return fail(spec.CodeInvalid)
	}
	body := r.Args[2]
	if m := s.hub.Lookup(to); m != nil {
		if err := s.hold(r.ID, m, from, stamp, body); err != nil {
			return err
		}
	} else {
		s.holdOffline(r.ID, to, from, stamp, body)
	}
	if s.held.full() {
		return s.Flush(ctx)
	}
	return nil
}

// catchUp is RECIV from the client (E-28): OK, then every queued message
// as a null-ID RECIV in stamp order. Pages are read by cursor, each encoded
// straight from the store's rows into one write; the messages are deleted
// after the last page was written, by id, so a message is deleted only
// after its RECIV was written and never one that arrived meanwhile.
func (s *Session) catchUp(ctx context.Context, r *request) error {
	name := s.member.Name
	c := &s.catchup
	defer c.release()
	sent := 0
	defer func() { s.cfg.Observer.CaughtUp(sent) }()
	if err := s.readPage(ctx, name, store.Cursor{}); err != nil {
		return err
	}
	if c.n == 0 {
		return fail(spec.CodeEmpty)
	}
	if err := s.ok(ctx, r); err != nil {
		return err
	}
	for {
		err := s.conn.Deliver(ctx, c.buf)
		if err == nil {
			c.written = append(c.written, c.ids...)
			sent += c.n
		}
		if err != nil || !c.more || len(c.written) >= catchUpMax {
			s.deleteWritten(ctx, name)
			if err != nil {
				return ErrClosed
			}
			return nil
		}
		if err := s.readPage(ctx, name, c.next); err != nil {
			s.log.Error("catch-up", "user", name, "err", err)
			s.deleteWritten(ctx, name)
			return nil // OK was already sent; nothing else to say
		}
	}
}

// catchUpState is the page being sent and the ids already written.
type catchUpState struct {
	buf     []byte  // the page's encoded RECIVs
	ids     []int64 // the page's messages
	n       int
	next    store.Cursor // where the next page starts
	more    bool         // the page was full: there may be more
	written []int64
}

// readPage reads the page after pos and encodes it into c.buf.
func (s *Session) readPage(ctx context.Context, name string, pos store.Cursor) error {
	c := &s.catchup
	c.buf, c.ids, c.n, c.more = c.buf[:0], c.ids[:0], 0, false
	limit := min(catchUpPage, catchUpMax-len(c.written))
	if pos == (store.Cursor{}) {
		limit = catchUpFirstPage
	}
	if c.buf == nil {
		c.buf = (*pageBufs.Get().(*[]byte))[:0]
	}
	p := spec.Packet{Action: spec.RECIV, Info: spec.EmptyInfo, ID: spec.NullID}
	var encErr error
	err := s.st.ReadPending(ctx, name, pos, limit, func(m *store.Message) bool {
		s.stampBuf = s.cfg.Dialect.AppendTimestamp(s.stampBuf[:0], m.Stamp)
		s.fromBuf = append(s.fromBuf[:0], m.From...)
		s.args = append(s.args[:0], s.fromBuf, s.stampBuf, m.Body)
		p.Args = s.args
		if c.buf, encErr = spec.AppendPacket(c.buf, &p, s.cfg.Dialect); encErr != nil {
			return false
		}
		c.ids = append(c.ids, m.ID)
		c.n++
		c.next = m.After()
		return len(c.buf) < catchUpPageBytes
	})
	if err == nil {
		err = encErr
	}
	c.more = c.n == limit || len(c.buf) >= catchUpPageBytes
	return err
}

// deleteWritten deletes the messages whose RECIVs were written.
func (s *Session) deleteWritten(ctx context.Context, name string) {
	c := &s.catchup
	if len(c.written) == 0 {
		return
	}
	if err := s.st.DeleteMessages(ctx, name, c.written); err != nil {
		s.log.Error("catch-up delete", "user", name, "err", err)
	}
	c.written = c.written[:0]
}

// release drops the page buffers: an idle session should stay small.
// The page buffer goes back to pageBufs (Deliver keeps no reference).
func (c *catchUpState) release() {
	if c.buf != nil {
		b := c.buf[:0]
		pageBufs.Put(&b)
	}
	*c = catchUpState{}
}
