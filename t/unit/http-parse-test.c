/* Unit tests of the request-part parsers. */
#include <stdbool.h>
#include <string.h>

#include "http_parse.h"
#include "tap.h"

/*
 * Run json_find_bad_text() on the C string text and check what it finds:
 * field, path, in_key, lone_surrogate and offset, or nothing when field
 * is NULL.
 */
static void
expect_bad_text(const char *what, const char *text, const char *field,
    const char *path, bool in_key, bool lone_surrogate, size_t offset)
{
	struct json_bad_text bad;
	bool found = json_find_bad_text(text, strlen(text), &bad);

	if (field == NULL) {
		ok(!found, "%s: nothing found", what);
		json_bad_text_free(&bad);
		return;
	}
	if (!ok(found, "%s: found", what)) {
		json_bad_text_free(&bad);
		return;
	}
	ok(strcmp(bad.field.data, field) == 0, "%s: field is \"%s\" (got \"%s\")",
	    what, field, bad.field.data);
	ok(strcmp(bad.path.data, path) == 0, "%s: path is \"%s\" (got \"%s\")",
	    what, path, bad.path.data);
	ok(bad.in_key == in_key, "%s: %s", what, in_key ? "in a key" : "in a value");
	ok(bad.lone_surrogate == lone_surrogate, "%s: %s", what,
	    lone_surrogate ? "a lone surrogate" : "bytes that are not UTF-8");
	ok(bad.offset == offset, "%s: at offset %zu (got %zu)", what, offset,
	    bad.offset);
	json_bad_text_free(&bad);
}

static void
check_bad_text(void)
{
	struct json_bad_text bad;

	/* Bytes that are not UTF-8, named by the key that contains them. */
	expect_bad_text("byte 0xff in a value", "{\"username\":\"ab\xff\"}",
	    "username", "username", false, false, 15);
	expect_bad_text("second field", "{\"a\":\"ok\",\"email\":\"\xc3\"}",
	    "email", "email", false, false, 19);
	expect_bad_text("overlong encoding", "{\"password\":\"\xc0\xaf\"}",
	    "password", "password", false, false, 13);
	expect_bad_text("encoded surrogate", "{\"a\" : \"x\xed\xa0\x80\"}",
	    "a", "a", false, false, 9);
	expect_bad_text("escaped key before the value",
	    "{\"us\\u0065r\\\"x\":\"\xfe\"}", "use" "r\"x", "use" "r\"x",
	    false, false, 17);

	/* Nested values: the top-level key is the field, the path goes further. */
	expect_bad_text("array element", "{\"memberIds\":[\"a\",\"b\",\"\xff\"]}",
	    "memberIds", "memberIds[2]", false, false, 23);
	expect_bad_text("nested object",
	    "{\"x\":1,\"profile\":{\"bio\":\"ok\",\"name\":[{\"v\":\"\x80\"}]}}",
	    "profile", "profile.name[0].v", false, false, 43);
	expect_bad_text("top-level array", "[{\"a\":1},{\"b\":\"\xff\"}]",
	    "", "[1].b", false, false, 15);
	expect_bad_text("top-level string", "\"\xff\"", "", "", false, false, 1);
	expect_bad_text("empty containers before it",
	    "{\"a\":{},\"b\":[],\"c\":[[],{}],\"d\":\"\xff\"}", "d", "d", false,
	    false, 32);

	/* A key that is not text: its path ends with it, U+FFFD for the bytes. */
	expect_bad_text("key with byte 0xff", "{\"ab\xff\":1}", "ab\xef\xbf\xbd",
	    "ab\xef\xbf\xbd", true, false, 4);
	expect_bad_text("nested key", "{\"profile\":{\"ok\":1,\"\xff\":2}}",
	    "profile", "profile.\xef\xbf\xbd", true, false, 20);
	expect_bad_text("key with a lone surrogate", "{\"k\\udc00\":1}",
	    "k\xef\xbf\xbd", "k\xef\xbf\xbd", true, true, 3);

	/* Lone surrogate escapes. */
	expect_bad_text("lone high surrogate", "{\"username\":\"bunny\\ud800\"}",
	    "username", "username", false, true, 18);
	expect_bad_text("lone low surrogate", "{\"a\":\"\\udc00x\"}", "a", "a",
	    false, true, 6);
	expect_bad_text("high surrogate before a non-surrogate",
	    "{\"a\":\"\\ud83d\\u0041\"}", "a", "a", false, true, 6);
	expect_bad_text("high surrogate at the end", "{\"a\":\"\\uD83D\"}", "a",
	    "a", false, true, 6);
	expect_bad_text("two high surrogates", "{\"a\":\"\\ud83d\\ud83d\\ude00\"}",
	    "a", "a", false, true, 6);
	ok(json_find_bad_text("{\"email\":\"\\uDBFF\"}", 18, &bad) &&
	    strcmp(bad.escape, "\\uDBFF") == 0,
	    "the escape is kept as sent (got %s)", bad.escape);
	json_bad_text_free(&bad);

	/* Text. */
	expect_bad_text("surrogate pair", "{\"a\":\"\\ud83d\\ude00\"}", NULL, NULL,
	    false, false, 0);
	expect_bad_text("escaped backslash before ud800", "{\"a\":\"\\\\ud800\"}",
	    NULL, NULL, false, false, 0);
	expect_bad_text("escaped quote before ud800 text",
	    "{\"a\":\"\\\"\\\\ud800\"}", NULL, NULL, false, false, 0);
	expect_bad_text("UTF-8 of every length",
	    "{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xb0\","
	    "\"\xc3\xa9\":[1,\"\xf4\x8f\xbf\xbf\"]}",
	    NULL, NULL, false, false, 0);
	expect_bad_text("no strings", "[1,2.5e3,true,null,{}]", NULL, NULL,
	    false, false, 0);
	ok(!json_find_bad_text("{\"a\":\"x\xff\"}", 7, &bad),
	    "a bad byte after the scanned length is not seen");
	json_bad_text_free(&bad);
	ok(json_find_bad_text("\"\xe2\x82", 3, &bad) && bad.offset == 1,
	    "a sequence cut by the end of the text is found");
	json_bad_text_free(&bad);
}

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
	ok(query_parse("a=1&=2", &q, &err, &bad) == -1 && bad == NULL,
	    "parameter without a name is rejected");
	query_free(&q);
	ok(query_parse("a=1&limit=5%00abc", &q, &err, &bad) == -1 &&
	    strcmp(bad, "limit") == 0, "NUL in a value is rejected and named");
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
	check_bad_text();
	ok(!json_has_single_quote("{\"it's\":\"'\"}", 12),
	    "quote inside a string is ignored");
	ok(!json_has_single_quote("{\"a\\\"'\":1}", 11),
	    "escaped double quote keeps the string open");
	return done_testing();
}
