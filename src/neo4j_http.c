/*
 * The Neo4j HTTP client declared in neo4j_http.h: builds the statements
 * body with json-c, sends it on the process's one libcurl handle and
 * classifies the reply.  The parsers and cell readers do no I/O, so the
 * unit test and a fuzzer call them on arbitrary bytes.  Which Cypher runs
 * and what its rows mean belong to the graph backend, not to this file.
 */
#include "neo4j_http.h"

#include <assert.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 1000
#define DEFAULT_TIMEOUT_MS	   5000
#define RETRY_BASE_DELAY_MS	   50
/* json-c's default; a response is about 5 levels deep plus its values. */
#define MAX_JSON_DEPTH		   32
/* At most one line per kind and interval for failures that repeat. */
#define LOG_INTERVAL_MS		   5000

static struct {
	char *url;
	char *path;
	char *user;
	char *password;
	long connect_timeout_ms;
	long timeout_ms;
	int max_retries;
} settings;

static CURL *curl;
static long connections;
static struct log_limiter unavailable_limiter;
static struct log_limiter auth_limiter;

/* ------------------------------------------------------------ errors */

/* The length of s[0..len) less a final UTF-8 sequence that len cuts short. */
static size_t
utf8_whole_length(const char *s, size_t len)
{
	size_t lead = len, need;
	unsigned char c;

	while (lead > 0 && len - lead < 3 &&
	    ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0)
		return len;
	c = (unsigned char)s[--lead];
	if (c < 0xc0)
		return len;
	if (c >= 0xf0)
		need = 4;
	else if (c >= 0xe0)
		need = 3;
	else
		need = 2;
	return len - lead < need ? lead : len;
}

/*
 * Copy src into dst as one line: control characters become spaces, and a
 * truncated copy ends before the UTF-8 sequence it would cut.
 */
static void
copy_line(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? ' ' : src[i];
	}
	if (src[i] != '\0')
		i = utf8_whole_length(dst, i);
	dst[i] = '\0';
}

