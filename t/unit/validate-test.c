/* Unit tests of the account field rules. */
#include <string.h>

#include "tap.h"
#include "validate.h"

#define U(s) validate_username(s, strlen(s))
#define E(s) validate_email(s, strlen(s))
#define T(s) validate_iso_time(s)

int
main(void)
{
	ok(U("bunny"), "plain username is valid");
	ok(U("b2"), "two characters are enough");
	ok(U("Bunny_the.Rabbit-2"), "single separators between letters are valid");
	ok(!U("b"), "one character is too short");
	ok(!U("abcdefghijabcdefghijabcdefghijabc"), "33 characters are too long");
	ok(U("abcdefghijabcdefghijabcdefghijab"), "32 characters are fine");
	ok(!U("_bunny"), "leading separator is invalid");
	ok(!U("bunny."), "trailing separator is invalid");
	ok(!U("bun..ny"), "double separator is invalid");
	ok(!U("bun-_ny"), "mixed double separator is invalid");
	ok(!U("bun ny"), "space is invalid");
	ok(!U("b\xc3\xbcnny"), "non-ASCII letter is invalid");
	ok(!U("bun'ny"), "quote is invalid");
	ok(!validate_username("bu\0ny", 5), "NUL byte is invalid");

	ok(E("bunny@example.com"), "plain address is valid");
	ok(E("Bunny.Rabbit+tag@mail.example.org"), "dots and plus are valid");
	ok(!E("bunny@example"), "single-label domain is invalid");
	ok(!E("bunny@@example.com"), "two at signs are invalid");
	ok(!E("@example.com"), "empty local part is invalid");
	ok(!E("bunny@"), "empty domain is invalid");
	ok(!E(".bunny@example.com"), "leading dot is invalid");
	ok(!E("bun..ny@example.com"), "double dot is invalid");
	ok(!E("bunny@-example.com"), "label starting with a hyphen is invalid");
	ok(!E("bunny@example.c"), "one-letter top-level domain is invalid");
	ok(!E("bunny@example.123"), "numeric top-level domain is invalid");
	ok(!E("bun ny@example.com"), "space is invalid");
	ok(!E("bunny@exa_mple.com"), "underscore in the domain is invalid");
	ok(!validate_email("bunny@ex\0mple.com", 17), "NUL byte is invalid");
	{
		char long_local[80];

		memset(long_local, 'a', 65);
		strcpy(long_local + 65, "@example.com");
		ok(!E(long_local), "local part over 64 characters is invalid");
	}
	{
		/* 64 + 1 + 189 = EMAIL_MAX characters, labels of at most 63. */
		char address[EMAIL_MAX + 2];

		memset(address, 'a', 64);
		address[64] = '@';
		memset(address + 65, 'b', 63);
		address[128] = '.';
		memset(address + 129, 'c', 63);
		address[192] = '.';
		memset(address + 193, 'd', 57);
		strcpy(address + 250, ".com");
		ok(strlen(address) == EMAIL_MAX && E(address),
		    "address of %d characters is valid", EMAIL_MAX);
		memmove(address + 194, address + 193, strlen(address + 193) + 1);
		ok(strlen(address) == EMAIL_MAX + 1 && !E(address),
		    "address of %d characters is invalid", EMAIL_MAX + 1);
	}

	ok(T("2026-12-04T19:22:22.123Z"), "time with milliseconds");
	ok(T("2024-02-29T00:00:00Z"), "leap day in a leap year");
	ok(!T("2026-02-29T00:00:00Z"), "leap day in another year");
	ok(!T("2026-02-30T00:00:00.000Z"), "February 30th");
	ok(!T("2026-04-31T00:00:00Z"), "April 31st");
	ok(!T("2026-12-04T23:59:60Z"), "second 60");
	ok(!T("0000-01-01T00:00:00Z"), "year 0");
	ok(!T("2026-12-04T19:22:22.1234567Z"), "seven fraction digits");
	ok(!T("2026-12-04 19:22:22Z"), "space for T");
	return done_testing();
}
