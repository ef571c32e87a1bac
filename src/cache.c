/*
 * The cache Redis as a cache-aside store with per-profile generations.
 * What to cache and for how long is the callers' decision.
 */
#include "cache.h"

#include <stdio.h>
#include <string.h>

#include "kv.h"
#include "metrics.h"

/* Generations outlive every entry that names them. */
#define GENERATION_TTL "86400"

bool
cache_get(const char *key, struct buf *out)
{
	const char *argv[] = { "GET", key };
	redisReply *r = kv_commandv(KV_CACHE, 2, argv);
	bool hit = false;

	if (r != NULL && r->type == REDIS_REPLY_STRING) {
		buf_add(out, r->str, r->len);
		hit = true;
	}
	if (r != NULL)
		freeReplyObject(r);
	metrics_count(hit ? METRICS_CACHE_HITS : METRICS_CACHE_MISSES);
	return hit;
}

void
cache_set(const char *key, const char *value, size_t len, int ttl_s)
{
	char ttl[16];
	const char *argv[] = { "SET", key, value, "EX", ttl };
	size_t lens[] = { 3, strlen(key), len, 2, 0 };
	redisReply *r;

	snprintf(ttl, sizeof(ttl), "%d", ttl_s);
	lens[4] = strlen(ttl);
	r = kv_command(KV_CACHE, 5, argv, lens);
	if (r != NULL)
		freeReplyObject(r);
}

void
cache_generation(const char *id, char out[24])
{
	char key[64];
	const char *argv[] = { "GET", key };
	redisReply *r;

	snprintf(key, sizeof(key), CACHE_GENERATION_PREFIX "%s", id);
	snprintf(out, 24, "0");
	r = kv_commandv(KV_CACHE, 2, argv);
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_STRING && r->len < 20)
		snprintf(out, 24, "%s", r->str);
	freeReplyObject(r);
}

void
cache_bump(const char *id)
{
	char key[64];
	const char *incr[] = { "INCR", key };
	const char *expire[] = { "EXPIRE", key, GENERATION_TTL };
	redisReply *r;

	snprintf(key, sizeof(key), CACHE_GENERATION_PREFIX "%s", id);
	r = kv_commandv(KV_CACHE, 2, incr);
	if (r != NULL)
		freeReplyObject(r);
	r = kv_commandv(KV_CACHE, 3, expire);
	if (r != NULL)
		freeReplyObject(r);
}
