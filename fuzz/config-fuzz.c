/*
 * Fuzzes config_load() and config_check_serve().  The input up to its
 * first NUL byte is the configuration file, handed over through a memfd;
 * what follows the NUL becomes one environment variable BUNNYBOOK_<rest>.
 * A loaded configuration must keep the bounds the rest of bunnybookd
 * relies on, and every error must be one non-empty line.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

extern char **environ;

static int file_fd = -1;
static char file_path[64];

/*
 * The one fuzzed environment entry.  putenv() keeps this pointer, so
 * rewriting the buffer changes the environment without allocating.
 */
static char env_entry[512] = "FUZZ_UNUSED_VARIABLE=";

/* Remove any BUNNYBOOK_ variable inherited from the test run. */
static void
clear_bunnybook_environment(void)
{
	char name[256];
	char **e;

	for (e = environ; *e != NULL;) {
		size_t len = strcspn(*e, "=");

		if (strncmp(*e, "BUNNYBOOK_", 10) != 0 || len >= sizeof(name)) {
			e++;
			continue;
		}
		memcpy(name, *e, len);
		name[len] = '\0';
		unsetenv(name);
		e = environ;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	clear_bunnybook_environment();
	file_fd = memfd_create("bunnybook-fuzz.conf", 0);
	FUZZ_CHECK(file_fd >= 0, "memfd_create works");
	snprintf(file_path, sizeof(file_path), "/proc/self/fd/%d", file_fd);
	FUZZ_CHECK(putenv(env_entry) == 0, "putenv works");
	return 0;
}

/*
 * Make env_entry "BUNNYBOOK_" s, with "=" added when s has none, or with
 * s NULL a name that config_load() skips.
 */
static void
set_environment_entry(const char *s, size_t len)
{
	static const char unused[] = "FUZZ_UNUSED_VARIABLE=";
	size_t room = sizeof(env_entry) - 12;

	if (s == NULL) {
		memcpy(env_entry, unused, sizeof(unused));
		return;
	}
	if (len > room)
		len = room;
	memcpy(env_entry, "BUNNYBOOK_", 10);
	memcpy(env_entry + 10, s, len);
	env_entry[10 + len] = '\0';
	if (strchr(env_entry, '=') == NULL) {
		len = strlen(env_entry);
		env_entry[len] = '=';
		env_entry[len + 1] = '\0';
	}
}

static void
check_error(const char *err)
{
	FUZZ_CHECK(err[0] != '\0', "a failure comes with a message");
	FUZZ_CHECK(strchr(err, '\n') == NULL, "the message is one line");
}

static bool
one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static void
check_loaded(const struct config *cfg)
{
	static const char *const levels[] = { "debug", "info", "warn", "error",
		NULL };
	static const char *const graphs[] = { "postgres", "neo4j", NULL };
	char err[1024] = "";

	FUZZ_CHECK(cfg->listen != NULL && cfg->jwt_key != NULL &&
	    cfg->metrics_listen != NULL && cfg->neo4j_password != NULL,
	    "every string key has a value");
	FUZZ_CHECK(one_of(cfg->log_level, levels), "log_level is a level");
	FUZZ_CHECK(one_of(cfg->graph_backend, graphs),
	    "graph_backend is postgres or neo4j");
	FUZZ_CHECK(cfg->workers >= 0 && cfg->workers <= 256,
	    "workers within 0..256");
	FUZZ_CHECK(cfg->max_body_bytes >= 1024 &&
	    cfg->max_body_bytes <= 16777216, "max_body_bytes within bounds");
	FUZZ_CHECK(cfg->neo4j_retries >= 0 && cfg->neo4j_retries <= 5,
	    "neo4j_retries within 0..5");
	FUZZ_CHECK(cfg->access_token_ttl_s >= 60 &&
	    cfg->argon2_memory_kib >= 19456, "security floors hold");
	if (config_check_serve(cfg, err, sizeof(err)) == -1)
		check_error(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t file_len = nul ? (size_t)(nul - data) : size;
	struct config cfg;
	char err[1024] = "";

	FUZZ_CHECK(ftruncate(file_fd, 0) == 0 &&
	    pwrite(file_fd, data, file_len, 0) == (ssize_t)file_len,
	    "the memfd takes the file");
	if (nul != NULL)
		set_environment_entry((const char *)nul + 1,
		    size - file_len - 1);
	else
		set_environment_entry(NULL, 0);

	if (config_load(&cfg, file_path, true, err, sizeof(err)) == 0)
		check_loaded(&cfg);
	else
		check_error(err);
	config_free(&cfg);
	return 0;
}
