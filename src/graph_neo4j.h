/*
 * The Neo4j graph backend and the mirror of PostgreSQL's graph writes.
 */
#ifndef BUNNYBOOK_GRAPH_NEO4J_H
#define BUNNYBOOK_GRAPH_NEO4J_H

#include <stdbool.h>

#include "config.h"
#include "graph.h"

extern const struct graph_backend graph_neo4j_backend;

/* Point the Neo4j client at the configured server. */
void graph_neo4j_configure(const struct config *cfg);
/* The same with another total timeout per call, for bulk work. */
void graph_neo4j_configure_timeout(const struct config *cfg, long timeout_ms);

/*
 * Copy the committed state of the pair (a, b), or of profile id, from
 * PostgreSQL into Neo4j.  A failure is recorded in graph_outbox and
 * replayed by graph_neo4j_replay(); neither call fails its caller.
 */
void graph_neo4j_mirror_pair(const char *a, const char *b);
void graph_neo4j_mirror_profile(const char *id);

/* Replay recorded mirrors, at most once a second per worker. */
void graph_neo4j_replay(void);

bool graph_neo4j_ping(void);

/*
 * Rebuild Neo4j from PostgreSQL: the uniqueness constraint in the DDL of
 * the server's version, then every profile, friendship and request.
 * Returns 0 or -1.
 */
int graph_neo4j_sync_all(void);

/* Create the uniqueness constraint on :Profile(id); 0 or -1. */
int graph_neo4j_create_constraint(void);

#endif
