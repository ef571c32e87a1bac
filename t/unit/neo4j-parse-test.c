/*
 * Unit tests of the Neo4j response parsers and cell readers: no network,
 * only bodies shaped like (and unlike) what the transactional endpoint
 * returns.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "neo4j_http.h"
#include "tap.h"
#include "util.h"

static enum neo4j_status
parse(const char *body, int expected, struct neo4j_response *out)
{
	return neo4j_parse_response(body, body == NULL ? 0 : strlen(body),
	    expected, out);
}

/* Parse body expecting expected_results; true when the status is want. */
static int
parses_as(const char *body, int expected, enum neo4j_status want)
{
	struct neo4j_response r;
	enum neo4j_status got = parse(body, expected, &r);
	int pass = got == want && (got == NEO4J_OK) == (r.results != NULL);

	if (got != want)
		diag("got %s (%s), want %s", neo4j_status_name(got),
		    r.error.message, neo4j_status_name(want));
	json_object_put(r.results);
	return pass;
}

static void
test_success(void)
{
	const char *body =
	    "{\"results\":["
	    "{\"columns\":[\"id\",\"name\",\"bio\"],\"data\":["
	    "{\"row\":[1,\"Ann\",null],\"meta\":[null,null,null]},"
	    "{\"row\":[2,\"B\\u0000b\",\"hi\"],\"meta\":[null,null,null]}]},"
	    "{\"columns\":[],\"data\":[]}],\"errors\":[]}";
	struct neo4j_response r;
	struct json_object *value;
	const char *s;
	size_t len = 0;
	int64_t id = 0;

	ok(parse(body, 2, &r) == NEO4J_OK && r.results != NULL,
	    "response with rows parses");
	ok(r.error.code[0] == '\0', "success leaves the error code empty");
	ok(neo4j_row_count(r.results, 0) == 2, "first statement has two rows");
	ok(neo4j_row_count(r.results, 1) == 0, "second statement has no rows");
	ok(neo4j_row_count(r.results, 2) == -1,
	    "third statement does not exist");
	ok(neo4j_cell_int64(r.results, 0, 1, 0, &id) == 0 && id == 2,
	    "integer cell reads as int64");
	s = neo4j_cell_string(r.results, 0, 0, 1, &len);
	ok(s != NULL && strcmp(s, "Ann") == 0 && len == 3,
	    "string cell reads with its length");
	s = neo4j_cell_string(r.results, 0, 1, 1, &len);
	ok(s != NULL && len == 3, "string with NUL keeps its full length");
	ok(neo4j_cell(r.results, 0, 0, 2, &value) && value == NULL,
	    "JSON null cell exists and is NULL");
	ok(!neo4j_cell(r.results, 0, 0, 3, &value),
	    "column past the row is absent");
	ok(!neo4j_cell(r.results, 0, 2, 0, &value),
	    "row past the data is absent");
	ok(!neo4j_cell(r.results, 0, -1, 0, &value), "negative row is absent");
	ok(!neo4j_cell(r.results, -1, 0, 0, &value),
	    "negative statement is absent");
	ok(neo4j_cell_string(r.results, 0, 0, 0, NULL) == NULL,
	    "integer cell is not a string");
	ok(neo4j_cell_int64(r.results, 0, 0, 1, &id) == -1,
	    "string cell is not an integer");
	ok(neo4j_cell_int64(r.results, 0, 0, 2, &id) == -1,
	    "null cell is not an integer");
	json_object_put(r.results);

	ok(parses_as("{\"results\":[{\"columns\":[],\"data\":[]}],"
		     "\"errors\":[]}", -1, NEO4J_OK),
	    "expected count -1 skips the count check");
	ok(parses_as(" \n{\"results\":[],\"errors\":[]}\r\n\t ", 0, NEO4J_OK),
	    "whitespace around the object is accepted");
	ok(neo4j_row_count(NULL, 0) == -1, "NULL results have no statements");
}

