/*
 * Access tokens as HS256 JWTs through libjwt, and the random strings and
 * digests behind refresh tokens.  Sessions, cookies and the storage of
 * refresh-token digests are left to the callers.
 *
 * libjwt 1.10.2 (Debian 12) verifies the signature when given a key, but
 * it checks neither exp nor which HMAC algorithm signed the token.  A token
 * signed with HS512 under our key decodes, and so does one whose header
 * says "hs256" in lower case.  Without a key it decodes alg "none" tokens,
 * and with a key it rejects them with EINVAL.  So every decode that yields
 * claims passes the key, and token_verify() checks the exact alg text, the
 * claim types and the times itself.
 */
#include "token.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SHA256_LEN 32

static bool
key_valid(const unsigned char *key, size_t key_len)
{
	return key != NULL && key_len >= TOKEN_MIN_KEY_LEN &&
	       key_len <= INT_MAX;
}

static bool
username_valid(const char *username)
{
	size_t len;

	if (username == NULL)
		return false;
	len = strnlen(username, TOKEN_USERNAME_MAX + 1);
	return len >= 1 && len <= TOKEN_USERNAME_MAX;
}

char *
token_issue(const unsigned char *key, size_t key_len, const char *sub,
            const char *username, const char *sid, long long now,
            long long ttl_seconds)
{
	jwt_t *jwt = NULL;
	char *token = NULL;

	/* jwt_add_grant_int() takes a long, so exp must fit in one. */
	if (!key_valid(key, key_len) || !token_is_uuid(sub) ||
	    !token_is_uuid(sid) || !username_valid(username) || now < 0 ||
	    ttl_seconds <= 0 || now > LONG_MAX - ttl_seconds)
		return NULL;
	if (jwt_new(&jwt) != 0)
		return NULL;

	if (jwt_add_grant(jwt, "sub", sub) == 0 &&
	    jwt_add_grant(jwt, "sid", sid) == 0 &&
	    jwt_add_grant(jwt, "username", username) == 0 &&
	    jwt_add_grant(jwt, "typ", "access") == 0 &&
	    jwt_add_grant_int(jwt, "iat", (long)now) == 0 &&
	    jwt_add_grant_int(jwt, "exp", (long)(now + ttl_seconds)) == 0 &&
	    jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)key_len) == 0)
		token = jwt_encode_str(jwt);

	jwt_free(jwt);
	return token;
}

static bool
is_base64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Check that token has three dot-separated segments of unpadded base64url,
 * the first two non-empty.  libjwt 1.10.2 writes past the end of a
 * zero-byte allocation when the header or payload segment is empty (seen
 * with valgrind on "..." and "e30..x"), so such tokens must not reach it.
 */
static bool
shape_valid(const char *token)
{
	size_t dots = 0, segment_len = 0;
	const char *p;

	for (p = token; *p != '\0'; p++) {
		if (*p != '.') {
			if (!is_base64url_char(*p))
				return false;
			segment_len++;
			continue;
		}
		if (segment_len == 0 || ++dots > 2)
			return false;
		segment_len = 0;
	}
	return dots == 2;
}

static const char *
check_arguments(const unsigned char *key, size_t key_len, const char *token,
                long long now)
{
	if (!key_valid(key, key_len))
		return "invalid key";
	if (now < 0)
		return "invalid time";
	if (token == NULL || token[0] == '\0')
		return "missing token";
	if (strnlen(token, TOKEN_MAX_LEN + 1) > TOKEN_MAX_LEN)
		return "too long";
	if (!shape_valid(token))
		return "malformed";
	return NULL;
}

/*
 * Name the reason a keyed decode failed, since jwt_decode() returns EINVAL
 * for every failure.  The token is decoded again without a key only to read
 * its header, and nothing else from that unverified decode is used.
 */
static const char *
decode_failure_reason(const char *token)
{
	jwt_t *unverified = NULL;
	const char *alg, *reason;

	if (jwt_decode(&unverified, token, NULL, 0) != 0)
		return "malformed";
	alg = jwt_get_header(unverified, "alg");
	if (alg != NULL && strcmp(alg, "HS256") == 0)
		reason = "bad signature";
	else
		reason = "wrong algorithm";
	jwt_free(unverified);
	return reason;
}

static const char *
decode(const unsigned char *key, size_t key_len, const char *token, jwt_t **jwt)
{
	const char *alg;

	if (jwt_decode(jwt, token, key, (int)key_len) != 0)
		return decode_failure_reason(token);
	alg = jwt_get_header(*jwt, "alg");
	if (jwt_get_alg(*jwt) != JWT_ALG_HS256 || alg == NULL ||
	    strcmp(alg, "HS256") != 0)
		return "wrong algorithm";
	return NULL;
}

/* Copy a string claim into out, failing when it is absent or too long. */
static bool
copy_string_claim(jwt_t *jwt, const char *name, char *out, size_t size)
{
	const char *value = jwt_get_grant(jwt, name);
	size_t len;

	if (value == NULL)
		return false;
	len = strnlen(value, size);
	if (len == size)
		return false;
	memcpy(out, value, len + 1);
	return true;
}

/*
 * Read an integer claim from its JSON text, because jwt_get_grant_int() in
 * libjwt 1.10.2 returns 0 without setting errno for a string, real or
 * boolean claim.
 */
static bool
read_integer_claim(jwt_t *jwt, const char *name, long long *out)
{
	char *json = jwt_get_grants_json(jwt, name);
	char *end;
	bool valid = false;

	if (json != NULL &&
	    (json[0] == '-' || (json[0] >= '0' && json[0] <= '9'))) {
		errno = 0;
		*out = strtoll(json, &end, 10);
		valid = errno == 0 && end != json && *end == '\0';
	}
	free(json);
	return valid;
}

