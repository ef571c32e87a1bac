/*
 * Helpers that posts, comments and likes share: the rules for text people
 * write, the keyset cursor of time-ordered lists, write rate limits and
 * the previews that notifications carry.  No product SQL and no rule about
 * who may see what (that is visibility.h).
 */
#ifndef BUNNYBOOK_SOCIAL_H
#define BUNNYBOOK_SOCIAL_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "http.h"

#define SOCIAL_POST_MAX	    4096 /* code points */
#define SOCIAL_COMMENT_MAX  1024 /* code points */
#define SOCIAL_PREVIEW_CHARS 32	 /* code points before "..." */

/*
 * Read the text field name of the JSON body: 1 to max_chars code points
 * of valid UTF-8, not only whitespace.  Returns 0 with *out (owned by the
 * request), 1 when absent and not required, or -1 after replying 422
 * naming the field.
 */
int social_text_or_reply(struct request *req, const char *name,
    bool required, size_t max_chars, const char **out);

/*
 * A keyset position in a list ordered by (created_at, id) descending.
 * The list continues strictly after (time, id).  Without a cursor, time
 * is "infinity".  With older_than alone, id is the nil UUID, which sorts
 * before every real id, so all rows of that millisecond are left out.
 */
struct keyset {
	char time[40];
	char id[37];
	bool first_page; /* no older_than given */
};

/*
 * Read older_than (ISO 8601 UTC, "2026-12-04T19:22:22.123Z", up to 6
 * fraction digits) and older_than_id (a UUID, only with older_than).
 * Returns 0, or -1 after replying 422 naming the parameter.
 */
int social_keyset_or_reply(struct request *req, struct keyset *out);

/*
 * Run sql with $1 = owner, $2/$3 = the cursor's time and id and $4 =
 * limit, and reply 200 with a JSON array of row_json() of every row, or
 * 500 when the database failed.
 */
void social_reply_page(struct request *req, const char *sql,
    const char *owner, const struct keyset *cursor, int limit,
    struct json_object *(*row_json)(const PGresult *res, int row));

enum social_write { SOCIAL_WRITE_POST, SOCIAL_WRITE_COMMENT, SOCIAL_WRITE_LIKE };

/*
 * Count one write of kind by the caller against the configured limit per
 * window in the pub/sub Redis.  Returns 0 when allowed, or -1 after
 * replying 429 with Retry-After.  An unreachable Redis allows the write.
 */
int social_write_allowed_or_reply(struct request *req, enum social_write kind);

/*
 * Append the preview of UTF-8 text to out: the first SOCIAL_PREVIEW_CHARS
 * code points, followed by "..." only when text is longer.  Never cuts a
 * UTF-8 sequence.
 */
void social_preview(const char *text, struct buf *out);

/*
 * True when s[0..len) holds only Unicode white space and invisible
 * characters such as U+200B, or nothing.
 */
bool social_blank(const char *s, size_t len);

#endif
