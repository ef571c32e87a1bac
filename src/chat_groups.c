/*
 * Conversations: private ones, opened when two people become friends and
 * kept (closed for writing) when they part, and group ones of up to 50
 * members, each a friend of the member who added them.  Lists of a
 * person's conversations read only that person's member rows.
 */
#include "chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_internal.h"
#include "db.h"
#include "log.h"
#include "presence.h"
#include "router.h"
#include "rt.h"
#include "social.h"
#include "util.h"

#define CONVERSATIONS_LIMIT_DEFAULT 10
#define CONVERSATIONS_LIMIT_MAX	    20
#define GROUP_NAME_MAX		    64

/*
 * A conversation as seen by the member row m: its members, its latest
 * message and the member's read state.
 */
#define CONVERSATION_SELECT                                                \
	"SELECT g.id, g.name, g.private_low IS NOT NULL,"                    \
	" (SELECT json_agg(json_build_object('id', p.id, 'username',"         \
	"   p.username) ORDER BY p.username)"                                 \
	"  FROM chat_members x JOIN profiles p ON p.id = x.profile_id"        \
	"  WHERE x.chat_group_id = g.id),"                                    \
	" lm.id, lm.profile_id, lp.username, lm.content, "                    \
	SQL_ISO_TIME("m.last_message_at") ", " SQL_ISO_TIME("m.read_at") ","  \
	" m.read_message_id, m.unread_count"                                  \
	" FROM chat_members m JOIN chat_groups g ON g.id = m.chat_group_id"   \
	" LEFT JOIN chat_messages lm ON lm.id = g.last_message_id"            \
	" LEFT JOIN profiles lp ON lp.id = lm.profile_id"

static const char sql_conversation[] =
    CONVERSATION_SELECT " WHERE m.profile_id = $1 AND m.chat_group_id = $2";
static const char sql_conversations[] =
    CONVERSATION_SELECT
    " WHERE m.profile_id = $1 AND m.last_message_at IS NOT NULL"
    "  AND (m.last_message_at, m.chat_group_id) < ($2::timestamptz, $3::uuid)"
    " ORDER BY m.last_message_at DESC, m.chat_group_id DESC LIMIT $4";
static const char sql_unread_conversations[] =
    "SELECT count(*) FROM chat_members"
    " WHERE profile_id = $1 AND unread_count > 0";
/*
 * The private conversation of $1 and $2: inserted with both members when
 * new, otherwise found.  The caller holds the pair's lock.
 */
static const char sql_private_open[] =
    "WITH g AS (INSERT INTO chat_groups (private_low, private_high)"
    "  VALUES (least($1::uuid, $2::uuid), greatest($1::uuid, $2::uuid))"
    "  ON CONFLICT DO NOTHING RETURNING id),"
    " m AS (INSERT INTO chat_members (chat_group_id, profile_id)"
    "  SELECT g.id, p FROM g, unnest(ARRAY[$1::uuid, $2::uuid]) p)"
    " SELECT id FROM g UNION ALL SELECT id FROM chat_groups"
    "  WHERE private_low = least($1::uuid, $2::uuid)"
    "   AND private_high = greatest($1::uuid, $2::uuid)";
/*
 * Private conversations for friendships that have none yet (friendships
 * written by import-graph); concurrent runs insert each one once.
 */
static const char sql_private_ensure[] =
    "WITH missing AS (SELECT least(f.profile_id, f.friend_id) AS low,"
    "   greatest(f.profile_id, f.friend_id) AS high FROM friendships f"
    "  WHERE f.profile_id = $1 AND NOT EXISTS (SELECT 1 FROM chat_groups g"
    "   WHERE g.private_low = least(f.profile_id, f.friend_id)"
    "    AND g.private_high = greatest(f.profile_id, f.friend_id))),"
    " g AS (INSERT INTO chat_groups (private_low, private_high)"
    "  SELECT low, high FROM missing ON CONFLICT DO NOTHING"
    "  RETURNING id, private_low, private_high)"
    " INSERT INTO chat_members (chat_group_id, profile_id)"
    " SELECT id, private_low FROM g UNION ALL SELECT id, private_high FROM g";
