/*
 * Comment routes, and the lookup of a comment that likes.c shares.
 */
#ifndef BUNNYBOOK_COMMENTS_H
#define BUNNYBOOK_COMMENTS_H

#include "http.h"

/*
 * Find comment_id: its post and its author.  Returns 0, 1 when there is
 * no such comment, or -1 when the database failed.
 */
int comments_locate(const char *comment_id, char post_id[37],
    char author[37]);

void comments_create(struct request *req);
void comments_list(struct request *req);
void comments_delete(struct request *req);

#endif
