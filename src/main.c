/*
 * bunnybookd's entry point: parses the command line and the
 * configuration, checks what the command needs (the listen address, a
 * connection to PostgreSQL), then runs one subcommand (serve, migrate,
 * check-config, import-graph, graph-sync, routes).  A setting that cannot
 * work exits with status 2 and one line naming the key.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "master.h"
#include "metrics.h"
#include "db.h"
#include "graph_neo4j.h"
#include "import.h"
#include "neo4j_http.h"
#include "migrate.h"
#include "router.h"
#include "routes.h"
#include "token.h"
#include "util.h"

#define EXIT_CONFIG 2
#define SYNC_TIMEOUT_MS (10 * 60 * 1000)

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: bunnybookd [-c FILE] [COMMAND]\n"
	    "\n"
	    "Commands:\n"
	    "  serve          run the FastCGI worker pool (the default)\n"
	    "  migrate        apply pending schema migrations and exit\n"
	    "  check-config   check every key and value and exit; tests neither\n"
	    "                 the database nor the listen address\n"
	    "  graph-sync     rebuild the Neo4j graph from PostgreSQL\n"
	    "  routes         print the route table (method, pattern, flags)\n"
	    "                 and exit; needs no configuration\n"
	    "  import-graph FILE\n"
	    "                 load an edge list (\"A B\" per line) as profiles\n"
	    "                 and friendships\n"
	    "\n"
	    "Options:\n"
	    "  -c FILE        configuration file (default %s)\n"
	    "  -h, --help     show this help and the configuration keys\n"
	    "  -V, --version  show the version\n"
	    "\n",
	    CONFIG_DEFAULT_PATH);
	config_print_help(out);
}

/*
 * Checks that need more than one key or the route table.  A failed serve
 * check names the file it read, so that an operator who edited another
 * copy (or none) learns which one counts.
 */
static int
check_startup(const struct config *cfg, const char *path, bool need_key)
{
	char err[512];
	enum log_level level;

	if (log_parse_level(cfg->log_level, &level) == 0)
		log_set_level(level);
	if (router_check_table(routes, routes_count, err, sizeof(err))) {
		fprintf(stderr, "bunnybookd: %s\n", err);
		return -1;
	}
	if (need_key && config_check_serve(cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "bunnybookd: %s (configuration file: %s%s)\n",
		    err, path, access(path, F_OK) == 0 ? "" : ", not found");
		return -1;
	}
	return 0;
}

/*
 * `routes`: one line per route, "METHOD PATTERN AUTH [json] [internal]",
 * where AUTH is public, optional or required.  The API description's test
 * compares the document with this output.
 */
static const char *
auth_word(unsigned flags)
{
	if (flags & ROUTE_AUTH_REQUIRED)
		return "required";
	if (flags & ROUTE_AUTH_OPTIONAL)
		return "optional";
	return "public";
}

static void
print_routes(void)
{
	size_t i;

	for (i = 0; i < routes_count; i++) {
		unsigned flags = routes[i].flags;

		printf("%s %s %s%s%s\n", routes[i].method, routes[i].pattern,
		    auth_word(flags), (flags & ROUTE_JSON_BODY) ? " json" : "",
		    (flags & ROUTE_INTERNAL) ? " internal" : "");
	}
}

/*
 * Kinds of failed start-up connection to PostgreSQL, classified by libpq's
 * error message.  A passing state is waited for.  A rejected or invalid
 * database_url stops the command, because waiting would not help.
 */
enum db_failure { DB_PASSING, DB_REJECTED, DB_INVALID };

struct db_failure_mark {
	const char *text;
	enum db_failure failure;
};

/*
 * Marks in libpq's message.  The first match wins, so the passing states,
 * whose messages carry "FATAL:" too, come before it.  Any other message
 * (connection refused, no socket file, timeout, unreachable network) is a
 * passing state.  The texts are libpq 15's: bunnybookd never calls
 * setlocale(), so libpq does not translate its own messages.
 * NOTE: the server's texts are matched in English too.  Under another
 * lc_messages a refusal may be classed as a passing state, so serve starts
 * and every worker logs the refusal.
 */
static const struct db_failure_mark db_failure_marks[] = {
	/* The server is starting, stopping, in recovery or full. */
	{ "starting up", DB_PASSING },
	{ "shutting down", DB_PASSING },
	{ "recovery", DB_PASSING },
	{ "not yet accepting connections", DB_PASSING },
	{ "too many", DB_PASSING },
	{ "connection slots are reserved", DB_PASSING },
	/* The resolver failed this time but may succeed later (EAI_AGAIN). */
	{ "Temporary failure in name resolution", DB_PASSING },
	/* Unknown role or database, wrong password, refused by pg_hba.conf. */
	{ "FATAL:", DB_REJECTED },
	/* The server requests a password and database_url contains none. */
	{ "fe_sendauth: no password supplied", DB_REJECTED },
	/*
	 * libpq's own checks: an unknown host name, a bad hostaddr, host and
	 * port lists of different lengths, and bad option values (libpq
	 * starts each of those messages with "invalid").
	 */
	{ "could not translate host name", DB_INVALID },
	{ "could not parse network address", DB_INVALID },
	{ "could not match ", DB_INVALID },
	{ "invalid ", DB_INVALID },
	/* An sslmode the server or the local certificate files cannot meet. */
	{ "SSL was required", DB_INVALID },
	{ "root certificate file", DB_INVALID },
	{ "does not match host name", DB_INVALID },
};

