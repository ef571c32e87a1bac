/*
 * Prometheus metrics aggregated over every worker.  The master maps one
 * shared anonymous segment before it forks, and workers add to its
 * counters with relaxed atomic increments.  The request path therefore
 * takes no lock and makes no system call, and counts survive worker
 * restarts and reloads.  The master serves the text format on
 * metrics_listen from a child forked per scrape, so a slow client never
 * stalls supervision.
 */
#ifndef BUNNYBOOK_METRICS_H
#define BUNNYBOOK_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "router.h"
#include "util.h"

enum metrics_counter {
	METRICS_WORKER_RESTARTS,
	METRICS_DB_ERRORS,
	METRICS_CACHE_REDIS_ERRORS,
	METRICS_PUBSUB_REDIS_ERRORS,
	METRICS_CACHE_HITS,
	METRICS_CACHE_MISSES,
	METRICS_PUBLISHES,
	METRICS_PUBLISH_FAILURES,
	METRICS_COUNTER_COUNT
};

/*
 * Map the shared segment for the count routes of table (plus one slot for
 * requests no route matched); table must outlive the process.  Called once
 * by the master before the first fork; returns 0, or -1 with errno set.
 * Until it succeeds the other functions record nothing, as in `migrate`
 * and the unit tests.
 */
int metrics_init(const struct route *table, size_t count);

/* Add one to a counter. */
void metrics_count(enum metrics_counter counter);

/*
 * Record one finished request.  route_index is the route's position in the
 * table, or negative when no route matched.  elapsed_us is the request's
 * duration in microseconds.
 */
void metrics_request(long route_index, int status, long long elapsed_us);

/* Set the number of workers the current configuration runs. */
void metrics_set_workers(int workers);

/*
 * Append the Prometheus text exposition (version 0.0.4) of every metric
 * to out.  Routes are labelled "METHOD PATTERN", such as
 * "GET /api/posts/{id}"; nchan_subscribers < 0 leaves that gauge out.
 */
void metrics_render(struct buf *out, long nchan_subscribers);

/*
 * Open the listening socket of metrics_listen ("" turns metrics off);
 * returns the descriptor, -2 when off, or -1 after logging the error.
 */
int metrics_listen(const struct config *cfg);

/*
 * Accept one scrape on listen_fd and reply from a forked child:
 * GET /metrics gets the text format, anything else 404 or 405.  The child
 * also asks the nchan publisher for its subscriber count.  Returns at once;
 * the caller reaps the child with its other children.
 */
void metrics_serve(int listen_fd, const struct config *cfg);

#endif
