/* Unit tests of the request-part parsers. */
#include <string.h>

#include "http_parse.h"
#include "tap.h"

int
main(void)
{
	struct query q;
	const struct query_param *p;
	const char *err, *bad, *v;
	struct buf b;
	size_t len;

	buf_init(&b);
	ok(url_decode("a%20b+c", 7, true, &b) == 0 && strcmp(b.data, "a b c") == 0,
	    "query decoding turns + and %%20 into spaces");
	buf_reset(&b);
	ok(url_decode("a+b", 3, false, &b) == 0 && strcmp(b.data, "a+b") == 0,
	    "path decoding keeps +");
	buf_reset(&b);
	ok(url_decode("%4", 2, false, &b) == -1, "truncated escape is malformed");
	ok(url_decode("%g1", 3, false, &b) == -1, "non-hex escape is malformed");
	buf_free(&b);

	ok(query_parse("limit=5&username_query=bun%25ny&flag", &q, &err, &bad) == 0,
	    "query string parses");
	p = query_get(&q, "username_query");
	ok(p && strcmp(p->value, "bun%ny") == 0, "query value is decoded");
	p = query_get(&q, "flag");
	ok(p && p->value_len == 0, "parameter without = has an empty value");
	ok(query_get(&q, "nope") == NULL, "absent parameter is NULL");
	query_free(&q);

	ok(query_parse("a=1&a=2", &q, &err, &bad) == -1 && strcmp(bad, "a") == 0,
	    "repeated parameter is rejected and named");
	query_free(&q);
	ok(query_parse("a=%zz", &q, &err, &bad) == -1, "malformed escape is rejected");
	query_free(&q);
	{
		char many[400] = "";
		int i;

		for (i = 0; i < 40; i++)
			sprintf(many + strlen(many), "p%d=1&", i);
		ok(query_parse(many, &q, &err, &bad) == -1,
		    "more than %d parameters are rejected", QUERY_MAX_PARAMS);
		query_free(&q);
	}
	ok(query_parse("&&x=1&&", &q, &err, &bad) == 0 && q.count == 1,
	    "empty pieces are skipped");
	query_free(&q);
	ok(query_parse("%00=1", &q, &err, &bad) == -1, "NUL in a name is rejected");
	query_free(&q);

	v = cookie_find("a=1; access_token=abc.def; b=2", "access_token", &len);
	ok(v && len == 7 && strncmp(v, "abc.def", len) == 0, "cookie is found");
	v = cookie_find("xaccess_token=1", "access_token", &len);
	ok(v == NULL, "cookie name must match exactly");
	v = cookie_find("t=\"quoted\"", "t", &len);
	ok(v && len == 6, "quotes around a cookie value are removed");
	ok(cookie_find(NULL, "t", &len) == NULL, "no header means no cookie");

	ok(media_type_is_json("application/json"), "plain JSON type");
	ok(media_type_is_json("Application/JSON; charset=utf-8"), "JSON with charset");
	ok(!media_type_is_json("application/jsonx"), "longer type is not JSON");
	ok(!media_type_is_json("text/plain"), "text is not JSON");
	ok(!media_type_is_json(NULL), "missing type is not JSON");

	ok(utf8_valid("h\xc3\xa9llo", 6), "two-byte sequence is valid");
	ok(utf8_valid("\xf0\x9f\x90\xb0", 4), "emoji is valid");
	ok(!utf8_valid("\xc3", 1), "truncated sequence is invalid");
	ok(!utf8_valid("\xc0\xaf", 2), "overlong encoding is invalid");
	ok(!utf8_valid("\xed\xa0\x80", 3), "surrogate is invalid");
	ok(!utf8_valid("\xff", 1), "0xff is invalid");
	ok(utf8_length("h\xc3\xa9\xf0\x9f\x90\xb0", 7) == 3, "code points are counted");
	/* json-c 0.16 parses single-quoted keys even in strict mode. */
	ok(json_has_single_quote("{'a':1,'a':2}", 13), "single-quoted key is found");
	ok(json_has_lone_surrogate("{\"a\":\"\\ud800\"}", 14),
	    "lone high surrogate is found");
	ok(json_has_lone_surrogate("{\"a\":\"\\udc00x\"}", 15),
	    "lone low surrogate is found");
	ok(json_has_lone_surrogate("\"\\ud83d\\u0041\"", 14),
	    "high surrogate before a non-surrogate is found");
	ok(!json_has_lone_surrogate("\"\\ud83d\\ude00\"", 14),
	    "surrogate pair is fine");
	ok(!json_has_lone_surrogate("\"\\\\ud800\"", 9),
	    "escaped backslash before ud800 is text");
	ok(!json_has_lone_surrogate("{\"\\u00e9\":\"\\\"\\ud800\"}", 9),
	    "lone surrogate after the scanned length is not seen");
	ok(!json_has_single_quote("{\"it's\":\"'\"}", 12),
	    "quote inside a string is ignored");
	ok(!json_has_single_quote("{\"a\\\"'\":1}", 11),
	    "escaped double quote keeps the string open");
	return done_testing();
}