static void
test_errors_win(void)
{
	const char *body =
	    "{\"results\":[{\"columns\":[\"1\"],\"data\":[{\"row\":[1]}]}],"
	    "\"errors\":[{\"code\":\"Neo.ClientError.Statement.SyntaxError\","
	    "\"message\":\"Invalid input 'R'\\n\\\"RETRUN 1\\\"\\n    ^\"}]}";
	struct neo4j_response r;

	ok(parse(body, 2, &r) == NEO4J_STATEMENT_ERROR,
	    "errors[] wins over the results that came before it");
	ok(r.results == NULL, "a failed response hands out no results");
	ok(strcmp(r.error.code, "Neo.ClientError.Statement.SyntaxError") == 0,
	    "error code is copied");
	ok(strncmp(r.error.message, "Invalid input 'R'", 17) == 0,
	    "error message is copied");
	ok(strchr(r.error.message, '\n') == NULL,
	    "error message is one line");
	ok(parses_as("{\"errors\":[{\"code\":\"Neo.ClientError.Statement."
		     "SyntaxError\"}]}", 1, NEO4J_STATEMENT_ERROR),
	    "errors[] is classified even without results[]");
	ok(parses_as("{\"results\":\"junk\",\"errors\":[{\"code\":"
		     "\"Neo.TransientError.Transaction.DeadlockDetected\"}]}",
	       1, NEO4J_TRANSIENT_ERROR),
	    "errors[] is read before a malformed results[]");
}

static void
test_classification(void)
{
	static const struct {
		const char *code;
		enum neo4j_status status;
	} cases[] = {
		{ "Neo.TransientError.Transaction.DeadlockDetected",
		    NEO4J_TRANSIENT_ERROR },
		{ "Neo.TransientError.General.DatabaseUnavailable",
		    NEO4J_TRANSIENT_ERROR },
		{ "Neo.ClientError.Statement.SyntaxError",
		    NEO4J_STATEMENT_ERROR },
		{ "Neo.ClientError.Schema.ConstraintValidationFailed",
		    NEO4J_STATEMENT_ERROR },
		{ "Neo.ClientError.Security.Unauthorized", NEO4J_AUTH_FAILED },
		{ "Neo.ClientError.Security.Forbidden", NEO4J_AUTH_FAILED },
		{ "Neo.DatabaseError.General.UnknownError",
		    NEO4J_DATABASE_ERROR },
		{ "Something.Else", NEO4J_DATABASE_ERROR },
		{ "", NEO4J_DATABASE_ERROR },
		{ "Neo.TransientErrorX", NEO4J_DATABASE_ERROR },
	};
	char body[512];
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(body, sizeof(body),
		    "{\"results\":[],\"errors\":[{\"code\":\"%s\","
		    "\"message\":\"m\"}]}", cases[i].code);
		ok(parses_as(body, 0, cases[i].status), "code \"%s\" is %s",
		    cases[i].code, neo4j_status_name(cases[i].status));
	}
	ok(parses_as("{\"results\":[],\"errors\":[{\"code\":\"Neo.Transient"
		     "Error.Transaction.DeadlockDetected\"},{\"code\":\"Neo."
		     "ClientError.Statement.SyntaxError\"}]}", 0,
	       NEO4J_TRANSIENT_ERROR),
	    "the first of several errors decides the class");
}

static void
test_not_json(void)
{
	struct neo4j_response r;
	static const char nul_inside[] = "{\"results\":[],\0\"errors\":[]}";
	static const char nul_after[] = "{\"results\":[],\"errors\":[]}\0";

	ok(neo4j_parse_response(NULL, 0, 0, &r) == NEO4J_BAD_RESPONSE &&
	    r.results == NULL, "NULL body is a bad response");
	ok(neo4j_parse_response("", 0, 0, &r) == NEO4J_BAD_RESPONSE &&
	    strcmp(r.error.message, "response body is empty") == 0,
	    "empty body is a bad response that says so");
	ok(parses_as("   ", 0, NEO4J_BAD_RESPONSE), "whitespace body is bad");
	ok(parses_as("<html><body>502 Bad Gateway</body></html>", 0,
	       NEO4J_BAD_RESPONSE), "HTML body is bad");
	ok(parses_as("{\"results\":[],\"errors\":[]", 0, NEO4J_BAD_RESPONSE),
	    "truncated object is bad");
	ok(parses_as("{\"results\":[],\"errors\":[]} {}", 0,
	       NEO4J_BAD_RESPONSE),
	    "second value after the object is bad");
	ok(parses_as("{\"results\":[],\"errors\":[],}", 0, NEO4J_BAD_RESPONSE),
	    "trailing comma is bad");
	ok(neo4j_parse_response(nul_inside, sizeof(nul_inside) - 1, 0, &r) ==
	    NEO4J_BAD_RESPONSE, "NUL byte inside the body is bad");
	ok(neo4j_parse_response(nul_after, sizeof(nul_after) - 1, 0, &r) ==
	    NEO4J_BAD_RESPONSE, "NUL byte after the object is bad");
	ok(neo4j_parse_response("{\"results\":[],\"errors\":[]}xyz",
	       strlen("{\"results\":[],\"errors\":[]}"), 0, &r) == NEO4J_OK &&
	    r.results != NULL, "bytes past len are never read");
	json_object_put(r.results);
	ok(parses_as("\xff\xfe{\"results\":[],\"errors\":[]}", 0,
	       NEO4J_BAD_RESPONSE), "byte order junk is bad");
}

