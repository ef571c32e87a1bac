/*
 * One HTTP request as a FastCGI worker sees it, and its response.
 *
 * The request owns everything allocated for it (query, route parameters,
 * body, parsed JSON); http_request_end() releases all of it, so handlers
 * free nothing they got from here.  Handlers build a response with one of
 * the http_reply_* calls; the worker writes it after the handler returns.
 */
#ifndef BUNNYBOOK_HTTP_H
#define BUNNYBOOK_HTTP_H

#include <fcgiapp.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "http_parse.h"
#include "router.h"
#include "util.h"

struct request {
	FCGX_Request *fcgi;
	const char *method;
	char *path; /* raw path, still percent-encoded, without query */
	char request_id[40];
	struct query query;
	struct route_match match;

	struct buf body;
	struct json_object *json; /* parsed body, owned by the request */

	/* The caller, once authenticated (empty when anonymous). */
	char profile_id[37];
	char username[65];
	char session_id[37];
	bool cookie_auth;
	/* The token is valid but its session is not checked yet. */
	bool session_unchecked;

	int status;
	struct buf headers;
	struct buf out;
	bool replied;
	long long started_us;
};

/* Set up req for the accepted FastCGI request; 0 or -1 (reply queued). */
int http_request_begin(struct request *req, FCGX_Request *fcgi);
/* Write the queued response to nginx and release the request's memory. */
void http_request_end(struct request *req);

/* A CGI parameter such as "HTTP_COOKIE" or "REMOTE_ADDR", or NULL. */
const char *http_param(const struct request *req, const char *name);
/* A route parameter, or NULL. */
const char *http_route_param(const struct request *req, const char *name);

/*
 * Read and parse the JSON body.  Returns 0 with req->json set, or -1
 * after replying 413 (too large), 415 (not application/json) or 400
 * (malformed JSON, too deep, a repeated key, or a string that is not
 * text: bytes that are not UTF-8 or a lone surrogate escape).  The 400s
 * for a repeated key and for a string that is not text name the
 * top-level key at fault as the field.
 */
int http_read_json_or_reply(struct request *req, int max_body_bytes);

/*
 * Read string field name of the JSON object body.  Returns 0 with *out
 * (owned by the request) and *len set; 1 when absent and not required;
 * -1 after replying 422 naming the field when the body is not an object,
 * the field is missing, not a string, contains a NUL byte, or has fewer
 * than min_chars or more than max_chars Unicode code points.  The 422
 * message states min_chars and max_chars as the rule of the field, so
 * they must be the field's real bounds.  A field whose own check bounds
 * its length (a UUID, one of a few words) passes 0 and HTTP_ANY_LENGTH,
 * and its caller replies with that rule.
 */
int http_body_string_or_reply(struct request *req, const char *name,
    bool required, size_t min_chars, size_t max_chars, const char **out,
    size_t *len);
/* A max_chars that sets no length, for values that another check bounds. */
#define HTTP_ANY_LENGTH SIZE_MAX

/*
 * Read the query parameter "limit": def when absent; -1 after replying 422
 * when it is not an integer from 1 to max.
 */
int http_query_limit_or_reply(struct request *req, int def, int max, int *out);

/*
 * Read a string query parameter: *out is "" when absent (owned by the
 * request).  Returns -1 after replying 422 when it is longer than
 * max_chars code points or not valid UTF-8.  As with body strings, a
 * value whose own check bounds it passes HTTP_ANY_LENGTH.
 */
int http_query_string_or_reply(struct request *req, const char *name,
    size_t max_chars, const char **out);

/*
 * Read a time query parameter in the API's format
 * (2026-12-04T19:22:22.123Z, milliseconds optional).  *out is NULL when
 * absent.  Returns -1 after replying 422 when malformed.
 */
int http_query_time_or_reply(struct request *req, const char *name,
    const char **out);

/* Drop the queued reply and its headers, so another can replace it. */
void http_reply_discard(struct request *req);

void http_add_header(struct request *req, const char *name, const char *value);
/* Reply with a JSON value; takes ownership of value. */
void http_reply_json(struct request *req, int status, struct json_object *value);
/* Reply with a body of the given media type. */
void http_reply_body(struct request *req, int status, const char *media_type,
    const char *body, size_t len);
void http_reply_empty(struct request *req, int status);
/*
 * Reply with the error shape {"error": {"code", "message", "field"?}}.
 * field may be NULL.  5xx messages must not carry internals.
 */
void http_error(struct request *req, int status, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Build the error shape as a JSON object, for replies that add fields. */
struct json_object *http_error_body(const char *code, const char *field,
    const char *message);
/* A 500 with a fixed message; the cause is logged by the caller. */
void http_internal_error(struct request *req);

long long clock_us(void);

#endif
