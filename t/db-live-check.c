/*
 * Checks the prepared-statement path of db.c against the real PostgreSQL
 * named by DATABASE_URL (t/055-db-prepared.t passes the stack's).  Results
 * must equal the unprepared ones, also for a statement the server dropped
 * or can no longer run as prepared, after a lost connection, and beyond
 * the 64 statements a connection keeps prepared.  Prints TAP.  Without
 * DATABASE_URL it skips everything, so `make check` can run it.
 *
 * It works in temporary tables only, so it leaves nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "unit/tap.h"

/* More distinct statements than db.c prepares (64). */
#define MANY 70

static const char sql_pair[] = "SELECT $1::int + 1, $2::text || '!'";
static const char sql_row[] = "SELECT * FROM db_check WHERE id = $1::int";
static const char sql_ours[] =
    "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'bb\\_%'";
static char many[MANY][64];

/* The first column of the first row of sql run prepared, or "" on failure. */
static const char *
first(const char *sql, int n, const char *const *values, char *out,
    size_t size)
{
	PGresult *res = db_exec_prepared(sql, n, values, NULL);

	snprintf(out, size, "%s",
	    res != NULL && PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return out;
}

static int
plain(const char *sql)
{
	return db_command(sql, 0, NULL, NULL);
}

static void
check_results(void)
{
	const char *values[2] = { "41", "hop" };
	PGresult *res;
	char count[32];
	int same = 1, i;

	for (i = 0; i < 10; i++) {
		res = db_exec_prepared(sql_pair, 2, values, NULL);
		same = same && res != NULL && PQntuples(res) == 1 &&
		    strcmp(PQgetvalue(res, 0, 0), "42") == 0 &&
		    strcmp(PQgetvalue(res, 0, 1), "hop!") == 0;
		PQclear(res);
	}
	ok(same, "a prepared statement gives its result every time");
	values[0] = "1";
	res = db_exec_prepared(sql_pair, 2, values, NULL);
	ok(res != NULL && strcmp(PQgetvalue(res, 0, 0), "2") == 0,
	    "new parameter values give a new result");
	PQclear(res);
	ok(strcmp(first(sql_ours, 0, NULL, count, sizeof(count)), "2") == 0,
	    "the server holds the two statements run so far, prepared once "
	    "(%s)", count);
}

static void
check_dropped(void)
{
	const char *values[2] = { "9", "x" };
	char out[32];

	ok(plain("DEALLOCATE ALL") == 0, "the server forgets our statements");
	ok(strcmp(first(sql_pair, 2, values, out, sizeof(out)), "10") == 0,
	    "a statement the server forgot is prepared again");
	ok(strcmp(first(sql_ours, 0, NULL, out, sizeof(out)), "2") == 0,
	    "and the others too, each under its own name (%s)", out);
}

static void
check_changed_columns(void)
{
	const char *id[1] = { "1" };
	PGresult *res;

	ok(plain("CREATE TEMP TABLE db_check (id int, v int)") == 0 &&
	    plain("INSERT INTO db_check VALUES (1, 7)") == 0,
	    "a temporary table is made");
	res = db_exec_prepared(sql_row, 1, id, NULL);
	ok(res != NULL && PQnfields(res) == 2, "its row is read prepared");
	PQclear(res);

	ok(plain("ALTER TABLE db_check ADD COLUMN w text DEFAULT 'new'") == 0,
	    "a column is added, as a migration would");
	res = db_exec_prepared(sql_row, 1, id, NULL);
	ok(res != NULL && PQnfields(res) == 3 &&
	    strcmp(PQgetvalue(res, 0, 2), "new") == 0,
	    "the statement whose columns changed is prepared again and "
	    "retried");
	PQclear(res);

	/* Inside a transaction a retry is not safe: the caller sees it fail. */
	ok(plain("ALTER TABLE db_check DROP COLUMN w") == 0 && db_begin() == 0,
	    "the column is dropped again and a transaction begins");
	res = db_exec_prepared(sql_row, 1, id, NULL);
	ok(res == NULL, "inside a transaction the failure is reported");
	PQclear(res);
	db_rollback();
	res = db_exec_prepared(sql_row, 1, id, NULL);
	ok(res != NULL && PQnfields(res) == 2,
	    "after the rollback the statement runs again");
	PQclear(res);
	plain("DROP TABLE db_check");
}

static void
check_reconnect(void)
{
	const char *values[2] = { "99", "y" };
	char out[32];

	/* The server ends our session; the client sees it on the next call. */
	db_command("SELECT pg_terminate_backend(pg_backend_pid())", 0, NULL,
	    NULL);
	ok(strcmp(first(sql_pair, 2, values, out, sizeof(out)), "100") == 0,
	    "after the connection is lost the statement runs on a new one");
}

static void
check_many(void)
{
	char out[32], want[32];
	int i, right = 0;

	for (i = 0; i < MANY; i++)
		snprintf(many[i], sizeof(many[i]), "SELECT %d + $1::int", i);
	for (i = 0; i < MANY; i++) {
		const char *values[1] = { "1000" };

		snprintf(want, sizeof(want), "%d", i + 1000);
		right += strcmp(first(many[i], 1, values, out, sizeof(out)),
			     want) == 0;
	}
	ok(right == MANY, "%d statements give %d right results", MANY, right);
	ok(strcmp(first(sql_ours, 0, NULL, out, sizeof(out)), "64") == 0,
	    "at most 64 are prepared (%s)", out);
}

int
main(void)
{
	char *url = getenv("DATABASE_URL");
	struct config cfg = { 0 };

	if (url == NULL || *url == '\0') {
		printf("1..0 # SKIP DATABASE_URL is not set\n");
		return 0;
	}
	log_set_level(LOG_ERROR);
	cfg.database_url = url;
	cfg.db_statement_timeout_ms = 5000;
	cfg.db_connect_timeout_s = 3;
	db_configure(&cfg);

	check_results();
	check_dropped();
	check_changed_columns();
	check_reconnect();
	check_many();
	db_close();
	return done_testing();
}
