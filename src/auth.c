/*
 * Authentication mechanics: verifying access tokens on every request,
 * creating and rotating sessions, revoking them, and the cookies and
 * cross-site checks around them.  Passwords and the account routes live
 * in accounts.c; token encoding lives in token.c.
 *
 * Every authenticated request checks that its session is still live with
 * one round trip to the pub/sub Redis, or PostgreSQL when Redis cannot
 * vouch for it (auth_live.c).  Revoking a session updates its row and then
 * makes Redis stop vouching, so its access tokens fail from the moment the
 * revoking request returns.  Routes that change nothing send the Redis
 * read before their handler runs and take the reply after it, so the
 * handler's own work overlaps the round trip.
 */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth_live.h"
#include "db.h"
#include "kv.h"
#include "log.h"
#include "rt.h"
#include "token.h"
#include "util.h"
#include "worker.h"

static const char sql_session_create[] =
    "INSERT INTO sessions (profile_id, expires_at, user_agent, ip)"
    " VALUES ($1, now() + make_interval(secs => $2::int), $3, $4)"
    " RETURNING id, floor(extract(epoch FROM expires_at))::bigint";
static const char sql_token_insert[] =
    "INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)";
static const char sql_token_lookup[] =
    "SELECT s.id, s.profile_id, p.username,"
    "  rt.rotated_at IS NOT NULL,"
    "  rt.rotated_at > now() - make_interval(secs => $2::int),"
    "  s.revoked_at IS NOT NULL OR s.expires_at <= now()"
    " FROM refresh_tokens rt"
    " JOIN sessions s ON s.id = rt.session_id"
    " JOIN profiles p ON p.id = s.profile_id"
    " WHERE rt.token_hash = $1"
    " FOR UPDATE OF rt, s";
static const char sql_token_rotate[] =
    "UPDATE refresh_tokens SET rotated_at = now()"
    " WHERE token_hash = $1 AND rotated_at IS NULL";
/* The session lasts as long as its newest refresh token, $3 seconds. */
static const char sql_session_touch[] =
    "UPDATE sessions SET last_used_at = now(), ip = $2,"
    "  expires_at = now() + make_interval(secs => $3::int)"
    " WHERE id = $1"
    " RETURNING floor(extract(epoch FROM expires_at))::bigint";
static const char sql_session_revoke[] =
    "UPDATE sessions SET revoked_at = now()"
    " WHERE id = $1 AND revoked_at IS NULL";
static const char sql_sessions_revoke_others[] =
    "UPDATE sessions SET revoked_at = now()"
    " WHERE profile_id = $1 AND revoked_at IS NULL"
    "  AND ($2::uuid IS NULL OR id <> $2::uuid)"
    " RETURNING id";
static const char sql_sessions_purge[] =
    "DELETE FROM sessions WHERE profile_id = $1 AND (expires_at < now()"
    " OR revoked_at < now() - interval '1 day')";
/* Everyone's old rows, a bounded batch at a time. */
static const char sql_sessions_purge_all[] =
    "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions"
    " WHERE expires_at < now() - interval '1 day'"
    " OR revoked_at < now() - interval '1 day' LIMIT 1000)";

/* A random number from 0 to 99. */
static int
random_percent(void)
{
	unsigned char byte = 0;

	token_random(&byte, 1);
	return byte % 100;
}

static long long
now_seconds(void)
{
	return (long long)time(NULL);
}

const char *
auth_client_address(const struct request *req)
{
	const char *ip = http_param(req, "HTTP_X_REAL_IP");

	if (ip == NULL || *ip == '\0')
		ip = http_param(req, "REMOTE_ADDR");
	return ip ? ip : "";
}

/* The access token and where it came from; NULL when there is none. */
static const char *
find_token(struct request *req, struct buf *storage, bool *from_cookie,
    bool *malformed)
{
	const char *authz = http_param(req, "HTTP_AUTHORIZATION");
	const char *cookie;
	size_t len;

	*from_cookie = false;
	*malformed = false;
	if (authz != NULL && *authz != '\0') {
		if (strncasecmp(authz, "Bearer ", 7) != 0) {
			*malformed = true;
			return NULL;
		}
		return authz + 7;
	}
	cookie = cookie_find(http_param(req, "HTTP_COOKIE"), "access_token",
	    &len);
	if (cookie == NULL || len == 0)
		return NULL;
	buf_add(storage, cookie, len);
	*from_cookie = true;
	return storage->data;
}

