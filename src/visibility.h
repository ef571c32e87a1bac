/*
 * The visibility rules of posts and walls, in one place:
 *
 * - A PUBLIC post is visible to everyone, anonymous readers included.
 * - A FRIENDS post is visible to the wall owner and the wall owner's
 *   friends only; friendship with the author does not matter.
 * - Only the wall owner and their friends may post on a wall.
 *
 * Friendship is read from PostgreSQL's friendships table, the source of
 * truth, in the same query as the post, so an unfriending takes access
 * away on the next request whichever graph backend serves the lists.
 */
#ifndef BUNNYBOOK_VISIBILITY_H
#define BUNNYBOOK_VISIBILITY_H

#include <stdbool.h>

#include "http.h"

/* A post and the viewer's standing towards its wall. */
struct post_access {
	char post_id[37];
	char wall[37];
	char author[37];
	char author_username[33];
	bool public;
	bool wall_member; /* the viewer is the wall owner or the owner's friend */
};

/*
 * SQL condition: viewer (a uuid parameter, NULL when anonymous) is the
 * owner of wall (a column or parameter) or one of the owner's friends.
 */
#define VISIBILITY_WALL_MEMBER(viewer, wall)                              \
	"(" viewer "::uuid = " wall " OR EXISTS (SELECT 1 FROM friendships" \
	" fv WHERE fv.profile_id = " wall " AND fv.friend_id = " viewer      \
	"::uuid))"

/*
 * Load post_id and the standing of viewer ("" when anonymous).  Returns
 * 0, 1 when there is no such post, or -1 when the database failed.
 */
int visibility_load(const char *post_id, const char *viewer,
    struct post_access *out);

bool visibility_can_read(const struct post_access *access);

/*
 * Load the post whose id is post_id without checking who may read it.
 * Returns 0, or -1 after replying 404 (unknown; field names the input) or
 * 500.
 */
int visibility_found_or_reply(struct request *req, const char *post_id,
    const char *field, struct post_access *out);

/* Reply 403: the post is not visible to the caller. */
void visibility_forbidden_reply(struct request *req, const char *post_id,
    const char *field);

/*
 * Load the post whose id is post_id and check that the caller may read
 * it.  Returns 0, or -1 after replying 404 (unknown; field names the
 * input), 403 (not visible) or 500.
 */
int visibility_readable_or_reply(struct request *req, const char *post_id,
    const char *field, struct post_access *out);

/*
 * Whether viewer ("" when anonymous) is the owner of wall or one of the
 * owner's friends.  Returns 0, 1 when there is no such profile, or -1
 * when the database failed.
 */
int visibility_wall_member(const char *wall, const char *viewer,
    bool *member);

/*
 * Check that the caller may post on wall.  Returns 0, or -1 after
 * replying 404 (no such profile), 403 or 500; field names the input.
 */
int visibility_wall_writable_or_reply(struct request *req, const char *wall,
    const char *field);

#endif
