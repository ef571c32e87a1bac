/*
 * Unit tests for password.c: Argon2id hashing, verification, rehash
 * decisions and the dummy verification.  Most checks use a small cost to
 * keep the file fast, and one uses the production minimum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "password.h"
#include "tap.h"
#include "util.h"

static const struct password_cost test_cost = {1024, 1, 1};

/* Copy of phc with the first occurrence of from replaced by to. */
static char *
replace(const char *phc, const char *from, const char *to)
{
	const char *at = strstr(phc, from);
	struct buf b;

	buf_init(&b);
	if (at == NULL)
		return buf_detach(&b, NULL);
	buf_add(&b, phc, (size_t)(at - phc));
	buf_adds(&b, to);
	buf_adds(&b, at + strlen(from));
	return buf_detach(&b, NULL);
}

static double
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_round_trip(void)
{
	char *phc = password_hash("correct horse", 13, &test_cost);
	char *again = password_hash("correct horse", 13, &test_cost);

	ok(phc != NULL, "hash returns a PHC string");
	ok(phc != NULL && strncmp(phc, "$argon2id$v=19$", 15) == 0,
	   "hash is Argon2id version 19");
	ok(password_verify(phc, "correct horse", 13),
	   "right password verifies");
	ok(!password_verify(phc, "correct horsE", 13),
	   "wrong password does not verify");
	ok(!password_verify(phc, "correct hors", 12),
	   "truncated password does not verify");
	ok(!password_verify(phc, "", 0), "empty password does not verify");
	ok(again != NULL && phc != NULL && strcmp(phc, again) != 0,
	   "two hashes of one password differ by salt");
	ok(password_verify(again, "correct horse", 13),
	   "second hash verifies too");
	free(phc);
	free(again);
}

static void
test_cost_in_string(void)
{
	const struct password_cost other = {2048, 3, 2};
	char *phc = password_hash("pw", 2, &test_cost);
	char *phc_other = password_hash("pw", 2, &other);

	ok(phc != NULL && strstr(phc, "$m=1024,t=1,p=1$") != NULL,
	   "PHC string carries m=1024,t=1,p=1");
	ok(phc_other != NULL && strstr(phc_other, "$m=2048,t=3,p=2$") != NULL,
	   "PHC string carries m=2048,t=3,p=2");
	ok(password_verify(phc_other, "pw", 2), "two-lane hash verifies");
	free(phc);
	free(phc_other);
}

static void
test_needs_rehash(void)
{
	const struct password_cost more_memory = {2048, 1, 1};
	const struct password_cost more_passes = {1024, 2, 1};
	const struct password_cost more_lanes = {1024, 1, 2};
	const struct password_cost less_memory = {512, 1, 1};
	char *phc = password_hash("pw", 2, &test_cost);

	ok(!password_needs_rehash(phc, &test_cost),
	   "no rehash at the same cost");
	ok(password_needs_rehash(phc, &more_memory),
	   "rehash when memory rises");
	ok(password_needs_rehash(phc, &more_passes), "rehash when passes rise");
	ok(password_needs_rehash(phc, &more_lanes), "rehash when lanes rise");
	ok(!password_needs_rehash(phc, &less_memory),
	   "no rehash when the configured cost falls");
	free(phc);
}

/* Each malformed string must fail to verify and must need a rehash. */
static void
check_malformed(const char *phc, const char *description)
{
	ok(!password_verify(phc, "pw", 2), "%s does not verify", description);
	ok(password_needs_rehash(phc, &test_cost), "%s needs a rehash",
	   description);
}

