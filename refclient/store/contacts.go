package store

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// PinResult says how a key seen from the server compares with the pin.
type PinResult int

// Pinning outcomes.
const (
	// PinNew: no key was pinned for the user; this one now is.
	PinNew PinResult = iota + 1
	// PinUnchanged: the key matches the pin; last-verified was updated.
	PinUnchanged
	// PinChanged: the key differs from the pin. The pin is kept and the new
	// key is parked as the contact's pending change until AcceptKeyChange.
	// Callers must not encrypt to the new key before that.
	PinChanged
)

func (r PinResult) String() string {
	switch r {
	case PinNew:
		return "new"
	case PinUnchanged:
		return "unchanged"
	case PinChanged:
		return "changed"
	}
	return fmt.Sprintf("PinResult(%d)", int(r))
}

// Contact is a remote user whose public key the account has pinned.
type Contact struct {
	Server, Account string
	Username        string
	PublicKey       []byte // PKIX DER
	Fingerprint     string // Fingerprint(PublicKey)
	Permission      uint8  // last permission level seen in a REQ reply
	FirstSeen       time.Time
	LastVerified    time.Time
	Pending         *PendingKeyChange // nil unless a different key was seen
}

// PendingKeyChange is a key that differs from a contact's pin, awaiting a
// decision by the user.
type PendingKeyChange struct {
	PublicKey   []byte // PKIX DER
	Fingerprint string
	Seen        time.Time // when it was last seen
}

// Fingerprint is the lowercase hex SHA-256 of a PKIX DER public key.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// canonicalKey checks der is a PKIX RSA public key and re-encodes it, so
// the same key always pins to the same bytes and fingerprint.
func canonicalKey(der []byte) ([]byte, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %v", ErrInvalid, err)
	}
	if _, ok := pub.(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("%w: public key is %T, not RSA", ErrInvalid, pub)
	}
	return x509.MarshalPKIXPublicKey(pub)
}

// PinContactKey records der (PKIX DER) as user's key, trusting it on first
// use. A key different from the pin is not trusted: it replaces any earlier
// pending change and PinChanged is returned.
func (s *Store) PinContactKey(ctx context.Context, server, account, user string, der []byte) (PinResult, error) {
	if user == "" {
		return 0, fmt.Errorf("%w: empty contact name", ErrInvalid)
	}
	key, err := canonicalKey(der)
	if err != nil {
		return 0, err
	}
	fp, now := Fingerprint(key), s.unixNow()
	var result PinResult
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		aid, err := accountID(ctx, tx, server, account)
		if err != nil {
			return err
		}
		var pinned string
		err = tx.QueryRowContext(ctx, `SELECT fingerprint FROM contacts
			WHERE account_id = ? AND username = ?`, aid, user).Scan(&pinned)
		switch {
		case err == sql.ErrNoRows:
			result = PinNew
			_, err = tx.ExecContext(ctx, `INSERT INTO contacts (account_id, username, pubkey,
				fingerprint, first_seen, last_verified) VALUES (?, ?, ?, ?, ?, ?)`,
				aid, user, key, fp, now, now)
		case err != nil:
		case pinned == fp:
			result = PinUnchanged
			_, err = tx.ExecContext(ctx, `UPDATE contacts SET last_verified = ?
				WHERE account_id = ? AND username = ?`, now, aid, user)
		default:
			result = PinChanged
			_, err = tx.ExecContext(ctx, `UPDATE contacts SET pending_pubkey = ?,
				pending_fingerprint = ?, pending_seen = ? WHERE account_id = ? AND username = ?`,
				key, fp, now, aid, user)
		}
		return wrapErr("pin contact key", err)
	})
	if err != nil {
		return 0, err
	}
	return result, nil
}

// AcceptKeyChange makes the pending key the pinned key. fingerprint must be
// the pending key's fingerprint as shown to the user, so a key that arrived
// after the prompt is not accepted by mistake; a mismatch is ErrNotFound.
func (s *Store) AcceptKeyChange(ctx context.Context, server, account, user, fingerprint string) error {
	now := s.unixNow()
	res, err := s.db.ExecContext(ctx, `UPDATE contacts SET pubkey = pending_pubkey,
		fingerprint = pending_fingerprint, first_seen = ?, last_verified = ?,
		pending_pubkey = NULL, pending_fingerprint = NULL, pending_seen = NULL
		WHERE account_id = (`+accountIDSubquery+`) AND username = ? AND pending_fingerprint = ?`,
		now, now, server, account, user, fingerprint)
	return affectedOne("accept key change", res, err)
}

