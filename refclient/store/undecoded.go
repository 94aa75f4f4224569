package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Undecoded is a pushed packet the client received but could not decode,
// kept byte for byte (header and payload) so that a message in it is not
// lost: the client retries it once it knows how to read it.
type Undecoded struct {
	ID         int64
	Server     string
	Account    string // the account logged in when it arrived
	Raw        []byte
	Reason     string // why it could not be decoded
	ReceivedAt time.Time
}

// MaxUndecodedSize bounds one kept packet: the largest legal packet
// (8-byte header, CRLF and a 16,383-byte payload) with room to spare.
const MaxUndecodedSize = 1 << 15

// AddUndecoded keeps u and returns its id.
func (s *Store) AddUndecoded(ctx context.Context, u Undecoded) (int64, error) {
	if len(u.Raw) == 0 || len(u.Raw) > MaxUndecodedSize || u.Account == "" {
		return 0, fmt.Errorf("%w: undecoded packet needs an account and 1..%d bytes", ErrInvalid, MaxUndecodedSize)
	}
	recv := u.ReceivedAt.Unix()
	if u.ReceivedAt.IsZero() {
		recv = s.unixNow()
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		sid, err := serverID(ctx, tx, u.Server)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO undecoded (server_id, account, raw, reason, received_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, sid, u.Account, u.Raw, u.Reason, recv).Scan(&id)
		return wrapErr("add undecoded", err)
	})
	return id, err
}

// UndecodedPackets lists the packets kept for account on server, oldest
// first.
func (s *Store) UndecodedPackets(ctx context.Context, server, account string) ([]Undecoded, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.id, u.raw, u.reason, u.received_at
		FROM undecoded u JOIN servers s ON s.id = u.server_id
		WHERE s.name = ? AND u.account = ? ORDER BY u.id`, server, account)
	if err != nil {
		return nil, wrapErr("undecoded", err)
	}
	defer rows.Close()
	var out []Undecoded
	for rows.Next() {
		u := Undecoded{Server: server, Account: account}
		var recv int64
		if err := rows.Scan(&u.ID, &u.Raw, &u.Reason, &recv); err != nil {
			return nil, wrapErr("undecoded", err)
		}
		u.ReceivedAt = fromUnix(recv)
		out = append(out, u)
	}
	return out, wrapErr("undecoded", rows.Err())
}

// DeleteUndecoded forgets a kept packet, once its message is stored.
func (s *Store) DeleteUndecoded(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM undecoded WHERE id = ?`, id)
	return affectedOne("delete undecoded", res, err)
}
