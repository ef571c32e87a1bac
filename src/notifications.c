/*
 * Notifications: storing them (the one entry point product code calls),
 * delivering them live on the recipient's stream once committed, and the
 * routes that list, count and mark them.  Which events exist and who
 * receives them is the callers' business.
 */
#include "notifications.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "rt.h"

#define MARK_MAX_IDS 100

#define NOTIFICATION_COLUMNS                                              \
	"id, " SQL_ISO_TIME("created_at") ", profile_id, event, payload, read," \
	" visited"

static const char sql_insert[] =
    "INSERT INTO notifications (profile_id, event, payload, group_key)"
    " VALUES ($1, $2, $3::jsonb, $4) RETURNING " NOTIFICATION_COLUMNS;
/* Serialises the groups of one recipient and key. */
static const char sql_lock_group[] =
    "SELECT pg_advisory_xact_lock(hashtextextended("
    " 'notification-group:' || $1 || ':' || $2, 0))";
/* The recipient's notification of the group in the current clock hour. */
static const char sql_find_group[] =
    "SELECT id FROM notifications"
    " WHERE profile_id = $1 AND group_key = $2"
    "  AND created_at >= date_trunc('hour', now())"
    " ORDER BY created_at DESC LIMIT 1";
/* $3: renew, which marks the notification unread and unvisited again. */
static const char sql_update_group[] =
    "UPDATE notifications SET payload = payload || $2::jsonb,"
    " read = read AND NOT $3::boolean, visited = visited AND NOT $3::boolean"
    " WHERE id = $1 RETURNING " NOTIFICATION_COLUMNS;
static const char sql_delete_group[] = "DELETE FROM notifications WHERE id = $1";
/*
 * $2/$3: the cursor (created_at, id) of the last item seen, or NULL; with
 * the time alone, strictly older rows.  $4: read filter or NULL.
 */
static const char sql_list[] =
    "SELECT " NOTIFICATION_COLUMNS " FROM notifications"
    " WHERE profile_id = $1"
    "  AND ($2::timestamptz IS NULL OR (created_at, id) <"
    "   ($2::timestamptz, coalesce($3::uuid,"
    "    '00000000-0000-0000-0000-000000000000'::uuid)))"
    "  AND ($4::boolean IS NULL OR read = $4::boolean)"
    " ORDER BY created_at DESC, id DESC LIMIT $5";
static const char sql_unread[] =
    "SELECT count(*) FROM notifications WHERE profile_id = $1 AND NOT read";
/*
 * $2: JSON array of ids or NULL for all; $3/$4: new read/visited or NULL
 * to leave as is.  Ids of other people's notifications match nothing.
 */
static const char sql_mark[] =
    "UPDATE notifications SET read = coalesce($3::boolean, read),"
    " visited = coalesce($4::boolean, visited)"
    " WHERE profile_id = $1 AND ($2::jsonb IS NULL OR id IN"
    "  (SELECT value::uuid FROM jsonb_array_elements_text($2::jsonb)))"
    " RETURNING " NOTIFICATION_COLUMNS;

static struct json_object *
notification_json(PGresult *res, int row)
{
	struct json_object *n = json_object_new_object();
	struct json_object *data = json_object_new_object();

	json_object_object_add(n, "id",
	    json_object_new_string(PQgetvalue(res, row, 0)));
	json_object_object_add(n, "createdAt",
	    json_object_new_string(PQgetvalue(res, row, 1)));
	json_object_object_add(n, "profileId",
	    json_object_new_string(PQgetvalue(res, row, 2)));
	json_object_object_add(data, "event",
	    json_object_new_string(PQgetvalue(res, row, 3)));
	json_object_object_add(data, "payload",
	    json_tokener_parse(PQgetvalue(res, row, 4)));
	json_object_object_add(n, "data", data);
	json_object_object_add(n, "read",
	    json_object_new_boolean(*PQgetvalue(res, row, 5) == 't'));
	json_object_object_add(n, "visited",
	    json_object_new_boolean(*PQgetvalue(res, row, 6) == 't'));
	return n;
}

