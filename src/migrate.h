/*
 * Schema migrations: schema/NNN-name.sql applied in order.
 */
#ifndef BUNNYBOOK_MIGRATE_H
#define BUNNYBOOK_MIGRATE_H

#include "config.h"

/*
 * Apply every file of cfg->schema_dir not yet recorded in
 * schema_migrations, each in its own transaction.  Stops at the first
 * failing file, naming it with PostgreSQL's message; earlier files stay
 * applied.  Returns 0 or -1.
 */
int migrate_run(const struct config *cfg);

#endif
