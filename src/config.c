/*
 * Parses the configuration file and environment into struct config.
 * Everything about a key (type, default, bounds, help) lives in one row of
 * the table below; no other file spells a key.
 * This file never logs: secrets must not leave it, and errors go back to
 * the caller as text.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"

#ifndef BUNNYBOOK_SCHEMA_DIR
#define BUNNYBOOK_SCHEMA_DIR "/usr/local/share/bunnybook/schema"
#endif

enum config_type { CFG_STRING, CFG_INT, CFG_BOOL, CFG_LEVEL, CFG_GRAPH };

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *def;
	long min;
	long max;
	const char *unit;
	bool secret;
	const char *help;
};

#define OFF(field) offsetof(struct config, field)

static const struct config_key keys[] = {
	{ "listen", CFG_STRING, OFF(listen), "/run/bunnybook/bunnybookd.sock",
	    0, 0, "path or host:port", false,
	    "FastCGI socket: a unix socket path or host:port" },
	{ "workers", CFG_INT, OFF(workers), "0", 0, 256, "processes", false,
	    "worker processes; 0 means two per online CPU core" },
	{ "shutdown_timeout_s", CFG_INT, OFF(shutdown_timeout_s), "10", 1, 600,
	    "seconds", false,
	    "how long in-flight requests may run after SIGTERM or SIGHUP" },
	{ "log_level", CFG_LEVEL, OFF(log_level), "info", 0, 0,
	    "debug|info|warn|error", false, "lowest level written to stderr" },
	{ "database_url", CFG_STRING, OFF(database_url), "dbname=bunnybook", 0,
	    0, "libpq conninfo or URI", true, "PostgreSQL connection" },
	{ "db_statement_timeout_ms", CFG_INT, OFF(db_statement_timeout_ms),
	    "5000", 100, 600000, "milliseconds", false,
	    "PostgreSQL statement_timeout for request queries" },
	{ "db_connect_timeout_s", CFG_INT, OFF(db_connect_timeout_s), "3", 1,
	    60, "seconds", false, "PostgreSQL connect timeout" },
	{ "cache_redis", CFG_STRING, OFF(cache_redis), "127.0.0.1:6379", 0, 0,
	    "host:port or unix:PATH", false,
	    "Redis for the cache; failures are logged and ignored" },
	{ "pubsub_redis", CFG_STRING, OFF(pubsub_redis), "127.0.0.1:6380", 0,
	    0, "host:port or unix:PATH", false,
	    "Redis shared with nchan: presence and rate limits" },
	{ "redis_timeout_ms", CFG_INT, OFF(redis_timeout_ms), "500", 10, 60000,
	    "milliseconds", false, "connect and command timeout for Redis" },
	{ "nchan_publisher", CFG_STRING, OFF(nchan_publisher),
	    "unix:/run/bunnybook/nchan-publisher.sock", 0, 0,
	    "unix:PATH or http://host:port", false,
	    "nginx server that accepts nchan publishes" },
	{ "publish_timeout_ms", CFG_INT, OFF(publish_timeout_ms), "1000", 10,
	    60000, "milliseconds", false, "timeout of one nchan publish" },
	{ "max_body_bytes", CFG_INT, OFF(max_body_bytes), "65536", 1024,
	    16777216, "bytes", false, "largest request body accepted" },
	{ "schema_dir", CFG_STRING, OFF(schema_dir), BUNNYBOOK_SCHEMA_DIR, 0, 0,
	    "directory", false, "where `bunnybookd migrate` finds NNN-name.sql" },
	{ "site_origin", CFG_STRING, OFF(site_origin), "http://127.0.0.1:8080",
	    0, 0, "scheme://host[:port]", false,
	    "the origin browsers use; other Origin headers are rejected" },
	{ "plain_http_loopback", CFG_BOOL, OFF(plain_http_loopback), "false", 0,
	    0, "true|false", false,
	    "the site is served over plain HTTP on loopback (local stack): "
	    "cookies lose Secure" },
	{ "jwt_key", CFG_STRING, OFF(jwt_key), "", 0, 0, "at least 32 bytes",
	    true, "HS256 key for access tokens" },
	{ "access_token_ttl_s", CFG_INT, OFF(access_token_ttl_s), "900", 60,
	    86400, "seconds", false, "lifetime of an access token" },
	{ "refresh_token_ttl_s", CFG_INT, OFF(refresh_token_ttl_s), "1209600",
	    3600, 31536000, "seconds", false,
	    "lifetime of a session's refresh token (14 days)" },
	{ "refresh_reuse_grace_s", CFG_INT, OFF(refresh_reuse_grace_s), "10", 0,
	    120, "seconds", false,
	    "a token rotated this recently is answered 401 without revoking "
	    "its session (two tabs refreshing at once)" },
	{ "argon2_memory_kib", CFG_INT, OFF(argon2_memory_kib), "19456", 19456,
	    4194304, "KiB", false, "Argon2id memory per password hash" },
	{ "argon2_passes", CFG_INT, OFF(argon2_passes), "2", 2, 64, "passes",
	    false, "Argon2id passes over that memory" },
	{ "argon2_lanes", CFG_INT, OFF(argon2_lanes), "1", 1, 16, "lanes",
	    false, "Argon2id parallelism" },
	{ "login_max_failures_per_account", CFG_INT,
	    OFF(login_max_failures_per_account), "5", 1, 100000, "failures",
	    false, "failed logins per account within the window before 429" },
	{ "login_max_failures_per_address", CFG_INT,
	    OFF(login_max_failures_per_address), "50", 1, 1000000, "failures",
	    false, "failed logins per client address within the window before 429" },
	{ "login_failure_window_s", CFG_INT, OFF(login_failure_window_s), "900",
	    10, 86400, "seconds", false, "window of the login failure counters" },
	{ "graph_backend", CFG_GRAPH, OFF(graph_backend), "postgres", 0, 0,
	    "postgres|neo4j", false,
	    "where friend-graph reads come from; PostgreSQL stays the source "
	    "of truth" },
	{ "neo4j_url", CFG_STRING, OFF(neo4j_url), "http://127.0.0.1:7474", 0,
	    0, "http://host:port", false, "Neo4j HTTP server" },
	{ "neo4j_path", CFG_STRING, OFF(neo4j_path),
	    "/db/data/transaction/commit", 0, 0, "path", false,
	    "transactional endpoint: /db/data/transaction/commit on 3.x, "
	    "/db/neo4j/tx/commit on 4.x and 5.x" },
	{ "neo4j_user", CFG_STRING, OFF(neo4j_user), "neo4j", 0, 0, "name",
	    false, "Neo4j user for Basic auth; empty for none" },
	{ "neo4j_password", CFG_STRING, OFF(neo4j_password), "", 0, 0,
	    "password", true, "Neo4j password" },
	{ "neo4j_timeout_ms", CFG_INT, OFF(neo4j_timeout_ms), "3000", 50,
	    60000, "milliseconds", false, "connect and total timeout of a Neo4j call" },
	{ "neo4j_retries", CFG_INT, OFF(neo4j_retries), "2", 0, 5, "retries",
	    false, "retries of a Neo4j call after a transient error" },
	{ "post_writes_per_window", CFG_INT, OFF(post_writes_per_window), "30",
	    1, 1000000, "writes", false,
	    "posts created or edited per profile within write_window_s before 429" },
	{ "comment_writes_per_window", CFG_INT, OFF(comment_writes_per_window),
	    "60", 1, 1000000, "writes", false,
	    "comments written per profile within write_window_s before 429" },
	{ "like_writes_per_window", CFG_INT, OFF(like_writes_per_window), "300",
	    1, 1000000, "writes", false,
	    "likes and unlikes per profile within write_window_s before 429" },
	{ "write_window_s", CFG_INT, OFF(write_window_s), "60", 1, 86400,
	    "seconds", false, "window of the post, comment and like counters" },
	{ "chat_messages_per_second", CFG_INT, OFF(chat_messages_per_second),
	    "10", 1, 100000, "messages", false,
	    "chat messages sent, edited or deleted per profile and second before 429" },
	{ "streams_per_profile", CFG_INT, OFF(streams_per_profile), "20", 1,
	    10000, "streams", false,
	    "open realtime streams (tabs and devices) per profile before 429" },
	{ "stream_resume_max_age_s", CFG_INT, OFF(stream_resume_max_age_s),
	    "3300", 1, 31536000, "seconds", false,
	    "a stream resuming from an older event starts at the newest one; "
	    "keep it below nchan_message_timeout in the nginx site (1h) by a "
	    "few minutes" },
	{ "chat_typing_per_second", CFG_INT, OFF(chat_typing_per_second), "5",
	    1, 100000, "events", false,
	    "typing calls per profile and second before 429" },
	{ "metrics_listen", CFG_STRING, OFF(metrics_listen), "", 0, 0,
	    "host:port or empty", false,
	    "where the master serves Prometheus metrics (GET /metrics); "
	    "empty turns them off; keep it on loopback" },
};

static void
set_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Format the message into err.  Control characters, which an environment
 * variable's name or value may hold, become '?' so that the message stays
 * one line.
 */
