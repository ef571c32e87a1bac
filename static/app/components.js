// Pieces that several views share: error boxes with a retry, infinite
// lists over the API's keyset pages, posts, the post form, comments and
// the relationship button.
import { h, replace, icon, avatar, timeAgo, spinner, presenceDot } from './dom.js';
import { api, get, post, put, del, describe, olderThan } from './api.js';
import * as session from './session.js';

export function errorBox(err, retry) {
	return h('div.notice.notice-error', { role: 'alert' },
		h('p', null, describe(err)),
		retry ? h('button.button.button-small', { type: 'button', onclick: retry }, icon('refresh'), 'Try again') : null);
}

// A short message that fades after a few seconds, for actions whose
// result is otherwise visible.
export function toast(text, kind = 'info') {
	let area = document.getElementById('toasts');
	const item = h('div.toast.toast-' + kind, { role: kind === 'error' ? 'alert' : 'status' }, text);
	area.append(item);
	setTimeout(() => item.remove(), 5000);
}

// An endlessly scrolling list.  load(items so far) returns the next page;
// a page shorter than pageSize ends the list.
export function pager({ load, render, empty, pageSize, signal, className = 'list' }) {
	const list = h('ul.' + className.split(' ').join('.'));
	const footer = h('div.pager-footer');
	const root = h('div.pager', null, list, footer);
	const items = [];
	let busy = false;
	let done = false;

	async function more() {
		if (busy || done)
			return;
		busy = true;
		replace(footer, spinner());
		try {
			const page = await load(items);
			if (signal && signal.aborted)
				return;
			for (const item of page) {
				items.push(item);
				list.append(h('li', null, render(item)));
			}
			done = page.length < pageSize;
			if (done && items.length === 0)
				replace(footer, h('p.empty', null, empty));
			else if (done)
				replace(footer);
			else
				replace(footer, h('button.button.button-quiet', { type: 'button', onclick: more }, 'Show more'));
		} catch (err) {
			// No automatic retry: the person chooses when to try again.
			replace(footer, errorBox(err, more));
			busy = false;
			return;
		}
		busy = false;
		if (!done)
			requestAnimationFrame(checkVisible);
	}

	function checkVisible() {
		if (!root.isConnected)
			return;
		const rect = footer.getBoundingClientRect();
		if (rect.top < window.innerHeight + 400)
			more();
	}

	const observer = new IntersectionObserver((entries) => {
		if (entries.some((e) => e.isIntersecting))
			more();
	}, { rootMargin: '400px' });
	observer.observe(footer);
	if (signal)
		signal.addEventListener('abort', () => observer.disconnect());

	root.prepend = (item) => {
		items.unshift(item);
		list.prepend(h('li', null, render(item)));
		const emptyNote = footer.querySelector('.empty');
		if (emptyNote)
			emptyNote.remove();
	};
	root.items = items;
	more();
	return root;
}

const names = new Map();

// A profile's username by id, fetched once per page load.
export function profileName(id) {
	if (!names.has(id))
		names.set(id, get(`/api/profiles/${id}`).then((p) => p.username).catch(() => null));
	return names.get(id);
}

export function profileLink(id, username, extra) {
	return h('a.profile-link', { href: `/profile/${id}` }, username, extra);
}

function likeButton(item, path) {
	// A toggle button: its name stays "Like" and aria-pressed tells the
	// state; the count is visible text, read after the name.
	const count = h('span.count');
	const unit = h('span.visually-hidden');
	const button = h('button.action.like', { type: 'button', title: 'Like' }, icon('heart'), h('span.visually-hidden', null, 'Like'), count, unit);
	function paint() {
		button.setAttribute('aria-pressed', String(item.likedByMe));
		count.textContent = item.likesCount > 0 ? String(item.likesCount) : '';
		if (item.likesCount === 0)
			unit.textContent = '';
		else
			unit.textContent = item.likesCount === 1 ? ' like' : ' likes';
	}
	button.addEventListener('click', async () => {
		if (!session.user())
			return toast('Log in to like posts.');
		const liked = !item.likedByMe;
		item.likedByMe = liked;
		item.likesCount += liked ? 1 : -1;
		paint();
		button.disabled = true;
		try {
			await (liked ? put : del)(path);
		} catch (err) {
			item.likedByMe = !liked;
			item.likesCount += liked ? -1 : 1;
			paint();
			toast(describe(err), 'error');
		} finally {
			button.disabled = false;
		}
	});
	paint();
	return button;
}

export function postCard(p, { onDeleted, full = false } = {}) {
	const me = session.user();
	const wall = h('span.wall');
	if (p.wallProfileId !== p.profileId) {
		profileName(p.wallProfileId).then((name) => {
			if (name)
				replace(wall, h('span.wall-arrow', { 'aria-hidden': 'true' }, '▸'), h('span.visually-hidden', null, ' on the wall of '), profileLink(p.wallProfileId, name));
		});
	}
	const privacy = p.privacy === 'FRIENDS'
		? h('span.privacy', { title: 'Friends only' }, icon('lock', 'Friends only'))
		: h('span.privacy', { title: 'Public' }, icon('globe', 'Public'));
	const canDelete = me && (me.id === p.profileId || me.id === p.wallProfileId);
	const card = h('article.card.post', { dataset: { postId: p.id } },
		h('header.post-head', null,
			avatar(p.profileId, p.username),
			h('div.post-meta', null,
				h('div.post-names', null, profileLink(p.profileId, p.username), wall),
				h('div.post-sub', null, h('a.time-link', { href: `/post/${p.id}` }, timeAgo(p.createdAt)), ' · ', privacy)),
			canDelete ? h('button.action.delete', {
				type: 'button', 'aria-label': 'Delete post', title: 'Delete post',
				onclick: async () => {
					if (!confirm('Delete this post?'))
						return;
					try {
						await del(`/api/posts/${p.id}`);
						card.closest('li') ? card.closest('li').remove() : card.remove();
						if (onDeleted)
							onDeleted(p);
					} catch (err) {
						toast(describe(err), 'error');
					}
				},
			}, icon('trash')) : null),
		h('p.post-content', null, p.content),
		h('footer.post-actions', null,
			likeButton(p, `/api/posts/${p.id}/like`),
			full ? h('span.action.static', null, icon('comment'), h('span.count.comments-count', null, String(p.commentsCount)))
				: h('a.action', { href: `/post/${p.id}`, title: 'Comments' }, icon('comment'),
					h('span.count', null, p.commentsCount ? String(p.commentsCount) : ''),
					h('span.visually-hidden', null, p.commentsCount === 1 ? ' comment' : ' comments'))));
	return card;
}

