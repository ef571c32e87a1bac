/*
 * Cached responses about posts (a post, a wall page, a comment page) in
 * the cache Redis, with two properties cache.h alone does not give:
 *
 * - Keys name several generations (the wall's, the post's, the viewer's)
 *   read in one MGET, so any write that bumps one of them makes the
 *   response unreachable at once, and a reader that raced the write stores
 *   its response under a generation that no reader uses any more.
 * - Single flight: when a key is missing, one worker takes a short lock
 *   and recomputes it while the others wait up to PAGECACHE_WAIT_MS for
 *   its value before they read PostgreSQL themselves.
 *
 * A cache Redis that is down is a miss every time; callers then reply
 * from PostgreSQL.
 */
#ifndef BUNNYBOOK_PAGECACHE_H
#define BUNNYBOOK_PAGECACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "util.h"

#define PAGECACHE_MAX_SCOPES 4
#define PAGECACHE_WAIT_MS    150

/*
 * Append "bb:c:KIND:SCOPE=GEN:...:REST" to key, where each scope is a
 * generation name such as "wall:UUID", "post:UUID" or a profile id (the
 * generation friends.c bumps on every friendship change).
 */
void pagecache_key(struct buf *key, const char *kind,
    const char *const *scopes, int nscopes, const char *rest);

/*
 * Look key up.  On a hit, appends the value to out and returns true.  On
 * a miss returns false with *filler true when this worker holds the fill
 * lock and must pass it to pagecache_put().
 */
bool pagecache_get(const char *key, struct buf *out, bool *filler);

/* Store value under key for ttl_s seconds and release the fill lock. */
void pagecache_put(const char *key, const char *value, size_t len,
    int ttl_s, bool filler);

/* Release the fill lock after a computation that stored nothing. */
void pagecache_abandon(const char *key, bool filler);

/* Reply 200 with the cached JSON text hit. */
void pagecache_reply_hit(struct request *req, const struct buf *hit);

/*
 * Reply 200 with value (ownership taken) and store its text under key for
 * ttl_s seconds, releasing the fill lock.
 */
void pagecache_reply_and_put(struct request *req, const char *key,
    struct json_object *value, int ttl_s, bool filler);

/* Make every response naming scope stale; call after the write commits. */
void pagecache_bump(const char *scope);

#endif