static void
set_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (p = err; errlen > 0 && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static const struct config_key *
find_key(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(keys); i++)
		if (strlen(keys[i].name) == len &&
		    strncmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

static int
parse_int(const char *s, long *out)
{
	char *end;
	long v;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Store value into the field of key; where names the source for errors. */
static int
set_value(struct config *cfg, const struct config_key *k, const char *value,
    const char *where, char *err, size_t errlen)
{
	char *field = (char *)cfg + k->offset;
	const char *shown = k->secret ? "(secret)" : value;
	long v;

	switch (k->type) {
	case CFG_STRING:
		free(*(char **)(void *)field);
		*(char **)(void *)field = xstrdup(value);
		return 0;
	case CFG_INT:
		if (parse_int(value, &v) == -1 || v < k->min || v > k->max) {
			set_error(err, errlen,
			    "%s: invalid value \"%s\" for key %s: expected an "
			    "integer from %ld to %ld (%s)",
			    where, shown, k->name, k->min, k->max, k->unit);
			return -1;
		}
		*(int *)(void *)field = (int)v;
		return 0;
	case CFG_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "1") == 0)
			*(bool *)(void *)field = true;
		else if (strcmp(value, "false") == 0 ||
		    strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
			*(bool *)(void *)field = false;
		else {
			set_error(err, errlen,
			    "%s: invalid value \"%s\" for key %s: expected "
			    "true or false", where, shown, k->name);
			return -1;
		}
		return 0;
	case CFG_GRAPH:
		if (strcmp(value, "postgres") != 0 && strcmp(value, "neo4j") != 0) {
			set_error(err, errlen,
			    "%s: invalid value \"%s\" for key %s: expected "
			    "postgres or neo4j", where, shown, k->name);
			return -1;
		}
		free(*(char **)(void *)field);
		*(char **)(void *)field = xstrdup(value);
		return 0;
	case CFG_LEVEL:
		if (strcmp(value, "debug") != 0 && strcmp(value, "info") != 0 &&
		    strcmp(value, "warn") != 0 && strcmp(value, "error") != 0) {
			set_error(err, errlen,
			    "%s: invalid value \"%s\" for key %s: expected "
			    "debug, info, warn or error", where, shown, k->name);
			return -1;
		}
		free(*(char **)(void *)field);
		*(char **)(void *)field = xstrdup(value);
		return 0;
	}
	return -1;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Parse one non-empty, non-comment line "key = value". */
static int
parse_line(struct config *cfg, char *line, const char *where, char *err,
    size_t errlen)
{
	const struct config_key *k;
	char *eq = strchr(line, '='), *name, *value;

	if (eq == NULL) {
		set_error(err, errlen, "%s: expected \"key = value\"", where);
		return -1;
	}
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	k = find_key(name, strlen(name));
	if (k == NULL) {
		set_error(err, errlen,
		    "%s: unknown key \"%s\" (bunnybookd --help lists the keys)",
		    where, name);
		return -1;
	}
	return set_value(cfg, k, value, where, err, errlen);
}

static int
load_file(struct config *cfg, const char *path, bool required, char *err,
    size_t errlen)
{
	char line[4096], where[600];
	FILE *f = fopen(path, "r");
	int lineno = 0, rc = 0;

	if (f == NULL) {
		if (!required && errno == ENOENT)
			return 0;
		set_error(err, errlen, "cannot open configuration file %s: %s",
		    path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *s;

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (strchr(line, '\n') == NULL && !feof(f)) {
			set_error(err, errlen, "%s: line longer than %zu bytes",
			    where, sizeof(line) - 2);
			rc = -1;
			break;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		rc = parse_line(cfg, s, where, err, errlen);
	}
	fclose(f);
	return rc;
}

static int
load_environment(struct config *cfg, char *err, size_t errlen)
{
	extern char **environ;
	static const char prefix[] = "BUNNYBOOK_";
	char name[128], where[160];
	char **e;

	for (e = environ; *e != NULL; e++) {
		const struct config_key *k;
		const char *eq;
		size_t i, len;

		if (strncmp(*e, prefix, sizeof(prefix) - 1) != 0)
			continue;
		eq = strchr(*e, '=');
		if (eq == NULL)
			continue;
		len = (size_t)(eq - *e) - (sizeof(prefix) - 1);
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		for (i = 0; i < len; i++)
			name[i] = (char)tolower(
			    (unsigned char)(*e)[sizeof(prefix) - 1 + i]);
		name[len] = '\0';
		k = find_key(name, len);
		snprintf(where, sizeof(where), "environment variable %.*s",
		    (int)(eq - *e), *e);
		if (k == NULL) {
			set_error(err, errlen,
			    "%s: unknown key \"%s\" (bunnybookd --help lists "
			    "the keys)", where, name);
			return -1;
		}
		if (set_value(cfg, k, eq + 1, where, err, errlen) == -1)
			return -1;
	}
	return 0;
}

int
config_load(struct config *cfg, const char *path, bool path_required,
    char *err, size_t errlen)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < ARRAY_LEN(keys); i++)
		if (set_value(cfg, &keys[i], keys[i].def, "default", err,
			errlen) == -1)
			return -1;
	if (path != NULL && load_file(cfg, path, path_required, err, errlen))
		return -1;
	return load_environment(cfg, err, errlen);
}

void
config_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(keys); i++) {
		char *field = (char *)cfg + keys[i].offset;

		if (keys[i].type == CFG_STRING || keys[i].type == CFG_LEVEL ||
		    keys[i].type == CFG_GRAPH) {
			char **s = (char **)(void *)field;

			if (*s != NULL && keys[i].secret)
				explicit_bzero(*s, strlen(*s));
			free(*s);
			*s = NULL;
		}
	}
}

void
config_print_help(FILE *out)
{
	size_t i;

	fprintf(out, "Configuration keys (file: key = value; environment: "
		     "BUNNYBOOK_<KEY>):\n");
	for (i = 0; i < ARRAY_LEN(keys); i++) {
		const struct config_key *k = &keys[i];

		fprintf(out, "  %s\n      %s\n", k->name, k->help);
		fprintf(out, "      default: %s; unit: %s\n",
		    k->def[0] ? k->def : "(empty)", k->unit);
	}
}

int
config_worker_count(const struct config *cfg)
{
	long cores;

	if (cfg->workers > 0)
		return cfg->workers;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores < 1)
		cores = 1;
	if (cores > 64)
		cores = 64;
	return (int)cores * 2;
}

