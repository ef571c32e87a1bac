// Chat: the routes of the conversations page and the chat view, the list
// of private chats that several screens share, and the "Message" button
// of friends' profiles.  The navigation entry and its unread badge live
// in main.js and store.js.
import { h, replace, icon } from './dom.js';
import { get } from './api.js';
import { on } from './bus.js';
import * as session from './session.js';
import * as router from './router.js';
import { conversationsView } from './views/conversations.js';
import { chatView } from './views/chat-room.js';

export function mount() {
	router.route('/chat', conversationsView, { auth: true });
	router.route('/chat/:group', chatView, { auth: true });
}

// GET .../private_chats, one entry per friend; fetched once and again after
// a friendship starts or ends.
let privateChats = null;

export function loadPrivateChats({ fresh = false } = {}) {
	const me = session.user();
	if (!me)
		return Promise.resolve([]);
	if (!privateChats || fresh) {
		privateChats = get(`/api/profiles/${me.id}/private_chats`);
		privateChats.catch(() => { privateChats = null; });
	}
	return privateChats;
}

for (const type of ['session', 'rt:add_friend', 'rt:remove_friend'])
	on(type, () => { privateChats = null; });

// The conversation's name as its members see it: the group's name, or
// the other members' usernames.
export function conversationTitle(conversation) {
	if (conversation.chatGroupName)
		return conversation.chatGroupName;
	const me = session.user();
	const others = conversation.members.filter((m) => !me || m.id !== me.id).map((m) => m.username);
	if (others.length === 0)
		return 'Only you';
	if (others.length <= 3)
		return others.join(', ');
	return `${others.slice(0, 3).join(', ')} and ${others.length - 3} more`;
}

// A "Message" link to the private chat with a friend; empty while the
// person is not a friend.  reload() looks again after the friendship
// changed.
export function messageButton(profileId) {
	const box = h('span.message-button');
	async function load(fresh) {
		let chats;
		try {
			chats = await loadPrivateChats({ fresh });
		} catch {
			chats = [];
		}
		const found = chats.find((c) => c.profileId === profileId);
		replace(box, found ? h('a.button.button-quiet', { href: `/chat/${found.chatGroupId}` }, icon('chat'), 'Message') : null);
	}
	box.reload = () => load(true);
	load(false);
	return box;
}
