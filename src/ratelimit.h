/*
 * Fixed-window counters in the pub/sub Redis, shared by every worker and
 * host: login throttling now, write limits later.
 */
#ifndef BUNNYBOOK_RATELIMIT_H
#define BUNNYBOOK_RATELIMIT_H

#include <stdbool.h>

/*
 * Seconds until key's window ends when its counter has reached limit, 0
 * when it has not (or Redis is unreachable: limits then fail open, and
 * kv.c logs the outage).
 */
int ratelimit_blocked(const char *key, int limit);

/* Count one event on key; the window of window_s starts at the first. */
void ratelimit_count(const char *key, int window_s);

/*
 * Count one event and report whether it is within limit: returns 0 when
 * allowed, otherwise the seconds until the window ends.
 */
int ratelimit_hit(const char *key, int limit, int window_s);

void ratelimit_reset(const char *key);
/* Take back one event counted by ratelimit_hit(). */
void ratelimit_undo(const char *key);

#endif
