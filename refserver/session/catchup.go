package session

import (
	"context"
	"sync"
	"time"

	"github.com/gochatproto/gochat/refserver/store"
	"github.com/gochatproto/gochat/spec"
)

// A catch-up sends at most catchUpMax messages per RECIV, so a sender who
// keeps queueing cannot hold the connection in RECIV forever. The first
// page is small and read alone: OK waits for it (ERR_EMPTY needs to know),
// and the client starts receiving while the rest is read. The rest is
// split into pages of catchUpPage messages by store.PendingBounds and read
// by catchUpReaders goroutines at once, each page encoded straight from
// the store's rows into one buffer and written as one write, in order.
// Reading a row is most of a catch-up's CPU (SQLite's driver: ~3 µs a
// row), so one reader left the second core to the client alone.
const (
	catchUpFirstPage = 256
	catchUpPage      = 1024
	catchUpReaders   = 2
	catchUpMax       = 16384
)

// pageBufs holds page buffers between pages and catch-ups. A buffer is
// allocated at its full size once: grown by append, a page cost two
// copies of its bytes and fresh memory from the kernel per catch-up (in a
// profile of the catchup load profile, as much CPU as reading the rows),
// and an idle session keeps none.
var pageBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, catchUpPage*640) // 1,024 RECIVs of 512-byte bodies
	return &b
}}

// page is one part of a catch-up: the messages after the position after,
// at most limit, and if bounded none after until (a message queued into
// the range meanwhile may push later ones past limit: they stay queued
// for the next RECIV, as any message not written does).
type page struct {
	after, until store.Cursor
	bounded      bool
	limit        int

	buf  []byte  // the page's encoded RECIVs
	ids  []int64 // its messages
	next store.Cursor
	err  error
	done chan struct{} // closed when the page was read
}

// catchUp is RECIV from the client (E-28): OK, then every queued message
// as a null-ID RECIV in stamp order. The messages are deleted by id after
// the last page was written, so a message is deleted only after its RECIV
// was written and never one that arrived meanwhile.
func (s *Session) catchUp(ctx context.Context, r *request) error {
	name := s.member.Name
	first := &page{limit: catchUpFirstPage}
	defer first.release()
	if err := s.readPage(ctx, name, first, &s.enc); err != nil {
		return err
	}
	if len(first.ids) == 0 {
		return fail(spec.CodeEmpty)
	}
	if err := s.ok(ctx, r); err != nil {
		return err
	}
	var written []int64
	defer func() {
		s.cfg.Observer.CaughtUp(len(written))
		s.deleteWritten(ctx, name, written)
	}()
	if err := s.conn.Deliver(ctx, first.buf); err != nil {
		return ErrClosed
	}
	written = append(written, first.ids...)
	pos, more := first.next, len(first.ids) == first.limit
	for more && len(written) < catchUpMax {
		pages, err := s.planPages(ctx, name, pos, catchUpMax-len(written))
		if err == nil {
			pos, more, err = s.sendPages(ctx, name, pages, &written)
		}
		if err == ErrClosed {
			return err
		}
		if err != nil {
			s.log.Error("catch-up", "user", name, "err", err)
			return nil // OK was already sent; nothing else to say
		}
	}
	return nil
}

// planPages splits up to budget messages after pos into pages: full pages
// ending at the store's bounds, then one open page for the rest.
func (s *Session) planPages(ctx context.Context, name string, pos store.Cursor, budget int) ([]*page, error) {
	n := (budget + catchUpPage - 1) / catchUpPage
	var bounds []store.Cursor
	if n > 1 {
		var err error
		if bounds, err = s.st.PendingBounds(ctx, name, pos, catchUpPage, n-1); err != nil {
			return nil, err
		}
	}
	pages := make([]*page, 0, len(bounds)+1)
	for _, b := range bounds {
		pages = append(pages, &page{after: pos, until: b, bounded: true, limit: catchUpPage, done: make(chan struct{})})
		pos = b
	}
	last := min(catchUpPage, budget-len(bounds)*catchUpPage)
	return append(pages, &page{after: pos, limit: last, done: make(chan struct{})}), nil
}

