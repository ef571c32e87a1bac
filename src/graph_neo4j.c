/*
 * The Neo4j graph backend: reads as Cypher over the HTTP transactional
 * endpoint (neo4j_http.c), and the mirror of PostgreSQL's writes.
 *
 * Model: (:Profile {id, username}) nodes, one undirected FRIEND
 * relationship per friendship and a REQUESTED relationship from requester
 * to target.  PostgreSQL stays the source of truth: a change is mirrored
 * by copying the pair's state from PostgreSQL into Neo4j, which is
 * idempotent, so a mirror that failed is recorded in graph_outbox and
 * simply done again later.  Every value travels as a Cypher parameter.
 */
#include "graph_neo4j.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cache.h"
#include "db.h"
#include "log.h"
#include "neo4j_http.h"
#include "util.h"

/* How often a worker looks at the outbox for failed mirrors. */
#define REPLAY_INTERVAL_S 1

static const char cypher_relationship[] =
    "MATCH (a:Profile {id: $a}), (b:Profile {id: $b})"
    " OPTIONAL MATCH (a)-[f:FRIEND]-(b)"
    " WITH a, b, count(f) AS friends"
    " OPTIONAL MATCH (a)-[o:REQUESTED]->(b)"
    " WITH a, b, friends, count(o) AS outgoing"
    " OPTIONAL MATCH (b)-[i:REQUESTED]->(a)"
    " RETURN friends, outgoing, count(i)";
static const char cypher_friend_count[] =
    "MATCH (p:Profile {id: $id}) OPTIONAL MATCH (p)-[:FRIEND]-(f)"
    " RETURN count(DISTINCT f)";
static const char cypher_mutual_count[] =
    "MATCH (a:Profile {id: $a})-[:FRIEND]-(m)-[:FRIEND]-(b:Profile {id: $b})"
    " RETURN count(DISTINCT m)";
static const char cypher_friends[] =
    "MATCH (p:Profile {id: $id})-[:FRIEND]-(f)"
    " WHERE f.username > $gt"
    " RETURN DISTINCT f.id, f.username, 0 ORDER BY f.username LIMIT $limit";
static const char cypher_mutual_friends[] =
    "MATCH (a:Profile {id: $a})-[:FRIEND]-(m)-[:FRIEND]-(b:Profile {id: $b})"
    " WHERE m.username > $gt"
    " RETURN DISTINCT m.id, m.username, 0 ORDER BY m.username LIMIT $limit";
static const char cypher_incoming[] =
    "MATCH (r)-[:REQUESTED]->(p:Profile {id: $id})"
    " WHERE r.username > $gt"
    " RETURN r.id, r.username, 0 ORDER BY r.username LIMIT $limit";
static const char cypher_outgoing[] =
    "MATCH (p:Profile {id: $id})-[:REQUESTED]->(t)"
    " WHERE t.username > $gt"
    " RETURN t.id, t.username, 0 ORDER BY t.username LIMIT $limit";
static const char cypher_suggestions[] =
    "MATCH (me:Profile {id: $id})-[:FRIEND]-(f)-[:FRIEND]-(s)"
    " WHERE s <> me AND NOT (me)-[:FRIEND]-(s)"
    "  AND NOT (me)-[:REQUESTED]-(s)"
    " WITH s, count(DISTINCT f) AS mutual"
    " WHERE $after < 0 OR mutual < $after"
    "  OR (mutual = $after AND s.username > $after_name)"
    " RETURN s.id, s.username, mutual"
    " ORDER BY mutual DESC, s.username LIMIT $limit";

/* Mirror statements: make the pair in Neo4j equal to $state. */
static const char cypher_merge_profiles[] =
    "UNWIND $profiles AS p"
    " MERGE (n:Profile {id: p.id}) SET n.username = p.username";
static const char cypher_clear_pair[] =
    "MATCH (a:Profile {id: $a})-[r:FRIEND|REQUESTED]-(b:Profile {id: $b})"
    " DELETE r";
