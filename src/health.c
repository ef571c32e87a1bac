/*
 * Health routes.  Readiness checks each dependency the worker talks to and
 * names the ones that are down; liveness checks nothing, so a dependency
 * outage never gets healthy workers restarted.
 */
#include "health.h"

#include "db.h"
#include "graph.h"
#include "graph_neo4j.h"
#include "kv.h"
#include "rt.h"

void
health_live(struct request *req)
{
	struct json_object *body = json_object_new_object();

	json_object_object_add(body, "status", json_object_new_string("ok"));
	http_add_header(req, "Cache-Control", "no-store");
	http_reply_json(req, 200, body);
}

static void
check(struct json_object *checks, struct buf *down, const char *name, bool up)
{
	json_object_object_add(checks, name,
	    json_object_new_string(up ? "ok" : "down"));
	if (up)
		return;
	if (down->len > 0)
		buf_adds(down, ", ");
	buf_adds(down, name);
}

void
health_ready(struct request *req)
{
	struct json_object *checks = json_object_new_object(), *body;
	struct buf down;

	buf_init(&down);
	check(checks, &down, "postgres", db_ping());
	check(checks, &down, kv_name(KV_CACHE), kv_ping(KV_CACHE));
	check(checks, &down, kv_name(KV_PUBSUB), kv_ping(KV_PUBSUB));
	check(checks, &down, "nchan", rt_publisher_ping());
	if (graph_is_neo4j())
		check(checks, &down, "neo4j", graph_neo4j_ping());

	if (down.len == 0) {
		body = json_object_new_object();
		json_object_object_add(body, "status",
		    json_object_new_string("ready"));
		json_object_object_add(body, "checks", checks);
		http_add_header(req, "Cache-Control", "no-store");
		http_reply_json(req, 200, body);
	} else {
		struct buf message;

		buf_init(&message);
		buf_addf(&message, "not ready: %s down", down.data);
		body = http_error_body("Unavailable", NULL, message.data);
		json_object_object_add(body, "checks", checks);
		http_add_header(req, "Cache-Control", "no-store");
		http_reply_json(req, 503, body);
		buf_free(&message);
	}
	buf_free(&down);
}
