-- Posts on walls, their comments, and likes on both.
--
-- Times are stored truncated to milliseconds, the precision the API shows,
-- so a keyset cursor built from a createdAt the client received compares
-- exactly with the stored value: pages never skip or repeat a row.
--
-- The counters (comments_count, likes_count) are kept by triggers in the
-- same transaction as the row they count, so they equal the real count
-- whichever way rows arrive (the API, psql, a cascade).

CREATE TABLE posts (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	wall_profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	content text NOT NULL CHECK (length(content) BETWEEN 1 AND 4096),
	privacy text NOT NULL DEFAULT 'PUBLIC'
		CHECK (privacy IN ('PUBLIC', 'FRIENDS')),
	created_at timestamptz NOT NULL
		DEFAULT date_trunc('milliseconds', clock_timestamp()),
	updated_at timestamptz,
	comments_count integer NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
	likes_count integer NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
	CHECK (created_at = date_trunc('milliseconds', created_at))
);

-- A wall page for the wall owner and friends, and the per-wall probes of
-- the home feed: both walk (created_at, id) backwards from a cursor.
CREATE INDEX posts_wall_idx ON posts (wall_profile_id, created_at, id);
-- A wall page for everyone else, who sees PUBLIC posts only.
CREATE INDEX posts_wall_public_idx ON posts (wall_profile_id, created_at, id)
	WHERE privacy = 'PUBLIC';
-- Deleting a profile deletes the posts it wrote on other walls.
CREATE INDEX posts_profile_idx ON posts (profile_id);

CREATE TABLE comments (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	post_id uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	content text NOT NULL CHECK (length(content) BETWEEN 1 AND 1024),
	created_at timestamptz NOT NULL
		DEFAULT date_trunc('milliseconds', clock_timestamp()),
	likes_count integer NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
	CHECK (created_at = date_trunc('milliseconds', created_at))
);

-- Comment pages, and the earlier commenters of a post (notifications).
CREATE INDEX comments_post_idx ON comments (post_id, created_at, id)
	INCLUDE (profile_id);
CREATE INDEX comments_profile_idx ON comments (profile_id);

CREATE TABLE post_likes (
	post_id uuid NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (post_id, profile_id)
);

CREATE INDEX post_likes_profile_idx ON post_likes (profile_id);

CREATE TABLE comment_likes (
	comment_id uuid NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
	profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (comment_id, profile_id)
);

CREATE INDEX comment_likes_profile_idx ON comment_likes (profile_id);

-- NEW_LIKE notifications are grouped per liked item and clock hour; this
-- finds the recipient's group for one item in the current hour.
CREATE INDEX notifications_like_group_idx ON notifications
	(profile_id, (payload->>'postId'),
	 (coalesce(payload->>'commentId', '')), created_at)
	WHERE event = 'NEW_LIKE';

CREATE FUNCTION posts_count_comments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE posts SET comments_count = comments_count + 1
		WHERE id = NEW.post_id;
	ELSE
		UPDATE posts SET comments_count = comments_count - 1
		WHERE id = OLD.post_id;
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER comments_counted AFTER INSERT OR DELETE ON comments
	FOR EACH ROW EXECUTE FUNCTION posts_count_comments();

CREATE FUNCTION posts_count_likes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE posts SET likes_count = likes_count + 1
		WHERE id = NEW.post_id;
	ELSE
		UPDATE posts SET likes_count = likes_count - 1
		WHERE id = OLD.post_id;
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER post_likes_counted AFTER INSERT OR DELETE ON post_likes
	FOR EACH ROW EXECUTE FUNCTION posts_count_likes();

CREATE FUNCTION comments_count_likes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		UPDATE comments SET likes_count = likes_count + 1
		WHERE id = NEW.comment_id;
	ELSE
		UPDATE comments SET likes_count = likes_count - 1
		WHERE id = OLD.comment_id;
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER comment_likes_counted AFTER INSERT OR DELETE ON comment_likes
	FOR EACH ROW EXECUTE FUNCTION comments_count_likes();
