/*
 * Profile search and profile pages.  Friend counts come from the graph
 * backend; avatars' URLs from avatar_routes.c.
 */
#include "profiles.h"

#include <stdio.h>
#include <string.h>

#include "avatar_routes.h"
#include "db.h"
#include "graph.h"

#define QUERY_MAX 32

/*
 * Containment on lower(username) through the trigram index; prefix
 * matches first, then by username.  $1 is the lower-cased query with
 * LIKE's special characters escaped.
 */
static const char sql_search[] =
    "SELECT id, username FROM profiles"
    " WHERE lower(username) LIKE '%' || $1 || '%'"
    " ORDER BY lower(username) LIKE $1 || '%' DESC, username COLLATE \"C\""
    " LIMIT $2";
static const char sql_profile[] =
    "SELECT id, username, avatar_identifier, " SQL_ISO_TIME("created_at")
    " FROM profiles WHERE id = $1";

/* Lower-case s and escape %, _ and \ so LIKE matches them literally. */
static void
like_pattern(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		char c = *s;

		if (c == '%' || c == '_' || c == '\\')
			buf_addc(out, '\\');
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		buf_addc(out, c);
	}
}

void
profiles_search(struct request *req)
{
	const char *query;
	struct json_object *list;
	struct buf pattern;
	char limit_text[16];
	const char *params[2];
	PGresult *res;
	int limit, i;

	if (http_query_string_or_reply(req, "username_query", QUERY_MAX,
		&query) == -1 ||
	    http_query_limit_or_reply(req, 5, 20, &limit) == -1)
		return;
	if (*query == '\0') {
		http_error(req, 422, "ValidationFailed", "username_query",
		    "username_query must be 1-%d characters", QUERY_MAX);
		return;
	}
	buf_init(&pattern);
	like_pattern(query, &pattern);
	snprintf(limit_text, sizeof(limit_text), "%d", limit);
	params[0] = pattern.data;
	params[1] = limit_text;
	res = db_exec(sql_search, 2, params, NULL);
	buf_free(&pattern);
	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	list = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "id",
		    json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(p, "username",
		    json_object_new_string(PQgetvalue(res, i, 1)));
		json_object_array_add(list, p);
	}
	PQclear(res);
	http_reply_json(req, 200, list);
}

void
profiles_get(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *params[1] = { id };
	struct json_object *body;
	long friends, mutual;
	struct buf url;
	PGresult *res = db_exec(sql_profile, 1, params, NULL);

	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		http_error(req, 404, "NotFound", "id", "no profile %s", id);
		return;
	}
	if (graph()->friend_count(id, &friends) == -1 ||
	    (req->profile_id[0] != '\0' &&
		graph()->mutual_count(req->profile_id, id, &mutual) == -1)) {
		PQclear(res);
		http_error(req, 503, "Unavailable", NULL,
		    "the friend graph is temporarily unavailable");
		return;
	}
	buf_init(&url);
	avatar_url(id, PQgetvalue(res, 0, 2), &url);
	body = json_object_new_object();
	json_object_object_add(body, "id", json_object_new_string(id));
	json_object_object_add(body, "username",
	    json_object_new_string(PQgetvalue(res, 0, 1)));
	json_object_object_add(body, "avatarUrl",
	    json_object_new_string(url.data));
	json_object_object_add(body, "registeredAt",
	    json_object_new_string(PQgetvalue(res, 0, 3)));
	json_object_object_add(body, "friendsCount",
	    json_object_new_int64(friends));
	if (req->profile_id[0] != '\0')
		json_object_object_add(body, "mutualFriendsCount",
		    json_object_new_int64(mutual));
	buf_free(&url);
	PQclear(res);
	http_reply_json(req, 200, body);
}
