/*
 * Publishing to nchan.  Each worker keeps one libcurl handle to the
 * publisher-only nginx server so its connection is reused.  A failed
 * publish is logged and returned; it never fails a REST call whose data
 * is already committed.
 */
#ifndef BUNNYBOOK_RT_H
#define BUNNYBOOK_RT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct json_object;

void rt_configure(const struct config *cfg);
void rt_close(void);

/*
 * POST body to the publisher location path (for example "/pub/p.ID").
 * Returns the HTTP status, or -1 when nginx could not be reached.
 */
int rt_post(const char *path, const char *body, size_t len);

/*
 * Publish one event {"type", "seq", "data"} to a profile's stream now.
 * Durable events go to the buffered channel with the profile's next
 * sequence number; others (typing) to the unbuffered one without seq.
 * Takes ownership of data.  Returns 0, or -1 after logging.
 */
int rt_publish(const char *profile_id, bool durable, const char *type,
    struct json_object *data);

/*
 * Queue an event until the request's writes are committed: the worker
 * calls rt_flush() after a handler that succeeded and rt_discard() after
 * one that failed, so no client learns of a change that was rolled back.
 */
void rt_defer(const char *profile_id, bool durable, const char *type,
    struct json_object *data);
void rt_flush(void);
void rt_discard(void);

/*
 * Number of open streams on a profile's channels (named by rt_channel) on
 * every nginx sharing nchan's Redis, or -1 when nchan could not tell.
 */
int rt_subscriber_count(const char *channel);

/*
 * Writes the name of a profile's channels without their prefix ("u."
 * buffered, "e." unbuffered): the profile id, or "ID.N" once renewed.
 */
void rt_channel(const char *profile_id, char *out, size_t size);

/*
 * Moves a profile's streams to channels with a new name, at most once in
 * 5 minutes per profile (a Redis key with that expiry).  Returns true when
 * it did.  It exists because nchan 1.3.6 on Redis sometimes leaves a
 * channel stuck, so its streams receive nothing while publishing succeeds.
 * New names give new channels in every nginx.  The tabs still on the old
 * channels reconnect after their next failed stream check.
 */
bool rt_renew_channels(const char *profile_id);

/*
 * End every open stream of the profile, on every nginx host, because one
 * of its sessions ended.  The profile moves to a new channel generation,
 * and the old typing channel is deleted, which closes the streams.
 * Streams of its other sessions reconnect through /rt to the new
 * channels.  Failures are logged.
 */
void rt_end_streams(const char *profile_id);

/* True when the publisher server and nchan's Redis respond (readiness). */
bool rt_publisher_ping(void);

#endif