static const char sql_private_chats[] =
    "SELECT g.id, f.friend_id, f.friend_username FROM friendships f"
    " JOIN chat_groups g ON g.private_low = least(f.profile_id, f.friend_id)"
    "  AND g.private_high = greatest(f.profile_id, f.friend_id)"
    " WHERE f.profile_id = $1 ORDER BY f.friend_username";
/* The first of the ids $2 that is not a friend of $1. */
static const char sql_first_stranger[] =
    "SELECT want FROM unnest($2::uuid[]) want WHERE NOT EXISTS"
    " (SELECT 1 FROM friendships f"
    "  WHERE f.profile_id = $1 AND f.friend_id = want) LIMIT 1";
static const char sql_group_insert[] =
    "INSERT INTO chat_groups (name, created_by) VALUES ($1, $2) RETURNING id";
static const char sql_members_insert[] =
    "INSERT INTO chat_members (chat_group_id, profile_id)"
    " SELECT $1, p FROM unnest($2::uuid[] || $3::uuid) p";
static const char sql_rename[] =
    "UPDATE chat_groups SET name = $2 WHERE id = $1";
static const char sql_member_count[] =
    "SELECT count(*), bool_or(profile_id = $2) FROM chat_members"
    " WHERE chat_group_id = $1";
static const char sql_is_friend[] =
    "SELECT 1 FROM friendships WHERE profile_id = $1 AND friend_id = $2";
/* A new member has read everything written before they joined. */
static const char sql_member_insert[] =
    "INSERT INTO chat_members (chat_group_id, profile_id, read_seq,"
    " read_message_id, last_message_at)"
    " SELECT g.id, $2, g.message_seq, g.last_message_id, lm.created_at"
    " FROM chat_groups g LEFT JOIN chat_messages lm"
    "  ON lm.id = g.last_message_id WHERE g.id = $1";
static const char sql_member_delete[] =
    "DELETE FROM chat_members WHERE chat_group_id = $1 AND profile_id = $2";
/* A group conversation without members is deleted with its messages. */
static const char sql_group_delete_empty[] =
    "DELETE FROM chat_groups g WHERE id = $1 AND NOT EXISTS"
    " (SELECT 1 FROM chat_members m WHERE m.chat_group_id = g.id)";

static bool
self_or_reply(struct request *req)
{
	if (strcmp(http_route_param(req, "id"), req->profile_id) == 0)
		return true;
	http_error(req, 403, "Forbidden", "id",
	    "you can only read your own conversations");
	return false;
}

static struct json_object *
text_or_null(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return json_object_new_string(PQgetvalue(res, row, col));
}

static struct json_object *
conversation_json(const PGresult *res, int row)
{
	struct json_object *c = json_object_new_object();
	struct json_object *members = NULL;

	if (!PQgetisnull(res, row, 3))
		members = json_tokener_parse(PQgetvalue(res, row, 3));
	json_object_object_add(c, "chatGroupId", text_or_null(res, row, 0));
	json_object_object_add(c, "chatGroupName", text_or_null(res, row, 1));
	json_object_object_add(c, "private",
	    json_object_new_boolean(*PQgetvalue(res, row, 2) == 't'));
	json_object_object_add(c, "members",
	    members != NULL ? members : json_object_new_array());
	json_object_object_add(c, "chatMessageId", text_or_null(res, row, 4));
	json_object_object_add(c, "fromProfileId", text_or_null(res, row, 5));
	json_object_object_add(c, "fromProfileUsername",
	    text_or_null(res, row, 6));
	json_object_object_add(c, "content", text_or_null(res, row, 7));
	json_object_object_add(c, "createdAt", text_or_null(res, row, 8));
	json_object_object_add(c, "readAt", text_or_null(res, row, 9));
	json_object_object_add(c, "readMessageId", text_or_null(res, row, 10));
	json_object_object_add(c, "unreadCount",
	    json_object_new_int64(strtoll(PQgetvalue(res, row, 11), NULL, 10)));
	return c;
}

