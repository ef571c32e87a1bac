/*
 * Helpers shared by the libFuzzer harnesses in this directory.  A broken
 * property calls abort(), which libFuzzer reports as a crash and saves
 * the input that caused it.
 */
#ifndef BUNNYBOOK_FUZZ_H
#define BUNNYBOOK_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stop with the property's text when cond is false. */
#define FUZZ_CHECK(cond, property)                                             \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: property violated: %s (%s)\n", \
			    __FILE__, __LINE__, property, #cond);              \
			abort();                                               \
		}                                                              \
	} while (0)

/* A NUL-terminated copy of data[0..size); the caller frees it. */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
