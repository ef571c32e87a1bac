/*
 * A client for Neo4j's HTTP transactional Cypher endpoint, the transport
 * under the Neo4j friend-graph backend.  Each call sends
 *
 *   POST {url}{path}
 *   {"statements":[{"statement":"...","parameters":{...}}, ...]}
 *
 * and every statement of one call runs in one transaction, which the
 * server commits or, on the first error, rolls back whole.  The endpoint
 * path is /db/data/transaction/commit on Neo4j 3.x and
 * /db/neo4j/tx/commit (the database name in the path) on 4.x and 5.x.
 * Request and response bodies are the same on all three.
 *
 * Cypher text is always constant and values travel only as parameters
 * ($name in the text, a json-c object of name -> value): never paste a
 * value into a statement.
 *
 * One libcurl easy handle per process keeps the connection alive between
 * calls.  The handle is created on first use, so a prefork master that
 * configures before fork() and never calls neo4j_run() hands each worker
 * a clean state.  A process that did use it calls neo4j_close() in the
 * child.  Not thread-safe: one caller at a time.
 */
#ifndef BUNNYBOOK_NEO4J_HTTP_H
#define BUNNYBOOK_NEO4J_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define NEO4J_PATH_V3 "/db/data/transaction/commit"
#define NEO4J_PATH_V4 "/db/neo4j/tx/commit"

/* Larger responses are rejected as NEO4J_BAD_RESPONSE. */
#define NEO4J_MAX_RESPONSE_BYTES (16 * 1024 * 1024)
/* Upper bound for neo4j_config.max_retries. */
#define NEO4J_MAX_RETRIES_LIMIT 5

struct neo4j_config {
	/* "http://127.0.0.1:7474"; a trailing / is dropped.  It appears in
	 * log lines, so credentials go in user and password, not here. */
	const char *url;
	const char *path;	/* NEO4J_PATH_V3 or NEO4J_PATH_V4; NULL: V3 */
	const char *user;	/* NULL or "": no Authorization header */
	const char *password;
	long connect_timeout_ms;	/* <= 0: 1000 */
	long timeout_ms;		/* whole request; <= 0: 5000 */
	int max_retries;	/* after a transient error; clamped to 0..5 */
};

enum neo4j_status {
	NEO4J_OK,
	/* Connection refused or failed, timed out, or HTTP 5xx. */
	NEO4J_UNAVAILABLE,
	/* HTTP 401 or 403, or a Neo.ClientError.Security.* code. */
	NEO4J_AUTH_FAILED,
	/* Neo.ClientError.*: invalid Cypher, a constraint violation, a
	 * missing parameter.  Retrying the same request fails again. */
	NEO4J_STATEMENT_ERROR,
	/* Neo.TransientError.* (deadlock, lock timeout, database briefly
	 * unavailable) on every attempt; the transaction was rolled back. */
	NEO4J_TRANSIENT_ERROR,
	/* Neo.DatabaseError.* or an error code of no known class. */
	NEO4J_DATABASE_ERROR,
	/* Not JSON, the wrong shape, an unexpected HTTP status, a wrong
	 * number of results, or larger than NEO4J_MAX_RESPONSE_BYTES. */
	NEO4J_BAD_RESPONSE,
};

/*
 * Detail of a failed call.  code is the first Neo4j error code
 * ("Neo.ClientError.Schema.ConstraintValidationFailed"), or "" when the
 * failure was not reported by Neo4j (a timeout, HTTP 503, a bad body).
 * message is one line (control characters become spaces), truncated to
 * fit; it may contain parameter values that Neo4j quotes back, but never
 * the password.
 */
struct neo4j_error {
	char code[128];
	char message[512];
};

/*
 * The parsed body of a transactional response.  On NEO4J_OK, results is a
 * new reference to the body's results[] array, which the caller releases
 * with json_object_put(); on every other status it is NULL.
 */
struct neo4j_response {
	struct json_object *results;
	struct neo4j_error error;
};

/*
 * Copy cfg (strings included) into this module and close any open
 * connection.  url must be non-NULL.  Call again to change settings.
 */
void neo4j_configure(const struct neo4j_config *cfg);

/* Close the connection and release the handle; neo4j_run() reopens it. */
void neo4j_close(void);