/* The conversation group as viewer sees it, or NULL on failure. */
static struct json_object *
load_conversation(const char *viewer, const char *group)
{
	const char *params[2] = { viewer, group };
	PGresult *res = db_exec(sql_conversation, 2, params, NULL);
	struct json_object *c = NULL;

	if (res == NULL)
		return NULL;
	if (PQntuples(res) == 1)
		c = conversation_json(res, 0);
	PQclear(res);
	return c;
}

/* The fields of a conversation that are the same for every member. */
static struct json_object *
shared_fields(struct json_object *conversation)
{
	static const char *const names[] = { "chatGroupId", "chatGroupName",
		"private", "members" };
	struct json_object *out = json_object_new_object();
	struct json_object *value;
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++)
		if (json_object_object_get_ex(conversation, names[i], &value))
			json_object_object_add(out, names[i],
			    json_object_get(value));
	return out;
}

int
chat_private_open(const char *a, const char *b, char id[37])
{
	const char *params[2] = { a, b };
	PGresult *res = db_exec(sql_private_open, 2, params, NULL);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		log_error("private conversation of %s and %s not found", a, b);
		return -1;
	}
	snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

void
chat_conversations_list(struct request *req)
{
	struct keyset cursor;
	int limit;

	if (!self_or_reply(req) ||
	    social_keyset_or_reply(req, &cursor) == -1 ||
	    http_query_limit_or_reply(req, CONVERSATIONS_LIMIT_DEFAULT,
		CONVERSATIONS_LIMIT_MAX, &limit) == -1)
		return;
	social_reply_page(req, sql_conversations, req->profile_id, &cursor,
	    limit, conversation_json);
}

