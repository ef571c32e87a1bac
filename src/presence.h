/*
 * Presence: which friends are online.
 */
#ifndef BUNNYBOOK_PRESENCE_H
#define BUNNYBOOK_PRESENCE_H

#include <stdbool.h>

#include "http.h"

/*
 * Record that profile_id's tab is alive now; a profile that was offline
 * goes online and its online friends receive a presence event.
 */
void presence_seen(const char *profile_id);

/*
 * Take profiles whose last heartbeat is too old offline and tell their
 * online friends; runs at most every few seconds per worker.
 */
void presence_sweep(void);

/*
 * Read the online state and last-seen time (Unix ms, 0 when never seen)
 * of n profiles: online means seen within the presence TTL.  Returns 0,
 * or -1 when the pub/sub Redis failed.
 */
int presence_online_states(const char *const *ids, int n, bool *online,
    long long *seen);

/* POST /api/presence/heartbeat. */
void presence_heartbeat(struct request *req);
/* GET /api/presence/friends: [{id, online, lastSeenAt}]. */
void presence_friends(struct request *req);

#endif
