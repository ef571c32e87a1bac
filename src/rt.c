/*
 * The libcurl side of publishing: one easy handle per worker, pointed at
 * the nginx publisher server over a unix socket or loopback TCP.  Channel
 * naming and event shapes belong to the callers.
 */
#include "rt.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/* Events waiting for the request's commit. */
struct deferred {
	char profile_id[37];
	bool durable;
	char *type;
	struct json_object *data;
};

static struct deferred *queue;
static size_t queue_len, queue_cap;

static CURL *curl;
static char *socket_path;
static char *base_url;
static long timeout_ms = 1000;
static struct log_limiter publish_limiter;

static size_t
discard_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

void
rt_configure(const struct config *cfg)
{
	const char *addr = cfg->nchan_publisher;

	rt_close();
	free(socket_path);
	free(base_url);
	socket_path = NULL;
	if (strncmp(addr, "unix:", 5) == 0) {
		socket_path = xstrdup(addr + 5);
		base_url = xstrdup("http://localhost");
	} else {
		base_url = xstrdup(addr);
	}
	timeout_ms = cfg->publish_timeout_ms;
}

void
rt_close(void)
{
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl = NULL;
}

static CURL *
handle(void)
{
	if (curl != NULL) {
		curl_easy_reset(curl);
	} else {
		curl = curl_easy_init();
		if (curl == NULL)
			return NULL;
	}
	if (socket_path != NULL)
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	return curl;
}

