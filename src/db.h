/*
 * The worker's one PostgreSQL connection.  It is opened lazily and
 * re-established transparently: a statement that fails because the
 * connection was lost (a PostgreSQL restart) is retried once on a new
 * connection, unless it ran inside a transaction.
 */
#ifndef BUNNYBOOK_DB_H
#define BUNNYBOOK_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "config.h"

/* SQLSTATE codes the product code reacts to. */
#define SQLSTATE_UNIQUE_VIOLATION	"23505"
#define SQLSTATE_FOREIGN_KEY_VIOLATION	"23503"
#define SQLSTATE_SERIALIZATION_FAILURE	"40001"
#define SQLSTATE_DEADLOCK_DETECTED	"40P01"

/* SQL text formatting a timestamptz column as the API's UTC time. */
#define SQL_ISO_TIME(col)                                                 \
	"to_char(" col " AT TIME ZONE 'UTC', "                             \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* Remember the settings; no connection is made yet. */
void db_configure(const struct config *cfg);
void db_close(void);

/*
 * Run sql with n text parameters (NULL for SQL NULL).  Returns a result
 * whose status is PGRES_COMMAND_OK or PGRES_TUPLES_OK, which the caller
 * must PQclear().  Returns NULL on any failure after logging it; sqlstate,
 * when not NULL, receives the five-character SQLSTATE ("" when the server
 * was not reached).
 */
PGresult *db_exec(const char *sql, int n, const char *const *values,
    char sqlstate[6]);

/* Run a statement whose result is not needed; 0 or -1. */
int db_command(const char *sql, int n, const char *const *values,
    char sqlstate[6]);

/*
 * Like db_exec and db_command, for the statements of hot paths.  The
 * statement is prepared once per connection and then run by name, so
 * PostgreSQL parses it once and may keep a generic plan.  Use these only
 * where a plan that ignores the parameter values is as good as one made
 * for them (lookups by key, function calls).  sql must live as long as
 * the process (a static array): it is remembered by address, and at most
 * 64 statements are prepared (others run unprepared).  A statement the
 * server lost or can no longer run as prepared (DISCARD ALL, a migration
 * that changed its columns) is prepared again and retried once outside a
 * transaction.
 */
PGresult *db_exec_prepared(const char *sql, int n, const char *const *values,
    char sqlstate[6]);
int db_command_prepared(const char *sql, int n, const char *const *values,
    char sqlstate[6]);

/* Constraint named by the last failed statement's error, or "". */
const char *db_error_constraint(void);

int db_begin(void);
int db_commit(void);
/* Roll back if a transaction is open; safe to call on any path. */
void db_rollback(void);

/* True when a trivial query succeeds (readiness). */
bool db_ping(void);

/* The raw connection for start-up tools (migrate); NULL when down. */
PGconn *db_connection(void);

#endif
