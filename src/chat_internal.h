/*
 * Declarations shared by chat.c (messages, read markers, typing) and
 * chat_groups.c (conversations and their members).
 */
#ifndef BUNNYBOOK_CHAT_INTERNAL_H
#define BUNNYBOOK_CHAT_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "http.h"

#define CHAT_GROUP_MEMBERS_MAX 50

/* The caller's place in the conversation of the path's {group}. */
struct chat_membership {
	const char *group;
	bool private_chat;
	/* False for a private conversation whose two people are no longer
	 * friends: its history stays readable and authors may still delete
	 * their messages, but no member may send, edit or type in it. */
	bool open;
	bool locked; /* the caller holds the conversation's lock */
};

/*
 * Check that the caller is a member of the path's {group}, and with lock
 * also take the conversation's lock in the same round trip.  Returns 0,
 * or -1 after replying 404 (no such conversation), 403 (not a member) or
 * 500, without the lock.  Release the lock with chat_membership_end().
 */
int chat_membership_or_reply(struct request *req, struct chat_membership *m,
    bool lock);
/* Release the conversation's lock if m holds it. */
void chat_membership_end(struct chat_membership *m);

/*
 * Count one write (message, edit, delete, group change) or, with typing,
 * one typing call of the caller against its per-second limit.  Returns 0,
 * or -1 after replying 429 with Retry-After.
 */
int chat_rate_or_reply(struct request *req, bool typing);

/* Reply 403 unless the conversation is open for writing; 0 or -1. */
int chat_open_or_reply(struct request *req, const struct chat_membership *m);

/*
 * Take or release the conversation's lock, a PostgreSQL session-level
 * advisory lock.  Writes of one conversation and the publishing of their
 * events happen under it, so every member receives events in the order
 * PostgreSQL stored them.  chat_lock returns 0 or -1.
 */
int chat_lock(const char *group);
void chat_unlock(const char *group);

/* The member ids of group (column 0), or NULL when the database failed. */
PGresult *chat_member_ids(const char *group);

/*
 * Queue event type with data for every member in members except skip
 * (may be NULL).  Takes ownership of data.
 */
void chat_tell_members(const PGresult *members, const char *skip,
    bool durable, const char *type, struct json_object *data);

#endif
