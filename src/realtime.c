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
#include "worker.h"

void
realtime_subscribe(struct request *req)
{
	const char *origin = http_param(req, "HTTP_ORIGIN");
	const char *query = http_param(req, "QUERY_STRING");
	struct buf target;

	/* Browsers send Origin on WebSocket handshakes; others may not. */
	if (origin != NULL && strcmp(origin, worker_config()->site_origin)) {
		http_error(req, 403, "Forbidden", NULL,
		    "streams are only for pages of this site");
		return;
	}
	buf_init(&target);
	buf_addf(&target, "/internal/rt/%s", req->profile_id);
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
