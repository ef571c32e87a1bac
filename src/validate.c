/*
 * Field syntax checks for registration and login.  Uniqueness and every
 * other rule that needs the database stays in accounts.c.
 */
#include "validate.h"

#include <string.h>

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

bool
validate_username(const char *s, size_t len)
{
	size_t i;

	if (len < USERNAME_MIN || len > USERNAME_MAX)
		return false;
	if (!is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (i = 1; i < len - 1; i++) {
		if (is_alnum(s[i]))
			continue;
		if (strchr("-_.", s[i]) == NULL || s[i] == '\0' ||
		    !is_alnum(s[i + 1]))
			return false;
	}
	return true;
}

static bool
local_char(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

static bool
valid_local(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > 64 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!local_char(s[i])) {
			return false;
		}
	}
	return true;
}

static bool
valid_domain(const char *s, size_t len)
{
	size_t i, label_start = 0, labels = 0;
	bool tld_alpha = true;

	if (len < 4 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			size_t label_len = i - label_start;

			if (label_len < 1 || label_len > 63 ||
			    s[label_start] == '-' || s[i - 1] == '-')
				return false;
			labels++;
			tld_alpha = label_len >= 2;
			for (size_t k = label_start; k < i && tld_alpha; k++)
				tld_alpha = (s[k] >= 'a' && s[k] <= 'z') ||
				    (s[k] >= 'A' && s[k] <= 'Z');
			label_start = i + 1;
		} else if (!is_alnum(s[i]) && s[i] != '-') {
			return false;
		}
	}
	return labels >= 2 && tld_alpha;
}

bool
validate_email(const char *s, size_t len)
{
	const char *at;

	if (len < 6 || len > EMAIL_MAX || memchr(s, '\0', len) != NULL)
		return false;
	at = memchr(s, '@', len);
	if (at == NULL || memchr(at + 1, '@', len - (size_t)(at - s) - 1))
		return false;
	return valid_local(s, (size_t)(at - s)) &&
	    valid_domain(at + 1, len - (size_t)(at - s) - 1);
}

static bool
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int
number(const char *s, size_t n)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int
days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

bool
validate_iso_time(const char *s)
{
	size_t len = strlen(s), frac;
	int year, month, day;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[len - 1] != 'Z')
		return false;
	if (!digits(s, 4) || !digits(s + 5, 2) || !digits(s + 8, 2) ||
	    !digits(s + 11, 2) || !digits(s + 14, 2) || !digits(s + 17, 2))
		return false;
	frac = len - 20;
	if (frac != 0 && (s[19] != '.' || frac < 2 || frac > 7 ||
			     !digits(s + 20, frac - 1)))
		return false;
	year = number(s, 4);
	month = number(s + 5, 2);
	day = number(s + 8, 2);
	return year >= 1 && month >= 1 && month <= 12 && day >= 1 &&
	    day <= days_in_month(year, month) && number(s + 11, 2) <= 23 &&
	    number(s + 14, 2) <= 59 && number(s + 17, 2) <= 59;
}
