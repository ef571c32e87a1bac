/*
 * Presence: who is online, kept in the pub/sub Redis.
 *
 * A profile is online while its tabs send heartbeats: opening a stream
 * (GET /rt) and POST /api/presence/heartbeat every 30 s both record
 * "seen now" in the sorted set bb:presence:seen.  A profile whose last
 * heartbeat is older than PRESENCE_TTL_S is offline; workers sweep such
 * members out now and then, and the worker that removes one publishes
 * the transition.  So a crashed nginx worker, a reload or a lost network
 * leaves nobody online for longer than the TTL plus one sweep interval,
 * and closing one of two tabs changes nothing while the other beats.
 */
#include "presence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "kv.h"
#include "log.h"
#include "rt.h"
#include "util.h"

#define SEEN_KEY "bb:presence:seen"
#define LAST_KEY "bb:presence:last"
/* Heartbeats come every 30 s; two may be lost before a tab counts as gone. */
#define PRESENCE_TTL_S	  75
#define SWEEP_INTERVAL_S  5
#define SWEEP_BATCH	  100

static const char sql_friend_ids[] =
    "SELECT friend_id FROM friendships WHERE profile_id = $1";

/* Format epoch milliseconds as the API's UTC time. */
static void
iso_time(long long ms, char out[32])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

/*
 * Run "COMMAND KEY id..." (HMGET or ZMSCORE) and read one integer per id
 * into out, 0 for a missing one.  Returns 0, or -1 when Redis failed.
 */
static int
read_per_id(const char *command, const char *key, const char *const *ids,
    int n, long long *out)
{
	const char **argv = xcalloc((size_t)n + 2, sizeof(char *));
	redisReply *r;
	int i;

	argv[0] = command;
	argv[1] = key;
	for (i = 0; i < n; i++)
		argv[i + 2] = ids[i];
	r = kv_commandv_many(KV_PUBSUB, n + 2, argv);
	free(argv);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || (int)r->elements != n) {
		if (r != NULL)
			freeReplyObject(r);
		return -1;
	}
	for (i = 0; i < n; i++)
		out[i] = r->element[i]->type == REDIS_REPLY_STRING
		    ? strtoll(r->element[i]->str, NULL, 10)
		    : 0;
	freeReplyObject(r);
	return 0;
}

/* Last-seen times (ms, 0 when never) of ids; -1 when Redis failed. */
static int
last_seen(const char *const *ids, int n, long long *out)
{
	return read_per_id("HMGET", LAST_KEY, ids, n, out);
}

int
presence_online_states(const char *const *ids, int n, bool *online,
    long long *seen)
{
	long long cutoff = wall_clock_ms() - PRESENCE_TTL_S * 1000LL;
	int i;

	if (read_per_id("ZMSCORE", SEEN_KEY, ids, n, seen) == -1)
		return -1;
	for (i = 0; i < n; i++)
		online[i] = seen[i] > cutoff;
	return last_seen(ids, n, seen);
}

/* Friends of id as an array of strings; the PGresult owns them. */
static PGresult *
friend_ids(const char *id, const char ***ids, int *n)
{
	const char *params[1] = { id };
	PGresult *res = db_exec(sql_friend_ids, 1, params, NULL);
	int i;

	*ids = NULL;
	*n = 0;
	if (res == NULL)
		return NULL;
	*n = PQntuples(res);
	*ids = xcalloc((size_t)*n + 1, sizeof(char *));
	for (i = 0; i < *n; i++)
		(*ids)[i] = PQgetvalue(res, i, 0);
	return res;
}

/* Tell id's online friends that id went online or offline. */
static void
announce(const char *id, bool online, long long seen_ms)
{
	const char **ids;
	long long *seen;
	bool *states;
	char when[32];
	int n, i;
	PGresult *res = friend_ids(id, &ids, &n);

	if (res == NULL || n == 0)
		goto out;
	states = xcalloc((size_t)n, sizeof(bool));
	seen = xcalloc((size_t)n, sizeof(long long));
	iso_time(seen_ms, when);
	if (presence_online_states(ids, n, states, seen) == 0) {
		for (i = 0; i < n; i++) {
			struct json_object *data;

			if (!states[i])
				continue;
			data = json_object_new_object();
			json_object_object_add(data, "profileId",
			    json_object_new_string(id));
			json_object_object_add(data, "online",
			    json_object_new_boolean(online));
			json_object_object_add(data, "lastSeenAt",
			    json_object_new_string(when));
			rt_publish(ids[i], true, "presence", data);
		}
	}
	free(states);
	free(seen);
out:
	free(ids);
	PQclear(res);
}

