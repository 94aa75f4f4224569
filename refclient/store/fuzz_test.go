package store

import (
	"context"
	"crypto/x509"
	"io"
	"testing"

	"github.com/gochatproto/gochat/internal/sqlfuzz"
)

// FuzzStoreRows writes arbitrary cells into every table of the client
// database (bypassing CHECK constraints) and reads them back through the
// public API and the way the client uses them (the pinned key is parsed as
// PKIX DER, the export formats the stamps). Nothing may panic.
func FuzzStoreRows(f *testing.F) {
	f.Add(uint8(1), []byte("127.0.0.1:9037"), uint8(0), []byte{1}, uint8(1), []byte("spec"), uint8(2), []byte("sealed"), uint8(2), []byte("\x30\x82\x02\x22"), uint8(1), []byte("ab12"), uint8(0), []byte{0xff, 0, 0, 0}, uint8(1), []byte("in"), uint8(1), []byte("hello\nworld"))
	f.Add(uint8(4), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f}, uint8(5), []byte{0x80}, uint8(0), []byte("klingon"), uint8(3), []byte(nil), uint8(1), []byte("not der"), uint8(2), []byte{0xff}, uint8(4), []byte{1, 2, 3}, uint8(2), []byte("sideways"), uint8(2), []byte{0xc3, 0x28})
	ctx := context.Background()
	s, err := Open(ctx, MemoryPath)
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	if _, err := s.db.ExecContext(ctx, `PRAGMA ignore_check_constraints = ON`); err != nil {
		f.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, addrKind uint8, addr []byte, boolKind uint8, flag []byte, dialKind uint8, dialect []byte,
		sealKind uint8, sealed []byte, keyKind uint8, key []byte, fpKind uint8, fp []byte,
		timeKind uint8, when []byte, dirKind uint8, dir []byte, bodyKind uint8, body []byte) {
		for _, q := range []string{`DELETE FROM messages`, `DELETE FROM contacts`, `DELETE FROM accounts`, `DELETE FROM servers`} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		at := sqlfuzz.Cell(timeKind, when)
		s.db.ExecContext(ctx, `INSERT INTO servers (id, name, address, tls, tls_skip_verify, dialect, created) VALUES (1, 'srv', ?, ?, ?, ?, ?)`,
			sqlfuzz.Cell(addrKind, addr), sqlfuzz.Cell(boolKind, flag), sqlfuzz.Cell(boolKind+1, flag), sqlfuzz.Cell(dialKind, dialect), at)
		s.db.ExecContext(ctx, `INSERT INTO accounts (id, server_id, username, sealed_key, created, last_login) VALUES (1, 1, 'alice', ?, ?, ?)`,
			sqlfuzz.Cell(sealKind, sealed), at, sqlfuzz.Cell(timeKind+1, when))
		s.db.ExecContext(ctx, `INSERT INTO contacts (account_id, username, pubkey, fingerprint, permission, first_seen, last_verified,
			pending_pubkey, pending_fingerprint, pending_seen) VALUES (1, 'bob', ?, ?, ?, ?, ?, ?, ?, ?)`,
			sqlfuzz.Cell(keyKind, key), sqlfuzz.Cell(fpKind, fp), sqlfuzz.Cell(boolKind, flag), at, at,
			sqlfuzz.Cell(keyKind+1, key), sqlfuzz.Cell(fpKind+1, fp), sqlfuzz.Cell(timeKind+2, when))
		s.db.ExecContext(ctx, `INSERT INTO messages (account_id, peer, direction, stamp, body, received_at, unread) VALUES (1, 'bob', ?, ?, ?, ?, ?)`,
			sqlfuzz.Cell(dirKind, dir), at, sqlfuzz.Cell(bodyKind, body), sqlfuzz.Cell(timeKind+3, when), sqlfuzz.Cell(boolKind, flag))

		s.Servers(ctx)
		s.Server(ctx, "srv")
		s.Accounts(ctx, "srv")
		s.Account(ctx, "srv", "alice")
		s.Contacts(ctx, "srv", "alice")
		s.PendingKeyChanges(ctx, "srv", "alice")
		if c, err := s.Contact(ctx, "srv", "alice", "bob"); err == nil {
			x509.ParsePKIXPublicKey(c.PublicKey) // what the session does with a pin
			if c.Pending != nil {
				s.AcceptKeyChange(ctx, "srv", "alice", "bob", c.Pending.Fingerprint)
			}
		}
		s.ContactKey(ctx, "srv", "alice", "bob")
		s.History(ctx, "srv", "alice", "bob", 0, 0)
		s.Conversations(ctx, "srv", "alice")
		s.ExportConversation(ctx, io.Discard, "srv", "alice", "bob")
		s.MarkRead(ctx, "srv", "alice", "bob", 0)
	})
}
