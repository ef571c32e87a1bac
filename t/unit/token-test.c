/*
 * Unit tests for token.c.  Bad access tokens are built by hand here, with
 * OpenSSL's HMAC and base64 rather than libjwt, so that the tests do not
 * share the code that token.c relies on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "tap.h"
#include "token.h"
#include "util.h"

#define NOW 1700000000LL
#define SUB "0b7e8a52-3c1d-4f6e-9a2b-5c4d3e2f1a0b"
#define SID "7c9e6679-7425-40de-944b-e07fc1f90ae7"

/* JSON text of a payload, each argument already JSON (quoted strings). */
#define PAYLOAD(sub, sid, username, typ, iat, exp)                             \
	"{\"sub\":" sub ",\"sid\":" sid ",\"username\":" username              \
	",\"typ\":" typ ",\"iat\":" iat ",\"exp\":" exp "}"
#define QUOTE(s)  "\"" s "\""
#define GOOD_SUB  QUOTE(SUB)
#define GOOD_SID  QUOTE(SID)
#define GOOD_USER QUOTE("bunny")
#define GOOD_TYP  QUOTE("access")
#define GOOD_IAT  "1700000000"
#define GOOD_EXP  "1700000600"
#define GOOD_PAYLOAD                                                           \
	PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT, GOOD_EXP)

#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define NONE_HEADER  "{\"alg\":\"none\",\"typ\":\"JWT\"}"

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
static const unsigned char other_key[] = "fedcba9876543210fedcba9876543210";
#define KEY_LEN 32

/* Signature of a hand-built token. */
enum signing {
	SIGN_HS256,           /* HMAC-SHA256 with key */
	SIGN_HS256_OTHER_KEY, /* HMAC-SHA256 with other_key */
	SIGN_HS384,           /* HMAC-SHA384 with key */
	SIGN_HS512,           /* HMAC-SHA512 with key */
	SIGN_HS512_OTHER_KEY, /* HMAC-SHA512 with other_key */
	SIGN_EMPTY,           /* empty signature after the second dot */
	SIGN_JUNK,            /* a short base64url string */
	SIGN_NO_DOT           /* no signature and no second dot */
};

