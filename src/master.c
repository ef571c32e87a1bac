/*
 * Supervises the worker pool.  The master never touches a request: it
 * opens the listening socket, forks workers, restarts the ones that die
 * (with a growing delay when they keep crashing), replaces them all on
 * SIGHUP and drains them on SIGTERM.  It reports readiness to systemd
 * through NOTIFY_SOCKET when started as a Type=notify service, and accepts
 * metrics scrapes (metrics.c) when metrics_listen is set.
 */
#include "master.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "util.h"
#include "worker.h"

/* A worker that dies sooner than this after its start counts as a crash loop. */
#define CRASH_WINDOW_MS	  5000
#define BACKOFF_FIRST_MS  100
#define BACKOFF_MAX_MS	  30000
#define LISTEN_BACKLOG	  1024

struct slot {
	pid_t pid;
	long long started_ms;
	long long respawn_at_ms; /* 0: no respawn pending */
	int failures;		 /* consecutive early deaths */
	unsigned generation;
};

struct retiring {
	pid_t pid;
	long long deadline_ms;
};

static int signal_pipe[2] = { -1, -1 };
static int listen_fd = -1;
static int metrics_fd = -1;
static int ready_read = -1, ready_write = -1;
static struct slot *slots;
static int slot_count;
static struct retiring *retirees;
static int retiree_count;
static unsigned generation;
static int ready_seen;
static bool notified_ready;

static long long
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	(void)!write(signal_pipe[1], &c, 1);
	errno = saved;
}

static int
make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_signal;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Send one datagram to systemd's notification socket, if there is one. */
static void
notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr;
	socklen_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(addr.sun_path))
		return;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, strlen(path));
	if (path[0] == '@')
		addr.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		(struct sockaddr *)&addr, len) == -1)
		log_warn("systemd notification failed: %s", strerror(errno));
	close(fd);
}

static bool
is_unix_path(const char *listen)
{
	return listen[0] == '/' || listen[0] == '.';
}

/*
 * libfcgi's FCGX_OpenSocket() exits the process on a failed bind with a
 * message that names no address, so failures are caught here first.
 */
bool
master_listen_usable(const char *listen)
{
	struct addrinfo hints, *res = NULL;
	char *copy = xstrdup(listen), *colon, *slash;
	int fd = -1, one = 1, saved;
	bool usable = false;

	if (is_unix_path(listen)) {
		slash = strrchr(copy, '/');
		if (slash != NULL)
			slash[slash == copy ? 1 : 0] = '\0';
		usable = access(slash != NULL ? copy : ".", W_OK | X_OK) == 0;
		saved = errno;
		free(copy);
		errno = saved;
		return usable;
	}
	colon = strrchr(copy, ':');
	if (colon != NULL) {
		*colon = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if (getaddrinfo(*copy ? copy : NULL, colon + 1, &hints, &res) == 0)
			fd = socket(res->ai_family, SOCK_STREAM, 0);
		else
			errno = EADDRNOTAVAIL;
	}
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		usable = bind(fd, res->ai_addr, res->ai_addrlen) == 0;
		saved = errno;
		close(fd);
		errno = saved;
	}
	saved = errno;
	if (res != NULL)
		freeaddrinfo(res);
	free(copy);
	errno = saved;
	return usable;
}