static const char cypher_set_pair[] =
    "MATCH (a:Profile {id: $a}), (b:Profile {id: $b})"
    " FOREACH (x IN CASE WHEN $state = 'F' THEN [1] ELSE [] END |"
    "  MERGE (a)-[:FRIEND]-(b))"
    " FOREACH (x IN CASE WHEN $state = 'O' THEN [1] ELSE [] END |"
    "  MERGE (a)-[:REQUESTED]->(b))"
    " FOREACH (x IN CASE WHEN $state = 'I' THEN [1] ELSE [] END |"
    "  MERGE (b)-[:REQUESTED]->(a))";

static const char sql_pair_names[] =
    "SELECT (SELECT username FROM profiles WHERE id = $1),"
    " (SELECT username FROM profiles WHERE id = $2)";
static const char sql_profile[] =
    "SELECT username FROM profiles WHERE id = $1";
static const char sql_outbox_add[] =
    "INSERT INTO graph_outbox (a, b) VALUES ($1, $2)";
static const char sql_outbox_take[] =
    "SELECT id, a, b FROM graph_outbox ORDER BY id"
    " LIMIT 50 FOR UPDATE SKIP LOCKED";
static const char sql_outbox_done[] =
    "DELETE FROM graph_outbox WHERE id = $1";

static struct json_object *
params_new(void)
{
	return json_object_new_object();
}

static void
param_string(struct json_object *p, const char *name, const char *value)
{
	json_object_object_add(p, name, json_object_new_string(value));
}

static void
param_int(struct json_object *p, const char *name, long value)
{
	json_object_object_add(p, name, json_object_new_int64(value));
}

/* Run one read statement; on success *results is owned by the caller. */
static int
read_one(const char *cypher, struct json_object *params,
    struct json_object **results)
{
	struct neo4j_error error;
	const char *statements[1] = { cypher };
	struct json_object *parameters[1] = { params };
	enum neo4j_status st = neo4j_run(statements, parameters, 1, results,
	    &error);

	json_object_put(params);
	return st == NEO4J_OK ? 0 : -1;
}

static long
cell_long(struct json_object *results, int row, int column)
{
	int64_t v = 0;

	if (neo4j_cell_int64(results, 0, row, column, &v) != 0)
		return 0;
	return (long)v;
}

static int
n4_relationship(const char *a, const char *b, enum relationship *out)
{
	struct json_object *p = params_new(), *results;

	if (strcmp(a, b) == 0) {
		json_object_put(p);
		*out = REL_SELF;
		return 0;
	}
	param_string(p, "a", a);
	param_string(p, "b", b);
	if (read_one(cypher_relationship, p, &results) == -1)
		return -1;
	*out = REL_NONE;
	if (neo4j_row_count(results, 0) > 0) {
		if (cell_long(results, 0, 0) > 0)
			*out = REL_FRIEND;
		else if (cell_long(results, 0, 1) > 0)
			*out = REL_OUTGOING;
		else if (cell_long(results, 0, 2) > 0)
			*out = REL_INCOMING;
	}
	json_object_put(results);
	return 0;
}

static int
count_one(const char *cypher, struct json_object *p, long *out)
{
	struct json_object *results;

	if (read_one(cypher, p, &results) == -1)
		return -1;
	*out = neo4j_row_count(results, 0) > 0 ? cell_long(results, 0, 0) : 0;
	json_object_put(results);
	return 0;
}

static int
n4_friend_count(const char *id, long *out)
{
	struct json_object *p = params_new();

	param_string(p, "id", id);
	return count_one(cypher_friend_count, p, out);
}

static int
n4_mutual_count(const char *a, const char *b, long *out)
{
	struct json_object *p = params_new();

	param_string(p, "a", a);
	param_string(p, "b", b);
	return count_one(cypher_mutual_count, p, out);
}