/* Perform a request on the shared handle; returns the status or -1. */
static int
perform(const char *what, const char *path)
{
	struct buf url;
	CURLcode rc;
	long status = 0;

	buf_init(&url);
	buf_adds(&url, base_url);
	buf_adds(&url, path);
	curl_easy_setopt(curl, CURLOPT_URL, url.data);
	rc = curl_easy_perform(curl);
	buf_free(&url);
	if (rc != CURLE_OK) {
		log_limited(&publish_limiter, 5000, LOG_WARN,
		    "nchan %s %s failed: %s", what, path,
		    curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	return (int)status;
}

int
rt_post(const char *path, const char *body, size_t len)
{
	struct curl_slist *headers = NULL;
	int status;

	metrics_count(METRICS_PUBLISHES);
	if (handle() == NULL) {
		metrics_count(METRICS_PUBLISH_FAILURES);
		return -1;
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "Accept: text/json");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
	status = perform("publish", path);
	curl_slist_free_all(headers);
	if (status < 0 || status >= 300)
		metrics_count(METRICS_PUBLISH_FAILURES);
	if (status >= 300)
		log_limited(&publish_limiter, 5000, LOG_WARN,
		    "nchan publish %s returned HTTP %d", path, status);
	return status;
}

static size_t
keep_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *body = userdata;

	if (body->len + size * nmemb <= 4096)
		buf_add(body, ptr, size * nmemb);
	return size * nmemb;
}

int
rt_subscriber_count(const char *channel)
{
	struct curl_slist *headers = NULL;
	struct json_object *info, *count;
	struct buf body;
	char path[80];
	int status, n = -1;

	if (handle() == NULL)
		return -1;
	buf_init(&body);
	headers = curl_slist_append(headers, "Accept: application/json");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
	snprintf(path, sizeof(path), "/pub/u/%s", channel);
	status = perform("channel info", path);
	curl_slist_free_all(headers);
	/* 404: the channel does not exist yet, so it has no subscribers. */
	if (status == 404)
		n = 0;
	if (status == 200 && body.len > 0) {
		buf_addc(&body, '\0');
		info = json_tokener_parse(body.data);
		/*
		 * nchan prints a count below zero as a huge unsigned number.
		 * It happens after its Redis lost its data, so treat it as
		 * unknown.
		 */
		if (json_object_object_get_ex(info, "subscribers", &count)) {
			int64_t subscribers = json_object_get_int64(count);

			if (subscribers >= 0 && subscribers <= INT_MAX)
				n = (int)subscribers;
		}
		json_object_put(info);
	}
	buf_free(&body);
	return n;
}

bool
rt_publisher_ping(void)
{
	int status;

	if (handle() == NULL)
		return false;
	/*
	 * Asking for a channel's status goes through nchan's Redis store:
	 * 200 or 404 (no such channel) means both respond; nchan returns 503
	 * while its Redis is down.
	 */
	status = perform("status check", "/pub/u/readiness-probe");
	return status == 200 || status == 404;
}

/*
 * For each key bb:seq:ID in KEYS, returns the profile's next sequence
 * number (incremented when ARGV[i] is "1", for a durable event; 0
 * otherwise) and its channel generation (bb:rt:generation:ID, 0 when
 * unset).  A missing sequence key (a new profile, or nchan's Redis lost
 * its data) starts at the Redis clock in microseconds.  So numbers never
 * go back, and a loss shows to clients as a gap, unless a profile got
 * over a million events a second.
 */
static const char seq_script[] =
    "local r = {} for i, k in ipairs(KEYS) do local v = 0"
    " if ARGV[i] == '1' then v = redis.call('INCR', k) if v == 1 then"
    " local t = redis.call('TIME')"
    " redis.call('SET', k, t[1] .. string.format('%06d', tonumber(t[2])))"
    " v = redis.call('INCR', k) end end r[2 * i - 1] = v"
    " r[2 * i] = tonumber(redis.call('GET', 'bb:rt:generation:' .."
    " string.sub(k, 8)) or '0') end return r";

/* How often a profile's channels may be renewed, in seconds. */
#define RENEW_INTERVAL_S "300"

/*
 * Writes the profile's channel name: its id, followed by ".N" once its
 * channels were renewed N times (rt_renew_channels).
 */
static void
channel_name(char *out, size_t size, const char *profile_id,
    long long generation)
{
	if (generation > 0)
		snprintf(out, size, "%s.%lld", profile_id, generation);
	else
		snprintf(out, size, "%s", profile_id);
}

/* Writes the Redis key of the profile's channel generation. */
static void
generation_key(char *out, size_t size, const char *profile_id)
{
	snprintf(out, size, "bb:rt:generation:%s", profile_id);
}

/* Returns the profile's channel generation: 0 when unset or unreachable. */
static long long
generation_of(const char *profile_id)
{
	char key[80];
	const char *argv[] = { "GET", key };
	redisReply *r;
	long long generation = 0;

	generation_key(key, sizeof(key), profile_id);
	r = kv_commandv(KV_PUBSUB, 2, argv);
	if (r != NULL && r->type == REDIS_REPLY_STRING)
		generation = strtoll(r->str, NULL, 10);
	if (r != NULL)
		freeReplyObject(r);
	return generation > 0 ? generation : 0;
}

void
rt_channel(const char *profile_id, char *out, size_t size)
{
	channel_name(out, size, profile_id, generation_of(profile_id));
}

bool
rt_renew_channels(const char *profile_id)
{
	char guard[80], key[80];
	const char *set[] = { "SET", guard, "1", "NX", "EX", RENEW_INTERVAL_S };
	const char *incr[] = { "INCR", key };
	redisReply *r;
	bool renewed;

	snprintf(guard, sizeof(guard), "bb:rt:renewed:%s", profile_id);
	generation_key(key, sizeof(key), profile_id);
	r = kv_commandv(KV_PUBSUB, 6, set);
	renewed = r != NULL && r->type == REDIS_REPLY_STATUS;
	if (r != NULL)
		freeReplyObject(r);
	if (!renewed)
		return false;

	r = kv_commandv(KV_PUBSUB, 2, incr);
	renewed = r != NULL && r->type == REDIS_REPLY_INTEGER;
	if (renewed)
		log_warn("profile %s reported a stream that received nothing; "
			 "its channels move to generation %lld (restart nginx "
			 "if this repeats)", profile_id, r->integer);
	else
		log_warn("profile %s: renewing its channels failed: Redis "
			 "INCR %s returned no integer", profile_id, key);
	if (r != NULL)
		freeReplyObject(r);
	return renewed;
}

void
rt_end_streams(const char *profile_id)
{
	char key[80], old_channel[64], path[96];
	const char *incr[] = { "INCR", key };
	long long generation;
	redisReply *r;
	int status;

	generation_key(key, sizeof(key), profile_id);
	r = kv_commandv(KV_PUBSUB, 2, incr);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		log_warn("profile %s: ending its streams failed: Redis INCR %s "
			 "returned no integer; quiet streams still end within "
			 "60 s", profile_id, key);
		if (r != NULL)
			freeReplyObject(r);
		return;
	}
	/* The generation this INCR replaced, which the open streams use. */
	generation = r->integer - 1;
	freeReplyObject(r);

	/* Deleting one channel of a stream ends the stream.  The typing
	 * channel has no history to lose.  After a delete, nchan 1.3.6 may
	 * stop delivering on that name, so the streams move to new names. */
	channel_name(old_channel, sizeof(old_channel), profile_id, generation);
	snprintf(path, sizeof(path), "/pub/e/%s", old_channel);
	if (handle() == NULL)
		return;
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
	status = perform("delete", path);
	/* 404: no stream ever used the typing channel. */
	if (status >= 0 && status != 200 && status != 404)
		log_warn("profile %s: ending its streams failed: nchan delete "
			 "%s returned HTTP %d", profile_id, path, status);
}

/*
 * Returns the profile's next sequence number for a durable event (0 for
 * another) and stores its channel generation.  The sequence number is -1
 * when Redis is unreachable.
 */
