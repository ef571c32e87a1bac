/*
 * HTTP side of avatars: previews, a profile's current picture with
 * revalidation, and changing it.  Drawing is avatar.c's job; this file
 * only looks up identifiers and sets caching headers.
 */
#include "avatar_routes.h"

#include <stdio.h>
#include <string.h>

#include "avatar.h"
#include "db.h"
#include "log.h"
#include "token.h"

#define IDENTIFIER_MAX 64
#define SVG_TYPE "image/svg+xml"

static const char sql_avatar_lookup[] =
    "SELECT avatar_identifier FROM profiles WHERE id = $1";
static const char sql_avatar_update[] =
    "UPDATE profiles SET avatar_identifier = $2 WHERE id = $1";

/* A short version tag of an identifier: 16 hex digits of its SHA-256. */
static void
version_of(const char *identifier, char out[17])
{
	char hash[65];

	token_sha256_hex(identifier, strlen(identifier), hash);
	memcpy(out, hash, 16);
	out[16] = '\0';
}

void
avatar_url(const char *profile_id, const char *identifier, struct buf *out)
{
	char version[17];

	version_of(identifier, version);
	buf_addf(out, "/api/profiles/%s/avatar?v=%s", profile_id, version);
}

static void
reply_svg(struct request *req, const char *identifier, size_t len)
{
	struct buf svg;

	buf_init(&svg);
	avatar_render_svg(identifier, len, &svg);
	http_reply_body(req, 200, SVG_TYPE, svg.data, svg.len);
	buf_free(&svg);
}

void
avatar_preview(struct request *req)
{
	const char *identifier = http_route_param(req, "identifier");
	size_t len = strlen(identifier), chars;

	if (!utf8_valid(identifier, len)) {
		http_error(req, 422, "ValidationFailed", "identifier",
		    "identifier must be valid UTF-8");
		return;
	}
	chars = utf8_length(identifier, len);
	if (chars < 1 || chars > IDENTIFIER_MAX) {
		http_error(req, 422, "ValidationFailed", "identifier",
		    "identifier must be 1-%d characters", IDENTIFIER_MAX);
		return;
	}
	/* The same identifier always draws the same picture. */
	http_add_header(req, "Cache-Control", "public, max-age=86400");
	reply_svg(req, identifier, len);
}

void
avatar_of_profile(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *params[1] = { id };
	const struct query_param *v = query_get(&req->query, "v");
	const char *if_none_match = http_param(req, "HTTP_IF_NONE_MATCH");
	char version[17], etag[24];
	PGresult *res = db_exec(sql_avatar_lookup, 1, params, NULL);

	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		http_error(req, 404, "NotFound", "id", "no profile %s", id);
		return;
	}
	version_of(PQgetvalue(res, 0, 0), version);
	snprintf(etag, sizeof(etag), "\"%s\"", version);
	http_add_header(req, "ETag", etag);
	if (v != NULL && strcmp(v->value, version) == 0)
		http_add_header(req, "Cache-Control",
		    "public, max-age=31536000, immutable");
	else
		http_add_header(req, "Cache-Control", "no-cache");
	if (if_none_match != NULL && (strstr(if_none_match, etag) != NULL ||
		strcmp(if_none_match, "*") == 0)) {
		PQclear(res);
		http_reply_empty(req, 304);
		return;
	}
	reply_svg(req, PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)));
	PQclear(res);
}

void
avatar_change(struct request *req)
{
	const char *id = http_route_param(req, "id");
	const char *identifier;
	const char *params[2];
	struct json_object *body;
	struct buf url;
	size_t len;

	if (strcmp(id, req->profile_id) != 0) {
		http_error(req, 403, "Forbidden", "id",
		    "you can only change your own avatar");
		return;
	}
	if (http_body_string_or_reply(req, "avatarIdentifier", true, 1,
		IDENTIFIER_MAX, &identifier, &len) != 0)
		return;
	params[0] = id;
	params[1] = identifier;
	if (db_command(sql_avatar_update, 2, params, NULL) == -1) {
		http_internal_error(req);
		return;
	}
	buf_init(&url);
	avatar_url(id, identifier, &url);
	body = json_object_new_object();
	json_object_object_add(body, "id", json_object_new_string(id));
	json_object_object_add(body, "avatarIdentifier",
	    json_object_new_string(identifier));
	json_object_object_add(body, "avatarUrl",
	    json_object_new_string(url.data));
	buf_free(&url);
	http_reply_json(req, 200, body);
}
