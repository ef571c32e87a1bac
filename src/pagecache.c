/*
 * Generation-checked, single-flight cache entries over kv.h.  The callers
 * choose which responses are cached, under which scopes and for how long.
 *
 * An entry is "GENERATIONS\nTEXT": the generations of its scopes when its
 * computation started, comma-separated, then the response text.
 */
#include "pagecache.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "kv.h"
#include "metrics.h"

#define LOCK_PREFIX "bb:lock:"
#define LOCK_TTL_MS "2000"
#define POLL_MS     10

/* Tell whether entry starts with generations and a newline. */
static bool
computed_under(const redisReply *entry, const struct buf *generations)
{
	return entry->type == REDIS_REPLY_STRING &&
	    entry->len > generations->len &&
	    memcmp(entry->str, generations->data, generations->len) == 0 &&
	    entry->str[generations->len] == '\n';
}

/*
 * Read the scopes' generations and the entry in one MGET.  Returns true
 * when the entry was computed under the generations read, and appends its
 * text to pc->hit.  pc->generations gets the ones read either way ("0"
 * for each when the cache Redis is unreachable).
 */
static bool
lookup(struct pagecache *pc)
{
	const char *argv[2 + PAGECACHE_MAX_SCOPES];
	struct buf names[PAGECACHE_MAX_SCOPES];
	const redisReply *entry = NULL;
	redisReply *r;
	bool hit = false;
	int i;

	argv[0] = "MGET";
	for (i = 0; i < pc->nscopes; i++) {
		buf_init(&names[i]);
		buf_addf(&names[i], CACHE_GENERATION_PREFIX "%s",
		    pc->scopes[i]);
		argv[i + 1] = names[i].data;
	}
	argv[pc->nscopes + 1] = pc->key.data;
	r = kv_commandv(KV_CACHE, pc->nscopes + 2, argv);
	if (r != NULL && (r->type != REDIS_REPLY_ARRAY ||
		r->elements != (size_t)pc->nscopes + 1)) {
		freeReplyObject(r);
		r = NULL;
	}

	buf_reset(&pc->generations);
	for (i = 0; i < pc->nscopes; i++) {
		const redisReply *gen = r != NULL ? r->element[i] : NULL;
		bool known = gen != NULL && gen->type == REDIS_REPLY_STRING;

		buf_addf(&pc->generations, "%s%s", i > 0 ? "," : "",
		    known ? gen->str : "0");
		buf_free(&names[i]);
	}
	if (r != NULL)
		entry = r->element[pc->nscopes];
	if (entry != NULL && computed_under(entry, &pc->generations)) {
		size_t skip = pc->generations.len + 1;

		buf_reset(&pc->hit);
		buf_add(&pc->hit, entry->str + skip, entry->len - skip);
		hit = true;
	}
	if (r != NULL)
		freeReplyObject(r);
	metrics_count(hit ? METRICS_CACHE_HITS : METRICS_CACHE_MISSES);
	return hit;
}

/* The fill lock's name: the key with the generations being computed. */
static void
lock_name(const struct pagecache *pc, struct buf *name)
{
	buf_addf(name, LOCK_PREFIX "%s:%s", pc->key.data, pc->generations.data);
}

/*
 * 1 when this worker took the fill lock, 0 when another holds it, -1 when
 * the cache Redis is unreachable.
 */
static int
take_lock(const struct pagecache *pc)
{
	struct buf lock;
	const char *argv[] = { "SET", NULL, "1", "NX", "PX", LOCK_TTL_MS };
	redisReply *r;
	int outcome;

	buf_init(&lock);
	lock_name(pc, &lock);
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
release_lock(struct pagecache *pc)
{
	struct buf lock;
	const char *argv[] = { "DEL", NULL };
	redisReply *r;

	if (!pc->filler)
		return;
	pc->filler = false;
	buf_init(&lock);
	lock_name(pc, &lock);
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
pagecache_open(struct pagecache *pc, const char *kind,
    const char *const *scopes, int nscopes, const char *rest)
{
	int i, waited, lock;

	pc->nscopes =
	    nscopes < PAGECACHE_MAX_SCOPES ? nscopes : PAGECACHE_MAX_SCOPES;
	buf_init(&pc->key);
	buf_init(&pc->generations);
	buf_init(&pc->hit);
	pc->filler = false;
	buf_addf(&pc->key, "bb:c:%s", kind);
	for (i = 0; i < pc->nscopes; i++) {
		pc->scopes[i] = scopes[i];
		buf_addf(&pc->key, ":%s", scopes[i]);
	}
	buf_addf(&pc->key, ":%s", rest);

	if (lookup(pc))
		return true;
	lock = take_lock(pc);
	if (lock != 0) {
		pc->filler = lock == 1;
		return false;
	}
	/* Another worker is filling the entry: wait for its value. */
	for (waited = 0; waited < PAGECACHE_WAIT_MS; waited += POLL_MS) {
		sleep_ms(POLL_MS);
		if (lookup(pc))
			return true;
	}
	return false;
}

void
pagecache_reply_hit(struct request *req, const struct pagecache *pc)
{
	http_reply_body(req, 200, "application/json", pc->hit.data,
	    pc->hit.len);
}

void
pagecache_reply_and_put(struct request *req, struct pagecache *pc,
    struct json_object *value, int ttl_s)
{
	struct buf entry;
	size_t len;
	const char *text = json_object_to_json_string_length(value,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	buf_init(&entry);
	buf_addf(&entry, "%s\n", pc->generations.data);
	buf_add(&entry, text, len);
	cache_set(pc->key.data, entry.data, entry.len, ttl_s);
	buf_free(&entry);
	release_lock(pc);
	http_reply_json(req, 200, value);
}

void
pagecache_close(struct pagecache *pc)
{
	release_lock(pc);
	buf_free(&pc->key);
	buf_free(&pc->generations);
	buf_free(&pc->hit);
}

void
pagecache_bump(const char *scope)
{
	cache_bump(scope);
}
