/*
 * Configuration: one `key = value` file, every key overridable by an
 * environment variable BUNNYBOOK_<KEY> (upper case).  Values are checked
 * against the table in config.c; an unknown key or a bad value is an error
 * that names the key, the value and what is allowed.
 */
#ifndef BUNNYBOOK_CONFIG_H
#define BUNNYBOOK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The build sets it to $(sysconfdir)/bunnybook/bunnybook.conf. */
#ifdef BUNNYBOOK_CONFIG_PATH
#define CONFIG_DEFAULT_PATH BUNNYBOOK_CONFIG_PATH
#else
#define CONFIG_DEFAULT_PATH "/etc/bunnybook/bunnybook.conf"
#endif

struct config {
	char *listen;
	int workers;
	int shutdown_timeout_s;
	char *log_level;
	char *database_url;
	int db_statement_timeout_ms;
	int db_connect_timeout_s;
	char *cache_redis;
	char *pubsub_redis;
	int redis_timeout_ms;
	char *nchan_publisher;
	int publish_timeout_ms;
	int max_body_bytes;
	char *schema_dir;
	char *site_origin;
	bool plain_http_loopback;
	char *jwt_key;
	int access_token_ttl_s;
	int refresh_token_ttl_s;
	int refresh_reuse_grace_s;
	int argon2_memory_kib;
	int argon2_passes;
	int argon2_lanes;
	int login_max_failures_per_account;
	int login_max_failures_per_address;
	int login_failure_window_s;
	char *graph_backend;
	char *neo4j_url;
	char *neo4j_path;
	char *neo4j_user;
	char *neo4j_password;
	int neo4j_timeout_ms;
	int neo4j_retries;
	int post_writes_per_window;
	int comment_writes_per_window;
	int like_writes_per_window;
	int write_window_s;
	int chat_messages_per_second;
	int chat_typing_per_second;
	int streams_per_profile;
	int stream_resume_max_age_s;
	char *metrics_listen;
};

/*
 * Fill cfg with defaults, then the file at path (when path_required is
 * false a missing file is not an error), then the environment.  Returns 0,
 * or -1 with a one-line message in err.  cfg must be released with
 * config_free() in both cases.
 */
int config_load(struct config *cfg, const char *path, bool path_required,
    char *err, size_t errlen);
void config_free(struct config *cfg);

/*
 * Check what the table cannot: addresses, the site origin (which must be
 * http:// on loopback when plain_http_loopback is true) and the JWT key
 * needed to serve.  Returns 0, or -1 with a one-line message in err.
 */
int config_check_serve(const struct config *cfg, char *err, size_t errlen);

/* Print every key with its default, unit and meaning. */
void config_print_help(FILE *out);

/* Number of workers to fork: the configured count, or 2 per online core. */
int config_worker_count(const struct config *cfg);

#endif
