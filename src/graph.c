/*
 * Selects the graph backend and holds what every backend shares.
 */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

static const struct graph_backend *current = &graph_pg_backend;

const struct graph_backend *
graph(void)
{
	return current;
}

void
graph_select(const char *name)
{
	(void)name;
	current = &graph_pg_backend;
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
