/*
 * Argon2id password hashing on top of libargon2: making PHC strings,
 * verifying passwords against them, and deciding when a stored hash is
 * weaker than the configured cost.  The cost itself comes from the
 * configuration, and the PHC strings are stored by the callers.
 *
 * Verification parses the PHC string here and recomputes the raw hash with
 * argon2id_hash_raw() instead of calling argon2id_verify().  That way one
 * parser decides both what verifies and what needs a rehash, and the
 * computed hash lives in a buffer that this file wipes.
 */
#include "password.h"

#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/rand.h>

#include "util.h"

#define SALT_LEN 16
#define HASH_LEN 32

/* Maximum length of a PHC string that is parsed.  Ours are about 100 bytes. */
#define PHC_MAX_LEN 256
/* Maximum salt or hash length accepted when parsing, in bytes. */
#define PHC_MAX_BYTES 64

/* The fields of a parsed PHC string. */
struct phc {
	struct password_cost cost;
	unsigned char salt[PHC_MAX_BYTES];
	size_t salt_len;
	unsigned char hash[PHC_MAX_BYTES];
	size_t hash_len;
};

/*
 * Inputs of the dummy hash.  They need not be secret, because the result
 * of a dummy verification is always thrown away.
 */
static const char dummy_password[] = "bunnybook dummy password";
static const unsigned char dummy_salt[SALT_LEN] = "bunnybook-dummy";

static char *dummy_phc;
static struct password_cost dummy_cost;

/* Advance *p past prefix when the text starts with it. */
static bool
skip_prefix(const char **p, const char *prefix)
{
	size_t len = strlen(prefix);

	if (strncmp(*p, prefix, len) != 0)
		return false;
	*p += len;
	return true;
}

/* Parse a decimal uint32_t without sign or leading zeros. */
static bool
parse_u32(const char **p, uint32_t *out)
{
	const char *s = *p;
	uint64_t value = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		value = value * 10 + (uint64_t)(*s - '0');
		if (value > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)value;
	*p = s;
	return true;
}

static int
base64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decode unpadded standard base64 up to the first character outside the
 * alphabet.  Rejects output longer than max bytes and non-canonical text:
 * a lone trailing character or nonzero leftover bits.
 */
static bool
parse_base64(const char **p, unsigned char *out, size_t max, size_t *len)
{
	const char *s = *p;
	uint32_t bits = 0;
	int nbits = 0, value;
	size_t n = 0;

	for (; (value = base64_value((unsigned char)*s)) >= 0; s++) {
		bits = (bits << 6) | (uint32_t)value;
		nbits += 6;
		if (nbits < 8)
			continue;
		nbits -= 8;
		if (n == max)
			return false;
		out[n++] = (unsigned char)(bits >> nbits);
	}
	if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0)
		return false;
	*len = n;
	*p = s;
	return true;
}

/* Parse an Argon2id version 19 PHC string in the format of password.h. */
static bool
phc_parse(const char *s, struct phc *phc)
{
	const char *p = s;

	if (s == NULL || strnlen(s, PHC_MAX_LEN + 1) > PHC_MAX_LEN)
		return false;

	if (!skip_prefix(&p, "$argon2id$v=19$m=") ||
	    !parse_u32(&p, &phc->cost.memory_kib) || !skip_prefix(&p, ",t=") ||
	    !parse_u32(&p, &phc->cost.passes) || !skip_prefix(&p, ",p=") ||
	    !parse_u32(&p, &phc->cost.lanes) || !skip_prefix(&p, "$"))
		return false;

	if (!parse_base64(&p, phc->salt, sizeof(phc->salt), &phc->salt_len) ||
	    !skip_prefix(&p, "$") ||
	    !parse_base64(&p, phc->hash, sizeof(phc->hash), &phc->hash_len))
		return false;

	return *p == '\0' && phc->salt_len >= ARGON2_MIN_SALT_LENGTH &&
	       phc->hash_len >= ARGON2_MIN_OUTLEN;
}

/* Hash with a given salt into a new PHC string, or return NULL. */
static char *
phc_make(const char *password, size_t len, const unsigned char *salt,
         const struct password_cost *cost)
{
	size_t size;
	char *phc;

	size = argon2_encodedlen(cost->passes, cost->memory_kib, cost->lanes,
	                         SALT_LEN, HASH_LEN, Argon2_id);
	phc = xmalloc(size);
	if (argon2id_hash_encoded(cost->passes, cost->memory_kib, cost->lanes,
	                          password, len, salt, SALT_LEN, HASH_LEN, phc,
	                          size) != ARGON2_OK) {
		free(phc);
		return NULL;
	}
	return phc;
}

char *
password_hash(const char *password, size_t len,
              const struct password_cost *cost)
{
	unsigned char salt[SALT_LEN];

	if (cost == NULL || RAND_bytes(salt, sizeof(salt)) != 1)
		return NULL;
	return phc_make(password, len, salt, cost);
}

bool
password_verify(const char *phc_text, const char *password, size_t len)
{
	struct phc phc;
	unsigned char computed[PHC_MAX_BYTES];
	bool match = false;

	if (!phc_parse(phc_text, &phc))
		return false;

	if (argon2id_hash_raw(phc.cost.passes, phc.cost.memory_kib,
	                      phc.cost.lanes, password, len, phc.salt,
	                      phc.salt_len, computed,
	                      phc.hash_len) == ARGON2_OK)
		match = mem_equal_ct(computed, phc.hash, phc.hash_len);

	explicit_bzero(computed, sizeof(computed));
	explicit_bzero(&phc, sizeof(phc));
	return match;
}

bool
password_needs_rehash(const char *phc_text, const struct password_cost *cost)
{
	struct phc phc;

	if (cost == NULL || !phc_parse(phc_text, &phc))
		return true;
	return phc.cost.memory_kib < cost->memory_kib ||
	       phc.cost.passes < cost->passes || phc.cost.lanes < cost->lanes;
}

static bool
cost_equal(const struct password_cost *a, const struct password_cost *b)
{
	return a->memory_kib == b->memory_kib && a->passes == b->passes &&
	       a->lanes == b->lanes;
}

void
password_dummy_verify(const char *password, size_t len,
                      const struct password_cost *cost)
{
	if (cost == NULL)
		return;

	if (dummy_phc == NULL || !cost_equal(&dummy_cost, cost)) {
		free(dummy_phc);
		dummy_phc = phc_make(dummy_password, sizeof(dummy_password) - 1,
		                     dummy_salt, cost);
		dummy_cost = *cost;
	}

	/* NULL here means Argon2 rejected the cost, so real hashes fail too. */
	if (dummy_phc != NULL)
		(void)password_verify(dummy_phc, password, len);
}
