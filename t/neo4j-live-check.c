/*
 * Checks neo4j_http.c against a real Neo4j named by NEO4J_URL, NEO4J_USER
 * and NEO4J_PASSWORD in the environment (t/070-neo4j-client.t starts one
 * with tools/neo4j.sh), then against a closed port, a port that never
 * responds and a fake HTTP server that replays canned responses.  Prints
 * TAP and exits non-zero when a check fails.  Without NEO4J_URL it skips
 * everything, so `make check` can run it.
 *
 * It writes Profile nodes with ids 900001..900003 and deletes them first.
 */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "neo4j_http.h"
#include "unit/tap.h"
#include "util.h"

#define ID_A 900001
#define ID_B 900002
#define ID_C 900003

/* Stored and read back as data; as Cypher text it would delete nodes. */
static const char injection[] = "x'}) DETACH DELETE n //";
static const char awkward[] =
    "\"quoted\" 'single' \\back\\slash {$a} \n\t caf\xc3\xa9 \xf0\x9f\x90\xb0";

static const char *url, *user, *password;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
configure(const char *base, const char *path, const char *pass,
    int max_retries, long timeout_ms)
{
	struct neo4j_config cfg = {
		.url = base,
		.path = path,
		.user = user,
		.password = pass,
		.connect_timeout_ms = 1000,
		.timeout_ms = timeout_ms,
		.max_retries = max_retries,
	};

	neo4j_configure(&cfg);
}

/* Run one statement; *results is set on NEO4J_OK (put it). */
static enum neo4j_status
run1(const char *statement, struct json_object *params,
    struct json_object **results, struct neo4j_error *error)
{
	return neo4j_run(&statement, &params, 1, results, error);
}

/* Run one statement and discard its rows. */
static enum neo4j_status
exec1(const char *statement, struct json_object *params,
    struct neo4j_error *error)
{
	struct json_object *results;
	enum neo4j_status status = run1(statement, params, &results, error);

	json_object_put(results);
	return status;
}

/* The single integer that statement returns, or -1. */
static int64_t
count_of(const char *statement, struct json_object *params)
{
	struct json_object *results;
	int64_t n = -1;

	if (run1(statement, params, &results, NULL) == NEO4J_OK &&
	    neo4j_cell_int64(results, 0, 0, 0, &n) != 0)
		n = -1;
	json_object_put(results);
	return n;
}

static struct json_object *
ids_param(void)
{
	struct json_object *params = json_object_new_object();
	struct json_object *ids = json_object_new_array();

	json_object_array_add(ids, json_object_new_int64(ID_A));
	json_object_array_add(ids, json_object_new_int64(ID_B));
	json_object_array_add(ids, json_object_new_int64(ID_C));
	json_object_object_add(params, "ids", ids);
	return params;
}

/* The major version of the server, or 0 when it cannot be read. */
static int
check_version(void)
{
	struct neo4j_error error;
	char version[64];
	enum neo4j_status status;

	status = neo4j_server_version(version, sizeof(version), &error);
	ok(status == NEO4J_OK, "server version is read (%s)",
	    status == NEO4J_OK ? version : error.message);
	if (status != NEO4J_OK)
		return 0;
	return (int)strtol(version, NULL, 10);
}

static void
check_constraint(int major)
{
	/* 5.x replaced the 3.x/4.x syntax. */
	const char *ddl = major >= 5
	    ? "CREATE CONSTRAINT profile_id IF NOT EXISTS "
	      "FOR (p:Profile) REQUIRE p.id IS UNIQUE"
	    : "CREATE CONSTRAINT ON (p:Profile) ASSERT p.id IS UNIQUE";
	struct neo4j_error error;
	enum neo4j_status status = exec1(ddl, NULL, &error);

	ok(status == NEO4J_OK ||
		(status == NEO4J_STATEMENT_ERROR &&
		    strstr(error.code, "AlreadyExists") != NULL),
	    "uniqueness constraint on Profile.id is created (%s %s)",
	    neo4j_status_name(status), error.code);
}

