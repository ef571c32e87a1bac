/*
 * Whether a session may still be used: one round trip to the pub/sub Redis
 * per request, PostgreSQL when Redis cannot vouch for the session, and the
 * marks a revocation leaves behind.  Only auth.c uses it; auth_live.c
 * explains the design.
 */
#ifndef BUNNYBOOK_AUTH_LIVE_H
#define BUNNYBOOK_AUTH_LIVE_H

#include <hiredis/hiredis.h>
#include <stdbool.h>

/* Number of arguments of the command auth_live_command() builds. */
#define AUTH_LIVE_ARGC 3

/*
 * Build the Redis command that reads session_id's mark and the epoch copy.
 * The arguments live in static storage until the next call.
 */
const char **auth_live_command(const char *session_id);

enum auth_live {
	AUTH_LIVE_YES,	   /* the session may be used */
	AUTH_LIVE_ENDED,   /* revoked or expired */
	AUTH_LIVE_UNKNOWN  /* neither Redis nor PostgreSQL could tell */
};

/*
 * Decide whether session_id may still be used from the reply to
 * auth_live_command(), which this frees (NULL when Redis failed or nothing
 * was sent).  When the reply does not settle it, PostgreSQL decides and its
 * result is written back to Redis.  When PostgreSQL cannot be asked, a
 * mark PostgreSQL wrote within the last minute still vouches for the
 * session.  Without one the result is AUTH_LIVE_UNKNOWN.
 */
enum auth_live auth_live_decide(const char *session_id, redisReply *reply);

/*
 * Make Redis stop vouching for sessions whose revocation PostgreSQL has
 * committed.  When Redis cannot be reached this increments the session
 * epoch and waits about one second, so that no mark written before can be
 * trusted once it returns.  Returns 0, or -1 when neither Redis nor the
 * epoch could be updated: other workers may then accept the sessions'
 * access tokens for up to a minute.
 */
int auth_live_forget(const char *const *session_ids, int count);

#endif
