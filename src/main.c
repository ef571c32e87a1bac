/*
 * bunnybookd's entry point: parses the command line and the
 * configuration, then runs one subcommand (serve, migrate, check-config).
 * Start-up errors exit with status 2 and one line naming the problem.
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
	    "  check-config   validate the configuration and exit\n"
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
 * Refuse to start when PostgreSQL replies but rejects database_url (a
 * wrong password, an unknown role or database), because waiting would not
 * help.  A server that is down, starting or full is waited for instead,
 * as after a restart.  Returns 0, or -1 after printing one line.
 */
static int
check_database(const struct config *cfg)
{
	static const char *const transient[] = { "starting up",
		"shutting down", "recovery", "too many" };
	const char *keys[] = { "dbname", "connect_timeout", NULL };
	char timeout[16], *msg, *newline;
	const char *values[3];
	bool rejected;
	PGconn *conn;
	size_t i;

	snprintf(timeout, sizeof(timeout), "%d", cfg->db_connect_timeout_s);
	values[0] = cfg->database_url;
	values[1] = timeout;
	values[2] = NULL;
	conn = PQconnectdbParams(keys, values, 1);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK) {
		PQfinish(conn);
		return 0;
	}
	msg = xstrdup(conn != NULL ? PQerrorMessage(conn) : "out of memory");
	PQfinish(conn);
	/* libpq prefixes errors the server sent with their severity. */
	rejected = strstr(msg, "FATAL:") != NULL;
	for (i = 0; i < ARRAY_LEN(transient); i++)
		if (strstr(msg, transient[i]) != NULL)
			rejected = false;
	newline = strchr(msg, '\n');
	if (newline != NULL)
		*newline = '\0';
	if (rejected)
		fprintf(stderr, "bunnybookd: PostgreSQL rejects database_url: "
				"%s\n", msg);
	else
		log_warn("PostgreSQL is not reachable yet (%s); workers will "
			 "connect when it is", msg);
	free(msg);
	return rejected ? -1 : 0;
}

/* `serve`: the metrics segment must exist before the first fork. */
static int
serve(struct config *cfg, const char *path, bool path_required)
{
	if (check_database(cfg) == -1)
		return EXIT_CONFIG;
	if (metrics_init(routes, routes_count) == -1) {
		log_error("cannot map the metrics segment: %s", strerror(errno));
		return 1;
	}
	return master_run(cfg, path, path_required);
}

/* `graph-sync`: rebuild Neo4j from PostgreSQL. */
static int
sync_neo4j(const struct config *cfg)
{
	int rc;

	if (strcmp(cfg->graph_backend, "neo4j") != 0) {
		fprintf(stderr, "bunnybookd: graph-sync needs graph_backend = "
				"neo4j\n");
		return -1;
	}
	db_configure(cfg);
	/* Whole-graph statements need far longer than a request's call. */
	graph_neo4j_configure_timeout(cfg, SYNC_TIMEOUT_MS);
	rc = graph_neo4j_sync_all();
	db_close();
	neo4j_close();
	return rc;
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
		rc = migrate_run(&cfg) == 0 &&
			(strcmp(cfg.graph_backend, "neo4j") != 0 ||
			    neo4j_constraint(&cfg) == 0)
		    ? 0
		    : 1;
	else if (strcmp(command, "import-graph") == 0)
		rc = import_graph(&cfg, argument) == 0 &&
			(strcmp(cfg.graph_backend, "neo4j") != 0 ||
			    sync_neo4j(&cfg) == 0)
		    ? 0
		    : 1;
	else if (strcmp(command, "graph-sync") == 0)
		rc = sync_neo4j(&cfg) == 0 ? 0 : 1;
	else if (strcmp(command, "check-config") == 0)
		rc = 0;
	else {
		fprintf(stderr, "bunnybookd: unknown command \"%s\" (see "
				"bunnybookd --help)\n", command);
		rc = EXIT_CONFIG;
	}
	config_free(&cfg);
	curl_global_cleanup();
	return rc;
}
