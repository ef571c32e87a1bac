/*
 * Post routes, and the shape of a post that the feed shares.
 */
#ifndef BUNNYBOOK_POSTS_H
#define BUNNYBOOK_POSTS_H

#include <libpq-fe.h>

#include "db.h"
#include "http.h"

/*
 * The select list of a post as the API shows it, for a query that names
 * the post p and its author a (profiles), with viewer the SQL parameter
 * of the viewer's id (NULL when anonymous) for likedByMe.  posts_json()
 * reads a row of exactly these columns.
 */
#define POSTS_COLUMNS(viewer)                                             \
	"p.id, p.content, " SQL_ISO_TIME("p.created_at") ", "              \
	SQL_ISO_TIME("p.updated_at") ", p.wall_profile_id, p.profile_id,"  \
	" a.username, p.privacy, p.comments_count, p.likes_count,"          \
	" EXISTS (SELECT 1 FROM post_likes pl WHERE pl.post_id = p.id"      \
	" AND pl.profile_id = " viewer "::uuid)"

/* Build the post JSON object of row of a POSTS_COLUMNS result. */
struct json_object *posts_json(const PGresult *res, int row);

/* Seconds a cached post or wall page lives when nothing bumps it. */
#define POSTS_CACHE_TTL_S 60

/*
 * Make cached answers about post_id (may be NULL) and the wall stale;
 * call after a committed write that changes what they show.
 */
void posts_changed(const char *wall, const char *post_id);

void posts_create(struct request *req);
void posts_get(struct request *req);
void posts_list(struct request *req);
void posts_update(struct request *req);
void posts_delete(struct request *req);

#endif
