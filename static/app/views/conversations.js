// The conversations page (/chat).  It lists my conversations with their
// latest message and unread count, kept in order by the stream.  It also
// has the friends panel with online dots to open a private chat, and the
// form that starts a group conversation.
import { h, replace, avatar, presenceDot, spinner, timeAgo, icon } from '../dom.js';
import { get, post, describe } from '../api.js';
import { on } from '../bus.js';
import * as session from '../session.js';
import * as router from '../router.js';
import { errorBox } from '../components.js';
import { conversationTitle, loadPrivateChats } from '../chat.js';

const PAGE = 20;

// Keyset order of the list: latest message first, ties by group id.
function isBefore(a, b) {
	if (a.createdAt !== b.createdAt)
		return a.createdAt > b.createdAt;
	return a.chatGroupId > b.chatGroupId;
}

function conversationRow(c) {
	const me = session.user();
	const title = conversationTitle(c);
	const others = c.members.filter((m) => m.id !== me.id);
	const picture = c.private && others[0]
		? avatar(others[0].id, '', 'md')
		: h('span.group-avatar', { 'aria-hidden': 'true' }, icon('friends'));
	const author = c.fromProfileId === me.id ? 'You' : (c.private ? null : c.fromProfileUsername);
	const unread = c.unreadCount > 0;
	return h('a.conversation', { href: `/chat/${c.chatGroupId}`, class: unread ? 'unread' : null, dataset: { group: c.chatGroupId } },
		picture,
		h('span.conversation-text', null,
			h('span.conversation-title', null,
				h('span.conversation-name', null, title),
				c.createdAt ? timeAgo(c.createdAt) : null),
			h('span.conversation-preview', null,
				author ? h('span.conversation-author', null, `${author}: `) : null,
				c.content === null ? 'No messages yet' : c.content)),
		unread ? h('span.chat-unread', { 'aria-label': `${c.unreadCount} unread` }, c.unreadCount > 99 ? '99+' : String(c.unreadCount)) : null);
}

function conversationList(signal) {
	const list = h('ul.list.conversations');
	const footer = h('div.pager-footer');
	const root = h('div.pager', null, list, footer);
	const rows = new Map();
	let done = false;
	let busy = false;

	function last() {
		const items = [...rows.values()];
		return items.length ? items[items.length - 1].data : null;
	}

	function place(c) {
		const old = rows.get(c.chatGroupId);
		if (old)
			old.li.remove();
		rows.delete(c.chatGroupId);
		if (!c.createdAt)
			return;
		// Insert before the first loaded row that comes after it.  A row
		// that belongs after every loaded one waits for its page, unless
		// the list is complete.
		const entries = [...rows.values()];
		const next = entries.find((e) => isBefore(c, e.data));
		if (!next && !done)
			return;
		const li = h('li', null, conversationRow(c));
		list.insertBefore(li, next ? next.li : null);
		const ordered = new Map();
		for (const e of entries) {
			if (e === next)
				ordered.set(c.chatGroupId, { data: c, li });
			ordered.set(e.data.chatGroupId, e);
		}
		if (!next)
			ordered.set(c.chatGroupId, { data: c, li });
		rows.clear();
		for (const [key, value] of ordered)
			rows.set(key, value);
		paintFooter();
	}

	function paintFooter() {
		if (done && rows.size === 0)
			replace(footer, h('p.empty', null, 'No conversations yet. Pick a friend to start one.'));
		else if (done)
			replace(footer);
		else if (!busy)
			replace(footer, h('button.button.button-quiet', { type: 'button', onclick: more }, 'Show more'));
	}

	async function more() {
		if (busy || done)
			return;
		busy = true;
		replace(footer, spinner());
		const me = session.user();
		const tail = last();
		try {
			const page = await get(`/api/profiles/${me.id}/conversations`, {
				limit: PAGE,
				older_than: tail ? tail.createdAt : undefined,
				older_than_id: tail ? tail.chatGroupId : undefined,
			});
			if (signal.aborted)
				return;
			for (const c of page) {
				if (rows.has(c.chatGroupId))
					continue;
				const li = h('li', null, conversationRow(c));
				list.append(li);
				rows.set(c.chatGroupId, { data: c, li });
			}
			done = page.length < PAGE;
			busy = false;
			paintFooter();
		} catch (err) {
			busy = false;
			replace(footer, errorBox(err, more));
		}
	}

	// Reloads one conversation after an event about it.
	async function refresh(groupId) {
		try {
			const c = await get(`/api/chat/${groupId}`);
			if (!signal.aborted)
				place(c);
		} catch (err) {
			if (err.status === 403 || err.status === 404)
				place({ chatGroupId: groupId, createdAt: null });
		}
	}

	function reload() {
		rows.clear();
		replace(list);
		done = false;
		more();
	}

	more();
	for (const type of ['chat_message', 'chat_message_edited', 'chat_message_deleted', 'conversation_created', 'conversation_updated'])
		on('rt:' + type, (data) => refresh(data.chatGroupId), signal);
	on('rt:chat_read', (data) => {
		if (data.profileId === session.user().id)
			refresh(data.chatGroupId);
	}, signal);
	on('rt:conversation_left', (data) => place({ chatGroupId: data.chatGroupId, createdAt: null }), signal);
	on('resync', reload, signal);
	return root;
}

