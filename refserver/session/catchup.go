package session

import (
	"context"

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

// catchUp is RECIV from the client (E-28): OK, then every queued message
// as a null-ID RECIV in stamp order. Pages are read by cursor, each encoded
// straight from the store's rows into one write, and the next page is read
// while the current one is written. The messages are deleted after the
// last page was written, by id, so a message is deleted only after its
// RECIV was written and never one that arrived meanwhile (E-56).
func (s *Session) catchUp(ctx context.Context, r *request) error {
	name := s.member.Name
	var (
		cur, next = &page{}, &page{}
		written   []int64
	)
	if err := s.readPage(ctx, name, store.Cursor{}, catchUpFirstPage, cur); err != nil {
		return err
	}
	if cur.n == 0 {
		return fail(spec.CodeEmpty)
	}
	if err := s.ok(ctx, r); err != nil {
		return err
	}
	for {
		total := len(written) + cur.n
		var (
			prefetch = cur.more && total < catchUpMax
			done     chan struct{}
			readErr  error
		)
		if prefetch {
			// Owned here and always waited for below.
			done = make(chan struct{})
			limit := min(catchUpPage, catchUpMax-total)
			go func() {
				defer close(done)
				readErr = s.readPage(ctx, name, cur.next, limit, next)
			}()
		}
		err := s.conn.Deliver(ctx, cur.buf)
		if prefetch {
			<-done
		}
		if err == nil {
			written = append(written, cur.ids...)
		}
		switch {
		case err != nil:
			s.deleteWritten(ctx, name, written)
			return ErrClosed
		case readErr != nil:
			s.log.Error("catch-up", "user", name, "err", readErr)
			s.deleteWritten(ctx, name, written)
			return nil // OK was already sent; nothing else to say
		case !prefetch || next.n == 0:
			s.deleteWritten(ctx, name, written)
			return nil
		}
		cur, next = next, cur
	}
}

// page is one page of a catch-up: its encoded RECIVs and their ids. Each
// page has its own scratch, so the next page can be encoded while this
// one is written.
type page struct {
	buf  []byte
	ids  []int64
	n    int
	next store.Cursor // where the next page starts
	more bool         // the page was full: there may be more
	pkt  spec.Packet
	args [3][]byte
	from []byte
	ts   []byte
}

// readPage reads up to limit messages after pos into p.
func (s *Session) readPage(ctx context.Context, name string, pos store.Cursor, limit int, p *page) error {
	if p.buf == nil && limit > catchUpFirstPage {
		p.buf = make([]byte, 0, catchUpPageBytes+8<<10) // one RECIV past the bound fits
	}
	p.buf, p.ids, p.n, p.more = p.buf[:0], p.ids[:0], 0, false
	p.pkt = spec.Packet{Action: spec.RECIV, Info: spec.EmptyInfo, ID: spec.NullID}
	var encErr error
	err := s.st.ReadPending(ctx, name, pos, limit, func(m *store.Message) bool {
		p.ts = s.cfg.Dialect.AppendTimestamp(p.ts[:0], m.Stamp)
		p.from = append(p.from[:0], m.From...)
		p.args = [3][]byte{p.from, p.ts, m.Body}
		p.pkt.Args = p.args[:]
		if p.buf, encErr = spec.AppendPacket(p.buf, &p.pkt, s.cfg.Dialect); encErr != nil {
			return false
		}
		p.ids = append(p.ids, m.ID)
		p.n++
		p.next = m.After()
		return len(p.buf) < catchUpPageBytes
	})
	if err == nil {
		err = encErr
	}
	p.more = p.n == limit || len(p.buf) >= catchUpPageBytes
	return err
}

// deleteWritten deletes the messages whose RECIVs were written.
func (s *Session) deleteWritten(ctx context.Context, name string, ids []int64) {
	if len(ids) == 0 {
		return
	}
	if err := s.st.DeleteMessages(ctx, name, ids); err != nil {
		s.log.Error("catch-up delete", "user", name, "err", err)
	}
}
