/*
 * Cache-aside helpers over the cache Redis.  A failure of the cache is a
 * miss: it is logged (rate-limited by kv.c) and the caller reads the
 * database instead.
 *
 * Invalidation works through generations: every cached response about a
 * profile has that profile's generation in its key, and a write bumps the
 * generation, so old entries are never read again and expire on their own.
 */
#ifndef BUNNYBOOK_CACHE_H
#define BUNNYBOOK_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Redis key of a profile's generation: this prefix and the profile id. */
#define CACHE_GENERATION_PREFIX "bb:gen:"

/* Append the cached value of key to out; true on a hit. */
bool cache_get(const char *key, struct buf *out);
void cache_set(const char *key, const char *value, size_t len, int ttl_s);

/* The current generation of profile id ("0" when unknown) into out. */
void cache_generation(const char *id, char out[24]);
/* Make every cached response about id stale. */
void cache_bump(const char *id);

#endif
