-- Initial schema. Names compare with SQLite's default BINARY collation, so
-- lookups and ordering are byte-exact. AUTOINCREMENT keeps IDs from being
-- reused, so a stale message ID can never delete a newer message.
CREATE TABLE IF NOT EXISTS users (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	name     TEXT    NOT NULL UNIQUE,
	pubkey   BLOB,
	key_hash BLOB    UNIQUE,
	perm     INTEGER NOT NULL DEFAULT 0 CHECK (perm BETWEEN 0 AND 255),
	created  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS messages (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	sender_id    INTEGER NOT NULL REFERENCES users (id),
	recipient_id INTEGER NOT NULL REFERENCES users (id),
	stamp        INTEGER NOT NULL,
	body         BLOB    NOT NULL,
	queued       INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS messages_recipient_stamp ON messages (recipient_id, stamp, id);

CREATE TABLE IF NOT EXISTS settings (
	name    TEXT NOT NULL PRIMARY KEY,
	content TEXT NOT NULL
);