/* "host:port" with a port from 1 to 65535. */
static bool
host_port_valid(const char *s)
{
	const char *colon = strrchr(s, ':');
	long port;
	char *end;

	if (colon == NULL || colon == s)
		return false;
	port = strtol(colon + 1, &end, 10);
	return colon[1] != '\0' && *end == '\0' && port >= 1 && port <= 65535;
}

/* "unix:/absolute/path" or "host:port". */
static bool
redis_address_valid(const char *s)
{
	if (strncmp(s, "unix:/", 6) == 0)
		return true;
	return host_port_valid(s);
}

/* scheme://host[:port] with no path, as browsers send in Origin. */
static bool
origin_valid(const char *s)
{
	const char *host;

	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return false;
	if (*host == '\0' || strchr(host, '/') != NULL)
		return false;
	for (; *host; host++)
		if (!isalnum((unsigned char)*host) && strchr(".-:[]", *host) == NULL)
			return false;
	return true;
}

/* http://HOST[:PORT] with HOST localhost, in 127.0.0.0/8, or [::1]. */
static bool
origin_is_loopback_http(const char *origin)
{
	const char *host, *colon;
	struct in_addr v4;
	char name[64];
	size_t len;

	if (strncmp(origin, "http://", 7) != 0)
		return false;
	host = origin + 7;
	if (strncmp(host, "[::1]", 5) == 0)
		return host[5] == '\0' || host[5] == ':';
	colon = strchr(host, ':');
	len = colon != NULL ? (size_t)(colon - host) : strlen(host);
	if (len == 0 || len >= sizeof(name))
		return false;
	memcpy(name, host, len);
	name[len] = '\0';
	if (strcasecmp(name, "localhost") == 0)
		return true;
	return inet_pton(AF_INET, name, &v4) == 1 &&
	    (ntohl(v4.s_addr) >> 24) == 127;
}

