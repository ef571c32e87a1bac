/*
 * The stream entry point.  nginx sends GET /rt here first; the response is
 * either an error or an X-Accel-Redirect into the internal subscriber
 * location, which nchan serves as WebSocket or EventSource.  Publishing
 * lives in rt.c.
 */
#include "realtime.h"

#include <string.h>

#include "log.h"
#include "presence.h"
#include "rt.h"
#include "worker.h"

void
realtime_subscribe(struct request *req)
{
	const char *origin = http_param(req, "HTTP_ORIGIN");
	const char *query = http_param(req, "QUERY_STRING");
	struct buf target;
	char channel[64];
	int streams;

	/* Browsers send Origin on WebSocket handshakes; others may not. */
	if (origin != NULL && strcmp(origin, worker_config()->site_origin)) {
		http_error(req, 403, "Forbidden", NULL,
		    "streams are only for pages of this site");
		return;
	}
	/* Streams that ended are counted a little while after, so a
	 * reconnecting tab may see one of its old streams counted.
	 * NOTE: the count is nchan's, kept in its Redis.  After that Redis
	 * lost its data, streams opened before are subtracted when they
	 * close, so the count can stay too low.  An unknown count (-1) lets
	 * the stream through.  It is not known whether an nginx that crashes
	 * leaves counts too high, which would refuse streams until corrected. */
	rt_channel(req->profile_id, channel, sizeof(channel));
	streams = rt_subscriber_count(channel);
	if (streams >= worker_config()->streams_per_profile) {
		log_info("profile %s has %d streams open; refusing another",
		    req->profile_id, streams);
		http_add_header(req, "Retry-After", "10");
		http_error(req, 429, "TooManyRequests", NULL,
		    "too many open streams (%d); close a tab or retry later",
		    streams);
		return;
	}
	buf_init(&target);
	buf_addf(&target, "/internal/rt/%s", channel);
	if (query != NULL && *query != '\0')
		buf_addf(&target, "?%s", query);
	http_add_header(req, "X-Accel-Redirect", target.data);
	http_add_header(req, "Cache-Control", "no-store");
	http_reply_empty(req, 200);
	/* A tab that connects is a tab that is alive. */
	presence_seen(req->profile_id);
	log_debug("profile %s opens a stream", req->profile_id);
	buf_free(&target);
}
