// One conversation (/chat/{group}): history with the newest message at
// the bottom and older pages loaded when scrolling up, the send box, live
// messages, edits and deletes, read receipts, the typing indicator, and
// the group's settings (rename, add a friend, leave).  A private chat
// whose two people are no longer friends is shown read-only.
import { h, replace, avatar, spinner, timeAgo, icon } from '../dom.js';
import { get, post, patch, del, describe } from '../api.js';
import { on } from '../bus.js';
import * as session from '../session.js';
import * as router from '../router.js';
import { errorBox, toast } from '../components.js';
import { conversationTitle, loadPrivateChats } from '../chat.js';

const PAGE = 30;
const MAX_LENGTH = 4096;
const TYPING_EVERY_MS = 2000;
const TYPING_SHOWN_MS = 5000;
// Closer than this to the bottom counts as reading the newest messages.
const NEAR_BOTTOM_PX = 80;

function codePoints(text) {
	return [...text].length;
}

export async function chatView({ root, params, setTitle, signal }) {
	const me = session.user();
	const groupId = params.group;
	replace(root, spinner());
	let conversation;
	try {
		conversation = await get(`/api/chat/${groupId}`);
	} catch (err) {
		if (err.status === 403 || err.status === 404 || err.status === 422)
			return replace(root, h('div.card.not-found', null, h('h1', null, 'Conversation not found'),
				h('p', null, 'It does not exist, or you are not one of its members.'),
				h('a.button', { href: '/chat' }, 'All conversations')));
		return replace(root, errorBox(err, () => chatView({ root, params, setTitle, signal })));
	}
	if (signal.aborted)
		return;
	const room = new ChatRoom(conversation, root, setTitle, signal);
	room.start();
}

class ChatRoom {
	constructor(conversation, root, setTitle, signal) {
		this.me = session.user();
		this.conversation = conversation;
		this.groupId = conversation.chatGroupId;
		this.root = root;
		this.setTitle = setTitle;
		this.signal = signal;
		this.messages = [];          // oldest first
		this.elements = new Map();   // message id -> li
		this.readers = new Map();    // other member id -> message id their marker is on
		this.typers = new Map();     // member id -> {username, timer}
		this.lastMarked = conversation.readMessageId;
		this.lastTypingSent = 0;
		this.closed = false;
		this.olderDone = false;
		this.loadingOlder = false;
	}

	otherMember() {
		return this.conversation.members.find((m) => m.id !== this.me.id) || null;
	}

	start() {
		this.heading = h('h1.chat-title');
		this.subtitle = h('p.chat-members');
		this.settings = h('div.chat-settings');
		this.list = h('ol.chat-messages', { 'aria-label': 'Messages' });
		this.top = h('div.chat-top');
		this.scroller = h('div.chat-scroll', { tabindex: 0, 'aria-label': 'Message history' }, this.top, this.list);
		this.typing = h('p.chat-typing', { 'aria-live': 'polite' });
		this.footer = h('div.chat-footer');
		replace(this.root, h('section.card.chat-room', { 'aria-labelledby': 'chat-title' },
			h('header.chat-head', null,
				h('a.action.chat-back', { href: '/chat', title: 'All conversations' }, h('span.chat-back-arrow', { 'aria-hidden': 'true' }, '←'), h('span.visually-hidden', null, 'All conversations')),
				h('div.chat-head-text', null, this.heading, this.subtitle),
				this.settings),
			this.scroller, this.typing, this.footer));
		this.heading.id = 'chat-title';
		this.paintHead();
		this.paintFooter();
		this.listen();
		this.loadNewest();
		if (this.conversation.private)
			this.checkClosed();
	}

	paintHead() {
		const c = this.conversation;
		const title = conversationTitle(c);
		this.setTitle(title);
		this.heading.textContent = title;
		if (c.private) {
			const other = this.otherMember();
			replace(this.subtitle, other ? h('a', { href: `/profile/${other.id}` }, 'View profile') : null);
			replace(this.settings);
		} else {
			this.subtitle.textContent = `${c.members.length} members: ${c.members.map((m) => m.username).join(', ')}`;
			if (!this.settings.firstChild)
				replace(this.settings, this.groupMenu());
		}
	}

	// --------------------------------------------------------------- history