/* Append len bytes as unpadded base64url. */
static void
add_base64url(struct buf *out, const void *data, size_t len)
{
	unsigned char *text = xmalloc(4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock(text, data, (int)len);
	int i;

	while (n > 0 && text[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		if (text[i] == '+')
			text[i] = '-';
		else if (text[i] == '/')
			text[i] = '_';
	}
	buf_add(out, text, (size_t)n);
	free(text);
}

/* Build header.payload.signature from JSON texts.  The caller frees it. */
static char *
build_token(const char *header, const char *payload, enum signing signing)
{
	const EVP_MD *md = EVP_sha256();
	const unsigned char *signing_key = key;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	struct buf b;

	buf_init(&b);
	add_base64url(&b, header, strlen(header));
	buf_addc(&b, '.');
	add_base64url(&b, payload, strlen(payload));

	switch (signing) {
	case SIGN_EMPTY:
		buf_addc(&b, '.');
		return buf_detach(&b, NULL);
	case SIGN_JUNK:
		buf_adds(&b, ".AAAA");
		return buf_detach(&b, NULL);
	case SIGN_NO_DOT:
		return buf_detach(&b, NULL);
	case SIGN_HS256_OTHER_KEY:
		signing_key = other_key;
		break;
	case SIGN_HS384:
		md = EVP_sha384();
		break;
	case SIGN_HS512_OTHER_KEY:
		signing_key = other_key;
		md = EVP_sha512();
		break;
	case SIGN_HS512:
		md = EVP_sha512();
		break;
	case SIGN_HS256:
		break;
	}

	HMAC(md, signing_key, KEY_LEN, (const unsigned char *)b.data, b.len,
	     mac, &mac_len);
	buf_addc(&b, '.');
	add_base64url(&b, mac, mac_len);
	return buf_detach(&b, NULL);
}

/*
 * Check that token_verify() rejects token with expected_reason, or with any
 * reason when expected_reason is NULL, and leaves the claims zeroed.
 */
static void
check_rejected(const char *token, const char *expected_reason,
               const char *description)
{
	struct token_claims claims;
	const char *reason = NULL;
	int rc;

	memset(&claims, 'x', sizeof(claims));
	rc = token_verify(key, KEY_LEN, token, NOW, &claims, &reason);
	ok(rc == -1, "%s is rejected", description);
	if (expected_reason == NULL) {
		ok(reason != NULL, "%s has a reason", description);
	} else if (!ok(reason != NULL && strcmp(reason, expected_reason) == 0,
	               "%s is rejected as %s", description, expected_reason)) {
		diag("reason was %s", reason != NULL ? reason : "NULL");
	}
	ok(claims.sub[0] == '\0' && claims.username[0] == '\0' &&
	       claims.exp == 0,
	   "%s leaves the claims zeroed", description);
}

/* Return the reason token_verify() gives, or "accepted" when it returns 0. */
static const char *
verify_reason(const unsigned char *verify_key, size_t key_len,
              const char *token, long long now)
{
	struct token_claims claims;
	const char *reason = NULL;

	if (token_verify(verify_key, key_len, token, now, &claims, &reason) ==
	    0)
		return "accepted";
	return reason != NULL ? reason : "no reason";
}

static void
test_issue_round_trip(void)
{
	struct token_claims claims;
	const char *reason = "unset";
	char *token;

	token = token_issue(key, KEY_LEN, SUB, "bunny", SID, NOW, 600);
	ok(token != NULL, "issue returns a token");
	ok(token_verify(key, KEY_LEN, token, NOW, &claims, &reason) == 0,
	   "issued token verifies");
	ok(strcmp(reason, "unset") == 0, "success leaves the reason alone");
	ok(strcmp(claims.sub, SUB) == 0, "claims carry sub");
	ok(strcmp(claims.sid, SID) == 0, "claims carry sid");
	ok(strcmp(claims.username, "bunny") == 0, "claims carry username");
	ok(strcmp(claims.typ, "access") == 0, "claims carry typ access");
	ok(claims.iat == NOW, "claims carry iat = now");
	ok(claims.exp == NOW + 600, "claims carry exp = now + ttl");
	ok(token_verify(key, KEY_LEN, token, NOW + 599, &claims, NULL) == 0,
	   "token verifies one second before exp");
	ok(strcmp(verify_reason(key, KEY_LEN, token, NOW + 600), "expired") ==
	       0,
	   "token is expired at exp");
	ok(strcmp(verify_reason(other_key, KEY_LEN, token, NOW),
	          "bad signature") == 0,
	   "token fails under another key");
	free(token);

	token = token_issue(key, KEY_LEN, SUB, "\xc3\xa9lodie", SID, NOW, 60);
	ok(token_verify(key, KEY_LEN, token, NOW, &claims, NULL) == 0,
	   "token with a UTF-8 username verifies");
	ok(strcmp(claims.username, "\xc3\xa9lodie") == 0,
	   "UTF-8 username survives the round trip");
	free(token);
}

static void
test_issue_rejects(void)
{
	char long_name[TOKEN_USERNAME_MAX + 2];
	char *token;

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';

	ok(token_issue(key, KEY_LEN - 1, SUB, "bunny", SID, NOW, 60) == NULL,
	   "issue rejects a 31-byte key");
	ok(token_issue(NULL, KEY_LEN, SUB, "bunny", SID, NOW, 60) == NULL,
	   "issue rejects a NULL key");
	ok(token_issue(key, KEY_LEN, "not-a-uuid", "bunny", SID, NOW, 60) ==
	       NULL,
	   "issue rejects a sub that is not a UUID");
	ok(token_issue(key, KEY_LEN, SUB, "bunny", NULL, NOW, 60) == NULL,
	   "issue rejects a NULL sid");
	ok(token_issue(key, KEY_LEN, SUB, "", SID, NOW, 60) == NULL,
	   "issue rejects an empty username");
	ok(token_issue(key, KEY_LEN, SUB, long_name, SID, NOW, 60) == NULL,
	   "issue rejects a 65-byte username");
	ok(token_issue(key, KEY_LEN, SUB, "\xff\xfe", SID, NOW, 60) == NULL,
	   "issue rejects a username that is not UTF-8");
	ok(token_issue(key, KEY_LEN, SUB, "bunny", SID, NOW, 0) == NULL,
	   "issue rejects a zero ttl");
	ok(token_issue(key, KEY_LEN, SUB, "bunny", SID, -1, 60) == NULL,
	   "issue rejects a negative now");
	ok(token_issue(key, KEY_LEN, SUB, "bunny", SID, NOW,
	               0x7fffffffffffffffLL) == NULL,
	   "issue rejects an exp that overflows");

	long_name[TOKEN_USERNAME_MAX] = '\0';
	token = token_issue(key, KEY_LEN, SUB, long_name, SID, NOW, 60);
	ok(token != NULL, "issue accepts a 64-byte username");
	free(token);
}

static void
test_hand_built_tokens_verify(void)
{
	struct token_claims claims;
	char *token;

	token = build_token(HS256_HEADER, GOOD_PAYLOAD, SIGN_HS256);
	ok(token_verify(key, KEY_LEN, token, NOW, &claims, NULL) == 0,
	   "hand-built HS256 token verifies");
	free(token);

	token = build_token(HS256_HEADER,
	                    PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP,
	                            "1700000060", GOOD_EXP),
	                    SIGN_HS256);
	ok(token_verify(key, KEY_LEN, token, NOW, &claims, NULL) == 0,
	   "iat 60 seconds ahead is accepted");
	free(token);
}

static void
test_bad_signatures(void)
{
	static const struct {
		const char *header;
		enum signing signing;
		const char *reason;
		const char *description;
	} cases[] = {
	    {NONE_HEADER, SIGN_EMPTY, "wrong algorithm",
	     "alg none with empty signature"},
	    {NONE_HEADER, SIGN_NO_DOT, NULL, "alg none without the second dot"},
	    {NONE_HEADER, SIGN_HS256, "wrong algorithm",
	     "alg none with a valid HMAC"},
	    {"{\"alg\":\"NONE\"}", SIGN_EMPTY, NULL, "alg NONE in capitals"},
	    {"{\"alg\":\"hs256\"}", SIGN_HS256, "wrong algorithm",
	     "alg hs256 in lower case"},
	    {"{\"alg\":\"RS256\"}", SIGN_HS256, NULL, "alg RS256 with an HMAC"},
	    {"{\"typ\":\"JWT\"}", SIGN_HS256, "malformed",
	     "header without alg"},
	    {HS256_HEADER, SIGN_HS256_OTHER_KEY, "bad signature",
	     "HS256 under another key"},
	    {HS256_HEADER, SIGN_EMPTY, "bad signature",
	     "HS256 with empty signature"},
	    {HS256_HEADER, SIGN_JUNK, "bad signature",
	     "HS256 with a junk signature"},
	    {HS256_HEADER, SIGN_HS512, "bad signature",
	     "HS256 header over an HS512 MAC"},
	    {"{\"alg\":\"HS384\",\"typ\":\"JWT\"}", SIGN_HS384,
	     "wrong algorithm", "HS384 under the right key"},
	    {"{\"alg\":\"HS512\",\"typ\":\"JWT\"}", SIGN_HS512,
	     "wrong algorithm", "HS512 under the right key"},
	    {"{\"alg\":\"HS512\",\"typ\":\"JWT\"}", SIGN_HS512_OTHER_KEY,
	     "wrong algorithm", "HS512 under another key"},
	};
	size_t i;
	char *token;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		token = build_token(cases[i].header, GOOD_PAYLOAD,
		                    cases[i].signing);
		check_rejected(token, cases[i].reason, cases[i].description);
		free(token);
	}
}

