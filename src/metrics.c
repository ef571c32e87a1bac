/*
 * Metrics: the shared counter segment, its Prometheus text rendering and
 * the small HTTP endpoint the master serves it on.  The callers (worker.c,
 * db.c, kv.c, cache.c, rt.c, master.c) decide which events count; this
 * file only stores, adds and prints.
 */
#include "metrics.h"

#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"

/* Upper bounds of the latency buckets, in microseconds. */
static const long long bucket_us[] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};
#define BUCKET_COUNT  (sizeof(bucket_us) / sizeof(bucket_us[0]))
#define STATUS_CLASSES 5
#define SCRAPE_TIMEOUT_S 2
#define REQUEST_MAX   8192
#define METRICS_PATH  "/metrics"

struct route_counters {
	uint64_t by_class[STATUS_CLASSES]; /* 1xx .. 5xx */
	uint64_t buckets[BUCKET_COUNT + 1]; /* last: above every bound */
	uint64_t sum_us;
};

struct segment {
	uint64_t counters[METRICS_COUNTER_COUNT];
	uint64_t workers; /* a gauge, set by the master */
	struct route_counters routes[];
};

static struct segment *shared;
static const struct route *route_table;
static size_t route_count;

int
metrics_init(const struct route *table, size_t count)
{
	size_t size = sizeof(struct segment) +
	    (count + 1) * sizeof(struct route_counters);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	shared = p; /* mmap returns zeroed memory */
	route_table = table;
	route_count = count;
	return 0;
}

static void
add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static uint64_t
load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void
metrics_count(enum metrics_counter counter)
{
	if (shared != NULL)
		add(&shared->counters[counter], 1);
}

void
metrics_set_workers(int workers)
{
	if (shared != NULL)
		__atomic_store_n(&shared->workers, (uint64_t)workers,
		    __ATOMIC_RELAXED);
}

void
metrics_request(long route_index, int status, long long elapsed_us)
{
	struct route_counters *rc;
	int class = status / 100 - 1;
	size_t b = 0;

	if (shared == NULL)
		return;
	if (route_index < 0 || (size_t)route_index >= route_count)
		route_index = (long)route_count;
	if (class < 0)
		class = 0;
	if (class >= STATUS_CLASSES)
		class = STATUS_CLASSES - 1;
	if (elapsed_us < 0)
		elapsed_us = 0;
	while (b < BUCKET_COUNT && elapsed_us > bucket_us[b])
		b++;

	rc = &shared->routes[route_index];
	add(&rc->by_class[class], 1);
	add(&rc->buckets[b], 1);
	add(&rc->sum_us, (uint64_t)elapsed_us);
}

/* ------------------------------------------------------------ rendering */