// Friends with online dots; each opens the private chat with that friend.
function friendsPanel(signal) {
	const body = h('div.friends-panel-body', null, spinner());
	async function load(fresh) {
		try {
			const chats = await loadPrivateChats({ fresh });
			if (signal.aborted)
				return;
			replace(body, chats.length === 0
				? h('p.empty', null, 'Make friends to chat with them.')
				: h('ul.list.chat-friends', null, chats.map((c) => h('li', null,
					h('a.chat-friend', { href: `/chat/${c.chatGroupId}` },
						avatar(c.profileId, '', 'sm'),
						h('span.chat-friend-name', null, c.username),
						presenceDot(c.profileId))))));
		} catch (err) {
			replace(body, errorBox(err, () => load(true)));
		}
	}
	load(false);
	on('rt:add_friend', () => load(true), signal);
	on('rt:remove_friend', () => load(true), signal);
	return h('section.card.friends-panel', { 'aria-labelledby': 'chat-friends-title' },
		h('h2#chat-friends-title', null, 'Friends'), body);
}

// Pick friends and an optional name; creating opens the new conversation.
function groupForm(onClose) {
	const status = h('div.form-error', { role: 'alert' });
	const name = h('input#group-name', { type: 'text', maxlength: 64, autocomplete: 'off', placeholder: 'Optional' });
	const choices = h('fieldset.group-members', null, h('legend', null, 'Members'), spinner());
	const submit = h('button.button', { type: 'submit' }, 'Create group');
	loadPrivateChats().then((chats) => {
		replace(choices, h('legend', null, 'Members'), chats.length === 0
			? h('p.muted', null, 'You need friends to start a group.')
			: chats.map((c) => h('label.check', null,
				h('input', { type: 'checkbox', name: 'member', value: c.profileId }),
				avatar(c.profileId, '', 'xs'), c.username)));
	}, (err) => replace(choices, h('legend', null, 'Members'), errorBox(err)));
	const form = h('form.card.group-form', {
		'aria-label': 'New group',
		onsubmit: async (event) => {
			event.preventDefault();
			const memberIds = [...form.querySelectorAll('input[name=member]:checked')].map((box) => box.value);
			if (memberIds.length === 0)
				return replace(status, 'Pick at least one friend.');
			replace(status);
			submit.disabled = true;
			try {
				const trimmed = name.value.trim();
				const created = await post('/api/chat', { memberIds, name: trimmed || null });
				router.navigate(`/chat/${created.chatGroupId}`);
			} catch (err) {
				replace(status, describe(err));
				submit.disabled = false;
			}
		},
	},
	h('h2', null, 'New group'),
	h('div.field', null, h('label', { for: 'group-name' }, 'Name'), name),
	choices,
	h('div.composer-row', null, h('button.button.button-quiet', { type: 'button', onclick: onClose }, 'Cancel'), submit),
	status);
	return form;
}

export function conversationsView({ root, setTitle, signal }) {
	setTitle('Chat');
	const formArea = h('div.group-form-area');
	const newGroup = h('button.button.button-small', {
		type: 'button', 'aria-expanded': 'false',
		onclick: () => {
			if (formArea.firstChild)
				return close();
			newGroup.setAttribute('aria-expanded', 'true');
			replace(formArea, groupForm(close));
			formArea.querySelector('input').focus();
		},
	}, 'New group');
	function close() {
		newGroup.setAttribute('aria-expanded', 'false');
		replace(formArea);
	}
	replace(root,
		h('div.page-head', null, h('h1.page-title', null, 'Chat'), newGroup),
		formArea,
		h('div.chat-layout', null,
			h('section.card.flush.conversations-card', { 'aria-label': 'Conversations' }, conversationList(signal)),
			friendsPanel(signal)));
}