static enum db_failure
classify_db_failure(const char *msg)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(db_failure_marks); i++)
		if (strstr(msg, db_failure_marks[i].text) != NULL)
			return db_failure_marks[i].failure;
	return DB_PASSING;
}

/*
 * libpq reads its dbname as a URI or a key=value string when it starts
 * with postgresql:// or postgres:// or contains "=", else as a database
 * name.  Syntax errors in such a string fail here, before connecting, so
 * that none of them passes for a server that is down.
 */
static int
check_conninfo_syntax(const char *url)
{
	PQconninfoOption *options;
	char *errmsg = NULL, *newline;

	if (strncmp(url, "postgresql://", 13) != 0 &&
	    strncmp(url, "postgres://", 11) != 0 && strchr(url, '=') == NULL)
		return 0;
	options = PQconninfoParse(url, &errmsg);
	if (options != NULL) {
		PQconninfoFree(options);
		return 0;
	}
	if (errmsg != NULL && (newline = strchr(errmsg, '\n')) != NULL)
		*newline = '\0';
	fprintf(stderr, "bunnybookd: invalid database_url: %s; expected "
			"postgresql://user@host:port/dbname or key=value "
			"pairs\n", errmsg != NULL ? errmsg : "out of memory");
	PQfreemem(errmsg);
	return -1;
}

/*
 * "database_url (user=NAME dbname=NAME)" with the values libpq resolved
 * for conn, defaults included, to name the setting in a message without
 * printing its password.  The caller frees the string.
 */
static char *
describe_database_url(PGconn *conn)
{
	PQconninfoOption *options = PQconninfo(conn), *o;
	struct buf b;
	int listed = 0;

	buf_init(&b);
	buf_adds(&b, "database_url");
	for (o = options; o != NULL && o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0' ||
		    (strcmp(o->keyword, "user") != 0 &&
			strcmp(o->keyword, "dbname") != 0))
			continue;
		buf_addf(&b, "%s%s=%s", listed++ == 0 ? " (" : " ", o->keyword,
		    o->val);
	}
	if (listed > 0)
		buf_addc(&b, ')');
	PQconninfoFree(options);
	return buf_detach(&b, NULL);
}

/* Report a failed start-up connection; returns the exit status, or 0. */
static int
report_db_failure(PGconn *conn, bool must_connect)
{
	char *msg, *setting, *newline;
	enum db_failure failure;
	int rc;

	msg = xstrdup(conn != NULL ? PQerrorMessage(conn) : "out of memory");
	newline = strchr(msg, '\n');
	if (newline != NULL)
		*newline = '\0';
	setting = conn != NULL ? describe_database_url(conn)
			       : xstrdup("database_url");
	failure = classify_db_failure(msg);

	if (failure == DB_REJECTED)
		fprintf(stderr, "bunnybookd: PostgreSQL rejects %s: %s\n",
		    setting, msg);
	else if (failure == DB_INVALID)
		fprintf(stderr, "bunnybookd: invalid %s: %s\n", setting, msg);
	else if (must_connect)
		fprintf(stderr, "bunnybookd: PostgreSQL is not reachable with "
				"%s: %s\n", setting, msg);
	else
		log_warn("PostgreSQL is not reachable yet with %s: %s; workers "
			 "will connect when it is", setting, msg);
	if (failure != DB_PASSING)
		rc = EXIT_CONFIG;
	else
		rc = must_connect ? 1 : 0;
	free(setting);
	free(msg);
	return rc;
}

/*
 * Connect once with database_url before a command starts.  A setting
 * that cannot work prints one line naming database_url and returns
 * EXIT_CONFIG.  A server that is down, starting or full is a passing
 * state.  With must_connect false (serve) it logs a warning and returns 0,
 * so the workers connect when the server is back, as after a restart.
 * With must_connect true it prints one line and returns 1.
 */
