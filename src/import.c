/*
 * Bulk import of a friend graph from an edge list, for tests, benchmarks
 * and demo data.  Each batch is one transaction of two statements over
 * arrays, so the 88,234-edge graph loads in seconds.
 */
#include "import.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "util.h"

#define BATCH_EDGES 5000

static const char sql_profiles[] =
    "INSERT INTO profiles (id, username, email, password_hash,"
    " avatar_identifier)"
    " SELECT " IMPORT_PROFILE_ID_SQL("n") ", 'fb' || n,"
    "  'fb' || n || '@import.invalid', '!imported', 'fb' || n"
    " FROM unnest($1::text[]) AS n"
    " ON CONFLICT DO NOTHING";
static const char sql_friendships[] =
    "INSERT INTO friendships (profile_id, friend_id, friend_username)"
    " SELECT pa.id, pb.id, pb.username"
    " FROM unnest($1::text[], $2::text[]) AS e(a, b)"
    " JOIN profiles pa ON pa.id = " IMPORT_PROFILE_ID_SQL("e.a")
    " JOIN profiles pb ON pb.id = " IMPORT_PROFILE_ID_SQL("e.b")
    " WHERE e.a <> e.b"
    " UNION ALL"
    " SELECT pb.id, pa.id, pa.username"
    " FROM unnest($1::text[], $2::text[]) AS e(a, b)"
    " JOIN profiles pa ON pa.id = " IMPORT_PROFILE_ID_SQL("e.a")
    " JOIN profiles pb ON pb.id = " IMPORT_PROFILE_ID_SQL("e.b")
    " WHERE e.a <> e.b"
    " ON CONFLICT DO NOTHING";

struct batch {
	struct buf a, b, ids;
	int edges;
};

static void
batch_reset(struct batch *batch)
{
	buf_reset(&batch->a);
	buf_reset(&batch->b);
	buf_reset(&batch->ids);
	buf_adds(&batch->a, "{");
	buf_adds(&batch->b, "{");
	buf_adds(&batch->ids, "{");
	batch->edges = 0;
}

static int
batch_flush(struct batch *batch)
{
	const char *profile_params[1];
	const char *edge_params[2];

	if (batch->edges == 0)
		return 0;
	buf_adds(&batch->a, "}");
	buf_adds(&batch->b, "}");
	buf_adds(&batch->ids, "}");
	profile_params[0] = batch->ids.data;
	edge_params[0] = batch->a.data;
	edge_params[1] = batch->b.data;
	if (db_begin() == -1 ||
	    db_command(sql_profiles, 1, profile_params, NULL) == -1 ||
	    db_command(sql_friendships, 2, edge_params, NULL) == -1 ||
	    db_commit() == -1) {
		db_rollback();
		return -1;
	}
	batch_reset(batch);
	return 0;
}

/* Parse "A B" into two digit strings; 0, 1 for a blank line, -1. */
static int
parse_edge(char *line, char **a, char **b)
{
	char *save = NULL, *extra;

	*a = strtok_r(line, " \t\r\n", &save);
	if (*a == NULL || **a == '#')
		return 1;
	*b = strtok_r(NULL, " \t\r\n", &save);
	extra = strtok_r(NULL, " \t\r\n", &save);
	if (*b == NULL || extra != NULL || strlen(*a) > 12 || strlen(*b) > 12)
		return -1;
	for (char *p = *a; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	for (char *p = *b; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	return 0;
}

static void
batch_add(struct batch *batch, const char *a, const char *b)
{
	const char *sep = batch->edges ? "," : "";

	buf_addf(&batch->a, "%s%s", sep, a);
	buf_addf(&batch->b, "%s%s", sep, b);
	buf_addf(&batch->ids, "%s%s,%s", sep, a, b);
	batch->edges++;
}

int
import_graph(const struct config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	struct batch batch;
	char line[256];
	long lineno = 0, edges = 0;
	time_t started = time(NULL);
	int rc = 0;

	if (f == NULL) {
		log_error("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	db_configure(cfg);
	/* Batches may run longer than a request is allowed to. */
	if (db_command("SET statement_timeout = 0", 0, NULL, NULL) == -1) {
		fclose(f);
		return -1;
	}
	buf_init(&batch.a);
	buf_init(&batch.b);
	buf_init(&batch.ids);
	batch_reset(&batch);
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *a, *b;
		int parsed;

		lineno++;
		parsed = parse_edge(line, &a, &b);
		if (parsed == 1)
			continue;
		if (parsed == -1) {
			log_error("%s:%ld: expected two integer ids \"A B\"",
			    path, lineno);
			rc = -1;
			break;
		}
		batch_add(&batch, a, b);
		edges++;
		if (batch.edges == BATCH_EDGES)
			rc = batch_flush(&batch);
	}
	if (rc == 0)
		rc = batch_flush(&batch);
	fclose(f);
	buf_free(&batch.a);
	buf_free(&batch.b);
	buf_free(&batch.ids);
	if (rc == 0)
		log_info("imported %ld edges from %s in %ld s", edges, path,
		    (long)(time(NULL) - started));
	db_close();
	return rc;
}
