/*
 * Fuzzes router_match() with the real route table from routes.c (its
 * handlers replaced by empty functions).  The input is a request line
 * piece, "METHOD URI"; the path is the URI up to '?' or '#', as
 * http_request_begin() cuts it.  A found route must agree with the path
 * segment by segment, and its parameters must be decoded, NUL-free,
 * within ROUTER_MAX_PARAM_BYTES and of their declared type.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "router.h"
#include "routes.h"
#include "token.h"

/* Pointer to the n-th '/'-separated segment of path and its length. */
static const char *
segment(const char *path, int n, size_t *len)
{
	const char *p = path;
	int i;

	for (i = 0; i <= n; i++) {
		p = strchr(p, '/');
		if (p == NULL)
			return NULL;
		p++;
	}
	*len = strcspn(p, "/");
	return p;
}

/* Compare the found route's pattern with path segment by segment. */
static void
check_found(const struct route_match *m, const char *method, const char *path)
{
	const char *pattern = m->route->pattern, *pat, *seg;
	size_t pat_len, seg_len;
	int i, params = 0;

	FUZZ_CHECK(m->route >= routes && m->route < routes + routes_count,
	    "the route comes from the table");
	FUZZ_CHECK(strcmp(m->route->method, method) == 0 ||
	    (strcmp(method, "HEAD") == 0 &&
		strcmp(m->route->method, "GET") == 0),
	    "the route's method is the request's (HEAD takes GET)");
	for (i = 0; (pat = segment(pattern, i, &pat_len)) != NULL; i++) {
		seg = segment(path, i, &seg_len);
		FUZZ_CHECK(seg != NULL, "the path has every pattern segment");
		if (pat[0] != '{') {
			FUZZ_CHECK(pat_len == seg_len &&
			    memcmp(pat, seg, pat_len) == 0,
			    "literal segments are equal");
			continue;
		}
		FUZZ_CHECK(params < m->nparams, "every parameter is bound");
		params++;
	}
	FUZZ_CHECK(segment(path, i, &seg_len) == NULL,
	    "the path has no segment beyond the pattern");
	FUZZ_CHECK(params == m->nparams && m->nparams <= ROUTER_MAX_PARAMS,
	    "one bound value per parameter, within ROUTER_MAX_PARAMS");

	for (i = 0; i < m->nparams; i++) {
		const struct route_param *p = &m->params[i];
		char spec[64];

		FUZZ_CHECK(p->value != NULL && strlen(p->value) == p->len,
		    "a parameter value holds no NUL byte");
		FUZZ_CHECK(p->len >= 1 && p->len <= ROUTER_MAX_PARAM_BYTES,
		    "a parameter value is 1 to ROUTER_MAX_PARAM_BYTES bytes");
		FUZZ_CHECK(router_param(m, p->name) == p->value,
		    "router_param finds each parameter by name");
		snprintf(spec, sizeof(spec), "{%s:uuid}", p->name);
		if (strstr(pattern, spec) != NULL)
			FUZZ_CHECK(token_is_uuid(p->value),
			    "a uuid parameter is a canonical UUID");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_string(data, size);
	char *space = strchr(line, ' ');
	const char *method = "GET", *uri = line;
	char *path;
	struct route_match m;
	enum router_result r;

	if (space != NULL) {
		*space = '\0';
		method = line;
		uri = space + 1;
	}
	path = xstrndup(uri, strcspn(uri, "?#"));

	r = router_match(routes, routes_count, method, path, &m);
	switch (r) {
	case ROUTER_FOUND:
		check_found(&m, method, path);
		break;
	case ROUTER_METHOD_NOT_ALLOWED:
		FUZZ_CHECK(m.route == NULL && m.allow[0] != '\0',
		    "405 lists the allowed methods");
		FUZZ_CHECK(memchr(m.allow, '\0', sizeof(m.allow)) != NULL,
		    "Allow is NUL-terminated");
		break;
	case ROUTER_BAD_PARAM:
		FUZZ_CHECK(m.route == NULL && m.bad_param[0] != '\0' &&
		    m.bad_reason != NULL, "a bad parameter is named with a reason");
		break;
	case ROUTER_NOT_FOUND:
		FUZZ_CHECK(m.route == NULL && m.nparams == 0,
		    "nothing is bound when no route matches");
		break;
	default:
		FUZZ_CHECK(false, "router_match returns a known result");
	}
	router_match_free(&m);
	free(path);
	free(line);
	return 0;
}

/* Start only with a table that passes the router's own check. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	FUZZ_CHECK(router_check_table(routes, routes_count, err,
	    sizeof(err)) == 0, "the route table is well formed");
	return 0;
}
