/*
 * Notifications: the one internal entry point that product code calls
 * when something happens to a person.
 */
#ifndef BUNNYBOOK_NOTIFICATIONS_H
#define BUNNYBOOK_NOTIFICATIONS_H

#include <json-c/json.h>

/*
 * Store a notification of event for recipient with payload (ownership
 * taken).  Runs in the caller's transaction when one is open, so the
 * notification exists exactly when the change that caused it does.
 * Returns 0, or -1 when the database failed.
 */
int notifications_store(const char *recipient, const char *event,
    struct json_object *payload);

#endif
