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

/* GET /api/profiles/{id}/notifications (self). */
void notifications_list(struct request *req);
/* GET /api/profiles/{id}/notifications/unread_count (self). */
void notifications_unread_count(struct request *req);
/* PATCH /api/profiles/{id}/notifications?read=&visited= (self). */
void notifications_mark(struct request *req);

#endif
