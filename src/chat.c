/*
 * Chat messages, read markers and typing events.
 *
 * A message is stored first and published after the commit to the stream
 * of every member, the sender included (their other tabs).  Writes of
 * one conversation run under its lock (chat_lock) until their events are
 * published, so delivery order equals the order of the history.  Sending
 * costs three PostgreSQL round trips: membership with the lock, the
 * chat_send_message() call, and the unlock.  Each
 * member row keeps its unread count up to date, so counts never scan
 * messages.  Sending moves the sender's read marker to their message.
 */
#include "chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_internal.h"
#include "db.h"
#include "kv.h"
#include "log.h"
#include "ratelimit.h"
#include "rt.h"
#include "social.h"
#include "worker.h"

#define MESSAGES_LIMIT_DEFAULT 20
#define MESSAGES_LIMIT_MAX     50
#define MESSAGE_MAX_CHARS      4096
/* Typing events of one member and conversation closer than this are dropped. */
#define TYPING_REPEAT_MS "2000"

/* The select list of a message named m whose author is named a. */
#define MESSAGE_COLUMNS                                                   \
	"m.id, " SQL_ISO_TIME("m.created_at") ", "                          \
	SQL_ISO_TIME("m.edited_at") ", m.profile_id, a.username,"            \
	" m.chat_group_id, m.content"

/* With $3 true, a member also takes the conversation's lock (chat_lock). */
static const char sql_membership[] =
    "SELECT g.private_low IS NOT NULL, m.profile_id IS NOT NULL,"
    " g.private_low IS NULL OR EXISTS (SELECT 1 FROM friendships f"
    "  WHERE f.profile_id = g.private_low AND f.friend_id = g.private_high),"
    " CASE WHEN $3::boolean AND m.profile_id IS NOT NULL THEN"
    "  pg_advisory_lock(hashtextextended('chat:' || $1::text, 0))::text END"
    "  IS NOT NULL"
    " FROM chat_groups g LEFT JOIN chat_members m"
    "  ON m.chat_group_id = g.id AND m.profile_id = $2::uuid"
    " WHERE g.id = $1::uuid";
static const char sql_lock[] =
    "SELECT pg_advisory_lock(hashtextextended('chat:' || $1, 0))";
static const char sql_unlock[] =
    "SELECT pg_advisory_unlock(hashtextextended('chat:' || $1, 0))";
static const char sql_member_ids[] =
    "SELECT profile_id FROM chat_members WHERE chat_group_id = $1";
/* Store the message and move the counters (schema/008-chat.sql). */
static const char sql_send[] =
    "SELECT message_id, " SQL_ISO_TIME("created_at") ", member_ids"
    " FROM chat_send_message($1, $2, $3)";
static const char sql_page[] =
    "SELECT " MESSAGE_COLUMNS
    " FROM chat_messages m JOIN profiles a ON a.id = m.profile_id"
    " WHERE m.chat_group_id = $1"
    "  AND (m.created_at, m.id) < ($2::timestamptz, $3::uuid)"
    " ORDER BY m.created_at DESC, m.id DESC LIMIT $4";
static const char sql_locate[] =
    "SELECT profile_id, seq FROM chat_messages"
    " WHERE id = $1 AND chat_group_id = $2";
static const char sql_edit[] =
    "WITH m AS (UPDATE chat_messages SET content = $3,"
    " edited_at = date_trunc('milliseconds', clock_timestamp())"
    " WHERE id = $1 AND chat_group_id = $2 RETURNING *)"
    " SELECT " MESSAGE_COLUMNS " FROM m JOIN profiles a ON a.id = m.profile_id";
static const char sql_delete[] =
    "DELETE FROM chat_messages WHERE id = $1 AND chat_group_id = $2"
    " RETURNING seq, profile_id";
/* A deleted message $3 by $2 no longer counts as unread for anyone. */
static const char sql_unread_deleted[] =
    "UPDATE chat_members SET unread_count = unread_count - 1"
    " WHERE chat_group_id = $1 AND profile_id <> $2 AND read_seq < $3";
/*
 * When the deleted message $2 was the latest, the latest remaining one
 * takes its place in the conversation and its members' lists.
 */