static const char *
read_claims(jwt_t *jwt, long long now, struct token_claims *claims)
{
	if (!copy_string_claim(jwt, "typ", claims->typ, sizeof(claims->typ)) ||
	    strcmp(claims->typ, "access") != 0)
		return "wrong token type";
	if (!copy_string_claim(jwt, "sub", claims->sub, sizeof(claims->sub)) ||
	    !token_is_uuid(claims->sub))
		return "invalid sub";
	if (!copy_string_claim(jwt, "sid", claims->sid, sizeof(claims->sid)) ||
	    !token_is_uuid(claims->sid))
		return "invalid sid";
	if (!copy_string_claim(jwt, "username", claims->username,
	                       sizeof(claims->username)) ||
	    claims->username[0] == '\0')
		return "invalid username";

	if (!read_integer_claim(jwt, "iat", &claims->iat) || claims->iat < 0)
		return "invalid iat";
	if (!read_integer_claim(jwt, "exp", &claims->exp) || claims->exp < 0)
		return "invalid exp";
	if (claims->exp <= now)
		return "expired";
	if (claims->iat > now && claims->iat - now > TOKEN_IAT_SKEW)
		return "issued in the future";
	return NULL;
}

int
token_verify(const unsigned char *key, size_t key_len, const char *token,
             long long now, struct token_claims *claims, const char **reason)
{
	struct token_claims found;
	jwt_t *jwt = NULL;
	const char *failure;

	memset(claims, 0, sizeof(*claims));
	memset(&found, 0, sizeof(found));

	failure = check_arguments(key, key_len, token, now);
	if (failure == NULL)
		failure = decode(key, key_len, token, &jwt);
	if (failure == NULL)
		failure = read_claims(jwt, now, &found);
	jwt_free(jwt);

	if (failure != NULL) {
		if (reason != NULL)
			*reason = failure;
		return -1;
	}
	*claims = found;
	return 0;
}

/* A token that passed token_verify() under remembered_key. */
struct remembered {
	char *token; /* NULL when the slot is empty */
	size_t len;
	struct token_claims claims;
};

/* Keys longer than this are valid but their tokens are not remembered. */
#define REMEMBERED_KEY_MAX 512

static struct remembered remembered[TOKEN_REMEMBERED];
static unsigned char remembered_key[REMEMBERED_KEY_MAX];
static size_t remembered_key_len;

static void
forget_all(void)
{
	size_t i;

	for (i = 0; i < TOKEN_REMEMBERED; i++) {
		free(remembered[i].token);
		remembered[i].token = NULL;
	}
}

/* FNV-1a of the token picks its slot; only a full comparison matches. */
static size_t
slot_of(const char *token, size_t len)
{
	uint32_t hash = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		hash ^= (unsigned char)token[i];
		hash *= 16777619u;
	}
	return hash % TOKEN_REMEMBERED;
}

int
token_verify_remembered(const unsigned char *key, size_t key_len,
                        const char *token, long long now,
                        struct token_claims *claims, const char **reason)
{
	struct remembered *slot;
	size_t len;

	/* A key too long to keep is simply never remembered. */
	if (key_len > sizeof(remembered_key) || token == NULL)
		return token_verify(key, key_len, token, now, claims, reason);
	if (key_len != remembered_key_len ||
	    CRYPTO_memcmp(key, remembered_key, key_len) != 0) {
		forget_all();
		memcpy(remembered_key, key, key_len);
		remembered_key_len = key_len;
	}
	len = strnlen(token, TOKEN_MAX_LEN + 1);
	slot = &remembered[slot_of(token, len)];
	if (slot->token != NULL && slot->len == len &&
	    CRYPTO_memcmp(slot->token, token, len) == 0) {
		if (slot->claims.exp > now) {
			*claims = slot->claims;
			return 0;
		}
		memset(claims, 0, sizeof(*claims));
		if (reason != NULL)
			*reason = "expired";
		return -1;
	}
	if (token_verify(key, key_len, token, now, claims, reason) == -1)
		return -1;
	free(slot->token);
	slot->token = malloc(len + 1);
	if (slot->token != NULL) {
		memcpy(slot->token, token, len + 1);
		slot->len = len;
		slot->claims = *claims;
	}
	return 0;
}

int
token_random(unsigned char *out, size_t n)
{
	if (n > INT_MAX)
		return -1;
	if (n == 0)
		return 0;
	return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
}

/* Write len bytes as unpadded base64url and a NUL into out. */
static void
base64url_encode(const unsigned char *in, size_t len, char *out)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t bits = 0;
	int nbits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		bits = (bits << 8) | in[i];
		nbits += 8;
		while (nbits >= 6) {
			nbits -= 6;
			*out++ = alphabet[(bits >> nbits) & 0x3f];
		}
	}
	if (nbits > 0)
		*out++ = alphabet[(bits << (6 - nbits)) & 0x3f];
	*out = '\0';
}

int
token_new_refresh(char out[TOKEN_REFRESH_LEN + 1])
{
	unsigned char raw[TOKEN_REFRESH_BYTES];

	if (token_random(raw, sizeof(raw)) != 0) {
		out[0] = '\0';
		return -1;
	}
	base64url_encode(raw, sizeof(raw), out);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

void
token_sha256_hex(const char *s, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	size_t i;

	if (EVP_Digest(s, len, digest, &digest_len, EVP_sha256(), NULL) != 1 ||
	    digest_len != SHA256_LEN) {
		fprintf(stderr, "fatal: OpenSSL SHA-256 digest failed\n");
		abort();
	}
	for (i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0x0f];
	}
	out[2 * SHA256_LEN] = '\0';
}

bool
token_is_uuid(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < TOKEN_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		             (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return s[TOKEN_UUID_LEN] == '\0';
}
