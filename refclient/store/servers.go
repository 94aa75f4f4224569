package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the wire encoding a server speaks (docs/errata.md E-12).
type Dialect string

// Supported dialects.
const (
	DialectSpec    Dialect = "spec"    // the specification's encodings (default)
	DialectGochat1 Dialect = "gochat1" // the original implementation's encodings
)

// Server is a configured chat server.
type Server struct {
	Name               string // local nickname, unique
	Address            string // host:port
	TLS                bool
	InsecureSkipVerify bool // accept any TLS certificate; never the default
	Dialect            Dialect
	Created            time.Time // set by AddServer
}

func (sv *Server) normalize() error {
	if sv.Name == "" {
		return fmt.Errorf("%w: empty server name", ErrInvalid)
	}
	host, port, err := net.SplitHostPort(sv.Address)
	if err != nil || host == "" {
		return fmt.Errorf("%w: address %q is not host:port", ErrInvalid, sv.Address)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%w: bad port in %q", ErrInvalid, sv.Address)
	}
	switch sv.Dialect {
	case "":
		sv.Dialect = DialectSpec
	case DialectSpec, DialectGochat1:
	default:
		return fmt.Errorf("%w: unknown dialect %q", ErrInvalid, sv.Dialect)
	}
	return nil
}

// AddServer stores a new server; Dialect "" means DialectSpec.
func (s *Store) AddServer(ctx context.Context, sv Server) error {
	if err := sv.normalize(); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO servers
		(name, address, tls, tls_skip_verify, dialect, created) VALUES (?, ?, ?, ?, ?, ?)`,
		sv.Name, sv.Address, sv.TLS, sv.InsecureSkipVerify, string(sv.Dialect), s.unixNow())
	return wrapErr("add server", err)
}

const serverCols = `name, address, tls, tls_skip_verify, dialect, created`

func scanServer(row interface{ Scan(...any) error }) (Server, error) {
	var sv Server
	var d string
	var created int64
	err := row.Scan(&sv.Name, &sv.Address, &sv.TLS, &sv.InsecureSkipVerify, &d, &created)
	sv.Dialect, sv.Created = Dialect(d), fromUnix(created)
	return sv, err
}

// Server returns the server called name.
func (s *Store) Server(ctx context.Context, name string) (Server, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+serverCols+` FROM servers WHERE name = ?`, name)
	sv, err := scanServer(row)
	return sv, wrapErr("server", err)
}

// Servers returns every server, ordered by name.
func (s *Store) Servers(ctx context.Context) ([]Server, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+serverCols+` FROM servers ORDER BY name`)
	if err != nil {
		return nil, wrapErr("servers", err)
	}
	defer rows.Close()
	var out []Server
	for rows.Next() {
		sv, err := scanServer(rows)
		if err != nil {
			return nil, wrapErr("servers", err)
		}
		out = append(out, sv)
	}
	return out, wrapErr("servers", rows.Err())
}

// UpdateServer replaces the address, TLS settings and dialect of the server
// called sv.Name. Created is ignored.
func (s *Store) UpdateServer(ctx context.Context, sv Server) error {
	if err := sv.normalize(); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE servers SET address = ?, tls = ?,
		tls_skip_verify = ?, dialect = ? WHERE name = ?`,
		sv.Address, sv.TLS, sv.InsecureSkipVerify, string(sv.Dialect), sv.Name)
	return affectedOne("update server", res, err)
}

// DeleteServer removes a server with its accounts, contacts and messages.
func (s *Store) DeleteServer(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM servers WHERE name = ?`, name)
	return affectedOne("delete server", res, err)
}

// wrapErr maps driver errors to the package's sentinel errors.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		return fmt.Errorf("store: %s: %w", op, ErrExists)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

func affectedOne(op string, res sql.Result, err error) error {
	if err != nil {
		return wrapErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrapErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	return nil
}
