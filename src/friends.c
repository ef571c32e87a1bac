/*
 * Friendship routes: the request state machine and the lists of friends,
 * mutual friends, requests and suggestions.
 *
 * Every change runs in one PostgreSQL transaction that first takes an
 * advisory lock on the unordered pair of people, so two people sending
 * each other a request at the same moment, or one accepting twice, are
 * serialised and end in one consistent state.  Reads go through graph.h.
 */
#include "friends.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "chat.h"
#include "db.h"
#include "graph.h"
#include "log.h"
#include "notifications.h"
#include "rt.h"

#define USERNAME_GT_MAX 32
/* Cached lists and states; writes make them stale at once. */
#define CACHE_TTL_S 300
/*
 * Suggestions also change when friends of friends change, which does not
 * bump my generation; they are cached briefly instead.
 */
#define SUGGESTIONS_TTL_S 30

static const char sql_lock_pair[] =
    "SELECT pg_advisory_xact_lock(hashtextextended("
    " least($1::text, $2::text) || greatest($1::text, $2::text), 0))";
static const char sql_username[] =
    "SELECT username FROM profiles WHERE id = $1";
static const char sql_request_insert[] =
    "INSERT INTO friend_requests"
    " (requester_id, target_id, requester_username, target_username)"
    " VALUES ($1, $2, $3, $4)";
static const char sql_request_delete[] =
    "DELETE FROM friend_requests WHERE requester_id = $1 AND target_id = $2";
/* A cancelled request's notification is deleted unless its target read it. */
static const char sql_request_notice_delete[] =
    "DELETE FROM notifications WHERE profile_id = $2"
    " AND event = 'NEW_FRIENDSHIP_REQUEST' AND payload->>'byId' = $1::text"
    " AND NOT read";
static const char sql_friendship_insert[] =
    "INSERT INTO friendships (profile_id, friend_id, friend_username)"
    " VALUES ($1, $2, $4), ($2, $1, $3)";
static const char sql_friendship_delete[] =
    "DELETE FROM friendships WHERE (profile_id = $1 AND friend_id = $2)"
    " OR (profile_id = $2 AND friend_id = $1)";

enum change { SEND, CANCEL, ACCEPT, REJECT, UNFRIEND };

/* The state each change starts from, from the caller's point of view. */
static const char required_state[] = {
	[SEND] = 'N', [CANCEL] = 'O', [ACCEPT] = 'I', [REJECT] = 'I',
	[UNFRIEND] = 'F',
};

static const char *const state_message[] = {
	[SEND] = "a friend request can only be sent when there is no "
		 "friendship or pending request",
	[CANCEL] = "there is no pending request from you to this person",
	[ACCEPT] = "there is no pending request from this person to you",
	[REJECT] = "there is no pending request from this person to you",
	[UNFRIEND] = "you are not friends with this person",
};

/* 403 unless the caller is the {id} of the path. */
static bool
self_or_reply(struct request *req)
{
	if (strcmp(http_route_param(req, "id"), req->profile_id) == 0)
		return true;
	http_error(req, 403, "Forbidden", "id",
	    "you can only act for your own profile");
	return false;
}

static void
graph_failed(struct request *req)
{
	if (strcmp(graph()->name, "postgres") == 0)
		http_internal_error(req);
	else
		http_error(req, 503, "Unavailable", NULL,
		    "the friend graph is temporarily unavailable");
}

