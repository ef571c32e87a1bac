/*
 * Every route of bunnybookd.  A route exists when it is in this table and
 * nowhere else; the API description is checked against it.
 */
#include "routes.h"

#include "health.h"
#include "util.h"

const struct route routes[] = {
	{ "GET", "/api/health", health_live, 0 },
	{ "GET", "/api/health/ready", health_ready, 0 },
};

const size_t routes_count = ARRAY_LEN(routes);
