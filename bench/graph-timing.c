/*
 * Times the PostgreSQL graph backend without HTTP and without the cache,
 * for bench/graph.sh.  It includes src/graph_pg.c, so the SQL text and the
 * call path (db_exec(), that is PQexecParams() on an unnamed statement,
 * planned on every call with its parameters) are exactly the server's.
 *
 *   graph-timing DATABASE_URL suggestions|mutual|friends PAIRS_FILE PASSES
 *       PAIRS_FILE has one "ID OTHER" line per call (two profile UUIDs;
 *       OTHER is used by mutual only).  One untimed pass warms the
 *       connection and PostgreSQL's buffers, then PASSES timed passes
 *       over the file print the wall time of each call in ms, one a line.
 *   graph-timing DATABASE_URL explain ID
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

#include "graph_pg.c"
#include "log.h"
#include "metrics.h"

#define PAGE_SIZE 20
#define MAX_PAIRS 100000

struct pair {
	char id[37];
	char other[37];
};

/* Does nothing: db.c counts queries for the server's /metrics, absent here. */
void
metrics_count(enum metrics_counter counter)
{
	(void)counter;
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
		rc = graph_pg_backend.suggestions(pair->id, -1, "", PAGE_SIZE,
		    &page);
	else if (strcmp(kind, "mutual") == 0)
		rc = graph_pg_backend.mutual_friends(pair->id, pair->other, "",
		    PAGE_SIZE, &page);
	else
		rc = graph_pg_backend.friends(pair->id, "", PAGE_SIZE, &page);
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
				    "failed (the PostgreSQL error is logged "
				    "above)\n", kind, pairs[i].id);
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

int
main(int argc, char **argv)
{
	struct config cfg;

	if (argc < 4) {
		fprintf(stderr, "usage: %s DATABASE_URL "
		    "suggestions|mutual|friends PAIRS_FILE PASSES\n"
		    "       %s DATABASE_URL explain ID\n", argv[0], argv[0]);
		return 2;
	}
	/* Keep the output to the timings: no "PostgreSQL connected" lines. */
	log_set_level(LOG_WARN);
	memset(&cfg, 0, sizeof(cfg));
	cfg.database_url = argv[1];
	/* The server's defaults for these two settings. */
	cfg.db_statement_timeout_ms = 5000;
	cfg.db_connect_timeout_s = 3;
	db_configure(&cfg);

	if (strcmp(argv[2], "explain") == 0)
		return explain_suggestions(argv[3]);
	if (argc != 5 || (strcmp(argv[2], "suggestions") != 0 &&
	    strcmp(argv[2], "mutual") != 0 && strcmp(argv[2], "friends") != 0)) {
		fprintf(stderr, "graph-timing: expected suggestions, mutual or "
		    "friends, a pairs file and a number of passes\n");
		return 2;
	}
	return time_calls(argv[2], argv[3], atoi(argv[4]));
}
