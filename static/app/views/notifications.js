// Notifications as sentences with links.  Unread ones are marked until
// "Mark all as read"; opening one marks it visited (and read).
import { h, replace, avatar, timeAgo } from '../dom.js';
import { get, patch, olderThan, describe } from '../api.js';
import { on } from '../bus.js';
import * as session from '../session.js';
import { pager, toast } from '../components.js';

const PAGE = 15;

function person(id, username) {
	return h('a.strong', { href: `/profile/${id}` }, username);
}

function quote(text) {
	return text ? [' ', h('q', null, text)] : null;
}

// The sentence, the link that opening the notification follows, and
// the profile whose avatar to show.
export function describeNotification(n) {
	const p = n.data.payload || {};
	switch (n.data.event) {
	case 'NEW_POST_ON_WALL':
		return { actor: p.byId, link: `/post/${p.postId}`, sentence: [person(p.byId, p.byUsername), ' wrote on your wall:', quote(p.postPreview)] };
	case 'NEW_COMMENT_ON_POST': {
		const me = session.user();
		const whose = me && p.postById === me.id ? 'your post' : [person(p.postById, p.postByUsername), '’s post'];
		return { actor: p.byId, link: `/post/${p.postId}`, sentence: [person(p.byId, p.byUsername), ' commented on ', whose, ':', quote(p.commentPreview)] };
	}
	case 'NEW_FRIENDSHIP_REQUEST':
		return { actor: p.byId, link: '/friends#incoming', sentence: [person(p.byId, p.byUsername), ' sent you a friend request.'] };
	case 'NEW_FRIEND':
		return { actor: p.profileId, link: `/profile/${p.profileId}`, sentence: [person(p.profileId, p.profileUsername), ' accepted your friend request.'] };
	case 'NEW_LIKE': {
		const others = p.othersCount ? ` and ${p.othersCount} ${p.othersCount === 1 ? 'other' : 'others'}` : '';
		return { actor: p.byId, link: `/post/${p.postId}`, sentence: [person(p.byId, p.byUsername), others, ` liked your ${p.commentId ? 'comment' : 'post'}.`] };
	}
	default:
		return { actor: null, link: '/notifications', sentence: ['Something happened on Bunnybook.'] };
	}
}

function item(n, base) {
	const d = describeNotification(n);
	const open = () => {
		if (n.visited && n.read)
			return;
		n.visited = n.read = true;
		row.classList.remove('unread', 'unvisited');
		const mark = row.querySelector('.unread-mark');
		if (mark)
			mark.remove();
		patch(base, [n.id], { read: true, visited: true }).catch(() => {});
	};
	const row = h('div.notification', {
		class: [n.read ? '' : 'unread', n.visited ? '' : 'unvisited'].filter(Boolean).join(' '),
		dataset: { notificationId: n.id },
		// A click anywhere on the row follows its main link; the profile
		// links inside the sentence keep their own target.
		onclick: (event) => {
			const link = event.target.closest('a');
			open();
			if (!link)
				row.querySelector('a.notification-open').click();
		},
	},
	d.actor ? avatar(d.actor, '', 'md') : h('span.avatar.avatar-md'),
	h('div.notification-text', null,
		h('p', null, d.sentence),
		h('a.notification-open', { href: d.link }, timeAgo(n.createdAt))),
	n.read ? null : h('span.unread-mark', { title: 'Unread' }, h('span.visually-hidden', null, 'unread')));
	return row;
}

export function notificationsView({ root, setTitle, signal }) {
	setTitle('Notifications');
	const me = session.user();
	const base = `/api/profiles/${me.id}/notifications`;
	let list;
	const markAll = h('button.button.button-quiet.button-small', {
		type: 'button',
		onclick: async () => {
			markAll.disabled = true;
			try {
				await patch(base, { all: true }, { read: true });
				for (const el of root.querySelectorAll('.notification.unread'))
					el.classList.remove('unread');
				for (const el of root.querySelectorAll('.unread-mark'))
					el.remove();
			} catch (err) {
				toast(describe(err), 'error');
			} finally {
				markAll.disabled = false;
			}
		},
	}, 'Mark all as read');

	function build() {
		list = pager({
			load: (items) => get(base, { limit: PAGE, ...olderThan(items) }),
			render: (n) => item(n, base),
			empty: 'No notifications yet.', pageSize: PAGE, signal, className: 'list notifications',
		});
		replace(root, h('div.page-head', null, h('h1.page-title', null, 'Notifications'), markAll), h('div.card.flush', null, list));
	}
	build();
	on('rt:notification', (n) => {
		if (!list.items.some((x) => x.id === n.id))
			list.prepend(n);
	}, signal);
	on('rt:notifications_read', (d) => {
		if (d.all) {
			for (const el of root.querySelectorAll('.notification.unread'))
				el.classList.remove('unread');
			root.querySelectorAll('.unread-mark').forEach((el) => el.remove());
		}
	}, signal);
	on('resync', build, signal);
}
