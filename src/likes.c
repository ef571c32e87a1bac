/*
 * Likes on posts and comments.  A like is one row keyed by (item,
 * person): INSERT ... ON CONFLICT DO NOTHING and DELETE make both verbs
 * idempotent, and the schema's triggers count rows that were really
 * inserted or deleted, so concurrent likes are never counted twice.
 *
 * The liked item's author gets one NEW_LIKE notification per item and
 * clock hour.  Later likes in that hour update it with the latest liker
 * and othersCount, the number of the item's other current likes made in
 * that hour.
 */
#include "likes.h"

#include <stdio.h>
#include <string.h>

#include "comments.h"
#include "db.h"
#include "notifications.h"
#include "posts.h"
#include "social.h"
#include "visibility.h"

static const char sql_like_post[] =
    "INSERT INTO post_likes (post_id, profile_id) VALUES ($1, $2)"
    " ON CONFLICT DO NOTHING";
static const char sql_unlike_post[] =
    "DELETE FROM post_likes WHERE post_id = $1 AND profile_id = $2";
static const char sql_like_comment[] =
    "INSERT INTO comment_likes (comment_id, profile_id) VALUES ($1, $2)"
    " ON CONFLICT DO NOTHING";
static const char sql_unlike_comment[] =
    "DELETE FROM comment_likes WHERE comment_id = $1 AND profile_id = $2";
/* Serialises the grouping of one recipient's notifications for an item. */
static const char sql_lock_group[] =
    "SELECT pg_advisory_xact_lock(hashtextextended("
    " 'like:' || $1 || ':' || $2, 0))";
/*
 * The group of recipient $1 for post $2 / comment $3 ('' for the post)
 * in the current clock hour.
 */
static const char sql_find_group[] =
    "SELECT id FROM notifications"
    " WHERE profile_id = $1 AND event = 'NEW_LIKE'"
    "  AND payload->>'postId' = $2"
    "  AND coalesce(payload->>'commentId', '') = $3"
    "  AND created_at >= date_trunc('hour', now())"
    " ORDER BY created_at DESC LIMIT 1";
static const char sql_others_post[] =
    "SELECT greatest(count(*) - 1, 0) FROM post_likes"
    " WHERE post_id = $1 AND created_at >= date_trunc('hour', now())";
static const char sql_others_comment[] =
    "SELECT greatest(count(*) - 1, 0) FROM comment_likes"
    " WHERE comment_id = $1 AND created_at >= date_trunc('hour', now())";
/*
 * NOTE: this updates a notification in place, which notifications.h has
 * no call for yet; the grouping belongs there once it grows one.
 */
static const char sql_update_group[] =
    "UPDATE notifications SET payload = payload || jsonb_build_object("
    " 'byId', $2::text, 'byUsername', $3::text, 'othersCount', $4::int),"
    " read = false, visited = false"
    " WHERE id = $1";

/* A like target: a post, or a comment of post_id. */
struct like_target {
	struct post_access post;
	char comment_id[37]; /* "" for a post */
	char author[37];     /* of the liked item */
};

/* Read one value of a one-row query; 0, 1 (no row) or -1. */
static int
query_value(const char *sql, int n, const char *const *params, char *out,
    size_t outlen)
{
	PGresult *res = db_exec(sql, n, params, NULL);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 1;
	}
	snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Create or update the NEW_LIKE group of the item's author. */
static int
notify_like(const struct request *req, const struct like_target *t)
{
	const char *item = t->comment_id[0] ? t->comment_id : t->post.post_id;
	const char *lock[2] = { t->author, item };
	const char *find[3] = { t->author, t->post.post_id, t->comment_id };
	const char *count[1] = { item };
	char group[37], others[24];
	struct json_object *payload;
	int found;

	if (strcmp(t->author, req->profile_id) == 0)
		return 0;
	if (db_command(sql_lock_group, 2, lock, NULL) == -1)
		return -1;
	found = query_value(sql_find_group, 3, find, group, sizeof(group));
	if (found == -1)
		return -1;
	if (found == 0) {
		const char *update[4] = { group, req->profile_id,
			req->username, others };

		if (query_value(t->comment_id[0] ? sql_others_comment
						 : sql_others_post,
			1, count, others, sizeof(others)) != 0)
			return -1;
		return db_command(sql_update_group, 4, update, NULL);
	}

	payload = json_object_new_object();
	json_object_object_add(payload, "byId",
	    json_object_new_string(req->profile_id));
	json_object_object_add(payload, "byUsername",
	    json_object_new_string(req->username));
	json_object_object_add(payload, "postId",
	    json_object_new_string(t->post.post_id));
	if (t->comment_id[0] != '\0')
		json_object_object_add(payload, "commentId",
		    json_object_new_string(t->comment_id));
	return notifications_store(t->author, "NEW_LIKE", payload);
}

/*
 * Insert or delete the like row, notify, commit.  Returns 0, 1 when the
 * item was deleted meanwhile, or -1.
 */
static int
write_like(const struct request *req, const struct like_target *t,
    bool like)
{
	const char *item = t->comment_id[0] ? t->comment_id : t->post.post_id;
	const char *params[2] = { item, req->profile_id };
	const char *sql;
	char sqlstate[6];
	PGresult *res;
	bool changed;

	if (t->comment_id[0] != '\0')
		sql = like ? sql_like_comment : sql_unlike_comment;
	else
		sql = like ? sql_like_post : sql_unlike_post;
	if (db_begin() == -1)
		return -1;
	res = db_exec(sql, 2, params, sqlstate);
	if (res == NULL &&
	    strcmp(sqlstate, SQLSTATE_FOREIGN_KEY_VIOLATION) == 0) {
		db_rollback();
		return 1;
	}
	if (res == NULL)
		goto fail;
	changed = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (changed && like && notify_like(req, t) == -1)
		goto fail;
	if (db_commit() == -1)
		goto fail;
	if (changed)
		posts_changed(t->post.wall, t->post.post_id);
	return 0;
fail:
	db_rollback();
	return -1;
}

/* Like or unlike the post or comment of the path, as the caller. */
static void
set_like(struct request *req, bool comment, bool like)
{
	const char *id = http_route_param(req, "id");
	struct like_target t;
	char post_id[37];
	int found;

	memset(&t, 0, sizeof(t));
	snprintf(post_id, sizeof(post_id), "%s", id);
	if (comment) {
		found = comments_locate(id, post_id, t.author);
		if (found == 1) {
			http_error(req, 404, "NotFound", "id", "no comment %s",
			    id);
			return;
		}
		if (found == -1) {
			http_internal_error(req);
			return;
		}
		snprintf(t.comment_id, sizeof(t.comment_id), "%s", id);
	}
	if (visibility_readable_or_reply(req, post_id, "id", &t.post) == -1 ||
	    social_write_allowed_or_reply(req, SOCIAL_WRITE_LIKE) == -1)
		return;
	if (!comment)
		snprintf(t.author, sizeof(t.author), "%s", t.post.author);
	found = write_like(req, &t, like);
	if (found == 1)
		http_error(req, 404, "NotFound", "id", "no %s %s",
		    comment ? "comment" : "post", id);
	else if (found == -1)
		http_internal_error(req);
	else
		http_reply_empty(req, 204);
}

void
likes_post_put(struct request *req)
{
	set_like(req, false, true);
}

void
likes_post_delete(struct request *req)
{
	set_like(req, false, false);
}

void
likes_comment_put(struct request *req)
{
	set_like(req, true, true);
}

void
likes_comment_delete(struct request *req)
{
	set_like(req, true, false);
}
