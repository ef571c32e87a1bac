// The home feed, profile walls and the single post page.
import { h, replace, avatar, presenceDot, spinner, icon } from '../dom.js';
import { get, post, put, olderThan, describe } from '../api.js';
import { on } from '../bus.js';
import * as session from '../session.js';
import { pager, postCard, postForm, commentItem, relationshipButton, errorBox, profileLink } from '../components.js';
import { messageButton } from '../chat.js';

const POSTS_PAGE = 10;

export function feedView({ root, setTitle, signal }) {
	setTitle('Home');
	const me = session.user();
	const list = pager({
		load: (items) => get('/api/feed', { limit: POSTS_PAGE, ...olderThan(items) }),
		render: (p) => postCard(p),
		empty: 'Your feed is empty. Write something, or find friends to see their posts here.',
		pageSize: POSTS_PAGE, signal, className: 'list posts',
	});
	replace(root,
		h('h1.visually-hidden', null, 'Home feed'),
		postForm({ wallProfileId: me.id, placeholder: `What's new, ${me.username}?`, onPosted: (p) => list.prepend(p) }),
		list);
}

export async function profileView({ root, params, setTitle, signal }) {
	const me = session.user();
	const id = params.id;
	replace(root, spinner());
	let profile;
	try {
		profile = await get(`/api/profiles/${id}`);
	} catch (err) {
		if (err.status === 404 || err.status === 422)
			return replace(root, notFoundBox('No bunny lives here', 'This profile does not exist.'));
		return replace(root, errorBox(err, () => profileView({ root, params, setTitle, signal })));
	}
	if (signal.aborted)
		return;
	setTitle(profile.username);
	const isMe = me && me.id === id;
	const wallArea = h('div.wall-area');
	const joined = new Date(profile.registeredAt).toLocaleDateString('en', { year: 'numeric', month: 'long' });
	const stats = h('p.profile-stats', null,
		h('a', { href: `/profile/${id}/friends` }, `${profile.friendsCount} ${profile.friendsCount === 1 ? 'friend' : 'friends'}`),
		!isMe && profile.mutualFriendsCount ? [' · ', h('a', { href: `/profile/${id}/friends#mutual` }, `${profile.mutualFriendsCount} mutual`)] : null,
		` · joined ${joined}`);
	// The post form shows on my own wall and on friends' walls, so the
	// wall is drawn again when a friendship starts or ends.
	let canWrite = isMe;
	const message = isMe || !me ? null : messageButton(id);
	const relation = relationshipButton(id, {
		onChange: (state) => {
			if (message)
				message.reload();
			if ((state === 'FRIEND') !== canWrite)
				renderWall();
		},
	});
	const picture = h('img.avatar.avatar-xl', { src: profile.avatarUrl, alt: `${profile.username}'s avatar`, width: 120, height: 120 });
	const avatarArea = h('div.avatar-editor');
	replace(root,
		h('section.card.profile-head', null,
			h('div.profile-avatar', null, picture, isMe ? null : presenceDot(id)),
			h('div.profile-info', null, h('h1', null, profile.username), stats),
			h('div.profile-actions', null, isMe ? avatarButton(id, picture, avatarArea) : [message, relation]),
			avatarArea),
		wallArea);

	async function renderWall() {
		replace(wallArea);
		if (me && !isMe) {
			try {
				canWrite = (await get(`/api/profiles/${me.id}/relationships/${id}`)) === 'FRIEND';
			} catch {
				canWrite = false;
			}
		}
		if (signal.aborted)
			return;
		const list = pager({
			load: (items) => get('/api/posts', { wall_profile_id: id, limit: POSTS_PAGE, ...olderThan(items) }),
			render: (p) => postCard(p),
			empty: isMe ? 'Nothing on your wall yet. Say hello!' : `${profile.username} has no posts you can see yet.`,
			pageSize: POSTS_PAGE, signal, className: 'list posts',
		});
		replace(wallArea,
			canWrite ? postForm({
				wallProfileId: id,
				placeholder: isMe ? `What's new, ${me.username}?` : `Write something to ${profile.username}…`,
				onPosted: (p) => list.prepend(p),
			}) : null,
			list);
	}
	renderWall();
	on('rt:add_friend', (d) => { if (d.profileId === id) relation.reload(); }, signal);
	on('rt:remove_friend', (d) => { if (d.profileId === id) relation.reload(); }, signal);
	on('rt:friend_request', (d) => { if (d.profileId === id) relation.reload(); }, signal);
}

