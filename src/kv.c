/*
 * Connection handling for the two Redis instances.  Callers decide what a
 * failure means (ignored for the cache, an error for rate limits); this
 * file only connects, reconnects, runs argv commands and logs failures
 * without flooding the log.
 */
#include "kv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

#define RECONNECT_INTERVAL_MS 1000

struct kv_conn {
	const char *name;
	char *address;
	redisContext *ctx;
	long long last_failed_ms;
	struct log_limiter limiter;
	/* The command sent by kv_send() whose reply is still unread. */
	char in_flight[16];
	/* Its reply, read before a later command on the same connection. */
	redisReply *early;
};

static struct kv_conn conns[2] = {
	[KV_CACHE] = { .name = "cache_redis" },
	[KV_PUBSUB] = { .name = "pubsub_redis" },
};
static int timeout_ms = 500;

static void
count_error(const struct kv_conn *c)
{
	metrics_count(c == &conns[KV_CACHE] ? METRICS_CACHE_REDIS_ERRORS
					    : METRICS_PUBSUB_REDIS_ERRORS);
}

static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
kv_configure(const struct config *cfg)
{
	kv_close();
	free(conns[KV_CACHE].address);
	free(conns[KV_PUBSUB].address);
	conns[KV_CACHE].address = xstrdup(cfg->cache_redis);
	conns[KV_PUBSUB].address = xstrdup(cfg->pubsub_redis);
	timeout_ms = cfg->redis_timeout_ms;
}

/* Close the connection after a failure; the next call reconnects. */
static void
drop(struct kv_conn *c)
{
	redisFree(c->ctx);
	c->ctx = NULL;
	c->in_flight[0] = '\0';
	c->last_failed_ms = monotonic_ms();
}

/* Read one reply; NULL (logged) when Redis failed or returned an error. */
static redisReply *
read_reply(struct kv_conn *c, const char *command)
{
	void *reply = NULL;

	if (redisGetReply(c->ctx, &reply) != REDIS_OK || reply == NULL) {
		count_error(c);
		log_limited(&c->limiter, 10000, LOG_WARN,
		    "%s: command %s failed: %s", c->name, command,
		    c->ctx->errstr);
		drop(c);
		return NULL;
	}
	if (((redisReply *)reply)->type == REDIS_REPLY_ERROR) {
		count_error(c);
		log_limited(&c->limiter, 10000, LOG_WARN,
		    "%s: command %s returned an error: %s", c->name, command,
		    ((redisReply *)reply)->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* Take the reply of a command in flight off the socket before another. */
static void
read_in_flight(struct kv_conn *c)
{
	char command[sizeof(c->in_flight)];

	if (c->ctx == NULL || c->in_flight[0] == '\0')
		return;
	memcpy(command, c->in_flight, sizeof(command));
	c->in_flight[0] = '\0';
	c->early = read_reply(c, command);
}

void
kv_close(void)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(conns); i++) {
		if (conns[i].ctx != NULL)
			redisFree(conns[i].ctx);
		conns[i].ctx = NULL;
		conns[i].in_flight[0] = '\0';
		if (conns[i].early != NULL)
			freeReplyObject(conns[i].early);
		conns[i].early = NULL;
	}
}

const char *
kv_name(enum kv_instance which)
{
	return conns[which].name;
}

static redisContext *
connect_address(const char *address, const struct timeval *tv)
{
	const char *colon;
	char host[256];
	long port;

	if (strncmp(address, "unix:", 5) == 0)
		return redisConnectUnixWithTimeout(address + 5, *tv);
	colon = strrchr(address, ':');
	if (colon == NULL || (size_t)(colon - address) >= sizeof(host))
		return NULL;
	memcpy(host, address, (size_t)(colon - address));
	host[colon - address] = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return NULL;
	return redisConnectWithTimeout(host, (int)port, *tv);
}

static redisContext *
kv_connect(struct kv_conn *c)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	long long now = monotonic_ms();

	if (c->ctx != NULL)
		return c->ctx;
	if (c->last_failed_ms != 0 &&
	    now - c->last_failed_ms < RECONNECT_INTERVAL_MS)
		return NULL;
	c->ctx = connect_address(c->address, &tv);
	if (c->ctx == NULL || c->ctx->err) {
		count_error(c);
		log_limited(&c->limiter, 10000, LOG_WARN,
		    "%s: cannot connect to %s: %s", c->name, c->address,
		    c->ctx ? c->ctx->errstr : "invalid address");
		if (c->ctx != NULL)
			redisFree(c->ctx);
		c->ctx = NULL;
		c->last_failed_ms = now;
		return NULL;
	}
	redisSetTimeout(c->ctx, tv);
	c->last_failed_ms = 0;
	return c->ctx;
}

