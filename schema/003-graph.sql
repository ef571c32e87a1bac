-- Profiles search and the friend graph (PostgreSQL backend).

-- Case-insensitive containment search on usernames.
CREATE INDEX profiles_username_trgm_idx ON profiles
	USING gin (lower(username) gin_trgm_ops);

-- Each friendship is stored twice, (a, b) and (b, a), so that "friends of
-- X" is one range scan of the primary key or of the username index.
-- Usernames never change, so the friend's name is kept here for keyset
-- pages ordered by username.
CREATE TABLE friendships (
	profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	friend_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	friend_username text COLLATE "C" NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (profile_id, friend_id),
	CHECK (profile_id <> friend_id)
);

CREATE UNIQUE INDEX friendships_by_username_idx
	ON friendships (profile_id, friend_username) INCLUDE (friend_id);

CREATE TABLE friend_requests (
	requester_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	target_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	requester_username text COLLATE "C" NOT NULL,
	target_username text COLLATE "C" NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (requester_id, target_id),
	CHECK (requester_id <> target_id)
);

CREATE INDEX friend_requests_outgoing_idx
	ON friend_requests (requester_id, target_username);
CREATE INDEX friend_requests_incoming_idx
	ON friend_requests (target_id, requester_username);

-- Notifications; the realtime layer delivers them live.
CREATE TABLE notifications (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	event text NOT NULL,
	payload jsonb NOT NULL,
	read boolean NOT NULL DEFAULT false,
	visited boolean NOT NULL DEFAULT false
);

CREATE INDEX notifications_profile_idx
	ON notifications (profile_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx
	ON notifications (profile_id) WHERE NOT read;
