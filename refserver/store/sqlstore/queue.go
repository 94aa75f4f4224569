package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gochatproto/gochat/refserver/store"
)

// Bounds of one group commit. A call is never split, so a single call
// larger than these still commits alone.
const (
	maxGroupMsgs  = 4096
	maxGroupBytes = 8 << 20
)

// Bounds of one multi-row INSERT: well under SQLite's 32,766 host
// parameters and, with bodies interpolated as text, well under MariaDB's
// default 16 MiB max_allowed_packet.
const (
	insertRows  = 256
	insertBytes = 1 << 20
)

// groupTimeout bounds one group's transaction. The transaction holds other
// callers' messages too, so it does not end with the leader's context.
const groupTimeout = 30 * time.Second

// groupCommit batches concurrent QueueMessages calls into one transaction
// (the writer queue of LevelDB): every call joins the queue, the call at
// its front commits a group of the calls queued at that moment, marks
// them done and hands the front to the next call. While one group
// commits, the next one gathers, so under load a commit carries the
// messages of many senders and nobody waits for more than the commit in
// progress and their own.
type groupCommit struct {
	mu    sync.Mutex
	queue []*queueCall
	// fault, for tests, is called with the group's message count before
	// each group commits; an error fails the group as a failed commit
	// would.
	fault atomic.Pointer[func(msgs int) error]
}

type queueCall struct {
	ms   []store.Message
	errs []error
	done bool          // guarded by groupCommit.mu
	wake chan struct{} // done, or the call is at the front and leads
}

// QueueMessages implements store.Store with group commit.
func (s *Store) QueueMessages(ctx context.Context, ms []store.Message) []error {
	c := &queueCall{ms: ms, errs: make([]error, len(ms)), wake: make(chan struct{}, 1)}
	if len(ms) == 0 {
		return c.errs
	}
	g := &s.group
	g.mu.Lock()
	g.queue = append(g.queue, c)
	for !c.done && g.queue[0] != c {
		g.mu.Unlock()
		<-c.wake
		g.mu.Lock()
	}
	if c.done {
		g.mu.Unlock()
		return c.errs
	}
	group := g.take()
	g.mu.Unlock()
	// Whatever happens to the commit, even a panic in the driver, the
	// group's callers are released and the next call leads.
	defer g.finish(group)

	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupTimeout)
	defer cancel()
	committed := false
	defer func() {
		if !committed {
			failGroup(group, errors.New("sqlstore: queue messages: commit did not finish"))
		}
	}()
	s.commitGroup(tctx, group)
	committed = true
	return c.errs
}

// finish removes the group (the front of the queue), wakes its callers
// and hands the front to the next call.
func (g *groupCommit) finish(group []*queueCall) {
	g.mu.Lock()
	defer g.mu.Unlock()
	rest := copy(g.queue, g.queue[len(group):])
	clear(g.queue[rest:])
	g.queue = g.queue[:rest]
	for _, o := range group[1:] {
		o.done = true
		o.signal()
	}
	if len(g.queue) > 0 {
		g.queue[0].signal()
	}
}

// signal wakes c's caller. A call is signalled once (done, or now at the
// front); the buffer keeps a signal for a caller not yet waiting, and a
// full buffer already holds one, so this never blocks under g.mu.
func (c *queueCall) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// take returns the calls of the next group, from the front of the queue:
// at least the front one, then more while they fit the bounds. Caller
// holds g.mu.
func (g *groupCommit) take() []*queueCall {
	n, msgs, size := 0, 0, 0
	for _, c := range g.queue {
		cm, cs := len(c.ms), 0
		for i := range c.ms {
			cs += len(c.ms[i].Body)
		}
		if n > 0 && (msgs+cm > maxGroupMsgs || size+cs > maxGroupBytes) {
			break
		}
		n, msgs, size = n+1, msgs+cm, size+cs
	}
	return append([]*queueCall(nil), g.queue[:n]...)
}

// commitGroup stores the messages of group in one transaction and sets
// every call's errs.
func (s *Store) commitGroup(ctx context.Context, group []*queueCall) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.insertGroup(ctx, tx, group); err != nil {
			return err
		}
		if f := s.group.fault.Load(); f != nil {
			n := 0
			for _, c := range group {
				n += len(c.ms)
			}
			return (*f)(n)
		}
		return nil
	})
	if err == nil {
		return
	}
	failGroup(group, fmt.Errorf("sqlstore: queue messages: %w", err))
}

