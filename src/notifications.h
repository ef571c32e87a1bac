/*
 * Notifications: the one internal entry point that product code calls
 * when something happens to a person.
 */
#ifndef BUNNYBOOK_NOTIFICATIONS_H
#define BUNNYBOOK_NOTIFICATIONS_H

#include <json-c/json.h>

#include "http.h"

/*
 * Store a notification of event for recipient with payload (ownership
 * taken).  Runs in the caller's transaction when one is open, so the
 * notification exists exactly when the change that caused it does; it
 * reaches the recipient's stream after the request succeeded.
 * Returns 0, or -1 when the database failed.
 */
int notifications_store(const char *recipient, const char *event,
    struct json_object *payload);

/*
 * For events that gather into one notification per recipient, group_key
 * and clock hour (likes on one item).  Serialised per recipient and key
 * within the caller's transaction, which must be open.
 *
 * notifications_store_grouped stores payload as a new notification when
 * the hour has none yet.  Otherwise it merges payload's fields into the
 * existing one and marks it unread and unvisited again.  Either way the
 * recipient's stream receives it once the request succeeded.  Ownership
 * of payload is taken.
 *
 * notifications_amend_grouped, for when a reason for the group went away:
 * with payload, its fields replace those of the hour's notification
 * quietly (no new unread mark, no delivery); with payload NULL the hour's
 * notification is deleted.  Nothing happens when the hour has none.
 *
 * Both return 0, or -1 when the database failed.
 */
int notifications_store_grouped(const char *recipient, const char *event,
    const char *group_key, struct json_object *payload);
int notifications_amend_grouped(const char *recipient, const char *group_key,
    struct json_object *payload);

/* GET /api/profiles/{id}/notifications (self). */
void notifications_list(struct request *req);
/* GET /api/profiles/{id}/notifications/unread_count (self). */
void notifications_unread_count(struct request *req);
/* PATCH /api/profiles/{id}/notifications?read=&visited= (self). */
void notifications_mark(struct request *req);

#endif
