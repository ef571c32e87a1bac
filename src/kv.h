/*
 * The worker's two Redis connections: the cache (whose failures callers
 * log and ignore) and the pub/sub instance shared with nchan (presence and
 * rate limits).  Commands go only in argv form.  A lost connection is
 * re-opened on a later call, at most once per interval, so a Redis that is
 * down costs a request no more than one connect timeout.
 */
#ifndef BUNNYBOOK_KV_H
#define BUNNYBOOK_KV_H

#include <hiredis/hiredis.h>
#include <stdbool.h>

#include "config.h"

enum kv_instance { KV_CACHE, KV_PUBSUB };

void kv_configure(const struct config *cfg);
void kv_close(void);

/*
 * Run one command.  Returns the reply (free with freeReplyObject()), or
 * NULL when Redis is unreachable or returned an error; the failure
 * is logged at most once per interval per instance.
 */
redisReply *kv_command(enum kv_instance which, int argc, const char **argv,
    const size_t *argvlen);

/* Convenience for NUL-terminated arguments. */
redisReply *kv_commandv(enum kv_instance which, int argc, const char **argv);

/* The same for any number of NUL-terminated arguments. */
redisReply *kv_commandv_many(enum kv_instance which, int argc,
    const char **argv);

/*
 * Send one command without waiting for its reply, so that the worker can
 * do other work meanwhile.  Returns 0, or -1 when Redis is unreachable
 * (logged like kv_command()).  One command may be in flight per instance,
 * and other commands may run before kv_receive().
 */
int kv_send(enum kv_instance which, int argc, const char **argv);

/*
 * Read the reply of the command kv_send() sent.  Returns it (free with
 * freeReplyObject()), or NULL when nothing was sent, Redis failed or it
 * returned an error.
 */
redisReply *kv_receive(enum kv_instance which);

/*
 * At the end of a request: drop any reply still unread, closing the
 * connection when one is in flight, so that it cannot reach a later
 * request.  Either case is a caller's bug and is logged.
 */
void kv_end_request(void);

bool kv_ping(enum kv_instance which);

/* "cache_redis" or "pubsub_redis", for messages. */
const char *kv_name(enum kv_instance which);

#endif
