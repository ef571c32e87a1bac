/*
 * Fuzzes token_verify() with a fixed key and clock.  The first input byte
 * picks the mode, the rest is its text:
 *   even  the text is the token itself;
 *   odd   the text is "HEADER\nPAYLOAD" JSON (or PAYLOAD alone under a
 *         standard HS256 header), which the harness signs correctly with
 *         HMAC-SHA256 so that the fuzzer reaches the claim checks.
 * Accepted tokens must carry valid claims and a signature that OpenSSL,
 * computing the HMAC itself, agrees with.  A signed token with any one
 * character changed must be rejected.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>

#include "fuzz.h"
#include "token.h"

#define NOW 1700000000LL

static const unsigned char key[] = "fuzzing-key-0123456789abcdefghijklmnop";
#define KEY_LEN (sizeof(key) - 1)
static const unsigned char other_key[] = "another-key-0123456789abcdefghijklmnop";

static const char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Append data[0..len) as unpadded base64url. */
static void
add_base64url(struct buf *out, const unsigned char *data, size_t len)
{
	unsigned bits = 0;
	int nbits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		bits = (bits << 8 | data[i]) & 0xffff;
		nbits += 8;
		while (nbits >= 6) {
			nbits -= 6;
			buf_addc(out, base64url_alphabet[(bits >> nbits) & 0x3f]);
		}
	}
	if (nbits > 0)
		buf_addc(out, base64url_alphabet[(bits << (6 - nbits)) & 0x3f]);
}

/* Append the base64url HMAC-SHA256 of text[0..len) under key. */
static void
add_signature(struct buf *out, const char *text, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	FUZZ_CHECK(HMAC(EVP_sha256(), key, (int)KEY_LEN,
	    (const unsigned char *)text, len, mac, &mac_len) != NULL,
	    "OpenSSL computes the HMAC");
	add_base64url(out, mac, mac_len);
}

static bool
reason_documented(const char *reason)
{
	static const char *const reasons[] = { "missing token", "too long",
		"malformed", "bad signature", "wrong algorithm",
		"wrong token type", "invalid sub", "invalid sid",
		"invalid username", "invalid iat", "invalid exp", "expired",
		"issued in the future", NULL };
	const char *const *r;

	for (r = reasons; reason != NULL && *r != NULL; r++)
		if (strcmp(reason, *r) == 0)
			return true;
	return false;
}

/* Verify token; on acceptance check the claims and the signature. */
static int
verify(const char *token)
{
	struct token_claims claims;
	const char *reason = NULL, *last_dot;
	struct buf expected;
	int rc;

	rc = token_verify(key, KEY_LEN, token, NOW, &claims, &reason);
	if (rc == -1) {
		FUZZ_CHECK(reason_documented(reason),
		    "a rejection gives a documented reason");
		return rc;
	}
	FUZZ_CHECK(rc == 0, "token_verify returns 0 or -1");
	FUZZ_CHECK(strcmp(claims.typ, "access") == 0, "typ is access");
	FUZZ_CHECK(token_is_uuid(claims.sub) && token_is_uuid(claims.sid),
	    "sub and sid are UUIDs");
	FUZZ_CHECK(claims.username[0] != '\0' &&
	    strlen(claims.username) <= TOKEN_USERNAME_MAX,
	    "username is 1 to TOKEN_USERNAME_MAX bytes");
	FUZZ_CHECK(claims.exp > NOW && claims.iat >= 0 &&
	    claims.iat <= NOW + TOKEN_IAT_SKEW, "iat and exp admit now");

	last_dot = strrchr(token, '.');
	buf_init(&expected);
	add_signature(&expected, token, (size_t)(last_dot - token));
	FUZZ_CHECK(strcmp(last_dot + 1, expected.data) == 0,
	    "an accepted token carries the HMAC-SHA256 of its text");
	buf_free(&expected);

	FUZZ_CHECK(token_verify(other_key, sizeof(other_key) - 1, token, NOW,
	    &claims, &reason) == -1, "another key rejects the token");
	return rc;
}

/* Sign "HEADER\nPAYLOAD" (or PAYLOAD) and return the token. */
static char *
build_token(const char *text)
{
	static const char standard[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	const char *newline = strchr(text, '\n');
	const char *header = standard, *payload = text;
	size_t header_len = sizeof(standard) - 1;
	struct buf token;

	if (newline != NULL) {
		header = text;
		header_len = (size_t)(newline - text);
		payload = newline + 1;
	}
	buf_init(&token);
	add_base64url(&token, (const unsigned char *)header, header_len);
	buf_addc(&token, '.');
	add_base64url(&token, (const unsigned char *)payload, strlen(payload));
	add_signature(&token, token.data, token.len);
	return buf_detach(&token, NULL);
}

/* Replace the character at pick (modulo the length) with another one. */
static void
alter(char *token, unsigned pick)
{
	size_t len = strlen(token), i = pick % len;
	const char *at;

	if (token[i] == '.')
		i = (i + 1) % len;
	at = strchr(base64url_alphabet, token[i]);
	FUZZ_CHECK(at != NULL, "the built token is base64url");
	token[i] = base64url_alphabet[(size_t)(at - base64url_alphabet + 1 +
	    pick / len % 63) % 64];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *token, *dot;

	if (size == 0)
		return 0;
	text = fuzz_string(data + 1, size - 1);
	if ((data[0] & 1) == 0) {
		verify(text);
		free(text);
		return 0;
	}

	token = build_token(text);
	verify(token);
	dot = strchr(token, '.');
	if (strlen(token) <= TOKEN_MAX_LEN && dot != token &&
	    dot[1] != '.') {
		alter(token, data[0] >> 1 | (size > 1 ? data[1] : 0u) << 7);
		FUZZ_CHECK(verify(token) == -1,
		    "a token with one character changed is rejected");
	}
	free(token);
	free(text);
	return 0;
}
