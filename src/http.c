/*
 * Request parsing and response writing on top of libfcgi.  Product rules
 * live in the handlers; this file only turns bytes into a struct request
 * and a status, headers and body back into bytes.
 */
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "validate.h"

/* Deepest JSON nesting accepted in a body. */
#define JSON_MAX_DEPTH 16

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

long long
clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *
http_param(const struct request *req, const char *name)
{
	return FCGX_GetParam(name, req->fcgi->envp);
}

const char *
http_route_param(const struct request *req, const char *name)
{
	return router_param(&req->match, name);
}

/* Use nginx's $request_id when it is sane, otherwise make one up. */
static void
set_request_id(struct request *req)
{
	static unsigned long counter;
	const char *id = http_param(req, "REQUEST_ID");
	size_t i, len = id ? strlen(id) : 0;
	bool ok = len > 0 && len < sizeof(req->request_id);

	for (i = 0; ok && i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
			(id[i] >= 'a' && id[i] <= 'z') ||
			(id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-'))
			ok = false;
	if (ok)
		snprintf(req->request_id, sizeof(req->request_id), "%s", id);
	else
		snprintf(req->request_id, sizeof(req->request_id), "%d-%lu",
		    (int)getpid(), ++counter);
}

int
http_request_begin(struct request *req, FCGX_Request *fcgi)
{
	const char *uri, *qs, *err = NULL, *bad = NULL;
	size_t path_len;

	memset(req, 0, sizeof(*req));
	req->fcgi = fcgi;
	req->started_us = clock_us();
	buf_init(&req->headers);
	buf_init(&req->out);
	buf_init(&req->body);
	set_request_id(req);
	log_set_request_id(req->request_id);

	req->method = http_param(req, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "GET";
	uri = http_param(req, "REQUEST_URI");
	if (uri == NULL)
		uri = "/";
	path_len = strcspn(uri, "?#");
	req->path = xstrndup(uri, path_len);
	qs = http_param(req, "QUERY_STRING");

	if (query_parse(qs, &req->query, &err, &bad) == -1) {
		/* A fault of the whole query string names "query". */
		http_error(req, 422, "ValidationFailed",
		    bad != NULL ? bad : "query", "%s", err);
		return -1;
	}
	return 0;
}

static void
write_response(struct request *req)
{
	struct buf head;

	buf_init(&head);
	buf_addf(&head, "Status: %d %s\r\n", req->status,
	    status_text(req->status));
	buf_addf(&head, "X-Request-Id: %s\r\n", req->request_id);
	buf_add(&head, req->headers.data, req->headers.len);
	if (req->status != 204 && req->status != 304)
		buf_addf(&head, "Content-Length: %zu\r\n", req->out.len);
	buf_adds(&head, "\r\n");
	FCGX_PutStr(head.data, (int)head.len, req->fcgi->out);
	if (strcmp(req->method, "HEAD") != 0 && req->status != 204 &&
	    req->status != 304)
		FCGX_PutStr(req->out.data, (int)req->out.len, req->fcgi->out);
	buf_free(&head);
}

void
http_request_end(struct request *req)
{
	if (!req->replied)
		http_internal_error(req);
	write_response(req);
	query_free(&req->query);
	router_match_free(&req->match);
	if (req->json != NULL)
		json_object_put(req->json);
	if (req->body.data != NULL)
		explicit_bzero(req->body.data, req->body.len);
	buf_free(&req->body);
	buf_free(&req->headers);
	buf_free(&req->out);
	free(req->path);
	log_set_request_id(NULL);
}

void
http_add_header(struct request *req, const char *name, const char *value)
{
	buf_addf(&req->headers, "%s: %s\r\n", name, value);
}

void
http_reply_body(struct request *req, int status, const char *media_type,
    const char *body, size_t len)
{
	req->status = status;
	req->replied = true;
	buf_reset(&req->out);
	buf_add(&req->out, body, len);
	http_add_header(req, "Content-Type", media_type);
}

void
http_reply_discard(struct request *req)
{
	req->status = 0;
	req->replied = false;
	buf_reset(&req->headers);
	buf_reset(&req->out);
}

void
http_reply_json(struct request *req, int status, struct json_object *value)
{
	size_t len;
	const char *text = json_object_to_json_string_length(value,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	http_reply_body(req, status, "application/json", text, len);
	json_object_put(value);
}

void
http_reply_empty(struct request *req, int status)
{
	req->status = status;
	req->replied = true;
	buf_reset(&req->out);
}

struct json_object *
http_error_body(const char *code, const char *field, const char *message)
{
	struct json_object *root = json_object_new_object();
	struct json_object *error = json_object_new_object();

	json_object_object_add(error, "code", json_object_new_string(code));
	json_object_object_add(error, "message",
	    json_object_new_string(message));
	if (field != NULL)
		json_object_object_add(error, "field",
		    json_object_new_string(field));
	json_object_object_add(root, "error", error);
	return root;
}

void
http_error(struct request *req, int status, const char *code,
    const char *field, const char *fmt, ...)
{
	struct buf message;
	va_list ap;

	buf_init(&message);
	va_start(ap, fmt);
	buf_vaddf(&message, fmt, ap);
	va_end(ap);
	http_reply_json(req, status,
	    http_error_body(code, field, message.data));
	buf_free(&message);
}

void
http_internal_error(struct request *req)
{
	http_error(req, 500, "Internal", NULL,
	    "internal error; the request id is %s", req->request_id);
}

/* Read up to max+1 bytes of body so that an oversized one is detected. */
static int
read_body(struct request *req, int max_body_bytes)
{
	const char *cl = http_param(req, "CONTENT_LENGTH");
	char chunk[8192];
	int n;

	if (cl != NULL && *cl != '\0') {
		char *end;
		long long declared = strtoll(cl, &end, 10);

		if (*end != '\0' || declared < 0) {
			http_error(req, 400, "MalformedRequest", NULL,
			    "invalid Content-Length");
			return -1;
		}
		if (declared > max_body_bytes) {
			http_error(req, 413, "PayloadTooLarge", NULL,
			    "request body larger than %d bytes",
			    max_body_bytes);
			return -1;
		}
	}
	while ((n = FCGX_GetStr(chunk, sizeof(chunk), req->fcgi->in)) > 0) {
		buf_add(&req->body, chunk, (size_t)n);
		if (req->body.len > (size_t)max_body_bytes) {
			http_error(req, 413, "PayloadTooLarge", NULL,
			    "request body larger than %d bytes",
			    max_body_bytes);
			return -1;
		}
	}
	return 0;
}

/*
 * Parse req->body into req->json with json-c's strict parser.  Returns 0,
 * or -1 after replying 400.
 */
static int
parse_json_or_reply(struct request *req)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t i;

	/*
	 * The terminating NUL is passed too: without it json-c cannot tell
	 * that a bare number such as 42 has ended.  JSON null parses to a
	 * NULL object with success.
	 */
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	req->json = json_tokener_parse_ex(tok, req->body.data,
	    (int)req->body.len + 1);
	jerr = json_tokener_get_error(tok);
	/* Only whitespace may follow the value.  strchr() would also find a
	 * NUL byte, as the string's terminator. */
	for (i = json_tokener_get_parse_end(tok);
	     jerr == json_tokener_success && i < req->body.len; i++)
		if (req->body.data[i] == '\0' ||
		    strchr(" \t\r\n", req->body.data[i]) == NULL)
			jerr = json_tokener_error_parse_unexpected;
	if (jerr == json_tokener_success &&
	    json_has_single_quote(req->body.data, req->body.len))
		jerr = json_tokener_error_parse_unexpected;
	json_tokener_free(tok);
	if (jerr == json_tokener_success)
		return 0;
	if (req->json != NULL)
		json_object_put(req->json);
	req->json = NULL;
	http_error(req, 400, "MalformedJson", NULL,
	    "request body is not valid JSON: %s",
	    jerr == json_tokener_continue ? "it ends too early"
					  : json_tokener_error_desc(jerr));
	return -1;
}

/*
 * Reply 400 when a string of the parsed body is not text.  As for other
 * nested values, field is the top-level key and the message gives the
 * whole path.  Returns 0 when every string is text, or -1 after replying.
 */
static int
text_only_or_reply(struct request *req)
{
	struct json_bad_text bad;
	struct buf what;
	const char *field;

	if (!json_find_bad_text(req->body.data, req->body.len, &bad)) {
		json_bad_text_free(&bad);
		return 0;
	}
	buf_init(&what);
	if (bad.in_key)
		buf_addf(&what, "the key %s", bad.path.data);
	else if (bad.path.len == 0)
		buf_adds(&what, "the request body");
	else if (bad.path.data[0] == '[')
		buf_addf(&what, "the request body's element %s", bad.path.data);
	else
		buf_adds(&what, bad.path.data);
	field = bad.field.len > 0 ? bad.field.data : NULL;
	if (bad.lone_surrogate)
		http_error(req, 400, "MalformedJson", field,
		    "%s has the lone UTF-16 surrogate escape %s; send a "
		    "high-low surrogate pair or the character itself",
		    what.data, bad.escape);
	else if (bad.in_key)
		http_error(req, 400, "MalformedJson", field,
		    "%s is not valid UTF-8 (U+FFFD marks the invalid bytes)",
		    what.data);
	else
		http_error(req, 400, "MalformedJson", field,
		    "%s is not valid UTF-8", what.data);
	buf_free(&what);
	json_bad_text_free(&bad);
	return -1;
}

int
http_read_json_or_reply(struct request *req, int max_body_bytes)
{
	char key[64];

	if (read_body(req, max_body_bytes) == -1)
		return -1;
	if (req->body.len == 0) {
		http_error(req, 400, "MalformedJson", NULL,
		    "a JSON request body is required");
		return -1;
	}
	if (!media_type_is_json(http_param(req, "CONTENT_TYPE"))) {
		http_error(req, 415, "UnsupportedMediaType", NULL,
		    "Content-Type must be application/json");
		return -1;
	}

	/*
	 * json-c accepts bytes that are not UTF-8 inside strings, so the
	 * parse comes first and the strings are checked after it, when
	 * the key that contains a bad one can be named.  Bytes that are
	 * not UTF-8 outside strings make the parse fail.
	 */
	if (parse_json_or_reply(req) == -1 || text_only_or_reply(req) == -1)
		return -1;
	if (json_duplicate_key(req->body.data, req->body.len, key,
		sizeof(key))) {
		http_error(req, 400, "MalformedJson", key,
		    "key %s appears more than once", key);
		return -1;
	}
	return 0;
}

int
http_body_string_or_reply(struct request *req, const char *name,
    bool required, size_t min_chars, size_t max_chars, const char **out,
    size_t *len)
{
	struct json_object *value;
	size_t chars;

	if (!json_object_is_type(req->json, json_type_object)) {
		http_error(req, 422, "ValidationFailed", NULL,
		    "the request body must be a JSON object");
		return -1;
	}
	if (!json_object_object_get_ex(req->json, name, &value) ||
	    json_object_is_type(value, json_type_null)) {
		if (!required)
			return 1;
		http_error(req, 422, "ValidationFailed", name, "%s is required",
		    name);
		return -1;
	}
	if (!json_object_is_type(value, json_type_string)) {
		http_error(req, 422, "ValidationFailed", name,
		    "%s must be a string", name);
		return -1;
	}
	*out = json_object_get_string(value);
	*len = (size_t)json_object_get_string_len(value);
	if (strlen(*out) != *len) {
		http_error(req, 422, "ValidationFailed", name,
		    "%s must not contain NUL characters", name);
		return -1;
	}
	if (!utf8_valid(*out, *len)) {
		http_error(req, 422, "ValidationFailed", name,
		    "%s must be valid UTF-8", name);
		return -1;
	}
	chars = utf8_length(*out, *len);
	if (chars >= min_chars && chars <= max_chars)
		return 0;
	if (min_chars == max_chars)
		http_error(req, 422, "ValidationFailed", name,
		    "%s must be %zu characters", name, min_chars);
	else if (min_chars == 0)
		http_error(req, 422, "ValidationFailed", name,
		    "%s must be at most %zu characters", name, max_chars);
	else
		http_error(req, 422, "ValidationFailed", name,
		    "%s must be %zu-%zu characters", name, min_chars,
		    max_chars);
	return -1;
}

int
http_query_limit_or_reply(struct request *req, int def, int max, int *out)
{
	const struct query_param *p = query_get(&req->query, "limit");
	char *end;
	long v;

	*out = def;
	if (p == NULL)
		return 0;
	v = strtol(p->value, &end, 10);
	if (p->value_len == 0 || p->value[0] < '0' || p->value[0] > '9' ||
	    *end != '\0' || v < 1 || v > max) {
		http_error(req, 422, "ValidationFailed", "limit",
		    "limit must be an integer from 1 to %d", max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
http_query_string_or_reply(struct request *req, const char *name,
    size_t max_chars, const char **out)
{
	const struct query_param *p = query_get(&req->query, name);

	*out = "";
	if (p == NULL)
		return 0;
	if (strlen(p->value) != p->value_len ||
	    !utf8_valid(p->value, p->value_len)) {
		http_error(req, 422, "ValidationFailed", name,
		    "%s must be valid UTF-8 text", name);
		return -1;
	}
	if (utf8_length(p->value, p->value_len) > max_chars) {
		http_error(req, 422, "ValidationFailed", name,
		    "%s must be at most %zu characters", name, max_chars);
		return -1;
	}
	*out = p->value;
	return 0;
}

int
http_query_time_or_reply(struct request *req, const char *name,
    const char **out)
{
	const struct query_param *p = query_get(&req->query, name);

	*out = NULL;
	if (p == NULL)
		return 0;
	if (!validate_iso_time(p->value)) {
		http_error(req, 422, "ValidationFailed", name,
		    "%s must be a UTC time like 2026-12-04T19:22:22.123Z", name);
		return -1;
	}
	*out = p->value;
	return 0;
}