static void
test_wrong_shape(void)
{
	static const char *const bodies[] = {
		"[]",
		"\"results\"",
		"42",
		"null",
		"{}",
		"{\"results\":[]}",
		"{\"errors\":[]}",
		"{\"results\":[],\"errors\":{}}",
		"{\"results\":[],\"errors\":[null]}",
		"{\"results\":[],\"errors\":[\"Neo.ClientError\"]}",
		"{\"results\":[],\"errors\":[{\"code\":7}]}",
		"{\"results\":[],\"errors\":[{\"message\":\"no code\"}]}",
		"{\"results\":{},\"errors\":[]}",
		"{\"results\":[null],\"errors\":[]}",
		"{\"results\":[{}],\"errors\":[]}",
		"{\"results\":[{\"data\":{}}],\"errors\":[]}",
		"{\"results\":[{\"data\":[{}]}],\"errors\":[]}",
		"{\"results\":[{\"data\":[{\"row\":{}}]}],\"errors\":[]}",
		"{\"results\":[{\"data\":[null]}],\"errors\":[]}",
		"{\"results\":[{\"data\":[{\"graph\":{}}]}],\"errors\":[]}",
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(bodies); i++)
		ok(parses_as(bodies[i], 1, NEO4J_BAD_RESPONSE),
		    "wrong shape %s is a bad response", bodies[i]);
	ok(parses_as("{\"results\":[],\"errors\":[]}", 1, NEO4J_BAD_RESPONSE),
	    "fewer results than statements is a bad response");
	ok(parses_as("{\"results\":[{\"data\":[]},{\"data\":[]}],"
		     "\"errors\":[]}", 1, NEO4J_BAD_RESPONSE),
	    "more results than statements is a bad response");
}

static void
test_numbers(void)
{
	const char *body =
	    "{\"results\":[{\"data\":[{\"row\":["
	    "9223372036854775807,-9223372036854775808,"
	    "9223372036854775808,12345678901234567890123456789,"
	    "1e400,-1e400,1.5,1.0,-0]}]}],\"errors\":[]}";
	struct neo4j_response r;
	int64_t v;

	ok(parse(body, 1, &r) == NEO4J_OK, "huge numbers parse");
	ok(neo4j_cell_int64(r.results, 0, 0, 0, &v) == 0 && v == INT64_MAX,
	    "INT64_MAX reads exactly");
	ok(neo4j_cell_int64(r.results, 0, 0, 1, &v) == 0 && v == INT64_MIN,
	    "INT64_MIN reads exactly");
	ok(neo4j_cell_int64(r.results, 0, 0, 2, &v) == -1,
	    "INT64_MAX + 1 is rejected");
	ok(neo4j_cell_int64(r.results, 0, 0, 3, &v) == -1,
	    "29-digit integer is rejected");
	ok(neo4j_cell_int64(r.results, 0, 0, 4, &v) == -1,
	    "1e400 is not an integer");
	ok(neo4j_cell_int64(r.results, 0, 0, 5, &v) == -1,
	    "-1e400 is not an integer");
	ok(neo4j_cell_int64(r.results, 0, 0, 6, &v) == -1,
	    "1.5 is not an integer");
	ok(neo4j_cell_int64(r.results, 0, 0, 7, &v) == -1,
	    "1.0 is not an integer");
	ok(neo4j_cell_int64(r.results, 0, 0, 8, &v) == 0 && v == 0,
	    "-0 reads as 0");
	json_object_put(r.results);
}

static void
test_nesting(void)
{
	size_t n = 100000, i;
	char *deep = malloc(2 * n + 64);
	struct neo4j_response r;
	int len;

	for (i = 0; i < n; i++)
		deep[i] = '[';
	ok(neo4j_parse_response(deep, n, 1, &r) == NEO4J_BAD_RESPONSE,
	    "100000 open brackets are a bad response");

	len = snprintf(deep, 64, "{\"results\":[{\"data\":[{\"row\":[");
	for (i = 0; i < 40; i++)
		deep[len++] = '[';
	for (i = 0; i < 40; i++)
		deep[len++] = ']';
	memcpy(deep + len, "]}]}],\"errors\":[]}", 19);
	ok(neo4j_parse_response(deep, strlen(deep), 1, &r) ==
	    NEO4J_BAD_RESPONSE, "row value nested 40 deep is a bad response");

	ok(parses_as("{\"results\":[{\"data\":[{\"row\":"
		     "[{\"a\":[{\"b\":[1,{}]}]},[[[]]]]}]}],\"errors\":[]}", 1,
	       NEO4J_OK),
	    "nested maps and lists in a row are accepted");
	ok(parses_as("{\"results\":[{\"data\":[{\"row\":[\"\\u12\"]}]}],"
		     "\"errors\":[]}", 1, NEO4J_BAD_RESPONSE),
	    "short unicode escape is a bad response");
	free(deep);
}