void
presence_seen(const char *profile_id)
{
	char score[24];
	const char *zadd[] = { "ZADD", SEEN_KEY, score, profile_id };
	const char *hset[] = { "HSET", LAST_KEY, profile_id, score };
	long long now = wall_clock_ms();
	redisReply *r;
	bool was_offline;

	/* ZADD returns 1 for a member that was not there: a transition. */
	snprintf(score, sizeof(score), "%lld", now);
	r = kv_commandv(KV_PUBSUB, 4, zadd);
	if (r == NULL)
		return;
	was_offline = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	r = kv_commandv(KV_PUBSUB, 4, hset);
	if (r != NULL)
		freeReplyObject(r);
	if (was_offline) {
		log_info("profile %s is online", profile_id);
		announce(profile_id, true, now);
	}
}

void
presence_sweep(void)
{
	static time_t last;
	time_t now = time(NULL);
	char cutoff[24];
	const char *range[] = { "ZRANGEBYSCORE", SEEN_KEY, "-inf", cutoff,
		"LIMIT", "0", "100" };
	redisReply *r;
	size_t i;

	if (now - last < SWEEP_INTERVAL_S)
		return;
	last = now;
	snprintf(cutoff, sizeof(cutoff), "%lld",
	    wall_clock_ms() - PRESENCE_TTL_S * 1000LL);
	r = kv_commandv(KV_PUBSUB, 7, range);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL)
			freeReplyObject(r);
		return;
	}
	for (i = 0; i < r->elements && i < SWEEP_BATCH; i++) {
		const char *id = r->element[i]->str;
		const char *zrem[] = { "ZREM", SEEN_KEY, id };
		redisReply *removed = kv_commandv(KV_PUBSUB, 3, zrem);
		long long seen = 0;

		/* Only the worker whose ZREM removed it announces it. */
		if (removed != NULL && removed->type == REDIS_REPLY_INTEGER &&
		    removed->integer == 1 && last_seen(&id, 1, &seen) == 0) {
			log_info("profile %s is offline", id);
			announce(id, false, seen);
		}
		if (removed != NULL)
			freeReplyObject(removed);
	}
	freeReplyObject(r);
}

/* A stream check token: 1 to 32 letters, digits, '-' or '_'. */
static bool
check_token_valid(const char *token)
{
	size_t n = strlen(token);

	return n >= 1 && n <= 32 &&
	    strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789-_") == n;
}

/*
 * Records the caller as online.  With ?check=TOKEN it also publishes a
 * stream_check event with the token to the caller's buffered channel, and
 * with ?renew=1 it moves the caller's streams to new channels first
 * (rt_renew_channels).  A tab whose stream misses its check sends renew.
 */
void
presence_heartbeat(struct request *req)
{
	const char *check, *renew;
	struct json_object *data;

	if (http_query_string_or_reply(req, "check", 32, &check) == -1 ||
	    http_query_string_or_reply(req, "renew", 1, &renew) == -1)
		return;
	if (*check != '\0' && !check_token_valid(check)) {
		http_error(req, 422, "ValidationFailed", "check",
		    "invalid check: use 1 to 32 letters, digits, '-' or '_'");
		return;
	}
	if (*renew != '\0' && strcmp(renew, "1") != 0) {
		http_error(req, 422, "ValidationFailed", "renew",
		    "invalid renew: it must be 1, or absent");
		return;
	}
	presence_seen(req->profile_id);
	if (*renew != '\0')
		rt_renew_channels(req->profile_id);
	if (*check != '\0') {
		data = json_object_new_object();
		json_object_object_add(data, "token",
		    json_object_new_string(check));
		rt_publish(req->profile_id, true, "stream_check", data);
	}
	http_reply_empty(req, 204);
}

void
presence_friends(struct request *req)
{
	const char **ids;
	long long *seen;
	bool *states;
	struct json_object *list;
	char when[32];
	int n, i;
	PGresult *res = friend_ids(req->profile_id, &ids, &n);

	if (res == NULL) {
		http_internal_error(req);
		return;
	}
	states = xcalloc((size_t)n + 1, sizeof(bool));
	seen = xcalloc((size_t)n + 1, sizeof(long long));
	if (n > 0 && presence_online_states(ids, n, states, seen) == -1) {
		http_error(req, 503, "Unavailable", NULL,
		    "presence is temporarily unavailable");
		goto out;
	}
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "id", json_object_new_string(ids[i]));
		json_object_object_add(p, "online",
		    json_object_new_boolean(states[i]));
		if (seen[i] > 0) {
			iso_time(seen[i], when);
			json_object_object_add(p, "lastSeenAt",
			    json_object_new_string(when));
		} else {
			json_object_object_add(p, "lastSeenAt", NULL);
		}
		json_object_array_add(list, p);
	}
	http_reply_json(req, 200, list);
out:
	free(states);
	free(seen);
	free(ids);
	PQclear(res);
}