int
config_check_serve(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->listen[0] != '/' && !host_port_valid(cfg->listen)) {
		set_error(err, errlen, "invalid value \"%s\" for key listen: "
		    "expected an absolute unix socket path or host:port with a "
		    "port from 1 to 65535", cfg->listen);
		return -1;
	}
	if (!redis_address_valid(cfg->cache_redis) ||
	    !redis_address_valid(cfg->pubsub_redis)) {
		set_error(err, errlen, "invalid value \"%s\" for key %s: "
		    "expected host:port or unix:/path",
		    redis_address_valid(cfg->cache_redis) ? cfg->pubsub_redis
							  : cfg->cache_redis,
		    redis_address_valid(cfg->cache_redis) ? "pubsub_redis"
							  : "cache_redis");
		return -1;
	}
	if (strncmp(cfg->nchan_publisher, "unix:/", 6) != 0 &&
	    strncmp(cfg->nchan_publisher, "http://", 7) != 0) {
		set_error(err, errlen, "invalid value \"%s\" for key "
		    "nchan_publisher: expected unix:/path or http://host:port",
		    cfg->nchan_publisher);
		return -1;
	}
	if (cfg->metrics_listen[0] != '\0' &&
	    !host_port_valid(cfg->metrics_listen)) {
		set_error(err, errlen, "invalid value \"%s\" for key "
		    "metrics_listen: expected host:port with a port from 1 to "
		    "65535, or nothing to turn metrics off", cfg->metrics_listen);
		return -1;
	}
	if (!origin_valid(cfg->site_origin)) {
		set_error(err, errlen, "invalid value \"%s\" for key "
		    "site_origin: expected scheme://host[:port] without a path "
		    "or trailing slash", cfg->site_origin);
		return -1;
	}
	/* Cookies without Secure would travel in clear text off this host. */
	if (cfg->plain_http_loopback &&
	    !origin_is_loopback_http(cfg->site_origin)) {
		set_error(err, errlen, "invalid value \"true\" for key "
		    "plain_http_loopback with site_origin \"%s\": true drops "
		    "Secure from cookies and is allowed only when site_origin "
		    "is http:// on a loopback host (localhost, 127.0.0.0/8 or "
		    "[::1]); set it to false", cfg->site_origin);
		return -1;
	}
	if (strlen(cfg->jwt_key) < 32) {
		set_error(err, errlen, "jwt_key is %s: set jwt_key in the "
		    "configuration file or BUNNYBOOK_JWT_KEY to at least 32 "
		    "bytes of random data (for example: head -c 48 /dev/urandom "
		    "| base64)", cfg->jwt_key[0] ? "too short" : "not set");
		return -1;
	}
	return 0;
}
