-- The session epoch: one counter that a revocation increments when it
-- could not reach the pub/sub Redis.  Redis caches "this session is live"
-- marks tagged with the epoch they were read under, and trusts a mark only
-- while it matches the current epoch (src/auth_live.c), so marks written
-- before such a revocation are no longer trusted.
CREATE TABLE session_epoch (
	-- Always true: the table has exactly one row.
	id boolean PRIMARY KEY DEFAULT true CHECK (id),
	epoch bigint NOT NULL
);

INSERT INTO session_epoch (epoch) VALUES (1);
