-- Initial schema. Names and settings keys are VARBINARY so comparisons are
-- byte-exact: no case folding and no trailing-space padding (the original
-- server's case-insensitive collation let "ALICE" reach alice). A UNIQUE index
-- over the long key column would need a hash index, so uniqueness of live keys
-- is enforced on key_hash (SHA-256 of the DER key), NULL once deregistered.
CREATE TABLE IF NOT EXISTS users (
	id       BIGINT           NOT NULL AUTO_INCREMENT,
	name     VARBINARY(32)    NOT NULL,
	pubkey   BLOB             NULL,
	key_hash BINARY(32)       NULL,
	perm     TINYINT UNSIGNED NOT NULL DEFAULT 0,
	created  BIGINT           NOT NULL,
	PRIMARY KEY (id),
	UNIQUE KEY users_name (name),
	UNIQUE KEY users_key_hash (key_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS messages (
	id           BIGINT NOT NULL AUTO_INCREMENT,
	sender_id    BIGINT NOT NULL,
	recipient_id BIGINT NOT NULL,
	stamp        BIGINT NOT NULL,
	body         BLOB   NOT NULL,
	queued       BIGINT NOT NULL,
	PRIMARY KEY (id),
	KEY messages_recipient_stamp (recipient_id, stamp, id),
	CONSTRAINT messages_sender FOREIGN KEY (sender_id) REFERENCES users (id),
	CONSTRAINT messages_recipient FOREIGN KEY (recipient_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS settings (
	name    VARBINARY(255) NOT NULL,
	content MEDIUMBLOB     NOT NULL,
	PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