	async loadNewest() {
		replace(this.top, spinner());
		try {
			const page = await get(`/api/chat/${this.groupId}/messages`, { limit: PAGE });
			if (this.signal.aborted)
				return;
			this.olderDone = page.length < PAGE;
			for (const m of page.reverse())
				this.add(m, { quiet: true });
			this.paintTop();
			this.scrollToBottom();
			this.observeTop();
			this.markRead();
		} catch (err) {
			replace(this.top, errorBox(err, () => this.loadNewest()));
		}
	}

	async loadOlder() {
		if (this.loadingOlder || this.olderDone || this.messages.length === 0)
			return;
		this.loadingOlder = true;
		replace(this.top, spinner('Loading older messages'));
		const oldest = this.messages[0];
		try {
			const page = await get(`/api/chat/${this.groupId}/messages`, { limit: PAGE, older_than: oldest.createdAt, older_than_id: oldest.id });
			if (this.signal.aborted)
				return;
			this.olderDone = page.length < PAGE;
			// Keep the messages on screen where they are while older ones
			// go in above them.
			const fromBottom = this.scroller.scrollHeight - this.scroller.scrollTop;
			for (const m of page)
				this.prepend(m);
			this.paintTop();
			this.scroller.scrollTop = this.scroller.scrollHeight - fromBottom;
			this.paintSeen();
		} catch (err) {
			replace(this.top, errorBox(err, () => this.loadOlder()));
		} finally {
			this.loadingOlder = false;
		}
	}

	paintTop() {
		if (this.olderDone)
			replace(this.top, h('p.chat-start', null, this.messages.length ? 'The start of this conversation' : 'No messages yet. Say hello!'));
		else
			replace(this.top, h('button.button.button-quiet.button-small', { type: 'button', onclick: () => this.loadOlder() }, 'Show older messages'));
	}

	observeTop() {
		const observer = new IntersectionObserver((entries) => {
			if (entries.some((e) => e.isIntersecting))
				this.loadOlder();
		}, { root: this.scroller, rootMargin: '200px 0px 0px 0px' });
		observer.observe(this.top);
		this.signal.addEventListener('abort', () => observer.disconnect());
	}

	nearBottom() {
		const s = this.scroller;
		return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
	}

	scrollToBottom() {
		this.scroller.scrollTop = this.scroller.scrollHeight;
	}

	// --------------------------------------------------------------- messages

	messageItem(m) {
		const mine = m.fromProfileId === this.me.id;
		const content = h('p.chat-text', null, m.content);
		const edited = m.editedAt ? h('span.chat-edited', { title: `Edited ${new Date(m.editedAt).toLocaleString('en')}` }, 'edited') : null;
		const actions = mine ? h('div.chat-actions', null,
			this.closed ? null : h('button.link-button.chat-edit', { type: 'button', onclick: () => this.startEdit(m) }, 'Edit'),
			h('button.link-button.chat-delete', { type: 'button', onclick: () => this.remove(m) }, 'Delete')) : null;
		return h('li.chat-message', { class: mine ? 'mine' : null, dataset: { messageId: m.id, from: m.fromProfileId } },
			mine ? null : avatar(m.fromProfileId, '', 'sm'),
			h('div.chat-bubble-area', null,
				mine || this.conversation.private ? null : h('span.chat-author', null, m.fromProfileUsername),
				h('div.chat-bubble', null, content),
				h('div.chat-meta', null, timeAgo(m.createdAt), edited, actions)));
	}

	// Adds a message at the bottom, unless it is already there.
	add(m, { quiet = false } = {}) {
		if (this.elements.has(m.id))
			return;
		const atBottom = this.nearBottom();
		const li = this.messageItem(m);
		this.messages.push(m);
		this.elements.set(m.id, li);
		this.list.append(li);
		if (m.fromProfileId !== this.me.id) {
			// Sending moves the sender's read marker to their message.
			this.readers.set(m.fromProfileId, m.id);
			this.stopTyping(m.fromProfileId);
		}
		if (quiet)
			return;
		if (this.olderDone && this.messages.length === 1)
			this.paintTop();
		if (atBottom || m.fromProfileId === this.me.id)
			this.scrollToBottom();
		this.paintSeen();
		this.markRead();
	}

	prepend(m) {
		if (this.elements.has(m.id))
			return;
		const li = this.messageItem(m);
		this.messages.unshift(m);
		this.elements.set(m.id, li);
		this.list.prepend(li);
	}

	replaceMessage(m) {
		const index = this.messages.findIndex((x) => x.id === m.id);
		if (index < 0)
			return;
		this.messages[index] = m;
		const li = this.messageItem(m);
		this.elements.get(m.id).replaceWith(li);
		this.elements.set(m.id, li);
		this.paintSeen();
	}

