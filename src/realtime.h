/*
 * GET /rt: the entry of a tab's event stream.
 */
#ifndef BUNNYBOOK_REALTIME_H
#define BUNNYBOOK_REALTIME_H

#include "http.h"

/*
 * Authenticate the stream request and hand it to nginx's internal nchan
 * subscriber location for the caller's own channels, with the resume id
 * (last_event_id or Last-Event-ID) once checked.
 */
void realtime_subscribe(struct request *req);

#endif