/*
 * Parse an error whose message is "x" * prefix followed by two-byte UTF-8
 * characters, longer than the message field; returns the copied length.
 */
static size_t
truncated_length(int prefix, struct neo4j_response *r)
{
	char body[4096], message[2000];
	size_t len;

	memset(message, 'x', (size_t)prefix);
	for (len = (size_t)prefix; len + 2 < sizeof(message); len += 2)
		memcpy(message + len, "\xc3\xa9", 2);
	message[len] = '\0';
	snprintf(body, sizeof(body), "{\"results\":[],\"errors\":[{\"code\":"
	    "\"Neo.ClientError.Statement.SyntaxError\",\"message\":\"%s\"}]}",
	    message);
	if (parse(body, 0, r) != NEO4J_STATEMENT_ERROR)
		return 0;
	return strlen(r->error.message);
}

static void
test_messages(void)
{
	struct neo4j_response r;
	size_t max = sizeof(r.error.message) - 1, len;

	/* 511 bytes end on the lead byte of the character at 510..511. */
	len = truncated_length(2, &r);
	ok(len == max - 1, "cut inside a UTF-8 sequence drops its lead byte");
	ok(((unsigned char)r.error.message[len - 1] & 0xc0) == 0x80 &&
	    ((unsigned char)r.error.message[len - 2] & 0xe0) == 0xc0,
	    "truncated message ends on a whole UTF-8 sequence");
	/* 511 bytes end with the character at 509..510. */
	len = truncated_length(1, &r);
	ok(len == max, "cut between UTF-8 sequences keeps every byte");

	ok(parse("{\"results\":[],\"errors\":[{\"code\":\"Neo.ClientError."
		 "Statement.SyntaxError\",\"message\":\"a\\u0000b\\tc\\rd\"}]}",
	       0, &r) == NEO4J_STATEMENT_ERROR,
	    "message with NUL and tab parses");
	ok(strcmp(r.error.message, "a") == 0,
	    "message stops at an escaped NUL");
	ok(parse("{\"results\":[],\"errors\":[{\"code\":\"Neo.ClientError."
		 "Statement.SyntaxError\",\"message\":\"a\\tc\\rd\\u007f\"}]}",
	       0, &r) == NEO4J_STATEMENT_ERROR &&
	    strcmp(r.error.message, "a c d ") == 0,
	    "control characters in a message become spaces");
	ok(parse("{\"results\":[],\"errors\":[{\"code\":\"Neo.ClientError."
		 "Statement.SyntaxError\",\"message\":42}]}", 0, &r) ==
	    NEO4J_STATEMENT_ERROR && r.error.message[0] == '\0',
	    "non-string message leaves the message empty");
}

/* neo4j_parse_version() on a NUL-terminated body. */
static enum neo4j_status
version_of(const char *body, char *out, size_t outlen)
{
	return neo4j_parse_version(body, strlen(body), out, outlen);
}

static void
test_version(void)
{
	const char *v3 = "{\n  \"extensions\" : { },\n  \"transaction\" : "
			 "\"http://127.0.0.1:7474/db/data/transaction\",\n"
			 "  \"neo4j_version\" : \"3.1.1\"\n}";
	char out[32];

	ok(version_of(v3, out, sizeof(out)) == NEO4J_OK &&
	    strcmp(out, "3.1.1") == 0, "3.x discovery document has 3.1.1");
	ok(version_of("{\"neo4j_version\":\"5.26.0\",\"neo4j_edition\":"
		      "\"community\"}", out, sizeof(out)) == NEO4J_OK &&
	    strcmp(out, "5.26.0") == 0, "5.x discovery document has 5.26.0");
	ok(version_of("{\"data\":\"x\"}", out, sizeof(out)) ==
	    NEO4J_BAD_RESPONSE && out[0] == '\0',
	    "document without a version is a bad response");
	ok(version_of("{\"neo4j_version\":3}", out, sizeof(out)) ==
	    NEO4J_BAD_RESPONSE, "numeric version is a bad response");
	ok(version_of("{\"neo4j_version\":\"3.1.1\"}", out, 5) ==
	    NEO4J_BAD_RESPONSE, "version that does not fit is a bad response");
	ok(version_of("{\"neo4j_version\":\"3.1.1\"}", out, 6) == NEO4J_OK,
	    "version that just fits is copied");
	ok(version_of("{\"neo4j_version\":\"3\\n1\"}", out, sizeof(out)) ==
	    NEO4J_BAD_RESPONSE, "version with a newline is a bad response");
	ok(version_of("{\"neo4j_version\":\"\"}", out, sizeof(out)) ==
	    NEO4J_BAD_RESPONSE, "empty version is a bad response");
	ok(version_of("[\"neo4j_version\"]", out, sizeof(out)) ==
	    NEO4J_BAD_RESPONSE, "array document is a bad response");
	ok(version_of("nope", out, sizeof(out)) == NEO4J_BAD_RESPONSE,
	    "non-JSON version document is a bad response");
	ok(neo4j_parse_version(NULL, 0, out, sizeof(out)) == NEO4J_BAD_RESPONSE,
	    "NULL version document is a bad response");
}