// The "write something" box.  Keeps the text when posting fails.
export function postForm({ wallProfileId, placeholder, onPosted }) {
	const text = h('textarea', { name: 'content', rows: 3, maxlength: 4096, required: true, placeholder, 'aria-label': placeholder });
	const privacy = h('select', { name: 'privacy', 'aria-label': 'Who can see this post' },
		h('option', { value: 'PUBLIC' }, 'Public'),
		h('option', { value: 'FRIENDS' }, 'Friends only'));
	const status = h('div.form-error', { role: 'alert' });
	const submit = h('button.button', { type: 'submit' }, 'Post');
	const form = h('form.card.composer', {
		onsubmit: async (event) => {
			event.preventDefault();
			replace(status);
			submit.disabled = true;
			try {
				const created = await post('/api/posts', { content: text.value, wallProfileId, privacy: privacy.value });
				text.value = '';
				onPosted(created);
			} catch (err) {
				replace(status, describe(err));
			} finally {
				submit.disabled = false;
			}
		},
	}, text, h('div.composer-row', null, h('label.select', null, privacy), submit), status);
	return form;
}

export function commentItem(c, p, onDeleted) {
	const me = session.user();
	const canDelete = me && (me.id === c.profileId || me.id === p.profileId || me.id === p.wallProfileId);
	const item = h('div.comment', { dataset: { commentId: c.id } },
		avatar(c.profileId, c.username, 'sm'),
		h('div.comment-body', null,
			h('div.comment-bubble', null, profileLink(c.profileId, c.username), h('p', null, c.content)),
			h('div.comment-actions', null,
				timeAgo(c.createdAt),
				likeButton(c, `/api/comments/${c.id}/like`),
				canDelete ? h('button.link-button', {
					type: 'button',
					onclick: async () => {
						try {
							await del(`/api/comments/${c.id}`);
							item.closest('li').remove();
							onDeleted();
						} catch (err) {
							toast(describe(err), 'error');
						}
					},
				}, 'Delete') : null)));
	return item;
}

// State names of GET .../relationships/{other}, with the actions each allows.
export function relationshipButton(profileId, { onChange } = {}) {
	const me = session.user();
	const box = h('div.relationship');
	if (!me || me.id === profileId)
		return box;
	const base = `/api/profiles/${me.id}`;
	const actions = {
		NONE: [['Add friend', 'primary', () => post(`${base}/outgoing_friend_requests/${profileId}`)]],
		OUTGOING_FRIEND_REQUEST: [['Cancel request', 'quiet', () => del(`${base}/outgoing_friend_requests/${profileId}`)]],
		INCOMING_FRIEND_REQUEST: [
			['Accept', 'primary', () => post(`${base}/friends/${profileId}`)],
			['Reject', 'quiet', () => del(`${base}/incoming_friend_requests/${profileId}`)],
		],
		FRIEND: [['Unfriend', 'quiet', () => del(`${base}/friends/${profileId}`), 'Remove this friend?']],
	};
	const labels = {
		OUTGOING_FRIEND_REQUEST: 'Request sent',
		INCOMING_FRIEND_REQUEST: 'Wants to be your friend',
		FRIEND: 'Friends',
	};

	async function load() {
		replace(box, spinner());
		try {
			paint(await get(`${base}/relationships/${profileId}`));
		} catch (err) {
			replace(box, errorBox(err, load));
		}
	}

	function paint(state) {
		const previous = box.dataset.state;
		box.dataset.state = state;
		if (previous && previous !== state && onChange)
			onChange(state);
		replace(box,
			labels[state] ? h('span.relationship-state', null, labels[state]) : null,
			(actions[state] || []).map(([label, kind, run, question]) => h('button.button.button-' + kind, {
				type: 'button',
				onclick: async (event) => {
					if (question && !confirm(question))
						return;
					event.currentTarget.disabled = true;
					try {
						await run();
					} catch (err) {
						toast(describe(err), 'error');
					}
					await load();
				},
			}, label)));
	}

	box.reload = load;
	load();
	return box;
}

export function personRow(person, { extra, actions, presence = false } = {}) {
	return h('div.person',
		null,
		h('a.person-avatar', { href: `/profile/${person.id}`, tabindex: -1, 'aria-hidden': 'true' }, avatar(person.id, person.username)),
		h('div.person-text', null,
			h('div.person-name', null, profileLink(person.id, person.username), presence ? presenceDot(person.id) : null),
			extra ? h('div.person-extra', null, extra) : null),
		actions || null);
}

export { api };