// sendPages reads pages with catchUpReaders goroutines and writes them in
// order, adding the ids of what was written to written. It returns where
// the next catch-up page starts and whether the last page was full (there
// may be more); ErrClosed if a write failed. A page that failed to read
// ends the catch-up there: later pages are not written out of order. The
// readers stop and are waited for before it returns.
func (s *Session) sendPages(ctx context.Context, name string, pages []*page, written *[]int64) (store.Cursor, bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	jobs := make(chan *page)
	var wg sync.WaitGroup
	for range min(catchUpReaders, len(pages)) {
		wg.Go(func() {
			enc := recivEncoder{d: s.cfg.Dialect}
			for p := range jobs {
				p.err = s.readPage(ctx, name, p, &enc)
				close(p.done)
			}
		})
	}
	defer func() {
		cancel()
		close(jobs)
		wg.Wait()
		for _, p := range pages {
			p.release()
		}
	}()
	var pos store.Cursor
	for next, sent := 0, 0; sent < len(pages); {
		// At most one page more than the readers is in memory. The page
		// to send next is always dispatched before select waits for it.
		var dispatch chan<- *page
		var job *page
		if next < len(pages) && next-sent <= catchUpReaders {
			dispatch, job = jobs, pages[next]
		}
		select {
		case dispatch <- job:
			next++
			continue
		case <-pages[sent].done:
		}
		p := pages[sent]
		sent++
		if p.err != nil {
			return pos, false, p.err
		}
		pos = p.after
		if len(p.ids) > 0 {
			if err := s.conn.Deliver(ctx, p.buf); err != nil {
				return pos, false, ErrClosed
			}
			*written = append(*written, p.ids...)
			pos = p.next
		}
		p.release()
		if !p.bounded {
			return pos, len(p.ids) == p.limit, nil
		}
	}
	return pos, false, nil // not reached: the last page is open
}

// readPage reads p and encodes its messages into p.buf.
func (s *Session) readPage(ctx context.Context, name string, p *page, enc *recivEncoder) error {
	if p.buf == nil {
		p.buf = (*pageBufs.Get().(*[]byte))[:0]
	}
	var encErr error
	err := s.st.ReadPending(ctx, name, p.after, p.limit, func(m *store.Message) bool {
		at := m.After()
		if p.bounded && p.until.Before(at) {
			return false // the next page's
		}
		if p.buf, encErr = enc.append(p.buf, m.From, m.Stamp, m.Body); encErr != nil {
			return false
		}
		p.ids = append(p.ids, m.ID)
		p.next = at
		return true
	})
	if err == nil {
		err = encErr
	}
	return err
}

// release returns p's buffer to pageBufs (Deliver keeps no reference).
func (p *page) release() {
	if p.buf != nil {
		b := p.buf[:0]
		pageBufs.Put(&b)
		p.buf = nil
	}
}

// deleteWritten deletes the messages whose RECIVs were written.
func (s *Session) deleteWritten(ctx context.Context, name string, written []int64) {
	if len(written) == 0 {
		return
	}
	if err := s.st.DeleteMessages(ctx, name, written); err != nil {
		s.log.Error("catch-up delete", "user", name, "err", err)
	}
}

// recivEncoder encodes null-ID RECIVs; its scratch buffers make encoding
// allocation-free. Each goroutine that encodes needs its own.
type recivEncoder struct {
	d     spec.Dialect
	stamp []byte
	from  []byte
	args  [][]byte
}

// append appends the RECIV of one message to buf.
func (e *recivEncoder) append(buf []byte, from string, stamp time.Time, body []byte) ([]byte, error) {
	e.stamp = e.d.AppendTimestamp(e.stamp[:0], stamp)
	e.from = append(e.from[:0], from...)
	e.args = append(e.args[:0], e.from, e.stamp, body)
	p := spec.Packet{Action: spec.RECIV, Info: spec.EmptyInfo, ID: spec.NullID, Args: e.args}
	return spec.AppendPacket(buf, &p, e.d)
}
