/*
 * Small building blocks shared by every module: allocation wrappers that
 * abort on exhaustion, and one growable string buffer.
 *
 * Out-of-memory policy: a worker that cannot allocate logs and aborts, and
 * the master replaces it.  Call sites therefore never check for NULL.
 */
#ifndef BUNNYBOOK_UTIL_H
#define BUNNYBOOK_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);

/*
 * A growable byte string that is always NUL-terminated after buf_init().
 * data may contain NUL bytes; len counts them.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Empty the buffer but keep its memory for reuse. */
void buf_reset(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Hand the contents to the caller (free() it) and leave b empty. */
char *buf_detach(struct buf *b, size_t *len);

/* Constant-time comparison of two byte ranges of equal length. */
/* Milliseconds since the Unix epoch, from the wall clock. */
long long wall_clock_ms(void);

bool mem_equal_ct(const void *a, const void *b, size_t len);

#endif