/* Delete leftovers, then MERGE two profiles and their friendship. */
static void
check_merge(void)
{
	const char *statements[] = {
		"MATCH (p:Profile) WHERE p.id IN $ids DETACH DELETE p",
		"MERGE (a:Profile {id: $a}) SET a.name = $name_a "
		"MERGE (b:Profile {id: $b}) SET b.name = $name_b, b.bio = $bio "
		"MERGE (a)-[:FRIEND]-(b)",
	};
	struct json_object *params[2], *results;
	struct neo4j_error error;
	enum neo4j_status status;

	params[0] = ids_param();
	params[1] = json_object_new_object();
	json_object_object_add(params[1], "a", json_object_new_int64(ID_A));
	json_object_object_add(params[1], "b", json_object_new_int64(ID_B));
	json_object_object_add(params[1], "name_a",
	    json_object_new_string("Ann"));
	json_object_object_add(params[1], "name_b",
	    json_object_new_string(injection));
	json_object_object_add(params[1], "bio",
	    json_object_new_string(awkward));

	status = neo4j_run(statements, params, 2, &results, &error);
	ok(status == NEO4J_OK,
	    "two profiles and a FRIEND edge are merged (%s %s)",
	    neo4j_status_name(status), error.message);
	ok(neo4j_row_count(results, 0) == 0 && neo4j_row_count(results, 1) == 0,
	    "write statements return one empty result each");
	json_object_put(results);

	status = neo4j_run(statements + 1, params + 1, 1, &results, &error);
	ok(status == NEO4J_OK, "merging the same data again succeeds");
	json_object_put(results);
	json_object_put(params[0]);
	json_object_put(params[1]);
}

static void
check_read_back(void)
{
	struct json_object *params = json_object_new_object(), *results;
	const char *name, *bio;
	size_t len = 0;
	int64_t id = 0;

	json_object_object_add(params, "a", json_object_new_int64(ID_A));
	ok(run1("MATCH (a:Profile {id: $a})-[:FRIEND]-(b:Profile) "
		"RETURN b.id, b.name, b.bio ORDER BY b.id",
	       params, &results, NULL) == NEO4J_OK,
	    "friends of the first profile are read");
	ok(neo4j_row_count(results, 0) == 1,
	    "the first profile has one friend");
	ok(neo4j_cell_int64(results, 0, 0, 0, &id) == 0 && id == ID_B,
	    "the friend is the second profile");
	name = neo4j_cell_string(results, 0, 0, 1, &len);
	ok(name != NULL && len == strlen(injection) &&
	    strcmp(name, injection) == 0,
	    "a name written as Cypher text comes back as the same data");
	bio = neo4j_cell_string(results, 0, 0, 2, &len);
	ok(bio != NULL && len == strlen(awkward) && strcmp(bio, awkward) == 0,
	    "quotes, backslashes, braces, newline and UTF-8 round-trip");
	json_object_put(results);
	json_object_put(params);

	params = ids_param();
	ok(count_of("MATCH (p:Profile) WHERE p.id IN $ids RETURN count(p)",
	       params) == 2, "both profiles still exist after the injection "
	    "string was stored");
	json_object_put(params);
}

