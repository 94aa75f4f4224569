-- Deduplicate incoming messages on their ciphertext instead of their text.
-- RSA-OAEP is randomized: a redelivered message has the same ciphertext,
-- while two sends of the same text (bob types "ok" three times within a
-- second) have different ones. The old index, on decrypted text and
-- whole-second stamps, collapsed such repeats into one row.
DROP INDEX messages_incoming_once;

-- SHA-256 of the ciphertext, for incoming messages received from now on;
-- rows stored before this migration have none and are never matched.
ALTER TABLE messages ADD COLUMN digest BLOB;

-- Outgoing messages the server held for an offline recipient (shown with a
-- queued marker).
ALTER TABLE messages ADD COLUMN queued INTEGER NOT NULL DEFAULT 0 CHECK (queued IN (0, 1));

CREATE UNIQUE INDEX messages_incoming_digest ON messages (account_id, peer, digest)
	WHERE direction = 'in' AND digest IS NOT NULL;

-- Pushed packets the client could not decode (for example a RECIV in the
-- other dialect), kept byte for byte so no message is lost: the client
-- retries them once it knows the server's dialect.
CREATE TABLE undecoded (
	id          INTEGER PRIMARY KEY,
	server_id   INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
	account     TEXT    NOT NULL,
	raw         BLOB    NOT NULL,
	reason      TEXT    NOT NULL,
	received_at INTEGER NOT NULL
);
