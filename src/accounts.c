/*
 * Account routes: registration, login, logout, the session list and
 * password changes.  All SQL about profiles' credentials lives here; the
 * session and token mechanics are auth.c's, field syntax is validate.c's.
 */
#include "accounts.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "db.h"
#include "graph.h"
#include "log.h"
#include "password.h"
#include "ratelimit.h"
#include "rt.h"
#include "token.h"
#include "validate.h"
#include "worker.h"

#define AVATAR_IDENTIFIER_MAX 64

static const char sql_register[] =
    "INSERT INTO profiles (username, email, password_hash, avatar_identifier)"
    " VALUES ($1, $2, $3, $4)"
    " RETURNING id, username, email, role";
static const char sql_login_lookup[] =
    "SELECT id, username, password_hash FROM profiles WHERE email = $1";
static const char sql_password_lookup[] =
    "SELECT password_hash, username, email FROM profiles WHERE id = $1";
static const char sql_password_update[] =
    "UPDATE profiles SET password_hash = $2 WHERE id = $1";
static const char sql_sessions_list[] =
    "SELECT id, " SQL_ISO_TIME("created_at") ", "
    SQL_ISO_TIME("last_used_at") ", user_agent, ip"
    " FROM sessions WHERE profile_id = $1 AND revoked_at IS NULL"
    "  AND expires_at > now()"
    " ORDER BY created_at DESC, id DESC LIMIT 100";
static const char sql_session_owned[] =
    "SELECT 1 FROM sessions WHERE id = $1 AND profile_id = $2"
    " AND revoked_at IS NULL AND expires_at > now()";

static struct password_cost
configured_cost(void)
{
	const struct config *cfg = worker_config();
	struct password_cost cost = {
		.memory_kib = (uint32_t)cfg->argon2_memory_kib,
		.passes = (uint32_t)cfg->argon2_passes,
		.lanes = (uint32_t)cfg->argon2_lanes,
	};

	return cost;
}

/* The password rules beyond length: not the username or the e-mail. */
static int
check_password_or_reply(struct request *req, const char *field,
    const char *password, size_t len, const char *username, const char *email)
{
	if (strcasecmp(password, username) == 0 ||
	    strcasecmp(password, email) == 0) {
		http_error(req, 422, "ValidationFailed", field,
		    "%s must differ from the username and the e-mail address",
		    field);
		return -1;
	}
	(void)len;
	return 0;
}

/* Lower-case ASCII copy of an e-mail address; the caller frees it. */
static char *
lower_copy(const char *s, size_t len)
{
	char *copy = xstrndup(s, len);
	size_t i;

	for (i = 0; i < len; i++)
		if (copy[i] >= 'A' && copy[i] <= 'Z')
			copy[i] = (char)(copy[i] - 'A' + 'a');
	return copy;
}

static void
random_identifier(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[16];
	size_t i;

	token_random(bytes, sizeof(bytes));
	for (i = 0; i < sizeof(bytes); i++) {
		out[2 * i] = hex[bytes[i] >> 4];
		out[2 * i + 1] = hex[bytes[i] & 15];
	}
	out[32] = '\0';
}

/* Insert the profile; replies 201, 409 or 500. */
static void
insert_profile(struct request *req, const char *username, const char *email,
    const char *hash, const char *avatar)
{
	const char *params[4] = { username, email, hash, avatar };
	struct json_object *body;
	char sqlstate[6];
	PGresult *res = db_exec(sql_register, 4, params, sqlstate);

	if (res == NULL) {
		if (strcmp(sqlstate, SQLSTATE_UNIQUE_VIOLATION) != 0) {
			http_internal_error(req);
		} else if (strcmp(db_error_constraint(),
			       "profiles_email_key") == 0) {
			http_error(req, 409, "EmailAlreadyTaken", "email",
			    "this e-mail address is already registered");
		} else {
			http_error(req, 409, "UsernameAlreadyTaken",
			    "username", "this username is already taken");
		}
		return;
	}
	body = json_object_new_object();
	json_object_object_add(body, "id",
	    json_object_new_string(PQgetvalue(res, 0, 0)));
	json_object_object_add(body, "username",
	    json_object_new_string(PQgetvalue(res, 0, 1)));
	json_object_object_add(body, "email",
	    json_object_new_string(PQgetvalue(res, 0, 2)));
	json_object_object_add(body, "role",
	    json_object_new_string(PQgetvalue(res, 0, 3)));
	log_info("profile %s registered", PQgetvalue(res, 0, 0));
	graph_changed(PQgetvalue(res, 0, 0), NULL);
	PQclear(res);
	http_reply_json(req, 201, body);
}

