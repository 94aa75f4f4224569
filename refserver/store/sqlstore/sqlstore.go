package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gochatproto/gochat/refserver/store"
)

var _ store.Store = (*Store)(nil)

// deleteChunk bounds the IN list of one DELETE statement; it keeps each
// statement well under both engines' placeholder limits while turning a
// 10,000-message catch-up into a handful of round trips.
const deleteChunk = 1000

// dialect holds what differs between the SQL engines.
type dialect struct {
	name string // migrations directory
	// upsertSetting inserts or replaces (name, content) in settings.
	upsertSetting string
	// isUnique reports whether err is a unique-constraint violation.
	isUnique func(error) bool
	// prepareBulk sends statements with many arguments as prepared
	// statements (see execBulk).
	prepareBulk bool
	// lockShared follows a SELECT of user rows inside a transaction so
	// they cannot change before it commits.
	lockShared string
	// lockMigrations serialises concurrent openers of one database; it may
	// be nil when the engine needs no extra lock.
	lockMigrations func(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
}

// Store is a store.Store on a database/sql database.
type Store struct {
	db    *sql.DB
	d     *dialect
	group groupCommit
	// fullInsert is insertSQL(insertRows), prepared at open when the
	// dialect prepares bulk statements; nil otherwise.
	fullInsert *sql.Stmt
}

// open migrates db and wraps it; it closes db on failure.
func open(ctx context.Context, db *sql.DB, d *dialect) (*Store, error) {
	if err := prepare(ctx, db, d); err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{db: db, d: d}
	if d.prepareBulk {
		st, err := db.PrepareContext(ctx, insertSQL(insertRows))
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlstore: prepare: %w", err)
		}
		s.fullInsert = st
	}
	return s, nil
}

func prepare(ctx context.Context, db *sql.DB, d *dialect) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: connect: %w", err)
	}
	defer conn.Close()
	if d.lockMigrations != nil {
		unlock, err := d.lockMigrations(ctx, conn)
		if err != nil {
			return err
		}
		defer unlock()
	}
	return migrate(ctx, conn, d)
}

// DB returns the underlying database, for tests and administration tools.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	if s.fullInsert != nil {
		s.fullInsert.Close()
	}
	return s.db.Close()
}

// CreateUser implements store.Store.
func (s *Store) CreateUser(ctx context.Context, name string, key []byte, perm uint8) (store.User, error) {
	if name == "" || len(key) == 0 {
		return store.User{}, errors.New("sqlstore: CreateUser needs a name and a key")
	}
	now := time.Now()
	hash := sha256.Sum256(key)
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO users (name, pubkey, key_hash, perm, created) VALUES (?, ?, ?, ?, ?)`,
		name, key, hash[:], perm, now.UnixNano())
	if err != nil {
		if s.d.isUnique(err) {
			return store.User{}, s.conflict(ctx, name)
		}
		return store.User{}, fmt.Errorf("sqlstore: create user: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return store.User{}, fmt.Errorf("sqlstore: create user: %w", err)
	}
	return store.User{
		ID: id, Name: name, Key: append([]byte(nil), key...), Perm: perm,
		Created: time.Unix(0, now.UnixNano()).UTC(),
	}, nil
}

// conflict explains a unique violation on insert: the name wins over the
// key, as in the original server where the name checks come first.
func (s *Store) conflict(ctx context.Context, name string) error {
	u, err := s.UserByName(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.ErrKeyTaken
	case err != nil:
		return err
	case u.Deregistered:
		return store.ErrNameDangling
	default:
		return store.ErrNameTaken
	}
}

// UserByName implements store.Store.
func (s *Store) UserByName(ctx context.Context, name string) (store.User, error) {
	var (
		u       store.User
		key     []byte
		created int64
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT id, name, pubkey, perm, created FROM users WHERE name = ?`, name).
		Scan(&u.ID, &u.Name, &key, &u.Perm, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, fmt.Errorf("sqlstore: user by name: %w", err)
	}
	if key == nil {
		u.Deregistered = true
	} else {
		u.Key = key
	}
	u.Created = time.Unix(0, created).UTC()
	return u, nil
}

