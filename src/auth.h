/*
 * Caller identity: access tokens (JWT), sessions with rotating refresh
 * tokens, their cookies, and the cross-site request checks.
 */
#ifndef BUNNYBOOK_AUTH_H
#define BUNNYBOOK_AUTH_H

#include <stdbool.h>

#include "http.h"

/*
 * Read the access token from "Authorization: Bearer" or the access_token
 * cookie, verify it and check that its session is not revoked.  On success
 * fills req->profile_id, username, session_id, cookie_auth and returns 0.
 * A present but bad token is 401 even when required is false; a missing
 * one is 401 only when required.  Returns -1 after replying.
 *
 * With late_session_check the session check is only sent to Redis, and
 * auth_finish_or_reply() reads the reply after the handler, which thus
 * runs during the round trip.  Only for handlers that change nothing.
 */
int auth_authenticate_or_reply(struct request *req, bool required,
    bool late_session_check);

/*
 * After the handler: finish a late session check.  Returns 0, or -1 after
 * replacing the handler's reply by 401 because the session has ended.
 */
int auth_finish_or_reply(struct request *req);

/*
 * Cross-site request checks for unsafe methods: a request that does not
 * carry a Bearer token must, when it has an Origin header, come from the
 * configured site; a cookie-authenticated one must also be JSON.  Returns
 * 0, or -1 after replying 403.
 */
int auth_check_csrf_or_reply(struct request *req);

/* Start a session for a profile that just logged in; replies 200. */
void auth_start_session(struct request *req, const char *profile_id,
    const char *username);

/* POST /api/refresh: rotate the refresh token of the cookie's session. */
void auth_refresh(struct request *req);

/*
 * Revoke one session: its refresh tokens stop working, and every worker
 * rejects access tokens naming it once this returns.  With the pub/sub
 * Redis unreachable that takes about 1.5 s longer.  Returns 0, or -1 when
 * the database failed (the revocation may then be incomplete or take up
 * to a minute to reach every worker).
 */
int auth_revoke_session(const char *session_id);

/*
 * Revoke every session of profile_id except keep_session_id (may be
 * NULL), with the guarantees of auth_revoke_session().
 */
int auth_revoke_other_sessions(const char *profile_id,
    const char *keep_session_id);

/* Queue Set-Cookie headers that delete both token cookies. */
void auth_clear_cookies(struct request *req);

/* The client address nginx saw (X-Real-IP, which only nginx sets). */
const char *auth_client_address(const struct request *req);

#endif