static int
open_listener(const struct config *cfg)
{
	int fd;

	if (!master_listen_usable(cfg->listen)) {
		log_error("cannot listen on %s: %s", cfg->listen,
		    strerror(errno));
		return -1;
	}
	if (is_unix_path(cfg->listen))
		unlink(cfg->listen);
	fd = FCGX_OpenSocket(cfg->listen, LISTEN_BACKLOG);
	if (fd < 0) {
		log_error("cannot listen on %s: %s", cfg->listen,
		    strerror(errno));
		return -1;
	}
	if (is_unix_path(cfg->listen) && chmod(cfg->listen, 0660) == -1) {
		log_error("cannot set the mode of %s: %s", cfg->listen,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static pid_t
spawn_worker(const struct config *cfg, struct slot *s)
{
	pid_t pid = fork();

	if (pid == -1) {
		log_error("fork failed: %s", strerror(errno));
		s->respawn_at_ms = monotonic_ms() + BACKOFF_FIRST_MS;
		return -1;
	}
	if (pid == 0) {
		int status;

		close(signal_pipe[0]);
		close(signal_pipe[1]);
		close(ready_read);
		if (metrics_fd >= 0)
			close(metrics_fd);
		status = worker_run(cfg, listen_fd, ready_write);
		worker_exit(status);
	}
	s->pid = pid;
	s->started_ms = monotonic_ms();
	s->respawn_at_ms = 0;
	s->generation = generation;
	log_info("worker %d started", (int)pid);
	return pid;
}

static void
describe_exit(int status, char *out, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(out, len, "was killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(out, len, "exited with status %d",
		    WEXITSTATUS(status));
}

/* A worker of the current pool died: schedule its replacement. */
static void
worker_died(struct slot *s, int status, bool stopping)
{
	long long now = monotonic_ms(), delay = 0;
	char how[128];

	describe_exit(status, how, sizeof(how));
	s->pid = 0;
	if (stopping) {
		log_info("worker %s", how);
		return;
	}
	if (now - s->started_ms < CRASH_WINDOW_MS) {
		int shift = s->failures < 10 ? s->failures : 10;

		s->failures++;
		delay = (long long)BACKOFF_FIRST_MS << shift;
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
	} else {
		s->failures = 0;
	}
	metrics_count(METRICS_WORKER_RESTARTS);
	log_error("worker %s; restarting it in %lld ms", how, delay);
	s->respawn_at_ms = now + delay;
}

static void
reap_children(bool stopping)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		bool found = false;

		for (i = 0; i < slot_count && !found; i++) {
			if (slots[i].pid == pid) {
				worker_died(&slots[i], status, stopping);
				found = true;
			}
		}
		for (i = 0; i < retiree_count && !found; i++) {
			if (retirees[i].pid == pid) {
				retirees[i] = retirees[--retiree_count];
				found = true;
			}
		}
	}
}

static void
retire(pid_t pid, int timeout_s)
{
	retirees = xrealloc(retirees,
	    sizeof(*retirees) * (size_t)(retiree_count + 1));
	retirees[retiree_count].pid = pid;
	retirees[retiree_count].deadline_ms = monotonic_ms() +
	    (long long)timeout_s * 1000;
	retiree_count++;
	kill(pid, SIGTERM);
}

/* Kill retired workers that overstayed the shutdown timeout. */
static void
enforce_deadlines(void)
{
	long long now = monotonic_ms();
	int i;

	for (i = 0; i < retiree_count; i++) {
		if (retirees[i].deadline_ms != 0 &&
		    now >= retirees[i].deadline_ms) {
			log_warn("worker %d did not finish in time; killing it",
			    (int)retirees[i].pid);
			kill(retirees[i].pid, SIGKILL);
			retirees[i].deadline_ms = 0;
		}
	}
}

static void
spawn_due(const struct config *cfg)
{
	long long now = monotonic_ms();
	int i;

	for (i = 0; i < slot_count; i++)
		if (slots[i].pid == 0 && slots[i].respawn_at_ms <= now)
			spawn_worker(cfg, &slots[i]);
}

/* Milliseconds until the next timed event, for poll(). */
static int
next_timeout(void)
{
	long long now = monotonic_ms(), next = now + 1000;
	int i;

	for (i = 0; i < slot_count; i++)
		if (slots[i].pid == 0 && slots[i].respawn_at_ms < next)
			next = slots[i].respawn_at_ms;
	for (i = 0; i < retiree_count; i++)
		if (retirees[i].deadline_ms != 0 &&
		    retirees[i].deadline_ms < next)
			next = retirees[i].deadline_ms;
	return next <= now ? 0 : (int)(next - now);
}

/* Replace every worker with one running the new configuration. */
static void
start_generation(const struct config *cfg)
{
	int i, count = config_worker_count(cfg);

	generation++;
	ready_seen = 0;
	for (i = 0; i < slot_count; i++)
		if (slots[i].pid > 0)
			retire(slots[i].pid, cfg->shutdown_timeout_s);
	free(slots);
	slots = xcalloc((size_t)count, sizeof(*slots));
	slot_count = count;
	for (i = 0; i < slot_count; i++)
		spawn_worker(cfg, &slots[i]);
	metrics_set_workers(count);
	log_info("%d workers started (generation %u)", count, generation);
}

static void
drain_ready_pipe(void)
{
	char bytes[64];
	ssize_t n;

	while ((n = read(ready_read, bytes, sizeof(bytes))) > 0)
		ready_seen += (int)n;
	if (ready_seen >= slot_count && !notified_ready) {
		notified_ready = true;
		notify_systemd("READY=1\nSTATUS=serving");
		log_info("all %d workers accept requests", slot_count);
	}
}

static int
reload(struct config **cfg, const char *config_path, bool path_required)
{
	struct config *fresh = xcalloc(1, sizeof(*fresh));
	char err[512];

	log_info("SIGHUP: reloading the configuration");
	if (config_load(fresh, config_path, path_required, err, sizeof(err)) ||
	    config_check_serve(fresh, err, sizeof(err))) {
		log_error("reload failed, keeping the running configuration: "
			  "%s", err);
		config_free(fresh);
		free(fresh);
		return -1;
	}
	if (strcmp(fresh->listen, (*cfg)->listen) != 0)
		log_warn("listen changed to %s; the new address takes effect "
			 "only after a restart", fresh->listen);
	if (strcmp(fresh->metrics_listen, (*cfg)->metrics_listen) != 0)
		log_warn("metrics_listen changed to %s; the new address takes "
			 "effect only after a restart", fresh->metrics_listen);
	notify_systemd("RELOADING=1");
	notified_ready = false;
	/* Workers hold pointers into the old one only in their own copy. */
	config_free(*cfg);
	free(*cfg);
	*cfg = fresh;
	{
		enum log_level level;

		if (log_parse_level(fresh->log_level, &level) == 0)
			log_set_level(level);
	}
	start_generation(fresh);
	return 0;
}

/* Stop every worker, waiting up to the timeout for in-flight requests. */
static void
shutdown_pool(const struct config *cfg)
{
	long long deadline;
	int i;

	notify_systemd("STOPPING=1");
	log_info("stopping: letting in-flight requests finish (up to %d s)",
	    cfg->shutdown_timeout_s);
	close(listen_fd);
	if (metrics_fd >= 0)
		close(metrics_fd);
	if (is_unix_path(cfg->listen))
		unlink(cfg->listen);
	for (i = 0; i < slot_count; i++) {
		if (slots[i].pid > 0)
			retire(slots[i].pid, cfg->shutdown_timeout_s);
		slots[i].pid = 0;
	}
	deadline = monotonic_ms() + (long long)cfg->shutdown_timeout_s * 1000;
	while (retiree_count > 0) {
		reap_children(true);
		enforce_deadlines();
		if (monotonic_ms() > deadline + 2000)
			break;
		usleep(20000);
	}
	log_info("stopped");
}

int
master_run(struct config *cfg_in, const char *config_path, bool path_required)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	int ready_fds[2];
	bool stop = false;

	*cfg = *cfg_in; /* take over the caller's strings */
	memset(cfg_in, 0, sizeof(*cfg_in));
	if (make_pipe(signal_pipe) == -1 || make_pipe(ready_fds) == -1) {
		log_error("pipe failed: %s", strerror(errno));
		goto fail;
	}
	ready_read = ready_fds[0];
	ready_write = ready_fds[1];
	install_signals();
	listen_fd = open_listener(cfg);
	if (listen_fd < 0)
		goto fail;
	log_info("bunnybookd listening on %s", cfg->listen);
	metrics_fd = metrics_listen(cfg);
	if (metrics_fd == -1)
		goto fail;
	if (metrics_fd >= 0)
		log_info("metrics at http://%s/metrics", cfg->metrics_listen);
	start_generation(cfg);

	while (!stop) {
		/* A negative fd (metrics off) is ignored by poll(). */
		struct pollfd pfd[3] = { { signal_pipe[0], POLLIN, 0 },
			{ ready_read, POLLIN, 0 }, { metrics_fd, POLLIN, 0 } };
		unsigned char sig;

		if (poll(pfd, 3, next_timeout()) > 0) {
			if (pfd[1].revents & POLLIN)
				drain_ready_pipe();
			if (pfd[2].revents & POLLIN)
				metrics_serve(metrics_fd, cfg);
		}
		while (read(signal_pipe[0], &sig, 1) == 1) {
			if (sig == SIGTERM || sig == SIGINT)
				stop = true;
			else if (sig == SIGHUP)
				reload(&cfg, config_path, path_required);
		}
		reap_children(stop);
		enforce_deadlines();
		if (!stop)
			spawn_due(cfg);
	}
	shutdown_pool(cfg);
	config_free(cfg);
	free(cfg);
	return 0;

fail:
	config_free(cfg);
	free(cfg);
	return 1;
}
