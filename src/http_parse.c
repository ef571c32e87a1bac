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
	if (q->count == QUERY_MAX_PARAMS) {
		buf_free(&name);
		buf_free(&value);
		*err = "too many query parameters";
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
		*err = "query string too long";
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

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n, k;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
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

bool
json_has_lone_surrogate(const char *s, size_t len)
{
	bool in_string = false;
	size_t i = 0;
	int v, low;

	while (i < len) {
		if (!in_string) {
			in_string = s[i++] == '"';
			continue;
		}
		if (s[i] == '"') {
			in_string = false;
			i++;
			continue;
		}
		if (s[i] != '\\') {
			i++;
			continue;
		}
		if (i + 1 < len && s[i + 1] != 'u') {
			i += 2;
			continue;
		}
		v = hex4(s, len, i + 2);
		i += 6;
		if (v < 0xd800 || v > 0xdfff)
			continue;
		/* A high surrogate must be followed by a low one, and a low one
		 * may only come right after a high one (consumed below). */
		if (v >= 0xdc00)
			return true;
		low = i + 1 < len && s[i] == '\\' && s[i + 1] == 'u'
		    ? hex4(s, len, i + 2) : -1;
		if (low < 0xdc00 || low > 0xdfff)
			return true;
		i += 6;
	}
	return false;
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
