/*
 * Times the per-call cost of the account code from src/ on one core,
 * without HTTP, for bench/accounts.sh:
 *
 *   accounts-timing VERIFY_CALLS REMEMBERED_CALLS ARGON2_CALLS MEMORY_KIB
 *       PASSES LANES
 *
 * token_verify() checks the HS256 signature through libjwt and decodes the
 * claims on every call.  token_verify_remembered() is what bunnybookd
 * calls per request: a worker remembers the tokens that passed lately, so
 * a client sending the same token again costs a hash and a comparison.
 * Both are timed with one token of the shape the server issues, after
 * 1,000 untimed calls.  password_verify() is timed at the given Argon2id
 * cost, the cost of one login.
 *
 * Prints one line per function: its name, the process CPU time and the
 * wall time per call (microseconds for the tokens, milliseconds for the
 * password).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "password.h"
#include "token.h"

static const char password[] = "bench-password-00";

static double
seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The CPU and wall seconds that a timed loop took. */
struct span {
	double cpu, wall;
};

static struct span
span_start(void)
{
	struct span s = { seconds(CLOCK_PROCESS_CPUTIME_ID),
		seconds(CLOCK_MONOTONIC) };

	return s;
}

static struct span
span_end(struct span start)
{
	struct span s = { seconds(CLOCK_PROCESS_CPUTIME_ID) - start.cpu,
		seconds(CLOCK_MONOTONIC) - start.wall };

	return s;
}

/* Call token_verify(), or token_verify_remembered() when remembered. */
static int
verify(bool remembered, const unsigned char *key, size_t key_len,
    const char *token, long long now, struct token_claims *claims,
    const char **reason)
{
	if (remembered)
		return token_verify_remembered(key, key_len, token, now, claims,
		    reason);
	return token_verify(key, key_len, token, now, claims, reason);
}

/* Print the time per verification of token over calls calls; 0 or -1. */
static int
time_tokens(const char *name, bool remembered, long calls,
    const unsigned char *key, size_t key_len, const char *token,
    long long now)
{
	struct token_claims claims;
	const char *reason = "unknown";
	struct span s;
	long i;

	for (i = 0; i < 1000; i++)
		verify(remembered, key, key_len, token, now, &claims, &reason);
	s = span_start();
	for (i = 0; i < calls; i++) {
		if (verify(remembered, key, key_len, token, now, &claims,
			&reason) != 0) {
			fprintf(stderr, "%s failed: %s\n", name, reason);
			return -1;
		}
	}
	s = span_end(s);
	printf("%s %.3f %.3f\n", name, 1e6 * s.cpu / (double)calls,
	    1e6 * s.wall / (double)calls);
	return 0;
}

/* Print the time per password verification at cost; 0 or -1. */
static int
time_password(long calls, const struct password_cost *cost)
{
	char *phc = password_hash(password, strlen(password), cost);
	struct span s;
	long i;

	if (phc == NULL) {
		fprintf(stderr, "password_hash failed\n");
		return -1;
	}
	s = span_start();
	for (i = 0; i < calls; i++) {
		if (!password_verify(phc, password, strlen(password))) {
			fprintf(stderr, "password_verify failed\n");
			free(phc);
			return -1;
		}
	}
	s = span_end(s);
	printf("password_verify %.2f %.2f\n", 1e3 * s.cpu / (double)calls,
	    1e3 * s.wall / (double)calls);
	free(phc);
	return 0;
}

int
main(int argc, char **argv)
{
	long verify_calls, remembered_calls, argon2_calls;
	struct password_cost cost;
	unsigned char key[48];
	long long now = (long long)time(NULL);
	char *token;
	int rc;

	if (argc != 7) {
		fprintf(stderr, "usage: %s VERIFY_CALLS REMEMBERED_CALLS "
		    "ARGON2_CALLS MEMORY_KIB PASSES LANES\n", argv[0]);
		return 2;
	}
	verify_calls = strtol(argv[1], NULL, 10);
	remembered_calls = strtol(argv[2], NULL, 10);
	argon2_calls = strtol(argv[3], NULL, 10);
	cost.memory_kib = (uint32_t)strtoul(argv[4], NULL, 10);
	cost.passes = (uint32_t)strtoul(argv[5], NULL, 10);
	cost.lanes = (uint32_t)strtoul(argv[6], NULL, 10);
	if (verify_calls < 1 || remembered_calls < 1 || argon2_calls < 1) {
		fprintf(stderr, "every count of calls must be at least 1\n");
		return 2;
	}

	if (token_random(key, sizeof(key)) != 0) {
		fprintf(stderr, "token_random failed\n");
		return 1;
	}
	/* Claims of the same shape and length as the server issues. */
	token = token_issue(key, sizeof(key),
	    "0b6f3c52-6f0e-4c1e-9a57-2f7d2d1f8e01", "bench00",
	    "7c1d9e34-58a2-4b0f-8d6e-93f1a2b4c5d6", now, 900);
	if (token == NULL) {
		fprintf(stderr, "token_issue failed\n");
		return 1;
	}
	rc = time_tokens("token_verify", false, verify_calls, key, sizeof(key),
		 token, now) == 0 &&
	    time_tokens("token_verify_remembered", true, remembered_calls, key,
		sizeof(key), token, now) == 0 &&
	    time_password(argon2_calls, &cost) == 0;
	free(token);
	return rc ? 0 : 1;
}
