/*
 * Profile routes: search and reading one profile.
 */
#ifndef BUNNYBOOK_PROFILES_H
#define BUNNYBOOK_PROFILES_H

#include "http.h"

void profiles_search(struct request *req);
void profiles_get(struct request *req);

#endif
