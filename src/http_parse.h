/*
 * Pure parsing helpers for HTTP request parts: percent-decoding, query
 * strings, cookies, media types and UTF-8 validation.  No FastCGI and no
 * allocation beyond the caller's buffers, so every function here is unit
 * tested and fuzzed in isolation.
 */
#ifndef BUNNYBOOK_HTTP_PARSE_H
#define BUNNYBOOK_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define QUERY_MAX_PARAMS 32
#define QUERY_MAX_BYTES	 4096

struct query_param {
	char *name;
	char *value;
	size_t value_len; /* strlen(value): a %00 fails the parse */
};

struct query {
	struct query_param params[QUERY_MAX_PARAMS];
	int count;
};

/*
 * Append the percent-decoding of s[0..len) to out.  With plus_is_space a '+'
 * decodes to a space (query strings).  Returns -1 on a malformed escape.
 */
int url_decode(const char *s, size_t len, bool plus_is_space, struct buf *out);

/*
 * Parse a query string into q.  Returns 0, or -1 with *err set to a static
 * description when it has more than QUERY_MAX_PARAMS parameters, is longer
 * than QUERY_MAX_BYTES, repeats a name or contains a malformed escape.  *bad
 * names the offending parameter when one is at fault (owned by q).
 */
int query_parse(const char *qs, struct query *q, const char **err,
    const char **bad);
void query_free(struct query *q);
/* Value of name or NULL. */
const struct query_param *query_get(const struct query *q, const char *name);

/*
 * Find cookie name in a Cookie header value.  Returns a pointer into
 * header and sets *len, or NULL when absent.  The first occurrence wins.
 */
const char *cookie_find(const char *header, const char *name, size_t *len);

/* True for "application/json" with optional parameters, any letter case. */
bool media_type_is_json(const char *content_type);

/*
 * Find a key that appears twice in the top-level object of the JSON text
 * s[0..len), which must already be known to be valid JSON.  Keys are
 * compared after unescaping.  Returns true and copies the key (cut to
 * outlen - 1 bytes) into out when there is one.
 */
bool json_duplicate_key(const char *s, size_t len, char *out, size_t outlen);

/*
 * True when the JSON text s[0..len) has a single quote outside its string
 * literals.  json-c 0.16 accepts single-quoted object keys ({'a':1}) even
 * with JSON_TOKENER_STRICT, so a body it parsed is JSON only when this is
 * false.
 */
bool json_has_single_quote(const char *s, size_t len);

/* Levels of nesting that json_find_bad_text() names in a path. */
#define JSON_PATH_MAX_DEPTH 32

/* Location of a string that is not text, from json_find_bad_text(). */
struct json_bad_text {
	size_t offset;	     /* of its first bad byte or \u escape */
	bool in_key;	     /* the string is an object key, not a value */
	bool lone_surrogate; /* a \u escape of a lone surrogate, not bytes */
	char escape[7];	     /* that escape as sent, such as \ud800 */
	struct buf field;    /* the top-level key that contains the string */
	struct buf path;     /* keys and [indexes] down to the string */
};

/*
 * Find the first string of the JSON text s[0..len) that is not Unicode
 * text: one with bytes that are not well-formed UTF-8, or with a \u escape
 * of a UTF-16 surrogate that is not part of a high-low pair ("\ud800"
 * alone).  json-c 0.16 accepts both, turning a lone surrogate into U+FFFD,
 * so s is meant to be a body that json-c's strict parser accepted.
 *
 * Returns true and fills *where when there is one.  field is the key of
 * the top-level object whose value contains the string, or the string itself
 * when it is a top-level key.  It is empty when the body is not an object.
 * path goes from that key down, such as "memberIds[2]" or "profile.name"
 * ("[2].name" in a top-level array), and ends with the string when it is
 * a key.  Keys are unescaped, with U+FFFD in place of what is not text, so
 * both are valid UTF-8; a path deeper than JSON_PATH_MAX_DEPTH levels is
 * cut there.  Both buffers are initialised in every case and the caller
 * releases them with json_bad_text_free().
 */
bool json_find_bad_text(const char *s, size_t len,
    struct json_bad_text *where);
void json_bad_text_free(struct json_bad_text *where);

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);
/* Number of code points in well-formed UTF-8 s[0..len). */
size_t utf8_length(const char *s, size_t len);

#endif
