package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gochatproto/gochat/internal/sqlfuzz"
	"github.com/gochatproto/gochat/refserver/store/sqlstore"
	"github.com/gochatproto/gochat/spec"
)

// FuzzStoreRows writes arbitrary cells into the users, messages and
// settings rows (bypassing CHECK constraints) and reads them back through
// the public API: every method must return values or an error, never
// panic, and a stored key is only ever handed to spec.ParsePublicKey,
// which must reject garbage with an error.
func FuzzStoreRows(f *testing.F) {
	f.Add("alice", uint8(2), []byte("\x30\x82"), uint8(0), []byte{1}, uint8(0), []byte{0, 0, 0, 0x80}, uint8(0), []byte{2}, []byte("ct"), uint8(1), []byte("motd"))
	f.Add("bob", uint8(3), []byte(nil), uint8(1), []byte("300"), uint8(4), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0x7f}, uint8(2), []byte("x"), []byte(nil), uint8(0), []byte{7})
	f.Add("", uint8(1), []byte("key"), uint8(5), []byte{0xff}, uint8(1), []byte("yesterday"), uint8(3), []byte(nil), []byte{}, uint8(3), []byte(nil))
	st, err := sqlstore.OpenSQLite(context.Background(), ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	db := st.DB()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `PRAGMA ignore_check_constraints = ON`); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name string, keyKind uint8, key []byte, permKind uint8, perm []byte,
		createdKind uint8, created []byte, stampKind uint8, stamp []byte, body []byte, motdKind uint8, motd []byte) {
		for _, q := range []string{`DELETE FROM messages`, `DELETE FROM users`, `DELETE FROM settings`} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		// Rows that violate NOT NULL or UNIQUE are simply not there; the
		// reads below must cope with whatever did get in.
		db.ExecContext(ctx, `INSERT INTO users (id, name, pubkey, key_hash, perm, created) VALUES (1, ?, ?, NULL, ?, ?)`,
			name, sqlfuzz.Cell(keyKind, key), sqlfuzz.Cell(permKind, perm), sqlfuzz.Cell(createdKind, created))
		db.ExecContext(ctx, `INSERT INTO users (id, name, pubkey, perm, created) VALUES (2, 'fzpeer', x'00', 0, 0)`)
		db.ExecContext(ctx, `INSERT INTO messages (sender_id, recipient_id, stamp, body, queued) VALUES (1, 2, ?, ?, ?)`,
			sqlfuzz.Cell(stampKind, stamp), sqlfuzz.Cell(keyKind+1, body), sqlfuzz.Cell(createdKind, created))
		db.ExecContext(ctx, `INSERT INTO messages (sender_id, recipient_id, stamp, body, queued) VALUES (2, 1, ?, ?, 0)`,
			sqlfuzz.Cell(stampKind, stamp), sqlfuzz.Cell(keyKind, body))
		db.ExecContext(ctx, `INSERT INTO settings (name, content) VALUES ('motd', ?)`, sqlfuzz.Cell(motdKind, motd))

		if u, err := st.UserByName(ctx, name); err == nil && !u.Deregistered {
			spec.ParsePublicKey(u.Key) // the session layer's only use of a stored key
		} else if err != nil && !strings.HasPrefix(err.Error(), "sqlstore:") && !strings.HasPrefix(err.Error(), "store:") {
			t.Fatalf("UserByName: unwrapped error %v", err)
		}
		st.ListUsers(ctx)
		for _, to := range []string{name, "fzpeer"} {
			ms, err := st.PendingMessages(ctx, to, 0)
			if err == nil {
				for _, m := range ms {
					spec.DialectSpec.AppendTimestamp(nil, m.Stamp)
					spec.DialectGochat1.AppendTimestamp(nil, m.Stamp)
				}
			}
			st.CountPending(ctx, to)
		}
		st.Setting(ctx, "motd")
		st.SetPerm(ctx, name, 1)
		st.Deregister(ctx, name)
	})
}
