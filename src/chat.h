/*
 * Chat: private conversations between friends and group conversations,
 * their messages, read markers and typing events.
 */
#ifndef BUNNYBOOK_CHAT_H
#define BUNNYBOOK_CHAT_H

#include "http.h"

/*
 * Create the private conversation of a and b, or find the one they had
 * before, inside the caller's open transaction; its id goes to id.
 * Returns 0, or -1 when the database failed.
 */
int chat_private_open(const char *a, const char *b, char id[37]);

/* GET /api/profiles/{id}/conversations (self). */
void chat_conversations_list(struct request *req);
/* GET /api/profiles/{id}/conversations/unread_count (self). */
void chat_conversations_unread(struct request *req);
/* GET /api/profiles/{id}/private_chats (self). */
void chat_private_chats(struct request *req);

/* POST /api/chat: a group conversation of the caller and friends. */
void chat_group_create(struct request *req);
/* GET /api/chat/{group} (member). */
void chat_group_get(struct request *req);
/* PATCH /api/chat/{group}: rename a group conversation (member). */
void chat_group_rename(struct request *req);
/* POST /api/chat/{group}/members: add a friend (member). */
void chat_member_add(struct request *req);
/* DELETE /api/chat/{group}/members/{member}: leave (self). */
void chat_member_leave(struct request *req);

/* GET /api/chat/{group}/messages (member). */
void chat_messages_list(struct request *req);
/* POST /api/chat/{group}/messages (member, open conversation). */
void chat_messages_send(struct request *req);
/* PATCH /api/chat/{group}/messages/{msg} (author). */
void chat_messages_edit(struct request *req);
/* DELETE /api/chat/{group}/messages/{msg} (author). */
void chat_messages_delete(struct request *req);
/* POST /api/chat/{group}/read (member). */
void chat_read(struct request *req);
/* POST /api/chat/{group}/typing (member, open conversation). */
void chat_typing(struct request *req);

#endif
