/*
 * The friend graph behind one interface with two backends: PostgreSQL
 * tables (graph_pg.c, the default) and Neo4j.  PostgreSQL stays the source
 * of truth for requests and friendships in both modes: friends.c runs the
 * state machine in a PostgreSQL transaction, and the reads below come from
 * the configured backend.
 *
 * Every function returns 0 on success and -1 when the backend failed (the
 * failure is logged; callers reply 503 for Neo4j, 500 otherwise).
 */
#ifndef BUNNYBOOK_GRAPH_H
#define BUNNYBOOK_GRAPH_H

#include <stdbool.h>

enum relationship {
	REL_SELF,
	REL_FRIEND,
	REL_OUTGOING,
	REL_INCOMING,
	REL_NONE,
};

struct graph_person {
	char id[37];
	char username[33];
	long mutual; /* mutual friend count, for suggestions */
};

/* A page of people; items is malloc'd, release with graph_page_free(). */
struct graph_page {
	struct graph_person *items;
	int count;
};

struct graph_backend {
	const char *name;
	int (*relationship)(const char *a, const char *b, enum relationship *out);
	int (*friend_count)(const char *id, long *out);
	int (*mutual_count)(const char *a, const char *b, long *out);
	/* Friends of id ordered by username, after username_gt ("" = start). */
	int (*friends)(const char *id, const char *username_gt, int limit,
	    struct graph_page *out);
	int (*mutual_friends)(const char *a, const char *b,
	    const char *username_gt, int limit, struct graph_page *out);
	/* Pending requests to (incoming) or from id, ordered by username. */
	int (*requests)(const char *id, bool incoming, const char *username_gt,
	    int limit, struct graph_page *out);
	/*
	 * People two friendships away ranked by mutual count descending, then
	 * username; after (after_mutual, after_username) when after_mutual
	 * is not negative.
	 */
	int (*suggestions)(const char *id, long after_mutual,
	    const char *after_username, int limit, struct graph_page *out);
};

/* The backend chosen by configuration. */
const struct graph_backend *graph(void);
/* Select "postgres" or "neo4j"; the worker calls it at start. */
void graph_select(const char *name);
bool graph_is_neo4j(void);

/*
 * After a committed change of the pair (a, b), or of a new profile
 * (b NULL): mirror it into Neo4j when that backend is selected.
 */
void graph_changed(const char *a, const char *b);

/* Before serving a graph read: replay mirrors that failed earlier. */
void graph_before_read(void);

void graph_page_free(struct graph_page *page);

const char *relationship_name(enum relationship rel);

extern const struct graph_backend graph_pg_backend;

/*
 * The state of a towards b in PostgreSQL, the source of truth: 'F'
 * (friends), 'O' (a asked b), 'I' (b asked a) or 'N'.  Returns the letter,
 * or '\0' when the query failed.  Runs in the caller's transaction.
 */
char graph_pg_pair_state(const char *a, const char *b);

#endif