static const char sql_latest_deleted[] =
    "WITH l AS (SELECT id, created_at FROM chat_messages"
    "  WHERE chat_group_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1),"
    " g AS (UPDATE chat_groups SET last_message_id = (SELECT id FROM l)"
    "  WHERE id = $1 AND last_message_id = $2 RETURNING id)"
    " UPDATE chat_members SET last_message_at = (SELECT created_at FROM l)"
    " WHERE chat_group_id = $1 AND EXISTS (SELECT 1 FROM g)";
/*
 * Move $4's read marker forward to message $2 numbered $3 and count what
 * others wrote after it.  No row when the marker is already there.
 */
static const char sql_read[] =
    "UPDATE chat_members SET read_seq = $3, read_message_id = $2,"
    " read_at = date_trunc('milliseconds', clock_timestamp()),"
    " unread_count = (SELECT count(*) FROM chat_messages"
    "  WHERE chat_group_id = $1 AND seq > $3 AND profile_id <> $4)"
    " WHERE chat_group_id = $1 AND profile_id = $4 AND read_seq < $3"
    " RETURNING unread_count";

int
chat_membership_or_reply(struct request *req, struct chat_membership *m,
    bool lock)
{
	const char *group = http_route_param(req, "group");
	const char *params[3] = { group, req->profile_id,
		lock ? "true" : "false" };
	PGresult *res = db_exec_prepared(sql_membership, 3, params, NULL);

	memset(m, 0, sizeof(*m));
	m->group = group;
	if (res == NULL) {
		http_internal_error(req);
		return -1;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		http_error(req, 404, "NotFound", "group", "no conversation %s",
		    group);
		return -1;
	}
	if (*PQgetvalue(res, 0, 1) != 't') {
		PQclear(res);
		http_error(req, 403, "Forbidden", "group",
		    "you are not a member of this conversation");
		return -1;
	}
	m->private_chat = *PQgetvalue(res, 0, 0) == 't';
	m->open = *PQgetvalue(res, 0, 2) == 't';
	m->locked = *PQgetvalue(res, 0, 3) == 't';
	PQclear(res);
	return 0;
}

void
chat_membership_end(struct chat_membership *m)
{
	if (m->locked)
		chat_unlock(m->group);
	m->locked = false;
}

int
chat_open_or_reply(struct request *req, const struct chat_membership *m)
{
	if (m->open)
		return 0;
	http_error(req, 403, "Forbidden", "group",
	    "this private conversation is closed because you are no longer "
	    "friends");
	return -1;
}

int
chat_lock(const char *group)
{
	const char *params[1] = { group };

	return db_command_prepared(sql_lock, 1, params, NULL);
}

void
chat_unlock(const char *group)
{
	const char *params[1] = { group };

	if (db_command_prepared(sql_unlock, 1, params, NULL) == -1)
		log_warn("conversation %s: releasing its lock failed", group);
}

PGresult *
chat_member_ids(const char *group)
{
	const char *params[1] = { group };

	return db_exec(sql_member_ids, 1, params, NULL);
}

void
chat_tell_members(const PGresult *members, const char *skip, bool durable,
    const char *type, struct json_object *data)
{
	int i;

	for (i = 0; i < PQntuples(members); i++) {
		const char *id = PQgetvalue(members, i, 0);

		if (skip == NULL || strcmp(id, skip) != 0)
			rt_defer(id, durable, type, json_object_get(data));
	}
	json_object_put(data);
}

static struct json_object *
message_json(const PGresult *res, int row)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "id",
	    json_object_new_string(PQgetvalue(res, row, 0)));
	json_object_object_add(m, "createdAt",
	    json_object_new_string(PQgetvalue(res, row, 1)));
	json_object_object_add(m, "editedAt",
	    PQgetisnull(res, row, 2) ? NULL
				     : json_object_new_string(PQgetvalue(res,
					   row, 2)));
	json_object_object_add(m, "fromProfileId",
	    json_object_new_string(PQgetvalue(res, row, 3)));
	json_object_object_add(m, "fromProfileUsername",
	    json_object_new_string(PQgetvalue(res, row, 4)));
	json_object_object_add(m, "chatGroupId",
	    json_object_new_string(PQgetvalue(res, row, 5)));
	json_object_object_add(m, "content",
	    json_object_new_string(PQgetvalue(res, row, 6)));
	return m;
}

