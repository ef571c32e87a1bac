/*
 * Fuzzes the Neo4j response parsers, neo4j_parse_response() and
 * neo4j_parse_version(), and the cell readers on whatever they accept.
 * The first input byte picks expected_results (-1 to 2); the rest is the
 * response body.  Results must be handed out with NEO4J_OK only, and the
 * error text must be one NUL-terminated line.  When the body is valid
 * UTF-8 without escapes, the truncated text must stay valid UTF-8.
 */
#include <json-c/json.h>
#include <stdbool.h>

#include "fuzz.h"
#include "http_parse.h"
#include "neo4j_http.h"

/* Cells visited at most per input, so that a wide result stays fast. */
#define MAX_CELLS 2000

static void
check_line(const char *s, size_t size, bool utf8_expected)
{
	size_t len = strnlen(s, size), i;

	FUZZ_CHECK(len < size, "the text is NUL-terminated in its field");
	for (i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f,
		    "the text holds no control character");
	if (utf8_expected)
		FUZZ_CHECK(utf8_valid(s, len),
		    "truncation never cuts a UTF-8 sequence");
}

/* Read every cell the way graph_neo4j.c does, within MAX_CELLS. */
static void
walk_results(struct json_object *results, int expected)
{
	int statements = (int)json_object_array_length(results);
	int s, row, column, cells = 0, rows;
	struct json_object *value;
	int64_t number;
	size_t len;
	const char *text;

	FUZZ_CHECK(expected < 0 || statements == expected,
	    "results[] has one element per statement");
	for (s = 0; s < statements; s++) {
		rows = neo4j_row_count(results, s);
		FUZZ_CHECK(rows >= 0, "every statement has rows[]");
		for (row = 0; row < rows && cells < MAX_CELLS; row++) {
			for (column = 0; cells < MAX_CELLS &&
			    neo4j_cell(results, s, row, column, &value);
			    column++, cells++) {
				text = neo4j_cell_string(results, s, row,
				    column, &len);
				FUZZ_CHECK(text == NULL || text[len] == '\0',
				    "a string cell ends at its length");
				(void)neo4j_cell_int64(results, s, row, column,
				    &number);
			}
		}
	}
	FUZZ_CHECK(neo4j_row_count(results, statements) == -1 &&
	    !neo4j_cell(results, 0, -1, 0, &value) && value == NULL,
	    "indices out of range read as absent");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body;
	struct neo4j_response r;
	enum neo4j_status status;
	char version[32];
	bool plain_utf8;
	int expected;

	if (size == 0)
		return 0;
	expected = data[0] % 4 - 1;
	body = (const char *)data + 1;
	size--;
	plain_utf8 = utf8_valid(body, size) && memchr(body, '\\', size) == NULL;

	status = neo4j_parse_response(body, size, expected, &r);
	FUZZ_CHECK((status == NEO4J_OK) == (r.results != NULL),
	    "results are handed out with NEO4J_OK only");
	FUZZ_CHECK(status >= NEO4J_OK && status <= NEO4J_BAD_RESPONSE,
	    "the status is a known one");
	check_line(r.error.code, sizeof(r.error.code), plain_utf8);
	check_line(r.error.message, sizeof(r.error.message), plain_utf8);
	if (status == NEO4J_OK)
		walk_results(r.results, expected);
	json_object_put(r.results);

	if (neo4j_parse_version(body, size, version, sizeof(version)) ==
	    NEO4J_OK)
		check_line(version, sizeof(version), true);
	else
		FUZZ_CHECK(version[0] == '\0', "a failed version read is empty");
	return 0;
}
