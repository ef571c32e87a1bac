/*
 * Owns the worker's PostgreSQL connection: connecting, the per-session
 * settings, reconnecting after a loss and the single retry.  No SQL of any
 * product lives here.
 */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

static PGconn *conn;
static char *conninfo;
static int statement_timeout_ms = 5000;
static int connect_timeout_s = 3;
static bool in_transaction;
static long long last_failed_connect_ms;
static struct log_limiter connect_limiter;
static char error_constraint[64];

/*
 * Statements prepared on the current connection, by the address of their
 * text; statement i is named "bb_i".  Emptied when the connection closes.
 * stale_prepared requests DEALLOCATE ALL before the next statement.  It is
 * set when the server lost or invalidated one of ours inside a transaction.
 */
#define PREPARED_MAX 64
static const char *prepared[PREPARED_MAX];
static int n_prepared;
static bool stale_prepared;

/* Do not hammer a PostgreSQL that is down: one attempt per interval. */
#define RECONNECT_INTERVAL_MS 250

static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
db_configure(const struct config *cfg)
{
	free(conninfo);
	conninfo = xstrdup(cfg->database_url);
	statement_timeout_ms = cfg->db_statement_timeout_ms;
	connect_timeout_s = cfg->db_connect_timeout_s;
}

void
db_close(void)
{
	if (conn != NULL)
		PQfinish(conn);
	conn = NULL;
	in_transaction = false;
	n_prepared = 0;
	stale_prepared = false;
}

/* Open a new connection with our session settings; 0 or -1. */
static int
db_connect(void)
{
	char timeout[16], settings[96];
	const char *keys[] = { "dbname", "connect_timeout", "options",
		"application_name", NULL };
	const char *values[] = { conninfo, timeout, settings, "bunnybookd",
		NULL };
	long long now = monotonic_ms();

	db_close();
	if (last_failed_connect_ms != 0 &&
	    now - last_failed_connect_ms < RECONNECT_INTERVAL_MS)
		return -1;
	snprintf(timeout, sizeof(timeout), "%d", connect_timeout_s);
	snprintf(settings, sizeof(settings),
	    "-c statement_timeout=%d -c timezone=UTC", statement_timeout_ms);
	/* expand_dbname lets database_url be a conninfo string or a URI. */
	conn = PQconnectdbParams(keys, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		metrics_count(METRICS_DB_ERRORS);
		log_limited(&connect_limiter, 5000, LOG_ERROR,
		    "PostgreSQL connection failed: %s",
		    conn ? PQerrorMessage(conn) : "out of memory");
		db_close();
		last_failed_connect_ms = now;
		return -1;
	}
	last_failed_connect_ms = 0;
	log_info("PostgreSQL connected (server %d)", PQserverVersion(conn));
	return 0;
}

PGconn *
db_connection(void)
{
	if ((conn == NULL || PQstatus(conn) != CONNECTION_OK) && db_connect())
		return NULL;
	return conn;
}

/* Forget our prepared statements, on the server too. */
static void
forget_prepared(void)
{
	PGresult *res = PQexec(conn, "DEALLOCATE ALL");

	stale_prepared = PQresultStatus(res) != PGRES_COMMAND_OK;
	PQclear(res);
	n_prepared = 0;
}

/* Index of sql among the prepared statements, preparing it if needed. */
static int
prepared_index(const char *sql, int n, PGresult **error)
{
	char name[16];
	PGresult *res;
	int i;

	*error = NULL;
	for (i = 0; i < n_prepared; i++)
		if (prepared[i] == sql)
			return i;
	if (n_prepared == PREPARED_MAX)
		return -1;
	snprintf(name, sizeof(name), "bb_%d", n_prepared);
	res = PQprepare(conn, name, sql, n, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*error = res;
		return -1;
	}
	PQclear(res);
	prepared[n_prepared] = sql;
	return n_prepared++;
}

