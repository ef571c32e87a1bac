/*
 * Matches a request's method and path against the route table.  Paths are
 * split on '/' before percent-decoding, so an encoded slash stays inside
 * its segment.  Parameter values are checked against their declared type
 * here, so handlers only ever see well-formed ids.
 */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "util.h"

struct segments {
	const char *start[ROUTER_MAX_SEGMENTS];
	size_t len[ROUTER_MAX_SEGMENTS];
	int count;
};

/* Split "/a/b/c" into segments; -1 when there are too many or it is not absolute. */
static int
split_path(const char *path, size_t path_len, struct segments *s)
{
	const char *p = path, *end = path + path_len;

	s->count = 0;
	if (path_len == 0 || *p != '/')
		return -1;
	while (p < end) {
		const char *seg = ++p;

		while (p < end && *p != '/')
			p++;
		if (s->count == ROUTER_MAX_SEGMENTS)
			return -1;
		s->start[s->count] = seg;
		s->len[s->count] = (size_t)(p - seg);
		s->count++;
	}
	return 0;
}

bool
uuid_text_valid(const char *s, size_t len)
{
	size_t i;

	if (len != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
			       (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

static bool
is_param(const char *seg, size_t len)
{
	return len >= 2 && seg[0] == '{' && seg[len - 1] == '}';
}

/* Does the path have the pattern's shape (literals equal, same length)? */
static bool
shape_matches(const struct segments *pat, const struct segments *path)
{
	int i;

	if (pat->count != path->count)
		return false;
	for (i = 0; i < pat->count; i++) {
		if (is_param(pat->start[i], pat->len[i])) {
			if (path->len[i] == 0)
				return false;
			continue;
		}
		if (pat->len[i] != path->len[i] ||
		    memcmp(pat->start[i], path->start[i], pat->len[i]) != 0)
			return false;
	}
	return true;
}

/* Decode and type-check the parameters of a shape match into m. */
static int
bind_params(const struct segments *pat, const struct segments *path,
    struct route_match *m)
{
	int i;

	for (i = 0; i < pat->count; i++) {
		const char *spec = pat->start[i] + 1, *colon;
		size_t spec_len = pat->len[i] - 2, name_len;
		struct route_param *p;
		struct buf value;

		if (!is_param(pat->start[i], pat->len[i]))
			continue;
		colon = memchr(spec, ':', spec_len);
		name_len = colon ? (size_t)(colon - spec) : spec_len;
		p = &m->params[m->nparams++];
		snprintf(p->name, sizeof(p->name), "%.*s", (int)name_len, spec);
		buf_init(&value);
		if (url_decode(path->start[i], path->len[i], false, &value)) {
			buf_free(&value);
			snprintf(m->bad_param, sizeof(m->bad_param), "%s", p->name);
			m->bad_reason = "malformed percent-encoding";
			return -1;
		}
		p->value = buf_detach(&value, &p->len);
		if (colon && strncmp(colon + 1, "uuid", 4) == 0 &&
		    !uuid_text_valid(p->value, p->len)) {
			snprintf(m->bad_param, sizeof(m->bad_param), "%s", p->name);
			m->bad_reason = "must be a UUID";
			return -1;
		}
		if (p->len > ROUTER_MAX_PARAM_BYTES || strlen(p->value) != p->len) {
			snprintf(m->bad_param, sizeof(m->bad_param), "%s", p->name);
			m->bad_reason = "too long or contains a NUL byte";
			return -1;
		}
	}
	return 0;
}

void
router_match_free(struct route_match *m)
{
	int i;

	for (i = 0; i < m->nparams; i++) {
		free(m->params[i].value);
		m->params[i].value = NULL;
	}
	m->nparams = 0;
}

const char *
router_param(const struct route_match *m, const char *name)
{
	int i;

	for (i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return NULL;
}

int
router_check_table(const struct route *table, size_t n, char *err,
    size_t errlen)
{
	struct segments pat;
	size_t i;
	int j, params;

	for (i = 0; i < n; i++) {
		if (split_path(table[i].pattern, strlen(table[i].pattern),
			&pat) == -1) {
			snprintf(err, errlen, "route %s %s: not an absolute "
			    "path of at most %d segments", table[i].method,
			    table[i].pattern, ROUTER_MAX_SEGMENTS);
			return -1;
		}
		for (j = 0, params = 0; j < pat.count; j++)
			if (is_param(pat.start[j], pat.len[j]))
				params++;
		if (params > ROUTER_MAX_PARAMS || table[i].handler == NULL) {
			snprintf(err, errlen, "route %s %s: too many parameters "
			    "or no handler", table[i].method, table[i].pattern);
			return -1;
		}
	}
	return 0;
}

static void
add_allowed(struct route_match *m, const char *method)
{
	size_t used = strlen(m->allow);

	if (strstr(m->allow, method) != NULL)
		return;
	snprintf(m->allow + used, sizeof(m->allow) - used, "%s%s%s",
	    used ? ", " : "", method, strcmp(method, "GET") == 0 ? ", HEAD" : "");
}

enum router_result
router_match(const struct route *table, size_t n, const char *method,
    const char *path, struct route_match *m)
{
	const char *lookup = strcmp(method, "HEAD") == 0 ? "GET" : method;
	struct segments want, pat;
	bool shape_found = false, bad_found = false;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (split_path(path, strlen(path), &want) == -1)
		return ROUTER_NOT_FOUND;

	for (i = 0; i < n; i++) {
		if (split_path(table[i].pattern, strlen(table[i].pattern),
			&pat) == -1 ||
		    !shape_matches(&pat, &want))
			continue;
		shape_found = true;
		add_allowed(m, table[i].method);
		if (strcmp(table[i].method, lookup) != 0)
			continue;
		if (bind_params(&pat, &want, m) == -1) {
			/* A later route may still take it as a literal. */
			bad_found = true;
			router_match_free(m);
			continue;
		}
		m->route = &table[i];
		return ROUTER_FOUND;
	}
	if (bad_found)
		return ROUTER_BAD_PARAM;
	return shape_found ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}