redisReply *
kv_command(enum kv_instance which, int argc, const char **argv,
    const size_t *argvlen)
{
	struct kv_conn *c = &conns[which];
	redisReply *reply;

	read_in_flight(c);
	if (kv_connect(c) == NULL)
		return NULL;
	reply = redisCommandArgv(c->ctx, argc, argv, argvlen);
	if (reply == NULL) {
		count_error(c);
		log_limited(&c->limiter, 10000, LOG_WARN,
		    "%s: command %s failed: %s", c->name, argv[0],
		    c->ctx->errstr);
		drop(c);
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		count_error(c);
		log_limited(&c->limiter, 10000, LOG_WARN,
		    "%s: command %s returned an error: %s", c->name, argv[0],
		    reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

redisReply *
kv_commandv(enum kv_instance which, int argc, const char **argv)
{
	size_t lens[16];
	int i;

	if (argc > (int)ARRAY_LEN(lens))
		return NULL;
	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return kv_command(which, argc, argv, lens);
}

redisReply *
kv_commandv_many(enum kv_instance which, int argc, const char **argv)
{
	size_t *lens = xcalloc((size_t)argc + 1, sizeof(size_t));
	redisReply *reply;
	int i;

	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	reply = kv_command(which, argc, argv, lens);
	free(lens);
	return reply;
}

int
kv_send(enum kv_instance which, int argc, const char **argv)
{
	struct kv_conn *c = &conns[which];
	size_t lens[16];
	int i, done = 0;

	if (argc > (int)ARRAY_LEN(lens))
		return -1;
	/* A reply still unread belongs to a finished request: drop it. */
	read_in_flight(c);
	if (c->early != NULL)
		freeReplyObject(c->early);
	c->early = NULL;
	if (kv_connect(c) == NULL)
		return -1;
	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (redisAppendCommandArgv(c->ctx, argc, argv, lens) != REDIS_OK)
		goto failed;
	while (!done) {
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK)
			goto failed;
	}
	snprintf(c->in_flight, sizeof(c->in_flight), "%s", argv[0]);
	return 0;
failed:
	count_error(c);
	log_limited(&c->limiter, 10000, LOG_WARN, "%s: command %s failed: %s",
	    c->name, argv[0], c->ctx->errstr);
	drop(c);
	return -1;
}

redisReply *
kv_receive(enum kv_instance which)
{
	struct kv_conn *c = &conns[which];
	redisReply *reply;

	read_in_flight(c);
	reply = c->early;
	c->early = NULL;
	return reply;
}

void
kv_end_request(void)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(conns); i++) {
		struct kv_conn *c = &conns[i];

		if (c->ctx != NULL && c->in_flight[0] != '\0') {
			log_warn("%s: the reply of %s was never read; closing "
				 "the connection", c->name, c->in_flight);
			drop(c);
		}
		if (c->early != NULL) {
			log_warn("%s: a reply read early was never taken",
			    c->name);
			freeReplyObject(c->early);
			c->early = NULL;
		}
	}
}

bool
kv_ping(enum kv_instance which)
{
	const char *argv[] = { "PING" };
	redisReply *reply = kv_commandv(which, 1, argv);
	bool up = reply != NULL;

	if (reply != NULL)
		freeReplyObject(reply);
	return up;
}
