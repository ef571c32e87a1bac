/*
 * The stream entry point.  nginx sends GET /rt here first; the response is
 * either an error or an X-Accel-Redirect into the internal subscriber
 * location, which nchan serves as WebSocket or EventSource.  Publishing
 * lives in rt.c.
 */
#include "realtime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "presence.h"
#include "rt.h"
#include "worker.h"

/* A resume id is far shorter; nchan's own limit is not documented. */
#define RESUME_ID_MAX 64

/* Returns p moved past its leading decimal digits. */
static const char *
skip_digits(const char *p)
{
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

/*
 * Whether id has the shape of an nchan message id of a stream's two
 * channels: the publishing time in seconds, a colon, then two tags
 * separated by a comma.  Exactly one tag is a number in brackets (the
 * channel the message came from), and the other is a number or "-" (no
 * message yet).  nchan rejects other shapes with a plain-text 400.
 * *time_s gets the time.
 */
static bool
resume_id_valid(const char *id, long long *time_s)
{
	const char *p = id, *digits, *end;
	long long seconds = 0;
	int tag, bracketed = 0;
	bool in_brackets;

	if (strlen(id) > RESUME_ID_MAX)
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (p - id >= 12)
			return false;
		seconds = seconds * 10 + (*p - '0');
	}
	if (p == id || *p++ != ':')
		return false;
	for (tag = 0; tag < 2; tag++) {
		if (tag == 1 && *p++ != ',')
			return false;
		if (*p == '-') {
			p++;
			continue;
		}
		in_brackets = *p == '[';
		digits = p + in_brackets;
		end = skip_digits(digits);
		if (end == digits || (in_brackets && *end++ != ']'))
			return false;
		bracketed += in_brackets;
		p = end;
	}
	if (*p != '\0' || bracketed != 1)
		return false;
	*time_s = seconds;
	return true;
}

/*
 * Set *out to the resume id to pass on, or to NULL to start at the newest
 * event.  Returns 0, or -1 after replying 400.  The id comes from the
 * Last-Event-ID header, or else from the last_event_id parameter, the
 * order nchan reads them in.
 *
 * nchan 1.3.6 can abort an nginx worker when streams of one channel resume
 * from an expired message at the same moment (two or three were enough on
 * a test stack), and any client can send such an id.  So an id older than
 * stream_resume_max_age_s, set below nginx's nchan_message_timeout, starts
 * the stream at the newest event.  The client notices the gap by seq, or
 * by the time it was away, and re-reads over REST.  The If-Modified-Since
 * and If-None-Match headers also set nchan's resume id, so they are
 * rejected.
 */
static int
resume_id(struct request *req, const char **out)
{
	const struct query_param *arg = query_get(&req->query, "last_event_id");
	const char *id = http_param(req, "HTTP_LAST_EVENT_ID");
	const char *field = "Last-Event-ID";
	long long sent_s, oldest_s;

	*out = NULL;
	if (http_param(req, "HTTP_IF_MODIFIED_SINCE") != NULL)
		field = "If-Modified-Since";
	else if (http_param(req, "HTTP_IF_NONE_MATCH") != NULL)
		field = "If-None-Match";
	if (strcmp(field, "Last-Event-ID")) {
		log_info("profile %s: stream request with %s rejected",
		    req->profile_id, field);
		http_error(req, 400, "MalformedRequest", field,
		    "streams resume with last_event_id or Last-Event-ID, "
		    "not with %s", field);
		return -1;
	}
	if (id == NULL || *id == '\0') {
		id = arg != NULL ? arg->value : NULL;
		field = "last_event_id";
	}
	if (id == NULL || *id == '\0')
		return 0;
	if (!resume_id_valid(id, &sent_s)) {
		log_info("profile %s: invalid resume id in %s rejected: %.64s",
		    req->profile_id, field, id);
		http_error(req, 400, "MalformedRequest", field,
		    "%s must be the id of an event from this stream, such as "
		    "1796480694:[0],-", field);
		return -1;
	}
	oldest_s = wall_clock_ms() / 1000 -
	    worker_config()->stream_resume_max_age_s;
	if (sent_s < oldest_s) {
		log_info("profile %s resumes from an event older than %d s; "
		    "its stream starts at the newest event", req->profile_id,
		    worker_config()->stream_resume_max_age_s);
		return 0;
	}
	*out = id;
	return 0;
}

/*
 * Whether the request opens a stream nchan serves: a WebSocket upgrade, or
 * an EventSource (Accept naming text/event-stream).  nchan rejects any
 * other request with an empty 403.
 */
static bool
stream_kind_valid(struct request *req)
{
	const char *upgrade = http_param(req, "HTTP_UPGRADE");
	const char *accept = http_param(req, "HTTP_ACCEPT");

	if (upgrade != NULL && strcasecmp(upgrade, "websocket") == 0)
		return true;
	return accept != NULL && strcasestr(accept, "text/event-stream") != NULL;
}

void
realtime_subscribe(struct request *req)
{
	const char *origin = http_param(req, "HTTP_ORIGIN");
	const char *resume;
	struct buf target;
	char channel[64];
	int streams;

	/* nchan would keep a HEAD request open without a response. */
	if (req->method == NULL || strcmp(req->method, "GET") != 0) {
		http_add_header(req, "Allow", "GET");
		http_error(req, 405, "MethodNotAllowed", NULL,
		    "streams are opened with GET");
		return;
	}
	/* Browsers send Origin on WebSocket handshakes; others may not. */
	if (origin != NULL && strcmp(origin, worker_config()->site_origin)) {
		http_error(req, 403, "Forbidden", NULL,
		    "streams are only for pages of this site");
		return;
	}
	if (resume_id(req, &resume) < 0)
		return;
	if (!stream_kind_valid(req)) {
		http_error(req, 400, "MalformedRequest", "Accept",
		    "open a stream as a WebSocket (subprotocol ws+meta.nchan) "
		    "or as an EventSource (Accept: text/event-stream)");
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
	/* The id is digits and ":[],-", encoded as URLSearchParams would. */
	if (resume != NULL) {
		buf_adds(&target, "?last_event_id=");
		for (; *resume != '\0'; resume++)
			if ((*resume >= '0' && *resume <= '9') || *resume == '-')
				buf_addc(&target, *resume);
			else
				buf_addf(&target, "%%%02X", (unsigned char)*resume);
	}
	http_add_header(req, "X-Accel-Redirect", target.data);
	http_add_header(req, "Cache-Control", "no-store");
	http_reply_empty(req, 200);
	/* A tab that connects is a tab that is alive. */
	presence_seen(req->profile_id);
	log_debug("profile %s opens a stream", req->profile_id);
	buf_free(&target);
}
