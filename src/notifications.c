/*
 * Stores notifications.  Delivering them live over nchan and the routes
 * that list and mark them belong to the realtime work that builds on this.
 */
#include "notifications.h"

#include "db.h"

static const char sql_insert[] =
    "INSERT INTO notifications (profile_id, event, payload)"
    " VALUES ($1, $2, $3::jsonb)";

int
notifications_store(const char *recipient, const char *event,
    struct json_object *payload)
{
	const char *params[3] = { recipient, event,
		json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN) };
	int rc = db_command(sql_insert, 3, params, NULL);

	json_object_put(payload);
	return rc;
}