static void
test_tampered(void)
{
	char *token = token_issue(key, KEY_LEN, SUB, "bunny", SID, NOW, 600);
	char *first_dot = strchr(token, '.');
	char *second_dot = strchr(first_dot + 1, '.');
	const char *payload = PAYLOAD(GOOD_SUB, GOOD_SID, QUOTE("admin"),
	                              GOOD_TYP, GOOD_IAT, GOOD_EXP);
	struct buf b;
	char *tampered;

	buf_init(&b);
	buf_add(&b, token, (size_t)(first_dot - token + 1));
	add_base64url(&b, payload, strlen(payload));
	buf_adds(&b, second_dot);
	tampered = buf_detach(&b, NULL);
	check_rejected(tampered, "bad signature",
	               "token with tampered payload");
	free(tampered);

	second_dot[5] = second_dot[5] == 'A' ? 'B' : 'A';
	check_rejected(token, "bad signature",
	               "token with one signature character changed");
	free(token);
}

static void
test_bad_claims(void)
{
	static const struct {
		const char *payload;
		const char *reason;
		const char *description;
	} cases[] = {
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT,
	             "1699999999"),
	     "expired", "token expired a second ago"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT,
	             "1700000000"),
	     "expired", "token with exp equal to now"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT,
	             QUOTE("1700000600")),
	     "invalid exp", "exp as a string"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT,
	             "1700000600.0"),
	     "invalid exp", "exp as a real"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT, "true"),
	     "invalid exp", "exp as a boolean"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT, "null"),
	     "invalid exp", "exp as null"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT, "-5"),
	     "invalid exp", "negative exp"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT, "1e30"),
	     "invalid exp", "exp in exponent notation"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT,
	             "99999999999999999999999"),
	     "malformed", "exp beyond 64 bits"},
	    {"{\"sub\":" GOOD_SUB ",\"sid\":" GOOD_SID
	     ",\"username\":" GOOD_USER ",\"typ\":" GOOD_TYP
	     ",\"iat\":" GOOD_IAT "}",
	     "invalid exp", "missing exp"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP,
	             QUOTE("1700000000"), GOOD_EXP),
	     "invalid iat", "iat as a string"},
	    {"{\"sub\":" GOOD_SUB ",\"sid\":" GOOD_SID
	     ",\"username\":" GOOD_USER ",\"typ\":" GOOD_TYP
	     ",\"exp\":" GOOD_EXP "}",
	     "invalid iat", "missing iat"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, GOOD_TYP, "1700000061",
	             GOOD_EXP),
	     "issued in the future", "iat 61 seconds ahead"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, QUOTE("refresh"), GOOD_IAT,
	             GOOD_EXP),
	     "wrong token type", "typ refresh"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER,
	             QUOTE("access-and-more-text"), GOOD_IAT, GOOD_EXP),
	     "wrong token type", "typ longer than its field"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, GOOD_USER, "1", GOOD_IAT, GOOD_EXP),
	     "wrong token type", "typ as a number"},
	    {"{\"sub\":" GOOD_SUB ",\"sid\":" GOOD_SID
	     ",\"username\":" GOOD_USER ",\"iat\":" GOOD_IAT
	     ",\"exp\":" GOOD_EXP "}",
	     "wrong token type", "missing typ"},
	    {PAYLOAD(QUOTE("0B7E8A52-3C1D-4F6E-9A2B-5C4D3E2F1A0B"), GOOD_SID,
	             GOOD_USER, GOOD_TYP, GOOD_IAT, GOOD_EXP),
	     "invalid sub", "upper-case sub"},
	    {PAYLOAD("42", GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT, GOOD_EXP),
	     "invalid sub", "sub as a number"},
	    {PAYLOAD(QUOTE(SUB "0"), GOOD_SID, GOOD_USER, GOOD_TYP, GOOD_IAT,
	             GOOD_EXP),
	     "invalid sub", "sub one digit too long"},
	    {PAYLOAD(GOOD_SUB, QUOTE("session"), GOOD_USER, GOOD_TYP, GOOD_IAT,
	             GOOD_EXP),
	     "invalid sid", "sid not a UUID"},
	    {"{\"sub\":" GOOD_SUB ",\"username\":" GOOD_USER
	     ",\"typ\":" GOOD_TYP ",\"iat\":" GOOD_IAT ",\"exp\":" GOOD_EXP "}",
	     "invalid sid", "missing sid"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, QUOTE(""), GOOD_TYP, GOOD_IAT,
	             GOOD_EXP),
	     "invalid username", "empty username"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID,
	             QUOTE("aaaaaaaaaaaaaaaaaaaaaaaaaa"
	                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	             GOOD_TYP, GOOD_IAT, GOOD_EXP),
	     "invalid username", "65-byte username"},
	    {PAYLOAD(GOOD_SUB, GOOD_SID, "[\"bunny\"]", GOOD_TYP, GOOD_IAT,
	             GOOD_EXP),
	     "invalid username", "username as an array"},
	    {"not json", "malformed", "payload that is not JSON"},
	    {"[1,2]", NULL, "payload that is an array"},
	    {"{}", "wrong token type", "empty payload object"},
	};
	size_t i;
	char *token;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		token = build_token(HS256_HEADER, cases[i].payload, SIGN_HS256);
		check_rejected(token, cases[i].reason, cases[i].description);
		free(token);
	}
}

