/*
 * The visibility rules of posts as SQL over posts and friendships.
 * Callers decide what to do with a post they may not read.
 */
#include "visibility.h"

#include <stdio.h>
#include <string.h>

#include "db.h"

static const char sql_post_access[] =
    "SELECT p.wall_profile_id, p.profile_id, a.username,"
    " p.privacy = 'PUBLIC', "
    VISIBILITY_WALL_MEMBER("$2", "p.wall_profile_id")
    " FROM posts p JOIN profiles a ON a.id = p.profile_id WHERE p.id = $1";
static const char sql_wall_access[] =
    "SELECT " VISIBILITY_WALL_MEMBER("$2", "w.id")
    " FROM profiles w WHERE w.id = $1";

int
visibility_load(const char *post_id, const char *viewer,
    struct post_access *out)
{
	const char *params[2] = { post_id, *viewer != '\0' ? viewer : NULL };
	PGresult *res = db_exec(sql_post_access, 2, params, NULL);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 1;
	}
	snprintf(out->post_id, sizeof(out->post_id), "%s", post_id);
	snprintf(out->wall, sizeof(out->wall), "%s", PQgetvalue(res, 0, 0));
	snprintf(out->author, sizeof(out->author), "%s",
	    PQgetvalue(res, 0, 1));
	snprintf(out->author_username, sizeof(out->author_username), "%s",
	    PQgetvalue(res, 0, 2));
	out->public = *PQgetvalue(res, 0, 3) == 't';
	/* NULL when anonymous: not a member. */
	out->wall_member = *PQgetvalue(res, 0, 4) == 't';
	PQclear(res);
	return 0;
}

bool
visibility_can_read(const struct post_access *access)
{
	return access->public || access->wall_member;
}

int
visibility_found_or_reply(struct request *req, const char *post_id,
    const char *field, struct post_access *out)
{
	int found = visibility_load(post_id, req->profile_id, out);

	if (found == -1) {
		http_internal_error(req);
		return -1;
	}
	if (found == 1) {
		http_error(req, 404, "NotFound", field, "no post %s", post_id);
		return -1;
	}
	return 0;
}

void
visibility_forbidden_reply(struct request *req, const char *post_id,
    const char *field)
{
	http_error(req, 403, "Forbidden", field,
	    "post %s is visible to the wall owner's friends only", post_id);
}

int
visibility_readable_or_reply(struct request *req, const char *post_id,
    const char *field, struct post_access *out)
{
	if (visibility_found_or_reply(req, post_id, field, out) == -1)
		return -1;
	if (!visibility_can_read(out)) {
		visibility_forbidden_reply(req, post_id, field);
		return -1;
	}
	return 0;
}

int
visibility_wall_member(const char *wall, const char *viewer, bool *member)
{
	const char *params[2] = { wall, *viewer != '\0' ? viewer : NULL };
	PGresult *res = db_exec(sql_wall_access, 2, params, NULL);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 1;
	}
	*member = *PQgetvalue(res, 0, 0) == 't';
	PQclear(res);
	return 0;
}

int
visibility_wall_writable_or_reply(struct request *req, const char *wall,
    const char *field)
{
	bool member = false;
	int found = visibility_wall_member(wall, req->profile_id, &member);

	if (found == -1) {
		http_internal_error(req);
		return -1;
	}
	if (found == 1) {
		http_error(req, 404, "NotFound", field, "no profile %s", wall);
		return -1;
	}
	if (!member) {
		http_error(req, 403, "Forbidden", field,
		    "only the wall owner and their friends may post on this "
		    "wall");
		return -1;
	}
	return 0;
}
