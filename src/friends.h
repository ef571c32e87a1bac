/*
 * Friendship routes.
 */
#ifndef BUNNYBOOK_FRIENDS_H
#define BUNNYBOOK_FRIENDS_H

#include "http.h"

void friends_send_request(struct request *req);
void friends_cancel_request(struct request *req);
void friends_accept(struct request *req);
void friends_reject(struct request *req);
void friends_unfriend(struct request *req);
void friends_list(struct request *req);
void friends_mutual(struct request *req);
void friends_requests(struct request *req);
void friends_suggestions(struct request *req);
void friends_relationship(struct request *req);

#endif