/* Username of id into out; 0, 1 when there is no such profile, -1. */
static int
lookup_username(const char *id, char out[33])
{
	const char *params[1] = { id };
	PGresult *res = db_exec(sql_username, 1, params, NULL);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 1;
	}
	snprintf(out, 33, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int
notify_request(const char *me, const char *my_name, const char *other)
{
	struct json_object *payload = json_object_new_object();

	json_object_object_add(payload, "byId", json_object_new_string(me));
	json_object_object_add(payload, "byUsername",
	    json_object_new_string(my_name));
	return notifications_store(other, "NEW_FRIENDSHIP_REQUEST", payload);
}

static int
notify_accepted(const char *me, const char *my_name, const char *requester)
{
	struct json_object *payload = json_object_new_object();

	json_object_object_add(payload, "profileId",
	    json_object_new_string(me));
	json_object_object_add(payload, "profileUsername",
	    json_object_new_string(my_name));
	return notifications_store(requester, "NEW_FRIEND", payload);
}

/*
 * A stream event naming one person: {profileId, username?}, with the
 * chatGroupId of their private conversation when chat is not NULL.
 */
static struct json_object *
person_event(const char *id, const char *username, const char *chat)
{
	struct json_object *data = json_object_new_object();

	if (chat != NULL)
		json_object_object_add(data, "chatGroupId",
		    json_object_new_string(chat));
	json_object_object_add(data, "profileId", json_object_new_string(id));
	if (username != NULL)
		json_object_object_add(data, "username",
		    json_object_new_string(username));
	return data;
}

/* Queue the stream events of a change; they go out after the commit. */
static void
announce_change(enum change change, const char *me, const char *my_name,
    const char *other, const char *other_name, const char *chat)
{
	switch (change) {
	case SEND:
		rt_defer(other, true, "friend_request",
		    person_event(me, my_name, NULL));
		break;
	case ACCEPT:
		rt_defer(other, true, "add_friend",
		    person_event(me, my_name, chat));
		rt_defer(me, true, "add_friend",
		    person_event(other, other_name, chat));
		break;
	case UNFRIEND:
		rt_defer(other, true, "remove_friend",
		    person_event(me, NULL, NULL));
		rt_defer(me, true, "remove_friend",
		    person_event(other, NULL, NULL));
		break;
	case CANCEL:
	case REJECT:
		break;
	}
}

/*
 * The writes of one change, inside the locked transaction.  Accepting
 * opens the pair's private conversation, whose id goes to chat.
 */
static int
apply_change(enum change change, const char *me, const char *my_name,
    const char *other, const char *other_name, char chat[37])
{
	const char *mine[2] = { me, other };
	const char *theirs[2] = { other, me };
	const char *send[4] = { me, other, my_name, other_name };
	const char *both[4] = { me, other, my_name, other_name };

	switch (change) {
	case SEND:
		if (db_command(sql_request_insert, 4, send, NULL) == -1)
			return -1;
		return notify_request(me, my_name, other);
	case CANCEL:
		if (db_command(sql_request_delete, 2, mine, NULL) == -1)
			return -1;
		return db_command(sql_request_notice_delete, 2, mine, NULL);
	case REJECT:
		return db_command(sql_request_delete, 2, theirs, NULL);
	case ACCEPT:
		if (db_command(sql_request_delete, 2, theirs, NULL) == -1 ||
		    db_command(sql_friendship_insert, 4, both, NULL) == -1 ||
		    chat_private_open(me, other, chat) == -1)
			return -1;
		return notify_accepted(me, my_name, other);
	case UNFRIEND:
		return db_command(sql_friendship_delete, 2, mine, NULL);
	}
	return -1;
}

/* Run one state-machine change for the path's {id} towards other. */
static void
change_relationship(struct request *req, const char *other_param,
    enum change change, int success_status)
{
	const char *me = req->profile_id;
	const char *other = http_route_param(req, other_param);
	const char *pair[2] = { me, other };
	char my_name[33], other_name[33], chat[37] = "", state;
	int found;

	if (!self_or_reply(req))
		return;
	if (strcmp(me, other) == 0) {
		http_error(req, 400, "UnexpectedRelationshipState", other_param,
		    "you cannot be your own friend");
		return;
	}

	/* Step 1: lock the pair, then read who they are and where they stand. */
	if (db_begin() == -1 ||
	    db_command(sql_lock_pair, 2, pair, NULL) == -1)
		goto fail;
	found = lookup_username(other, other_name);
	if (found == 1) {
		db_rollback();
		http_error(req, 404, "NotFound", other_param, "no profile %s",
		    other);
		return;
	}
	if (found == -1 || lookup_username(me, my_name) != 0)
		goto fail;
	state = graph_pg_pair_state(me, other);
	if (state == '\0')
		goto fail;
	if (state != required_state[change]) {
		db_rollback();
		http_error(req, 400, "UnexpectedRelationshipState", NULL, "%s",
		    state_message[change]);
		return;
	}

	/* Step 2: write and commit. */
	if (apply_change(change, me, my_name, other, other_name, chat) == -1 ||
	    db_commit() == -1)
		goto fail;
	/* Bump after the Neo4j mirror, because a read cached from Neo4j
	 * before the mirror arrived would be served until it expires. */
	graph_changed(me, other);
	cache_bump(me);
	cache_bump(other);
	announce_change(change, me, my_name, other, other_name, chat);
	log_info("friendship change %d between %s and %s", (int)change, me,
	    other);
	http_reply_empty(req, success_status);
	return;
fail:
	db_rollback();
	http_internal_error(req);
}

void
friends_send_request(struct request *req)
{
	change_relationship(req, "target", SEND, 201);
}

void
friends_cancel_request(struct request *req)
{
	change_relationship(req, "target", CANCEL, 204);
}

void
friends_accept(struct request *req)
{
	change_relationship(req, "requester", ACCEPT, 201);
}

void
friends_reject(struct request *req)
{
	change_relationship(req, "requester", REJECT, 204);
}

void
friends_unfriend(struct request *req)
{
	change_relationship(req, "friend", UNFRIEND, 204);
}

static struct json_object *
page_json(const struct graph_page *page, bool with_mutual)
{
	struct json_object *list = json_object_new_array();
	int i;

	for (i = 0; i < page->count; i++) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "id",
		    json_object_new_string(page->items[i].id));
		json_object_object_add(p, "username",
		    json_object_new_string(page->items[i].username));
		if (with_mutual)
			json_object_object_add(p, "mutualFriendsCount",
			    json_object_new_int64(page->items[i].mutual));
		json_object_array_add(list, p);
	}
	return list;
}