static void
test_malformed(void)
{
	char *phc = password_hash("pw", 2, &test_cost);
	char *variant;
	char huge[1024];
	size_t len = strlen(phc);
	static const struct {
		const char *from, *to, *description;
	} edits[] = {
	    {"$argon2id$", "$argon2i$", "argon2i type"},
	    {"$argon2id$", "$argon2d$", "argon2d type"},
	    {"$v=19$", "$v=16$", "version 16"},
	    {"$v=19$", "$", "missing version"},
	    {"m=1024", "m=abc", "non-numeric memory"},
	    {"m=1024", "m=01024", "memory with a leading zero"},
	    {"m=1024", "m=99999999999", "memory above uint32"},
	    {"m=1024", "m=-1", "negative memory"},
	    {"m=1024", "m=4", "memory below Argon2's minimum"},
	    {"t=1", "t=0", "zero passes"},
	    {"p=1", "p=0", "zero lanes"},
	    {",t=1", "", "missing passes"},
	    {"$m=", "$M=", "upper-case field name"},
	};
	size_t i;

	check_malformed(NULL, "NULL string");
	check_malformed("", "empty string");
	check_malformed("$argon2id$", "bare prefix");
	check_malformed("$argon2id$v=19$m=1024,t=1,p=1$$",
	                "string without salt or hash");
	check_malformed("plaintext", "plain text");

	for (i = 0; i < ARRAY_LEN(edits); i++) {
		variant = replace(phc, edits[i].from, edits[i].to);
		check_malformed(variant, edits[i].description);
		free(variant);
	}

	/*
	 * Without its last character the hash may still decode to 31 bytes,
	 * which is a well-formed string, so only verification must fail.
	 */
	variant = xstrndup(phc, len - 1);
	ok(!password_verify(variant, "pw", 2),
	   "hash missing its last character does not verify");
	free(variant);
	variant = xstrndup(phc, len - 2);
	check_malformed(variant, "hash missing two characters");
	free(variant);

	variant = xmalloc(len + 3);
	memcpy(variant, phc, len);
	memcpy(variant + len, "$x", 3);
	check_malformed(variant, "string with a trailing field");
	variant[len] = '=';
	variant[len + 1] = '\0';
	check_malformed(variant, "hash with base64 padding");
	variant[len] = '\0';
	variant[len - 3] = '!';
	check_malformed(variant, "hash with a character outside base64");
	free(variant);

	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	memcpy(huge, "$argon2id$v=19$m=1024,t=1,p=1$", 30);
	check_malformed(huge, "1 KiB string");

	ok(password_verify(phc, "pw", 2), "original string still verifies");
	free(phc);
}

static void
test_nul_byte(void)
{
	static const char with_nul[] = "ab\0cd";
	char *phc = password_hash(with_nul, 5, &test_cost);
	char *truncated = password_hash(with_nul, 2, &test_cost);

	ok(password_verify(phc, with_nul, 5),
	   "password with a NUL byte verifies");
	ok(!password_verify(phc, with_nul, 2),
	   "password truncated at the NUL byte does not verify");
	ok(!password_verify(truncated, with_nul, 5),
	   "hash of the truncated password rejects the full one");
	ok(password_verify(truncated, "ab", 2),
	   "hash of the truncated password verifies it");
	free(phc);
	free(truncated);
}

static void
test_bad_cost(void)
{
	const struct password_cost tiny = {4, 1, 1};
	const struct password_cost no_passes = {1024, 0, 1};

	ok(password_hash("pw", 2, &tiny) == NULL,
	   "hash rejects memory below 8 KiB per lane");
	ok(password_hash("pw", 2, &no_passes) == NULL,
	   "hash rejects zero passes");
	ok(password_hash("pw", 2, NULL) == NULL, "hash rejects a NULL cost");
	ok(password_needs_rehash("$argon2id$v=19$m=1024,t=1,p=1$", NULL),
	   "rehash check treats a NULL cost as needing a rehash");
}

static void
test_minimum_cost(void)
{
	const struct password_cost minimum = {PASSWORD_MIN_MEMORY_KIB,
	                                      PASSWORD_MIN_PASSES, 1};
	double start, verify_time, dummy_time;
	char *phc = password_hash("minimum cost", 12, &minimum);

	ok(phc != NULL && strstr(phc, "$m=19456,t=2,p=1$") != NULL,
	   "minimum-cost hash carries m=19456,t=2,p=1");

	start = seconds_now();
	ok(password_verify(phc, "minimum cost", 12),
	   "minimum-cost hash verifies");
	verify_time = seconds_now() - start;

	/* The first dummy call also builds the dummy hash, so time another. */
	password_dummy_verify("guess", 5, &minimum);
	start = seconds_now();
	password_dummy_verify("guess", 5, &minimum);
	dummy_time = seconds_now() - start;

	diag("verify %.1f ms, dummy verify %.1f ms", verify_time * 1e3,
	     dummy_time * 1e3);
	/* A loose bound, so that a busy machine does not fail the test. */
	ok(dummy_time > verify_time / 4,
	   "dummy verify takes about as long as a real one");
	ok(!password_needs_rehash(phc, &minimum),
	   "minimum-cost hash needs no rehash at the minimum");
	free(phc);
}

static void
test_dummy_verify(void)
{
	const struct password_cost other = {2048, 1, 1};
	const struct password_cost invalid = {4, 1, 1};

	password_dummy_verify("pw", 2, &test_cost);
	password_dummy_verify("pw", 2, &other);
	password_dummy_verify("bunnybook dummy password", 24, &other);
	password_dummy_verify("pw", 2, &invalid);
	password_dummy_verify("pw", 2, NULL);
	ok(1, "dummy verify survives cost changes and invalid costs");
}

int
main(void)
{
	test_round_trip();
	test_cost_in_string();
	test_needs_rehash();
	test_malformed();
	test_nul_byte();
	test_bad_cost();
	test_minimum_cost();
	test_dummy_verify();
	return done_testing();
}