static void
header(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The route label, "METHOD PATTERN" or "unmatched"; patterns need no escaping. */
static void
route_label(struct buf *out, size_t i)
{
	if (i < route_count)
		buf_addf(out, "route=\"%s %s\"", route_table[i].method,
		    route_table[i].pattern);
	else
		buf_adds(out, "route=\"unmatched\"");
}

static void
render_requests(struct buf *out)
{
	size_t i;
	int c;

	header(out, "bunnybook_http_requests_total", "counter",
	    "Requests answered by the workers, by route and status class.");
	for (i = 0; i <= route_count; i++) {
		for (c = 0; c < STATUS_CLASSES; c++) {
			uint64_t n = load(&shared->routes[i].by_class[c]);

			if (n == 0)
				continue;
			buf_adds(out, "bunnybook_http_requests_total{");
			route_label(out, i);
			buf_addf(out, ",status=\"%dxx\"} %llu\n", c + 1,
			    (unsigned long long)n);
		}
	}
}

/* One route's histogram; _count is the sum of the buckets read here. */
static void
render_histogram(struct buf *out, size_t i)
{
	const char *name = "bunnybook_http_request_duration_seconds";
	const struct route_counters *rc = &shared->routes[i];
	uint64_t cumulative = 0;
	size_t b;

	for (b = 0; b <= BUCKET_COUNT; b++) {
		cumulative += load(&rc->buckets[b]);
		buf_addf(out, "%s_bucket{", name);
		route_label(out, i);
		if (b < BUCKET_COUNT)
			buf_addf(out, ",le=\"%g\"} %llu\n",
			    (double)bucket_us[b] / 1e6,
			    (unsigned long long)cumulative);
		else
			buf_addf(out, ",le=\"+Inf\"} %llu\n",
			    (unsigned long long)cumulative);
	}
	buf_addf(out, "%s_sum{", name);
	route_label(out, i);
	buf_addf(out, "} %.6f\n", (double)load(&rc->sum_us) / 1e6);
	buf_addf(out, "%s_count{", name);
	route_label(out, i);
	buf_addf(out, "} %llu\n", (unsigned long long)cumulative);
}

static void
render_durations(struct buf *out)
{
	size_t i, b;

	header(out, "bunnybook_http_request_duration_seconds", "histogram",
	    "Time from accepting a request to having written its response.");
	for (i = 0; i <= route_count; i++) {
		uint64_t any = 0;

		for (b = 0; b <= BUCKET_COUNT; b++)
			any |= load(&shared->routes[i].buckets[b]);
		if (any != 0)
			render_histogram(out, i);
	}
}

static void
counter(struct buf *out, const char *name, const char *help,
    enum metrics_counter which)
{
	header(out, name, "counter", help);
	buf_addf(out, "%s %llu\n", name,
	    (unsigned long long)load(&shared->counters[which]));
}

static void
render_dependencies(struct buf *out)
{
	counter(out, "bunnybook_worker_restarts_total",
	    "Workers that died unexpectedly and were restarted.",
	    METRICS_WORKER_RESTARTS);
	counter(out, "bunnybook_db_errors_total",
	    "Failed PostgreSQL connections and statements (constraint "
	    "violations excluded).", METRICS_DB_ERRORS);
	header(out, "bunnybook_redis_errors_total", "counter",
	    "Failed Redis connections and commands, by instance.");
	buf_addf(out, "bunnybook_redis_errors_total{instance=\"cache\"} %llu\n",
	    (unsigned long long)load(
		&shared->counters[METRICS_CACHE_REDIS_ERRORS]));
	buf_addf(out, "bunnybook_redis_errors_total{instance=\"pubsub\"} %llu\n",
	    (unsigned long long)load(
		&shared->counters[METRICS_PUBSUB_REDIS_ERRORS]));
	header(out, "bunnybook_cache_lookups_total", "counter",
	    "Cache lookups by result; a lookup while the cache is down is a "
	    "miss.");
	buf_addf(out, "bunnybook_cache_lookups_total{result=\"hit\"} %llu\n",
	    (unsigned long long)load(&shared->counters[METRICS_CACHE_HITS]));
	buf_addf(out, "bunnybook_cache_lookups_total{result=\"miss\"} %llu\n",
	    (unsigned long long)load(&shared->counters[METRICS_CACHE_MISSES]));
	counter(out, "bunnybook_nchan_publishes_total",
	    "Events published to nchan, failed ones included.",
	    METRICS_PUBLISHES);
	counter(out, "bunnybook_nchan_publish_failures_total",
	    "Publishes that failed or that nchan answered with an error.",
	    METRICS_PUBLISH_FAILURES);
}

void
metrics_render(struct buf *out, long nchan_subscribers)
{
	if (shared == NULL)
		return;
	render_requests(out);
	render_durations(out);
	render_dependencies(out);
	header(out, "bunnybook_workers", "gauge",
	    "Worker processes the current configuration runs.");
	buf_addf(out, "bunnybook_workers %llu\n",
	    (unsigned long long)load(&shared->workers));
	if (nchan_subscribers >= 0) {
		header(out, "bunnybook_nchan_subscribers", "gauge",
		    "Stream subscribers connected to the nginx behind "
		    "nchan_publisher.");
		buf_addf(out, "bunnybook_nchan_subscribers %ld\n",
		    nchan_subscribers);
	}
}

/* ------------------------------------------------------------ endpoint */

int
metrics_listen(const struct config *cfg)
{
	struct addrinfo hints, *res = NULL;
	const char *colon = strrchr(cfg->metrics_listen, ':');
	char host[256];
	int fd = -1, one = 1, rc;

	if (cfg->metrics_listen[0] == '\0')
		return -2;
	/* config_check_serve has checked host:port; [::1] loses its brackets. */
	snprintf(host, sizeof(host), "%.*s",
	    (int)(colon - cfg->metrics_listen), cfg->metrics_listen);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0) {
		log_error("cannot resolve metrics_listen %s: %s",
		    cfg->metrics_listen, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1) {
		log_error("cannot listen on metrics_listen %s: %s",
		    cfg->metrics_listen, strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static size_t
collect_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct buf *body = userdata;

	if (body->len + size * nmemb > 65536)
		return 0;
	buf_add(body, ptr, size * nmemb);
	return size * nmemb;
}

/* "subscribers: N" of nginx's nchan_stub_status, or -1. */
static long
nchan_subscribers(const struct config *cfg)
{
	const char *addr = cfg->nchan_publisher;
	CURL *curl = curl_easy_init();
	struct buf url, body;
	const char *line;
	long status = 0, n = -1;

	if (curl == NULL)
		return -1;
	buf_init(&url);
	buf_init(&body);
	if (strncmp(addr, "unix:", 5) == 0) {
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, addr + 5);
		buf_adds(&url, "http://localhost/nchan_status");
	} else {
		buf_addf(&url, "%s/nchan_status", addr);
	}
	curl_easy_setopt(curl, CURLOPT_URL, url.data);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)cfg->publish_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
	if (curl_easy_perform(curl) == CURLE_OK &&
	    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) ==
		CURLE_OK &&
	    status == 200 && body.data != NULL &&
	    (line = strstr(body.data, "\nsubscribers: ")) != NULL)
		n = strtol(line + 14, NULL, 10);
	curl_easy_cleanup(curl);
	buf_free(&url);
	buf_free(&body);
	return n;
}

