/*
 * The one log API.  Every line goes to stderr (journald and docker collect
 * it; in FastCGI stdout is the response) in one format:
 *
 *   2026-12-04T19:22:22.123Z info [1234] req=abcd message
 *
 * The request id is set by the worker for the duration of a request and is
 * "-" outside one.  Never pass secrets, tokens or passwords to these calls.
 */
#ifndef BUNNYBOOK_LOG_H
#define BUNNYBOOK_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Parse "debug", "info", "warn" or "error"; returns 0 or -1. */
int log_parse_level(const char *name, enum log_level *level);
/* Set the request id shown on every line; NULL clears it. */
void log_set_request_id(const char *id);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/*
 * Rate-limited logging for failures that may repeat on every request (a
 * cache that is down): logs at most once per interval for each kind and
 * reports how many lines it dropped since the last one.
 */
struct log_limiter {
	long long last_ms;
	unsigned long suppressed;
};
void log_limited(struct log_limiter *lim, int interval_ms, enum log_level level,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