void
accounts_register(struct request *req)
{
	const char *username, *email_in, *password, *avatar = NULL;
	size_t username_len, email_len, password_len, avatar_len;
	struct password_cost cost = configured_cost();
	char random_avatar[33], *email, *hash;

	/* Step 1: every field, in the order of the form. */
	if (http_body_string_or_reply(req, "username", true, USERNAME_MIN,
		USERNAME_MAX, &username, &username_len) != 0)
		return;
	if (!validate_username(username, username_len)) {
		http_error(req, 422, "ValidationFailed", "username",
		    "username must be 2-32 ASCII letters and digits, with "
		    "single - _ or . between them");
		return;
	}
	if (http_body_string_or_reply(req, "email", true, 0, EMAIL_MAX,
		&email_in, &email_len) != 0)
		return;
	if (!validate_email(email_in, email_len)) {
		http_error(req, 422, "ValidationFailed", "email",
		    "email must be a valid e-mail address");
		return;
	}
	if (http_body_string_or_reply(req, "password", true, PASSWORD_MIN,
		PASSWORD_MAX, &password, &password_len) != 0)
		return;
	if (check_password_or_reply(req, "password", password, password_len,
		username, email_in) == -1)
		return;
	switch (http_body_string_or_reply(req, "avatarIdentifier", false, 1,
	    AVATAR_IDENTIFIER_MAX, &avatar, &avatar_len)) {
	case -1:
		return;
	case 1:
		random_identifier(random_avatar);
		avatar = random_avatar;
		break;
	}

	/* Step 2: hash, then one INSERT decides uniqueness. */
	hash = password_hash(password, password_len, &cost);
	if (hash == NULL) {
		log_error("password hashing failed");
		http_internal_error(req);
		return;
	}
	email = lower_copy(email_in, email_len);
	insert_profile(req, username, email, hash, avatar);
	free(email);
	free(hash);
}

/* Keys of the two login failure counters; account by e-mail hash. */
static void
failure_keys(const struct request *req, const char *email, char account[96],
    char address[96])
{
	char hash[65];

	token_sha256_hex(email, strlen(email), hash);
	snprintf(account, 96, "bb:loginfail:account:%.40s", hash);
	snprintf(address, 96, "bb:loginfail:address:%.60s",
	    auth_client_address(req));
}

/*
 * Count this attempt against both limits before any hashing, so that
 * parallel guesses cannot all pass a check made before the count.  A
 * success takes its count back (see attempt_succeeded), and so does a
 * refusal: no password was checked, so tries against a locked account do
 * not use up the allowance of everyone behind the same address.
 */
static bool
throttled_or_reply(struct request *req, const char *account,
    const char *address, const char *failures)
{
	const struct config *cfg = worker_config();
	int window = cfg->login_failure_window_s;
	int wait = ratelimit_hit(account, cfg->login_max_failures_per_account,
	    window);
	int wait_address = ratelimit_hit(address,
	    cfg->login_max_failures_per_address, window);
	char seconds[16];

	if (wait_address > wait)
		wait = wait_address;
	if (wait == 0)
		return false;
	ratelimit_undo(account);
	ratelimit_undo(address);
	snprintf(seconds, sizeof(seconds), "%d", wait);
	http_add_header(req, "Retry-After", seconds);
	http_error(req, 429, "TooManyRequests", NULL,
	    "too many %s; retry in %d seconds", failures, wait);
	return true;
}