static void
test_garbage(void)
{
	static const struct {
		const char *token;
		const char *reason;
		const char *description;
	} cases[] = {
	    {"", "missing token", "empty string"},
	    {".", "malformed", "one dot"},
	    {"..", "malformed", "two dots"},
	    {"...", "malformed", "three dots"},
	    {"a.b.c.d", "malformed", "four segments"},
	    {"aGVsbG8.d29ybGQ.Zm9v", "malformed", "base64 of plain words"},
	    {"eyJhbGciOiJIUzI1NiJ9..", "malformed", "header only"},
	    {".e30.AAAA", "malformed", "empty header segment"},
	    {"e30..AAAA", "malformed", "empty payload segment"},
	    {"e30=.e30.AAAA", "malformed", "segment with base64 padding"},
	    {"\xff\xfe\x01.\x02\x03.\x04", "malformed", "binary bytes"},
	    {"Bearer x.y.z", "malformed", "token with a Bearer prefix"},
	};
	char *huge = xmalloc(TOKEN_MAX_LEN + 2);
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++)
		check_rejected(cases[i].token, cases[i].reason,
		               cases[i].description);
	check_rejected(NULL, "missing token", "NULL token");

	memset(huge, 'a', TOKEN_MAX_LEN + 1);
	huge[TOKEN_MAX_LEN + 1] = '\0';
	check_rejected(huge, "too long", "4097-byte token");
	huge[TOKEN_MAX_LEN] = '\0';
	huge[100] = '.';
	huge[200] = '.';
	check_rejected(huge, "malformed", "4096-byte junk token");
	free(huge);
}

