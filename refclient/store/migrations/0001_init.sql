-- Initial schema of the reference client's local store.
-- Times are Unix seconds (INTEGER). Booleans are 0/1.

CREATE TABLE servers (
	id              INTEGER PRIMARY KEY,
	name            TEXT    NOT NULL UNIQUE CHECK (name <> ''),
	address         TEXT    NOT NULL,
	tls             INTEGER NOT NULL DEFAULT 0 CHECK (tls IN (0, 1)),
	tls_skip_verify INTEGER NOT NULL DEFAULT 0 CHECK (tls_skip_verify IN (0, 1)),
	dialect         TEXT    NOT NULL DEFAULT 'spec' CHECK (dialect IN ('spec', 'gochat1')),
	created         INTEGER NOT NULL
);

CREATE TABLE accounts (
	id         INTEGER PRIMARY KEY,
	server_id  INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
	username   TEXT    NOT NULL CHECK (username <> ''),
	sealed_key BLOB    NOT NULL,
	created    INTEGER NOT NULL,
	last_login INTEGER,
	UNIQUE (server_id, username)
);

-- Pinned public keys (trust on first use). A key that differs from the pin
-- is parked in the pending_* columns until the user accepts it.
CREATE TABLE contacts (
	id                  INTEGER PRIMARY KEY,
	account_id          INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	username            TEXT    NOT NULL CHECK (username <> ''),
	pubkey              BLOB    NOT NULL,
	fingerprint         TEXT    NOT NULL,
	permission          INTEGER NOT NULL DEFAULT 0,
	first_seen          INTEGER NOT NULL,
	last_verified       INTEGER NOT NULL,
	pending_pubkey      BLOB,
	pending_fingerprint TEXT,
	pending_seen        INTEGER,
	UNIQUE (account_id, username)
);

CREATE TABLE messages (
	id          INTEGER PRIMARY KEY,
	account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	peer        TEXT    NOT NULL CHECK (peer <> ''),
	direction   TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
	stamp       INTEGER NOT NULL,
	body        TEXT    NOT NULL,
	received_at INTEGER NOT NULL,
	unread      INTEGER NOT NULL DEFAULT 0 CHECK (unread IN (0, 1))
);

CREATE INDEX messages_conversation ON messages (account_id, peer, id);

-- A server catch-up may redeliver a message already received live; only
-- incoming messages are deduplicated, so sending "ok" twice in one second
-- keeps both copies.
CREATE UNIQUE INDEX messages_incoming_once ON messages (account_id, peer, stamp, body)
	WHERE direction = 'in';