void
chat_conversations_unread(struct request *req)
{
	const char *params[1] = { req->profile_id };
	struct json_object *body;
	PGresult *res;

	if (!self_or_reply(req))
		return;
	res = db_exec(sql_unread_conversations, 1, params, NULL);
	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	body = json_object_new_object();
	json_object_object_add(body, "count",
	    json_object_new_int64(strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
	PQclear(res);
	http_reply_json(req, 200, body);
}

void
chat_private_chats(struct request *req)
{
	const char *params[1] = { req->profile_id };
	const char **ids = NULL;
	struct json_object *list;
	long long *seen = NULL;
	bool *online = NULL;
	PGresult *res;
	int n, i;

	if (!self_or_reply(req))
		return;
	if (db_command(sql_private_ensure, 1, params, NULL) == -1 ||
	    (res = db_exec(sql_private_chats, 1, params, NULL)) == NULL) {
		http_internal_error(req);
		return;
	}
	n = PQntuples(res);
	ids = xcalloc((size_t)n + 1, sizeof(*ids));
	online = xcalloc((size_t)n + 1, sizeof(*online));
	seen = xcalloc((size_t)n + 1, sizeof(*seen));
	for (i = 0; i < n; i++)
		ids[i] = PQgetvalue(res, i, 1);
	/* Without presence everyone shows offline; the list still works. */
	if (n > 0 && presence_online_states(ids, n, online, seen) == -1)
		memset(online, 0, (size_t)n * sizeof(*online));
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "chatGroupId",
		    json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(c, "profileId",
		    json_object_new_string(ids[i]));
		json_object_object_add(c, "username",
		    json_object_new_string(PQgetvalue(res, i, 2)));
		json_object_object_add(c, "online",
		    json_object_new_boolean(online[i]));
		json_object_array_add(list, c);
	}
	free(ids);
	free(online);
	free(seen);
	PQclear(res);
	http_reply_json(req, 200, list);
}

/*
 * Read memberIds: an array of 1 to 49 profile ids other than the caller's
 * (duplicates and the caller's own id are dropped).  Returns 0 with a
 * PostgreSQL array literal in out, or -1 after replying 422.
 */
static int
member_ids_or_reply(struct request *req, struct buf *out)
{
	struct json_object *array;
	size_t i, n, count = 0;

	if (!json_object_is_type(req->json, json_type_object) ||
	    !json_object_object_get_ex(req->json, "memberIds", &array) ||
	    !json_object_is_type(array, json_type_array)) {
		http_error(req, 422, "ValidationFailed", "memberIds",
		    "memberIds must be an array of profile ids");
		return -1;
	}
	n = json_object_array_length(array);
	if (n > 2 * CHAT_GROUP_MEMBERS_MAX) {
		http_error(req, 422, "ValidationFailed", "memberIds",
		    "memberIds may hold at most %d ids (a group conversation "
		    "has at most %d members)",
		    2 * CHAT_GROUP_MEMBERS_MAX, CHAT_GROUP_MEMBERS_MAX);
		return -1;
	}
	buf_adds(out, "{");
	for (i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(array, i);
		const char *id = json_object_get_string(item);

		if (!json_object_is_type(item, json_type_string) ||
		    !uuid_text_valid(id, strlen(id))) {
			http_error(req, 422, "ValidationFailed", "memberIds",
			    "memberIds[%zu] must be a profile id (a UUID)", i);
			return -1;
		}
		/* Ids are lower-case UUIDs, so equal ids are equal strings. */
		if (strcmp(id, req->profile_id) == 0 ||
		    strstr(out->data, id) != NULL)
			continue;
		buf_addf(out, "%s%s", count > 0 ? "," : "", id);
		count++;
	}
	buf_adds(out, "}");
	if (count == 0) {
		http_error(req, 422, "ValidationFailed", "memberIds",
		    "memberIds must name at least one friend besides you");
		return -1;
	}
	if (count + 1 > CHAT_GROUP_MEMBERS_MAX) {
		http_error(req, 422, "ValidationFailed", "memberIds",
		    "a group conversation has at most %d members, you included",
		    CHAT_GROUP_MEMBERS_MAX);
		return -1;
	}
	return 0;
}

/*
 * Read the optional group name: 1 to 64 code points, not only white
 * space.  Returns 0 with *name (NULL when absent or null), or -1.
 */
static int
group_name_or_reply(struct request *req, const char **name)
{
	int rc = social_text_or_reply(req, "name", false, GROUP_NAME_MAX, name);

	if (rc == 1)
		*name = NULL;
	return rc == -1 ? -1 : 0;
}

/* Reply 403 naming field unless every id of the array is a friend. */
static int
friends_only_or_reply(struct request *req, const char *ids, const char *field)
{
	const char *params[2] = { req->profile_id, ids };
	PGresult *res = db_exec(sql_first_stranger, 2, params, NULL);

	if (res == NULL) {
		http_internal_error(req);
		return -1;
	}
	if (PQntuples(res) == 1) {
		http_error(req, 403, "Forbidden", field,
		    "%s is not your friend; conversations are among friends",
		    PQgetvalue(res, 0, 0));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

void
chat_group_create(struct request *req)
{
	struct json_object *conversation;
	const char *name, *params[3];
	PGresult *members, *res;
	struct buf ids;
	char group[37];

	buf_init(&ids);
	if (chat_rate_or_reply(req, false) == -1 ||
	    member_ids_or_reply(req, &ids) == -1 ||
	    group_name_or_reply(req, &name) == -1 ||
	    friends_only_or_reply(req, ids.data, "memberIds") == -1)
		goto out;

	params[0] = name;
	params[1] = req->profile_id;
	if (db_begin() == -1 ||
	    (res = db_exec(sql_group_insert, 2, params, NULL)) == NULL)
		goto fail;
	snprintf(group, sizeof(group), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	params[0] = group;
	params[1] = ids.data;
	params[2] = req->profile_id;
	if (db_command(sql_members_insert, 3, params, NULL) == -1 ||
	    db_commit() == -1)
		goto fail;

	conversation = load_conversation(req->profile_id, group);
	members = chat_member_ids(group);
	if (conversation == NULL || members == NULL) {
		json_object_put(conversation);
		PQclear(members);
		goto fail;
	}
	chat_tell_members(members, NULL, true, "conversation_created",
	    json_object_get(conversation));
	PQclear(members);
	log_info("conversation %s created by %s", group, req->profile_id);
	http_reply_json(req, 201, conversation);
	goto out;
fail:
	db_rollback();
	http_internal_error(req);
out:
	buf_free(&ids);
}

void
chat_group_get(struct request *req)
{
	struct chat_membership m;
	struct json_object *conversation;

	if (chat_membership_or_reply(req, &m, false) == -1)
		return;
	conversation = load_conversation(req->profile_id, m.group);
	if (conversation == NULL)
		http_internal_error(req);
	else
		http_reply_json(req, 200, conversation);
}

/* Reply 403 for a private conversation, which has fixed members and no name. */
static int
group_only_or_reply(struct request *req, const struct chat_membership *m)
{
	if (!m->private_chat)
		return 0;
	http_error(req, 403, "Forbidden", "group",
	    "a private conversation cannot be renamed, joined or left");
	return -1;
}

/*
 * Tell the members of group that its name or members changed, and reply
 * status with the caller's view.  A member in welcome (may be NULL) gets
 * conversation_created with their own view instead.
 */
static void
announce_update(struct request *req, const char *group, const char *welcome,
    int status)
{
	struct json_object *conversation = load_conversation(req->profile_id,
	    group);
	struct json_object *theirs = NULL;
	PGresult *members = chat_member_ids(group);

	if (welcome != NULL)
		theirs = load_conversation(welcome, group);
	if (conversation == NULL || members == NULL ||
	    (welcome != NULL && theirs == NULL)) {
		json_object_put(conversation);
		json_object_put(theirs);
		PQclear(members);
		http_internal_error(req);
		return;
	}
	chat_tell_members(members, welcome, true, "conversation_updated",
	    shared_fields(conversation));
	if (welcome != NULL)
		rt_defer(welcome, true, "conversation_created", theirs);
	rt_flush();
	PQclear(members);
	http_reply_json(req, status, conversation);
}

void
chat_group_rename(struct request *req)
{
	struct chat_membership m;
	struct json_object *value;
	const char *name = NULL, *params[2];

	if (chat_rate_or_reply(req, false) == -1 ||
	    chat_membership_or_reply(req, &m, false) == -1 ||
	    group_only_or_reply(req, &m) == -1)
		return;
	if (!json_object_is_type(req->json, json_type_object) ||
	    !json_object_object_get_ex(req->json, "name", &value)) {
		http_error(req, 422, "ValidationFailed", "name",
		    "name is required (null removes it)");
		return;
	}
	if (group_name_or_reply(req, &name) == -1)
		return;
	params[0] = m.group;
	params[1] = name;
	if (chat_lock(m.group) == -1) {
		http_internal_error(req);
		return;
	}
	if (db_command(sql_rename, 2, params, NULL) == -1)
		http_internal_error(req);
	else
		announce_update(req, m.group, NULL, 200);
	chat_unlock(m.group);
}

/*
 * Add profile to the group after checking its size and membership, in
 * one transaction.  Returns 0, or -1 after replying.
 */
static int
insert_member_or_reply(struct request *req, const char *group,
    const char *profile)
{
	const char *params[2] = { group, profile };
	PGresult *res;
	long long count;
	bool present;

	if (db_begin() == -1 ||
	    (res = db_exec(sql_member_count, 2, params, NULL)) == NULL)
		goto fail;
	count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	present = *PQgetvalue(res, 0, 1) == 't';
	PQclear(res);
	if (present) {
		db_rollback();
		http_error(req, 409, "AlreadyMember", "profileId",
		    "%s is already a member of this conversation", profile);
		return -1;
	}
	if (count >= CHAT_GROUP_MEMBERS_MAX) {
		db_rollback();
		http_error(req, 409, "ConversationFull", "profileId",
		    "a group conversation has at most %d members",
		    CHAT_GROUP_MEMBERS_MAX);
		return -1;
	}
	if (db_command(sql_member_insert, 2, params, NULL) == -1 ||
	    db_commit() == -1)
		goto fail;
	return 0;
fail:
	db_rollback();
	http_internal_error(req);
	return -1;
}

void
chat_member_add(struct request *req)
{
	const char *params[2] = { req->profile_id, NULL };
	struct chat_membership m;
	const char *profile;
	PGresult *res;
	size_t len;
	bool friend;

	if (chat_rate_or_reply(req, false) == -1 ||
	    chat_membership_or_reply(req, &m, false) == -1 ||
	    group_only_or_reply(req, &m) == -1 ||
	    http_body_string_or_reply(req, "profileId", true, 0,
		HTTP_ANY_LENGTH, &profile, &len) != 0)
		return;
	if (!uuid_text_valid(profile, len)) {
		http_error(req, 422, "ValidationFailed", "profileId",
		    "profileId must be a UUID");
		return;
	}
	if (strcmp(profile, req->profile_id) == 0) {
		http_error(req, 409, "AlreadyMember", "profileId",
		    "you are already a member of this conversation");
		return;
	}
	params[1] = profile;
	res = db_exec(sql_is_friend, 2, params, NULL);
	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	friend = PQntuples(res) == 1;
	PQclear(res);
	if (!friend) {
		http_error(req, 403, "Forbidden", "profileId",
		    "%s is not your friend; conversations are among friends",
		    profile);
		return;
	}
	if (chat_lock(m.group) == -1) {
		http_internal_error(req);
		return;
	}
	if (insert_member_or_reply(req, m.group, profile) == 0) {
		log_info("conversation %s: %s added %s", m.group,
		    req->profile_id, profile);
		announce_update(req, m.group, profile, 201);
	}
	chat_unlock(m.group);
}

void
chat_member_leave(struct request *req)
{
	const char *member = http_route_param(req, "member");
	const char *params[2];
	struct chat_membership m;
	struct json_object *data, *conversation = NULL;
	PGresult *members;

	if (strcmp(member, req->profile_id) != 0) {
		http_error(req, 403, "Forbidden", "member",
		    "you can only remove yourself from a conversation");
		return;
	}
	if (chat_membership_or_reply(req, &m, false) == -1 ||
	    group_only_or_reply(req, &m) == -1)
		return;
	params[0] = m.group;
	params[1] = req->profile_id;
	if (chat_lock(m.group) == -1) {
		http_internal_error(req);
		return;
	}
	if (db_begin() == -1 ||
	    db_command(sql_member_delete, 2, params, NULL) == -1 ||
	    db_command(sql_group_delete_empty, 1, params, NULL) == -1 ||
	    db_commit() == -1 || (members = chat_member_ids(m.group)) == NULL) {
		db_rollback();
		chat_unlock(m.group);
		http_internal_error(req);
		return;
	}

	/* The others see the new member list; the leaver's tabs drop it. */
	if (PQntuples(members) > 0)
		conversation = load_conversation(PQgetvalue(members, 0, 0),
		    m.group);
	if (conversation != NULL)
		chat_tell_members(members, NULL, true, "conversation_updated",
		    shared_fields(conversation));
	data = json_object_new_object();
	json_object_object_add(data, "chatGroupId",
	    json_object_new_string(m.group));
	rt_defer(req->profile_id, true, "conversation_left", data);
	rt_flush();
	chat_unlock(m.group);
	json_object_put(conversation);
	PQclear(members);
	log_info("conversation %s: %s left", m.group, req->profile_id);
	http_reply_empty(req, 204);
}
