-- Accounts and sessions.

CREATE TABLE profiles (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	username text NOT NULL CHECK (length(username) BETWEEN 2 AND 32),
	-- Stored lower-case; uniqueness is exact on that form.
	email text NOT NULL CHECK (email = lower(email)),
	password_hash text NOT NULL,
	role text NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'ADMIN')),
	avatar_identifier text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- A person cannot register "Bunny" when "bunny" exists.
CREATE UNIQUE INDEX profiles_username_lower_key ON profiles (lower(username));
CREATE UNIQUE INDEX profiles_email_key ON profiles (email);

-- One row per login.  The current refresh token is in refresh_tokens with
-- rotated_at NULL; rotated ones stay until the session goes, so that a
-- reused token is recognised and revokes the session.
CREATE TABLE sessions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz,
	user_agent text NOT NULL DEFAULT '',
	ip text NOT NULL DEFAULT ''
);

CREATE INDEX sessions_profile_idx ON sessions (profile_id, created_at DESC);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE refresh_tokens (
	-- SHA-256 of the token, hex; the token itself is never stored.
	token_hash text PRIMARY KEY,
	session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	rotated_at timestamptz
);

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
