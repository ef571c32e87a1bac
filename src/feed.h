/*
 * The home feed: posts on my wall and my friends' walls, newest first.
 */
#ifndef BUNNYBOOK_FEED_H
#define BUNNYBOOK_FEED_H

#include "http.h"

void feed_get(struct request *req);

#endif
