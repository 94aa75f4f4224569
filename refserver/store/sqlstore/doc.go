// Package sqlstore implements store.Store on SQL databases through
// database/sql: SQLite (modernc.org/sqlite, pure Go) and MariaDB
// (github.com/go-sql-driver/mysql; MySQL 8 should work too but is untested).
// The queries are shared; the dialects differ only in DDL, the settings
// upsert and how a unique violation is recognised.
//
// # Backend URLs
//
// Open accepts:
//
//	sqlite:PATH                 SQLite file at PATH (created if missing; WAL mode)
//	sqlite://PATH               the same ("sqlite:///var/lib/gochat.db" is absolute)
//	sqlite::memory:             a private in-memory database, gone on Close
//	mariadb:DSN                 MariaDB; DSN in go-sql-driver syntax,
//	mysql:DSN                   e.g. "gochat:secret@tcp(127.0.0.1:3306)/gochat"
//	mysql://DSN, mariadb://DSN  the same
//
// The MariaDB database must already exist; the tables are created on first
// open. OpenSQLite and OpenMariaDB take the path or DSN directly.
//
// # Schema
//
// Migrations are embedded (migrations/<dialect>/NNNN_name.sql) and applied in
// order at open time; table schema_version(version, applied) records every
// applied step. Each step runs in a transaction with its version row and is
// written to be idempotent, because MariaDB commits DDL implicitly. A
// database whose version is newer than this binary knows is refused.
//
//	users     id        auto-increment primary key
//	          name      unique; byte-exact (SQLite TEXT with BINARY collation,
//	                    MariaDB VARBINARY(32)), never case-folded or padded
//	          pubkey    canonical PKIX DER; NULL once deregistered
//	          key_hash  SHA-256 of pubkey, unique, NULL once deregistered: live
//	                    keys are unique, a deregistered user's key is free
//	          perm      0 user, 1 admin, 2 owner
//	          created   Unix nanoseconds
//	messages  id            auto-increment, never reused; arrival order
//	          sender_id     -> users.id
//	          recipient_id  -> users.id
//	          stamp         sender's timestamp, Unix seconds (64-bit, so any
//	                        protocol value fits)
//	          body          opaque ciphertext
//	          queued        Unix nanoseconds when stored
//	          index (recipient_id, stamp, id): catch-up is one ordered range scan;
//	          on MariaDB that is the primary key (migration 0002), so the rows
//	          themselves are stored in delivery order per recipient, and id
//	          has a unique key of its own
//	settings  name (primary key), content
//
// Messages for offline users arrive through QueueMessages, which commits
// the messages of concurrent callers in one transaction (group commit, see
// queue.go); catch-ups read them with ReadPending, page by page from a
// cursor, and delete them by id.
//
// User rows are never deleted, so a deregistered name keeps its row and can
// never be registered again, and messages a deregistered user sent stay
// deliverable. Deregistration deletes the messages queued for the user.
package sqlstore