/*
 * Build the cache key "bb:c:KIND:ID:GEN[:ID2:GEN2]:REST" from the
 * generations of the profiles the response is about.
 */
static void
cache_key(struct buf *key, const char *kind, const char *id, const char *id2,
    const char *rest)
{
	char gen[24];

	cache_generation(id, gen);
	buf_addf(key, "bb:c:%s:%s:%s", kind, id, gen);
	if (id2 != NULL) {
		cache_generation(id2, gen);
		buf_addf(key, ":%s:%s", id2, gen);
	}
	buf_addf(key, ":%s", rest);
}

/* Reply from the cache when key is there; true when it replied. */
static bool
reply_cached(struct request *req, const char *key)
{
	struct buf hit;
	bool found;

	buf_init(&hit);
	found = cache_get(key, &hit);
	if (found)
		http_reply_body(req, 200, "application/json", hit.data,
		    hit.len);
	buf_free(&hit);
	return found;
}

/* Reply with list and store its text under key. */
static void
reply_and_cache(struct request *req, const char *key,
    struct json_object *list, int ttl_s)
{
	size_t len;
	const char *text = json_object_to_json_string_length(list,
	    JSON_C_TO_STRING_PLAIN, &len);

	cache_set(key, text, len, ttl_s);
	http_reply_json(req, 200, list);
}

/* 404 unless the profile of path parameter name exists. */
static bool
exists_or_reply(struct request *req, const char *name)
{
	char username[33];
	int found = lookup_username(http_route_param(req, name), username);

	if (found == 0)
		return true;
	if (found == 1)
		http_error(req, 404, "NotFound", name, "no profile %s",
		    http_route_param(req, name));
	else
		http_internal_error(req);
	return false;
}

void
friends_list(struct request *req)
{
	struct graph_page page;
	const char *gt;
	int limit;

	const char *id = http_route_param(req, "id");
	struct buf key, rest;

	if (http_query_string_or_reply(req, "username_gt", USERNAME_GT_MAX,
		&gt) == -1 ||
	    http_query_limit_or_reply(req, 20, 50, &limit) == -1)
		return;
	buf_init(&key);
	buf_init(&rest);
	buf_addf(&rest, "%d:%s", limit, gt);
	cache_key(&key, "friends", id, NULL, rest.data);
	buf_free(&rest);
	if (reply_cached(req, key.data) || !exists_or_reply(req, "id"))
		goto out;
	if (graph()->friends(id, gt, limit, &page)) {
		graph_failed(req);
		goto out;
	}
	reply_and_cache(req, key.data, page_json(&page, false), CACHE_TTL_S);
	graph_page_free(&page);
out:
	buf_free(&key);
}