// Deregister implements store.Store.
func (s *Store) Deregister(ctx context.Context, name string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Both engines report matched rows here (MariaDB through
		// clientFoundRows), so a second deregistration still counts 1.
		res, err := tx.ExecContext(ctx,
			`UPDATE users SET pubkey = NULL, key_hash = NULL WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		_, err = tx.ExecContext(ctx,
			`DELETE FROM messages WHERE recipient_id = (SELECT id FROM users WHERE name = ?)`, name)
		return err
	})
}

// SetPerm implements store.Store.
func (s *Store) SetPerm(ctx context.Context, name string, perm uint8) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET perm = ? WHERE name = ?`, perm, name)
	if err != nil {
		return fmt.Errorf("sqlstore: set perm: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: set perm: %w", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// ListUsers implements store.Store.
func (s *Store) ListUsers(ctx context.Context) ([]store.UserSummary, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT name, perm FROM users WHERE pubkey IS NOT NULL ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list users: %w", err)
	}
	defer rows.Close()
	var us []store.UserSummary
	for rows.Next() {
		var u store.UserSummary
		if err := rows.Scan(&u.Name, &u.Perm); err != nil {
			return nil, fmt.Errorf("sqlstore: list users: %w", err)
		}
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list users: %w", err)
	}
	return us, nil
}

// QueueMessage implements store.Store. The sender and recipient are
// resolved in the INSERT itself, so a recipient deregistered concurrently
// either has the message deleted with the rest of its mail or never gets it.
func (s *Store) QueueMessage(ctx context.Context, m store.Message) (int64, error) {
	queued := m.Queued
	if queued.IsZero() {
		queued = time.Now()
	}
	body := m.Body
	if body == nil {
		body = []byte{}
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO messages (sender_id, recipient_id, stamp, body, queued)
		 SELECT s.id, r.id, ?, ?, ? FROM users s, users r
		 WHERE s.name = ? AND r.name = ? AND r.pubkey IS NOT NULL`,
		m.Stamp.Unix(), body, queued.UnixNano(), m.From, m.To)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: queue message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("sqlstore: queue message: %w", err)
	} else if n == 0 {
		return 0, store.ErrNotFound
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: queue message: %w", err)
	}
	return id, nil
}

// PendingMessages implements store.Store: readPending with Queued,
// copied.
func (s *Store) PendingMessages(ctx context.Context, to string, limit int) ([]store.Message, error) {
	var ms []store.Message
	err := s.readPending(ctx, to, store.Cursor{}, limit, true, func(m *store.Message) bool {
		c := *m
		c.Body = append([]byte(nil), m.Body...)
		ms = append(ms, c)
		return true
	})
	return ms, err
}

// ReadPending implements store.Store: readPending without Queued, which
// a catch-up does not send (every column costs the SQLite driver a type
// lookup, a copy and an allocation per row; in perf samples of the server
// during catch-ups, ReadPending took ~4 % less CPU without it).
func (s *Store) ReadPending(ctx context.Context, to string, after store.Cursor, limit int, fn func(*store.Message) bool) error {
	return s.readPending(ctx, to, after, limit, false, fn)
}

// readPending runs one query that walks the recipient's (recipient_id,
// stamp, id) range in order and hands the rows to fn; the bodies are not
// copied. Queued is read only if queued is set.
func (s *Store) readPending(ctx context.Context, to string, after store.Cursor, limit int, queued bool, fn func(*store.Message) bool) error {
	// The sender's name comes from a scalar subquery rather than a join:
	// with a join, MariaDB may start from users and sort the result.
	q := `SELECT m.id, (SELECT name FROM users WHERE id = m.sender_id), m.stamp, m.body`
	if queued {
		q += `, m.queued`
	}
	q += ` FROM messages m WHERE m.recipient_id = (SELECT id FROM users WHERE name = ?)`
	args := []any{to}
	if after.ID != 0 {
		// (stamp, id) > (after): the first term lets both engines seek
		// the (recipient_id, stamp, id) order; the second only filters
		// the few rows with the cursor's own stamp.
		q += ` AND m.stamp >= ? AND (m.stamp > ? OR m.id > ?)`
		args = append(args, after.Stamp, after.Stamp, after.ID)
	}
	q += ` ORDER BY m.stamp, m.id`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: pending messages: %w", err)
	}
	defer rows.Close()
	var (
		m               = store.Message{To: to}
		from, body      sql.RawBytes
		stamp, queuedNs int64
	)
	dest := []any{&m.ID, &from, &stamp, &body}
	if queued {
		dest = append(dest, &queuedNs)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("sqlstore: pending messages: %w", err)
		}
		if m.From != string(from) { // senders repeat: keep the string
			m.From = string(from)
		}
		m.Stamp = time.Unix(stamp, 0).UTC()
		if queued {
			m.Queued = time.Unix(0, queuedNs).UTC()
		}
		m.Body = body
		if m.Body == nil {
			m.Body = []byte{}
		}
		if !fn(&m) {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: pending messages: %w", err)
	}
	return nil
}

// DeleteMessages implements store.Store, in chunks inside one transaction.
func (s *Store) DeleteMessages(ctx context.Context, to string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var rid int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE name = ?`, to).Scan(&rid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		for len(ids) > 0 {
			n := min(len(ids), deleteChunk)
			q := `DELETE FROM messages WHERE recipient_id = ? AND id IN (?` +
				strings.Repeat(`, ?`, n-1) + `)`
			args := make([]any, 0, n+1)
			args = append(args, rid)
			for _, id := range ids[:n] {
				args = append(args, id)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
			ids = ids[n:]
		}
		return nil
	})
}

// CountPending implements store.Store.
func (s *Store) CountPending(ctx context.Context, to string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM messages WHERE recipient_id = (SELECT id FROM users WHERE name = ?)`, to).
		Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count pending: %w", err)
	}
	return n, nil
}

// Setting implements store.Store.
func (s *Store) Setting(ctx context.Context, key string) (string, bool, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, `SELECT content FROM settings WHERE name = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("sqlstore: setting: %w", err)
	}
	return string(v), true, nil
}

// SetSetting implements store.Store.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	if _, err := s.db.ExecContext(ctx, s.d.upsertSetting, key, value); err != nil {
		return fmt.Errorf("sqlstore: set setting: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction and commits if fn returns nil. Store
// sentinel errors pass through unwrapped; others are wrapped.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return err
		}
		return fmt.Errorf("sqlstore: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}