/*
 * Reply for a session that may not be used: 401 when it ended, 503 when
 * neither Redis nor PostgreSQL could check it.  A client then does not
 * take an outage of PostgreSQL for a logout.  Returns 0 for a live
 * session, else -1.
 */
static int
session_usable_or_reply(struct request *req, enum auth_live verdict)
{
	if (verdict == AUTH_LIVE_YES)
		return 0;
	if (verdict == AUTH_LIVE_UNKNOWN) {
		http_add_header(req, "Retry-After", "5");
		http_error(req, 503, "Unavailable", NULL,
		    "the session of this access token cannot be checked now; "
		    "retry shortly");
	} else {
		http_error(req, 401, "Unauthorized", NULL,
		    "the session of this access token has ended");
	}
	return -1;
}

int
auth_finish_or_reply(struct request *req)
{
	enum auth_live verdict;

	if (!req->session_unchecked)
		return 0;
	req->session_unchecked = false;
	verdict = auth_live_decide(req->session_id, kv_receive(KV_PUBSUB));
	if (verdict == AUTH_LIVE_YES)
		return 0;
	http_reply_discard(req);
	return session_usable_or_reply(req, verdict);
}

int
auth_authenticate_or_reply(struct request *req, bool required,
    bool late_session_check)
{
	const struct config *cfg = worker_config();
	struct token_claims claims;
	const char *token, *reason = NULL;
	bool from_cookie, malformed;
	struct buf storage;
	int rc = -1;

	buf_init(&storage);
	token = find_token(req, &storage, &from_cookie, &malformed);
	if (token == NULL) {
		if (malformed)
			http_error(req, 401, "Unauthorized", NULL,
			    "the Authorization header must be \"Bearer TOKEN\"");
		else if (required)
			http_error(req, 401, "Unauthorized", NULL,
			    "authentication required: send an access token");
		else
			rc = 0;
		goto out;
	}
	if (token_verify_remembered((const unsigned char *)cfg->jwt_key,
		strlen(cfg->jwt_key), token, now_seconds(), &claims,
		&reason) == -1) {
		http_error(req, 401, "Unauthorized", NULL,
		    "invalid access token: %s", reason ? reason : "rejected");
		goto out;
	}
	if (late_session_check) {
		/* A failed send leaves kv_receive() nothing: PostgreSQL decides. */
		kv_send(KV_PUBSUB, AUTH_LIVE_ARGC,
		    auth_live_command(claims.sid));
	} else if (session_usable_or_reply(req, auth_live_decide(claims.sid,
		       kv_commandv(KV_PUBSUB, AUTH_LIVE_ARGC,
			   auth_live_command(claims.sid)))) == -1) {
		goto out;
	}
	snprintf(req->profile_id, sizeof(req->profile_id), "%s", claims.sub);
	snprintf(req->username, sizeof(req->username), "%s", claims.username);
	snprintf(req->session_id, sizeof(req->session_id), "%s", claims.sid);
	req->cookie_auth = from_cookie;
	req->session_unchecked = late_session_check;
	rc = 0;
out:
	buf_free(&storage);
	return rc;
}

static bool
is_unsafe_method(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    strcmp(method, "OPTIONS") != 0;
}

int
auth_check_csrf_or_reply(struct request *req)
{
	const char *authz = http_param(req, "HTTP_AUTHORIZATION");
	const char *origin = http_param(req, "HTTP_ORIGIN");
	const char *cookies = http_param(req, "HTTP_COOKIE");
	bool bearer = authz != NULL && strncasecmp(authz, "Bearer ", 7) == 0;

	if (!is_unsafe_method(req->method) || bearer)
		return 0;
	if (origin != NULL && strcmp(origin, worker_config()->site_origin)) {
		http_error(req, 403, "Forbidden", NULL,
		    "cross-origin request refused: Origin %s is not this site",
		    origin);
		return -1;
	}
	if (cookies != NULL && *cookies != '\0' &&
	    !media_type_is_json(http_param(req, "CONTENT_TYPE"))) {
		http_error(req, 403, "Forbidden", NULL,
		    "requests authenticated by cookie must send "
		    "Content-Type: application/json");
		return -1;
	}
	return 0;
}