static void
check_statement_errors(void)
{
	const char *statements[] = {
		"CREATE (:Profile {id: $c})",
		"RETRUN 1",
	};
	struct json_object *params[2], *results;
	struct neo4j_error error;
	enum neo4j_status status;

	status = exec1("RETRUN 1", NULL, &error);
	ok(status == NEO4J_STATEMENT_ERROR, "misspelled keyword is a "
	    "statement error (%s)", neo4j_status_name(status));
	ok(strcmp(error.code, "Neo.ClientError.Statement.SyntaxError") == 0,
	    "syntax error carries its code (%s)", error.code);
	ok(error.message[0] != '\0' && strchr(error.message, '\n') == NULL,
	    "syntax error message is one line");

	status = exec1("RETURN $missing", NULL, &error);
	ok(status == NEO4J_STATEMENT_ERROR, "missing parameter is a statement "
	    "error (%s)", error.code);

	params[0] = json_object_new_object();
	json_object_object_add(params[0], "id", json_object_new_int64(ID_A));
	status = exec1("CREATE (:Profile {id: $id})", params[0], &error);
	ok(status == NEO4J_STATEMENT_ERROR &&
	    strcmp(error.code, "Neo.ClientError.Schema."
			       "ConstraintValidationFailed") == 0,
	    "duplicate Profile.id violates the constraint (%s)", error.code);
	json_object_put(params[0]);

	params[0] = json_object_new_object();
	json_object_object_add(params[0], "c", json_object_new_int64(ID_C));
	params[1] = NULL;
	status = neo4j_run(statements, params, 2, &results, &error);
	ok(status == NEO4J_STATEMENT_ERROR && results == NULL,
	    "an error in the second statement fails the transaction");
	json_object_put(params[0]);
	params[0] = ids_param();
	ok(count_of("MATCH (p:Profile) WHERE p.id IN $ids RETURN count(p)",
	       params[0]) == 2, "the first statement's node was rolled back");
	json_object_put(params[0]);
}

static void
check_keep_alive(void)
{
	long before = neo4j_connection_count();
	int i, good = 0;

	for (i = 0; i < 20; i++)
		good += count_of("RETURN 1", NULL) == 1;
	ok(good == 20, "20 requests in a row succeed");
	ok(neo4j_connection_count() == before,
	    "20 requests reuse the open connection (%ld connections opened)",
	    neo4j_connection_count() - before);
	neo4j_close();
	ok(count_of("RETURN 1", NULL) == 1 &&
	    neo4j_connection_count() == before + 1,
	    "after neo4j_close() the next request opens a new connection");
}

static void
check_wrong_password(const char *path)
{
	struct neo4j_error error;
	char version[64], *wrong;
	size_t len = strlen(password) + 8;

	wrong = xmalloc(len);
	snprintf(wrong, len, "%s-wrong", password);
	configure(url, path, wrong, 2, 5000);
	free(wrong);
	ok(exec1("RETURN 1", NULL, &error) == NEO4J_AUTH_FAILED,
	    "wrong password fails the statement with NEO4J_AUTH_FAILED (%s)",
	    error.code);
	ok(neo4j_server_version(version, sizeof(version), &error) ==
	    NEO4J_AUTH_FAILED, "wrong password fails the version request");
}

/* A loopback TCP port; listening when listen_too, else closed again. */
static int
loopback_socket(int *port, int listen_too)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1 ||
	    (listen_too && listen(fd, 8) == -1)) {
		perror("loopback socket");
		exit(2);
	}
	*port = ntohs(sin.sin_port);
	if (!listen_too) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void
