// Package store is the reference client's local database: configured
// servers, local accounts with their sealed private keys, pinned contact
// keys, and message history.
//
// It uses SQLite (modernc.org/sqlite, driver "sqlite") with foreign keys
// enforced, WAL journaling and a busy timeout. The schema is versioned by
// the embedded migrations/NNNN_*.sql files and the schema_version table;
// Open applies missing migrations and refuses a database written by a newer
// version of this package (ErrNewerSchema).
//
// Security decisions, compared with the original client:
//   - The database file is created with mode 0600 (and tightened to 0600 if
//     it already exists); SQLite gives its -wal and -shm files the same mode.
//   - Private keys are stored only as keyring blobs (argon2id + AES-GCM);
//     there is no separate password hash, the blob's tag checks the password.
//   - Message bodies are stored in plaintext, as the original did. They are
//     what the user reads on screen; protecting them from someone who can
//     read the user's 0600 files would need the password on every start and
//     is left to full-disk encryption.
//   - Reusable login tokens are never stored. They expire 30 minutes after
//     issue and are only useful to the running client, which keeps them in
//     memory.
//
// Usernames are stored exactly as given; callers pass canonical
// (lowercase) names. All times are kept at one-second resolution.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers driver "sqlite"
)

var (
	// ErrNotFound means the named server, account, contact or pending key
	// change does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists means a server, account or contact with that name exists.
	ErrExists = errors.New("store: already exists")
	// ErrNewerSchema means the database was written by a newer client.
	ErrNewerSchema = errors.New("store: database schema is newer than this client")
	// ErrInvalid means an argument failed validation.
	ErrInvalid = errors.New("store: invalid argument")
)

// Store is a handle on the local database. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	now func() time.Time // replaced in tests
}

// MemoryPath opens a private in-memory database, for tests.
const MemoryPath = ":memory:"

// Open opens (creating if needed) the database at path and brings its
// schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	memory := path == MemoryPath
	if !memory {
		if err := prepareFile(path); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", dsn(path, memory))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if memory {
		// Every connection to ":memory:" is a separate database.
		db.SetMaxOpenConns(1)
	}
	if err := migrate(ctx, db, migrationFS); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, now: time.Now}, nil
}

func dsn(path string, memory bool) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(5000)")
	if !memory {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	// Immediate transactions take the write lock up front, so two writers
	// wait on busy_timeout instead of failing with SQLITE_BUSY on upgrade.
	q.Set("_txlock", "immediate")
	return "file:" + uriPath.Replace(path) + "?" + q.Encode()
}

// uriPath escapes the characters that would end or corrupt the path part
// of an SQLite URI filename.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

// prepareFile creates the database file with mode 0600 before SQLite does,
// because SQLite would create it 0644.
func prepareFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) unixNow() int64 { return s.now().Unix() }

func fromUnix(sec int64) time.Time { return time.Unix(sec, 0) }

// inTx runs fn in a transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