static void
add_cookie(struct request *req, const char *name, const char *value,
    const char *path, const char *same_site, long long max_age)
{
	struct buf cookie;

	buf_init(&cookie);
	buf_addf(&cookie, "%s=%s; Path=%s; Max-Age=%lld; HttpOnly; SameSite=%s",
	    name, value, path, max_age, same_site);
	if (!worker_config()->plain_http_loopback)
		buf_adds(&cookie, "; Secure");
	http_add_header(req, "Set-Cookie", cookie.data);
	buf_free(&cookie);
}

void
auth_clear_cookies(struct request *req)
{
	add_cookie(req, "access_token", "", "/", "Lax", 0);
	add_cookie(req, "refresh_token", "", "/api", "Strict", 0);
}

/* Issue an access token, set both cookies and reply with the pair. */
static void
reply_token_pair(struct request *req, const char *profile_id,
    const char *username, const char *session_id, const char *refresh,
    long long refresh_exp)
{
	const struct config *cfg = worker_config();
	long long now = now_seconds();
	struct json_object *body;
	char *access;

	access = token_issue((const unsigned char *)cfg->jwt_key,
	    strlen(cfg->jwt_key), profile_id, username, session_id, now,
	    cfg->access_token_ttl_s);
	if (access == NULL) {
		log_error("issuing an access token for session %s failed",
		    session_id);
		http_internal_error(req);
		return;
	}
	add_cookie(req, "access_token", access, "/", "Lax",
	    cfg->access_token_ttl_s);
	add_cookie(req, "refresh_token", refresh, "/api", "Strict",
	    refresh_exp - now);
	http_add_header(req, "Cache-Control", "no-store");
	body = json_object_new_object();
	json_object_object_add(body, "accessToken",
	    json_object_new_string(access));
	json_object_object_add(body, "accessExp",
	    json_object_new_int64(now + cfg->access_token_ttl_s));
	json_object_object_add(body, "refreshExp",
	    json_object_new_int64(refresh_exp));
	http_reply_json(req, 200, body);
	explicit_bzero(access, strlen(access));
	free(access);
}

/* Store a new refresh token for session_id; fills token; 0 or -1. */
static int
store_refresh_token(const char *session_id, char token[TOKEN_REFRESH_LEN + 1])
{
	char hash[65];
	const char *params[2] = { hash, session_id };

	if (token_new_refresh(token) == -1)
		return -1;
	token_sha256_hex(token, strlen(token), hash);
	return db_command(sql_token_insert, 2, params, NULL);
}

/* The User-Agent header, cut to 256 bytes and dropped unless UTF-8. */
static void
user_agent(const struct request *req, char out[257])
{
	const char *ua = http_param(req, "HTTP_USER_AGENT");
	size_t len = ua ? strlen(ua) : 0;

	if (len > 256)
		len = 256;
	while (len > 0 && !utf8_valid(ua, len))
		len--;
	memcpy(out, ua ? ua : "", len);
	out[len] = '\0';
}

void
auth_start_session(struct request *req, const char *profile_id,
    const char *username)
{
	const struct config *cfg = worker_config();
	char ttl[16], ua[257], session_id[37], refresh[TOKEN_REFRESH_LEN + 1];
	const char *params[4] = { profile_id, ttl, ua,
		auth_client_address(req) };
	const char *purge[1] = { profile_id };
	long long refresh_exp;
	PGresult *res;

	snprintf(ttl, sizeof(ttl), "%d", cfg->refresh_token_ttl_s);
	user_agent(req, ua);

	/*
	 * Old rows of this person go first; about one login in a hundred
	 * also purges a batch of everyone's, so people who never log in
	 * again do not leave their sessions behind.
	 */
	db_command(sql_sessions_purge, 1, purge, NULL);
	if (random_percent() == 0)
		db_command(sql_sessions_purge_all, 0, NULL, NULL);
	if (db_begin() == -1)
		goto fail;
	res = db_exec(sql_session_create, 4, params, NULL);
	if (res == NULL)
		goto fail;
	snprintf(session_id, sizeof(session_id), "%s", PQgetvalue(res, 0, 0));
	refresh_exp = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	if (store_refresh_token(session_id, refresh) == -1 ||
	    db_commit() == -1)
		goto fail;
	log_info("profile %s logged in, session %s", profile_id, session_id);
	reply_token_pair(req, profile_id, username, session_id, refresh,
	    refresh_exp);
	explicit_bzero(refresh, sizeof(refresh));
	return;
fail:
	db_rollback();
	http_internal_error(req);
}