/* Insert one notification, grouped when group_key is not NULL. */
static int
insert(const char *recipient, const char *event, const char *group_key,
    struct json_object *payload)
{
	const char *params[4] = { recipient, event,
		json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN),
		group_key };
	PGresult *res = db_exec(sql_insert, 4, params, NULL);

	json_object_put(payload);
	if (res == NULL)
		return -1;
	rt_defer(recipient, true, "notification", notification_json(res, 0));
	PQclear(res);
	return 0;
}

int
notifications_store(const char *recipient, const char *event,
    struct json_object *payload)
{
	return insert(recipient, event, NULL, payload);
}

/*
 * Lock the group and find its notification of this hour into id.
 * Returns 0 when found, 1 when there is none, -1 on failure.
 */
static int
find_group(const char *recipient, const char *group_key, char id[37])
{
	const char *params[2] = { recipient, group_key };
	PGresult *res;
	int found;

	if (db_command(sql_lock_group, 2, params, NULL) == -1)
		return -1;
	res = db_exec(sql_find_group, 2, params, NULL);
	if (res == NULL)
		return -1;
	found = PQntuples(res) == 1 ? 0 : 1;
	if (found == 0)
		snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return found;
}

/* Merge payload into notification id; deliver it again when renewed. */
static int
update_group(const char *recipient, const char *id,
    struct json_object *payload, bool renew)
{
	const char *params[3] = { id,
		json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN),
		renew ? "true" : "false" };
	PGresult *res = db_exec(sql_update_group, 3, params, NULL);

	json_object_put(payload);
	if (res == NULL)
		return -1;
	if (renew && PQntuples(res) == 1)
		rt_defer(recipient, true, "notification",
		    notification_json(res, 0));
	PQclear(res);
	return 0;
}

int
notifications_store_grouped(const char *recipient, const char *event,
    const char *group_key, struct json_object *payload)
{
	char id[37];
	int found = find_group(recipient, group_key, id);

	if (found == -1) {
		json_object_put(payload);
		return -1;
	}
	if (found == 1)
		return insert(recipient, event, group_key, payload);
	return update_group(recipient, id, payload, true);
}

int
notifications_amend_grouped(const char *recipient, const char *group_key,
    struct json_object *payload)
{
	const char *params[1];
	char id[37];
	int found = find_group(recipient, group_key, id);

	if (found != 0) {
		json_object_put(payload);
		return found == -1 ? -1 : 0;
	}
	if (payload != NULL)
		return update_group(recipient, id, payload, false);
	params[0] = id;
	return db_command(sql_delete_group, 1, params, NULL) == -1 ? -1 : 0;
}

static bool
self_or_reply(struct request *req)
{
	if (strcmp(http_route_param(req, "id"), req->profile_id) == 0)
		return true;
	http_error(req, 403, "Forbidden", "id",
	    "you can only read your own notifications");
	return false;
}

/* Parse an optional boolean query parameter into "true"/"false"/NULL. */
static int
bool_param_or_reply(struct request *req, const char *name, const char **out)
{
	const struct query_param *p = query_get(&req->query, name);

	*out = NULL;
	if (p == NULL)
		return 0;
	if (strcmp(p->value, "true") == 0 || strcmp(p->value, "false") == 0) {
		*out = p->value;
		return 0;
	}
	http_error(req, 422, "ValidationFailed", name,
	    "%s must be true or false", name);
	return -1;
}

void
notifications_list(struct request *req)
{
	const char *older_than, *older_than_id, *read, *params[5];
	struct json_object *list;
	char limit_text[16];
	PGresult *res;
	int limit, i;

	if (!self_or_reply(req) ||
	    http_query_time_or_reply(req, "older_than", &older_than) == -1 ||
	    http_query_string_or_reply(req, "older_than_id", 36,
		&older_than_id) == -1 ||
	    bool_param_or_reply(req, "read", &read) == -1 ||
	    http_query_limit_or_reply(req, 10, 20, &limit) == -1)
		return;
	if (*older_than_id != '\0' && older_than == NULL) {
		http_error(req, 422, "ValidationFailed", "older_than_id",
		    "older_than_id needs older_than, the createdAt of the "
		    "same notification");
		return;
	}
	if (*older_than_id != '\0' &&
	    !uuid_text_valid(older_than_id, strlen(older_than_id))) {
		http_error(req, 422, "ValidationFailed", "older_than_id",
		    "older_than_id must be a UUID");
		return;
	}
	snprintf(limit_text, sizeof(limit_text), "%d", limit);
	params[0] = req->profile_id;
	params[1] = older_than;
	params[2] = *older_than_id ? older_than_id : NULL;
	params[3] = read;
	params[4] = limit_text;
	res = db_exec(sql_list, 5, params, NULL);
	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	list = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(list, notification_json(res, i));
	PQclear(res);
	http_reply_json(req, 200, list);
}

