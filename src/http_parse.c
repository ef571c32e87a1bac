/*
 * Request-part parsers declared in http_parse.h.  Everything here treats
 * its input as hostile: lengths are bounded and nothing is trusted to be
 * NUL-free or valid UTF-8.
 */
#include "http_parse.h"

#include <json-c/json.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
url_decode(const char *s, size_t len, bool plus_is_space, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hex_value(s[i + 1]);
			lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			buf_addc(out, (char)(hi * 16 + lo));
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			buf_addc(out, ' ');
		} else {
			buf_addc(out, s[i]);
		}
	}
	return 0;
}

void
query_free(struct query *q)
{
	int i;

	for (i = 0; i < q->count; i++) {
		free(q->params[i].name);
		free(q->params[i].value);
	}
	q->count = 0;
}

const struct query_param *
query_get(const struct query *q, const char *name)
{
	int i;

	for (i = 0; i < q->count; i++)
		if (strcmp(q->params[i].name, name) == 0)
			return &q->params[i];
	return NULL;
}

/* Writes a limit's value as a string literal. */
#define QUERY_LIMIT_TEXT(limit) QUERY_LIMIT_TEXT_(limit)
#define QUERY_LIMIT_TEXT_(limit) #limit

/* Decode one "name=value" piece and append it to q. */
static int
query_add(struct query *q, const char *piece, size_t len, const char **err,
    const char **bad)
{
	const char *eq = memchr(piece, '=', len);
	size_t name_len = eq ? (size_t)(eq - piece) : len;
	struct buf name, value;

	buf_init(&name);
	buf_init(&value);
	if (url_decode(piece, name_len, true, &name) == -1 ||
	    (eq && url_decode(eq + 1, len - name_len - 1, true, &value) == -1) ||
	    strlen(name.data) != name.len) {
		buf_free(&name);
		buf_free(&value);
		*err = "malformed percent-encoding in the query string";
		return -1;
	}
	if (name.len == 0) {
		buf_free(&name);
		buf_free(&value);
		*err = "query parameter without a name";
		return -1;
	}
	if (q->count == QUERY_MAX_PARAMS) {
		buf_free(&name);
		buf_free(&value);
		*err = "too many query parameters: at most "
		       QUERY_LIMIT_TEXT(QUERY_MAX_PARAMS) " are allowed";
		return -1;
	}
	q->params[q->count].name = buf_detach(&name, NULL);
	q->params[q->count].value =
	    buf_detach(&value, &q->params[q->count].value_len);
	q->count++;
	if (query_get(q, q->params[q->count - 1].name) !=
	    &q->params[q->count - 1]) {
		*err = "query parameter given more than once";
		*bad = q->params[q->count - 1].name;
		return -1;
	}
	/* Handlers read values as C strings, which a NUL would cut short. */
	if (strlen(q->params[q->count - 1].value) !=
	    q->params[q->count - 1].value_len) {
		*err = "query parameter contains a NUL byte (%00)";
		*bad = q->params[q->count - 1].name;
		return -1;
	}
	return 0;
}

int
query_parse(const char *qs, struct query *q, const char **err,
    const char **bad)
{
	const char *p = qs;

	q->count = 0;
	*bad = NULL;
	if (qs == NULL)
		return 0;
	if (strlen(qs) > QUERY_MAX_BYTES) {
		*err = "query string too long: at most "
		       QUERY_LIMIT_TEXT(QUERY_MAX_BYTES) " bytes are allowed";
		return -1;
	}
	while (*p != '\0') {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > 0 && query_add(q, p, len, err, bad) == -1)
			return -1;
		p += len;
		if (*p == '&')
			p++;
	}
	return 0;
}

const char *
cookie_find(const char *header, const char *name, size_t *len)
{
	size_t name_len = strlen(name);
	const char *p = header;

	if (header == NULL)
		return NULL;
	while (*p != '\0') {
		const char *end, *eq;

		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL && (size_t)(eq - p) == name_len &&
		    memcmp(p, name, name_len) == 0) {
			const char *v = eq + 1, *vend = end;

			while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
				vend--;
			if (vend - v >= 2 && *v == '"' && vend[-1] == '"') {
				v++;
				vend--;
			}
			*len = (size_t)(vend - v);
			return v;
		}
		p = end;
	}
	return NULL;
}

bool
media_type_is_json(const char *content_type)
{
	static const char json[] = "application/json";
	const char *p;

	if (content_type == NULL)
		return false;
	while (*content_type == ' ')
		content_type++;
	if (strncasecmp(content_type, json, sizeof(json) - 1) != 0)
		return false;
	p = content_type + sizeof(json) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' || *p == ';';
}

