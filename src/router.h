/*
 * The route table as data: method, path pattern, handler, flags.
 * Patterns are literal segments and typed parameters, for example
 * "/api/profiles/{id:uuid}/friends/{other:uuid}".  Parameter types:
 *   uuid   canonical lower-case UUID text; anything else is a 422
 *   str    any non-empty segment, percent-decoded, at most 256 bytes
 * The router does not depend on FastCGI; handlers take a struct request.
 */
#ifndef BUNNYBOOK_ROUTER_H
#define BUNNYBOOK_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#define ROUTER_MAX_PARAMS      4
#define ROUTER_MAX_SEGMENTS    12
#define ROUTER_MAX_PARAM_BYTES 256

struct request;
typedef void (*route_handler)(struct request *req);

/* Route flags: who may call it and what it reads. */
#define ROUTE_AUTH_REQUIRED (1u << 0)
#define ROUTE_AUTH_OPTIONAL (1u << 1)
#define ROUTE_JSON_BODY	    (1u << 2) /* a JSON body is required */
#define ROUTE_INTERNAL	    (1u << 3) /* not in the public API description */
/*
 * The handler changes nothing, so the session check may run while it does:
 * its reply is replaced by 401 when the session turns out to have ended.
 */
#define ROUTE_LATE_SESSION_CHECK (1u << 4)

struct route {
	const char *method;
	const char *pattern;
	route_handler handler;
	unsigned flags;
};

struct route_param {
	char name[32];
	char *value; /* decoded, NUL-terminated, owned by the match */
	size_t len;
};

struct route_match {
	const struct route *route;
	int nparams;
	struct route_param params[ROUTER_MAX_PARAMS];
	/* For ROUTER_BAD_PARAM: the parameter at fault and why. */
	char bad_param[32];
	const char *bad_reason;
	/* For ROUTER_METHOD_NOT_ALLOWED: methods the path accepts. */
	char allow[64];
};

enum router_result {
	ROUTER_FOUND,
	ROUTER_NOT_FOUND,
	ROUTER_METHOD_NOT_ALLOWED,
	ROUTER_BAD_PARAM,
};

/*
 * Match method and the raw (still percent-encoded) path against the table
 * of n routes.  HEAD matches GET routes.  On ROUTER_FOUND the match owns
 * decoded parameter values; release them with router_match_free() whatever
 * the result.
 */
enum router_result router_match(const struct route *table, size_t n,
    const char *method, const char *path, struct route_match *m);
void router_match_free(struct route_match *m);

/* Value of parameter name in a found match, or NULL. */
const char *router_param(const struct route_match *m, const char *name);

/* Check that every pattern in the table is well formed; for start-up. */
int router_check_table(const struct route *table, size_t n, char *err,
    size_t errlen);

bool uuid_text_valid(const char *s, size_t len);

#endif