// failGroup sets err for every message of the group that was to be stored.
func failGroup(group []*queueCall, err error) {
	for _, c := range group {
		for i := range c.errs {
			if !errors.Is(c.errs[i], store.ErrNotFound) {
				c.errs[i] = err
			}
		}
	}
}

// insertGroup resolves every name of the group once, marks messages whose
// sender or recipient is missing (or recipient deregistered) with
// ErrNotFound and inserts the rest with multi-row INSERTs. The name
// lookup locks the user rows it reads (SQLite's immediate transaction
// holds the write lock anyway), so a concurrent deregistration either
// comes first, and the message is refused, or after the commit, and
// deletes it with the rest of the recipient's mail.
func (s *Store) insertGroup(ctx context.Context, tx *sql.Tx, group []*queueCall) error {
	users, err := s.resolve(ctx, tx, group)
	if err != nil {
		return err
	}
	var (
		now   = time.Now().UnixNano()
		args  []any
		rows  int
		bytes int
	)
	flush := func() error {
		if rows == 0 {
			return nil
		}
		var err error
		if rows == insertRows {
			err = s.execFull(ctx, tx, args)
		} else {
			err = s.execBulk(ctx, tx, insertSQL(rows), args)
		}
		args, rows, bytes = args[:0], 0, 0
		return err
	}
	for _, c := range group {
		for i := range c.ms {
			m := &c.ms[i]
			from, okFrom := users[m.From]
			to, okTo := users[m.To]
			if !okFrom || !okTo || !to.live {
				c.errs[i] = store.ErrNotFound
				continue
			}
			queued := now
			if !m.Queued.IsZero() {
				queued = m.Queued.UnixNano()
			}
			body := m.Body
			if body == nil {
				body = []byte{}
			}
			args = append(args, from.id, to.id, m.Stamp.Unix(), body, queued)
			rows++
			bytes += len(body)
			if rows == insertRows || bytes >= insertBytes {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// insertSQL is the INSERT of rows messages.
func insertSQL(rows int) string {
	return `INSERT INTO messages (sender_id, recipient_id, stamp, body, queued) VALUES (?, ?, ?, ?, ?)` +
		strings.Repeat(`, (?, ?, ?, ?, ?)`, rows-1)
}

// execFull runs the INSERT of insertRows messages: with the statement
// prepared at open if the dialect prepares bulk statements (database/sql
// then prepares it once per connection that runs it, so parsing 1,280
// placeholders and the round trips to prepare and close are paid once
// instead of per full chunk), else as execBulk.
func (s *Store) execFull(ctx context.Context, tx *sql.Tx, args []any) error {
	if s.fullInsert == nil {
		return s.execBulk(ctx, tx, insertSQL(insertRows), args)
	}
	_, err := tx.StmtContext(ctx, s.fullInsert).ExecContext(ctx, args...)
	return err
}

// execBulk runs a statement with many arguments. MariaDB gets it as a
// server-side prepared statement: the bodies then travel as binary values
// instead of being escaped into a megabyte of SQL text that the server
// must parse (about 17 % less CPU per group commit, client and server
// together, in an A/B of the GroupCommit16x64 benchmark).
func (s *Store) execBulk(ctx context.Context, tx *sql.Tx, q string, args []any) error {
	if !s.d.prepareBulk {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	st, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = st.ExecContext(ctx, args...)
	return err
}

type userRef struct {
	id   int64
	live bool
}

// resolve looks up every sender and recipient of the group.
func (s *Store) resolve(ctx context.Context, tx *sql.Tx, group []*queueCall) (map[string]userRef, error) {
	users := map[string]userRef{}
	var names []any
	seen := map[string]bool{}
	for _, c := range group {
		for i := range c.ms {
			for _, n := range [2]string{c.ms[i].From, c.ms[i].To} {
				if !seen[n] {
					seen[n] = true
					names = append(names, n)
				}
			}
		}
	}
	for len(names) > 0 {
		n := min(len(names), deleteChunk)
		q := `SELECT id, name, pubkey IS NOT NULL FROM users WHERE name IN (?` +
			strings.Repeat(`, ?`, n-1) + `)` + s.d.lockShared
		rows, err := tx.QueryContext(ctx, q, names[:n]...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var (
				name string
				u    userRef
			)
			if err := rows.Scan(&u.id, &name, &u.live); err != nil {
				rows.Close()
				return nil, err
			}
			users[name] = u
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		names = names[n:]
	}
	return users, nil
}
