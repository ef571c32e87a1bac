/*
 * Every route of bunnybookd.  A route exists when it is in this table and
 * nowhere else; the API description is checked against it.
 */
#include "routes.h"

#include "accounts.h"
#include "avatar_routes.h"
#include "chat.h"
#include "comments.h"
#include "feed.h"
#include "friends.h"
#include "health.h"
#include "notifications.h"
#include "realtime.h"
#include "likes.h"
#include "posts.h"
#include "presence.h"
#include "profiles.h"
#include "util.h"

#define AUTH ROUTE_AUTH_REQUIRED
#define JSON ROUTE_JSON_BODY
#define OPTIONAL ROUTE_AUTH_OPTIONAL
/* Handlers that change nothing, so the session check may overlap them. */
#define READ_ONLY ROUTE_LATE_SESSION_CHECK
#define PROFILE "/api/profiles/{id:uuid}"
#define CHAT "/api/chat/{group:uuid}"

const struct route routes[] = {
	{ "GET", "/api/health", health_live, 0 },
	{ "GET", "/api/health/ready", health_ready, 0 },

	{ "POST", "/api/register", accounts_register, JSON },
	{ "POST", "/api/login", accounts_login, JSON },
	{ "POST", "/api/refresh", accounts_refresh, 0 },
	{ "POST", "/api/logout", accounts_logout, AUTH },
	{ "GET", "/api/sessions", accounts_sessions_list, AUTH },
	{ "DELETE", "/api/sessions/{id:uuid}", accounts_sessions_delete, AUTH },
	{ "POST", "/api/password", accounts_password, AUTH | JSON },

	{ "GET", "/api/avatar/{identifier:str}", avatar_preview, 0 },
	{ "GET", "/api/profiles/{id:uuid}/avatar", avatar_of_profile, 0 },
	{ "PUT", "/api/profiles/{id:uuid}/avatar", avatar_change, AUTH | JSON },

	{ "GET", "/api/profiles", profiles_search, OPTIONAL },
	{ "GET", PROFILE, profiles_get, OPTIONAL },
	{ "POST", PROFILE "/outgoing_friend_requests/{target:uuid}",
	    friends_send_request, AUTH },
	{ "DELETE", PROFILE "/outgoing_friend_requests/{target:uuid}",
	    friends_cancel_request, AUTH },
	{ "POST", PROFILE "/friends/{requester:uuid}", friends_accept, AUTH },
	{ "DELETE", PROFILE "/incoming_friend_requests/{requester:uuid}",
	    friends_reject, AUTH },
	{ "DELETE", PROFILE "/friends/{friend:uuid}", friends_unfriend, AUTH },
	{ "GET", PROFILE "/friends", friends_list, OPTIONAL },
	{ "GET", PROFILE "/friends/{other:uuid}/mutual_friends", friends_mutual,
	    AUTH },
	{ "GET", PROFILE "/friend_requests", friends_requests, AUTH },
	{ "GET", PROFILE "/friend_suggestions", friends_suggestions, AUTH },
	{ "GET", PROFILE "/relationships/{other:uuid}", friends_relationship,
	    OPTIONAL },

	{ "GET", "/rt", realtime_subscribe, AUTH },
	{ "GET", PROFILE "/notifications", notifications_list, AUTH },
	{ "GET", PROFILE "/notifications/unread_count",
	    notifications_unread_count, AUTH },
	{ "PATCH", PROFILE "/notifications", notifications_mark, AUTH | JSON },
	{ "GET", "/api/presence/friends", presence_friends, AUTH },
	{ "POST", "/api/presence/heartbeat", presence_heartbeat, AUTH },

	{ "GET", PROFILE "/conversations", chat_conversations_list, AUTH },
	{ "GET", PROFILE "/conversations/unread_count",
	    chat_conversations_unread, AUTH },
	{ "GET", PROFILE "/private_chats", chat_private_chats, AUTH },
	{ "POST", "/api/chat", chat_group_create, AUTH | JSON },
	{ "GET", CHAT, chat_group_get, AUTH },
	{ "PATCH", CHAT, chat_group_rename, AUTH | JSON },
	{ "POST", CHAT "/members", chat_member_add, AUTH | JSON },
	{ "DELETE", CHAT "/members/{member:uuid}", chat_member_leave, AUTH },
	{ "GET", CHAT "/messages", chat_messages_list, AUTH },
	{ "POST", CHAT "/messages", chat_messages_send, AUTH | JSON },
	{ "PATCH", CHAT "/messages/{msg:uuid}", chat_messages_edit,
	    AUTH | JSON },
	{ "DELETE", CHAT "/messages/{msg:uuid}", chat_messages_delete, AUTH },
	{ "POST", CHAT "/read", chat_read, AUTH | JSON },
	{ "POST", CHAT "/typing", chat_typing, AUTH },

	{ "POST", "/api/posts", posts_create, AUTH | JSON },
	{ "GET", "/api/posts", posts_list, OPTIONAL | READ_ONLY },
	{ "GET", "/api/feed", feed_get, AUTH | READ_ONLY },
	{ "GET", "/api/posts/{id:uuid}", posts_get, OPTIONAL | READ_ONLY },
	{ "PATCH", "/api/posts/{id:uuid}", posts_update, AUTH | JSON },
	{ "DELETE", "/api/posts/{id:uuid}", posts_delete, AUTH },
	{ "POST", "/api/posts/{id:uuid}/comments", comments_create,
	    AUTH | JSON },
	{ "GET", "/api/posts/{id:uuid}/comments", comments_list,
	    OPTIONAL | READ_ONLY },
	{ "DELETE", "/api/comments/{id:uuid}", comments_delete, AUTH },
	{ "PUT", "/api/posts/{id:uuid}/like", likes_post_put, AUTH },
	{ "DELETE", "/api/posts/{id:uuid}/like", likes_post_delete, AUTH },
	{ "PUT", "/api/comments/{id:uuid}/like", likes_comment_put, AUTH },
	{ "DELETE", "/api/comments/{id:uuid}/like", likes_comment_delete,
	    AUTH },
};

const size_t routes_count = ARRAY_LEN(routes);
