-- Graph writes that reached PostgreSQL but not Neo4j, to be replayed.
-- Each row names a pair (a, b) or a profile (b NULL) whose state is copied
-- again from PostgreSQL, so replaying twice does no harm.
CREATE TABLE graph_outbox (
	id bigserial PRIMARY KEY,
	a uuid NOT NULL,
	b uuid,
	created_at timestamptz NOT NULL DEFAULT now()
);
