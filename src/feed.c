/*
 * GET /api/feed, computed on read from PostgreSQL (docs/feed.md explains
 * why this is not fan-out on write).
 *
 * Every post on my wall or a friend's wall is visible to me: a FRIENDS
 * post is visible to the wall owner's friends, and the feed only reads
 * walls whose owner is me or my friend.  So the feed needs no privacy
 * filter, only the set of walls.
 *
 * The page is not cached: it changes with every post on any friend's
 * wall, so a cached copy would need one generation per friend in its key.
 */
#include "feed.h"

#include <stdio.h>

#include "db.h"
#include "posts.h"
#include "social.h"

#define FEED_LIMIT_DEFAULT 10
#define FEED_LIMIT_MAX	   20

/*
 * For each wall, the newest $4 posts before the cursor through
 * posts_wall_idx (an index-only probe); the best $4 of those are the
 * page.  The cost is one index probe per friend plus at most
 * friends * limit index entries, whatever the table's size and however
 * long ago each friend last posted.
 */
static const char sql_feed[] =
    "WITH walls AS ("
    " SELECT friend_id AS id FROM friendships WHERE profile_id = $1"
    " UNION ALL SELECT $1::uuid),"
    " page AS ("
    " SELECT t.id, t.created_at FROM walls w CROSS JOIN LATERAL ("
    "  SELECT q.id, q.created_at FROM posts q"
    "  WHERE q.wall_profile_id = w.id"
    "   AND (q.created_at, q.id) < ($2::timestamptz, $3::uuid)"
    "  ORDER BY q.created_at DESC, q.id DESC LIMIT $4) t"
    " ORDER BY t.created_at DESC, t.id DESC LIMIT $4)"
    " SELECT " POSTS_COLUMNS("$1")
    " FROM page JOIN posts p ON p.id = page.id"
    " JOIN profiles a ON a.id = p.profile_id"
    " ORDER BY p.created_at DESC, p.id DESC";

void
feed_get(struct request *req)
{
	struct keyset cursor;
	int limit;

	if (social_keyset_or_reply(req, &cursor) == -1 ||
	    http_query_limit_or_reply(req, FEED_LIMIT_DEFAULT, FEED_LIMIT_MAX,
		&limit) == -1)
		return;
	social_reply_page(req, sql_feed, req->profile_id, &cursor, limit,
	    posts_json);
}
