/*
 * Every route of bunnybookd.  A route exists when it is in this table and
 * nowhere else; the API description is checked against it.
 */
#include "routes.h"

#include "accounts.h"
#include "avatar_routes.h"
#include "health.h"
#include "util.h"

#define AUTH ROUTE_AUTH_REQUIRED
#define JSON ROUTE_JSON_BODY

const struct route routes[] = {
	{ "GET", "/api/health", health_live, 0 },
	{ "GET", "/api/health/ready", health_ready, 0 },

	{ "POST", "/api/register", accounts_register, JSON },
	{ "POST", "/api/login", accounts_login, JSON },
	{ "POST", "/api/refresh", accounts_refresh, 0 },
	{ "POST", "/api/logout", accounts_logout, AUTH },
	{ "GET", "/api/sessions", accounts_sessions_list, AUTH },
	{ "DELETE", "/api/sessions/{id:uuid}", accounts_sessions_delete, AUTH },
	{ "POST", "/api/password", accounts_password, AUTH | JSON },

	{ "GET", "/api/avatar/{identifier:str}", avatar_preview, 0 },
	{ "GET", "/api/profiles/{id:uuid}/avatar", avatar_of_profile, 0 },
	{ "PUT", "/api/profiles/{id:uuid}/avatar", avatar_change, AUTH | JSON },
};

const size_t routes_count = ARRAY_LEN(routes);
