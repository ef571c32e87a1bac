/*
 * Post routes: create, read one, a wall's page, edit and delete.  All SQL
 * on the posts table lives here, except the feed's list query in feed.c.
 * Comments and likes change posts only through their counters, which the
 * schema's triggers keep.  Who may see what is visibility.h's rule.
 *
 * Cached responses: a post per viewer under the post's generation, and
 * wall pages per viewer (or anonymous), limit and cursor under the wall's
 * generation.  Both also name the viewer's profile generation, which
 * every friendship change bumps, so a friend's lost access shows at once.
 */
#include "posts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notifications.h"
#include "pagecache.h"
#include "social.h"
#include "visibility.h"

#define WALL_LIMIT_DEFAULT 10
#define WALL_LIMIT_MAX	   20

static const char sql_insert[] =
    "WITH p AS (INSERT INTO posts (wall_profile_id, profile_id, content,"
    " privacy) VALUES ($1, $2, $3, $4) RETURNING *)"
    " SELECT " POSTS_COLUMNS("$2")
    " FROM p JOIN profiles a ON a.id = p.profile_id";
static const char sql_get[] =
    "SELECT " POSTS_COLUMNS("$2")
    " FROM posts p JOIN profiles a ON a.id = p.profile_id WHERE p.id = $1";
/* A wall page for its owner and their friends: every post. */
static const char sql_wall_all[] =
    "SELECT " POSTS_COLUMNS("$2")
    " FROM posts p JOIN profiles a ON a.id = p.profile_id"
    " WHERE p.wall_profile_id = $1"
    "  AND (p.created_at, p.id) < ($3::timestamptz, $4::uuid)"
    " ORDER BY p.created_at DESC, p.id DESC LIMIT $5";
/* A wall page for everyone else, through the partial index of PUBLIC. */
static const char sql_wall_public[] =
    "SELECT " POSTS_COLUMNS("$2")
    " FROM posts p JOIN profiles a ON a.id = p.profile_id"
    " WHERE p.wall_profile_id = $1 AND p.privacy = 'PUBLIC'"
    "  AND (p.created_at, p.id) < ($3::timestamptz, $4::uuid)"
    " ORDER BY p.created_at DESC, p.id DESC LIMIT $5";
static const char sql_update[] =
    "WITH p AS (UPDATE posts SET content = coalesce($2, content),"
    " privacy = coalesce($3, privacy),"
    " updated_at = date_trunc('milliseconds', clock_timestamp())"
    " WHERE id = $1 RETURNING *)"
    " SELECT " POSTS_COLUMNS("$4")
    " FROM p JOIN profiles a ON a.id = p.profile_id";
static const char sql_delete[] = "DELETE FROM posts WHERE id = $1";

struct json_object *
posts_json(const PGresult *res, int row)
{
	struct json_object *post = json_object_new_object();

	json_object_object_add(post, "id",
	    json_object_new_string(PQgetvalue(res, row, 0)));
	json_object_object_add(post, "content",
	    json_object_new_string(PQgetvalue(res, row, 1)));
	json_object_object_add(post, "createdAt",
	    json_object_new_string(PQgetvalue(res, row, 2)));
	json_object_object_add(post, "updatedAt",
	    PQgetisnull(res, row, 3)
		? NULL
		: json_object_new_string(PQgetvalue(res, row, 3)));
	json_object_object_add(post, "wallProfileId",
	    json_object_new_string(PQgetvalue(res, row, 4)));
	json_object_object_add(post, "profileId",
	    json_object_new_string(PQgetvalue(res, row, 5)));
	json_object_object_add(post, "username",
	    json_object_new_string(PQgetvalue(res, row, 6)));
	json_object_object_add(post, "privacy",
	    json_object_new_string(PQgetvalue(res, row, 7)));
	json_object_object_add(post, "commentsCount",
	    json_object_new_int64(strtoll(PQgetvalue(res, row, 8), NULL, 10)));
	json_object_object_add(post, "likesCount",
	    json_object_new_int64(strtoll(PQgetvalue(res, row, 9), NULL, 10)));
	json_object_object_add(post, "likedByMe",
	    json_object_new_boolean(*PQgetvalue(res, row, 10) == 't'));
	return post;
}

