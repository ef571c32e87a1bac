/*
 * Session liveness at one round trip to the pub/sub Redis per request.
 * PostgreSQL's sessions.revoked_at is the truth, which auth.c writes.  This
 * file keeps Redis from vouching for a revoked session, also when Redis
 * could not be reached at the moment of the revocation.
 *
 * Two keys per check:
 *   bb:live:<session id>  the session epoch under which PostgreSQL last
 *                         found the session live (kept MARK_TTL_MS), or
 *                         "revoked", written by a revocation
 *   bb:live-epoch         a copy of session_epoch.epoch from PostgreSQL,
 *                         kept only EPOCH_COPY_TTL_MS
 * One MGET reads both.  A mark equal to the copy means live, and "revoked"
 * means ended.  Anything else (no mark, no copy, another epoch, Redis
 * down) sends one query for the session and the epoch to PostgreSQL.  A
 * live result writes the mark and the copy back in one script.
 *
 * A late write: a request that found the session live just before a
 * logout could write its mark just after the logout's.  So a revocation
 * overwrites the mark with "revoked" instead of deleting it, and the
 * script never replaces that value.  The script also drops a write that
 * reaches Redis EPOCH_COPY_TTL_MS or more after its PostgreSQL query began,
 * so nothing read before a revocation lands after its "revoked" mark has
 * expired.
 *
 * A revocation that cannot reach Redis leaves the old mark in place.  Its
 * worker then increments the epoch in PostgreSQL and waits until every
 * copy of the old epoch has expired before the request returns: a copy
 * expires at most EPOCH_COPY_TTL_MS after the query that read it began,
 * and later writes of the old epoch are dropped as too late.  From then on
 * the old mark matches no copy, and the next request asks PostgreSQL.
 * Other revocations leave the epoch alone, so marks stay valid: PostgreSQL
 * sees about one query per active session per minute, plus, once a second,
 * the few requests that arrive while the expired copy is being renewed.
 *
 * When PostgreSQL cannot be asked, a mark of any epoch still vouches for
 * its session, since no revocation can commit meanwhile; a session with
 * no mark gets 503, not 401, so that an outage does not look like a
 * logout to its client.
 *
 * NOTE: expiry times are absolute, from the clock of the host that read
 * PostgreSQL, and Redis compares them with its own clock, so the hosts and
 * Redis must agree within CLOCK_MARGIN_MS.
 */
#include "auth_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "kv.h"
#include "log.h"
#include "util.h"

#define MARK_PREFIX "bb:live:"
#define EPOCH_COPY_KEY "bb:live-epoch"
#define REVOKED "revoked"

/* How long PostgreSQL's "live" result for a session is reused. */
#define MARK_TTL_MS 60000
/* How long a copy of the epoch is trusted.  Failed revocations wait it out. */
#define EPOCH_COPY_TTL_MS 1000
/* Allowed difference between the clocks of the hosts and of Redis. */
#define CLOCK_MARGIN_MS 500
/* How long a "revoked" mark stays: longer than any late write can take. */
#define REVOKED_TTL_MS MARK_TTL_MS

_Static_assert(REVOKED_TTL_MS > EPOCH_COPY_TTL_MS + CLOCK_MARGIN_MS,
    "a late mark write could land after the revoked mark expired");

static const char sql_session_live[] =
    "SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1"
    "   AND revoked_at IS NULL AND expires_at > now()),"
    " (SELECT epoch FROM session_epoch)";
static const char sql_epoch_increment[] =
    "UPDATE session_epoch SET epoch = epoch + 1 RETURNING epoch";

/*
 * Write the mark (KEYS[1]) and the epoch copy (KEYS[2]) after PostgreSQL
 * found the session live under epoch ARGV[1].  ARGV[2] and ARGV[3] are the
 * absolute expiry times in milliseconds of the mark and the copy.  A write
 * arriving after the copy's expiry is stale and dropped, and so is one
 * whose epoch is older than the copy's.  A "revoked" mark is never replaced.
 */
