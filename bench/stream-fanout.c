/*
 * Fan-out load for bench/streams.sh, in C so that the client's own work
 * adds as little as possible to the time it measures.  It opens COUNT
 * WebSocket streams of one profile through nginx's /rt and reports when
 * they are open.  It then waits for a line on stdin while the shell
 * measures memory.  Last, it publishes one event to the profile through
 * nginx's publisher socket and reports the time from just before the
 * publish until every stream has received it, watching all streams with
 * one epoll set.
 *
 *   stream-fanout PORT TOKEN COUNT PUBLISHER_SOCKET PROFILE_ID [KIND]
 *
 * Output lines: "open SECONDS", then "delivered COUNT LAST_MS P50_MS"
 * or "timeout COUNT".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PROBE	    "fanout_probe"
#define PROBE_LEN   (sizeof(PROBE) - 1)
#define TIMEOUT_MS  30000

struct stream {
	int fd;
	double latency_ms; /* negative until the probe arrives */
	/* The last bytes read, in case the probe is split across reads. */
	char tail[PROBE_LEN];
	size_t tail_len;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
die(const char *what)
{
	fprintf(stderr, "stream-fanout: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		data += n;
		len -= (size_t)n;
	}
}

/*
 * Connect to nginx and open /rt as a WebSocket, or as an EventSource when
 * event_source is set.  Returns the socket, blocking until the response
 * headers have been read in full.
 */
static int
open_stream(int port, const char *token, int event_source)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	char request[2048], response[4096];
	size_t got = 0;
	int fd, nodelay = 1;

	addr.sin_port = htons((unsigned short)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof(nodelay));
	if (event_source)
		snprintf(request, sizeof(request),
		    "GET /rt HTTP/1.1\r\n"
		    "Host: 127.0.0.1:%d\r\n"
		    "Accept: text/event-stream\r\n"
		    "Authorization: Bearer %s\r\n"
		    "\r\n",
		    port, token);
	else
		snprintf(request, sizeof(request),
		    "GET /rt HTTP/1.1\r\n"
		    "Host: 127.0.0.1:%d\r\n"
		    "Upgrade: websocket\r\n"
		    "Connection: Upgrade\r\n"
		    "Sec-WebSocket-Key: YnVubnlib29rZmFub3V0MQ==\r\n"
		    "Sec-WebSocket-Version: 13\r\n"
		    "Sec-WebSocket-Protocol: ws+meta.nchan\r\n"
		    "Authorization: Bearer %s\r\n"
		    "\r\n",
		    port, token);
	write_all(fd, request, strlen(request));
	/* Read byte by byte up to the blank line, so no frame is consumed. */
	while (got < sizeof(response) - 1) {
		ssize_t n = read(fd, response + got, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("reading the upgrade response");
		got++;
		response[got] = '\0';
		if (got >= 4 && memcmp(response + got - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	if (strncmp(response, event_source ? "HTTP/1.1 200" : "HTTP/1.1 101",
		12) != 0) {
		fprintf(stderr, "stream-fanout: /rt returned %.*s instead of %s\n",
		    (int)strcspn(response, "\r\n"), response,
		    event_source ? "200" : "101");
		exit(1);
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		die("fcntl");
	return fd;
}

/* Publish the probe event to profile through the publisher socket. */
static void
publish(const char *socket_path, const char *profile)
{
	static const char body[] =
	    "{\"type\":\"" PROBE "\",\"seq\":0,\"data\":{}}";
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char request[1024];
	int fd;

	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "stream-fanout: socket path %s is too long\n",
		    socket_path);
		exit(1);
	}
	strcpy(addr.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("connecting to the publisher socket");
	snprintf(request, sizeof(request),
	    "POST /pub/u/%s HTTP/1.1\r\n"
	    "Host: localhost\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: close\r\n"
	    "\r\n%s",
	    profile, sizeof(body) - 1, body);
	write_all(fd, request, strlen(request));
	/* The socket stays open until exit, so nginx can write its reply. */
}

/* Tell whether the probe is in tail + data, and keep the new tail. */
static int
saw_probe(struct stream *s, const char *data, size_t len)
{
	char joined[PROBE_LEN + 65536];
	size_t total = s->tail_len + len;

	memcpy(joined, s->tail, s->tail_len);
	memcpy(joined + s->tail_len, data, len);
	if (memmem(joined, total, PROBE, PROBE_LEN) != NULL)
		return 1;
	s->tail_len = total < PROBE_LEN ? total : PROBE_LEN - 1;
	memcpy(s->tail, joined + total - s->tail_len, s->tail_len);
	return 0;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct epoll_event events[256];
	struct stream *streams;
	double started, published, *latencies;
	char line[64], buffer[65536];
	int port, count, i, epoll_fd, event_source, delivered = 0;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: %s PORT TOKEN COUNT PUBLISHER_SOCKET "
		    "PROFILE_ID [websocket|eventsource]\n", argv[0]);
		return 2;
	}
	event_source = argc == 7 && strcmp(argv[6], "eventsource") == 0;
	port = atoi(argv[1]);
	count = atoi(argv[3]);
	if (port <= 0 || count <= 0) {
		fprintf(stderr, "stream-fanout: PORT and COUNT must be "
		    "positive numbers\n");
		return 2;
	}
	streams = calloc((size_t)count, sizeof(*streams));
	latencies = calloc((size_t)count, sizeof(*latencies));
	if (streams == NULL || latencies == NULL)
		die("calloc");
	epoll_fd = epoll_create1(0);
	if (epoll_fd < 0)
		die("epoll_create1");

	started = now_ms();
	for (i = 0; i < count; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (unsigned)i };

		streams[i].fd = open_stream(port, argv[2], event_source);
		streams[i].latency_ms = -1;
		if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, streams[i].fd, &ev) < 0)
			die("epoll_ctl");
	}
	printf("open %.1f\n", (now_ms() - started) / 1000);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 1;

	/* Bytes that arrived before the publish are not the probe. */
	for (i = 0; i < count; i++)
		while (read(streams[i].fd, buffer, sizeof(buffer)) > 0)
			;
	published = now_ms();
	publish(argv[4], argv[5]);
	while (delivered < count) {
		int ready = epoll_wait(epoll_fd, events, 256, 1000);
		int k;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			die("epoll_wait");
		if (now_ms() - published > TIMEOUT_MS) {
			printf("timeout %d\n", delivered);
			return 1;
		}
		for (k = 0; k < ready; k++) {
			struct stream *s = &streams[events[k].data.u32];
			ssize_t n;

			while ((n = read(s->fd, buffer, sizeof(buffer))) > 0) {
				if (s->latency_ms >= 0 ||
				    !saw_probe(s, buffer, (size_t)n))
					continue;
				s->latency_ms = now_ms() - published;
				latencies[delivered++] = s->latency_ms;
			}
			if (n == 0) {
				fprintf(stderr, "stream-fanout: nginx closed "
				    "stream %u before the probe arrived\n",
				    events[k].data.u32);
				return 1;
			}
		}
	}
	qsort(latencies, (size_t)count, sizeof(*latencies), compare_double);
	printf("delivered %d %.1f %.1f\n", delivered, latencies[count - 1],
	    latencies[count / 2]);
	return 0;
}