static int
check_database(const struct config *cfg, bool must_connect)
{
	const char *keys[] = { "dbname", "connect_timeout", NULL };
	const char *values[3];
	char timeout[16];
	PGconn *conn;
	int rc = 0;

	if (check_conninfo_syntax(cfg->database_url) == -1)
		return EXIT_CONFIG;
	snprintf(timeout, sizeof(timeout), "%d", cfg->db_connect_timeout_s);
	values[0] = cfg->database_url;
	values[1] = timeout;
	values[2] = NULL;
	/* expand_dbname, as db.c connects. */
	conn = PQconnectdbParams(keys, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		rc = report_db_failure(conn, must_connect);
	PQfinish(conn);
	return rc;
}

/*
 * The same check as the master's before it opens the socket, but naming
 * the key and returning EXIT_CONFIG: a directory bunnybookd may not write
 * or an address it may not bind is a setting to change.
 */
static int
check_listen(const struct config *cfg)
{
	if (master_listen_usable(cfg->listen))
		return 0;
	fprintf(stderr, "bunnybookd: cannot listen on %s (key listen): %s\n",
	    cfg->listen, strerror(errno));
	return EXIT_CONFIG;
}

/* `serve`: the metrics segment must exist before the first fork. */
static int
serve(struct config *cfg, const char *path, bool path_required)
{
	int rc;

	rc = check_listen(cfg);
	if (rc == 0)
		rc = check_database(cfg, false);
	if (rc != 0)
		return rc;
	if (metrics_init(routes, routes_count) == -1) {
		log_error("cannot map the metrics segment: %s", strerror(errno));
		return 1;
	}
	return master_run(cfg, path, path_required);
}

/* Rebuild Neo4j from PostgreSQL; 0 or -1. */
static int
sync_neo4j(const struct config *cfg)
{
	int rc;

	db_configure(cfg);
	/* Whole-graph statements need far longer than a request's call. */
	graph_neo4j_configure_timeout(cfg, SYNC_TIMEOUT_MS);
	rc = graph_neo4j_sync_all();
	db_close();
	neo4j_close();
	return rc;
}

static bool
uses_neo4j(const struct config *cfg)
{
	return strcmp(cfg->graph_backend, "neo4j") == 0;
}

/* `graph-sync`: rebuild Neo4j from PostgreSQL. */
static int
graph_sync(const struct config *cfg)
{
	int rc;

	if (!uses_neo4j(cfg)) {
		fprintf(stderr, "bunnybookd: graph-sync needs graph_backend = "
				"neo4j, not \"%s\"\n", cfg->graph_backend);
		return EXIT_CONFIG;
	}
	rc = check_database(cfg, true);
	if (rc != 0)
		return rc;
	return sync_neo4j(cfg) == 0 ? 0 : 1;
}

/* Migrations of the Neo4j side: the uniqueness constraint. */
static int
neo4j_constraint(const struct config *cfg)
{
	int rc;

	graph_neo4j_configure(cfg);
	rc = graph_neo4j_create_constraint();
	neo4j_close();
	return rc;
}

/* `migrate`: PostgreSQL's schema, then Neo4j's constraint. */
static int
migrate(const struct config *cfg)
{
	int rc;

	rc = check_database(cfg, true);
	if (rc != 0)
		return rc;
	if (migrate_run(cfg) == -1)
		return 1;
	if (uses_neo4j(cfg) && neo4j_constraint(cfg) == -1)
		return 1;
	return 0;
}

/* `import-graph FILE`: into PostgreSQL, then copied to Neo4j. */
static int
import(const struct config *cfg, const char *file)
{
	int rc;

	rc = check_database(cfg, true);
	if (rc != 0)
		return rc;
	if (import_graph(cfg, file) == -1)
		return 1;
	if (uses_neo4j(cfg) && sync_neo4j(cfg) == -1)
		return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH, *command = "serve";
	const char *argument = NULL;
	bool path_required = false;
	struct config cfg;
	char err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			path_required = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("bunnybookd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind < argc)
		command = argv[optind++];
	if (strcmp(command, "routes") == 0 && optind == argc) {
		print_routes();
		return 0;
	}
	if (optind < argc && strcmp(command, "import-graph") == 0)
		argument = argv[optind++];
	if (strcmp(command, "import-graph") == 0 && argument == NULL) {
		fprintf(stderr, "bunnybookd: import-graph needs a FILE\n");
		return EXIT_CONFIG;
	}
	if (optind < argc) {
		fprintf(stderr, "bunnybookd: unexpected argument \"%s\"\n",
		    argv[optind]);
		return EXIT_CONFIG;
	}

	if (config_load(&cfg, path, path_required, err, sizeof(err)) == -1) {
		fprintf(stderr, "bunnybookd: %s\n", err);
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	if (check_startup(&cfg, path, strcmp(command, "serve") == 0 ||
		strcmp(command, "check-config") == 0) == -1) {
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);

	if (strcmp(command, "serve") == 0)
		rc = serve(&cfg, path, path_required);
	else if (strcmp(command, "migrate") == 0)
		rc = migrate(&cfg);
	else if (strcmp(command, "import-graph") == 0)
		rc = import(&cfg, argument);
	else if (strcmp(command, "graph-sync") == 0)
		rc = graph_sync(&cfg);
	else if (strcmp(command, "check-config") == 0)
		rc = check_conninfo_syntax(cfg.database_url) == 0 ? 0
								  : EXIT_CONFIG;
	else {
		fprintf(stderr, "bunnybookd: unknown command \"%s\" (see "
				"bunnybookd --help)\n", command);
		rc = EXIT_CONFIG;
	}
	config_free(&cfg);
	curl_global_cleanup();
	return rc;
}
