/*
 * Input rules and small helpers shared by posts.c, comments.c and
 * likes.c.  Everything here works on one request's input or on plain
 * text; the product files own their SQL and their rules of access.
 */
#include "social.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "ratelimit.h"
#include "validate.h"
#include "worker.h"

/* Decode the code point at s[*i] of valid UTF-8 and advance *i past it. */
static unsigned long
next_code_point(const unsigned char *s, size_t *i)
{
	unsigned long cp = s[*i];
	size_t extra = 0, k;

	if (cp >= 0xf0) {
		cp &= 0x07;
		extra = 3;
	} else if (cp >= 0xe0) {
		cp &= 0x0f;
		extra = 2;
	} else if (cp >= 0xc0) {
		cp &= 0x1f;
		extra = 1;
	}
	for (k = 1; k <= extra; k++)
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	*i += extra + 1;
	return cp;
}

/* The Unicode White_Space property (Unicode 15, PropList.txt). */
static bool
is_white_space(unsigned long cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
	    cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	    cp == 0x3000;
}

/*
 * Characters that show nothing on their own: the zero-width space, joiners
 * and non-joiner, word joiner, byte order mark, soft hyphen and the
 * Mongolian vowel separator.
 */
static bool
is_invisible(unsigned long cp)
{
	return (cp >= 0x200b && cp <= 0x200d) || cp == 0x2060 ||
	    cp == 0xfeff || cp == 0xad || cp == 0x180e;
}

bool
social_blank(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	unsigned long cp;

	while (i < len) {
		cp = next_code_point(p, &i);
		if (!is_white_space(cp) && !is_invisible(cp))
			return false;
	}
	return true;
}

int
social_text_or_reply(struct request *req, const char *name, bool required,
    size_t max_chars, const char **out)
{
	size_t len;
	int rc = http_body_string_or_reply(req, name, required, 1, max_chars,
	    out, &len);

	if (rc != 0)
		return rc;
	if (social_blank(*out, len)) {
		http_error(req, 422, "ValidationFailed", name,
		    "%s must not be only white space or invisible characters",
		    name);
		return -1;
	}
	return 0;
}

void
social_preview(const char *text, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text), i = 0, chars = 0;

	while (i < len && chars < SOCIAL_PREVIEW_CHARS) {
		next_code_point(p, &i);
		chars++;
	}
	buf_add(out, text, i);
	if (i < len)
		buf_adds(out, "...");
}

int
social_keyset_or_reply(struct request *req, struct keyset *out)
{
	const struct query_param *older = query_get(&req->query, "older_than");
	const struct query_param *older_id =
	    query_get(&req->query, "older_than_id");

	snprintf(out->time, sizeof(out->time), "infinity");
	snprintf(out->id, sizeof(out->id),
	    "00000000-0000-0000-0000-000000000000");
	out->first_page = older == NULL;
	if (older == NULL && older_id != NULL) {
		http_error(req, 422, "ValidationFailed", "older_than_id",
		    "older_than_id needs older_than, the createdAt of the "
		    "same item");
		return -1;
	}
	if (older == NULL)
		return 0;
	if (strlen(older->value) != older->value_len ||
	    older->value_len >= sizeof(out->time) ||
	    !validate_iso_time(older->value)) {
		http_error(req, 422, "ValidationFailed", "older_than",
		    "older_than must be a UTC time such as "
		    "2026-12-04T19:22:22.123Z");
		return -1;
	}
	snprintf(out->time, sizeof(out->time), "%s", older->value);
	if (older_id == NULL)
		return 0;
	if (strlen(older_id->value) != older_id->value_len ||
	    !uuid_text_valid(older_id->value, older_id->value_len)) {
		http_error(req, 422, "ValidationFailed", "older_than_id",
		    "older_than_id must be a UUID");
		return -1;
	}
	snprintf(out->id, sizeof(out->id), "%s", older_id->value);
	return 0;
}

int
social_write_allowed_or_reply(struct request *req, enum social_write kind)
{
	static const char *const names[] = {
		[SOCIAL_WRITE_POST] = "post",
		[SOCIAL_WRITE_COMMENT] = "comment",
		[SOCIAL_WRITE_LIKE] = "like",
	};
	const struct config *cfg = worker_config();
	int limits[] = {
		[SOCIAL_WRITE_POST] = cfg->post_writes_per_window,
		[SOCIAL_WRITE_COMMENT] = cfg->comment_writes_per_window,
		[SOCIAL_WRITE_LIKE] = cfg->like_writes_per_window,
	};
	char key[96], retry[16];
	int wait_s;

	snprintf(key, sizeof(key), "bb:rl:%s:%s", names[kind],
	    req->profile_id);
	wait_s = ratelimit_hit(key, limits[kind], cfg->write_window_s);
	if (wait_s == 0)
		return 0;
	snprintf(retry, sizeof(retry), "%d", wait_s);
	http_add_header(req, "Retry-After", retry);
	http_error(req, 429, "TooManyRequests", NULL,
	    "too many %s writes; retry in %d s", names[kind], wait_s);
	return -1;
}

void
social_reply_page(struct request *req, const char *sql, const char *owner,
    const struct keyset *cursor, int limit,
    struct json_object *(*row_json)(const PGresult *res, int row))
{
	char limit_text[16];
	const char *params[4] = { owner, cursor->time, cursor->id, limit_text };
	struct json_object *list;
	PGresult *res;
	int i;

	snprintf(limit_text, sizeof(limit_text), "%d", limit);
	res = db_exec(sql, 4, params, NULL);
	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	list = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(list, row_json(res, i));
	PQclear(res);
	http_reply_json(req, 200, list);
}