check_unreachable(void)
{
	char base[64];
	long long start, elapsed;
	struct neo4j_error error;
	enum neo4j_status status;
	int port, fd;

	loopback_socket(&port, 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	configure(base, NULL, password, 3, 5000);
	start = now_ms();
	status = exec1("RETURN 1", NULL, &error);
	elapsed = now_ms() - start;
	ok(status == NEO4J_UNAVAILABLE, "closed port is NEO4J_UNAVAILABLE (%s)",
	    error.message);
	ok(elapsed < 500, "closed port fails within 500 ms (%lld ms)",
	    elapsed);

	/* The kernel completes the handshake, but the request is never read. */
	fd = loopback_socket(&port, 1);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	configure(base, NULL, password, 3, 300);
	start = now_ms();
	status = exec1("RETURN 1", NULL, &error);
	elapsed = now_ms() - start;
	ok(status == NEO4J_UNAVAILABLE, "server that never answers is "
	    "NEO4J_UNAVAILABLE (%s)", error.message);
	ok(elapsed >= 250 && elapsed < 1500,
	    "the request gives up after timeout_ms = 300 (%lld ms)", elapsed);
	close(fd);
}

/* One canned HTTP response of the fake server. */
struct canned {
	const char *status;	/* "200 OK" */
	const char *body;
};

static const struct canned transient_reply = { "200 OK",
	"{\"results\":[],\"errors\":[{\"code\":\"Neo.TransientError."
	"Transaction.DeadlockDetected\",\"message\":\"deadlock\"}]}" };
static const struct canned success_reply = { "200 OK",
	"{\"results\":[{\"columns\":[\"n\"],\"data\":[{\"row\":[7]}]}],"
	"\"errors\":[]}" };
static const struct canned unavailable_reply = { "503 Service Unavailable",
	"{}" };
static const struct canned garbage_reply = { "200 OK", "not json!" };
static const struct canned unauthorized_reply = { "401 Unauthorized", "{}" };
static const struct canned not_found_reply = { "404 Not Found", "{}" };

/*
 * A fake server: a child process that responds to each request on a new
 * connection with the next of replies (the last one repeats) and writes
 * one byte per request to a pipe, so the parent can count requests.
 */
struct fake {
	pid_t pid;
	int count_fd;
	char url[64];
};

/* Read one request (headers and a Content-Length body) from fd. */
static void
read_request(int fd)
{
	char request[65536], *end, *field;
	size_t len = 0, want = 0;
	ssize_t got;

	while (len < sizeof(request) - 1 &&
	    (got = read(fd, request + len, sizeof(request) - 1 - len)) > 0) {
		len += (size_t)got;
		request[len] = '\0';
		end = strstr(request, "\r\n\r\n");
		if (end == NULL)
			continue;
		field = strcasestr(request, "\r\nContent-Length:");
		if (field != NULL && field < end)
			want = strtoul(field + 17, NULL, 10);
		if (len >= (size_t)(end + 4 - request) + want)
			return;
	}
}

/* Requests and seconds after which the fake server exits by itself. */
#define FAKE_MAX_REQUESTS 20
#define FAKE_MAX_SECONDS  30

static void
serve_fake(int listen_fd, int count_fd, const struct canned *const *replies,
    int n)
{
	char head[256];
	int i, fd;

	/* SIGALRM's default action ends the child if the parent is gone. */
	alarm(FAKE_MAX_SECONDS);
	for (i = 0; i < FAKE_MAX_REQUESTS; i++) {
		const struct canned *reply = replies[i < n ? i : n - 1];

		fd = accept(listen_fd, NULL, NULL);
		if (fd == -1)
			_exit(1);
		read_request(fd);
		(void)!write(count_fd, "r", 1);
		snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n"
		    "Content-Type: application/json\r\nConnection: close\r\n"
		    "Content-Length: %zu\r\n\r\n", reply->status,
		    strlen(reply->body));
		(void)!write(fd, head, strlen(head));
		(void)!write(fd, reply->body, strlen(reply->body));
		close(fd);
	}
}

static void
fake_start(struct fake *f, const struct canned *const *replies, int n)
{
	int port, listen_fd = loopback_socket(&port, 1), pipe_fds[2];

	if (pipe(pipe_fds) == -1) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	f->pid = fork();
	if (f->pid == -1) {
		perror("fork");
		exit(2);
	}
	if (f->pid == 0) {
		close(pipe_fds[0]);
		serve_fake(listen_fd, pipe_fds[1], replies, n);
		_exit(0);
	}
	close(listen_fd);
	close(pipe_fds[1]);
	f->count_fd = pipe_fds[0];
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", port);
}

/* Stop the fake server and return how many requests it served. */
static int
fake_stop(struct fake *f)
{
	char bytes[64];
	ssize_t got;
	int total = 0;

	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	while ((got = read(f->count_fd, bytes, sizeof(bytes))) > 0)
		total += (int)got;
	close(f->count_fd);
	return total;
}