/* Rows of (id, username, mutual) into a page. */
static int
page_read(const char *cypher, struct json_object *p, struct graph_page *out)
{
	struct json_object *results;
	int i, rows;

	out->items = NULL;
	out->count = 0;
	if (read_one(cypher, p, &results) == -1)
		return -1;
	rows = neo4j_row_count(results, 0);
	out->items = xcalloc((size_t)(rows > 0 ? rows : 0) + 1,
	    sizeof(*out->items));
	for (i = 0; i < rows; i++) {
		struct graph_person *person = &out->items[out->count];
		const char *id = neo4j_cell_string(results, 0, i, 0, NULL);
		const char *name = neo4j_cell_string(results, 0, i, 1, NULL);

		if (id == NULL || name == NULL)
			continue;
		snprintf(person->id, sizeof(person->id), "%s", id);
		snprintf(person->username, sizeof(person->username), "%s", name);
		person->mutual = cell_long(results, i, 2);
		out->count++;
	}
	json_object_put(results);
	return 0;
}

static int
n4_friends(const char *id, const char *gt, int limit, struct graph_page *out)
{
	struct json_object *p = params_new();

	param_string(p, "id", id);
	param_string(p, "gt", gt);
	param_int(p, "limit", limit);
	return page_read(cypher_friends, p, out);
}

static int
n4_mutual_friends(const char *a, const char *b, const char *gt, int limit,
    struct graph_page *out)
{
	struct json_object *p = params_new();

	param_string(p, "a", a);
	param_string(p, "b", b);
	param_string(p, "gt", gt);
	param_int(p, "limit", limit);
	return page_read(cypher_mutual_friends, p, out);
}

static int
n4_requests(const char *id, bool incoming, const char *gt, int limit,
    struct graph_page *out)
{
	struct json_object *p = params_new();

	param_string(p, "id", id);
	param_string(p, "gt", gt);
	param_int(p, "limit", limit);
	return page_read(incoming ? cypher_incoming : cypher_outgoing, p, out);
}

static int
n4_suggestions(const char *id, long after_mutual, const char *after_username,
    int limit, struct graph_page *out)
{
	struct json_object *p = params_new();

	param_string(p, "id", id);
	param_int(p, "after", after_mutual);
	param_string(p, "after_name", after_username);
	param_int(p, "limit", limit);
	return page_read(cypher_suggestions, p, out);
}

static struct json_object *
profile_param(const char *id, const char *username)
{
	struct json_object *p = json_object_new_object();

	param_string(p, "id", id);
	param_string(p, "username", username);
	return p;
}

/* Copy the state of pair (a, b) from PostgreSQL into Neo4j; 0 or -1. */
static int
sync_pair(const char *a, const char *b)
{
	const char *params[2] = { a, b };
	const char *statements[3] = { cypher_merge_profiles, cypher_clear_pair,
		cypher_set_pair };
	struct json_object *parameters[3], *profiles, *results = NULL;
	struct neo4j_error error;
	enum neo4j_status st;
	PGresult *res = db_exec(sql_pair_names, 2, params, NULL);
	char state[2] = { graph_pg_pair_state(a, b), '\0' };
	int i;

	if (res == NULL || state[0] == '\0') {
		PQclear(res);
		return -1;
	}
	if (PQgetisnull(res, 0, 0) || PQgetisnull(res, 0, 1)) {
		PQclear(res);
		return 0; /* a profile is gone; nothing to mirror */
	}
	profiles = json_object_new_array();
	json_object_array_add(profiles, profile_param(a, PQgetvalue(res, 0, 0)));
	json_object_array_add(profiles, profile_param(b, PQgetvalue(res, 0, 1)));
	PQclear(res);

	for (i = 0; i < 3; i++)
		parameters[i] = json_object_new_object();
	json_object_object_add(parameters[0], "profiles", profiles);
	for (i = 1; i < 3; i++) {
		param_string(parameters[i], "a", a);
		param_string(parameters[i], "b", b);
	}
	param_string(parameters[2], "state", state);
	st = neo4j_run(statements, parameters, 3, &results, &error);
	for (i = 0; i < 3; i++)
		json_object_put(parameters[i]);
	json_object_put(results);
	return st == NEO4J_OK ? 0 : -1;
}

