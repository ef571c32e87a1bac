// Shared state that several parts of the page show: the unread
// notification count and the number of conversations with unread
// messages (navigation badges and page title), and friends' online state
// (the dots next to their names).  All load over REST and then follow the
// stream.
import { emit, on } from './bus.js';
import { get } from './api.js';
import * as session from './session.js';

export const unread = { count: 0 };
export const chatUnread = { count: 0 };
const presence = new Map();
let title = 'Bunnybook';

export function setTitle(text) {
	title = text ? `${text} · Bunnybook` : 'Bunnybook';
	renderTitle();
}

// "(2) Home" for two unread notifications, "(2 · 1 chat) Home" when a
// conversation has unread messages too.
function renderTitle() {
	const counts = [];
	if (unread.count > 0)
		counts.push(String(unread.count));
	if (chatUnread.count > 0)
		counts.push(`${chatUnread.count} ${chatUnread.count === 1 ? 'chat' : 'chats'}`);
	document.title = counts.length ? `(${counts.join(' · ')}) ${title}` : title;
}

function setUnread(count) {
	unread.count = Math.max(0, count);
	renderTitle();
	emit('unread', unread.count);
}

export async function loadUnread() {
	const me = session.user();
	if (!me)
		return;
	try {
		const answer = await get(`/api/profiles/${me.id}/notifications/unread_count`);
		setUnread(answer.count);
	} catch {
		// The badge keeps its last value; the next resync tries again.
	}
}

function setChatUnread(count) {
	chatUnread.count = Math.max(0, count);
	renderTitle();
	emit('chat-unread', chatUnread.count);
}

export async function loadChatUnread() {
	const me = session.user();
	if (!me)
		return;
	try {
		const answer = await get(`/api/profiles/${me.id}/conversations/unread_count`);
		setChatUnread(answer.count);
	} catch {
		// The badge keeps its last value; the next chat event tries again.
	}
}

// Chat events change the count in ways the page cannot work out alone (a
// message in a conversation that was not loaded, a read in another tab),
// so a burst of them reloads the count once.
let chatUnreadTimer = null;
function reloadChatUnreadSoon() {
	clearTimeout(chatUnreadTimer);
	chatUnreadTimer = setTimeout(loadChatUnread, 250);
}

export function isOnline(id) {
	const entry = presence.get(id);
	return Boolean(entry && entry.online);
}

function setPresence(id, online) {
	presence.set(id, { online });
	for (const dot of document.querySelectorAll(`[data-presence="${id}"]`))
		paintDot(dot, online);
}

function paintDot(dot, online) {
	dot.classList.toggle('online', online);
	dot.setAttribute('aria-label', online ? 'online' : 'offline');
	dot.title = online ? 'Online' : 'Offline';
}

export async function loadPresence() {
	if (!session.user())
		return;
	try {
		const list = await get('/api/presence/friends');
		for (const entry of list)
			setPresence(entry.id, entry.online);
	} catch {
		// Dots stay as they were until the next resync.
	}
}

// Dots added to the page after the state loaded take their colour here.
const observer = new MutationObserver((records) => {
	for (const record of records) {
		for (const node of record.addedNodes) {
			if (node.nodeType !== 1)
				continue;
			const dots = node.matches('[data-presence]') ? [node] : node.querySelectorAll('[data-presence]');
			for (const dot of dots)
				paintDot(dot, isOnline(dot.dataset.presence));
		}
	}
});
observer.observe(document.documentElement, { childList: true, subtree: true });

export function reset() {
	presence.clear();
	clearTimeout(chatUnreadTimer);
	setUnread(0);
	setChatUnread(0);
}

on('rt:notification', (n) => {
	if (!n.read)
		setUnread(unread.count + 1);
});
on('rt:notifications_read', (data) => setUnread(data.unreadCount));
on('rt:presence', (data) => setPresence(data.profileId, data.online));
on('rt:add_friend', () => loadPresence());
for (const type of ['chat_message', 'chat_message_deleted', 'chat_read', 'conversation_created', 'conversation_left'])
	on('rt:' + type, reloadChatUnreadSoon);
on('resync', () => {
	loadUnread();
	loadChatUnread();
	loadPresence();
});