int
chat_rate_or_reply(struct request *req, bool typing)
{
	const struct config *cfg = worker_config();
	char key[96], retry[16];
	int wait_s;

	snprintf(key, sizeof(key), "bb:rl:%s:%s",
	    typing ? "typing" : "chat", req->profile_id);
	wait_s = ratelimit_hit(key,
	    typing ? cfg->chat_typing_per_second
		   : cfg->chat_messages_per_second,
	    1);
	if (wait_s == 0)
		return 0;
	snprintf(retry, sizeof(retry), "%d", wait_s);
	http_add_header(req, "Retry-After", retry);
	http_error(req, 429, "TooManyRequests", NULL, "too many %s; retry in %d s",
	    typing ? "typing events"
		   : "chat messages and conversation changes",
	    wait_s);
	return -1;
}

/*
 * Queue event type with data for every id of members, a PostgreSQL array
 * of UUIDs ("{a,b}").  Takes ownership of data.
 */
static void
tell_member_array(const char *members, const char *type,
    struct json_object *data)
{
	const char *p = members;
	char id[37];

	while (*p == '{' || *p == ',') {
		p++;
		if (strlen(p) < 36)
			break;
		memcpy(id, p, 36);
		id[36] = '\0';
		rt_defer(id, true, type, json_object_get(data));
		p += 36;
	}
	json_object_put(data);
}

/*
 * Store the message in one statement.  Returns it, or NULL when the
 * database failed; *members gets the result whose column 2 contains the
 * member ids.
 */
static struct json_object *
store_message(const struct request *req, const char *group,
    const char *content, PGresult **members)
{
	const char *params[3] = { group, req->profile_id, content };
	struct json_object *m;
	PGresult *res = db_exec_prepared(sql_send, 3, params, NULL);

	*members = NULL;
	if (res == NULL)
		return NULL;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return NULL;
	}
	m = json_object_new_object();
	json_object_object_add(m, "id",
	    json_object_new_string(PQgetvalue(res, 0, 0)));
	json_object_object_add(m, "createdAt",
	    json_object_new_string(PQgetvalue(res, 0, 1)));
	json_object_object_add(m, "editedAt", NULL);
	json_object_object_add(m, "fromProfileId",
	    json_object_new_string(req->profile_id));
	json_object_object_add(m, "fromProfileUsername",
	    json_object_new_string(req->username));
	json_object_object_add(m, "chatGroupId", json_object_new_string(group));
	json_object_object_add(m, "content", json_object_new_string(content));
	*members = res;
	return m;
}

void
chat_messages_send(struct request *req)
{
	struct chat_membership m;
	struct json_object *message;
	PGresult *members;
	const char *content;

	/* Validate before locking, so that a rejected call holds nothing. */
	if (social_text_or_reply(req, "content", true, MESSAGE_MAX_CHARS,
		&content) != 0 ||
	    chat_rate_or_reply(req, false) == -1 ||
	    chat_membership_or_reply(req, &m, true) == -1)
		return;
	if (chat_open_or_reply(req, &m) == -1) {
		chat_membership_end(&m);
		return;
	}
	message = store_message(req, m.group, content, &members);
	if (message != NULL) {
		tell_member_array(PQgetvalue(members, 0, 2), "chat_message",
		    json_object_get(message));
		rt_flush();
		PQclear(members);
	}
	chat_membership_end(&m);
	if (message == NULL)
		http_internal_error(req);
	else
		http_reply_json(req, 201, message);
}

void
chat_messages_list(struct request *req)
{
	struct chat_membership m;
	struct keyset cursor;
	int limit;

	if (chat_membership_or_reply(req, &m, false) == -1 ||
	    social_keyset_or_reply(req, &cursor) == -1 ||
	    http_query_limit_or_reply(req, MESSAGES_LIMIT_DEFAULT,
		MESSAGES_LIMIT_MAX, &limit) == -1)
		return;
	social_reply_page(req, sql_page, m.group, &cursor, limit, message_json);
}

/*
 * Find the path's {msg} in the conversation and check that the caller
 * wrote it.  Returns 0, or -1 after replying 404, 403 or 500.
 */
