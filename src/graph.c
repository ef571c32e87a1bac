/*
 * Selects the graph backend and contains what every backend shares.
 */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#include "graph_neo4j.h"

static const struct graph_backend *current = &graph_pg_backend;

const struct graph_backend *
graph(void)
{
	return current;
}

void
graph_select(const char *name)
{
	current = strcmp(name, "neo4j") == 0 ? &graph_neo4j_backend
					     : &graph_pg_backend;
}

bool
graph_is_neo4j(void)
{
	return current == &graph_neo4j_backend;
}

void
graph_changed(const char *a, const char *b)
{
	if (!graph_is_neo4j())
		return;
	if (b != NULL)
		graph_neo4j_mirror_pair(a, b);
	else
		graph_neo4j_mirror_profile(a);
}

void
graph_before_read(void)
{
	if (graph_is_neo4j())
		graph_neo4j_replay();
}

void
graph_page_free(struct graph_page *page)
{
	free(page->items);
	page->items = NULL;
	page->count = 0;
}

const char *
relationship_name(enum relationship rel)
{
	switch (rel) {
	case REL_SELF: return "SELF";
	case REL_FRIEND: return "FRIEND";
	case REL_OUTGOING: return "OUTGOING_FRIEND_REQUEST";
	case REL_INCOMING: return "INCOMING_FRIEND_REQUEST";
	case REL_NONE: return "NONE";
	}
	return "NONE";
}