void
posts_changed(const char *wall, const char *post_id)
{
	char scope[48];

	snprintf(scope, sizeof(scope), "wall:%s", wall);
	pagecache_bump(scope);
	if (post_id == NULL)
		return;
	snprintf(scope, sizeof(scope), "post:%s", post_id);
	pagecache_bump(scope);
}

/* The viewer id as an SQL parameter: NULL when anonymous. */
static const char *
viewer_param(const struct request *req)
{
	return req->profile_id[0] != '\0' ? req->profile_id : NULL;
}

/*
 * Read the optional privacy field into *out ("PUBLIC", "FRIENDS", or
 * NULL when absent); -1 after replying 422.
 */
static int
privacy_or_reply(struct request *req, const char **out)
{
	const char *value;
	size_t len;
	int rc = http_body_string_or_reply(req, "privacy", false, 0,
	    HTTP_ANY_LENGTH, &value, &len);

	*out = NULL;
	if (rc == -1)
		return -1;
	if (rc == 1)
		return 0;
	if (strcmp(value, "PUBLIC") != 0 && strcmp(value, "FRIENDS") != 0) {
		http_error(req, 422, "ValidationFailed", "privacy",
		    "privacy must be PUBLIC or FRIENDS");
		return -1;
	}
	*out = value;
	return 0;
}

/* Read wallProfileId, defaulting to the caller; -1 after replying 422. */
static int
wall_or_reply(struct request *req, const char **out)
{
	const char *value;
	size_t len;
	int rc = http_body_string_or_reply(req, "wallProfileId", false, 0,
	    HTTP_ANY_LENGTH, &value, &len);

	*out = req->profile_id;
	if (rc == -1)
		return -1;
	if (rc == 1)
		return 0;
	if (!uuid_text_valid(value, len)) {
		http_error(req, 422, "ValidationFailed", "wallProfileId",
		    "wallProfileId must be a UUID");
		return -1;
	}
	*out = value;
	return 0;
}

static int
notify_wall_owner(const struct request *req, const char *wall,
    const char *post_id, const char *content)
{
	struct json_object *payload = json_object_new_object();
	struct buf preview;

	buf_init(&preview);
	social_preview(content, &preview);
	json_object_object_add(payload, "byId",
	    json_object_new_string(req->profile_id));
	json_object_object_add(payload, "byUsername",
	    json_object_new_string(req->username));
	json_object_object_add(payload, "postId",
	    json_object_new_string(post_id));
	json_object_object_add(payload, "postPreview",
	    json_object_new_string(preview.data));
	buf_free(&preview);
	return notifications_store(wall, "NEW_POST_ON_WALL", payload);
}

void
posts_create(struct request *req)
{
	const char *content, *wall, *privacy;
	const char *params[4];
	struct json_object *post = NULL;
	char sqlstate[6];
	PGresult *res;

	/* Step 1: the body, field by field. */
	if (social_text_or_reply(req, "content", true, SOCIAL_POST_MAX,
		&content) != 0 ||
	    wall_or_reply(req, &wall) == -1 ||
	    privacy_or_reply(req, &privacy) == -1)
		return;
	if (privacy == NULL)
		privacy = "PUBLIC";

	/* Step 2: the caller may write on that wall, and not too often. */
	if (visibility_wall_writable_or_reply(req, wall, "wallProfileId") ||
	    social_write_allowed_or_reply(req, SOCIAL_WRITE_POST) == -1)
		return;

	/* Step 3: the post and the wall owner's notification, together. */
	params[0] = wall;
	params[1] = req->profile_id;
	params[2] = content;
	params[3] = privacy;
	if (db_begin() == -1)
		goto fail;
	res = db_exec(sql_insert, 4, params, sqlstate);
	if (res == NULL && strcmp(sqlstate, SQLSTATE_FOREIGN_KEY_VIOLATION) ==
	    0) {
		db_rollback();
		http_error(req, 404, "NotFound", "wallProfileId",
		    "no profile %s", wall);
		return;
	}
	if (res == NULL)
		goto fail;
	post = posts_json(res, 0);
	PQclear(res);
	if (strcmp(wall, req->profile_id) != 0 &&
	    notify_wall_owner(req, wall,
		json_object_get_string(json_object_object_get(post, "id")),
		content) == -1)
		goto fail;
	if (db_commit() == -1)
		goto fail;

	posts_changed(wall, NULL);
	log_info("post %s created on wall %s by %s",
	    json_object_get_string(json_object_object_get(post, "id")), wall,
	    req->profile_id);
	http_reply_json(req, 201, post);
	return;
fail:
	json_object_put(post);
	db_rollback();
	http_internal_error(req);
}