static int
own_message_or_reply(struct request *req, const struct chat_membership *m)
{
	const char *msg = http_route_param(req, "msg");
	const char *params[2] = { msg, m->group };
	PGresult *res = db_exec(sql_locate, 2, params, NULL);
	bool mine;

	if (res == NULL) {
		http_internal_error(req);
		return -1;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		http_error(req, 404, "NotFound", "msg",
		    "no message %s in this conversation", msg);
		return -1;
	}
	mine = strcmp(PQgetvalue(res, 0, 0), req->profile_id) == 0;
	PQclear(res);
	if (!mine) {
		http_error(req, 403, "Forbidden", "msg",
		    "only its author can change a message");
		return -1;
	}
	return 0;
}

void
chat_messages_edit(struct request *req)
{
	const char *msg = http_route_param(req, "msg");
	struct chat_membership m;
	struct json_object *message = NULL;
	PGresult *members = NULL, *res = NULL;
	const char *content, *params[3];

	if (social_text_or_reply(req, "content", true, MESSAGE_MAX_CHARS,
		&content) != 0 ||
	    chat_rate_or_reply(req, false) == -1 ||
	    chat_membership_or_reply(req, &m, true) == -1)
		return;
	if (own_message_or_reply(req, &m) == -1 ||
	    chat_open_or_reply(req, &m) == -1)
		goto out;
	params[0] = msg;
	params[1] = m.group;
	params[2] = content;
	res = db_exec(sql_edit, 3, params, NULL);
	if (res != NULL && PQntuples(res) == 1) {
		message = message_json(res, 0);
		members = chat_member_ids(m.group);
	}
	if (members != NULL) {
		chat_tell_members(members, NULL, true, "chat_message_edited",
		    json_object_get(message));
		rt_flush();
	}
	if (res != NULL && PQntuples(res) == 0)
		http_error(req, 404, "NotFound", "msg",
		    "no message %s in this conversation", msg);
	else if (members == NULL)
		http_internal_error(req);
	else
		http_reply_json(req, 200, json_object_get(message));
out:
	chat_membership_end(&m);
	json_object_put(message);
	PQclear(members);
	PQclear(res);
}

/*
 * Delete the message and fix the counters and latest message it leaves
 * behind.  Returns 0, 1 when it was already gone, or -1.
 */