static PGresult *
exec_once(const char *sql, int n, const char *const *values, bool prepare)
{
	PGresult *error;
	char name[16];
	int i;

	if (db_connection() == NULL)
		return NULL;
	if (stale_prepared && !in_transaction)
		forget_prepared();
	if (!prepare || stale_prepared)
		return PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
	i = prepared_index(sql, n, &error);
	if (error != NULL)
		return error;
	if (i == -1)
		return PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
	snprintf(name, sizeof(name), "bb_%d", i);
	return PQexecPrepared(conn, name, n, values, NULL, NULL, 0);
}

static bool
result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/*
 * True when res failed because the server no longer has one of our
 * prepared statements (a pooler or DISCARD ALL dropped it) or can no
 * longer run it (a migration changed the columns it returns).
 */
static bool
prepared_lost(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL && (strcmp(state, "26000") == 0 ||
	    strcmp(state, "0A000") == 0 || strcmp(state, "42P05") == 0);
}

/*
 * Run sql once, and once more when that is safe and may help: the
 * connection was lost between requests, or our prepared statements were.
 */
static PGresult *
exec_retrying(const char *sql, int n, const char *const *values,
    bool prepare)
{
	PGresult *res = exec_once(sql, n, values, prepare);

	if (res != NULL && result_ok(res))
		return res;
	if (prepare && res != NULL && prepared_lost(res)) {
		stale_prepared = true;
		if (in_transaction)
			return res;
		PQclear(res);
		return exec_once(sql, n, values, prepare);
	}
	if (!in_transaction &&
	    (conn == NULL || PQstatus(conn) == CONNECTION_BAD)) {
		PQclear(res);
		last_failed_connect_ms = 0;
		res = exec_once(sql, n, values, prepare);
	}
	return res;
}

static PGresult *
run(const char *sql, int n, const char *const *values, char sqlstate[6],
    bool prepare)
{
	PGresult *res = exec_retrying(sql, n, values, prepare);
	const char *state;

	if (sqlstate != NULL)
		sqlstate[0] = '\0';
	if (res != NULL && result_ok(res))
		return res;

	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(error_constraint, sizeof(error_constraint), "%s",
	    res && PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)
		? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)
		: "");
	if (sqlstate != NULL && state != NULL)
		snprintf(sqlstate, 6, "%s", state);
	/* Constraint violations are expected results, not errors to log. */
	if (state == NULL || strncmp(state, "23", 2) != 0) {
		metrics_count(METRICS_DB_ERRORS);
		log_error("PostgreSQL statement failed (SQLSTATE %s): %s",
		    state ? state : "none",
		    res ? PQresultErrorMessage(res)
			: (conn ? PQerrorMessage(conn) : "no connection"));
	}
	PQclear(res);
	if (conn != NULL && PQstatus(conn) == CONNECTION_BAD)
		in_transaction = false;
	return NULL;
}

PGresult *
db_exec(const char *sql, int n, const char *const *values, char sqlstate[6])
{
	return run(sql, n, values, sqlstate, false);
}

PGresult *
db_exec_prepared(const char *sql, int n, const char *const *values,
    char sqlstate[6])
{
	return run(sql, n, values, sqlstate, true);
}

const char *
db_error_constraint(void)
{
	return error_constraint;
}

/* Clear the result of a statement whose rows are not needed; 0 or -1. */
static int
discard_result(PGresult *res)
{
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_command(const char *sql, int n, const char *const *values,
    char sqlstate[6])
{
	return discard_result(db_exec(sql, n, values, sqlstate));
}

int
db_command_prepared(const char *sql, int n, const char *const *values,
    char sqlstate[6])
{
	return discard_result(db_exec_prepared(sql, n, values, sqlstate));
}

int
db_begin(void)
{
	if (db_command("BEGIN", 0, NULL, NULL) == -1)
		return -1;
	in_transaction = true;
	return 0;
}

int
db_commit(void)
{
	int rc = db_command("COMMIT", 0, NULL, NULL);

	in_transaction = false;
	return rc;
}

void
db_rollback(void)
{
	if (!in_transaction)
		return;
	in_transaction = false;
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		PQclear(PQexec(conn, "ROLLBACK"));
}

bool
db_ping(void)
{
	PGresult *res = db_exec("SELECT 1", 0, NULL, NULL);

	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}
