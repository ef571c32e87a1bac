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

/*
 * INCR, and EXPIRE when the key has no expiry yet (a new window, or a key
 * whose EXPIRE was lost), in one round trip.  Returns {count, seconds
 * left in the window}.
 */
static const char increment_script[] =
    "local n = redis.call('INCR', KEYS[1])\n"
    "local ttl = redis.call('TTL', KEYS[1])\n"
    "if ttl < 0 then\n"
    "  redis.call('EXPIRE', KEYS[1], ARGV[1])\n"
    "  ttl = tonumber(ARGV[1])\n"
    "end\n"
    "return {n, ttl}\n";

/*
 * Count one event under key; returns the new count, or -1 when Redis
 * failed.  *left gets the seconds left in the window.
 */
static long long
increment(const char *key, int window_s, int *left)
{
	char window[16];
	const char *argv[] = { "EVAL", increment_script, "1", key, window };
	redisReply *r;
	long long count = -1;

	snprintf(window, sizeof(window), "%d", window_s);
	*left = window_s;
	r = kv_commandv(KV_PUBSUB, 5, argv);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[1]->type == REDIS_REPLY_INTEGER) {
		count = r->element[0]->integer;
		/* Less than a second left still means waiting one. */
		*left = r->element[1]->integer > 0 ? (int)r->element[1]->integer
						   : 1;
	}
	if (r != NULL)
		freeReplyObject(r);
	return count;
}

void
ratelimit_count(const char *key, int window_s)
{
	int left;

	increment(key, window_s, &left);
}

int
ratelimit_hit(const char *key, int limit, int window_s)
{
	int left;
	long long count = increment(key, window_s, &left);

	if (count < 0 || count <= limit)
		return 0;
	return left;
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
