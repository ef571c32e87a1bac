-- A year of demo activity for the people that `bunnybookd import-graph`
-- created from data/ego-facebook-edges.txt (profiles fbN with e-mail
-- fbN@import.invalid).  tools/demo.sh runs it with psql after the import;
-- psql variable password_hash is the Argon2id PHC string that every demo
-- account gets.
--
-- Everything random comes from demo_random(key), the MD5 digest of a fixed
-- key, so two loads produce the same rows.  Only the times depend on
-- the load: they are offsets back from the moment of loading, so the newest
-- activity is always recent.
--
-- What a load adds, exactly: 40,000 posts, 80,000 comments, 150,000 post
-- likes, 30,000 comment likes and 30,000 private chat messages.  It also
-- adds a few notifications for the last days' posts and comments.
-- t/990-demo.t checks these numbers.
--
-- The whole load is one transaction, and it stops without changes when
-- the demo's first post exists, so a second run adds nothing.

\set ON_ERROR_STOP on
\set post_count 40000
\set comment_count 80000
\set post_like_count 150000
\set comment_like_count 30000
\set message_count 30000
\set conversation_draws 3000

BEGIN;
SET LOCAL statement_timeout = 0;
-- Two loads at once: the second waits here, then finds the first's posts.
SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext('bunnybook-demo')) \gset

SELECT EXISTS (SELECT 1 FROM posts
	WHERE id = md5('bunnybook-demo:post:1')::uuid) AS demo_loaded \gset
\if :demo_loaded
\echo 'demo data already loaded; nothing changed'
ROLLBACK;
\quit
\endif

SELECT date_trunc('second', now()) AS end_at \gset

-- A number in [0, 1) from the first 52 bits of the MD5 digest of key.
CREATE FUNCTION pg_temp.demo_random(key text) RETURNS double precision
LANGUAGE sql IMMUTABLE AS $$
	SELECT ('x' || substr(md5(key), 1, 13))::bit(52)::bigint::double precision
		/ 4503599627370496
$$;