static int
delete_message(const char *group, const char *msg)
{
	const char *params[2] = { msg, group };
	const char *unread[3], *latest[2] = { group, msg };
	PGresult *res;

	if (db_begin() == -1)
		return -1;
	res = db_exec(sql_delete, 2, params, NULL);
	if (res == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		PQclear(res);
		db_rollback();
		return 1;
	}
	unread[0] = group;
	unread[1] = PQgetvalue(res, 0, 1);
	unread[2] = PQgetvalue(res, 0, 0);
	if (db_command(sql_unread_deleted, 3, unread, NULL) == -1) {
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (db_command(sql_latest_deleted, 2, latest, NULL) == -1 ||
	    db_commit() == -1)
		goto fail;
	return 0;
fail:
	db_rollback();
	return -1;
}

void
chat_messages_delete(struct request *req)
{
	const char *msg = http_route_param(req, "msg");
	struct chat_membership m;
	struct json_object *data;
	PGresult *members = NULL;
	int rc;

	if (chat_rate_or_reply(req, false) == -1 ||
	    chat_membership_or_reply(req, &m, true) == -1)
		return;
	if (own_message_or_reply(req, &m) == -1) {
		chat_membership_end(&m);
		return;
	}
	rc = delete_message(m.group, msg);
	if (rc == 0)
		members = chat_member_ids(m.group);
	if (members != NULL) {
		data = json_object_new_object();
		json_object_object_add(data, "id", json_object_new_string(msg));
		json_object_object_add(data, "chatGroupId",
		    json_object_new_string(m.group));
		chat_tell_members(members, NULL, true, "chat_message_deleted",
		    data);
		rt_flush();
	}
	chat_membership_end(&m);
	PQclear(members);
	if (rc == 1)
		http_error(req, 404, "NotFound", "msg",
		    "no message %s in this conversation", msg);
	else if (rc == -1 || members == NULL)
		http_internal_error(req);
	else
		http_reply_empty(req, 204);
}

/*
 * Read the chatMessageId field and find that message's number in the
 * conversation into seq.  Returns 0, or -1 after replying.
 */
static int
read_target_or_reply(struct request *req, const char *group,
    const char **msg, char seq[24])
{
	const char *params[2];
	PGresult *res;
	size_t len;

	if (http_body_string_or_reply(req, "chatMessageId", true, 0,
		HTTP_ANY_LENGTH, msg, &len) != 0)
		return -1;
	if (!uuid_text_valid(*msg, len)) {
		http_error(req, 422, "ValidationFailed", "chatMessageId",
		    "chatMessageId must be a UUID");
		return -1;
	}
	params[0] = *msg;
	params[1] = group;
	res = db_exec(sql_locate, 2, params, NULL);
	if (res == NULL) {
		http_internal_error(req);
		return -1;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		http_error(req, 404, "NotFound", "chatMessageId",
		    "no message %s in this conversation", *msg);
		return -1;
	}
	snprintf(seq, 24, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

void
chat_read(struct request *req)
{
	struct chat_membership m;
	struct json_object *data;
	PGresult *res, *members = NULL;
	const char *msg, *params[4];
	char seq[24];
	bool failed = false;

	if (chat_membership_or_reply(req, &m, true) == -1)
		return;
	if (read_target_or_reply(req, m.group, &msg, seq) == -1) {
		chat_membership_end(&m);
		return;
	}
	params[0] = m.group;
	params[1] = msg;
	params[2] = seq;
	params[3] = req->profile_id;
	res = db_exec(sql_read, 4, params, NULL);
	if (res == NULL) {
		failed = true;
	} else if (PQntuples(res) == 1) {
		members = chat_member_ids(m.group);
		failed = members == NULL;
	}
	if (members != NULL) {
		data = json_object_new_object();
		json_object_object_add(data, "chatGroupId",
		    json_object_new_string(m.group));
		json_object_object_add(data, "profileId",
		    json_object_new_string(req->profile_id));
		json_object_object_add(data, "chatMessageId",
		    json_object_new_string(msg));
		json_object_object_add(data, "unreadCount",
		    json_object_new_int64(strtoll(PQgetvalue(res, 0, 0),
			NULL, 10)));
		chat_tell_members(members, NULL, true, "chat_read", data);
		rt_flush();
	}
	chat_membership_end(&m);
	PQclear(members);
	PQclear(res);
	if (failed)
		http_internal_error(req);
	else
		http_reply_empty(req, 204);
}

/*
 * Record a typing event of the caller in the conversation; false when one
 * was recorded within the last two seconds.  An unreachable Redis lets
 * every event through.
 */
static bool
typing_first(const char *group, const char *profile_id)
{
	char key[128];
	const char *argv[6] = { "SET", key, "1", "PX", TYPING_REPEAT_MS, "NX" };
	redisReply *r;
	bool first;

	snprintf(key, sizeof(key), "bb:typing:%s:%s", group, profile_id);
	r = kv_commandv(KV_PUBSUB, 6, argv);
	if (r == NULL)
		return true;
	first = r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	return first;
}

void
chat_typing(struct request *req)
{
	struct chat_membership m;
	struct json_object *data;
	PGresult *members;

	if (chat_membership_or_reply(req, &m, false) == -1 ||
	    chat_open_or_reply(req, &m) == -1 ||
	    chat_rate_or_reply(req, true) == -1)
		return;
	if (!typing_first(m.group, req->profile_id)) {
		http_reply_empty(req, 204);
		return;
	}
	members = chat_member_ids(m.group);
	if (members == NULL) {
		http_internal_error(req);
		return;
	}
	data = json_object_new_object();
	json_object_object_add(data, "chatGroupId",
	    json_object_new_string(m.group));
	json_object_object_add(data, "profileId",
	    json_object_new_string(req->profile_id));
	json_object_object_add(data, "username",
	    json_object_new_string(req->username));
	chat_tell_members(members, req->profile_id, false, "is_typing", data);
	PQclear(members);
	http_reply_empty(req, 204);
}
