/*
 * `bunnybookd import-graph FILE`: load an edge list as profiles and
 * friendships.
 */
#ifndef BUNNYBOOK_IMPORT_H
#define BUNNYBOOK_IMPORT_H

#include "config.h"

/*
 * Read "A B" lines (non-negative integer ids; '#' starts a comment) and
 * create profile "fbA" and "fbB" and their friendship, in batches.
 * Idempotent: a second run adds nothing.  Imported profiles cannot log in
 * (their password hash matches no password).  Returns 0 or -1.
 */
int import_graph(const struct config *cfg, const char *path);

/* Deterministic profile id of imported person n, as SQL text of $1. */
#define IMPORT_PROFILE_ID_SQL(param) \
	"md5('bunnybook-import:' || " param ")::uuid"

#endif
