-- The time of the newest post on each wall that has posts, kept by the
-- triggers below in the same transaction as the posts themselves.  The
-- home feed reads it for every wall it draws from.  It then probes the
-- posts index only for the few walls whose posts can reach the page
-- (docs/feed.md).
CREATE TABLE wall_last_posts (
	wall_profile_id uuid PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
	last_post_at timestamptz NOT NULL
);

INSERT INTO wall_last_posts (wall_profile_id, last_post_at)
	SELECT wall_profile_id, max(created_at) FROM posts GROUP BY wall_profile_id;

-- Per statement, so that a bulk insert (the demo data, benchmarks) updates
-- each wall once.
CREATE FUNCTION wall_last_posts_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO wall_last_posts AS w (wall_profile_id, last_post_at)
		SELECT wall_profile_id, max(created_at) FROM added
		GROUP BY wall_profile_id ORDER BY wall_profile_id
	ON CONFLICT (wall_profile_id) DO UPDATE
		SET last_post_at = greatest(w.last_post_at, excluded.last_post_at);
	RETURN NULL;
END;
$$;

-- The walls' rows are locked first and the newest remaining post is read
-- by the next statement, whose snapshot then includes any post a
-- concurrent transaction committed while this one waited for the lock.
-- A post inserted after that waits for this lock and raises the time
-- again through the insert trigger's greatest().
CREATE FUNCTION wall_last_posts_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM wall_last_posts
		WHERE wall_profile_id IN (SELECT wall_profile_id FROM removed)
		ORDER BY wall_profile_id FOR UPDATE;
	UPDATE wall_last_posts w SET last_post_at = coalesce(
		(SELECT max(p.created_at) FROM posts p
			WHERE p.wall_profile_id = w.wall_profile_id),
		'-infinity')
		WHERE w.wall_profile_id IN (SELECT wall_profile_id FROM removed);
	DELETE FROM wall_last_posts
		WHERE last_post_at = '-infinity'
		AND wall_profile_id IN (SELECT wall_profile_id FROM removed);
	RETURN NULL;
END;
$$;

CREATE TRIGGER wall_last_posts_added AFTER INSERT ON posts
	REFERENCING NEW TABLE AS added
	FOR EACH STATEMENT EXECUTE FUNCTION wall_last_posts_added();

CREATE TRIGGER wall_last_posts_removed AFTER DELETE ON posts
	REFERENCING OLD TABLE AS removed
	FOR EACH STATEMENT EXECUTE FUNCTION wall_last_posts_removed();