/*
 * Length of the well-formed UTF-8 sequence at p[i], which must be before
 * len: 1 to 4, or 0 when the bytes there are not one (a stray continuation
 * byte, a truncated sequence, an overlong form, a surrogate or a code
 * point above U+10FFFF).
 */
static size_t
utf8_sequence_length(const unsigned char *p, size_t len, size_t i)
{
	unsigned char c = p[i];
	size_t n, k;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (i + n >= len)
		return 0;
	for (k = 1; k <= n; k++) {
		if ((p[i + k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i + k] & 0x3f);
	}
	if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
	    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_sequence_length(p, len, i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

size_t
utf8_length(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Index just past the JSON string starting at s[i] == '"'. */
static size_t
skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return len;
}

/* Index just past the JSON value starting at s[i] (after whitespace). */
static size_t
skip_value(const char *s, size_t len, size_t i)
{
	int depth = 0;

	while (i < len) {
		char c = s[i];

		if (c == '"') {
			i = skip_string(s, len, i);
			if (depth == 0)
				return i;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return i;
			if (--depth == 0)
				return i + 1;
		} else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' ||
					     c == '\r' || c == '\n')) {
			return i;
		}
		i++;
	}
	return len;
}

static size_t
skip_space(const char *s, size_t len, size_t i)
{
	while (i < len && strchr(" \t\r\n", s[i]) != NULL && s[i] != '\0')
		i++;
	return i;
}

/* Decode the JSON string literal s[start..end) with json-c. */
static struct json_object *
decode_key(const char *s, size_t start, size_t end)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *key;

	key = json_tokener_parse_ex(tok, s + start, (int)(end - start));
	json_tokener_free(tok);
	return key;
}

bool
json_duplicate_key(const char *s, size_t len, char *out, size_t outlen)
{
	struct json_object *seen = json_object_new_object();
	size_t i = skip_space(s, len, 0);
	bool found = false;

	if (i >= len || s[i] != '{') {
		json_object_put(seen);
		return false;
	}
	i = skip_space(s, len, i + 1);
	while (!found && i < len && s[i] == '"') {
		size_t end = skip_string(s, len, i);
		struct json_object *key = decode_key(s, i, end);
		const char *name = key ? json_object_get_string(key) : "";

		if (json_object_object_get_ex(seen, name, NULL)) {
			snprintf(out, outlen, "%s", name);
			found = true;
		} else {
			json_object_object_add(seen, name, NULL);
		}
		json_object_put(key);
		i = skip_space(s, len, end);
		if (i < len && s[i] == ':')
			i = skip_space(s, len, i + 1);
		i = skip_space(s, len, skip_value(s, len, i));
		if (i < len && s[i] == ',')
			i = skip_space(s, len, i + 1);
	}
	json_object_put(seen);
	return found;
}