static long long
next_seq(const char *profile_id, bool durable, long long *generation)
{
	char key[64];
	const char *argv[] = { "EVAL", seq_script, "1", key,
		durable ? "1" : "0" };
	redisReply *r;
	long long seq = -1;

	*generation = 0;
	snprintf(key, sizeof(key), "bb:seq:%s", profile_id);
	r = kv_commandv(KV_PUBSUB, 5, argv);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[1]->type == REDIS_REPLY_INTEGER) {
		seq = r->element[0]->integer;
		*generation = r->element[1]->integer;
	}
	if (r != NULL)
		freeReplyObject(r);
	return seq;
}

/*
 * Publish {"type", "seq", "data"} to the profile's buffered channel, or
 * without seq (seq 0) to its unbuffered one.  Takes ownership of data.
 */
static int
publish(const char *profile_id, bool durable, const char *type,
    struct json_object *data, long long seq, long long generation)
{
	struct json_object *event = json_object_new_object();
	char channel[64], path[80];
	const char *text;
	size_t len;
	int status;

	if (durable && seq < 0) {
		log_warn("event %s for profile %s not published: no sequence "
			 "number", type, profile_id);
		json_object_put(data);
		json_object_put(event);
		return -1;
	}
	json_object_object_add(event, "type", json_object_new_string(type));
	if (durable)
		json_object_object_add(event, "seq", json_object_new_int64(seq));
	json_object_object_add(event, "data", data);
	channel_name(channel, sizeof(channel), profile_id, generation);
	snprintf(path, sizeof(path), "/pub/%c/%s", durable ? 'u' : 'e',
	    channel);
	text = json_object_to_json_string_length(event,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	status = rt_post(path, text, len);
	json_object_put(event);
	return status >= 200 && status < 300 ? 0 : -1;
}

int
rt_publish(const char *profile_id, bool durable, const char *type,
    struct json_object *data)
{
	long long generation;
	long long seq = next_seq(profile_id, durable, &generation);

	return publish(profile_id, durable, type, data, seq, generation);
}

void
rt_defer(const char *profile_id, bool durable, const char *type,
    struct json_object *data)
{
	struct deferred *d;

	if (queue_len == queue_cap) {
		queue_cap = queue_cap ? queue_cap * 2 : 8;
		queue = xrealloc(queue, queue_cap * sizeof(*queue));
	}
	d = &queue[queue_len++];
	snprintf(d->profile_id, sizeof(d->profile_id), "%s", profile_id);
	d->durable = durable;
	d->type = xstrdup(type);
	d->data = data;
}

/*
 * Takes the sequence number (durable events) and the channel generation
 * of every event in the queue in one Redis round trip, in queue order.
 * Leaves seqs at -1 and generations at 0 when Redis is unreachable.
 */
static void
queue_seqs(long long *seqs, long long *generations)
{
	const char **argv = xcalloc(2 * queue_len + 3, sizeof(*argv));
	char (*keys)[64] = xcalloc(queue_len, sizeof(*keys));
	char count[24];
	redisReply *r;
	size_t i;

	snprintf(count, sizeof(count), "%zu", queue_len);
	argv[0] = "EVAL";
	argv[1] = seq_script;
	argv[2] = count;
	for (i = 0; i < queue_len; i++) {
		seqs[i] = -1;
		generations[i] = 0;
		snprintf(keys[i], sizeof(keys[0]), "bb:seq:%s",
		    queue[i].profile_id);
		argv[3 + i] = keys[i];
		argv[3 + queue_len + i] = queue[i].durable ? "1" : "0";
	}
	r = kv_commandv_many(KV_PUBSUB, (int)(2 * queue_len) + 3, argv);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    r->elements == 2 * queue_len) {
		for (i = 0; i < queue_len; i++) {
			if (r->element[2 * i]->type != REDIS_REPLY_INTEGER ||
			    r->element[2 * i + 1]->type != REDIS_REPLY_INTEGER)
				continue;
			seqs[i] = r->element[2 * i]->integer;
			generations[i] = r->element[2 * i + 1]->integer;
		}
	}
	if (r != NULL)
		freeReplyObject(r);
	free(keys);
	free(argv);
}

void
rt_flush(void)
{
	long long *seqs, *generations;
	size_t i;

	if (queue_len == 0)
		return;
	seqs = xcalloc(queue_len, sizeof(*seqs));
	generations = xcalloc(queue_len, sizeof(*generations));
	queue_seqs(seqs, generations);
	for (i = 0; i < queue_len; i++) {
		publish(queue[i].profile_id, queue[i].durable, queue[i].type,
		    queue[i].data, seqs[i], generations[i]);
		free(queue[i].type);
	}
	queue_len = 0;
	free(generations);
	free(seqs);
}

void
rt_discard(void)
{
	size_t i;

	for (i = 0; i < queue_len; i++) {
		json_object_put(queue[i].data);
		free(queue[i].type);
	}
	queue_len = 0;
}