// RejectKeyChange discards a contact's pending key change, keeping the pin.
func (s *Store) RejectKeyChange(ctx context.Context, server, account, user string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE contacts SET pending_pubkey = NULL,
		pending_fingerprint = NULL, pending_seen = NULL
		WHERE account_id = (`+accountIDSubquery+`) AND username = ? AND pending_pubkey IS NOT NULL`,
		server, account, user)
	return affectedOne("reject key change", res, err)
}

const accountIDSubquery = `SELECT a.id FROM accounts a JOIN servers s ON s.id = a.server_id
	WHERE s.name = ? AND a.username = ?`

// ContactKey returns the pinned PKIX DER key of user.
func (s *Store) ContactKey(ctx context.Context, server, account, user string) ([]byte, error) {
	var key []byte
	err := s.db.QueryRowContext(ctx, `SELECT pubkey FROM contacts
		WHERE account_id = (`+accountIDSubquery+`) AND username = ?`,
		server, account, user).Scan(&key)
	return key, wrapErr("contact key", err)
}

// SetContactPermission records the permission level last reported for user.
func (s *Store) SetContactPermission(ctx context.Context, server, account, user string, perm uint8) error {
	res, err := s.db.ExecContext(ctx, `UPDATE contacts SET permission = ?
		WHERE account_id = (`+accountIDSubquery+`) AND username = ?`,
		perm, server, account, user)
	return affectedOne("set contact permission", res, err)
}

const contactSelect = `SELECT s.name, a.username, c.username, c.pubkey, c.fingerprint,
	c.permission, c.first_seen, c.last_verified, c.pending_pubkey, c.pending_fingerprint,
	c.pending_seen
	FROM contacts c JOIN accounts a ON a.id = c.account_id JOIN servers s ON s.id = a.server_id
	WHERE s.name = ? AND a.username = ?`

func scanContact(row interface{ Scan(...any) error }) (Contact, error) {
	var c Contact
	var first, verified int64
	var pKey []byte
	var pFP sql.NullString
	var pSeen sql.NullInt64
	err := row.Scan(&c.Server, &c.Account, &c.Username, &c.PublicKey, &c.Fingerprint,
		&c.Permission, &first, &verified, &pKey, &pFP, &pSeen)
	c.FirstSeen, c.LastVerified = fromUnix(first), fromUnix(verified)
	if pFP.Valid {
		c.Pending = &PendingKeyChange{PublicKey: pKey, Fingerprint: pFP.String, Seen: fromUnix(pSeen.Int64)}
	}
	return c, err
}

// Contact returns one contact, including any pending key change.
func (s *Store) Contact(ctx context.Context, server, account, user string) (Contact, error) {
	row := s.db.QueryRowContext(ctx, contactSelect+` AND c.username = ?`, server, account, user)
	c, err := scanContact(row)
	return c, wrapErr("contact", err)
}

// Contacts returns an account's contacts ordered by username.
func (s *Store) Contacts(ctx context.Context, server, account string) ([]Contact, error) {
	return s.contacts(ctx, contactSelect+` ORDER BY c.username`, server, account)
}

// PendingKeyChanges returns the contacts that have a pending key change.
func (s *Store) PendingKeyChanges(ctx context.Context, server, account string) ([]Contact, error) {
	return s.contacts(ctx, contactSelect+` AND c.pending_pubkey IS NOT NULL ORDER BY c.username`,
		server, account)
}

func (s *Store) contacts(ctx context.Context, query string, args ...any) ([]Contact, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapErr("contacts", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, wrapErr("contacts", err)
		}
		out = append(out, c)
	}
	return out, wrapErr("contacts", rows.Err())
}

// DeleteContact forgets a contact and its pin. Its messages are kept.
func (s *Store) DeleteContact(ctx context.Context, server, account, user string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM contacts
		WHERE account_id = (`+accountIDSubquery+`) AND username = ?`, server, account, user)
	return affectedOne("delete contact", res, err)
}