/* Read the request head; returns its length, or -1. */
static ssize_t
read_head(int fd, char *head, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		ssize_t n = read(fd, head + len, size - 1 - len);

		if (n <= 0)
			return -1;
		len += (size_t)n;
		head[len] = '\0';
		if (strstr(head, "\r\n\r\n") != NULL ||
		    strstr(head, "\n\n") != NULL)
			return (ssize_t)len;
	}
	return -1;
}

static void
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

static void
reply(int fd, int status, const char *reason, const char *extra,
    const struct buf *body, bool head_only)
{
	struct buf out;

	buf_init(&out);
	buf_addf(&out, "HTTP/1.1 %d %s\r\nConnection: close\r\n"
		       "Cache-Control: no-store\r\n%s"
		       "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
	    status, reason, extra,
	    status == 200 ? "text/plain; version=0.0.4; charset=utf-8"
			  : "text/plain; charset=utf-8",
	    body->len);
	if (!head_only)
		buf_add(&out, body->data, body->len);
	write_all(fd, out.data, out.len);
	buf_free(&out);
}

/* The scrape child's whole work: one request, one response. */
static void
answer(int fd, const struct config *cfg)
{
	struct timeval tv = { .tv_sec = SCRAPE_TIMEOUT_S };
	char head[REQUEST_MAX];
	size_t path_len;
	const char *path;
	bool get, head_only;
	struct buf body;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read_head(fd, head, sizeof(head)) == -1)
		return;
	get = strncmp(head, "GET ", 4) == 0;
	head_only = strncmp(head, "HEAD ", 5) == 0;
	path = strchr(head, ' ');
	path = path == NULL ? "" : path + 1;
	path_len = strcspn(path, " ?\r\n");

	buf_init(&body);
	if (!get && !head_only) {
		buf_adds(&body, "method not allowed; use GET\n");
		reply(fd, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n",
		    &body, false);
	} else if (path_len != strlen(METRICS_PATH) ||
	    strncmp(path, METRICS_PATH, path_len) != 0) {
		buf_adds(&body, "not found; metrics are at /metrics\n");
		reply(fd, 404, "Not Found", "", &body, head_only);
	} else {
		metrics_render(&body, nchan_subscribers(cfg));
		reply(fd, 200, "OK", "", &body, head_only);
	}
	buf_free(&body);
}

void
metrics_serve(int listen_fd, const struct config *cfg)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	pid_t pid;

	if (fd == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("metrics: accept failed: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == -1) {
		log_warn("metrics: fork failed: %s", strerror(errno));
		close(fd);
		return;
	}
	if (pid == 0) {
		/* The master's handlers would write to its signal pipe. */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		close(listen_fd);
		answer(fd, cfg);
		close(fd);
		_exit(0);
	}
	close(fd);
}
