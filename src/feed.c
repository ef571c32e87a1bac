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
 * In three steps:
 *
 * 1. newest: for each wall (my friends' and mine), the time of its newest
 *    post before the cursor.  When the wall's last post time from
 *    wall_last_posts is older than the cursor, that is the answer.  Only
 *    walls with a post at or after the cursor time need a probe of
 *    posts_wall_idx, and on the first page there are none.
 * 2. bound: the $4-th newest of those times.  The newest post of each of
 *    the $4 walls at or above it is a candidate, so no post of the page
 *    is older than the bound.
 * 3. page: the newest $4 posts at or above the bound, probing only the
 *    walls whose newest post reaches it (about $4 walls).
 *
 * So the first page costs one wall_last_posts lookup per friend and
 * about $4 short probes of the posts index, whatever the number of posts
 * and however long ago each friend last posted.
 */
static const char sql_feed[] =
    "WITH walls AS ("
    " SELECT friend_id AS id FROM friendships WHERE profile_id = $1"
    " UNION ALL SELECT $1::uuid),"
    " newest AS MATERIALIZED ("
    " SELECT w.id, CASE WHEN l.last_post_at < $2::timestamptz"
    "  THEN l.last_post_at"
    "  ELSE (SELECT q.created_at FROM posts q"
    "   WHERE q.wall_profile_id = w.id"
    "    AND (q.created_at, q.id) < ($2::timestamptz, $3::uuid)"
    "   ORDER BY q.created_at DESC, q.id DESC LIMIT 1) END AS at"
    " FROM walls w JOIN wall_last_posts l ON l.wall_profile_id = w.id),"
    " bound AS (SELECT coalesce((SELECT at FROM newest WHERE at IS NOT NULL"
    "  ORDER BY at DESC OFFSET $4::int - 1 LIMIT 1),"
    "  '-infinity') AS at),"
    " page AS ("
    " SELECT t.id, t.created_at FROM newest n CROSS JOIN bound b"
    " CROSS JOIN LATERAL ("
    "  SELECT q.id, q.created_at FROM posts q"
    "  WHERE q.wall_profile_id = n.id"
    "   AND (q.created_at, q.id) < ($2::timestamptz, $3::uuid)"
    "   AND q.created_at >= b.at"
    "  ORDER BY q.created_at DESC, q.id DESC LIMIT $4) t"
    " WHERE n.at >= b.at"
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
