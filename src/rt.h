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

void rt_configure(const struct config *cfg);
void rt_close(void);

/*
 * POST body to the publisher location path (for example "/pub/p.ID").
 * Returns the HTTP status, or -1 when nginx could not be reached.
 */
int rt_post(const char *path, const char *body, size_t len);

/* True when the publisher server and nchan's Redis answer (readiness). */
bool rt_publisher_ping(void);

#endif
