/*
 * Unit tests for avatar.c: determinism, variety, hostile identifiers and
 * well-formed output.  The well-formedness check pipes documents through
 * /usr/bin/xmllint (Debian package libxml2-utils) and fails when it is
 * missing.
 */
#include <openssl/sha.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "avatar.h"
#include "tap.h"
#include "util.h"

#define XMLLINT             "/usr/bin/xmllint"
#define DISTINCT_SAMPLES    200
#define WELL_FORMED_SAMPLES 2000

/*
 * SHA-256 of the SVG for "bunnybook", recorded when the drawing last
 * changed on purpose.  Every account's avatar changes with it, so update it
 * only together with an intended change to the drawing.
 */
#define RECORDED_DIGEST                                                        \
	"bc85caf4997731ea6791188b2ef3e1bdf321e219a2e52558a789bbff93614179"

static char *
render(const char *identifier, size_t len, size_t *out_len)
{
	struct buf out;

	buf_init(&out);
	avatar_render_svg(identifier, len, &out);
	return buf_detach(&out, out_len);
}

static char *
render_string(const char *identifier)
{
	return render(identifier, strlen(identifier), NULL);
}

static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static int
is_printable_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	}
	return 1;
}

/* Return whether xmllint accepts doc as well-formed XML. */
static int
xmllint_accepts(const char *doc, size_t len)
{
	FILE *pipe;
	size_t written;
	int status;

	pipe = popen(XMLLINT " --noout -", "w");
	if (pipe == NULL) {
		diag("popen(%s) failed", XMLLINT);
		return 0;
	}
	written = fwrite(doc, 1, len, pipe);
	status = pclose(pipe);
	if (written != len) {
		diag("short write to xmllint: %zu of %zu bytes", written, len);
		return 0;
	}
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
hex_digest(const char *data, size_t len, char hex[2 * SHA256_DIGEST_LENGTH + 1])
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256((const unsigned char *)data, len, digest);
	for (i = 0; i < sizeof(digest); i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

static void
test_same_identifier_same_bytes(void)
{
	size_t len1, len2;
	char *first = render("alice", 5, &len1);
	char *second = render("alice", 5, &len2);

	ok(len1 == len2 && memcmp(first, second, len1) == 0,
	   "same identifier renders identical bytes");
	free(first);
	free(second);
}

static void
test_recorded_digest(void)
{
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	size_t len;
	char *svg = render("bunnybook", 9, &len);

	hex_digest(svg, len, hex);
	if (!ok(strcmp(hex, RECORDED_DIGEST) == 0,
	        "fixed identifier matches recorded digest"))
		diag("got %s; update RECORDED_DIGEST only if the drawing"
		     " changed on purpose",
		     hex);
	free(svg);
}

static void
test_distinct_identifiers(void)
{
	char *svgs[DISTINCT_SAMPLES];
	char identifier[32];
	size_t i, distinct;

	for (i = 0; i < DISTINCT_SAMPLES; i++) {
		snprintf(identifier, sizeof(identifier), "user-%zu-%08zx", i,
		         i * 2654435761u);
		svgs[i] = render_string(identifier);
	}
	qsort(svgs, DISTINCT_SAMPLES, sizeof(svgs[0]), compare_strings);
	distinct = 1;
	for (i = 1; i < DISTINCT_SAMPLES; i++) {
		if (strcmp(svgs[i - 1], svgs[i]) != 0)
			distinct++;
	}
	if (!ok(distinct == DISTINCT_SAMPLES,
	        "%d identifiers render %d distinct avatars", DISTINCT_SAMPLES,
	        DISTINCT_SAMPLES))
		diag("only %zu distinct", distinct);
	for (i = 0; i < DISTINCT_SAMPLES; i++)
		free(svgs[i]);
}

static void
test_combinations(void)
{
	unsigned long long n = avatar_combinations();

	ok(n >= 10000, "at least 10000 part combinations");
	diag("avatar_combinations() = %llu", n);
}

static void
test_identifier_never_in_output(void)
{
	static const char *const identifiers[] = {
	    "<script>",
	    "hello-bunny",
	    "javascript:alert(1)",
	    "]]><x onload=alert(1)>",
	    "&amp;&lt;",
	    "\"' onmouseover=",
	};
	size_t i;
	char *svg;

	for (i = 0; i < ARRAY_LEN(identifiers); i++) {
		svg = render_string(identifiers[i]);
		ok(strstr(svg, identifiers[i]) == NULL,
		   "identifier %s absent from output", identifiers[i]);
		free(svg);
	}
}

static void
test_document_shape(void)
{
	size_t len;
	char *svg = render("shape", 5, &len);

	ok(starts_with(
	       svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""
	            " viewBox=\"0 0 256 256\" width=\"256\" height=\"256\">"),
	   "output starts with svg root");
	ok(ends_with(svg, len, "</svg>"), "output ends with svg close tag");
	ok(strlen(svg) == len, "output contains no NUL bytes");
	ok(is_printable_ascii(svg, len), "output is printable ASCII");
	ok(strstr(svg, " id=") == NULL, "output contains no id attributes");
	free(svg);
}

static void
test_empty_identifier(void)
{
	size_t len_null, len_empty;
	char *from_null = render(NULL, 0, &len_null);
	char *from_empty = render("", 0, &len_empty);

	ok(ends_with(from_null, len_null, "</svg>"),
	   "NULL identifier of length 0 renders");
	ok(len_null == len_empty &&
	       memcmp(from_null, from_empty, len_null) == 0,
	   "NULL and \"\" render the same");
	ok(xmllint_accepts(from_null, len_null),
	   "empty identifier output is well-formed");
	free(from_null);
	free(from_empty);
}

static void
test_binary_identifiers(void)
{
	size_t len_invalid;
	char *a = render("a\0b", 3, NULL);
	char *b = render("a\0c", 3, NULL);
	char *prefix = render("a", 1, NULL);
	char *invalid = render("\xff\xfe\xc3\x28\x80", 5, &len_invalid);

	ok(strcmp(a, b) != 0, "bytes after NUL change avatar");
	ok(strcmp(a, prefix) != 0, "NUL byte not a terminator");
	ok(ends_with(invalid, len_invalid, "</svg>"), "invalid UTF-8 renders");
	ok(is_printable_ascii(invalid, len_invalid),
	   "invalid UTF-8 output is printable ASCII");
	ok(xmllint_accepts(invalid, len_invalid),
	   "invalid UTF-8 output is well-formed");
	free(a);
	free(b);
	free(prefix);
	free(invalid);
}

static void
test_well_formed(void)
{
	static const char *const identifiers[] = {
	    "alice",
	    "bob",
	    "carol",
	    "<script>",
	    "42",
	    "bunny-7f3a",
	    "dave@example.com",
	    "\xe2\x98\x83 snowman",
	};
	size_t i, len;
	char *svg;

	if (!ok(access(XMLLINT, X_OK) == 0, "xmllint is installed")) {
		diag("%s is missing: install libxml2-utils", XMLLINT);
		return;
	}
	for (i = 0; i < ARRAY_LEN(identifiers); i++) {
		svg = render_string(identifiers[i]);
		len = strlen(svg);
		ok(xmllint_accepts(svg, len),
		   "avatar for %s is well-formed XML", identifiers[i]);
		free(svg);
	}
}

/*
 * Parse many avatars as one document, so that every style of every part is
 * almost surely checked at least once.
 */
static void
test_many_well_formed(void)
{
	struct buf all;
	char identifier[32];
	int i;

	buf_init(&all);
	buf_adds(&all, "<avatars>");
	for (i = 0; i < WELL_FORMED_SAMPLES; i++) {
		snprintf(identifier, sizeof(identifier), "sample-%d", i);
		avatar_render_svg(identifier, strlen(identifier), &all);
	}
	buf_adds(&all, "</avatars>");
	ok(xmllint_accepts(all.data, all.len), "%d avatars are well-formed XML",
	   WELL_FORMED_SAMPLES);
	buf_free(&all);
}

int
main(void)
{
	/*
	 * An xmllint that is missing or stops reading early must fail a test
	 * through a short write, not kill the whole run with SIGPIPE.
	 */
	signal(SIGPIPE, SIG_IGN);
	test_same_identifier_same_bytes();
	test_recorded_digest();
	test_distinct_identifiers();
	test_combinations();
	test_identifier_never_in_output();
	test_document_shape();
	test_empty_identifier();
	test_binary_identifiers();
	test_well_formed();
	test_many_well_formed();
	return done_testing();
}