static int
sync_profile(const char *id)
{
	const char *params[1] = { id };
	const char *statements[1] = { cypher_merge_profiles };
	struct json_object *parameters[1], *profiles, *results = NULL;
	struct neo4j_error error;
	enum neo4j_status st;
	PGresult *res = db_exec(sql_profile, 1, params, NULL);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	profiles = json_object_new_array();
	json_object_array_add(profiles, profile_param(id, PQgetvalue(res, 0, 0)));
	PQclear(res);
	parameters[0] = json_object_new_object();
	json_object_object_add(parameters[0], "profiles", profiles);
	st = neo4j_run(statements, parameters, 1, &results, &error);
	json_object_put(parameters[0]);
	json_object_put(results);
	return st == NEO4J_OK ? 0 : -1;
}

/* Mirror now, or record the work for a later replay. */
static void
mirror(const char *a, const char *b)
{
	const char *params[2] = { a, b };
	int rc = b ? sync_pair(a, b) : sync_profile(a);

	if (rc == 0)
		return;
	if (db_command(sql_outbox_add, 2, params, NULL) == -1)
		log_error("graph mirror of %s %s failed and could not be "
			  "recorded; run bunnybookd graph-sync", a, b ? b : "");
	else
		log_warn("graph mirror of %s %s failed; recorded for replay",
		    a, b ? b : "");
}

void
graph_neo4j_mirror_pair(const char *a, const char *b)
{
	mirror(a, b);
}

void
graph_neo4j_mirror_profile(const char *id)
{
	mirror(id, NULL);
}

void
graph_neo4j_replay(void)
{
	static time_t last;
	time_t now = time(NULL);
	PGresult *res;
	int i;

	if (now - last < REPLAY_INTERVAL_S)
		return;
	last = now;
	if (db_begin() == -1)
		return;
	res = db_exec(sql_outbox_take, 0, NULL, NULL);
	if (res == NULL) {
		db_rollback();
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		const char *id[1] = { PQgetvalue(res, i, 0) };
		const char *a = PQgetvalue(res, i, 1);
		const char *b = PQgetisnull(res, i, 2) ? NULL
						       : PQgetvalue(res, i, 2);
		int rc = b ? sync_pair(a, b) : sync_profile(a);

		if (rc == -1)
			break;
		db_command(sql_outbox_done, 1, id, NULL);
		/* Reads cached while Neo4j lagged behind are stale. */
		cache_bump(a);
		if (b != NULL)
			cache_bump(b);
		log_info("graph mirror of %s %s replayed", a, b ? b : "");
	}
	PQclear(res);
	db_commit();
}

bool
graph_neo4j_ping(void)
{
	char version[64];
	struct neo4j_error error;

	return neo4j_server_version(version, sizeof(version), &error) ==
	    NEO4J_OK;
}

const struct graph_backend graph_neo4j_backend = {
	.name = "neo4j",
	.relationship = n4_relationship,
	.friend_count = n4_friend_count,
	.mutual_count = n4_mutual_count,
	.friends = n4_friends,
	.mutual_friends = n4_mutual_friends,
	.requests = n4_requests,
	.suggestions = n4_suggestions,
};

void
graph_neo4j_configure_timeout(const struct config *cfg, long timeout_ms)
{
	struct neo4j_config n = {
		.url = cfg->neo4j_url,
		.path = cfg->neo4j_path,
		.user = cfg->neo4j_user,
		.password = cfg->neo4j_password,
		.connect_timeout_ms = cfg->neo4j_timeout_ms,
		.timeout_ms = timeout_ms,
		.max_retries = cfg->neo4j_retries,
	};

	neo4j_configure(&n);
}

