/*
 * Routes that serve and choose generated avatars.
 */
#ifndef BUNNYBOOK_AVATAR_ROUTES_H
#define BUNNYBOOK_AVATAR_ROUTES_H

#include "http.h"

/* GET /api/avatar/{identifier}: preview any identifier's avatar. */
void avatar_preview(struct request *req);
/* GET /api/profiles/{id}/avatar: the profile's avatar with an ETag. */
void avatar_of_profile(struct request *req);
/* PUT /api/profiles/{id}/avatar: choose another identifier (self only). */
void avatar_change(struct request *req);

/*
 * Append the versioned URL of a profile's avatar to out; it changes when
 * the identifier changes, so clients may cache it for a year.
 */
void avatar_url(const char *profile_id, const char *identifier, struct buf *out);

#endif