static int
hex4(const char *s, size_t len, size_t i)
{
	int v = 0;
	size_t k;

	if (i + 4 > len)
		return -1;
	for (k = i; k < i + 4; k++) {
		char c = s[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Decode the escape at s[i] == '\\' of a string that ends before end.
 * Returns its length in bytes (2, 6, or 12 for a surrogate pair) and sets
 * *cp to the code point it stands for, or to -1 for a lone surrogate.
 */
static size_t
decode_escape(const char *s, size_t end, size_t i, long *cp)
{
	static const char names[] = "\"\\/bfnrt";
	static const char chars[] = "\"\\/\b\f\n\r\t";
	const char *name;
	int v, low;

	if (i + 1 >= end) {
		*cp = 0xfffd;
		return 1;
	}
	if (s[i + 1] != 'u') {
		name = s[i + 1] != '\0' ? strchr(names, s[i + 1]) : NULL;
		*cp = name != NULL ? chars[name - names] : 0xfffd;
		return 2;
	}
	v = hex4(s, end, i + 2);
	if (v < 0xd800 || v > 0xdfff) {
		*cp = v < 0 ? 0xfffd : v;
		return 6;
	}
	/* A high surrogate counts only with a low one right after it. */
	if (v <= 0xdbff && i + 7 < end && s[i + 6] == '\\' &&
	    s[i + 7] == 'u') {
		low = hex4(s, end, i + 8);
		if (low >= 0xdc00 && low <= 0xdfff) {
			*cp = 0x10000 + ((long)(v - 0xd800) << 10) +
			    (low - 0xdc00);
			return 12;
		}
	}
	*cp = -1;
	return 6;
}

/*
 * Scan the JSON string at s[start] == '"': set *end past its closing
 * quote (len when it has none) and return the offset of its first
 * character that is not text, or len when all of it is.  *lone_surrogate
 * is true when that character is a \u escape of a lone surrogate, and
 * false when it is bytes that are not UTF-8.
 */
static size_t
scan_string(const char *s, size_t len, size_t start, size_t *end,
    bool *lone_surrogate)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = start + 1, n, bad = len;
	long cp;

	while (i < len && s[i] != '"') {
		if (s[i] == '\\') {
			n = decode_escape(s, len, i, &cp);
			if (cp < 0 && bad == len) {
				bad = i;
				*lone_surrogate = true;
			}
		} else {
			n = utf8_sequence_length(p, len, i);
			if (n == 0 && bad == len) {
				bad = i;
				*lone_surrogate = false;
			}
			if (n == 0)
				n = 1;
		}
		i += n;
	}
	*end = i < len ? i + 1 : len;
	return bad;
}

static void
add_code_point(struct buf *out, long cp)
{
	if (cp < 0x80) {
		buf_addc(out, (char)cp);
	} else if (cp < 0x800) {
		buf_addc(out, (char)(0xc0 | (cp >> 6)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(out, (char)(0xe0 | (cp >> 12)));
		buf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(out, (char)(0xf0 | (cp >> 18)));
		buf_addc(out, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addc(out, (char)(0x80 | (cp & 0x3f)));
	}
}

/*
 * Append the text of the JSON string s[start..end), as scan_string() found
 * it, with U+FFFD in place of each byte that is not UTF-8 and of each lone
 * surrogate, so that out contains valid UTF-8.
 */
static void
decode_string(const char *s, size_t start, size_t end, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = start + 1, n;
	long cp;

	if (end > i && s[end - 1] == '"')
		end--;
	while (i < end) {
		if (s[i] == '\\') {
			n = decode_escape(s, end, i, &cp);
			add_code_point(out, cp < 0 ? 0xfffd : cp);
		} else {
			n = utf8_sequence_length(p, end, i);
			if (n == 0) {
				add_code_point(out, 0xfffd);
				n = 1;
			} else {
				buf_add(out, s + i, n);
			}
		}
		i += n;
	}
}

/* One object or array that is open at the scanner's position. */
struct json_level {
	bool object;
	bool expect_key; /* an object before its next key */
	size_t index;	 /* of the current element of an array */
	size_t key_start, key_end; /* the current key of an object */
};

/* Fill in where the first string that is not text lies. */
static void
describe_bad_text(const char *s, const struct json_level *levels,
    size_t depth, bool in_key, size_t offset, struct json_bad_text *where)
{
	size_t k;

	where->offset = offset;
	where->in_key = in_key;
	if (where->lone_surrogate)
		snprintf(where->escape, sizeof(where->escape), "%.6s",
		    s + offset);
	for (k = 0; k < depth; k++) {
		if (!levels[k].object) {
			buf_addf(&where->path, "[%zu]", levels[k].index);
			continue;
		}
		if (k > 0)
			buf_addc(&where->path, '.');
		decode_string(s, levels[k].key_start, levels[k].key_end,
		    &where->path);
		if (k == 0)
			decode_string(s, levels[k].key_start,
			    levels[k].key_end, &where->field);
	}
}

bool
json_find_bad_text(const char *s, size_t len, struct json_bad_text *where)
{
	struct json_level levels[JSON_PATH_MAX_DEPTH], *top;
	size_t depth = 0, i = 0, end, bad;
	bool key;

	memset(where, 0, sizeof(*where));
	buf_init(&where->field);
	buf_init(&where->path);
	while (i < len) {
		top = depth > 0 && depth <= JSON_PATH_MAX_DEPTH
		    ? &levels[depth - 1] : NULL;
		switch (s[i]) {
		case '{':
		case '[':
			if (depth < JSON_PATH_MAX_DEPTH)
				levels[depth] = (struct json_level){
					.object = s[i] == '{',
					.expect_key = s[i] == '{',
				};
			depth++;
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			break;
		case ',':
			if (top != NULL && top->object)
				top->expect_key = true;
			else if (top != NULL)
				top->index++;
			break;
		case '"':
			key = top != NULL && top->object && top->expect_key;
			bad = scan_string(s, len, i, &end,
			    &where->lone_surrogate);
			if (key) {
				top->key_start = i;
				top->key_end = end;
				top->expect_key = false;
			}
			if (bad < len) {
				describe_bad_text(s, levels,
				    depth < JSON_PATH_MAX_DEPTH
					? depth : JSON_PATH_MAX_DEPTH,
				    key, bad, where);
				return true;
			}
			i = end;
			continue;
		}
		i++;
	}
	return false;
}

void
json_bad_text_free(struct json_bad_text *where)
{
	buf_free(&where->field);
	buf_free(&where->path);
}

bool
json_has_single_quote(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (s[i] == '"') {
			i = skip_string(s, len, i);
			continue;
		}
		if (s[i] == '\'')
			return true;
		i++;
	}
	return false;
}
