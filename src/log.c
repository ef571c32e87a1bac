/*
 * Line-oriented logging to stderr.  One write(2) per line so that lines
 * from several workers sharing the descriptor do not interleave.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static char request_id[64] = "-";

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level level)
{
	min_level = level;
}

int
log_parse_level(const char *name, enum log_level *level)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void
log_set_request_id(const char *id)
{
	if (id == NULL || *id == '\0')
		id = "-";
	snprintf(request_id, sizeof(request_id), "%s", id);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	struct tm tm;
	long long ms = now_ms();
	time_t secs = (time_t)(ms / 1000);
	size_t n;
	int r;

	gmtime_r(&secs, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03dZ %s [%d] req=%s ",
	    (int)(ms % 1000), level_names[level], (int)getpid(), request_id);
	if (r > 0)
		n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n - 1 ? (size_t)r
						      : sizeof(line) - n - 2;
	/* Keep one line per entry whatever the message contains. */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_limited(struct log_limiter *lim, int interval_ms, enum log_level level,
    const char *fmt, ...)
{
	long long now = now_ms();
	va_list ap;

	if (level < min_level)
		return;
	if (lim->last_ms != 0 && now - lim->last_ms < interval_ms) {
		lim->suppressed++;
		return;
	}
	if (lim->suppressed > 0)
		log_msg(level, "%lu similar messages suppressed", lim->suppressed);
	lim->last_ms = now;
	lim->suppressed = 0;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