/* Look up the cached response about scope for this viewer. */
static bool
viewer_open(const struct request *req, struct pagecache *pc,
    const char *kind, const char *scope, const char *rest)
{
	const char *scopes[2] = { scope, req->profile_id };
	struct buf tail;
	bool hit;

	buf_init(&tail);
	buf_addf(&tail, "%s:%s",
	    req->profile_id[0] != '\0' ? req->profile_id : "anon", rest);
	hit = pagecache_open(pc, kind, scopes,
	    req->profile_id[0] != '\0' ? 2 : 1, tail.data);
	buf_free(&tail);
	return hit;
}

void
posts_get(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *params[2] = { id, viewer_param(req) };
	struct post_access access;
	struct pagecache pc;
	char scope[48];
	PGresult *res;

	snprintf(scope, sizeof(scope), "post:%s", id);
	if (viewer_open(req, &pc, "post", scope, "")) {
		pagecache_reply_hit(req, &pc);
		goto out;
	}
	if (visibility_readable_or_reply(req, id, "id", &access) == -1)
		goto out;
	res = db_exec(sql_get, 2, params, NULL);
	if (res == NULL || PQntuples(res) == 0) {
		/* Deleted between the two statements: gone. */
		if (res != NULL)
			http_error(req, 404, "NotFound", "id", "no post %s",
			    id);
		else
			http_internal_error(req);
		PQclear(res);
		goto out;
	}
	pagecache_reply_and_put(req, &pc, posts_json(res, 0),
	    POSTS_CACHE_TTL_S);
	PQclear(res);
out:
	pagecache_close(&pc);
}

/* Read wall_profile_id, which the wall page requires; -1 after 422. */
static int
wall_query_or_reply(struct request *req, const char **out)
{
	if (http_query_string_or_reply(req, "wall_profile_id", HTTP_ANY_LENGTH,
		out) == -1)
		return -1;
	if (**out == '\0') {
		http_error(req, 422, "ValidationFailed", "wall_profile_id",
		    "wall_profile_id is required");
		return -1;
	}
	if (!uuid_text_valid(*out, strlen(*out))) {
		http_error(req, 422, "ValidationFailed", "wall_profile_id",
		    "wall_profile_id must be a UUID");
		return -1;
	}
	return 0;
}

/* Run the page query and reply with the list of posts; 0 or -1. */
static int
wall_page(struct request *req, const char *wall, bool member,
    const struct keyset *cursor, int limit, struct pagecache *pc)
{
	char limit_text[16];
	const char *params[5] = { wall, viewer_param(req), cursor->time,
		cursor->id, limit_text };
	struct json_object *list;
	PGresult *res;
	int i;

	snprintf(limit_text, sizeof(limit_text), "%d", limit);
	res = db_exec(member ? sql_wall_all : sql_wall_public, 5, params,
	    NULL);
	if (res == NULL)
		return -1;
	list = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(list, posts_json(res, i));
	PQclear(res);
	pagecache_reply_and_put(req, pc, list, POSTS_CACHE_TTL_S);
	return 0;
}