static void
login_failed(struct request *req)
{
	http_error(req, 401, "Unauthorized", NULL,
	    "wrong e-mail address or password");
}

/* A success resets the account's failures and is no failure of the address. */
static void
attempt_succeeded(const char *account, const char *address)
{
	ratelimit_reset(account);
	ratelimit_undo(address);
}

/* Replace a hash made with a lower cost than configured. */
static void
upgrade_hash(const char *profile_id, const char *password, size_t len,
    const char *old_hash)
{
	struct password_cost cost = configured_cost();
	const char *params[2];
	char *hash;

	if (!password_needs_rehash(old_hash, &cost))
		return;
	hash = password_hash(password, len, &cost);
	if (hash == NULL)
		return;
	params[0] = profile_id;
	params[1] = hash;
	if (db_command(sql_password_update, 2, params, NULL) == 0)
		log_info("password hash of profile %s upgraded", profile_id);
	free(hash);
}

void
accounts_login(struct request *req)
{
	const char *email_in, *password;
	size_t email_len, password_len;
	struct password_cost cost = configured_cost();
	char account[96], address[96], profile_id[37], username[65], *email;
	const char *params[1];
	PGresult *res;

	if (http_body_string_or_reply(req, "email", true, 1, EMAIL_MAX,
		&email_in, &email_len) != 0 ||
	    http_body_string_or_reply(req, "password", true, 1, PASSWORD_MAX,
		&password, &password_len) != 0)
		return;
	email = lower_copy(email_in, email_len);
	failure_keys(req, email, account, address);
	if (throttled_or_reply(req, account, address, "failed logins"))
		goto out;

	params[0] = email;
	res = db_exec(sql_login_lookup, 1, params, NULL);
	if (res == NULL) {
		http_internal_error(req);
		goto out;
	}
	/* Unknown e-mail and wrong password cost the same hash. */
	if (PQntuples(res) == 0) {
		PQclear(res);
		password_dummy_verify(password, password_len, &cost);
		login_failed(req);
		goto out;
	}
	if (!password_verify(PQgetvalue(res, 0, 2), password, password_len)) {
		PQclear(res);
		login_failed(req);
		goto out;
	}
	snprintf(profile_id, sizeof(profile_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(username, sizeof(username), "%s", PQgetvalue(res, 0, 1));
	upgrade_hash(profile_id, password, password_len, PQgetvalue(res, 0, 2));
	PQclear(res);
	attempt_succeeded(account, address);
	auth_start_session(req, profile_id, username);
out:
	free(email);
}

void
accounts_refresh(struct request *req)
{
	auth_refresh(req);
}

void
accounts_logout(struct request *req)
{
	if (auth_revoke_session(req->session_id) == -1) {
		http_internal_error(req);
		return;
	}
	log_info("profile %s logged out of session %s", req->profile_id,
	    req->session_id);
	rt_end_streams(req->profile_id);
	auth_clear_cookies(req);
	http_reply_empty(req, 204);
}

static struct json_object *
session_json(PGresult *res, int row, const char *current)
{
	struct json_object *s = json_object_new_object();

	json_object_object_add(s, "id",
	    json_object_new_string(PQgetvalue(res, row, 0)));
	json_object_object_add(s, "createdAt",
	    json_object_new_string(PQgetvalue(res, row, 1)));
	json_object_object_add(s, "lastUsedAt",
	    json_object_new_string(PQgetvalue(res, row, 2)));
	json_object_object_add(s, "userAgent",
	    json_object_new_string(PQgetvalue(res, row, 3)));
	json_object_object_add(s, "ip",
	    json_object_new_string(PQgetvalue(res, row, 4)));
	json_object_object_add(s, "current",
	    json_object_new_boolean(strcmp(PQgetvalue(res, row, 0), current) == 0));
	return s;
}

void
accounts_sessions_list(struct request *req)
{
	const char *params[1] = { req->profile_id };
	PGresult *res = db_exec(sql_sessions_list, 1, params, NULL);
	struct json_object *list;
	int i;

	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	list = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(list,
		    session_json(res, i, req->session_id));
	PQclear(res);
	http_add_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, list);
}

void
accounts_sessions_delete(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *params[2] = { id, req->profile_id };
	PGresult *res = db_exec(sql_session_owned, 2, params, NULL);
	bool owned;

	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	owned = PQntuples(res) == 1;
	PQclear(res);
	if (!owned) {
		http_error(req, 404, "NotFound", "id",
		    "no active session %s of yours", id);
		return;
	}
	if (auth_revoke_session(id) == -1) {
		http_internal_error(req);
		return;
	}
	log_info("profile %s ended session %s", req->profile_id, id);
	rt_end_streams(req->profile_id);
	if (strcmp(id, req->session_id) == 0)
		auth_clear_cookies(req);
	http_reply_empty(req, 204);
}

/* Keys of the two counters of wrong current passwords. */
static void
password_failure_keys(const struct request *req, char account[96],
    char address[96])
{
	snprintf(account, 96, "bb:passwordfail:account:%.40s", req->profile_id);
	snprintf(address, 96, "bb:passwordfail:address:%.60s",
	    auth_client_address(req));
}

/*
 * Check currentPassword against the stored hash under the same throttling
 * as logins, so that a stolen access token cannot be used to guess the
 * password.  On success fills username and email (65 and EMAIL_MAX + 1
 * bytes) for the rules on the new password and returns 0; otherwise
 * replies 429, 403 or 500 and returns -1.
 */
static int
check_current_password_or_reply(struct request *req, const char *current,
    size_t current_len, char *username, char *email)
{
	const char *params[1] = { req->profile_id };
	char account[96], address[96];
	PGresult *res;
	bool right;

	password_failure_keys(req, account, address);
	if (throttled_or_reply(req, account, address,
	    "wrong current passwords"))
		return -1;
	res = db_exec(sql_password_lookup, 1, params, NULL);
	if (res == NULL || PQntuples(res) != 1) {
		PQclear(res);
		http_internal_error(req);
		return -1;
	}
	right = password_verify(PQgetvalue(res, 0, 0), current, current_len);
	snprintf(username, 65, "%s", PQgetvalue(res, 0, 1));
	snprintf(email, EMAIL_MAX + 1, "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	if (!right) {
		http_error(req, 403, "Forbidden", "currentPassword",
		    "currentPassword is not your current password");
		return -1;
	}
	attempt_succeeded(account, address);
	return 0;
}

void
accounts_password(struct request *req)
{
	const char *current, *fresh, *params[2] = { req->profile_id, NULL };
	size_t current_len, fresh_len;
	struct password_cost cost = configured_cost();
	char username[65], email[EMAIL_MAX + 1], *hash;

	if (http_body_string_or_reply(req, "currentPassword", true, 1,
		PASSWORD_MAX, &current, &current_len) != 0 ||
	    http_body_string_or_reply(req, "newPassword", true, PASSWORD_MIN,
		PASSWORD_MAX, &fresh, &fresh_len) != 0)
		return;
	if (check_current_password_or_reply(req, current, current_len,
	    username, email) == -1)
		return;
	if (check_password_or_reply(req, "newPassword", fresh, fresh_len,
		username, email) == -1)
		return;

	hash = password_hash(fresh, fresh_len, &cost);
	params[1] = hash;
	if (hash == NULL || db_command(sql_password_update, 2, params, NULL) ||
	    auth_revoke_other_sessions(req->profile_id, req->session_id)) {
		free(hash);
		http_internal_error(req);
		return;
	}
	free(hash);
	log_info("profile %s changed the password; other sessions revoked",
	    req->profile_id);
	rt_end_streams(req->profile_id);
	http_reply_empty(req, 204);
}