/* Run RETURN 7 against a fake server; returns the status and request count. */
static enum neo4j_status
against_fake(const struct canned *const *replies, int n, int max_retries,
    int *requests, int64_t *value)
{
	struct json_object *results;
	enum neo4j_status status;
	struct fake f;

	fake_start(&f, replies, n);
	configure(f.url, NULL, password, max_retries, 5000);
	status = run1("RETURN 7", NULL, &results, NULL);
	if (status == NEO4J_OK && value != NULL)
		neo4j_cell_int64(results, 0, 0, 0, value);
	json_object_put(results);
	neo4j_close();
	*requests = fake_stop(&f);
	return status;
}

static void
check_fake_server(void)
{
	const struct canned *const two_transient[] = { &transient_reply,
		&transient_reply, &success_reply };
	const struct canned *const always_transient[] = { &transient_reply };
	const struct canned *const unavailable[] = { &unavailable_reply };
	const struct canned *const garbage[] = { &garbage_reply };
	const struct canned *const unauthorized[] = { &unauthorized_reply };
	const struct canned *const not_found[] = { &not_found_reply };
	enum neo4j_status status;
	int64_t value = 0;
	int requests;

	status = against_fake(two_transient, 3, 3, &requests, &value);
	ok(status == NEO4J_OK && value == 7 && requests == 3,
	    "two transient errors are retried, then the third try succeeds "
	    "(%s after %d requests)", neo4j_status_name(status), requests);
	status = against_fake(always_transient, 1, 2, &requests, NULL);
	ok(status == NEO4J_TRANSIENT_ERROR && requests == 3,
	    "max_retries = 2 stops after three tries (%s after %d requests)",
	    neo4j_status_name(status), requests);
	status = against_fake(unavailable, 1, 3, &requests, NULL);
	ok(status == NEO4J_UNAVAILABLE && requests == 1,
	    "HTTP 503 is NEO4J_UNAVAILABLE and not retried (%s, %d requests)",
	    neo4j_status_name(status), requests);
	status = against_fake(garbage, 1, 3, &requests, NULL);
	ok(status == NEO4J_BAD_RESPONSE && requests == 1,
	    "non-JSON 200 is NEO4J_BAD_RESPONSE (%s)",
	    neo4j_status_name(status));
	status = against_fake(unauthorized, 1, 3, &requests, NULL);
	ok(status == NEO4J_AUTH_FAILED, "HTTP 401 without a Neo4j body is "
	    "NEO4J_AUTH_FAILED (%s)", neo4j_status_name(status));
	status = against_fake(not_found, 1, 3, &requests, NULL);
	ok(status == NEO4J_BAD_RESPONSE, "HTTP 404 (wrong endpoint path) is "
	    "NEO4J_BAD_RESPONSE (%s)", neo4j_status_name(status));
}

int
main(void)
{
	const char *path;
	int major;

	url = getenv("NEO4J_URL");
	user = getenv("NEO4J_USER");
	password = getenv("NEO4J_PASSWORD");
	if (url == NULL || *url == '\0') {
		printf("1..0 # SKIP NEO4J_URL is not set; "
		       "t/070-neo4j-client.t sets it\n");
		return 0;
	}
	if (password == NULL || *password == '\0') {
		printf("Bail out! NEO4J_PASSWORD is not set; the checks need "
		       "a server with auth on\n");
		return 2;
	}

	configure(url, NULL, password, 2, 5000);
	major = check_version();
	path = major >= 4 ? NEO4J_PATH_V4 : NEO4J_PATH_V3;
	configure(url, path, password, 2, 5000);

	check_constraint(major);
	check_merge();
	check_read_back();
	check_statement_errors();
	check_keep_alive();
	/* Last against Neo4j: failed logins can rate-limit the account. */
	check_wrong_password(path);
	check_unreachable();
	check_fake_server();
	neo4j_close();
	return done_testing();
}
