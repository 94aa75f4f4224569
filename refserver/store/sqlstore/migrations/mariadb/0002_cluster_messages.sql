-- Cluster messages by recipient: InnoDB stores rows in primary-key order,
-- so with (recipient_id, stamp, id) as the primary key a catch-up reads one
-- contiguous range of the table in delivery order, instead of one random
-- primary-key lookup per entry of a secondary index (several times slower
-- for a large backlog, and with one recipient holding most rows the planner
-- even preferred a full scan and a filesort). AUTO_INCREMENT needs a key
-- that starts with id, hence messages_id. One ALTER is atomic, and running
-- it again rebuilds the same table, so the step is idempotent.
ALTER TABLE messages
	DROP PRIMARY KEY,
	ADD PRIMARY KEY (recipient_id, stamp, id),
	ADD UNIQUE KEY IF NOT EXISTS messages_id (id),
	DROP INDEX IF EXISTS messages_recipient_stamp;
