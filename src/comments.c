/*
 * Comment routes: write, list and delete the comments of a post.  All SQL
 * on the comments table lives here.  A trigger keeps posts.comments_count
 * in the same transaction as each insert and delete, so the count never
 * drifts from the real one.
 *
 * Comment pages are cached per viewer under the post's generation, which
 * every comment, like and edit of the post bumps, and the viewer's
 * profile generation, which every friendship change bumps.
 */
#include "comments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "notifications.h"
#include "pagecache.h"
#include "posts.h"
#include "social.h"
#include "visibility.h"

#define COMMENTS_LIMIT_DEFAULT 10
#define COMMENTS_LIMIT_MAX     20

/* The select list of a comment for a query naming it c and its author a. */
#define COMMENT_COLUMNS(viewer)                                           \
	"c.id, c.content, " SQL_ISO_TIME("c.created_at") ", c.post_id,"     \
	" c.profile_id, a.username, c.likes_count,"                          \
	" EXISTS (SELECT 1 FROM comment_likes cl WHERE cl.comment_id = c.id" \
	" AND cl.profile_id = " viewer "::uuid)"

static const char sql_insert[] =
    "WITH c AS (INSERT INTO comments (post_id, profile_id, content)"
    " VALUES ($1, $2, $3) RETURNING *)"
    " SELECT " COMMENT_COLUMNS("$2")
    " FROM c JOIN profiles a ON a.id = c.profile_id";
/* Post author, wall owner and every commenter, each once, not $4. */
static const char sql_recipients[] =
    "SELECT r FROM (SELECT $2::uuid AS r UNION SELECT $3::uuid"
    " UNION SELECT profile_id FROM comments WHERE post_id = $1) x"
    " WHERE r <> $4::uuid";
static const char sql_page[] =
    "SELECT " COMMENT_COLUMNS("$2")
    " FROM comments c JOIN profiles a ON a.id = c.profile_id"
    " WHERE c.post_id = $1"
    "  AND (c.created_at, c.id) < ($3::timestamptz, $4::uuid)"
    " ORDER BY c.created_at DESC, c.id DESC LIMIT $5";
static const char sql_locate[] =
    "SELECT post_id, profile_id FROM comments WHERE id = $1";
/*
 * Lock the post before the comment: a post delete locks the post and
 * then its comments, so taking them in the same order cannot deadlock.
 */
static const char sql_lock_post[] =
    "SELECT 1 FROM posts WHERE id = $1 FOR NO KEY UPDATE";
static const char sql_delete[] = "DELETE FROM comments WHERE id = $1";

int
comments_locate(const char *comment_id, char post_id[37], char author[37])
{
	const char *params[1] = { comment_id };
	PGresult *res = db_exec(sql_locate, 1, params, NULL);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 1;
	}
	snprintf(post_id, 37, "%s", PQgetvalue(res, 0, 0));
	snprintf(author, 37, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

static struct json_object *
comment_json(const PGresult *res, int row)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "id",
	    json_object_new_string(PQgetvalue(res, row, 0)));
	json_object_object_add(c, "content",
	    json_object_new_string(PQgetvalue(res, row, 1)));
	json_object_object_add(c, "createdAt",
	    json_object_new_string(PQgetvalue(res, row, 2)));
	json_object_object_add(c, "postId",
	    json_object_new_string(PQgetvalue(res, row, 3)));
	json_object_object_add(c, "profileId",
	    json_object_new_string(PQgetvalue(res, row, 4)));
	json_object_object_add(c, "username",
	    json_object_new_string(PQgetvalue(res, row, 5)));
	json_object_object_add(c, "likesCount",
	    json_object_new_int64(strtoll(PQgetvalue(res, row, 6), NULL, 10)));
	json_object_object_add(c, "likedByMe",
	    json_object_new_boolean(*PQgetvalue(res, row, 7) == 't'));
	return c;
}

/* NEW_COMMENT_ON_POST to everyone involved in the post but the writer. */
static int
notify_comment(const struct request *req, const struct post_access *post,
    const char *content)
{
	const char *params[4] = { post->post_id, post->author, post->wall,
		req->profile_id };
	PGresult *res = db_exec(sql_recipients, 4, params, NULL);
	struct buf preview;
	int i, rc = 0;

	if (res == NULL)
		return -1;
	buf_init(&preview);
	social_preview(content, &preview);
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		struct json_object *payload = json_object_new_object();

		json_object_object_add(payload, "byId",
		    json_object_new_string(req->profile_id));
		json_object_object_add(payload, "byUsername",
		    json_object_new_string(req->username));
		json_object_object_add(payload, "postById",
		    json_object_new_string(post->author));
		json_object_object_add(payload, "postByUsername",
		    json_object_new_string(post->author_username));
		json_object_object_add(payload, "postId",
		    json_object_new_string(post->post_id));
		json_object_object_add(payload, "commentPreview",
		    json_object_new_string(preview.data));
		rc = notifications_store(PQgetvalue(res, i, 0),
		    "NEW_COMMENT_ON_POST", payload);
	}
	buf_free(&preview);
	PQclear(res);
	return rc;
}

