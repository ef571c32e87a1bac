/*
 * Times a graph backend without HTTP in front and without the cache, for
 * bench/graph.sh.  It includes src/graph_pg.c and links src/graph_neo4j.c,
 * so the query text and the call path are exactly the server's.  For
 * PostgreSQL that is db_exec(), PQexecParams() on an unnamed statement
 * planned on every call with its parameters.  For Neo4j it is one POST to
 * the transactional endpoint on the kept-alive libcurl handle.
 *
 *   graph-timing postgres DATABASE_URL KIND PAIRS_FILE PASSES
 *   graph-timing neo4j NEO4J_URL KIND PAIRS_FILE PASSES
 *       KIND is suggestions, mutual or friends.  PAIRS_FILE has one
 *       "ID OTHER" line per call (two profile UUIDs; OTHER is used by
 *       mutual only).  One untimed pass warms the connection and the
 *       server's caches, then PASSES timed passes over the file print the
 *       wall time of each call in ms, one a line.  Neo4j's credentials come
 *       from the environment (NEO4J_USER, NEO4J_PASSWORD), not from the
 *       command line where other users could read them.
 *   graph-timing postgres DATABASE_URL explain ID
 *       Prints EXPLAIN (ANALYZE, BUFFERS) of the suggestions query for ID
 *       with the parameters of a first page of 20.
 *
 * Every call requests a first page of 20, the API's default page size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "graph_neo4j.h"
#include "graph_pg.c"
#include "log.h"
#include "metrics.h"
#include "neo4j_http.h"

#define PAGE_SIZE 20
#define MAX_PAIRS 100000

struct pair {
	char id[37];
	char other[37];
};

static const struct graph_backend *backend;

/* Does nothing: db.c counts queries for the server's /metrics, absent here. */
void
metrics_count(enum metrics_counter counter)
{
	(void)counter;
}

/*
 * Does nothing: graph_neo4j.c bumps cache generations after the writes it
 * replays, and this program only reads.
 */
void
cache_bump(const char *id)
{
	(void)id;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run one backend call of kind for pair.  Returns 0, or -1 when it failed. */
static int
call_backend(const char *kind, const struct pair *pair)
{
	struct graph_page page;
	int rc;

	if (strcmp(kind, "suggestions") == 0)
		rc = backend->suggestions(pair->id, -1, "", PAGE_SIZE, &page);
	else if (strcmp(kind, "mutual") == 0)
		rc = backend->mutual_friends(pair->id, pair->other, "",
		    PAGE_SIZE, &page);
	else
		rc = backend->friends(pair->id, "", PAGE_SIZE, &page);
	/* graph_page_free() lives in graph.c, which this program does not link. */
	if (rc == 0)
		free(page.items);
	return rc;
}

static int
read_pairs(const char *path, struct pair *pairs, int *count)
{
	FILE *f = fopen(path, "r");
	char line[128];

	if (f == NULL) {
		fprintf(stderr, "graph-timing: cannot open %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	*count = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (*count == MAX_PAIRS) {
			fprintf(stderr, "graph-timing: %s has more than %d "
			    "lines\n", path, MAX_PAIRS);
			fclose(f);
			return -1;
		}
		if (sscanf(line, "%36s %36s", pairs[*count].id,
			pairs[*count].other) != 2) {
			fprintf(stderr, "graph-timing: %s:%d: expected "
			    "\"ID OTHER\"\n", path, *count + 1);
			fclose(f);
			return -1;
		}
		(*count)++;
	}
	fclose(f);
	if (*count == 0) {
		fprintf(stderr, "graph-timing: %s is empty\n", path);
		return -1;
	}
	return 0;
}

static int
time_calls(const char *kind, const char *path, int passes)
{
	static struct pair pairs[MAX_PAIRS];
	int count, pass, i;

	if (read_pairs(path, pairs, &count) == -1)
		return 1;
	for (pass = 0; pass <= passes; pass++) {
		for (i = 0; i < count; i++) {
			double started = now_ms();

			if (call_backend(kind, &pairs[i]) == -1) {
				fprintf(stderr, "graph-timing: %s for %s "
				    "failed (the %s error is logged above)\n",
				    kind, pairs[i].id, backend->name);
				return 1;
			}
			/* Pass 0 is the warm-up. */
			if (pass > 0)
				printf("%.3f\n", now_ms() - started);
		}
	}
	return 0;
}

static int
explain_suggestions(const char *id)
{
	const char *params[4] = { id, "-1", "", "20" };
	struct buf sql;
	PGresult *res;
	int i;

	buf_init(&sql);
	buf_adds(&sql, "EXPLAIN (ANALYZE, BUFFERS) ");
	buf_adds(&sql, sql_suggestions);
	res = db_exec(sql.data, 4, params, NULL);
	buf_free(&sql);
	if (res == NULL)
		return 1;
	for (i = 0; i < PQntuples(res); i++)
		printf("%s\n", PQgetvalue(res, i, 0));
	PQclear(res);
	return 0;
}

/* Connect to PostgreSQL with the server's defaults for the timeouts. */
static void
use_postgres(char *database_url)
{
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.database_url = database_url;
	cfg.db_statement_timeout_ms = 5000;
	cfg.db_connect_timeout_s = 3;
	db_configure(&cfg);
	backend = &graph_pg_backend;
}

/* Point the Neo4j client at url with the server's default timeouts. */
static void
use_neo4j(const char *url)
{
	struct neo4j_config cfg = {
		.url = url,
		.path = NEO4J_PATH_V3,
		.user = getenv("NEO4J_USER"),
		.password = getenv("NEO4J_PASSWORD"),
		.connect_timeout_ms = 3000,
		.timeout_ms = 3000,
		.max_retries = 2,
	};

	neo4j_configure(&cfg);
	backend = &graph_neo4j_backend;
}

static int
usage(const char *program)
{
	fprintf(stderr, "usage: %s postgres DATABASE_URL "
	    "suggestions|mutual|friends PAIRS_FILE PASSES\n"
	    "       %s neo4j NEO4J_URL "
	    "suggestions|mutual|friends PAIRS_FILE PASSES\n"
	    "       %s postgres DATABASE_URL explain ID\n",
	    program, program, program);
	return 2;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 5)
		return usage(argv[0]);
	/* Keep the output to the timings: no "PostgreSQL connected" lines. */
	log_set_level(LOG_WARN);
	if (strcmp(argv[1], "postgres") == 0)
		use_postgres(argv[2]);
	else if (strcmp(argv[1], "neo4j") == 0)
		use_neo4j(argv[2]);
	else
		return usage(argv[0]);

	if (strcmp(argv[3], "explain") == 0 && backend == &graph_pg_backend)
		return explain_suggestions(argv[4]);
	if (argc != 6 || (strcmp(argv[3], "suggestions") != 0 &&
	    strcmp(argv[3], "mutual") != 0 && strcmp(argv[3], "friends") != 0))
		return usage(argv[0]);
	rc = time_calls(argv[3], argv[4], atoi(argv[5]));
	if (backend == &graph_neo4j_backend)
		neo4j_close();
	return rc;
}
