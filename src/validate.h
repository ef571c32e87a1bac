/*
 * Syntax rules for account fields, kept pure so that they are unit tested.
 */
#ifndef BUNNYBOOK_VALIDATE_H
#define BUNNYBOOK_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#define USERNAME_MIN 2
#define USERNAME_MAX 32
#define EMAIL_MAX    254
#define PASSWORD_MIN 8
#define PASSWORD_MAX 128

/*
 * 2-32 ASCII letters and digits, with single '-', '_' or '.' allowed
 * between two of them ("a.b-c" yes, ".ab", "a..b", "ab_" no).
 */
bool validate_username(const char *s, size_t len);

/*
 * A practical subset of RFC 5321 addresses: a dot-atom local part of
 * 1-64 characters, '@', and a domain of at least two dot-separated labels
 * of letters, digits and inner hyphens, the last one alphabetic and at
 * least two long; 254 characters in all.
 */
bool validate_email(const char *s, size_t len);

/*
 * A UTC time "YYYY-MM-DDTHH:MM:SS[.f]Z" with one to six fraction digits
 * and every field in range: the day exists in its month, seconds up to 59.
 */
bool validate_iso_time(const char *s);

#endif