/*
 * Run n statements (1 <= n) in one transaction.  statements[i] is Cypher
 * with $name parameters, and parameters[i] is a json-c object of their
 * values or NULL for none.  parameters itself may be NULL when no
 * statement has any.  Both are borrowed: the caller keeps its references.
 *
 * A Neo.TransientError.* reply is retried up to max_retries times with a
 * backoff that starts at 50 ms and doubles, plus up to half again of
 * jitter.  Nothing else is retried, so
 * a timeout never sends a transaction twice.  libcurl itself resends a
 * request once when a reused connection closes before any byte of the
 * response arrives.
 *
 * On NEO4J_OK, *results is results[] with one element per statement and
 * the caller puts it.  Otherwise *results is NULL and error (which may be
 * NULL) describes the failure.  Every failure is also logged, without the
 * password.  Unavailability and authentication failures are logged at
 * most once per 5 s each.
 */
enum neo4j_status neo4j_run(const char *const *statements,
    struct json_object *const *parameters, int n,
    struct json_object **results, struct neo4j_error *error);

/*
 * Store the server's version ("3.1.1") in out: from GET {url}/ on 4.x and
 * 5.x, else from GET {url}/db/data/ on 3.x, both with the credentials.
 * Returns NEO4J_OK, or a failure status as neo4j_run() does, and never
 * retries.
 */
enum neo4j_status neo4j_server_version(char *out, size_t len,
    struct neo4j_error *error);

/*
 * Parse the body of a transactional response without any I/O.  body need
 * not be NUL-terminated and may hold any bytes; len is its size.  errors[]
 * is checked before results[], because a failed request can carry the
 * results of the statements that ran before the error.  On success
 * results[] must have exactly expected_results elements (pass -1 to skip
 * that check), each an object with a data[] array of objects that hold a
 * row[] array.  Returns the status and fills out (see struct
 * neo4j_response).  Malformed input of any kind yields
 * NEO4J_BAD_RESPONSE; the unit test also feeds it 50000 mutated bodies.
 */
enum neo4j_status neo4j_parse_response(const char *body, size_t len,
    int expected_results, struct neo4j_response *out);

/*
 * Parse a discovery document (GET / on 4.x and 5.x, GET /db/data/ on
 * 3.x) and copy its printable "neo4j_version" string into out.  Returns
 * NEO4J_OK, or NEO4J_BAD_RESPONSE when the body has no such string or it
 * does not fit in outlen bytes.
 */
enum neo4j_status neo4j_parse_version(const char *body, size_t len,
    char *out, size_t outlen);

/* A constant name for status, "NEO4J_OK" etc., for logs and tests. */
const char *neo4j_status_name(enum neo4j_status status);

/*
 * Readers of results[] as returned by neo4j_run().  Indices are
 * statement, row (results[statement].data[row]) and column
 * (...row[column]).  An index out of range or a value of another type
 * gives false, -1 or NULL as each function states.
 */

/* The number of rows of statement, or -1 when there is no such statement. */
int neo4j_row_count(struct json_object *results, int statement);

/*
 * Set *value to a borrowed reference to the cell, which is NULL for a JSON
 * null.  Returns false when the cell does not exist.
 */
bool neo4j_cell(struct json_object *results, int statement, int row,
    int column, struct json_object **value);

/*
 * The cell as a string borrowed from results, or NULL when it is absent or
 * not a string.  When len is non-NULL it receives the length, which
 * exceeds strlen() when the value contains NUL characters.
 */
const char *neo4j_cell_string(struct json_object *results, int statement,
    int row, int column, size_t *len);

/*
 * Store the cell in *out when it is a JSON integer that fits int64_t and
 * return 0; return -1 when it is absent, null, a float, or above
 * INT64_MAX.
 *
 * NOTE: json-c 0.16 saturates an integer below INT64_MIN to INT64_MIN
 * while parsing, so such a value reads as INT64_MIN.  Neo4j sends Java
 * longs, which always fit.
 */
int neo4j_cell_int64(struct json_object *results, int statement, int row,
    int column, int64_t *out);

/*
 * The number of TCP connections the handle has opened since
 * neo4j_configure(); stays the same across calls when keep-alive works.
 */
long neo4j_connection_count(void);

#endif