/* Reject a refresh: 401, and the cookies cleared unless keep_cookies. */
static void
refresh_refused(struct request *req, bool keep_cookies, const char *why)
{
	if (!keep_cookies)
		auth_clear_cookies(req);
	http_error(req, 401, "Unauthorized", NULL, "%s", why);
}

/*
 * Inside the caller's transaction: retire the token whose hash is given,
 * store a new one in refresh, and extend the session to the new token's
 * expiry, returned in *refresh_exp.  Returns 0 or -1.
 */
static int
rotate_refresh_token(struct request *req, const char *hash,
    const char *session_id, char refresh[TOKEN_REFRESH_LEN + 1],
    long long *refresh_exp)
{
	char ttl[16];
	const char *rotate[1] = { hash };
	const char *touch[3] = { session_id, auth_client_address(req), ttl };
	PGresult *res;

	snprintf(ttl, sizeof(ttl), "%d", worker_config()->refresh_token_ttl_s);
	if (db_command(sql_token_rotate, 1, rotate, NULL) == -1)
		return -1;
	res = db_exec(sql_session_touch, 3, touch, NULL);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -1;
	}
	*refresh_exp = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return store_refresh_token(session_id, refresh);
}

void
auth_refresh(struct request *req)
{
	const struct config *cfg = worker_config();
	char hash[65], grace[16], refresh[TOKEN_REFRESH_LEN + 1];
	char session_id[37], profile_id[37], username[65];
	const char *params[2] = { hash, grace };
	const char *cookie;
	long long refresh_exp;
	size_t len;
	PGresult *res;

	cookie = cookie_find(http_param(req, "HTTP_COOKIE"), "refresh_token",
	    &len);
	if (cookie == NULL || len != TOKEN_REFRESH_LEN) {
		refresh_refused(req, false, "no valid refresh token cookie");
		return;
	}
	token_sha256_hex(cookie, len, hash);
	snprintf(grace, sizeof(grace), "%d", cfg->refresh_reuse_grace_s);

	if (db_begin() == -1)
		goto fail;
	res = db_exec(sql_token_lookup, 2, params, NULL);
	if (res == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		PQclear(res);
		db_rollback();
		refresh_refused(req, false, "unknown refresh token");
		return;
	}
	snprintf(session_id, sizeof(session_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(profile_id, sizeof(profile_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(username, sizeof(username), "%s", PQgetvalue(res, 0, 2));

	/* Step 1: an ended session refreshes nothing. */
	if (*PQgetvalue(res, 0, 5) == 't') {
		PQclear(res);
		db_rollback();
		refresh_refused(req, false, "the session has ended");
		return;
	}

	/* Step 2: a rotated token is either a race between tabs or a theft. */
	if (*PQgetvalue(res, 0, 3) == 't') {
		bool recent = *PQgetvalue(res, 0, 4) == 't';

		PQclear(res);
		db_rollback();
		if (recent) {
			refresh_refused(req, true,
			    "this refresh token was just rotated; use the new one");
			return;
		}
		log_warn("rotated refresh token reused: revoking session %s of "
			 "profile %s", session_id, profile_id);
		auth_revoke_session(session_id);
		rt_end_streams(profile_id);
		refresh_refused(req, false,
		    "refresh token reused; the session has been revoked");
		return;
	}
	PQclear(res);

	/* Step 3: rotate. */
	if (rotate_refresh_token(req, hash, session_id, refresh,
	    &refresh_exp) == -1 || db_commit() == -1)
		goto fail;
	reply_token_pair(req, profile_id, username, session_id, refresh,
	    refresh_exp);
	explicit_bzero(refresh, sizeof(refresh));
	return;
fail:
	db_rollback();
	http_internal_error(req);
}

int
auth_revoke_session(const char *session_id)
{
	const char *params[1] = { session_id };

	if (db_command(sql_session_revoke, 1, params, NULL) == -1)
		return -1;
	return auth_live_forget(&session_id, 1);
}

int
auth_revoke_other_sessions(const char *profile_id, const char *keep_session_id)
{
	const char *params[2] = { profile_id, keep_session_id };
	PGresult *res = db_exec(sql_sessions_revoke_others, 2, params, NULL);
	const char **ids;
	int i, n, rc;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	ids = xcalloc((size_t)n + 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = PQgetvalue(res, i, 0);
	rc = auth_live_forget(ids, n);
	free(ids);
	PQclear(res);
	return rc;
}