void
graph_neo4j_configure(const struct config *cfg)
{
	graph_neo4j_configure_timeout(cfg, cfg->neo4j_timeout_ms);
}

static int
run_plain(const char *cypher, struct json_object *params)
{
	const char *statements[1] = { cypher };
	struct json_object *parameters[1] = { params };
	struct json_object *results = NULL;
	struct neo4j_error error;
	enum neo4j_status st = neo4j_run(statements, parameters, 1, &results,
	    &error);

	json_object_put(params);
	json_object_put(results);
	if (st != NEO4J_OK)
		log_error("Neo4j statement failed: %s %s", error.code,
		    error.message);
	return st == NEO4J_OK ? 0 : -1;
}

int
graph_neo4j_create_constraint(void)
{
	struct neo4j_error error;
	char version[64];
	const char *ddl;

	if (neo4j_server_version(version, sizeof(version), &error) !=
	    NEO4J_OK) {
		log_error("cannot read the Neo4j version: %s", error.message);
		return -1;
	}
	/* 5.x replaced ON ... ASSERT with FOR ... REQUIRE. */
	if (atoi(version) >= 5)
		ddl = "CREATE CONSTRAINT profile_id IF NOT EXISTS"
		      " FOR (p:Profile) REQUIRE p.id IS UNIQUE";
	else
		ddl = "CREATE CONSTRAINT ON (p:Profile) ASSERT p.id IS UNIQUE";
	log_info("Neo4j %s: creating the :Profile(id) constraint", version);
	return run_plain(ddl, json_object_new_object());
}

/* Send rows of a PostgreSQL query to Neo4j in UNWIND batches. */
static int
copy_rows(const char *sql, const char *cypher, const char *const *names,
    int columns)
{
	PGresult *res = db_exec(sql, 0, NULL, NULL);
	int i, rows, rc = 0;

	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	for (i = 0; i < rows && rc == 0; i += 2000) {
		struct json_object *params = json_object_new_object();
		struct json_object *batch = json_object_new_array();
		int r, c;

		for (r = i; r < rows && r < i + 2000; r++) {
			struct json_object *row = json_object_new_object();

			for (c = 0; c < columns; c++)
				param_string(row, names[c],
				    PQgetvalue(res, r, c));
			json_object_array_add(batch, row);
		}
		json_object_object_add(params, "rows", batch);
		rc = run_plain(cypher, params);
	}
	PQclear(res);
	return rc;
}

int
graph_neo4j_sync_all(void)
{
	static const char *const profile_names[] = { "id", "username" };
	static const char *const pair_names[] = { "a", "b" };

	if (graph_neo4j_create_constraint() == -1 ||
	    run_plain("MATCH (n:Profile) DETACH DELETE n",
		json_object_new_object()) == -1)
		return -1;
	if (copy_rows("SELECT id, username FROM profiles",
		"UNWIND $rows AS r CREATE (:Profile {id: r.id,"
		" username: r.username})",
		profile_names, 2) == -1)
		return -1;
	if (copy_rows("SELECT profile_id, friend_id FROM friendships"
		      " WHERE profile_id < friend_id",
		"UNWIND $rows AS r MATCH (a:Profile {id: r.a}),"
		" (b:Profile {id: r.b}) CREATE (a)-[:FRIEND]->(b)",
		pair_names, 2) == -1)
		return -1;
	if (copy_rows("SELECT requester_id, target_id FROM friend_requests",
		"UNWIND $rows AS r MATCH (a:Profile {id: r.a}),"
		" (b:Profile {id: r.b}) CREATE (a)-[:REQUESTED]->(b)",
		pair_names, 2) == -1)
		return -1;
	log_info("Neo4j rebuilt from PostgreSQL");
	return 0;
}
