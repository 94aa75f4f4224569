package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"time"
)

// Direction says whether the account received or sent a message.
type Direction string

// Message directions.
const (
	Incoming Direction = "in"
	Outgoing Direction = "out"
)

// Message is one message of a conversation between an account and a peer.
type Message struct {
	ID         int64 // assigned by AddMessage; increases with insertion order
	Server     string
	Account    string
	Peer       string
	Direction  Direction
	Stamp      time.Time // the protocol timestamp (seconds); zero means ReceivedAt
	Body       string    // plaintext
	ReceivedAt time.Time // when stored; set by AddMessage if zero
	Unread     bool      // incoming and not yet marked read
	// Ciphertext is the received ciphertext of an incoming message. Only
	// its SHA-256 is stored, to recognise a redelivery; History leaves it
	// nil.
	Ciphertext []byte
	// Queued marks an outgoing message the server held for an offline
	// recipient.
	Queued bool
}

// DefaultHistoryLimit and MaxHistoryLimit bound a History page.
const (
	DefaultHistoryLimit = 50
	MaxHistoryLimit     = 1000
)

// AddMessage stores m and returns its id. An incoming message with the
// ciphertext of a stored one from the same peer is a redelivery and is not
// stored again: inserted is false and id is the existing message's. The
// text is never compared: RSA-OAEP is randomized, so two sends of the same
// text differ in ciphertext and are both kept. Incoming messages without a
// ciphertext are always stored. Incoming messages start unread.
func (s *Store) AddMessage(ctx context.Context, m Message) (id int64, inserted bool, err error) {
	if m.Peer == "" || (m.Direction != Incoming && m.Direction != Outgoing) {
		return 0, false, fmt.Errorf("%w: message needs a peer and a direction", ErrInvalid)
	}
	recv, stamp := m.ReceivedAt.Unix(), m.Stamp.Unix()
	if m.ReceivedAt.IsZero() {
		recv = s.unixNow()
	}
	if m.Stamp.IsZero() {
		stamp = recv
	}
	var digest []byte
	if m.Direction == Incoming && m.Ciphertext != nil {
		sum := sha256.Sum256(m.Ciphertext)
		digest = sum[:]
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		aid, err := accountID(ctx, tx, m.Server, m.Account)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO messages
			(account_id, peer, direction, stamp, body, received_at, unread, digest, queued)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
			aid, m.Peer, string(m.Direction), stamp, m.Body, recv,
			m.Direction == Incoming, digest, m.Queued && m.Direction == Outgoing).Scan(&id)
		if err == nil {
			inserted = true
			return nil
		}
		if err != sql.ErrNoRows {
			return wrapErr("add message", err)
		}
		err = tx.QueryRowContext(ctx, `SELECT id FROM messages WHERE account_id = ? AND peer = ?
			AND digest = ? AND direction = 'in'`, aid, m.Peer, digest).Scan(&id)
		return wrapErr("add message", err)
	})
	return id, inserted, err
}

const messageSelect = `SELECT m.id, s.name, a.username, m.peer, m.direction, m.stamp, m.body,
	m.received_at, m.unread, m.queued
	FROM messages m JOIN accounts a ON a.id = m.account_id JOIN servers s ON s.id = a.server_id
	WHERE s.name = ? AND a.username = ? AND m.peer = ?`

// History returns up to limit messages with the peer older than the message
// id before (0 means from the newest), oldest first. To page back, pass the
// ID of the first message returned; an empty result means the start.
// limit <= 0 means DefaultHistoryLimit; it is capped at MaxHistoryLimit.
func (s *Store) History(ctx context.Context, server, account, peer string, before int64, limit int) ([]Message, error) {
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	limit = min(limit, MaxHistoryLimit)
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, messageSelect+` AND m.id < ? ORDER BY m.id DESC LIMIT ?`,
		server, account, peer, before, limit)
	if err != nil {
		return nil, wrapErr("history", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var d string
		var stamp, recv int64
		if err := rows.Scan(&m.ID, &m.Server, &m.Account, &m.Peer, &d, &stamp, &m.Body,
			&recv, &m.Unread, &m.Queued); err != nil {
			return nil, wrapErr("history", err)
		}
		m.Direction, m.Stamp, m.ReceivedAt = Direction(d), fromUnix(stamp), fromUnix(recv)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("history", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// ConversationSummary describes one conversation for a conversation list.
type ConversationSummary struct {
	Peer     string
	LastID   int64     // id of the newest message
	LastTime time.Time // stamp of the newest message
	Unread   int
}

// Conversations lists an account's conversations, most recent first.
func (s *Store) Conversations(ctx context.Context, server, account string) ([]ConversationSummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT g.peer, g.last_id, g.unread, m.stamp
		FROM (SELECT peer, MAX(id) AS last_id, SUM(unread) AS unread FROM messages
			WHERE account_id = (`+accountIDSubquery+`) GROUP BY peer) g
		JOIN messages m ON m.id = g.last_id ORDER BY g.last_id DESC`,
		server, account)
	if err != nil {
		return nil, wrapErr("conversations", err)
	}
	defer rows.Close()
	var out []ConversationSummary
	for rows.Next() {
		var c ConversationSummary
		var stamp int64
		if err := rows.Scan(&c.Peer, &c.LastID, &c.Unread, &stamp); err != nil {
			return nil, wrapErr("conversations", err)
		}
		c.LastTime = fromUnix(stamp)
		out = append(out, c)
	}
	return out, wrapErr("conversations", rows.Err())
}

// MarkRead marks the peer's messages with id <= upTo as read (upTo <= 0:
// all of them) and returns how many changed.
func (s *Store) MarkRead(ctx context.Context, server, account, peer string, upTo int64) (int64, error) {
	if upTo <= 0 {
		upTo = 1<<63 - 1
	}
	res, err := s.db.ExecContext(ctx, `UPDATE messages SET unread = 0
		WHERE account_id = (`+accountIDSubquery+`) AND peer = ? AND id <= ? AND unread = 1`,
		server, account, peer, upTo)
	if err != nil {
		return 0, wrapErr("mark read", err)
	}
	n, err := res.RowsAffected()
	return n, wrapErr("mark read", err)
}