export async function postView({ root, params, setTitle, signal }) {
	replace(root, spinner());
	let p;
	try {
		p = await get(`/api/posts/${params.id}`);
	} catch (err) {
		if (err.status === 404 || err.status === 422)
			return replace(root, notFoundBox('Post not found', 'It may have been deleted.'));
		if (err.status === 403)
			return replace(root, notFoundBox('This post is private', 'Only the wall owner\'s friends can see it.'));
		return replace(root, errorBox(err, () => postView({ root, params, setTitle, signal })));
	}
	if (signal.aborted)
		return;
	setTitle(`Post by ${p.username}`);
	const card = postCard(p, { full: true, onDeleted: () => history.back() });
	const counter = card.querySelector('.comments-count');
	const setCount = (delta) => {
		p.commentsCount += delta;
		counter.textContent = String(p.commentsCount);
	};
	const comments = pager({
		load: (items) => get(`/api/posts/${p.id}/comments`, { limit: 10, ...olderThan(items) }),
		render: (c) => commentItem(c, p, () => setCount(-1)),
		empty: 'No comments yet.',
		pageSize: 10, signal, className: 'list comments',
	});
	const me = session.user();
	let form = null;
	if (me) {
		const text = h('textarea', { name: 'comment', rows: 1, maxlength: 1024, required: true, placeholder: 'Write a comment…', 'aria-label': 'Write a comment' });
		const status = h('div.form-error', { role: 'alert' });
		const submit = h('button.button.button-small', { type: 'submit' }, 'Comment');
		form = h('form.comment-form', {
			onsubmit: async (event) => {
				event.preventDefault();
				submit.disabled = true;
				replace(status);
				try {
					const c = await post(`/api/posts/${p.id}/comments`, { content: text.value });
					text.value = '';
					comments.prepend(c);
					setCount(1);
				} catch (err) {
					replace(status, describe(err));
				} finally {
					submit.disabled = false;
				}
			},
		}, avatar(me.id, me.username, 'sm'), text, submit, status);
	}
	replace(root, card, h('section.card.comments-card', { 'aria-label': 'Comments' }, h('h2', null, 'Comments'), form, comments));
}

function randomIdentifier() {
	return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// "Change avatar" on my own profile: preview generated bunnies, keep one.
function avatarButton(id, picture, area) {
	const open = h('button.button.button-quiet', {
		type: 'button',
		'aria-expanded': 'false',
		onclick: () => {
			if (area.childElementCount)
				return close();
			let identifier = randomIdentifier();
			const preview = h('img.avatar.avatar-xl', { alt: 'New avatar preview', width: 120, height: 120, src: `/api/avatar/${identifier}` });
			const status = h('p.form-error', { role: 'alert' });
			const save = h('button.button.button-small', {
				type: 'button',
				onclick: async () => {
					save.disabled = true;
					try {
						const answer = await put(`/api/profiles/${id}/avatar`, { avatarIdentifier: identifier });
						picture.src = answer.avatarUrl;
						// Other pictures of me use the revalidated URL: reload them.
						for (const img of document.querySelectorAll(`img[src^="/api/profiles/${id}/avatar"]`))
							img.src = `/api/profiles/${id}/avatar?v=${Date.now()}`;
						close();
					} catch (err) {
						status.textContent = describe(err);
						save.disabled = false;
					}
				},
			}, 'Use this one');
			replace(area, preview, h('div.avatar-editor-actions', null,
				h('button.button.button-quiet.button-small', {
					type: 'button',
					onclick: () => {
						identifier = randomIdentifier();
						preview.src = `/api/avatar/${identifier}`;
					},
				}, icon('refresh'), 'Another one'),
				save,
				h('button.button.button-quiet.button-small', { type: 'button', onclick: close }, 'Cancel'),
				status));
			open.setAttribute('aria-expanded', 'true');
		},
	}, 'Change avatar');
	function close() {
		replace(area);
		open.setAttribute('aria-expanded', 'false');
		open.focus();
	}
	return h('div.relationship', null, open, h('a.button.button-quiet', { href: '/sessions' }, 'Account'));
}

export function notFoundBox(title, text) {
	return h('section.card.not-found', null,
		h('img', { src: '/bunny.svg', alt: '', width: 96, height: 96 }),
		h('h1', null, title),
		h('p', null, text),
		h('a.button', { href: '/' }, 'Back home'));
}

export function notFoundView({ root, setTitle }) {
	setTitle('Not found');
	replace(root, notFoundBox('This page hopped away', 'There is nothing at this address.'));
}
