/*
 * Likes on posts and comments.  A like is one row keyed by (item,
 * person): INSERT ... ON CONFLICT DO NOTHING and DELETE make both verbs
 * idempotent, and the schema's triggers count rows that were really
 * inserted or deleted, so concurrent likes are never counted twice.
 *
 * The liked item's author gets one NEW_LIKE notification per item and
 * clock hour.  Later likes in that hour renew it with the latest liker
 * and othersCount, the number of the item's other current likes made in
 * that hour (the author's own like is not counted).  An unlike puts the
 * latest remaining liker back, or removes the notification when no
 * liker is left.
 */
#include "likes.h"

#include <stdio.h>
#include <stdlib.h>
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
/*
 * Likes of item $1 made in the current clock hour by anyone but its
 * author $2 and $3: the othersCount of a new like's group.
 */
static const char sql_others_post[] =
    "SELECT count(*) FROM post_likes WHERE post_id = $1"
    " AND profile_id <> $2 AND profile_id <> $3"
    " AND created_at >= date_trunc('hour', now())";
static const char sql_others_comment[] =
    "SELECT count(*) FROM comment_likes WHERE comment_id = $1"
    " AND profile_id <> $2 AND profile_id <> $3"
    " AND created_at >= date_trunc('hour', now())";
/*
 * After an unlike: the latest remaining liker of item $1 in this hour
 * other than its author $2, and how many others liked it in the hour.
 */
static const char sql_latest_post[] =
    "SELECT l.profile_id, p.username, count(*) OVER () - 1"
    " FROM post_likes l JOIN profiles p ON p.id = l.profile_id"
    " WHERE l.post_id = $1 AND l.profile_id <> $2"
    "  AND l.created_at >= date_trunc('hour', now())"
    " ORDER BY l.created_at DESC LIMIT 1";
static const char sql_latest_comment[] =
    "SELECT l.profile_id, p.username, count(*) OVER () - 1"
    " FROM comment_likes l JOIN profiles p ON p.id = l.profile_id"
    " WHERE l.comment_id = $1 AND l.profile_id <> $2"
    "  AND l.created_at >= date_trunc('hour', now())"
    " ORDER BY l.created_at DESC LIMIT 1";

/* A like target: a post, or a comment of post_id. */
struct like_target {
	struct post_access post;
	char comment_id[37]; /* "" for a post */
	char author[37];     /* of the liked item */
};

static struct json_object *
liker_payload(const char *id, const char *username, const char *others)
{
	struct json_object *payload = json_object_new_object();

	json_object_object_add(payload, "byId", json_object_new_string(id));
	json_object_object_add(payload, "byUsername",
	    json_object_new_string(username));
	json_object_object_add(payload, "othersCount",
	    json_object_new_int(atoi(others)));
	return payload;
}

/* Create or renew the NEW_LIKE group of the item's author for a like. */
static int
notify_like(const struct request *req, const struct like_target *t,
    const char *group_key)
{
	const char *item = t->comment_id[0] ? t->comment_id : t->post.post_id;
	const char *params[3] = { item, t->author, req->profile_id };
	struct json_object *payload;
	PGresult *res;

	if (strcmp(t->author, req->profile_id) == 0)
		return 0;
	res = db_exec(t->comment_id[0] ? sql_others_comment : sql_others_post,
	    3, params, NULL);
	if (res == NULL)
		return -1;
	payload = liker_payload(req->profile_id, req->username,
	    PQgetvalue(res, 0, 0));
	PQclear(res);
	json_object_object_add(payload, "postId",
	    json_object_new_string(t->post.post_id));
	if (t->comment_id[0] != '\0')
		json_object_object_add(payload, "commentId",
		    json_object_new_string(t->comment_id));
	return notifications_store_grouped(t->author, "NEW_LIKE", group_key,
	    payload);
}

/*
 * After an unlike, show the latest remaining liker of the hour in the
 * group, or remove the group when no other liker is left.
 */
static int
amend_like(const struct request *req, const struct like_target *t,
    const char *group_key)
{
	const char *item = t->comment_id[0] ? t->comment_id : t->post.post_id;
	const char *params[2] = { item, t->author };
	struct json_object *payload = NULL;
	PGresult *res;

	if (strcmp(t->author, req->profile_id) == 0)
		return 0;
	res = db_exec(t->comment_id[0] ? sql_latest_comment : sql_latest_post,
	    2, params, NULL);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
		payload = liker_payload(PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	PQclear(res);
	return notifications_amend_grouped(t->author, group_key, payload);
}

/*
 * Insert or delete the like row, notify, commit.  Returns 0, 1 when the
 * item was deleted meanwhile, or -1.  *changed is set when a row was
 * inserted or deleted.
 */
static int
write_like(const struct request *req, const struct like_target *t,
    bool like, bool *changed)
{
	const char *item = t->comment_id[0] ? t->comment_id : t->post.post_id;
	const char *params[2] = { item, req->profile_id };
	const char *sql;
	char sqlstate[6];
	PGresult *res;
	char group_key[48];

	*changed = false;
	snprintf(group_key, sizeof(group_key), "like:%s", item);
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
	*changed = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (*changed && like && notify_like(req, t, group_key) == -1)
		goto fail;
	if (*changed && !like && amend_like(req, t, group_key) == -1)
		goto fail;
	if (db_commit() == -1)
		goto fail;
	if (*changed)
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
	bool readable, changed;
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
	if (visibility_found_or_reply(req, post_id, "id", &t.post) == -1)
		return;
	/* Taking back one's own like needs no access to the post, which may
	 * have become FRIENDS-only since. */
	readable = visibility_can_read(&t.post);
	if (!readable && like) {
		visibility_forbidden_reply(req, post_id, "id");
		return;
	}
	if (social_write_allowed_or_reply(req, SOCIAL_WRITE_LIKE) == -1)
		return;
	if (!comment)
		snprintf(t.author, sizeof(t.author), "%s", t.post.author);
	found = write_like(req, &t, like, &changed);
	if (found == 0 && !readable && !changed)
		visibility_forbidden_reply(req, post_id, "id");
	else if (found == 1)
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