static const char mark_script[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "if now >= tonumber(ARGV[3]) then return 0 end\n"
    "local copy = tonumber(redis.call('GET', KEYS[2]) or '')\n"
    "if copy and copy > tonumber(ARGV[1]) then return 0 end\n"
    "if redis.call('GET', KEYS[1]) == '" REVOKED "' then return 0 end\n"
    "redis.call('SET', KEYS[2], ARGV[1], 'PXAT', ARGV[3])\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])\n"
    "return 1\n";

/* Mark every key of KEYS as revoked for ARGV[1] milliseconds. */
static const char revoke_script[] =
    "for i = 1, #KEYS do\n"
    "  redis.call('SET', KEYS[i], '" REVOKED "', 'PX', ARGV[1])\n"
    "end\n"
    "return #KEYS\n";

static void
mark_key(const char *session_id, char key[64])
{
	snprintf(key, 64, MARK_PREFIX "%s", session_id);
}

const char **
auth_live_command(const char *session_id)
{
	static char key[64];
	static const char *argv[AUTH_LIVE_ARGC] = { "MGET", key,
		EPOCH_COPY_KEY };

	mark_key(session_id, key);
	return argv;
}

/* Write back PostgreSQL's "live" result, read under epoch from started_ms. */
static void
remember_live(const char *session_id, const char *epoch, long long started_ms)
{
	char key[64], mark_expiry[24], copy_expiry[24];
	const char *argv[] = { "EVAL", mark_script, "2", key, EPOCH_COPY_KEY,
		epoch, mark_expiry, copy_expiry };
	redisReply *reply;

	mark_key(session_id, key);
	snprintf(mark_expiry, sizeof(mark_expiry), "%lld",
	    started_ms + MARK_TTL_MS);
	snprintf(copy_expiry, sizeof(copy_expiry), "%lld",
	    started_ms + EPOCH_COPY_TTL_MS);
	reply = kv_commandv(KV_PUBSUB, (int)ARRAY_LEN(argv), argv);
	if (reply != NULL)
		freeReplyObject(reply);
}

/* Mark the sessions revoked in Redis.  Returns 0, or -1 when Redis failed. */
static int
mark_revoked(const char *const *session_ids, int count)
{
	const char **argv = xcalloc((size_t)count + 4, sizeof(*argv));
	char (*keys)[64] = xcalloc((size_t)count, sizeof(*keys));
	char count_text[16], ttl[16];
	redisReply *reply;
	int i;

	snprintf(count_text, sizeof(count_text), "%d", count);
	snprintf(ttl, sizeof(ttl), "%d", REVOKED_TTL_MS);
	argv[0] = "EVAL";
	argv[1] = revoke_script;
	argv[2] = count_text;
	for (i = 0; i < count; i++) {
		mark_key(session_ids[i], keys[i]);
		argv[3 + i] = keys[i];
	}
	argv[3 + count] = ttl;
	reply = kv_commandv_many(KV_PUBSUB, count + 4, argv);
	free(keys);
	free(argv);
	if (reply == NULL)
		return -1;
	freeReplyObject(reply);
	return 0;
}

/* Session state read from Redis in the reply to auth_live_command(). */
enum redis_verdict {
	REDIS_LIVE,	     /* a mark equal to the epoch copy */
	REDIS_REVOKED,	     /* a "revoked" mark */
	REDIS_STALE_MARK,    /* a mark of another or unknown epoch */
	REDIS_NOTHING	     /* no mark, or no usable reply */
};

static enum redis_verdict
verdict_of(const redisReply *reply)
{
	const redisReply *mark, *copy;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 2)
		return REDIS_NOTHING;
	mark = reply->element[0];
	copy = reply->element[1];
	if (mark->type != REDIS_REPLY_STRING)
		return REDIS_NOTHING;
	if (strcmp(mark->str, REVOKED) == 0)
		return REDIS_REVOKED;
	if (copy->type == REDIS_REPLY_STRING &&
	    strcmp(mark->str, copy->str) == 0)
		return REDIS_LIVE;
	return REDIS_STALE_MARK;
}

enum auth_live
auth_live_decide(const char *session_id, redisReply *reply)
{
	const char *params[1] = { session_id };
	enum redis_verdict verdict = verdict_of(reply);
	long long started_ms;
	PGresult *res;
	bool live;

	if (reply != NULL)
		freeReplyObject(reply);
	if (verdict == REDIS_LIVE)
		return AUTH_LIVE_YES;
	if (verdict == REDIS_REVOKED)
		return AUTH_LIVE_ENDED;

	/* The copy's expiry counts from before the query, never after. */
	started_ms = wall_clock_ms();
	res = db_exec_prepared(sql_session_live, 1, params, NULL);
	if (res == NULL) {
		/*
		 * PostgreSQL is away, so no revocation can commit now, and a
		 * mark means PostgreSQL found the session live within the last
		 * MARK_TTL_MS.  NOTE: a session revoked while Redis was down,
		 * whose mark the epoch outdated, is trusted again if
		 * PostgreSQL then fails within MARK_TTL_MS.
		 */
		return verdict == REDIS_STALE_MARK ? AUTH_LIVE_YES
						   : AUTH_LIVE_UNKNOWN;
	}
	live = PQntuples(res) == 1 && *PQgetvalue(res, 0, 0) == 't';
	if (!live)
		mark_revoked(&session_id, 1);
	else if (!PQgetisnull(res, 0, 1))
		remember_live(session_id, PQgetvalue(res, 0, 1), started_ms);
	PQclear(res);
	return live ? AUTH_LIVE_YES : AUTH_LIVE_ENDED;
}

/* Sleep for ms milliseconds, also when signals interrupt the sleep. */
static void
sleep_ms(long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until,
	    NULL) == EINTR)
		;
}

int
auth_live_forget(const char *const *session_ids, int count)
{
	PGresult *res;

	if (count == 0 || mark_revoked(session_ids, count) == 0)
		return 0;

	/* Redis failed: outdate every mark, then outlive the old copies. */
	res = db_exec(sql_epoch_increment, 0, NULL, NULL);
	if (res == NULL) {
		log_error("revoking session %s%s failed: neither the pub/sub "
			  "Redis nor the session epoch could be updated, so "
			  "other workers may accept its access tokens for up "
			  "to %d s",
		    session_ids[0], count > 1 ? " and others" : "",
		    MARK_TTL_MS / 1000);
		return -1;
	}
	log_warn("revoking session %s%s: the pub/sub Redis failed, so the "
		 "session epoch moved to %s and the request waits %d ms for "
		 "copies of the old epoch to expire",
	    session_ids[0], count > 1 ? " and others" : "",
	    PQgetvalue(res, 0, 0), EPOCH_COPY_TTL_MS + CLOCK_MARGIN_MS);
	PQclear(res);
	sleep_ms(EPOCH_COPY_TTL_MS + CLOCK_MARGIN_MS);
	return 0;
}