void
posts_list(struct request *req)
{
	const char *wall;
	struct keyset cursor;
	struct pagecache pc;
	struct buf rest;
	char scope[48];
	bool member = false;
	int limit, found;

	if (wall_query_or_reply(req, &wall) == -1 ||
	    social_keyset_or_reply(req, &cursor) == -1 ||
	    http_query_limit_or_reply(req, WALL_LIMIT_DEFAULT, WALL_LIMIT_MAX,
		&limit) == -1)
		return;

	buf_init(&rest);
	buf_addf(&rest, "%d:%s:%s", limit, cursor.time, cursor.id);
	snprintf(scope, sizeof(scope), "wall:%s", wall);
	if (viewer_open(req, &pc, "wall", scope, rest.data)) {
		pagecache_reply_hit(req, &pc);
		goto out;
	}
	found = visibility_wall_member(wall, req->profile_id, &member);
	if (found == 1)
		http_error(req, 404, "NotFound", "wall_profile_id",
		    "no profile %s", wall);
	else if (found == -1 ||
	    wall_page(req, wall, member, &cursor, limit, &pc) == -1)
		http_internal_error(req);
out:
	pagecache_close(&pc);
	buf_free(&rest);
}

/* Load post id and check that the caller wrote it; -1 after a reply. */
static int
own_post_or_reply(struct request *req, const char *id,
    struct post_access *access)
{
	int found = visibility_load(id, req->profile_id, access);

	if (found == -1) {
		http_internal_error(req);
		return -1;
	}
	if (found == 1) {
		http_error(req, 404, "NotFound", "id", "no post %s", id);
		return -1;
	}
	if (strcmp(access->author, req->profile_id) != 0) {
		http_error(req, 403, "Forbidden", "id",
		    "only the author may edit a post");
		return -1;
	}
	return 0;
}

void
posts_update(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *content = NULL, *privacy;
	struct post_access access;
	const char *params[4];
	PGresult *res;
	int rc;

	/* Step 1: the body; at least one field. */
	rc = social_text_or_reply(req, "content", false, SOCIAL_POST_MAX,
	    &content);
	if (rc == -1 || privacy_or_reply(req, &privacy) == -1)
		return;
	if (rc == 1)
		content = NULL;
	if (content == NULL && privacy == NULL) {
		http_error(req, 422, "ValidationFailed", NULL,
		    "send content, privacy or both");
		return;
	}

	/* Step 2: the author only, within the write limit. */
	if (own_post_or_reply(req, id, &access) == -1 ||
	    social_write_allowed_or_reply(req, SOCIAL_WRITE_POST) == -1)
		return;

	/* Step 3: write, and make cached copies stale. */
	params[0] = id;
	params[1] = content;
	params[2] = privacy;
	params[3] = req->profile_id;
	res = db_exec(sql_update, 4, params, NULL);
	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		http_error(req, 404, "NotFound", "id", "no post %s", id);
		return;
	}
	posts_changed(access.wall, id);
	http_reply_json(req, 200, posts_json(res, 0));
	PQclear(res);
}

void
posts_delete(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *params[1] = { id };
	struct post_access access;
	int found = visibility_load(id, req->profile_id, &access);

	if (found == -1) {
		http_internal_error(req);
		return;
	}
	if (found == 1) {
		http_error(req, 404, "NotFound", "id", "no post %s", id);
		return;
	}
	if (strcmp(access.author, req->profile_id) != 0 &&
	    strcmp(access.wall, req->profile_id) != 0) {
		http_error(req, 403, "Forbidden", "id",
		    "only the author or the wall owner may delete a post");
		return;
	}
	/* Comments and likes go with the post (ON DELETE CASCADE). */
	if (db_command(sql_delete, 1, params, NULL) == -1) {
		http_internal_error(req);
		return;
	}
	posts_changed(access.wall, id);
	log_info("post %s deleted by %s", id, req->profile_id);
	http_reply_empty(req, 204);
}
