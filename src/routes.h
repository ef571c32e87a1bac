/*
 * The route table: every public and internal route of bunnybookd, in one
 * place, as data.
 */
#ifndef BUNNYBOOK_ROUTES_H
#define BUNNYBOOK_ROUTES_H

#include <stddef.h>

#include "router.h"

extern const struct route routes[];
extern const size_t routes_count;

#endif