	dropMessage(id) {
		const index = this.messages.findIndex((x) => x.id === id);
		if (index < 0)
			return;
		this.messages.splice(index, 1);
		this.elements.get(id).remove();
		this.elements.delete(id);
		this.paintSeen();
	}

	startEdit(m) {
		const li = this.elements.get(m.id);
		const bubble = li.querySelector('.chat-bubble');
		const box = h('textarea.chat-edit-box', { rows: 2, 'aria-label': 'Edit message' });
		box.value = m.content;
		const status = h('div.form-error', { role: 'alert' });
		const save = async () => {
			const text = box.value;
			if (!text.trim())
				return replace(status, 'A message cannot be empty. Delete it instead.');
			if (codePoints(text) > MAX_LENGTH)
				return replace(status, `A message can be at most ${MAX_LENGTH} characters.`);
			try {
				this.replaceMessage(await patch(`/api/chat/${this.groupId}/messages/${m.id}`, { content: text }));
			} catch (err) {
				replace(status, describe(err));
				if (err.status === 403)
					this.checkClosed();
			}
		};
		box.addEventListener('keydown', (event) => {
			if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
				event.preventDefault();
				save();
			} else if (event.key === 'Escape') {
				this.replaceMessage(m);
			}
		});
		replace(bubble, box, h('div.chat-edit-actions', null,
			h('button.button.button-small.button-quiet', { type: 'button', onclick: () => this.replaceMessage(m) }, 'Cancel'),
			h('button.button.button-small', { type: 'button', onclick: save }, 'Save')), status);
		box.focus();
	}

	async remove(m) {
		if (!confirm('Delete this message for everyone?'))
			return;
		try {
			await del(`/api/chat/${this.groupId}/messages/${m.id}`);
			this.dropMessage(m.id);
		} catch (err) {
			toast(describe(err), 'error');
		}
	}

	// ------------------------------------------------------------- receipts

	// Marks the newest message read when it is on screen and the tab is
	// visible.  The marker only moves forward, so repeats are harmless.
	async markRead() {
		const newest = this.messages[this.messages.length - 1];
		if (!newest || newest.id === this.lastMarked || newest.fromProfileId === this.me.id)
			return;
		if (document.visibilityState !== 'visible' || !this.nearBottom())
			return;
		this.lastMarked = newest.id;
		try {
			await post(`/api/chat/${this.groupId}/read`, { chatMessageId: newest.id });
		} catch {
			// The next scroll or message tries again.
			this.lastMarked = null;
		}
	}

	// "Seen" (private) or "Seen by …" (group) under my newest message that
	// other members have read.  Their markers come from chat_read events and
	// from their own messages, since sending moves the sender's marker.
	paintSeen() {
		for (const old of this.list.querySelectorAll('.chat-seen'))
			old.remove();
		const names = new Map(this.conversation.members.map((m) => [m.id, m.username]));
		const positions = [];
		for (const [profileId, messageId] of this.readers) {
			const index = this.messages.findIndex((x) => x.id === messageId);
			if (index >= 0 && names.has(profileId))
				positions.push([index, names.get(profileId)]);
		}
		const furthest = Math.max(-1, ...positions.map(([index]) => index));
		let target = -1;
		for (let i = furthest; i >= 0; i--) {
			if (this.messages[i].fromProfileId === this.me.id) {
				target = i;
				break;
			}
		}
		if (target < 0)
			return;
		const who = positions.filter(([index]) => index >= target).map(([, name]) => name).sort();
		const text = this.conversation.private ? 'Seen' : `Seen by ${who.join(', ')}`;
		this.elements.get(this.messages[target].id).append(h('p.chat-seen', null, text));
	}

	// --------------------------------------------------------------- typing

	showTyping(profileId, username) {
		const old = this.typers.get(profileId);
		if (old)
			clearTimeout(old.timer);
		const timer = setTimeout(() => this.stopTyping(profileId), TYPING_SHOWN_MS);
		this.typers.set(profileId, { username, timer });
		this.paintTyping();
	}

	stopTyping(profileId) {
		const old = this.typers.get(profileId);
		if (!old)
			return;
		clearTimeout(old.timer);
		this.typers.delete(profileId);
		this.paintTyping();
	}

	paintTyping() {
		const names = [...this.typers.values()].map((t) => t.username);
		if (names.length === 0)
			this.typing.textContent = '';
		else if (names.length === 1)
			this.typing.textContent = `${names[0]} is typing…`;
		else if (names.length === 2)
			this.typing.textContent = `${names[0]} and ${names[1]} are typing…`;
		else
			this.typing.textContent = 'Several people are typing…';
	}

	tellTyping() {
		const now = Date.now();
		if (this.closed || now - this.lastTypingSent < TYPING_EVERY_MS)
			return;
		this.lastTypingSent = now;
		post(`/api/chat/${this.groupId}/typing`).catch(() => {});
	}

	// ------------------------------------------------------------ send box

	paintFooter() {
		if (this.closed) {
			const other = this.otherMember();
			replace(this.footer, h('p.notice.chat-closed', { role: 'status' },
				icon('lock'),
				h('span', null, `You and ${other ? other.username : 'this person'} are no longer friends, so this conversation is read-only. Its history stays here.`)));
			return;
		}
		const text = h('textarea#chat-input', { rows: 1, placeholder: 'Write a message', 'aria-label': 'Write a message', 'aria-describedby': 'chat-send-help' });
		const counter = h('span.chat-counter', { 'aria-live': 'polite' });
		const status = h('div.form-error', { role: 'alert' });
		const submit = h('button.button.chat-send', { type: 'submit' }, 'Send');
		const send = async () => {
			const content = text.value;
			if (!content.trim())
				return;
			if (codePoints(content) > MAX_LENGTH)
				return replace(status, `A message can be at most ${MAX_LENGTH} characters.`);
			replace(status);
			submit.disabled = true;
			try {
				const sent = await post(`/api/chat/${this.groupId}/messages`, { content });
				text.value = '';
				paintCount();
				this.lastTypingSent = 0;
				this.add(sent);
			} catch (err) {
				replace(status, describe(err));
				if (err.status === 403)
					this.checkClosed();
			} finally {
				submit.disabled = false;
				text.focus();
			}
		};
		const paintCount = () => {
			const used = codePoints(text.value);
			counter.textContent = used > MAX_LENGTH - 200 ? `${used} / ${MAX_LENGTH}` : '';
			counter.classList.toggle('over', used > MAX_LENGTH);
			// Grow with the text up to a few lines.
			text.style.height = 'auto';
			text.style.height = `${Math.min(text.scrollHeight + 2, 160)}px`;
		};
		text.addEventListener('keydown', (event) => {
			if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
				event.preventDefault();
				send();
			}
		});
		text.addEventListener('input', () => {
			paintCount();
			if (text.value.trim())
				this.tellTyping();
		});
		replace(this.footer, h('form.chat-form', { onsubmit: (event) => { event.preventDefault(); send(); } },
			text, submit,
			h('div.chat-form-info', null, h('span#chat-send-help.muted', null, 'Enter sends, Shift+Enter starts a new line'), counter),
			status));
	}

	// A private chat is closed when its two people are no longer friends.
	async checkClosed() {
		const other = this.otherMember();
		if (!this.conversation.private || !other)
			return;
		let closed;
		try {
			const chats = await loadPrivateChats({ fresh: true });
			closed = !chats.some((c) => c.chatGroupId === this.groupId);
		} catch {
			return;
		}
		if (this.signal.aborted || closed === this.closed)
			return;
		this.setClosed(closed);
	}

	setClosed(closed) {
		this.closed = closed;
		this.paintFooter();
		for (const m of this.messages) {
			if (m.fromProfileId === this.me.id)
				this.replaceMessage(m);
		}
	}

	// ---------------------------------------------------------- group menu

	groupMenu() {
		const panel = h('div.chat-settings-panel', { hidden: true });
		const toggle = h('button.button.button-quiet.button-small', {
			type: 'button', 'aria-expanded': 'false', 'aria-controls': 'chat-settings-panel',
			onclick: () => {
				panel.hidden = !panel.hidden;
				toggle.setAttribute('aria-expanded', String(!panel.hidden));
				if (!panel.hidden)
					this.fillSettings(panel);
			},
		}, 'Group settings');
		panel.id = 'chat-settings-panel';
		this.settingsPanel = panel;
		return [toggle, panel];
	}

	fillSettings(panel) {
		const c = this.conversation;
		const status = h('div.form-error', { role: 'alert' });
		const name = h('input#chat-rename', { type: 'text', maxlength: 64, autocomplete: 'off', placeholder: 'No name' });
		name.value = c.chatGroupName || '';
		const rename = h('form.chat-settings-row', {
			onsubmit: async (event) => {
				event.preventDefault();
				replace(status);
				try {
					this.conversation = await patch(`/api/chat/${this.groupId}`, { name: name.value.trim() || null });
					this.paintHead();
					toast('Group renamed.');
				} catch (err) {
					replace(status, describe(err));
				}
			},
		}, h('label', { for: 'chat-rename' }, 'Name'), name, h('button.button.button-small', { type: 'submit' }, 'Rename'));
		const pick = h('select#chat-add', null, h('option', { value: '' }, 'Choose a friend'));
		loadPrivateChats().then((chats) => {
			const members = new Set(this.conversation.members.map((m) => m.id));
			for (const friend of chats) {
				if (!members.has(friend.profileId))
					pick.append(h('option', { value: friend.profileId }, friend.username));
			}
		}, () => {});
		const add = h('form.chat-settings-row', {
			onsubmit: async (event) => {
				event.preventDefault();
				if (!pick.value)
					return replace(status, 'Choose a friend to add.');
				replace(status);
				try {
					this.conversation = await post(`/api/chat/${this.groupId}/members`, { profileId: pick.value });
					this.paintHead();
					this.fillSettings(panel);
					toast('Friend added.');
				} catch (err) {
					replace(status, describe(err));
				}
			},
		}, h('label', { for: 'chat-add' }, 'Add'), pick, h('button.button.button-small', { type: 'submit' }, 'Add'));
		const leave = h('button.button.button-quiet.button-small.chat-leave', {
			type: 'button',
			onclick: async () => {
				if (!confirm('Leave this group? You will no longer see its messages.'))
					return;
				try {
					await del(`/api/chat/${this.groupId}/members/${this.me.id}`);
					router.navigate('/chat');
				} catch (err) {
					replace(status, describe(err));
				}
			},
		}, 'Leave group');
		replace(panel, rename, add, leave, status);
	}

	// -------------------------------------------------------------- events

	listen() {
		const mine = (data) => data && data.chatGroupId === this.groupId;
		const signal = this.signal;
		on('rt:chat_message', (m) => { if (mine(m)) this.add(m); }, signal);
		on('rt:chat_message_edited', (m) => { if (mine(m)) this.replaceMessage(m); }, signal);
		on('rt:chat_message_deleted', (d) => { if (mine(d)) this.dropMessage(d.id); }, signal);
		on('rt:chat_read', (d) => {
			if (!mine(d))
				return;
			if (d.profileId === this.me.id) {
				this.lastMarked = d.chatMessageId;
				return;
			}
			this.readers.set(d.profileId, d.chatMessageId);
			this.paintSeen();
		}, signal);
		on('rt:is_typing', (d) => {
			if (mine(d) && d.profileId !== this.me.id)
				this.showTyping(d.profileId, d.username);
		}, signal);
		on('rt:conversation_updated', (d) => {
			if (!mine(d))
				return;
			Object.assign(this.conversation, d);
			this.paintHead();
		}, signal);
		on('rt:conversation_left', (d) => {
			if (mine(d))
				router.navigate('/chat', { replace: true });
		}, signal);
		on('rt:remove_friend', (d) => {
			const other = this.otherMember();
			if (this.conversation.private && other && d.profileId === other.id)
				this.setClosed(true);
		}, signal);
		on('rt:add_friend', (d) => {
			if (this.conversation.private && d.chatGroupId === this.groupId)
				this.setClosed(false);
		}, signal);
		on('resync', () => this.resync(), signal);
		this.scroller.addEventListener('scroll', () => this.markRead(), { signal });
		document.addEventListener('visibilitychange', () => this.markRead(), { signal });
		signal.addEventListener('abort', () => {
			for (const t of this.typers.values())
				clearTimeout(t.timer);
		});
	}

	// After missed events: take the newest page again and merge it.
	async resync() {
		try {
			const page = await get(`/api/chat/${this.groupId}/messages`, { limit: PAGE });
			if (this.signal.aborted)
				return;
			const newest = new Map(page.map((m) => [m.id, m]));
			const oldestShown = page.length ? page[page.length - 1] : null;
			for (const m of [...this.messages]) {
				if (oldestShown && m.createdAt >= oldestShown.createdAt && !newest.has(m.id))
					this.dropMessage(m.id);
				else if (newest.has(m.id) && newest.get(m.id).editedAt !== m.editedAt)
					this.replaceMessage(newest.get(m.id));
			}
			for (const m of page.reverse())
				this.add(m);
		} catch {
			// The history stays as it is; the next resync tries again.
		}
	}
}
