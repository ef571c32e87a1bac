/*
 * Liveness and readiness routes.
 */
#ifndef BUNNYBOOK_HEALTH_H
#define BUNNYBOOK_HEALTH_H

#include "http.h"

/* GET /api/health: 200 while the worker runs; touches no dependency. */
void health_live(struct request *req);
/* GET /api/health/ready: 200 when every dependency responds, else 503. */
void health_ready(struct request *req);

#endif