/*
 * Change one character of an issued token at a time, to another base64url
 * character and, unless it is a dot already, to a dot.  The last character
 * is left alone because its low bits are padding, which a decoder that
 * compares bytes would ignore.
 */
static void
test_mutated_tokens(void)
{
	char *token = token_issue(key, KEY_LEN, SUB, "bunny", SID, NOW, 600);
	size_t i, len = strlen(token);
	int accepted = 0, tries = 0;
	char original;

	for (i = 0; i + 1 < len; i++) {
		original = token[i];
		token[i] = original == 'A' ? 'B' : 'A';
		tries++;
		if (strcmp(verify_reason(key, KEY_LEN, token, NOW),
		           "accepted") == 0)
			accepted++;
		if (original != '.') {
			token[i] = '.';
			tries++;
			if (strcmp(verify_reason(key, KEY_LEN, token, NOW),
			           "accepted") == 0)
				accepted++;
		}
		token[i] = original;
	}
	ok(accepted == 0, "none of %d one-character changes is accepted",
	   tries);
	ok(strcmp(verify_reason(key, KEY_LEN, token, NOW), "accepted") == 0,
	   "unchanged token still verifies");
	free(token);
}

/*
 * Check that random strings are rejected with a reason: half from the
 * base64url alphabet and dots, half random non-NUL bytes.
 */