void
friends_mutual(struct request *req)
{
	struct graph_page page;
	const char *gt;
	int limit;

	if (!self_or_reply(req) ||
	    http_query_string_or_reply(req, "username_gt", USERNAME_GT_MAX,
		&gt) == -1 ||
	    http_query_limit_or_reply(req, 20, 50, &limit) == -1 ||
	    !exists_or_reply(req, "other"))
		return;
	if (graph()->mutual_friends(req->profile_id,
		http_route_param(req, "other"), gt, limit, &page)) {
		graph_failed(req);
		return;
	}
	http_reply_json(req, 200, page_json(&page, false));
	graph_page_free(&page);
}

void
friends_requests(struct request *req)
{
	const struct query_param *dir = query_get(&req->query, "direction");
	struct graph_page page;
	bool incoming = false;
	const char *gt;
	int limit;

	if (!self_or_reply(req))
		return;
	if (dir != NULL && strcmp(dir->value, "incoming") == 0)
		incoming = true;
	else if (dir != NULL && strcmp(dir->value, "outgoing") != 0) {
		http_error(req, 422, "ValidationFailed", "direction",
		    "direction must be incoming or outgoing");
		return;
	}
	if (http_query_string_or_reply(req, "username_gt", USERNAME_GT_MAX,
		&gt) == -1 ||
	    http_query_limit_or_reply(req, 20, 50, &limit) == -1)
		return;
	if (graph()->requests(req->profile_id, incoming, gt, limit, &page)) {
		graph_failed(req);
		return;
	}
	http_reply_json(req, 200, page_json(&page, false));
	graph_page_free(&page);
}

/*
 * Parse a suggestions cursor "MUTUAL:USERNAME" (the last item's
 * mutualFriendsCount and username); -1 when malformed.
 */
static int
parse_cursor(const char *cursor, long *mutual, const char **username)
{
	char *end;

	if (*cursor == '\0') {
		*mutual = -1;
		*username = "";
		return 0;
	}
	*mutual = strtol(cursor, &end, 10);
	if (end == cursor || *end != ':' || *mutual < 1 ||
	    strlen(end + 1) > 32)
		return -1;
	*username = end + 1;
	return 0;
}

void
friends_suggestions(struct request *req)
{
	struct graph_page page;
	const char *cursor, *after_username;
	long after_mutual;
	int limit;

	if (!self_or_reply(req) ||
	    http_query_string_or_reply(req, "cursor", 64, &cursor) == -1 ||
	    http_query_limit_or_reply(req, 20, 50, &limit) == -1)
		return;
	if (parse_cursor(cursor, &after_mutual, &after_username) == -1) {
		http_error(req, 422, "ValidationFailed", "cursor",
		    "cursor must be MUTUAL:USERNAME of the last suggestion");
		return;
	}
	{
		struct buf key, rest;

		buf_init(&key);
		buf_init(&rest);
		buf_addf(&rest, "%d:%s", limit, cursor);
		cache_key(&key, "suggestions", req->profile_id, NULL,
		    rest.data);
		buf_free(&rest);
		if (!reply_cached(req, key.data)) {
			if (graph()->suggestions(req->profile_id, after_mutual,
				after_username, limit, &page))
				graph_failed(req);
			else {
				reply_and_cache(req, key.data,
				    page_json(&page, true), SUGGESTIONS_TTL_S);
				graph_page_free(&page);
			}
		}
		buf_free(&key);
	}
}

void
friends_relationship(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *other = http_route_param(req, "other");
	enum relationship rel;
	bool involved;
	struct buf key, hit;

	buf_init(&key);
	buf_init(&hit);
	cache_key(&key, "rel", id, other, "");
	if (cache_get(key.data, &hit) && hit.len == 1 && hit.data[0] >= '0' &&
	    hit.data[0] <= '4') {
		rel = (enum relationship)(hit.data[0] - '0');
	} else if (!exists_or_reply(req, "id") ||
	    !exists_or_reply(req, "other")) {
		goto out;
	} else if (graph()->relationship(id, other, &rel) == -1) {
		graph_failed(req);
		goto out;
	} else {
		char c = (char)('0' + (int)rel);

		cache_set(key.data, &c, 1, CACHE_TTL_S);
	}
	/* Pending requests are the business of the two people only. */
	involved = strcmp(req->profile_id, id) == 0 ||
	    strcmp(req->profile_id, other) == 0;
	if (!involved && (rel == REL_OUTGOING || rel == REL_INCOMING))
		rel = REL_NONE;
	http_reply_json(req, 200,
	    json_object_new_string(relationship_name(rel)));
out:
	buf_free(&key);
	buf_free(&hit);
}