/* A small deterministic generator so a failure reproduces. */
static uint32_t
next_random(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static const char mutation_alphabet[] =
    "{}[]\",:\\0123456789.eE-+ntrufalsu\x00\xff ";

static char
random_char(uint32_t *state)
{
	return mutation_alphabet[next_random(state) %
	    (sizeof(mutation_alphabet) - 1)];
}

/* Apply one random edit (replace, insert, delete, truncate) to body. */
static void
mutate(char *body, size_t *len, size_t size, uint32_t *state)
{
	size_t pos = next_random(state) % *len;

	switch (next_random(state) % 4) {
	case 0:
		body[pos] = random_char(state);
		break;
	case 1:
		if (*len + 1 >= size)
			break;
		memmove(body + pos + 1, body + pos, *len - pos);
		body[pos] = random_char(state);
		(*len)++;
		break;
	case 2:
		if (*len <= 1)
			break;
		memmove(body + pos, body + pos + 1, *len - pos - 1);
		(*len)--;
		break;
	default:
		*len = pos + 1;
		break;
	}
}

/*
 * Mutate two valid bodies, one with rows and one with an error, and parse
 * every tenth time random bytes instead.  Passing means no crash and
 * results handed out with NEO4J_OK only.
 */
static void
test_mutations(void)
{
	static const char *const seeds[] = {
		"{\"results\":[{\"columns\":[\"a\",\"b\"],\"data\":[{\"row\":"
		"[1,\"x\"],\"meta\":[null,null]},{\"row\":[[1,2],{\"k\":null}]}"
		"]}],\"errors\":[]}",
		"{\"results\":[],\"errors\":[{\"code\":\"Neo.TransientError."
		"Transaction.DeadlockDetected\",\"message\":\"m\"}]}",
	};
	char body[512];
	uint32_t state = 2463534242u;
	struct neo4j_response r;
	struct json_object *value;
	int consistent = 1, oks = 0, iteration, edits, k;
	enum neo4j_status status;
	size_t len, i;

	for (iteration = 0; iteration < 50000; iteration++) {
		len = strlen(seeds[iteration % 2]);
		memcpy(body, seeds[iteration % 2], len);
		edits = 1 + (int)(next_random(&state) % 4);
		for (k = 0; k < edits; k++)
			mutate(body, &len, sizeof(body), &state);
		if (iteration % 10 == 0) {
			len = next_random(&state) % sizeof(body);
			for (i = 0; i < len; i++)
				body[i] = (char)next_random(&state);
		}

		status = neo4j_parse_response(body, len, -1, &r);
		if ((status == NEO4J_OK) != (r.results != NULL))
			consistent = 0;
		oks += status == NEO4J_OK;
		(void)neo4j_row_count(r.results, 0);
		(void)neo4j_cell(r.results, 0, 1, 1, &value);
		json_object_put(r.results);
	}
	ok(consistent, "50000 mutated bodies parse without a crash and "
	    "hand out results only with NEO4J_OK");
	ok(oks > 0, "some mutated bodies still parse as NEO4J_OK (%d)", oks);
}

int
main(void)
{
	test_success();
	test_errors_win();
	test_classification();
	test_not_json();
	test_wrong_shape();
	test_numbers();
	test_nesting();
	test_messages();
	test_version();
	test_mutations();
	ok(strcmp(neo4j_status_name(NEO4J_BAD_RESPONSE),
	       "NEO4J_BAD_RESPONSE") == 0, "status names match the enum");
	return done_testing();
}