static void
test_random_garbage(void)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
	unsigned char noise[600];
	char text[301];
	const char *reason;
	int i, rejected = 0, tries = 2000;
	size_t j, len;

	for (i = 0; i < tries; i++) {
		if (RAND_bytes(noise, sizeof(noise)) != 1)
			break;
		len = 1 + noise[0] % 300;
		for (j = 0; j < len; j++) {
			if (i % 2 == 0)
				text[j] = alphabet[noise[j + 1] % 65];
			else
				text[j] = (char)(noise[j + 1] | 1);
		}
		text[len] = '\0';
		reason = verify_reason(key, KEY_LEN, text, NOW);
		if (strcmp(reason, "accepted") != 0 &&
		    strcmp(reason, "no reason") != 0)
			rejected++;
	}
	ok(rejected == tries, "%d random strings are all rejected", tries);
}

static void
test_verify_arguments(void)
{
	struct token_claims claims;
	char *token = token_issue(key, KEY_LEN, SUB, "bunny", SID, NOW, 600);

	ok(strcmp(verify_reason(key, KEY_LEN - 1, token, NOW), "invalid key") ==
	       0,
	   "verify rejects a 31-byte key");
	ok(strcmp(verify_reason(NULL, KEY_LEN, token, NOW), "invalid key") == 0,
	   "verify rejects a NULL key");
	ok(strcmp(verify_reason(key, KEY_LEN, token, -1), "invalid time") == 0,
	   "verify rejects a negative now");
	ok(token_verify(key, KEY_LEN, "...", NOW, &claims, NULL) == -1,
	   "verify accepts a NULL reason pointer");
	free(token);
}

static bool
is_base64url(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	}
	return true;
}

static void
test_random_and_refresh(void)
{
	unsigned char a[32], b[32];
	char first[TOKEN_REFRESH_LEN + 1], second[TOKEN_REFRESH_LEN + 1];

	ok(token_random(a, sizeof(a)) == 0, "random fills 32 bytes");
	ok(token_random(b, sizeof(b)) == 0, "random fills 32 more bytes");
	ok(memcmp(a, b, sizeof(a)) != 0, "two random draws differ");
	ok(token_random(a, 0) == 0, "random accepts zero bytes");

	ok(token_new_refresh(first) == 0, "refresh token is created");
	ok(token_new_refresh(second) == 0, "second refresh token is created");
	ok(strlen(first) == 43, "refresh token has 43 characters");
	ok(is_base64url(first), "refresh token is base64url");
	ok(strcmp(first, second) != 0, "two refresh tokens differ");
}

static void
test_sha256(void)
{
	char hex[65], truncated[65];

	token_sha256_hex("abc", 3, hex);
	ok(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
	               "b00361a396177a9cb410ff61f20015ad") == 0,
	   "SHA-256 of abc matches the FIPS 180-2 vector");
	token_sha256_hex("", 0, hex);
	ok(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	               "27ae41e4649b934ca495991b7852b855") == 0,
	   "SHA-256 of the empty string matches");
	token_sha256_hex("a\0b", 3, hex);
	token_sha256_hex("a", 1, truncated);
	ok(strcmp(hex, truncated) != 0, "SHA-256 covers bytes after a NUL");
}

static void
test_uuid(void)
{
	static const struct {
		const char *text;
		bool expected;
	} cases[] = {
	    {"7c9e6679-7425-40de-944b-e07fc1f90ae7", true},
	    {"00000000-0000-0000-0000-000000000000", true},
	    {"7C9E6679-7425-40DE-944B-E07FC1F90AE7", false},
	    {"7c9e66797425-40de-944b-e07fc1f90ae7-", false},
	    {"7c9e6679742540de944be07fc1f90ae7", false},
	    {"7c9e6679-7425-40de-944b-e07fc1f90ae", false},
	    {"7c9e6679-7425-40de-944b-e07fc1f90ae70", false},
	    {"7c9e6679-7425-40de-944b-e07fc1f90aeg", false},
	    {"{7c9e6679-7425-40de-944b-e07fc1f90ae7}", false},
	    {" 7c9e6679-7425-40de-944b-e07fc1f90ae7", false},
	    {"", false},
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++)
		ok(token_is_uuid(cases[i].text) == cases[i].expected,
		   "is_uuid(\"%s\") is %s", cases[i].text,
		   cases[i].expected ? "true" : "false");
	ok(!token_is_uuid(NULL), "is_uuid(NULL) is false");
}