/* The caller's unread count, or -1 when the database failed. */
static long
unread_count(const char *profile_id)
{
	const char *params[1] = { profile_id };
	PGresult *res = db_exec(sql_unread, 1, params, NULL);
	long count;

	if (res == NULL)
		return -1;
	count = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return count;
}

void
notifications_unread_count(struct request *req)
{
	struct json_object *body;
	long count;

	if (!self_or_reply(req))
		return;
	count = unread_count(req->profile_id);
	if (count < 0) {
		http_internal_error(req);
		return;
	}
	body = json_object_new_object();
	json_object_object_add(body, "count", json_object_new_int64(count));
	http_reply_json(req, 200, body);
}

/*
 * The ids to mark: a JSON array of UUID strings (NULL in *ids_json for
 * {"all": true}).  Returns -1 after replying 422.
 */
static int
ids_or_reply(struct request *req, const char **ids_json)
{
	struct json_object *all;
	size_t i, n;

	*ids_json = NULL;
	if (json_object_is_type(req->json, json_type_object) &&
	    json_object_object_get_ex(req->json, "all", &all) &&
	    json_object_is_type(all, json_type_boolean) &&
	    json_object_get_boolean(all))
		return 0;
	if (!json_object_is_type(req->json, json_type_array)) {
		http_error(req, 422, "ValidationFailed", NULL,
		    "the body must be an array of notification ids or "
		    "{\"all\": true}");
		return -1;
	}
	n = json_object_array_length(req->json);
	if (n > MARK_MAX_IDS) {
		http_error(req, 422, "ValidationFailed", NULL,
		    "at most %d ids at once", MARK_MAX_IDS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct json_object *id = json_object_array_get_idx(req->json, i);

		if (!json_object_is_type(id, json_type_string) ||
		    !uuid_text_valid(json_object_get_string(id),
			(size_t)json_object_get_string_len(id))) {
			http_error(req, 422, "ValidationFailed", NULL,
			    "element %zu is not a notification id (UUID)", i);
			return -1;
		}
	}
	*ids_json = json_object_to_json_string_ext(req->json,
	    JSON_C_TO_STRING_PLAIN);
	return 0;
}

void
notifications_mark(struct request *req)
{
	const char *read, *visited, *ids, *params[4];
	struct json_object *list, *event, *event_ids;
	PGresult *res;
	long unread;
	int i;

	if (!self_or_reply(req) ||
	    bool_param_or_reply(req, "read", &read) == -1 ||
	    bool_param_or_reply(req, "visited", &visited) == -1)
		return;
	if (read == NULL && visited == NULL) {
		http_error(req, 422, "ValidationFailed", "read",
		    "give read, visited or both as query parameters");
		return;
	}
	if (ids_or_reply(req, &ids) == -1)
		return;
	params[0] = req->profile_id;
	params[1] = ids;
	params[2] = read;
	params[3] = visited;
	res = db_exec(sql_mark, 4, params, NULL);
	unread = unread_count(req->profile_id);
	if (res == NULL || unread < 0) {
		PQclear(res);
		http_internal_error(req);
		return;
	}

	/* The reader's other tabs update their badge from this event. */
	event = json_object_new_object();
	if (ids == NULL) {
		json_object_object_add(event, "all", json_object_new_boolean(1));
	} else {
		event_ids = json_object_new_array();
		for (i = 0; i < PQntuples(res); i++)
			json_object_array_add(event_ids,
			    json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(event, "ids", event_ids);
	}
	json_object_object_add(event, "unreadCount",
	    json_object_new_int64(unread));
	rt_defer(req->profile_id, true, "notifications_read", event);

	list = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(list, notification_json(res, i));
	PQclear(res);
	log_debug("profile %s marked %zu notifications", req->profile_id,
	    json_object_array_length(list));
	http_reply_json(req, 200, list);
}