void
comments_create(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *content;
	const char *params[3];
	struct post_access post;
	struct json_object *comment = NULL;
	char sqlstate[6];
	PGresult *res;

	/* Step 1: the text, a post the caller may read, the write limit. */
	if (social_text_or_reply(req, "content", true, SOCIAL_COMMENT_MAX,
		&content) != 0 ||
	    visibility_readable_or_reply(req, id, "id", &post) == -1 ||
	    social_write_allowed_or_reply(req, SOCIAL_WRITE_COMMENT) == -1)
		return;

	/* Step 2: the comment and its notifications, together. */
	params[0] = id;
	params[1] = req->profile_id;
	params[2] = content;
	if (db_begin() == -1)
		goto fail;
	res = db_exec(sql_insert, 3, params, sqlstate);
	if (res == NULL && strcmp(sqlstate, SQLSTATE_FOREIGN_KEY_VIOLATION) ==
	    0) {
		db_rollback();
		http_error(req, 404, "NotFound", "id", "no post %s", id);
		return;
	}
	if (res == NULL)
		goto fail;
	comment = comment_json(res, 0);
	PQclear(res);
	if (notify_comment(req, &post, content) == -1 || db_commit() == -1)
		goto fail;

	posts_changed(post.wall, id);
	http_reply_json(req, 201, comment);
	return;
fail:
	json_object_put(comment);
	db_rollback();
	http_internal_error(req);
}

/* Query one page of comments and reply with it; 0 or -1. */
static int
comments_page(struct request *req, const char *post_id,
    const struct keyset *cursor, int limit, struct pagecache *pc)
{
	char limit_text[16];
	const char *params[5] = { post_id,
		req->profile_id[0] != '\0' ? req->profile_id : NULL,
		cursor->time, cursor->id, limit_text };
	struct json_object *list;
	PGresult *res;
	int i;

	snprintf(limit_text, sizeof(limit_text), "%d", limit);
	res = db_exec(sql_page, 5, params, NULL);
	if (res == NULL)
		return -1;
	list = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(list, comment_json(res, i));
	PQclear(res);
	pagecache_reply_and_put(req, pc, list, POSTS_CACHE_TTL_S);
	return 0;
}

void
comments_list(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *scopes[2] = { NULL, req->profile_id };
	struct post_access post;
	struct keyset cursor;
	struct pagecache pc;
	struct buf rest;
	char scope[48];
	int limit;

	if (social_keyset_or_reply(req, &cursor) == -1 ||
	    http_query_limit_or_reply(req, COMMENTS_LIMIT_DEFAULT,
		COMMENTS_LIMIT_MAX, &limit) == -1)
		return;

	buf_init(&rest);
	snprintf(scope, sizeof(scope), "post:%s", id);
	scopes[0] = scope;
	buf_addf(&rest, "%s:%d:%s:%s",
	    req->profile_id[0] != '\0' ? req->profile_id : "anon", limit,
	    cursor.time, cursor.id);
	if (pagecache_open(&pc, "comments", scopes,
		req->profile_id[0] != '\0' ? 2 : 1, rest.data))
		pagecache_reply_hit(req, &pc);
	else if (visibility_readable_or_reply(req, id, "id", &post) == 0 &&
	    comments_page(req, id, &cursor, limit, &pc) == -1)
		http_internal_error(req);
	pagecache_close(&pc);
	buf_free(&rest);
}

/* True when the caller wrote the comment, the post, or owns the wall. */
static bool
may_delete(const struct request *req, const char *comment_author,
    const struct post_access *post)
{
	return strcmp(req->profile_id, comment_author) == 0 ||
	    strcmp(req->profile_id, post->author) == 0 ||
	    strcmp(req->profile_id, post->wall) == 0;
}

void
comments_delete(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *comment[1] = { id };
	const char *post_param[1];
	char post_id[37], author[37];
	struct post_access post;
	PGresult *res;
	bool deleted;
	int found;

	/* Step 1: who may delete it. */
	found = comments_locate(id, post_id, author);
	if (found == 0)
		found = visibility_load(post_id, req->profile_id, &post);
	if (found == 1) {
		http_error(req, 404, "NotFound", "id", "no comment %s", id);
		return;
	}
	if (found == -1)
		goto fail;
	if (!may_delete(req, author, &post)) {
		http_error(req, 403, "Forbidden", "id",
		    "only the comment's author, the post's author or the wall "
		    "owner may delete a comment");
		return;
	}

	/* Step 2: post lock, then the comment (the trigger counts it). */
	post_param[0] = post_id;
	if (db_begin() == -1 ||
	    db_command(sql_lock_post, 1, post_param, NULL) == -1)
		goto fail;
	res = db_exec(sql_delete, 1, comment, NULL);
	if (res == NULL)
		goto fail;
	deleted = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (db_commit() == -1)
		goto fail;
	if (!deleted) {
		http_error(req, 404, "NotFound", "id", "no comment %s", id);
		return;
	}
	posts_changed(post.wall, post_id);
	http_reply_empty(req, 204);
	return;
fail:
	db_rollback();
	http_internal_error(req);
}
