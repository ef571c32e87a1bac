/*
 * Fuzzes query_parse() with the raw query string.  Besides memory errors
 * it checks that a parsed query keeps its limits, has unique names, and
 * that percent-encoding every parameter again parses back to the same
 * bytes.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "http_parse.h"

/* Append s[0..len) with every byte outside [A-Za-z0-9._~-] escaped. */
static void
encode_component(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '~' || c == '-') {
			buf_addc(out, (char)c);
		} else if (c == ' ') {
			buf_addc(out, '+');
		} else {
			buf_addc(out, '%');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 0x0f]);
		}
	}
}

static void
check_parsed(const struct query *q)
{
	int i;

	FUZZ_CHECK(q->count >= 0 && q->count <= QUERY_MAX_PARAMS,
	    "parameter count within QUERY_MAX_PARAMS");
	for (i = 0; i < q->count; i++) {
		const struct query_param *p = &q->params[i];

		FUZZ_CHECK(p->name != NULL && p->value != NULL,
		    "every parameter has a name and a value");
		FUZZ_CHECK(p->value[p->value_len] == '\0',
		    "value is NUL-terminated at value_len");
		FUZZ_CHECK(strlen(p->value) == p->value_len,
		    "no value holds a NUL byte");
		FUZZ_CHECK(query_get(q, p->name) == p,
		    "names are unique and query_get finds each");
	}
}

/* Encode q again, parse the result and compare it with q. */
static void
check_round_trip(const struct query *q)
{
	struct query again;
	struct buf text;
	const char *err = NULL, *bad = NULL;
	int i, rc;

	buf_init(&text);
	for (i = 0; i < q->count; i++) {
		if (i > 0)
			buf_addc(&text, '&');
		encode_component(&text, q->params[i].name,
		    strlen(q->params[i].name));
		buf_addc(&text, '=');
		encode_component(&text, q->params[i].value,
		    q->params[i].value_len);
	}

	rc = query_parse(text.data, &again, &err, &bad);
	if (text.len > QUERY_MAX_BYTES) {
		FUZZ_CHECK(rc == -1, "an encoded query over the limit fails");
	} else {
		FUZZ_CHECK(rc == 0, "the encoded query parses");
		FUZZ_CHECK(again.count == q->count,
		    "round trip keeps the parameter count");
		for (i = 0; i < q->count; i++) {
			const struct query_param *a = &q->params[i];
			const struct query_param *b = &again.params[i];

			FUZZ_CHECK(strcmp(a->name, b->name) == 0,
			    "round trip keeps each name");
			FUZZ_CHECK(a->value_len == b->value_len &&
			    memcmp(a->value, b->value, a->value_len) == 0,
			    "round trip keeps each value byte for byte");
		}
	}
	query_free(&again);
	buf_free(&text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *qs = fuzz_string(data, size);
	struct query q;
	const char *err = NULL, *bad = NULL;
	int rc, i;
	bool bad_known = false;

	rc = query_parse(qs, &q, &err, &bad);
	if (rc == 0) {
		check_parsed(&q);
		check_round_trip(&q);
	} else {
		FUZZ_CHECK(rc == -1 && err != NULL && err[0] != '\0',
		    "a failure comes with a description");
		for (i = 0; i < q.count; i++)
			bad_known |= bad == q.params[i].name;
		FUZZ_CHECK(bad == NULL || bad_known,
		    "the offending name belongs to the query");
	}
	query_free(&q);
	free(qs);
	return 0;
}
