/*
 * Account routes: registration, login, refresh, logout, sessions and
 * password change.
 */
#ifndef BUNNYBOOK_ACCOUNTS_H
#define BUNNYBOOK_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

void accounts_register(struct request *req);
void accounts_login(struct request *req);
void accounts_refresh(struct request *req);
void accounts_logout(struct request *req);
void accounts_sessions_list(struct request *req);
void accounts_sessions_delete(struct request *req);
void accounts_password(struct request *req);

#endif
