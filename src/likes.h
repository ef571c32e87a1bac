/*
 * Like routes: PUT and DELETE .../like on posts and comments, idempotent.
 */
#ifndef BUNNYBOOK_LIKES_H
#define BUNNYBOOK_LIKES_H

#include "http.h"

void likes_post_put(struct request *req);
void likes_post_delete(struct request *req);
void likes_comment_put(struct request *req);
void likes_comment_delete(struct request *req);

#endif
