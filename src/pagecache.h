/*
 * Cached responses about posts (a post, a wall page, a comment page) in
 * the cache Redis, with two properties cache.h alone does not give:
 *
 * - An entry is valid only for the generations of its scopes (the wall's,
 *   the post's, the viewer's) it was computed under.  It stores them in
 *   front of the response text, and a lookup reads the current ones and
 *   the entry in one MGET, so it costs one round trip.  Any write that
 *   bumps one of them makes the entry a miss at once, and a reader that
 *   raced the write stores its response with a generation no reader
 *   accepts any more.
 * - Single flight: on a miss, one worker takes a short lock and recomputes
 *   the entry while the others wait up to PAGECACHE_WAIT_MS for its value
 *   before they read PostgreSQL themselves.
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

struct pagecache {
	const char *scopes[PAGECACHE_MAX_SCOPES];
	int nscopes;
	struct buf key;         /* "bb:c:KIND:SCOPE:...:REST" */
	struct buf generations; /* "G1,G2" as last read */
	struct buf hit;         /* the cached JSON text after a hit */
	bool filler;            /* this worker holds the fill lock */
};

/*
 * Look up the response KIND about scopes whose other parameters are rest.
 * A scope is a generation name such as "wall:UUID", "post:UUID" or a
 * profile id, which friends.c bumps on every friendship change.  pc keeps
 * the scope pointers until pagecache_close().  Returns true on a hit, with the
 * text in pc->hit.  On a miss, pc->filler tells whether this worker took
 * the fill lock.  Either way the caller then computes the response and
 * passes it to pagecache_reply_and_put(), or calls pagecache_close().
 */
bool pagecache_open(struct pagecache *pc, const char *kind,
    const char *const *scopes, int nscopes, const char *rest);

/* Reply 200 with the cached JSON text of a hit. */
void pagecache_reply_hit(struct request *req, const struct pagecache *pc);

/*
 * Reply 200 with value (ownership taken) and store its text for ttl_s
 * seconds, releasing the fill lock.
 */
void pagecache_reply_and_put(struct request *req, struct pagecache *pc,
    struct json_object *value, int ttl_s);

/* Release the fill lock if still held and free pc. */
void pagecache_close(struct pagecache *pc);

/* Make every response naming scope stale; call after the write commits. */
void pagecache_bump(const char *scope);

#endif