static void
set_error(struct neo4j_error *error, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_error(struct neo4j_error *error, const char *code, const char *fmt, ...)
{
	/* Larger than the field, so that copy_line() does the truncating. */
	char message[2 * sizeof(error->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	copy_line(error->code, sizeof(error->code), code);
	copy_line(error->message, sizeof(error->message), message);
}

const char *
neo4j_status_name(enum neo4j_status status)
{
	switch (status) {
	case NEO4J_OK:
		return "NEO4J_OK";
	case NEO4J_UNAVAILABLE:
		return "NEO4J_UNAVAILABLE";
	case NEO4J_AUTH_FAILED:
		return "NEO4J_AUTH_FAILED";
	case NEO4J_STATEMENT_ERROR:
		return "NEO4J_STATEMENT_ERROR";
	case NEO4J_TRANSIENT_ERROR:
		return "NEO4J_TRANSIENT_ERROR";
	case NEO4J_DATABASE_ERROR:
		return "NEO4J_DATABASE_ERROR";
	case NEO4J_BAD_RESPONSE:
		return "NEO4J_BAD_RESPONSE";
	}
	return "unknown neo4j status";
}

/* ------------------------------------------------------------ parsing */

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool
is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Parse exactly one JSON value that fills body (whitespace may follow it).
 * Returns a new reference, or NULL for anything else: empty, truncated,
 * nested deeper than MAX_JSON_DEPTH, trailing bytes, or a NUL byte.
 */
static struct json_object *
parse_json(const char *body, size_t len)
{
	struct json_tokener *tok;
	struct json_object *root;
	size_t end;

	if (body == NULL || len == 0 || len > INT_MAX)
		return NULL;
	tok = json_tokener_new_ex(MAX_JSON_DEPTH);
	if (tok == NULL) {
		log_error("neo4j: out of memory creating a JSON parser");
		abort();
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, body, (int)len);
	if (root != NULL &&
	    json_tokener_get_error(tok) == json_tokener_success) {
		end = json_tokener_get_parse_end(tok);
		while (end < len && is_json_space(body[end]))
			end++;
		if (end != len) {
			json_object_put(root);
			root = NULL;
		}
	} else {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

/* The class of a Neo4j error code ("Neo.ClientError.Statement.SyntaxError"). */
static enum neo4j_status
classify_code(const char *code)
{
	if (has_prefix(code, "Neo.TransientError."))
		return NEO4J_TRANSIENT_ERROR;
	if (has_prefix(code, "Neo.ClientError.Security."))
		return NEO4J_AUTH_FAILED;
	if (has_prefix(code, "Neo.ClientError."))
		return NEO4J_STATEMENT_ERROR;
	return NEO4J_DATABASE_ERROR;
}

/*
 * Classify errors[] by its first element, which is the error that stopped
 * the transaction.  Returns NEO4J_OK when errors[] is empty.
 */
static enum neo4j_status
check_errors(struct json_object *root, struct neo4j_error *error)
{
	struct json_object *errors, *first, *code, *message;
	const char *text = "";

	if (!json_object_object_get_ex(root, "errors", &errors) ||
	    !json_object_is_type(errors, json_type_array)) {
		set_error(error, "", "response has no errors array");
		return NEO4J_BAD_RESPONSE;
	}
	if (json_object_array_length(errors) == 0)
		return NEO4J_OK;

	first = json_object_array_get_idx(errors, 0);
	if (!json_object_object_get_ex(first, "code", &code) ||
	    !json_object_is_type(code, json_type_string)) {
		set_error(error, "", "errors[0] of the response has no code");
		return NEO4J_BAD_RESPONSE;
	}
	if (json_object_object_get_ex(first, "message", &message) &&
	    json_object_is_type(message, json_type_string))
		text = json_object_get_string(message);
	set_error(error, json_object_get_string(code), "%s", text);
	return classify_code(json_object_get_string(code));
}

/* True when result is {"data": [{"row": [...]}, ...], ...}. */
static bool
result_shape_valid(struct json_object *result)
{
	struct json_object *data, *entry, *row;
	size_t i, n;

	if (!json_object_object_get_ex(result, "data", &data) ||
	    !json_object_is_type(data, json_type_array))
		return false;
	n = json_object_array_length(data);
	for (i = 0; i < n; i++) {
		entry = json_object_array_get_idx(data, i);
		if (!json_object_object_get_ex(entry, "row", &row) ||
		    !json_object_is_type(row, json_type_array))
			return false;
	}
	return true;
}

static enum neo4j_status
check_results(struct json_object *root, int expected,
    struct neo4j_error *error)
{
	struct json_object *results, *result;
	size_t i, n;

	if (!json_object_object_get_ex(root, "results", &results) ||
	    !json_object_is_type(results, json_type_array)) {
		set_error(error, "", "response has no results array");
		return NEO4J_BAD_RESPONSE;
	}
	n = json_object_array_length(results);
	if (expected >= 0 && n != (size_t)expected) {
		set_error(error, "",
		    "response has %zu results for %d statements", n, expected);
		return NEO4J_BAD_RESPONSE;
	}
	for (i = 0; i < n; i++) {
		result = json_object_array_get_idx(results, i);
		if (!result_shape_valid(result)) {
			set_error(error, "",
			    "results[%zu] of the response has no data[].row[]",
			    i);
			return NEO4J_BAD_RESPONSE;
		}
	}
	return NEO4J_OK;
}

enum neo4j_status
neo4j_parse_response(const char *body, size_t len, int expected_results,
    struct neo4j_response *out)
{
	struct json_object *root, *results;
	enum neo4j_status status;

	memset(out, 0, sizeof(*out));
	root = parse_json(body, len);
	if (root == NULL) {
		if (len == 0)
			set_error(&out->error, "", "response body is empty");
		else
			set_error(&out->error, "",
			    "response body (%zu bytes) is not valid JSON", len);
		return NEO4J_BAD_RESPONSE;
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		set_error(&out->error, "",
		    "response body is not a JSON object");
		return NEO4J_BAD_RESPONSE;
	}

	status = check_errors(root, &out->error);
	if (status == NEO4J_OK)
		status = check_results(root, expected_results, &out->error);
	if (status == NEO4J_OK) {
		json_object_object_get_ex(root, "results", &results);
		out->results = json_object_get(results);
	}
	json_object_put(root);
	return status;
}

static bool
printable_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

enum neo4j_status
neo4j_parse_version(const char *body, size_t len, char *out, size_t outlen)
{
	struct json_object *root, *version;
	enum neo4j_status status = NEO4J_BAD_RESPONSE;
	const char *s;
	size_t n;

	if (outlen > 0)
		out[0] = '\0';
	root = parse_json(body, len);
	if (json_object_object_get_ex(root, "neo4j_version", &version) &&
	    json_object_is_type(version, json_type_string)) {
		s = json_object_get_string(version);
		n = (size_t)json_object_get_string_len(version);
		if (n > 0 && n < outlen && printable_ascii(s, n)) {
			memcpy(out, s, n + 1);
			status = NEO4J_OK;
		}
	}
	json_object_put(root);
	return status;
}

/* ------------------------------------------------------------ cells */

/* results[statement].data, or NULL when there is no such array. */
static struct json_object *
statement_data(struct json_object *results, int statement)
{
	struct json_object *result, *data;

	if (!json_object_is_type(results, json_type_array) || statement < 0 ||
	    (size_t)statement >= json_object_array_length(results))
		return NULL;
	result = json_object_array_get_idx(results, (size_t)statement);
	if (!json_object_object_get_ex(result, "data", &data) ||
	    !json_object_is_type(data, json_type_array))
		return NULL;
	return data;
}

int
neo4j_row_count(struct json_object *results, int statement)
{
	struct json_object *data = statement_data(results, statement);
	size_t n;

	if (data == NULL)
		return -1;
	n = json_object_array_length(data);
	return n > INT_MAX ? INT_MAX : (int)n;
}

bool
neo4j_cell(struct json_object *results, int statement, int row, int column,
    struct json_object **value)
{
	struct json_object *data, *entry, *cells;

	*value = NULL;
	data = statement_data(results, statement);
	if (data == NULL || row < 0 ||
	    (size_t)row >= json_object_array_length(data))
		return false;
	entry = json_object_array_get_idx(data, (size_t)row);
	if (!json_object_object_get_ex(entry, "row", &cells) ||
	    !json_object_is_type(cells, json_type_array) || column < 0 ||
	    (size_t)column >= json_object_array_length(cells))
		return false;
	*value = json_object_array_get_idx(cells, (size_t)column);
	return true;
}

const char *
neo4j_cell_string(struct json_object *results, int statement, int row,
    int column, size_t *len)
{
	struct json_object *value;

	if (!neo4j_cell(results, statement, row, column, &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	if (len != NULL)
		*len = (size_t)json_object_get_string_len(value);
	return json_object_get_string(value);
}

int
neo4j_cell_int64(struct json_object *results, int statement, int row,
    int column, int64_t *out)
{
	struct json_object *value;
	int64_t v;

	if (!neo4j_cell(results, statement, row, column, &value) ||
	    !json_object_is_type(value, json_type_int))
		return -1;
	/* json-c keeps integers above INT64_MAX as uint64 and clamps here. */
	v = json_object_get_int64(value);
	if (v == INT64_MAX &&
	    json_object_get_uint64(value) != (uint64_t)INT64_MAX)
		return -1;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------ settings */

static void
free_settings(void)
{
	if (settings.password != NULL)
		explicit_bzero(settings.password, strlen(settings.password));
	free(settings.url);
	free(settings.path);
	free(settings.user);
	free(settings.password);
	memset(&settings, 0, sizeof(settings));
}

void
neo4j_configure(const struct neo4j_config *cfg)
{
	size_t len;

	assert(cfg->url != NULL);
	neo4j_close();
	free_settings();

	len = strlen(cfg->url);
	while (len > 0 && cfg->url[len - 1] == '/')
		len--;
	settings.url = xstrndup(cfg->url, len);
	settings.path = xstrdup(cfg->path != NULL ? cfg->path : NEO4J_PATH_V3);
	if (cfg->user != NULL && cfg->user[0] != '\0') {
		settings.user = xstrdup(cfg->user);
		settings.password =
		    xstrdup(cfg->password != NULL ? cfg->password : "");
	}
	settings.connect_timeout_ms = cfg->connect_timeout_ms > 0
	    ? cfg->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	settings.timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms
						  : DEFAULT_TIMEOUT_MS;
	settings.max_retries = cfg->max_retries < 0 ? 0 : cfg->max_retries;
	if (settings.max_retries > NEO4J_MAX_RETRIES_LIMIT)
		settings.max_retries = NEO4J_MAX_RETRIES_LIMIT;
	connections = 0;
}

void
neo4j_close(void)
{
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl = NULL;
}

long
neo4j_connection_count(void)
{
	return connections;
}

/* ------------------------------------------------------------ HTTP */

/* A response body being received, capped at NEO4J_MAX_RESPONSE_BYTES. */
struct reply {
	struct buf body;
	bool too_large;
};

static size_t
collect_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct reply *reply = userdata;
	size_t n = size * nmemb;

	if (n > NEO4J_MAX_RESPONSE_BYTES - reply->body.len) {
		reply->too_large = true;
		return 0;
	}
	buf_add(&reply->body, data, n);
	return n;
}

static struct curl_slist *
add_header(struct curl_slist *headers, const char *header)
{
	struct curl_slist *list = curl_slist_append(headers, header);

	if (list == NULL) {
		log_error("neo4j: out of memory adding an HTTP header");
		abort();
	}
	return list;
}

/* The shared handle with the settings applied, or NULL if libcurl fails. */
static CURL *
handle(void)
{
	if (curl != NULL) {
		curl_easy_reset(curl);
	} else {
		curl = curl_easy_init();
		if (curl == NULL)
			return NULL;
	}
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    settings.connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, settings.timeout_ms);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
	if (settings.user != NULL) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, settings.user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, settings.password);
	}
	return curl;
}

/*
 * Send GET {url}{path}, or POST with body when body is non-NULL, and
 * store the HTTP status and the body in reply.  Returns NEO4J_OK when a
 * response arrived, whatever its status.
 */
static enum neo4j_status
perform(const char *path, const char *body, struct reply *reply,
    long *http_status, struct neo4j_error *error)
{
	char detail[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	struct buf url;
	long opened = 0;
	CURLcode rc;

	if (settings.url == NULL) {
		set_error(error, "", "neo4j_configure() was not called");
		return NEO4J_UNAVAILABLE;
	}
	if (handle() == NULL) {
		set_error(error, "", "curl_easy_init() failed");
		return NEO4J_UNAVAILABLE;
	}
	buf_init(&url);
	buf_adds(&url, settings.url);
	buf_adds(&url, path);

	/* An empty Expect: stops libcurl from waiting for 100-continue. */
	headers = add_header(headers,
	    "Accept: application/json; charset=UTF-8");
	headers = add_header(headers, "Expect:");
	if (body != NULL) {
		headers = add_header(headers, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(body));
	}
	curl_easy_setopt(curl, CURLOPT_URL, url.data);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);

	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &opened);
	connections += opened;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, http_status);
	/* Unset the error buffer, because detail lives on this stack frame. */
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(headers);

	if (reply->too_large) {
		set_error(error, "", "%s%s: response is larger than %d bytes",
		    settings.url, path, NEO4J_MAX_RESPONSE_BYTES);
		buf_free(&url);
		return NEO4J_BAD_RESPONSE;
	}
	if (rc != CURLE_OK) {
		set_error(error, "", "%s failed: %s%s%s", url.data,
		    curl_easy_strerror(rc), detail[0] ? ": " : "", detail);
		buf_free(&url);
		return NEO4J_UNAVAILABLE;
	}
	buf_free(&url);
	return NEO4J_OK;
}

/*
 * Turn an HTTP status and the parse of its body into one status: 401 and
 * 403 mean the credentials, 5xx an unavailable server, and any other
 * status but 200 and 201 is unexpected unless Neo4j explained it in
 * errors[].
 */
static enum neo4j_status
apply_http_status(const char *path, long http_status,
    enum neo4j_status parsed, struct neo4j_error *error)
{
	if (http_status == 401 || http_status == 403) {
		if (parsed != NEO4J_AUTH_FAILED)
			set_error(error, "", "HTTP %ld: the server rejected "
			    "the credentials of user %s", http_status,
			    settings.user != NULL ? settings.user : "(none)");
		return NEO4J_AUTH_FAILED;
	}
	if (http_status >= 500) {
		if (parsed == NEO4J_OK || parsed == NEO4J_BAD_RESPONSE)
			set_error(error, "", "HTTP %ld from %s%s", http_status,
			    settings.url, path);
		return NEO4J_UNAVAILABLE;
	}
	if (http_status != 200 && http_status != 201 &&
	    (parsed == NEO4J_OK || parsed == NEO4J_BAD_RESPONSE)) {
		set_error(error, "", "unexpected HTTP %ld from %s%s",
		    http_status, settings.url, path);
		return NEO4J_BAD_RESPONSE;
	}
	return parsed;
}

/* One POST of body; on NEO4J_OK *results is results[]. */
static enum neo4j_status
post_once(const char *body, int n, struct json_object **results,
    struct neo4j_error *error)
{
	struct neo4j_response parsed;
	struct reply reply = { .too_large = false };
	enum neo4j_status status;
	long http_status = 0;

	buf_init(&reply.body);
	status = perform(settings.path, body, &reply, &http_status, error);
	if (status != NEO4J_OK) {
		buf_free(&reply.body);
		return status;
	}
	status = neo4j_parse_response(reply.body.data, reply.body.len, n,
	    &parsed);
	buf_free(&reply.body);
	*error = parsed.error;
	status = apply_http_status(settings.path, http_status, status, error);
	if (status == NEO4J_OK)
		*results = parsed.results;
	else
		json_object_put(parsed.results);
	return status;
}

/* ------------------------------------------------------------ statements */

static char *
build_body(const char *const *statements,
    struct json_object *const *parameters, int n)
{
	struct json_object *root, *list, *statement, *contents;
	char *text;
	int i;

	root = json_object_new_object();
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		statement = json_object_new_object();
		json_object_object_add(statement, "statement",
		    json_object_new_string(statements[i]));
		if (parameters != NULL && parameters[i] != NULL)
			json_object_object_add(statement, "parameters",
			    json_object_get(parameters[i]));
		/* The default on 3.x to 5.x, named so that row[] is there. */
		contents = json_object_new_array();
		json_object_array_add(contents, json_object_new_string("row"));
		json_object_object_add(statement, "resultDataContents",
		    contents);
		json_object_array_add(list, statement);
	}
	json_object_object_add(root, "statements", list);
	text = xstrdup(json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return text;
}

static long long
monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The pause before retry number attempt + 1: 50 ms doubling, plus up to
 * half again taken from the clock so that workers that deadlocked on each
 * other do not retry in step.
 */
static int
retry_delay_ms(int attempt)
{
	int delay = RETRY_BASE_DELAY_MS << attempt;

	return delay + (int)(monotonic_ns() / 1000000 % (delay / 2 + 1));
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1)
		;
}

static void
log_failure(const char *what, enum neo4j_status status,
    const struct neo4j_error *error)
{
	switch (status) {
	case NEO4J_OK:
		break;
	case NEO4J_UNAVAILABLE:
		log_limited(&unavailable_limiter, LOG_INTERVAL_MS, LOG_WARN,
		    "neo4j: %s: %s", what, error->message);
		break;
	case NEO4J_AUTH_FAILED:
		log_limited(&auth_limiter, LOG_INTERVAL_MS, LOG_ERROR,
		    "neo4j: %s: authentication as %s failed: %s%s%s", what,
		    settings.user != NULL ? settings.user : "(no user)",
		    error->code, error->code[0] ? ": " : "", error->message);
		break;
	case NEO4J_STATEMENT_ERROR:
		log_warn("neo4j: %s: statement rejected: %s: %s", what,
		    error->code, error->message);
		break;
	case NEO4J_TRANSIENT_ERROR:
	case NEO4J_DATABASE_ERROR:
	case NEO4J_BAD_RESPONSE:
		log_error("neo4j: %s failed with %s: %s%s%s", what,
		    neo4j_status_name(status), error->code,
		    error->code[0] ? ": " : "", error->message);
		break;
	}
}

enum neo4j_status
neo4j_run(const char *const *statements,
    struct json_object *const *parameters, int n,
    struct json_object **results, struct neo4j_error *error)
{
	struct neo4j_error scratch;
	enum neo4j_status status;
	char *body;
	int attempt, delay;

	assert(n >= 1);
	assert(statements != NULL);
	if (error == NULL)
		error = &scratch;
	memset(error, 0, sizeof(*error));
	*results = NULL;
	body = build_body(statements, parameters, n);

	/* Neo4j rolled a transient failure back whole: send it again. */
	for (attempt = 0;; attempt++) {
		status = post_once(body, n, results, error);
		if (status != NEO4J_TRANSIENT_ERROR ||
		    attempt >= settings.max_retries)
			break;
		delay = retry_delay_ms(attempt);
		log_warn("neo4j: transaction of %d statements failed with %s; "
			 "retry %d of %d in %d ms", n, error->code,
		    attempt + 1, settings.max_retries, delay);
		sleep_ms(delay);
	}
	free(body);
	log_failure("transaction", status, error);
	return status;
}

/* ------------------------------------------------------------ version */

static enum neo4j_status
fetch_version(const char *path, char *out, size_t len,
    struct neo4j_error *error)
{
	struct reply reply = { .too_large = false };
	enum neo4j_status status;
	long http_status = 0;

	buf_init(&reply.body);
	status = perform(path, NULL, &reply, &http_status, error);
	if (status == NEO4J_OK) {
		status = neo4j_parse_version(reply.body.data, reply.body.len,
		    out, len);
		if (status != NEO4J_OK)
			set_error(error, "", "%s%s has no neo4j_version",
			    settings.url, path);
		status = apply_http_status(path, http_status, status, error);
	}
	buf_free(&reply.body);
	return status;
}

enum neo4j_status
neo4j_server_version(char *out, size_t len, struct neo4j_error *error)
{
	struct neo4j_error scratch;
	enum neo4j_status status;

	if (error == NULL)
		error = &scratch;
	memset(error, 0, sizeof(*error));
	status = fetch_version("/", out, len, error);
	/* 3.x names its version only in the data discovery document. */
	if (status == NEO4J_BAD_RESPONSE)
		status = fetch_version("/db/data/", out, len, error);
	log_failure("server version", status, error);
	return status;
}
