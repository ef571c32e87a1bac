/*
 * The PostgreSQL graph backend: read queries over the friendships and
 * friend_requests tables.  Each friendship is stored in both directions,
 * so every query starts from one index range of the person asking.
 * Writes are friends.c's, in its own transactions.
 */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"

static const char sql_relationship[] =
    "SELECT CASE"
    " WHEN EXISTS (SELECT 1 FROM friendships"
    "  WHERE profile_id = $1 AND friend_id = $2) THEN 'F'"
    " WHEN EXISTS (SELECT 1 FROM friend_requests"
    "  WHERE requester_id = $1 AND target_id = $2) THEN 'O'"
    " WHEN EXISTS (SELECT 1 FROM friend_requests"
    "  WHERE requester_id = $2 AND target_id = $1) THEN 'I'"
    " ELSE 'N' END";
static const char sql_friend_count[] =
    "SELECT count(*) FROM friendships WHERE profile_id = $1";
static const char sql_mutual_count[] =
    "SELECT count(*) FROM friendships a JOIN friendships b"
    " ON b.profile_id = $2 AND b.friend_id = a.friend_id"
    " WHERE a.profile_id = $1";
static const char sql_friends[] =
    "SELECT friend_id, friend_username, 0 FROM friendships"
    " WHERE profile_id = $1 AND friend_username > $2"
    " ORDER BY friend_username LIMIT $3";
static const char sql_mutual_friends[] =
    "SELECT a.friend_id, a.friend_username, 0 FROM friendships a"
    " JOIN friendships b ON b.profile_id = $2 AND b.friend_id = a.friend_id"
    " WHERE a.profile_id = $1 AND a.friend_username > $3"
    " ORDER BY a.friend_username LIMIT $4";
static const char sql_incoming[] =
    "SELECT requester_id, requester_username, 0 FROM friend_requests"
    " WHERE target_id = $1 AND requester_username > $2"
    " ORDER BY requester_username LIMIT $3";
static const char sql_outgoing[] =
    "SELECT target_id, target_username, 0 FROM friend_requests"
    " WHERE requester_id = $1 AND target_username > $2"
    " ORDER BY target_username LIMIT $3";
/*
 * Friends of friends, counted, minus me, my friends and pending requests
 * either way; the cursor continues after (mutual $2, username $3).  My
 * friends are read once into a materialized CTE, so the plan is index-only
 * scans into hash anti-joins whatever the size of the table.
 */
static const char sql_suggestions[] =
    "WITH mine AS MATERIALIZED ("
    "  SELECT friend_id FROM friendships WHERE profile_id = $1)"
    " SELECT f2.friend_id, f2.friend_username, count(*) AS mutual"
    " FROM mine JOIN friendships f2 ON f2.profile_id = mine.friend_id"
    " WHERE f2.friend_id <> $1"
    "  AND NOT EXISTS (SELECT 1 FROM mine x WHERE x.friend_id = f2.friend_id)"
    "  AND NOT EXISTS (SELECT 1 FROM friend_requests r"
    "   WHERE r.requester_id = $1 AND r.target_id = f2.friend_id)"
    "  AND NOT EXISTS (SELECT 1 FROM friend_requests r"
    "   WHERE r.requester_id = f2.friend_id AND r.target_id = $1)"
    " GROUP BY f2.friend_id, f2.friend_username"
    " HAVING $2::bigint < 0 OR count(*) < $2::bigint"
    "  OR (count(*) = $2::bigint AND f2.friend_username > $3)"
    " ORDER BY mutual DESC, f2.friend_username LIMIT $4";

char
graph_pg_pair_state(const char *a, const char *b)
{
	const char *params[2] = { a, b };
	PGresult *res = db_exec(sql_relationship, 2, params, NULL);
	char state;

	if (res == NULL)
		return '\0';
	state = *PQgetvalue(res, 0, 0);
	PQclear(res);
	return state;
}

static int
pg_relationship(const char *a, const char *b, enum relationship *out)
{
	if (strcmp(a, b) == 0) {
		*out = REL_SELF;
		return 0;
	}
	switch (graph_pg_pair_state(a, b)) {
	case 'F': *out = REL_FRIEND; break;
	case 'O': *out = REL_OUTGOING; break;
	case 'I': *out = REL_INCOMING; break;
	case 'N': *out = REL_NONE; break;
	default: return -1;
	}
	return 0;
}

static int
count_query(const char *sql, int n, const char *const *params, long *out)
{
	PGresult *res = db_exec(sql, n, params, NULL);

	if (res == NULL)
		return -1;
	*out = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

static int
pg_friend_count(const char *id, long *out)
{
	const char *params[1] = { id };

	return count_query(sql_friend_count, 1, params, out);
}

static int
pg_mutual_count(const char *a, const char *b, long *out)
{
	const char *params[2] = { a, b };

	return count_query(sql_mutual_count, 2, params, out);
}

/* Run a query whose rows are (id, username, mutual) into out. */
static int
page_query(const char *sql, int n, const char *const *params,
    struct graph_page *out)
{
	PGresult *res = db_exec(sql, n, params, NULL);
	int i;

	out->items = NULL;
	out->count = 0;
	if (res == NULL)
		return -1;
	out->count = PQntuples(res);
	out->items = xcalloc((size_t)out->count + 1, sizeof(*out->items));
	for (i = 0; i < out->count; i++) {
		struct graph_person *p = &out->items[i];

		snprintf(p->id, sizeof(p->id), "%s", PQgetvalue(res, i, 0));
		snprintf(p->username, sizeof(p->username), "%s",
		    PQgetvalue(res, i, 1));
		p->mutual = strtol(PQgetvalue(res, i, 2), NULL, 10);
	}
	PQclear(res);
	return 0;
}

static int
pg_friends(const char *id, const char *username_gt, int limit,
    struct graph_page *out)
{
	char lim[16];
	const char *params[3] = { id, username_gt, lim };

	snprintf(lim, sizeof(lim), "%d", limit);
	return page_query(sql_friends, 3, params, out);
}

static int
pg_mutual_friends(const char *a, const char *b, const char *username_gt,
    int limit, struct graph_page *out)
{
	char lim[16];
	const char *params[4] = { a, b, username_gt, lim };

	snprintf(lim, sizeof(lim), "%d", limit);
	return page_query(sql_mutual_friends, 4, params, out);
}

static int
pg_requests(const char *id, bool incoming, const char *username_gt,
    int limit, struct graph_page *out)
{
	char lim[16];
	const char *params[3] = { id, username_gt, lim };

	snprintf(lim, sizeof(lim), "%d", limit);
	return page_query(incoming ? sql_incoming : sql_outgoing, 3, params,
	    out);
}

static int
pg_suggestions(const char *id, long after_mutual, const char *after_username,
    int limit, struct graph_page *out)
{
	char lim[16], mutual[24];
	const char *params[4] = { id, mutual, after_username, lim };

	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(mutual, sizeof(mutual), "%ld", after_mutual);
	return page_query(sql_suggestions, 4, params, out);
}

const struct graph_backend graph_pg_backend = {
	.name = "postgres",
	.relationship = pg_relationship,
	.friend_count = pg_friend_count,
	.mutual_count = pg_mutual_count,
	.friends = pg_friends,
	.mutual_friends = pg_mutual_friends,
	.requests = pg_requests,
	.suggestions = pg_suggestions,
};
