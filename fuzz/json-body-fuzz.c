/*
 * Fuzzes the pure steps of reading a JSON request body: json-c's strict
 * parser as http.c runs it, json_find_bad_text() on what it accepts, and
 * json_duplicate_key(), with utf8_valid() and utf8_length() besides.
 * Each step is compared with an independent reference written here:
 *   - utf8_valid() and utf8_length() against a decoder that follows the
 *     table of well-formed byte sequences in the Unicode Standard
 *     (chapter 3, table 3-7);
 *   - json_find_bad_text() against that decoder: a parsed body that is
 *     not UTF-8 is reported at a byte where a bad sequence starts, and a
 *     UTF-8 body without any surrogate escape passes;
 *   - json_duplicate_key() against a count of the top-level keys, which
 *     must exceed the number of distinct keys json-c kept exactly when a
 *     key repeats.
 */
#include <json-c/json.h>
#include <stdbool.h>

#include "fuzz.h"
#include "http_parse.h"

/* The depth limit of http.c. */
#define BODY_MAX_DEPTH 16

/*
 * Length of the well-formed UTF-8 sequence at s[0..len), or 0 when there
 * is none.  The second byte's range depends on the first byte.
 */
static size_t
reference_sequence(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, k;

	if (s[0] <= 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (k = 2; k < n; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return n;
}

/* Number of code points, or -1 when s is not well-formed UTF-8. */
static long
reference_utf8_length(const unsigned char *s, size_t len)
{
	size_t i = 0, n;
	long count = 0;

	while (i < len) {
		n = reference_sequence(s + i, len - i);
		if (n == 0)
			return -1;
		i += n;
		count++;
	}
	return count;
}

/* Index just past the string literal that opens at s[i]. */
static size_t
past_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i + 1;
}

/*
 * Count the keys of the top-level object in valid JSON text: the string
 * literals at depth 1 that a ':' follows.
 */
static size_t
count_top_level_keys(const char *s, size_t len)
{
	size_t i = 0, j, keys = 0;
	int depth = 0;

	while (i < len) {
		if (s[i] == '"') {
			j = past_string(s, len, i);
			i = j;
			while (j < len && strchr(" \t\r\n", s[j]) != NULL &&
			    s[j] != '\0')
				j++;
			if (depth == 1 && j < len && s[j] == ':')
				keys++;
			continue;
		}
		if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']')
			depth--;
		i++;
	}
	return keys;
}

/*
 * Parse as http.c does: strict, the NUL included, only blanks after, and
 * no single-quoted key.
 */
static struct json_object *
parse_body(const char *body, size_t len, bool *valid)
{
	struct json_tokener *tok = json_tokener_new_ex(BODY_MAX_DEPTH);
	struct json_object *root;
	size_t i;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, body, (int)len + 1);
	*valid = json_tokener_get_error(tok) == json_tokener_success;
	for (i = json_tokener_get_parse_end(tok); *valid && i < len; i++)
		if (strchr(" \t\r\n", body[i]) == NULL)
			*valid = false;
	if (json_has_single_quote(body, len))
		*valid = false;
	json_tokener_free(tok);
	return root;
}

/*
 * True when s has a backslash, 'u', then a hexadecimal escape of a
 * surrogate (D800 to DFFF), escaped or not: a superset of the lone
 * surrogates json_find_bad_text() may report.
 */
static bool
has_surrogate_escape(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 3 < len; i++)
		if (s[i] == '\\' && s[i + 1] == 'u' &&
		    (s[i + 2] == 'd' || s[i + 2] == 'D') &&
		    strchr("89abcdefABCDEF", s[i + 3]) != NULL &&
		    s[i + 3] != '\0')
			return true;
	return false;
}

static void
check_bad_text(const char *body, size_t len, long length)
{
	struct json_bad_text where;
	bool found = json_find_bad_text(body, len, &where);

	if (length < 0)
		FUZZ_CHECK(found, "a parsed body that is not UTF-8 is reported");
	else if (!has_surrogate_escape(body, len))
		FUZZ_CHECK(!found, "a UTF-8 body without surrogate escapes "
				   "passes");
	if (found && !where.lone_surrogate)
		FUZZ_CHECK(where.offset < len &&
			reference_sequence((const unsigned char *)body +
				where.offset, len - where.offset) == 0,
		    "the reported offset starts a bad sequence");
	json_bad_text_free(&where);
}

static void
check_duplicates(const char *body, size_t len, struct json_object *root)
{
	char key[64];
	bool found = json_duplicate_key(body, len, key, sizeof(key));
	size_t keys = count_top_level_keys(body, len);
	size_t distinct = (size_t)json_object_object_length(root);

	FUZZ_CHECK(found == (keys > distinct),
	    "json_duplicate_key reports a repeat exactly when one exists");
	if (found && strlen(key) < sizeof(key) - 1)
		FUZZ_CHECK(json_object_object_get_ex(root, key, NULL),
		    "the reported key is a key of the object");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_string(data, size);
	long length = reference_utf8_length(data, size);
	struct json_object *root;
	bool valid;

	FUZZ_CHECK(utf8_valid(body, size) == (length >= 0),
	    "utf8_valid agrees with the reference decoder");
	if (size > 65536) {
		free(body);
		return 0;
	}
	if (length >= 0)
		FUZZ_CHECK(utf8_length(body, size) == (size_t)length,
		    "utf8_length counts the code points");

	root = parse_body(body, size, &valid);
	if (valid)
		check_bad_text(body, size, length);
	if (valid && length >= 0 && json_object_is_type(root, json_type_object))
		check_duplicates(body, size, root);
	json_object_put(root);
	free(body);
	return 0;
}
