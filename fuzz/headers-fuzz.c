/*
 * Fuzzes the header parsers: cookie_find() on a Cookie header and
 * media_type_is_json() on a Content-Type.  The input is "NAME\nVALUE":
 * the cookie name to look for and the header text.  Without a newline the
 * name is "access_token", as auth.c looks it up.
 */
#include <ctype.h>
#include <stdbool.h>
#include <strings.h>

#include "fuzz.h"
#include "http_parse.h"

static bool
is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* The found value v[0..len) must sit right after "name=" in header. */
static void
check_cookie_value(const char *header, const char *name, const char *v,
    size_t len)
{
	size_t header_len = strlen(header), name_len = strlen(name);
	const char *eq = v - 1;

	FUZZ_CHECK(v > header && v + len <= header + header_len,
	    "the value lies inside the header");
	FUZZ_CHECK(memchr(v, ';', len) == NULL, "the value holds no ';'");
	if (*eq == '"' && v[len] == '"' && eq > header && eq[-1] == '=')
		eq--;
	else
		FUZZ_CHECK(len == 0 ||
		    (v[len - 1] != ' ' && v[len - 1] != '\t'),
		    "trailing blanks of an unquoted value are trimmed");
	FUZZ_CHECK(*eq == '=', "the value follows '=' or '=\"'");
	FUZZ_CHECK((size_t)(eq - header) >= name_len &&
	    memcmp(eq - name_len, name, name_len) == 0,
	    "the cookie name comes right before '='");
	eq -= name_len;
	FUZZ_CHECK(eq == header || eq[-1] == ' ' || eq[-1] == '\t' ||
	    eq[-1] == ';', "the name starts a cookie pair");
}

/* A later pair with the same name never wins over the first. */
static void
check_first_wins(const char *header, const char *name, const char *v,
    size_t len)
{
	struct buf longer;
	const char *w;
	size_t wlen = 0;

	buf_init(&longer);
	buf_adds(&longer, header);
	buf_addf(&longer, "; %s=appended", name);
	w = cookie_find(longer.data, name, &wlen);
	if (v != NULL) {
		FUZZ_CHECK(w == longer.data + (v - header) && wlen == len,
		    "appending a pair keeps the first value");
	} else {
		FUZZ_CHECK(w != NULL && wlen == 8 &&
		    memcmp(w, "appended", 8) == 0,
		    "an appended pair is found when nothing came before");
	}
	buf_free(&longer);
}

static void
check_media_type(const char *s)
{
	char *flipped = xstrdup(s), *p;
	bool json = media_type_is_json(s);

	for (p = flipped; *p != '\0'; p++)
		*p = (char)(islower((unsigned char)*p) ? toupper((unsigned char)*p)
						       : tolower((unsigned char)*p));
	FUZZ_CHECK(media_type_is_json(flipped) == json,
	    "the media type ignores letter case");
	if (json) {
		p = flipped;
		while (*p == ' ')
			p++;
		FUZZ_CHECK(strncasecmp(p, "application/json", 16) == 0,
		    "a JSON media type starts with application/json");
	}
	free(flipped);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	char *newline = strchr(text, '\n');
	const char *name = "access_token", *header = text, *v;
	size_t len = 0;

	if (newline != NULL) {
		*newline = '\0';
		name = text;
		header = newline + 1;
	}

	v = cookie_find(header, name, &len);
	if (v != NULL)
		check_cookie_value(header, name, v, len);
	if (is_token(name))
		check_first_wins(header, name, v, len);
	check_media_type(header);

	free(text);
	return 0;
}
