/*
 * The worker's life: signal set-up, the accept loop, and the dispatch of
 * one request through the router to its handler.  Connections to
 * PostgreSQL, Redis and nginx belong to db.c, kv.c and rt.c; this file
 * only opens and closes them with the process.
 */
#include "worker.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "graph.h"
#include "graph_neo4j.h"
#include "neo4j_http.h"
#include "http.h"
#include "kv.h"
#include "log.h"
#include "metrics.h"
#include "password.h"
#include "presence.h"
#include "routes.h"
#include "rt.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

static volatile sig_atomic_t idle;
static volatile sig_atomic_t stopping;
static const struct config *config;

const struct config *
worker_config(void)
{
	return config;
}

void
worker_exit(int status)
{
#ifdef __SANITIZE_ADDRESS__
	/*
	 * Reports and exits with a status of its own if a block leaked.
	 * From the SIGTERM handler, this nearly always interrupts accept().
	 * If the signal came while libfcgi held an allocator lock, the check
	 * may wait forever, and the master kills the worker at its shutdown
	 * deadline.
	 */
	__lsan_do_leak_check();
#endif
	_exit(status);
}

/*
 * SIGTERM: an idle worker (waiting for a connection) leaves at once; a
 * busy one finishes the request it is serving and leaves after writing
 * it.  The signal is blocked from the moment a connection may be taken,
 * so a busy worker gets it only between requests.
 */
static void
on_terminate(int sig)
{
	(void)sig;
	if (idle)
		worker_exit(0);
	stopping = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_terminate;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	/* A worker must not outlive its master. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static void
dispatch(struct request *req)
{
	const struct route *route;

	switch (router_match(routes, routes_count, req->method, req->path,
	    &req->match)) {
	case ROUTER_NOT_FOUND:
		http_error(req, 404, "NotFound", NULL, "no route for %s",
		    req->path);
		return;
	case ROUTER_METHOD_NOT_ALLOWED:
		http_add_header(req, "Allow", req->match.allow);
		http_error(req, 405, "MethodNotAllowed", NULL,
		    "method %s is not allowed here; allowed: %s", req->method,
		    req->match.allow);
		return;
	case ROUTER_BAD_PARAM:
		http_error(req, 422, "ValidationFailed", req->match.bad_param,
		    "%s %s", req->match.bad_param, req->match.bad_reason);
		return;
	case ROUTER_FOUND:
		break;
	}

	route = req->match.route;
	if ((route->flags & (ROUTE_AUTH_REQUIRED | ROUTE_AUTH_OPTIONAL)) &&
	    auth_authenticate_or_reply(req,
		(route->flags & ROUTE_AUTH_REQUIRED) != 0,
		(route->flags & ROUTE_LATE_SESSION_CHECK) != 0) == -1)
		return;
	if (auth_check_csrf_or_reply(req) == -1 ||
	    ((route->flags & ROUTE_JSON_BODY) &&
		http_read_json_or_reply(req, config->max_body_bytes) == -1)) {
		auth_finish_or_reply(req);
		return;
	}
	/* Mirrors into Neo4j that failed earlier go first. */
	graph_before_read();
	presence_sweep();
	route->handler(req);
	/* A handler that forgot to close its transaction must not leak it. */
	db_rollback();
	/* A late session check ends here, replacing the reply when revoked. */
	auth_finish_or_reply(req);
	/* Events go out only for changes that were committed. */
	if (req->status < 400)
		rt_flush();
	else
		rt_discard();
}

static void
serve_one(FCGX_Request *fcgi)
{
	struct request req;
	long long started_us;
	long route_index;
	int status;

	if (http_request_begin(&req, fcgi) == 0)
		dispatch(&req);
	kv_end_request();
	/* 503 is an expected response while a dependency is down. */
	if (req.status >= 500 && req.status != 503)
		log_error("%s %s returned %d", req.method, req.path,
		    req.status);
	else
		log_debug("%s %s returned %d in %lld us", req.method, req.path,
		    req.status, clock_us() - req.started_us);
	route_index = req.match.route != NULL ? req.match.route - routes : -1;
	status = req.status;
	started_us = req.started_us;
	http_request_end(&req);
	/* After the response is written, so its duration counts too. */
	metrics_request(route_index, status, clock_us() - started_us);
}

static void
open_connections(const struct config *cfg)
{
	db_configure(cfg);
	kv_configure(cfg);
	rt_configure(cfg);
	graph_select(cfg->graph_backend);
	graph_neo4j_configure(cfg);
}

static void
close_connections(void)
{
	db_close();
	kv_close();
	rt_close();
	neo4j_close();
}

/* Compute the dummy password hash now, not during the first login. */
static void
warm_up(const struct config *cfg)
{
	struct password_cost cost = {
		.memory_kib = (uint32_t)cfg->argon2_memory_kib,
		.passes = (uint32_t)cfg->argon2_passes,
		.lanes = (uint32_t)cfg->argon2_lanes,
	};

	password_dummy_verify("", 0, &cost);
}

/*
 * Wait until listen_fd has a connection, with SIGTERM deliverable only
 * during the wait: ppoll installs the signal mask `waiting`, which lets
 * it through.  libfcgi's accept also reads the request's parameters.  A
 * SIGTERM during FCGX_Accept_r would therefore drop a connection already
 * taken, so the signal waits for this point, where no connection is held.
 * The listening socket is non-blocking, so a worker that loses the race
 * for a connection gets EAGAIN from accept instead of blocking there with
 * the signal held.  Returns 0, or -1 when the wait failed.
 */
static int
wait_for_connection(int listen_fd, const sigset_t *waiting)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	int rc;

	idle = 1;
	rc = ppoll(&pfd, 1, NULL, waiting);
	idle = 0;
	if (rc == 1 && (pfd.revents & POLLIN))
		return 0;
	if (rc == -1 && errno == EINTR)
		return -1;
	log_warn("waiting for FastCGI connections failed: %s (revents %#x)",
	    rc == -1 ? strerror(errno) : "not readable", pfd.revents);
	usleep(100000);
	return -1;
}

int
worker_run(const struct config *cfg, int listen_fd, int ready_fd)
{
	FCGX_Request fcgi;
	sigset_t term, waiting;

	config = cfg;
	install_signals();
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigprocmask(SIG_BLOCK, &term, &waiting);
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGINT);
	if (fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) ==
	    -1) {
		log_error("cannot make the FastCGI socket non-blocking: %s",
		    strerror(errno));
		return 1;
	}
	if (FCGX_Init() != 0) {
		log_error("libfcgi initialisation failed");
		return 1;
	}
	FCGX_InitRequest(&fcgi, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
	open_connections(cfg);
	warm_up(cfg);
	(void)!write(ready_fd, "r", 1);
	close(ready_fd);

	while (!stopping) {
		int rc;

		if (wait_for_connection(listen_fd, &waiting) == -1)
			continue;
		rc = FCGX_Accept_r(&fcgi);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK)
			continue;
		if (rc < 0) {
			if (rc != -EINTR && errno != EINTR)
				log_warn("FastCGI accept failed: %d", rc);
			usleep(10000);
			continue;
		}
		serve_one(&fcgi);
		FCGX_Finish_r(&fcgi);
	}
	close_connections();
	log_info("worker stopped");
	return 0;
}
