/*
 * `bunnybookd migrate`: finds NNN-name.sql files, applies the ones the
 * schema_migrations table does not list, one transaction per file, under
 * an advisory lock so that two concurrent runs do not both apply a file.
 */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "util.h"

/* Any constant shared by every migrate run; chosen once, never changed. */
#define MIGRATE_LOCK_KEY "7218450019"

static const char sql_create_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version text PRIMARY KEY,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
static const char sql_is_applied[] =
    "SELECT 1 FROM schema_migrations WHERE version = $1";
static const char sql_record[] =
    "INSERT INTO schema_migrations (version) VALUES ($1)";

/* True for names like 001-init.sql: three digits, a dash, .sql. */
static bool
is_migration_name(const char *name)
{
	size_t len = strlen(name);

	return len > 8 && name[0] >= '0' && name[0] <= '9' &&
	    name[1] >= '0' && name[1] <= '9' && name[2] >= '0' &&
	    name[2] <= '9' && name[3] == '-' &&
	    strcmp(name + len - 4, ".sql") == 0;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect the migration file names of dir, sorted; returns the count or -1. */
static int
list_migrations(const char *dir, char ***names)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int count = 0;

	*names = NULL;
	if (d == NULL) {
		log_error("cannot open schema directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_migration_name(e->d_name))
			continue;
		*names = xrealloc(*names, sizeof(char *) * (size_t)(count + 1));
		(*names)[count++] = xstrdup(e->d_name);
	}
	closedir(d);
	/* An empty directory leaves *names NULL, which qsort() must not get. */
	if (count > 1)
		qsort(*names, (size_t)count, sizeof(char *), compare_names);
	return count;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, NULL);
}

static bool
ok_result(PGconn *conn, PGresult *res, const char *what)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return true;
	log_error("%s failed: %s", what, PQerrorMessage(conn));
	return false;
}

/* Apply one file in its own transaction; 0 or -1. */
static int
apply_file(PGconn *conn, const char *dir, const char *name)
{
	char path[1024];
	const char *params[1] = { name };
	char *sql;
	PGresult *res;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sql = read_file(path);
	if (sql == NULL) {
		log_error("migration %s: cannot read: %s", path,
		    strerror(errno));
		return -1;
	}
	PQclear(PQexec(conn, "BEGIN"));
	res = PQexec(conn, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("migration %s failed: %s", name,
		    PQresultErrorMessage(res));
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	res = PQexecParams(conn, sql_record, 1, NULL, params, NULL, NULL, 0);
	if (!ok_result(conn, res, "recording the migration")) {
		PQclear(res);
		PQclear(PQexec(conn, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	res = PQexec(conn, "COMMIT");
	if (!ok_result(conn, res, "COMMIT")) {
		PQclear(res);
		return -1;
	}
	PQclear(res);
	log_info("migration %s applied", name);
	return 0;
}

static bool
is_applied(PGconn *conn, const char *name, bool *applied)
{
	const char *params[1] = { name };
	PGresult *res = PQexecParams(conn, sql_is_applied, 1, NULL, params,
	    NULL, NULL, 0);

	if (!ok_result(conn, res, "reading schema_migrations")) {
		PQclear(res);
		return false;
	}
	*applied = PQntuples(res) > 0;
	PQclear(res);
	return true;
}

int
migrate_run(const struct config *cfg)
{
	PGconn *conn;
	PGresult *res;
	char **names;
	int count, i, applied_now = 0, rc = 0;

	db_configure(cfg);
	conn = db_connection();
	if (conn == NULL)
		return -1;
	count = list_migrations(cfg->schema_dir, &names);
	if (count < 0)
		return -1;

	res = PQexec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")");
	if (!ok_result(conn, res, "taking the migration lock"))
		rc = -1;
	PQclear(res);
	if (rc == 0) {
		res = PQexec(conn, sql_create_table);
		if (!ok_result(conn, res, "creating schema_migrations"))
			rc = -1;
		PQclear(res);
	}
	for (i = 0; i < count && rc == 0; i++) {
		bool applied;

		if (!is_applied(conn, names[i], &applied))
			rc = -1;
		else if (!applied && apply_file(conn, cfg->schema_dir,
					 names[i]) == -1)
			rc = -1;
		else if (!applied)
			applied_now++;
	}
	PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	if (rc == 0)
		log_info("migrations: %d applied now, %d files in %s",
		    applied_now, count, cfg->schema_dir);
	db_close();
	return rc;
}
