/* Unit tests of the router. */
#include <string.h>

#include "router.h"
#include "tap.h"
#include "util.h"

static void h1(struct request *r) { (void)r; }
static void h2(struct request *r) { (void)r; }
static void h3(struct request *r) { (void)r; }
static void h4(struct request *r) { (void)r; }

static const struct route table[] = {
	{ "GET", "/api/health", h1, 0 },
	{ "GET", "/api/health/ready", h2, 0 },
	{ "GET", "/api/profiles/{id:uuid}/friends/{other:uuid}", h3, 0 },
	{ "DELETE", "/api/profiles/{id:uuid}/friends/{other:uuid}", h4, 0 },
	{ "GET", "/api/avatar/{identifier:str}", h4, 0 },
};

#define UUID1 "0b6f3a1e-64a8-4a5c-9d33-7d4f8a2b9c10"
#define UUID2 "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"

int
main(void)
{
	struct route_match m;
	enum router_result r;
	char err[128];

	ok(router_check_table(table, ARRAY_LEN(table), err, sizeof(err)) == 0,
	    "test table is well formed");

	r = router_match(table, ARRAY_LEN(table), "GET", "/api/health", &m);
	ok(r == ROUTER_FOUND && m.route->handler == h1, "literal route matches");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "HEAD", "/api/health", &m);
	ok(r == ROUTER_FOUND, "HEAD matches a GET route");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET", "/api/healthz", &m);
	ok(r == ROUTER_NOT_FOUND, "unknown path is not found");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET", "/api/health/", &m);
	ok(r == ROUTER_NOT_FOUND, "trailing slash is a different path");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "POST", "/api/health", &m);
	ok(r == ROUTER_METHOD_NOT_ALLOWED, "wrong method is not allowed");
	ok(strcmp(m.allow, "GET, HEAD") == 0, "Allow lists GET and HEAD: %s", m.allow);
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET",
	    "/api/profiles/" UUID1 "/friends/" UUID2, &m);
	ok(r == ROUTER_FOUND && m.route->handler == h3, "typed route matches");
	ok(strcmp(router_param(&m, "id"), UUID1) == 0, "first parameter bound");
	ok(strcmp(router_param(&m, "other"), UUID2) == 0, "second parameter bound");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "DELETE",
	    "/api/profiles/" UUID1 "/friends/" UUID2, &m);
	ok(r == ROUTER_FOUND && m.route->handler == h4, "method selects the route");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "PUT",
	    "/api/profiles/" UUID1 "/friends/" UUID2, &m);
	ok(r == ROUTER_METHOD_NOT_ALLOWED && strstr(m.allow, "DELETE"),
	    "405 lists every method of the path: %s", m.allow);
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET",
	    "/api/profiles/not-a-uuid/friends/" UUID2, &m);
	ok(r == ROUTER_BAD_PARAM && strcmp(m.bad_param, "id") == 0,
	    "non-UUID id is a bad parameter named id");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET",
	    "/api/profiles/0B6F3A1E-64A8-4A5C-9D33-7D4F8A2B9C10/friends/" UUID2, &m);
	ok(r == ROUTER_BAD_PARAM, "upper-case UUID is not canonical");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET", "/api/avatar/a%2Fb%20c", &m);
	ok(r == ROUTER_FOUND && strcmp(router_param(&m, "identifier"), "a/b c") == 0,
	    "string parameter is percent-decoded after splitting");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET", "/api/avatar/a%00b", &m);
	ok(r == ROUTER_BAD_PARAM, "NUL byte in a parameter is rejected");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET", "/api/avatar/%zz", &m);
	ok(r == ROUTER_BAD_PARAM, "malformed escape is rejected");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET", "/api/avatar/", &m);
	ok(r == ROUTER_NOT_FOUND, "empty parameter segment does not match");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET",
	    "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", &m);
	ok(r == ROUTER_NOT_FOUND, "very deep path is not found");
	router_match_free(&m);

	r = router_match(table, ARRAY_LEN(table), "GET", "", &m);
	ok(r == ROUTER_NOT_FOUND, "empty path is not found");
	router_match_free(&m);

	ok(uuid_text_valid(UUID1, 36), "canonical UUID is valid");
	ok(!uuid_text_valid(UUID1, 35), "short UUID is invalid");
	return done_testing();
}
