/* Unit tests of the configuration parser. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char path[] = "/tmp/bunnybook-config-test-XXXXXX";

static void
write_config(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static int
load(struct config *cfg, char *err, size_t len)
{
	return config_load(cfg, path, true, err, len);
}

/* Load a file of plain_http_loopback and site_origin, then check it. */
static int
check_origin(const char *plain, const char *origin, char *err, size_t len)
{
	struct config cfg;
	char text[512];
	int rc;

	snprintf(text, sizeof(text), "jwt_key = %s\nplain_http_loopback = %s\n"
	    "site_origin = %s\n", "0123456789abcdef0123456789abcdef", plain,
	    origin);
	write_config(text);
	rc = load(&cfg, err, len);
	if (rc == 0)
		rc = config_check_serve(&cfg, err, len);
	config_free(&cfg);
	return rc;
}

static void
test_plain_http_loopback(void)
{
	static const char *const loopback[] = { "http://127.0.0.1:8080",
		"http://127.0.0.2", "http://localhost:8080",
		"http://LOCALHOST", "http://[::1]:8080", "http://[::1]" };
	static const char *const elsewhere[] = {
		"https://bunnybook.example.org", "https://127.0.0.1:8443",
		"http://192.168.1.5:8080", "http://localhost.example.org",
		"http://127.example.org", "http://[::2]:8080",
		"http://128.0.0.1" };
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		ok(check_origin("true", loopback[i], err, sizeof(err)) == 0,
		    "plain_http_loopback with %s is accepted", loopback[i]);
	for (i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++)
		ok(check_origin("true", elsewhere[i], err, sizeof(err)) == -1,
		    "plain_http_loopback with %s is rejected", elsewhere[i]);

	check_origin("true", "https://bunnybook.example.org", err,
	    sizeof(err));
	ok(strstr(err, "plain_http_loopback") != NULL &&
	    strstr(err, "\"true\"") != NULL,
	    "rejection names the key and its value: %s", err);
	ok(strstr(err, "https://bunnybook.example.org") != NULL,
	    "rejection names the site origin");
	ok(strstr(err, "loopback host") != NULL &&
	    strstr(err, "http://") != NULL, "rejection says what is allowed");
	ok(strchr(err, '\n') == NULL, "rejection is one line");
	ok(check_origin("false", "https://bunnybook.example.org", err,
	    sizeof(err)) == 0, "Secure cookies work with any site origin");
}

int
main(void)
{
	struct config cfg;
	char err[512];
	int fd = mkstemp(path);

	close(fd);

	write_config("# comment\n\nworkers = 3\nlisten=127.0.0.1:9000\n"
		     "plain_http_loopback = yes\nlog_level = debug\n");
	ok(load(&cfg, err, sizeof(err)) == 0, "valid file loads");
	ok(cfg.workers == 3, "integer key is read");
	ok(strcmp(cfg.listen, "127.0.0.1:9000") == 0, "spaces around = are optional");
	ok(cfg.plain_http_loopback, "boolean yes is true");
	ok(cfg.max_body_bytes == 65536, "missing key keeps its default");
	config_free(&cfg);

	write_config("wokers = 3\n");
	ok(load(&cfg, err, sizeof(err)) == -1, "unknown key is rejected");
	ok(strstr(err, "wokers") != NULL && strstr(err, ":1") != NULL,
	    "unknown key error names key and line: %s", err);
	config_free(&cfg);

	write_config("workers = many\n");
	ok(load(&cfg, err, sizeof(err)) == -1, "non-integer value is rejected");
	ok(strstr(err, "workers") && strstr(err, "many") && strstr(err, "0 to 256"),
	    "bad value error names key, value and range: %s", err);
	config_free(&cfg);

	write_config("workers = 257\n");
	ok(load(&cfg, err, sizeof(err)) == -1, "out-of-range integer is rejected");
	config_free(&cfg);

	write_config("workers = 3x\n");
	ok(load(&cfg, err, sizeof(err)) == -1, "integer with trailing text is rejected");
	config_free(&cfg);

	write_config("log_level = loud\n");
	ok(load(&cfg, err, sizeof(err)) == -1, "unknown log level is rejected");
	config_free(&cfg);

	write_config("plain_http_loopback = maybe\n");
	ok(load(&cfg, err, sizeof(err)) == -1, "bad boolean is rejected");
	config_free(&cfg);

	write_config("just some words\n");
	ok(load(&cfg, err, sizeof(err)) == -1, "line without = is rejected");
	config_free(&cfg);

	write_config("jwt_key = 12345\n");
	ok(load(&cfg, err, sizeof(err)) == 0, "secret key loads");
	config_free(&cfg);

	write_config("workers = 2\n");
	setenv("BUNNYBOOK_WORKERS", "5", 1);
	ok(load(&cfg, err, sizeof(err)) == 0 && cfg.workers == 5,
	    "environment overrides the file");
	config_free(&cfg);

	setenv("BUNNYBOOK_WORKERS", "-1", 1);
	ok(load(&cfg, err, sizeof(err)) == -1 &&
	    strstr(err, "BUNNYBOOK_WORKERS") != NULL,
	    "bad environment value names the variable: %s", err);
	config_free(&cfg);
	unsetenv("BUNNYBOOK_WORKERS");

	setenv("BUNNYBOOK_NO_SUCH_KEY", "1", 1);
	ok(load(&cfg, err, sizeof(err)) == -1 && strstr(err, "no_such_key"),
	    "unknown environment key is rejected: %s", err);
	config_free(&cfg);
	unsetenv("BUNNYBOOK_NO_SUCH_KEY");

	setenv("BUNNYBOOK_DATABASE_URL", "x", 1);
	setenv("BUNNYBOOK_DB_STATEMENT_TIMEOUT_MS", "abc", 1);
	ok(load(&cfg, err, sizeof(err)) == -1, "bad timeout is rejected");
	config_free(&cfg);
	unsetenv("BUNNYBOOK_DB_STATEMENT_TIMEOUT_MS");
	unsetenv("BUNNYBOOK_DATABASE_URL");

	/* A newline in a value must not split the message (found by fuzzing). */
	setenv("BUNNYBOOK_WORKERS", "1\n2", 1);
	ok(load(&cfg, err, sizeof(err)) == -1 && strchr(err, '\n') == NULL &&
	    strstr(err, "\"1?2\"") != NULL,
	    "newline in environment value escaped: %s",
	    err);
	config_free(&cfg);
	unsetenv("BUNNYBOOK_WORKERS");

	setenv("BUNNYBOOK_JWT_KEY", "topsecretvalue", 1);
	write_config("workers = x\n");
	load(&cfg, err, sizeof(err));
	config_free(&cfg);
	write_config("jwt_key\n");
	load(&cfg, err, sizeof(err));
	ok(strstr(err, "topsecretvalue") == NULL, "errors never show the secret");
	config_free(&cfg);
	unsetenv("BUNNYBOOK_JWT_KEY");

	test_plain_http_loopback();

	unlink(path);
	ok(config_load(&cfg, path, true, err, sizeof(err)) == -1,
	    "missing required file is an error");
	config_free(&cfg);
	ok(config_load(&cfg, path, false, err, sizeof(err)) == 0,
	    "missing default file falls back to defaults");
	config_free(&cfg);

	return done_testing();
}