-- One element of words, chosen by key.
CREATE FUNCTION pg_temp.demo_pick(words text[], key text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT words[1 + floor(pg_temp.demo_random(key) * cardinality(words))::int]
$$;

-- The notification preview: the first 32 characters, then "..." when cut.
CREATE FUNCTION pg_temp.demo_preview(content text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN char_length(content) > 32
		THEN left(content, 32) || '...' ELSE content END
$$;

-- ------------------------------------------------------------ people

-- The imported people, numbered 0..count-1 (idx), with their degree.
CREATE TEMP TABLE demo_people AS
SELECT (row_number() OVER (ORDER BY substr(p.username, 3)::int) - 1)::int AS idx,
	p.id, p.username,
	(SELECT count(*) FROM friendships f WHERE f.profile_id = p.id)::int AS degree
FROM profiles p
WHERE p.username ~ '^fb[0-9]+$' AND p.email = p.username || '@import.invalid';
CREATE UNIQUE INDEX ON demo_people (idx);
CREATE UNIQUE INDEX ON demo_people (id);
ANALYZE demo_people;

-- Their friendships, each direction numbered per person (k) and overall
-- (edge), so that a random friend or a random friendship is one lookup.
CREATE TEMP TABLE demo_friends AS
SELECT a.idx AS person,
	(row_number() OVER (PARTITION BY a.idx ORDER BY b.idx) - 1)::int AS k,
	(row_number() OVER (ORDER BY a.idx, b.idx) - 1)::int AS edge,
	b.idx AS friend
FROM friendships f
JOIN demo_people a ON a.id = f.profile_id
JOIN demo_people b ON b.id = f.friend_id;
CREATE UNIQUE INDEX ON demo_friends (person, k);
CREATE UNIQUE INDEX ON demo_friends (edge);
ANALYZE demo_friends;

SELECT count(*) AS people_count FROM demo_people \gset
SELECT count(*) AS edge_count FROM demo_friends \gset
SELECT :people_count = 0 AS no_people \gset
\if :no_people
\echo 'no imported profiles (fbN) found; run bunnybookd import-graph first'
ROLLBACK;
\quit
\endif

-- People are drawn in two ways, half the time each: anyone, or the person
-- at one end of a random friendship, so that well-connected people are
-- more active, as in real networks.  This returns the friendship's number
-- for the second way and NULL for the first.  The caller joins it to
-- demo_friends.edge and falls back to floor(demo_random(key) * people).
CREATE FUNCTION pg_temp.demo_edge(key text, edges int) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN edges > 0 AND pg_temp.demo_random(key || ':kind') >= 0.5
		THEN floor(pg_temp.demo_random(key) * edges)::int END
$$;

-- The number k of a random friend of a person with degree friends (joined
-- to demo_friends.k), or NULL for the person itself: with chance
-- self_share, and always for a person without friends.
CREATE FUNCTION pg_temp.demo_friend_k(degree int, self_share double precision,
	key text) RETURNS int
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN degree > 0
		AND pg_temp.demo_random(key || ':self') >= self_share
		THEN floor(pg_temp.demo_random(key) * degree)::int END
$$;

-- Every demo account gets the password printed by tools/demo.sh.  Their
-- accounts and friendships date from before the generated year.
UPDATE profiles p SET password_hash = :'password_hash',
	created_at = :'end_at'::timestamptz - interval '400 days'
		- interval '30 days' * pg_temp.demo_random('joined:' || d.idx)
FROM demo_people d WHERE p.id = d.id;

UPDATE friendships f SET created_at = :'end_at'::timestamptz - interval '370 days'
	- interval '25 days' * pg_temp.demo_random('befriended:'
		|| least(f.profile_id, f.friend_id) || greatest(f.profile_id, f.friend_id))
FROM demo_people a, demo_people b
WHERE a.id = f.profile_id AND b.id = f.friend_id;

-- ------------------------------------------------------------ texts

CREATE TEMP TABLE demo_text AS SELECT
	ARRAY['Just', 'Finally', 'Yesterday I', 'This morning I', 'Last weekend I',
		'Guess what: I', 'Today I', 'After months of planning I',
		'For once I', 'Somehow I'] AS openers,
	ARRAY['baked a carrot cake', 'ran ten kilometres', 'finished a 1000-piece puzzle',
		'planted tomatoes on the balcony', 'watched the sunrise from the hill',
		'tried the new ramen place', 'fixed my old bike', 'learned three chords on the guitar',
		'repainted the kitchen', 'read a whole novel in one sitting', 'went bouldering',
		'cooked dinner for twelve people', 'found my old photo albums', 'built a bookshelf',
		'saw the northern lights', 'adopted a rabbit called Clover', 'swam in the lake',
		'visited my grandparents', 'got tickets for the concert', 'beat my chess rating record',
		'made fresh pasta', 'cleaned out the garage', 'started learning Spanish',
		'hiked to the waterfall', 'took the night train'] AS activities,
	ARRAY['with the family', 'in the pouring rain', 'before breakfast', 'with friends from work',
		'at the lake', 'downtown', 'on my own', 'for the first time', 'with my sister',
		'after work', 'at the weekend market', 'with the neighbours'] AS settings,
	ARRAY['!', '.', ' :)', '. Who wants to come along next time?', '. Highly recommended.',
		'. Photos soon!', '. Never again.', '... and it was wonderful.', '. Best day in ages.',
		'. Still smiling.'] AS endings,
	ARRAY['Great to see you last night, %s!', 'Happy birthday, %s! Have a wonderful day.',
		'Thanks for the book, %s. I could not put it down.', 'Miss you, %s! Coffee soon?',
		'%s, you left your umbrella at my place.', 'Congratulations on the new job, %s!',
		'Thinking of you, %s. Call me when you are back.',
		'%s, the photos from the trip are up. You look great in all of them.',
		'Thanks for helping with the move, %s!', 'Good luck tomorrow, %s!'] AS wall_notes,
	ARRAY['Love this!', 'Wow, congratulations!', 'Count me in next time.', 'Haha, classic.',
		'Looks amazing.', 'Where was this?', 'So jealous right now.', 'Same here!',
		'You have to show me how.', 'Nice one!', 'Told you it would work out.',
		'This made my day.', 'Pictures or it didn''t happen!', 'I was there too!',
		'Well deserved.', 'Thank you!', 'Miss you too!', 'Let''s do it again soon.',
		'How long did that take?', 'Amazing, well done.'] AS replies,
	ARRAY['Hey, how are you?', 'Are we still on for Saturday?', 'Running ten minutes late, sorry!',
		'Did you see the game last night?', 'Can you send me that recipe?', 'Sure, sounds good.',
		'Haha yes', 'Call me when you get a chance.', 'Happy birthday!!', 'Thanks! :)',
		'On my way.', 'What time works for you?', 'I found the book you lent me.',
		'Let''s grab lunch this week.', 'Good night!', 'Where are you?', 'See you there.',
		'That was so much fun yesterday.', 'Do you need anything from the shop?',
		'OK, talk later.', 'I will bring the snacks.', 'No worries at all.'] AS chat_lines;

-- ------------------------------------------------------------ posts

-- The counting triggers would update a post once per comment or like,
-- which makes hundreds of versions of the same rows in one transaction
-- and took over a minute here.  The foreign key checks add more.  Replica
-- mode skips both until the end of this transaction (it needs a superuser,
-- as the local stack's bunnybook role is).  Every row below is built
-- from joins with existing rows, so its references hold, and the counters
-- are set from a count of what was inserted.
SET LOCAL session_replication_role = replica;

-- Author, wall and time of every post.  About a third go on a friend's wall.
CREATE TEMP TABLE demo_posts AS
SELECT a.i, md5('bunnybook-demo:post:' || a.i)::uuid AS id, a.author,
	coalesce(f.friend, a.author) AS wall,
	CASE WHEN pg_temp.demo_random('post-privacy:' || a.i) < 0.3
		THEN 'FRIENDS' ELSE 'PUBLIC' END AS privacy,
	date_trunc('milliseconds', :'end_at'::timestamptz
		- interval '365 days' * pg_temp.demo_random('post-time:' || a.i)) AS created_at
FROM (SELECT i, coalesce(e.person,
		floor(pg_temp.demo_random('post-author:' || i) * :people_count)::int) AS author
	FROM generate_series(1, :post_count) i
	LEFT JOIN demo_friends e
		ON e.edge = pg_temp.demo_edge('post-author:' || i, :edge_count)) a
JOIN demo_people pa ON pa.idx = a.author
LEFT JOIN demo_friends f ON f.person = a.author
	AND f.k = CASE WHEN pg_temp.demo_random('post-wall:' || a.i) < 0.35
		THEN pg_temp.demo_friend_k(pa.degree, 0, 'post-friend:' || a.i) END;
CREATE UNIQUE INDEX ON demo_posts (i);
ANALYZE demo_posts;

INSERT INTO posts (id, wall_profile_id, profile_id, content, privacy, created_at)
SELECT dp.id, w.id, a.id,
	CASE WHEN dp.wall = dp.author THEN
		pg_temp.demo_pick(t.openers, 'post-opener:' || dp.i) || ' '
		|| pg_temp.demo_pick(t.activities, 'post-activity:' || dp.i) || ' '
		|| pg_temp.demo_pick(t.settings, 'post-setting:' || dp.i)
		|| pg_temp.demo_pick(t.endings, 'post-ending:' || dp.i)
	ELSE format(pg_temp.demo_pick(t.wall_notes, 'post-note:' || dp.i), w.username)
	END,
	dp.privacy, dp.created_at
FROM demo_posts dp
JOIN demo_people a ON a.idx = dp.author
JOIN demo_people w ON w.idx = dp.wall
CROSS JOIN demo_text t;

-- ------------------------------------------------------------ comments

-- Posts drawn with a skew (a power of a uniform number), so a few posts
-- gather long threads.  Commenters are the wall owner and its friends,
-- the people who may see any post on that wall.
CREATE TEMP TABLE demo_comments AS
SELECT j, md5('bunnybook-demo:comment:' || j)::uuid AS id, dp.i AS post, dp.id AS post_id,
	dp.wall,
	coalesce(f.friend, dp.wall) AS author,
	date_trunc('milliseconds', dp.created_at
		+ least(interval '4 days', :'end_at'::timestamptz - dp.created_at)
		* pg_temp.demo_random('comment-time:' || j)) AS created_at
FROM generate_series(1, :comment_count) j
JOIN demo_posts dp ON dp.i = 1 + floor(:post_count
	* power(pg_temp.demo_random('comment-post:' || j), 1.5))::int
JOIN demo_people w ON w.idx = dp.wall
LEFT JOIN demo_friends f ON f.person = dp.wall
	AND f.k = pg_temp.demo_friend_k(w.degree, 0.2, 'commenter:' || j);
CREATE UNIQUE INDEX ON demo_comments (j);
ANALYZE demo_comments;

INSERT INTO comments (id, post_id, profile_id, content, created_at)
SELECT dc.id, dc.post_id, a.id,
	pg_temp.demo_pick(t.replies, 'comment-text:' || dc.j)
	|| CASE WHEN pg_temp.demo_random('comment-more:' || dc.j) < 0.3
		THEN ' ' || pg_temp.demo_pick(t.replies, 'comment-more-text:' || dc.j)
		ELSE '' END,
	dc.created_at
FROM demo_comments dc
JOIN demo_people a ON a.idx = dc.author
CROSS JOIN demo_text t;

-- ------------------------------------------------------------ likes

-- Likers come from the same people as commenters.  Draws that repeat a
-- (post, person) pair are dropped, and the first post_like_count distinct
-- pairs in draw order are kept; 25% more draws than needed leave enough.
INSERT INTO post_likes (post_id, profile_id, created_at)
SELECT post_id, liker_id, created_at FROM (
	SELECT DISTINCT ON (dp.id, p.id) c, dp.id AS post_id, p.id AS liker_id,
		date_trunc('milliseconds', dp.created_at
			+ least(interval '3 days', :'end_at'::timestamptz - dp.created_at)
			* pg_temp.demo_random('like-time:' || c)) AS created_at
	FROM generate_series(1, :post_like_count * 5 / 4) c
	JOIN demo_posts dp ON dp.i = 1 + floor(:post_count
		* power(pg_temp.demo_random('like-post:' || c), 1.3))::int
	JOIN demo_people w ON w.idx = dp.wall
	LEFT JOIN demo_friends f ON f.person = dp.wall
		AND f.k = pg_temp.demo_friend_k(w.degree, 0.1, 'liker:' || c)
	JOIN demo_people p ON p.idx = coalesce(f.friend, dp.wall)
	ORDER BY dp.id, p.id, c) AS distinct_likes
ORDER BY c
LIMIT :post_like_count;

INSERT INTO comment_likes (comment_id, profile_id, created_at)
SELECT comment_id, liker_id, created_at FROM (
	SELECT DISTINCT ON (dc.id, p.id) c, dc.id AS comment_id, p.id AS liker_id,
		date_trunc('milliseconds', dc.created_at
			+ least(interval '2 days', :'end_at'::timestamptz - dc.created_at)
			* pg_temp.demo_random('comment-like-time:' || c)) AS created_at
	FROM generate_series(1, :comment_like_count * 5 / 4) c
	JOIN demo_comments dc ON dc.j = 1 + floor(:comment_count
		* pg_temp.demo_random('comment-like-comment:' || c))::int
	JOIN demo_people w ON w.idx = dc.wall
	LEFT JOIN demo_friends f ON f.person = dc.wall
		AND f.k = pg_temp.demo_friend_k(w.degree, 0.1, 'comment-liker:' || c)
	JOIN demo_people p ON p.idx = coalesce(f.friend, dc.wall)
	ORDER BY dc.id, p.id, c) AS distinct_likes
ORDER BY c
LIMIT :comment_like_count;

-- Replica mode skipped the trigger that keeps each wall's last post time
-- for the home feed, so set it here.
INSERT INTO wall_last_posts AS w (wall_profile_id, last_post_at)
	SELECT p.wall_profile_id, max(p.created_at) FROM posts p
	JOIN demo_posts dp ON dp.id = p.id GROUP BY p.wall_profile_id
ON CONFLICT (wall_profile_id) DO UPDATE
	SET last_post_at = greatest(w.last_post_at, excluded.last_post_at);

-- Only the demo's own rows point at the demo's posts and comments, which
-- all started at zero.
UPDATE posts p SET comments_count = n FROM (
	SELECT post_id, count(*) AS n FROM demo_comments GROUP BY post_id) c
WHERE p.id = c.post_id;
UPDATE posts p SET likes_count = n FROM (
	SELECT l.post_id, count(*) AS n FROM post_likes l
	JOIN demo_posts dp ON dp.id = l.post_id GROUP BY l.post_id) c
WHERE p.id = c.post_id;
UPDATE comments cm SET likes_count = n FROM (
	SELECT l.comment_id, count(*) AS n FROM comment_likes l
	JOIN demo_comments dc ON dc.id = l.comment_id GROUP BY l.comment_id) c
WHERE cm.id = c.comment_id;

-- ------------------------------------------------------------ chat

-- Pairs of friends who chat: conversation_draws draws of a person and one
-- of their friends; a pair drawn twice is one conversation.  A pair whose
-- conversation already has messages (sent through the API before the
-- load) is left alone, because its numbering and times are taken.
CREATE TEMP TABLE demo_conversations AS
SELECT (row_number() OVER (ORDER BY min(d.c)) - 1)::int AS conversation,
	d.low, d.high,
	md5('bunnybook-demo:chat:' || min(d.c))::uuid AS new_id,
	date_trunc('milliseconds', :'end_at'::timestamptz
		- interval '280 days' * pg_temp.demo_random('chat-last:' || min(d.c))) AS last_at,
	interval '1 minute' * (1 + floor(720 * pg_temp.demo_random('chat-gap:' || min(d.c)))) AS gap
FROM (
	SELECT x.c, least(a.id, b.id) AS low, greatest(a.id, b.id) AS high
	FROM (SELECT c, coalesce(e.person,
			floor(pg_temp.demo_random('chat-person:' || c) * :people_count)::int) AS person
		FROM generate_series(1, :conversation_draws) c
		LEFT JOIN demo_friends e
			ON e.edge = pg_temp.demo_edge('chat-person:' || c, :edge_count)) x
	JOIN demo_people a ON a.idx = x.person
	JOIN demo_friends f ON f.person = x.person
		AND f.k = pg_temp.demo_friend_k(a.degree, 0, 'chat-friend:' || x.c)
	JOIN demo_people b ON b.idx = f.friend) d
WHERE NOT EXISTS (SELECT 1 FROM chat_groups g
	WHERE g.private_low = d.low AND g.private_high = d.high AND g.message_seq > 0)
GROUP BY d.low, d.high;
CREATE UNIQUE INDEX ON demo_conversations (conversation);
SELECT count(*) AS conversation_count FROM demo_conversations \gset

-- Messages go to conversations with a skew, so some pairs talk a lot.
-- Within a conversation they are numbered in draw order and spaced by
-- its gap back from its last message, so time increases with the number.
CREATE TEMP TABLE demo_messages AS
SELECT m, md5('bunnybook-demo:message:' || m)::uuid AS id, conversation,
	(row_number() OVER (PARTITION BY conversation ORDER BY m))::int AS seq,
	(count(*) OVER (PARTITION BY conversation))::int AS n,
	pg_temp.demo_random('message-sender:' || m) < 0.5 AS from_low
FROM (SELECT m, floor(:conversation_count
	* power(pg_temp.demo_random('message-chat:' || m), 1.5))::int AS conversation
	FROM generate_series(1, :message_count) m) drawn;

-- Conversations that exist already (created empty by the API) keep their id.
INSERT INTO chat_groups (id, private_low, private_high, created_at)
SELECT dc.new_id, dc.low, dc.high, dc.last_at - dc.gap * (max(dm.n) + 1)
FROM demo_conversations dc JOIN demo_messages dm USING (conversation)
GROUP BY dc.new_id, dc.low, dc.high, dc.last_at, dc.gap
ON CONFLICT DO NOTHING;

CREATE TEMP TABLE demo_chats AS
SELECT dc.conversation, g.id AS group_id, dc.low, dc.high, dc.last_at, dc.gap, g.created_at
FROM demo_conversations dc
JOIN chat_groups g ON g.private_low = dc.low AND g.private_high = dc.high
WHERE EXISTS (SELECT 1 FROM demo_messages dm WHERE dm.conversation = dc.conversation);
CREATE UNIQUE INDEX ON demo_chats (conversation);

INSERT INTO chat_members (chat_group_id, profile_id, joined_at)
SELECT group_id, member, created_at FROM demo_chats, LATERAL (VALUES (low), (high)) v(member)
ON CONFLICT DO NOTHING;

INSERT INTO chat_messages (id, chat_group_id, seq, profile_id, content, created_at)
SELECT dm.id, ch.group_id, dm.seq, CASE WHEN dm.from_low THEN ch.low ELSE ch.high END,
	pg_temp.demo_pick(t.chat_lines, 'message-text:' || dm.m),
	ch.last_at - ch.gap * (dm.n - dm.seq)
FROM demo_messages dm
JOIN demo_chats ch USING (conversation)
CROSS JOIN demo_text t;

-- The counters chat_send_message() keeps, as it would have left them.
UPDATE chat_groups g SET message_seq = last.seq, last_message_id = last.id,
	last_message_at = last.created_at
FROM demo_chats ch
JOIN LATERAL (SELECT m.seq, m.id, m.created_at FROM chat_messages m
	WHERE m.chat_group_id = ch.group_id ORDER BY m.seq DESC LIMIT 1) last ON true
WHERE g.id = ch.group_id;

-- Read markers: the sender of a message has read up to it.  In four
-- conversations out of five the other member has read everything since
-- (a little after the last message).  Otherwise that member's marker
-- stays at the last message they sent, and what came later is unread.
WITH marker AS (
	SELECT ch.group_id, mem.profile_id,
		CASE WHEN last.profile_id = mem.profile_id
			OR pg_temp.demo_random('chat-read:' || ch.conversation) < 0.8
			THEN last.seq
			ELSE coalesce((SELECT max(m.seq) FROM chat_messages m
				WHERE m.chat_group_id = ch.group_id
				AND m.profile_id = mem.profile_id), 0)
		END AS read_seq,
		last.seq AS last_seq, last.profile_id AS last_sender, last.created_at AS last_at
	FROM demo_chats ch
	JOIN chat_members mem ON mem.chat_group_id = ch.group_id
	JOIN LATERAL (SELECT m.seq, m.profile_id, m.created_at FROM chat_messages m
		WHERE m.chat_group_id = ch.group_id ORDER BY m.seq DESC LIMIT 1) last ON true)
UPDATE chat_members cm SET last_message_at = mk.last_at, read_seq = mk.read_seq,
	read_message_id = rm.id,
	read_at = CASE WHEN rm.id IS NULL THEN NULL
		WHEN mk.read_seq = mk.last_seq AND mk.last_sender <> cm.profile_id
		THEN least(:'end_at'::timestamptz, mk.last_at + interval '7 minutes')
		ELSE rm.created_at END,
	unread_count = (SELECT count(*) FROM chat_messages m
		WHERE m.chat_group_id = mk.group_id AND m.seq > mk.read_seq
		AND m.profile_id <> cm.profile_id)
FROM marker mk
LEFT JOIN chat_messages rm ON rm.chat_group_id = mk.group_id AND rm.seq = mk.read_seq
WHERE cm.chat_group_id = mk.group_id AND cm.profile_id = mk.profile_id;

-- ------------------------------------------------------------ notifications

-- A few notifications, as the API would have stored them: posts that
-- friends wrote on a wall in the last 14 days (to the wall owner) and
-- comments of the last 3 days (to the post's author).  Those older than
-- two days are read.
INSERT INTO notifications (id, profile_id, created_at, event, payload, read, visited)
SELECT md5('bunnybook-demo:notification:post:' || p.id)::uuid, p.wall_profile_id,
	p.created_at, 'NEW_POST_ON_WALL',
	jsonb_build_object('byId', a.id, 'byUsername', a.username, 'postId', p.id,
		'postPreview', pg_temp.demo_preview(p.content)),
	p.created_at < :'end_at'::timestamptz - interval '2 days',
	p.created_at < :'end_at'::timestamptz - interval '2 days'
FROM demo_posts dp
JOIN posts p ON p.id = dp.id
JOIN profiles a ON a.id = p.profile_id
WHERE dp.wall <> dp.author
	AND p.created_at > :'end_at'::timestamptz - interval '14 days';

INSERT INTO notifications (id, profile_id, created_at, event, payload, read, visited)
SELECT md5('bunnybook-demo:notification:comment:' || c.id)::uuid, p.profile_id,
	c.created_at, 'NEW_COMMENT_ON_POST',
	jsonb_build_object('byId', a.id, 'byUsername', a.username, 'postById', pa.id,
		'postByUsername', pa.username, 'postId', p.id,
		'commentPreview', pg_temp.demo_preview(c.content)),
	c.created_at < :'end_at'::timestamptz - interval '2 days',
	c.created_at < :'end_at'::timestamptz - interval '2 days'
FROM demo_comments dc
JOIN comments c ON c.id = dc.id
JOIN posts p ON p.id = c.post_id
JOIN profiles a ON a.id = c.profile_id
JOIN profiles pa ON pa.id = p.profile_id
WHERE c.profile_id <> p.profile_id
	AND c.created_at > :'end_at'::timestamptz - interval '3 days';

COMMIT;
