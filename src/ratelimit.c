/*
 * Counters for rate limits.  Each key is a Redis integer with an expiry:
 * the first event of a window sets the expiry, later ones only increment.
 * What a limit protects and what happens beyond it is the caller's rule.
 */
#include "ratelimit.h"

#include <stdio.h>
#include <stdlib.h>

#include "kv.h"

static long long
integer_reply(redisReply *r)
{
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return strtoll(r->str, NULL, 10);
	return 0;
}

static int
seconds_left(const char *key)
{
	const char *argv[] = { "TTL", key };
	redisReply *r = kv_commandv(KV_PUBSUB, 2, argv);
	long long ttl = integer_reply(r);

	if (r != NULL)
		freeReplyObject(r);
	return ttl > 0 ? (int)ttl : 1;
}

int
ratelimit_blocked(const char *key, int limit)
{
	const char *argv[] = { "GET", key };
	redisReply *r = kv_commandv(KV_PUBSUB, 2, argv);
	long long count = 0;

	if (r == NULL)
		return 0;
	if (r->type != REDIS_REPLY_NIL)
		count = integer_reply(r);
	freeReplyObject(r);
	return count >= limit ? seconds_left(key) : 0;
}

/* INCR then, for a new key, EXPIRE; returns the new count or -1. */
static long long
increment(const char *key, int window_s)
{
	char window[16];
	const char *incr[] = { "INCR", key };
	const char *expire[] = { "EXPIRE", key, window, "NX" };
	redisReply *r = kv_commandv(KV_PUBSUB, 2, incr);
	long long count = integer_reply(r);

	if (r != NULL)
		freeReplyObject(r);
	if (count < 0)
		return -1;
	snprintf(window, sizeof(window), "%d", window_s);
	/* NX keeps a running window; Redis before 7.0 lacks it, so fall back. */
	r = kv_commandv(KV_PUBSUB, 4, expire);
	if (r == NULL && count == 1)
		r = kv_commandv(KV_PUBSUB, 3, expire);
	if (r != NULL)
		freeReplyObject(r);
	return count;
}

void
ratelimit_count(const char *key, int window_s)
{
	increment(key, window_s);
}

int
ratelimit_hit(const char *key, int limit, int window_s)
{
	long long count = increment(key, window_s);

	if (count < 0 || count <= limit)
		return 0;
	return seconds_left(key);
}

void
ratelimit_reset(const char *key)
{
	const char *argv[] = { "DEL", key };
	redisReply *r = kv_commandv(KV_PUBSUB, 2, argv);

	if (r != NULL)
		freeReplyObject(r);
}

void
ratelimit_undo(const char *key)
{
	const char *argv[] = { "DECR", key };
	redisReply *r = kv_commandv(KV_PUBSUB, 2, argv);

	if (r != NULL)
		freeReplyObject(r);
}