static void
test_remembered(void)
{
	struct token_claims claims;
	const char *reason = NULL;
	char *token, *other, *copy;

	token = token_issue(key, KEY_LEN, SUB, "bunny", SID, NOW, 600);
	ok(token_verify_remembered(key, KEY_LEN, token, NOW, &claims,
	                           &reason) == 0,
	   "remembered: first use verifies");
	ok(token_verify_remembered(key, KEY_LEN, token, NOW + 1, &claims,
	                           &reason) == 0,
	   "remembered: second use verifies");
	ok(strcmp(claims.sub, SUB) == 0 && strcmp(claims.sid, SID) == 0 &&
	       claims.exp == NOW + 600,
	   "remembered: second use has the claims");
	copy = xstrdup(token);
	ok(token_verify_remembered(key, KEY_LEN, copy, NOW, &claims, NULL) ==
	       0,
	   "remembered: an equal copy verifies");
	free(copy);
	ok(token_verify_remembered(key, KEY_LEN, token, NOW + 600, &claims,
	                           &reason) == -1,
	   "remembered: expired at exp");
	ok(strcmp(reason, "expired") == 0, "remembered: reason is expired");
	ok(claims.sub[0] == '\0', "remembered: claims zeroed on failure");
	ok(token_verify_remembered(other_key, KEY_LEN, token, NOW, &claims,
	                           &reason) == -1,
	   "remembered: another key rejects it");
	ok(strcmp(reason, "bad signature") == 0,
	   "remembered: another key checks the signature");
	ok(token_verify_remembered(key, KEY_LEN, token, NOW, &claims, NULL) ==
	       0,
	   "remembered: back to the first key verifies");

	/* One byte changed in the signature must not match the slot. */
	other = xstrdup(token);
	other[strlen(other) - 2] = other[strlen(other) - 2] == 'A' ? 'B' : 'A';
	ok(token_verify_remembered(key, KEY_LEN, other, NOW, &claims,
	                           &reason) == -1,
	   "remembered: a changed signature fails");
	free(other);

	/* More tokens than slots: every one still verifies. */
	{
		char *many[TOKEN_REMEMBERED * 2];
		size_t i, good = 0;

		for (i = 0; i < ARRAY_LEN(many); i++) {
			char name[32];

			snprintf(name, sizeof(name), "bunny%zu", i);
			many[i] = token_issue(key, KEY_LEN, SUB, name, SID, NOW,
			                      600);
			good += token_verify_remembered(key, KEY_LEN, many[i],
			                                NOW, &claims,
			                                NULL) == 0 &&
			        strcmp(claims.username, name) == 0;
		}
		for (i = 0; i < ARRAY_LEN(many); i++) {
			char name[32];

			snprintf(name, sizeof(name), "bunny%zu", i);
			good += token_verify_remembered(key, KEY_LEN, many[i],
			                                NOW, &claims,
			                                NULL) == 0 &&
			        strcmp(claims.username, name) == 0;
			free(many[i]);
		}
		ok(good == 2 * ARRAY_LEN(many),
		   "remembered: %zu tokens verify with their own claims",
		   ARRAY_LEN(many));
	}
	ok(token_verify_remembered(key, KEY_LEN, "a.b.c", NOW, &claims,
	                           &reason) == -1,
	   "remembered: garbage is rejected");
	free(token);
}

int
main(void)
{
	test_issue_round_trip();
	test_issue_rejects();
	test_hand_built_tokens_verify();
	test_bad_signatures();
	test_tampered();
	test_bad_claims();
	test_garbage();
	test_mutated_tokens();
	test_random_garbage();
	test_verify_arguments();
	test_random_and_refresh();
	test_sha256();
	test_uuid();
	test_remembered();
	return done_testing();
}
