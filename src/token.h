/*
 * Access tokens and refresh-token helpers.
 *
 * An access token is an HS256 JWT with the claims sub (account id), sid
 * (session id), username, typ ("access"), iat and exp, in seconds since the
 * epoch.  A refresh token is an opaque random string, and only its
 * SHA-256 needs to be stored.
 */
#ifndef BUNNYBOOK_TOKEN_H
#define BUNNYBOOK_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

/* Minimum HS256 key length in bytes: the size of the SHA-256 output. */
#define TOKEN_MIN_KEY_LEN 32
/* Maximum length of an access token that token_verify() decodes. */
#define TOKEN_MAX_LEN 4096
/* Seconds by which iat may lie ahead of the verifier's clock. */
#define TOKEN_IAT_SKEW 60
/* Length of a canonical UUID text, without the NUL. */
#define TOKEN_UUID_LEN 36
/* Maximum username length in bytes, without the NUL. */
#define TOKEN_USERNAME_MAX 64
/* Random bytes in a refresh token, and its base64url length. */
#define TOKEN_REFRESH_BYTES 32
#define TOKEN_REFRESH_LEN   43

/* Claims of a verified access token, each string NUL-terminated. */
struct token_claims {
	char sub[TOKEN_UUID_LEN + 1];
	char sid[TOKEN_UUID_LEN + 1];
	char username[TOKEN_USERNAME_MAX + 1];
	char typ[16];
	long long iat;
	long long exp;
};

/*
 * Issue an access token for account sub in session sid, with iat = now and
 * exp = now + ttl_seconds.  key must be at least TOKEN_MIN_KEY_LEN bytes,
 * sub and sid canonical UUIDs (token_is_uuid()), username 1 to
 * TOKEN_USERNAME_MAX bytes of UTF-8, now >= 0 and ttl_seconds > 0.
 * Returns the token, which the caller frees with free(), or NULL when an
 * argument is invalid or libjwt fails.
 */
char *token_issue(const unsigned char *key, size_t key_len, const char *sub,
                  const char *username, const char *sid, long long now,
                  long long ttl_seconds);

/*
 * Verify an access token against key at time now (seconds, >= 0) and
 * fill *claims.  The token must be at most TOKEN_MAX_LEN bytes, carry a
 * valid HS256 signature and alg "HS256" in its header, and have typ
 * "access", UUID sub and sid, a username of 1 to TOKEN_USERNAME_MAX bytes,
 * integer iat and exp, exp > now and iat <= now + TOKEN_IAT_SKEW.
 *
 * Returns 0, or -1 with *claims zeroed and, when reason is not NULL,
 * *reason set to a static description for logs: "invalid key", "invalid
 * time", "missing token", "too long", "malformed", "bad signature", "wrong
 * algorithm", "wrong token type", "invalid sub", "invalid sid", "invalid
 * username", "invalid iat", "invalid exp", "expired" or "issued in the
 * future".  The first two mean that the caller passed a bad key or now.
 */
int token_verify(const unsigned char *key, size_t key_len, const char *token,
                 long long now, struct token_claims *claims,
                 const char **reason);

/*
 * Verify like token_verify(), remembering the tokens that passed lately in
 * this process, because a client sends the same token with many requests.
 * A remembered token skips the signature check and the JSON decoding, and
 * only its exp is checked again (reason "expired").  The memory holds up
 * to TOKEN_REMEMBERED tokens of one key and starts over when key changes.
 */
int token_verify_remembered(const unsigned char *key, size_t key_len,
                            const char *token, long long now,
                            struct token_claims *claims, const char **reason);
#define TOKEN_REMEMBERED 256

/* Fill out with n random bytes from OpenSSL's RAND_bytes.  Returns 0 or -1. */
int token_random(unsigned char *out, size_t n);

/*
 * Write a new refresh token into out: TOKEN_REFRESH_BYTES random bytes in
 * unpadded base64url, TOKEN_REFRESH_LEN characters and a NUL.  Returns 0,
 * or -1 with out set to "" when the random generator fails.
 */
int token_new_refresh(char out[TOKEN_REFRESH_LEN + 1]);

/*
 * Write the lower-case hex SHA-256 of len bytes of s and a NUL into out.
 * Aborts the process when OpenSSL cannot compute the digest, as after a
 * failed allocation or with a broken OpenSSL installation.
 */
void token_sha256_hex(const char *s, size_t len, char out[65]);

/* Test whether s is a canonical lower-case UUID (8-4-4-4-12 hex digits). */
bool token_is_uuid(const char *s);

#endif
