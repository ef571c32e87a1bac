/*
 * Password hashing with Argon2id.  Hashes are stored as PHC strings:
 *
 *	$argon2id$v=19$m=<memory KiB>,t=<passes>,p=<lanes>$<salt>$<hash>
 *
 * with a 16-byte random salt and a 32-byte hash, both in unpadded standard
 * base64.  The functions keep no secrets between calls, and the caller
 * keeps ownership of every password buffer it passes.
 */
#ifndef BUNNYBOOK_PASSWORD_H
#define BUNNYBOOK_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Minimum cost that production may be configured with, from the OWASP
 * Password Storage Cheat Sheet (19 MiB, 2 passes, 1 lane).  The functions
 * here also accept lower costs, which the tests use, so the configuration
 * loader must reject values below these.
 */
#define PASSWORD_MIN_MEMORY_KIB 19456
#define PASSWORD_MIN_PASSES     2

/* Argon2id cost parameters. */
struct password_cost {
	uint32_t memory_kib; /* memory per hash in KiB, 8 or more per lane */
	uint32_t passes;     /* passes over that memory, at least 1 */
	uint32_t lanes;      /* lanes (Argon2's degree of parallelism) */
};

/*
 * Hash len bytes of password (NUL bytes included) with a fresh salt from
 * OpenSSL's RAND_bytes.  Returns the PHC string, which the caller frees
 * with free(), or NULL when the random generator fails or Argon2 rejects
 * the cost or the length.
 */
char *password_hash(const char *password, size_t len,
                    const struct password_cost *cost);

/*
 * Check len bytes of password against a PHC string made by password_hash().
 * Returns false for a wrong password, and also for a NULL, malformed or
 * non-Argon2id string, or one with a version other than 19.  The hash is
 * compared in constant time.
 */
bool password_verify(const char *phc, const char *password, size_t len);

/*
 * Decide whether a stored hash should be replaced at the next successful
 * login.  Returns true when any of the string's m, t or p is lower than
 * cost, or when the string is NULL, malformed or not Argon2id version 19.
 */
bool password_needs_rehash(const char *phc, const struct password_cost *cost);

/*
 * Do the work of password_verify() against a fixed dummy hash made at cost,
 * so that a login for an unknown account takes as long as a wrong password.
 * The dummy hash is computed on the first call and again whenever cost
 * differs from the previous call, so that call takes about twice as long.
 * Not thread-safe, because the dummy hash is kept in a static variable.
 */
void password_dummy_verify(const char *password, size_t len,
                           const struct password_cost *cost);

#endif
