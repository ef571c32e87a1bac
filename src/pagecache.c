/*
 * Generation-keyed, single-flight cache entries over kv.h.  The callers
 * choose which responses are cached, under which scopes and for how long.
 */
#include "pagecache.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "kv.h"

/* Must match the prefix cache.c gives generation keys. */
#define LOCK_PREFIX	  "bb:lock:"
#define LOCK_TTL_MS	  "2000"
#define POLL_MS		  10

void
pagecache_key(struct buf *key, const char *kind, const char *const *scopes,
    int nscopes, const char *rest)
{
	const char *argv[1 + PAGECACHE_MAX_SCOPES];
	struct buf names[PAGECACHE_MAX_SCOPES];
	redisReply *r;
	int i;

	argv[0] = "MGET";
	for (i = 0; i < nscopes && i < PAGECACHE_MAX_SCOPES; i++) {
		buf_init(&names[i]);
		buf_addf(&names[i], CACHE_GENERATION_PREFIX "%s", scopes[i]);
		argv[i + 1] = names[i].data;
	}
	nscopes = i;
	r = kv_commandv(KV_CACHE, nscopes + 1, argv);

	buf_addf(key, "bb:c:%s", kind);
	for (i = 0; i < nscopes; i++) {
		const char *gen = "0";

		if (r != NULL && r->type == REDIS_REPLY_ARRAY &&
		    (size_t)i < r->elements &&
		    r->element[i]->type == REDIS_REPLY_STRING)
			gen = r->element[i]->str;
		buf_addf(key, ":%s=%s", scopes[i], gen);
		buf_free(&names[i]);
	}
	buf_addf(key, ":%s", rest);
	if (r != NULL)
		freeReplyObject(r);
}

/*
 * 1 when this worker took the fill lock, 0 when another holds it, -1 when
 * the cache Redis is unreachable.
 */
static int
take_lock(const char *key)
{
	struct buf lock;
	const char *argv[] = { "SET", NULL, "1", "NX", "PX", LOCK_TTL_MS };
	redisReply *r;
	int outcome;

	buf_init(&lock);
	buf_addf(&lock, LOCK_PREFIX "%s", key);
	argv[1] = lock.data;
	r = kv_commandv(KV_CACHE, 6, argv);
	if (r == NULL)
		outcome = -1;
	else
		outcome = r->type == REDIS_REPLY_STATUS ? 1 : 0;
	if (r != NULL)
		freeReplyObject(r);
	buf_free(&lock);
	return outcome;
}

static void
release_lock(const char *key)
{
	struct buf lock;
	const char *argv[] = { "DEL", NULL };
	redisReply *r;

	buf_init(&lock);
	buf_addf(&lock, LOCK_PREFIX "%s", key);
	argv[1] = lock.data;
	r = kv_commandv(KV_CACHE, 2, argv);
	if (r != NULL)
		freeReplyObject(r);
	buf_free(&lock);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

bool
pagecache_get(const char *key, struct buf *out, bool *filler)
{
	int waited, lock;

	*filler = false;
	if (cache_get(key, out))
		return true;
	lock = take_lock(key);
	if (lock != 0) {
		*filler = lock == 1;
		return false;
	}
	/* Another worker is filling the key: wait for its value. */
	for (waited = 0; waited < PAGECACHE_WAIT_MS; waited += POLL_MS) {
		sleep_ms(POLL_MS);
		if (cache_get(key, out))
			return true;
	}
	return false;
}

void
pagecache_put(const char *key, const char *value, size_t len, int ttl_s,
    bool filler)
{
	cache_set(key, value, len, ttl_s);
	if (filler)
		release_lock(key);
}

void
pagecache_bump(const char *scope)
{
	cache_bump(scope);
}

void
pagecache_abandon(const char *key, bool filler)
{
	if (filler)
		release_lock(key);
}

void
pagecache_reply_hit(struct request *req, const struct buf *hit)
{
	http_reply_body(req, 200, "application/json", hit->data, hit->len);
}

void
pagecache_reply_and_put(struct request *req, const char *key,
    struct json_object *value, int ttl_s, bool filler)
{
	size_t len;
	const char *text = json_object_to_json_string_length(value,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	pagecache_put(key, text, len, ttl_s, filler);
	http_reply_json(req, 200, value);
}
