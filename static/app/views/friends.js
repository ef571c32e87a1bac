// Friends: my requests (incoming with accept and reject, outgoing with
// cancel), people I may know, and friend lists (with mutual friends on
// someone else's page).
import { h, replace, spinner } from '../dom.js';
import { get, post, del, describe } from '../api.js';
import { on } from '../bus.js';
import * as session from '../session.js';
import { pager, personRow, toast, errorBox } from '../components.js';

const PAGE = 20;

function byUsername(path, extraQuery = {}) {
	return (items) => {
		const last = items[items.length - 1];
		return get(path, { limit: PAGE, ...extraQuery, username_gt: last ? last.username : undefined });
	};
}

function actionButton(label, kind, run, row, done) {
	return h('button.button.button-small.button-' + kind, {
		type: 'button',
		onclick: async (event) => {
			const buttons = row().querySelectorAll('button');
			buttons.forEach((b) => { b.disabled = true; });
			try {
				await run();
				done(event);
			} catch (err) {
				toast(describe(err), 'error');
				buttons.forEach((b) => { b.disabled = false; });
			}
		},
	}, label);
}

function section(title, body, id) {
	return h('section.card.friends-section', { id, 'aria-label': title }, h('h2', null, title), body);
}

export function myFriendsView({ root, setTitle, signal }) {
	setTitle('Friends');
	const me = session.user();
	const base = `/api/profiles/${me.id}`;

	function rowWith(person, extra, buttons) {
		let row;
		row = personRow(person, { extra, actions: h('div.person-actions', null, buttons(() => row)) });
		return row;
	}
	function settle(row, text) {
		const actions = row.querySelector('.person-actions');
		replace(actions, h('span.person-done', null, text));
	}

	function build() {
		const incoming = pager({
			load: byUsername(`${base}/friend_requests`, { direction: 'incoming' }),
			render: (p) => {
				let row;
				row = personRow(p, {
					extra: 'wants to be your friend',
					actions: h('div.person-actions', null,
						actionButton('Accept', 'primary', () => post(`${base}/friends/${p.id}`), () => row, () => settle(row, 'Now friends')),
						actionButton('Reject', 'quiet', () => del(`${base}/incoming_friend_requests/${p.id}`), () => row, () => settle(row, 'Rejected'))),
				});
				return row;
			},
			empty: 'No requests waiting for you.', pageSize: PAGE, signal, className: 'list people',
		});
		const outgoing = pager({
			load: byUsername(`${base}/friend_requests`, { direction: 'outgoing' }),
			render: (p) => rowWith(p, 'request sent', (row) => [
				actionButton('Cancel', 'quiet', () => del(`${base}/outgoing_friend_requests/${p.id}`), row, () => settle(row(), 'Cancelled')),
			]),
			empty: 'You have no pending requests.', pageSize: PAGE, signal, className: 'list people',
		});
		const suggestions = pager({
			load: (items) => {
				const last = items[items.length - 1];
				return get(`${base}/friend_suggestions`, { limit: PAGE, cursor: last ? `${last.mutualFriendsCount}:${last.username}` : undefined });
			},
			render: (p) => rowWith(p, `${p.mutualFriendsCount} mutual ${p.mutualFriendsCount === 1 ? 'friend' : 'friends'}`, (row) => [
				actionButton('Add friend', 'primary', () => post(`${base}/outgoing_friend_requests/${p.id}`), row, () => settle(row(), 'Request sent')),
			]),
			empty: 'No suggestions yet. They appear as your friends make friends.', pageSize: PAGE, signal, className: 'list people',
		});
		const friends = pager({
			load: byUsername(`${base}/friends`),
			render: (p) => personRow(p, { presence: true }),
			empty: 'No friends yet.', pageSize: PAGE, signal, className: 'list people',
		});
		replace(root,
			h('h1.page-title', null, 'Friends'),
			h('div.friends-grid', null,
				section('Friend requests', incoming, 'incoming'),
				section('People you may know', suggestions, 'suggestions'),
				section('Your friends', friends, 'friends'),
				section('Requests you sent', outgoing, 'outgoing')));
	}
	build();
	// Requests and friendships that change elsewhere show at once.
	let pending = null;
	const rebuild = () => {
		clearTimeout(pending);
		pending = setTimeout(build, 300);
	};
	signal.addEventListener('abort', () => clearTimeout(pending));
	on('rt:friend_request', rebuild, signal);
	on('rt:add_friend', rebuild, signal);
	on('rt:remove_friend', rebuild, signal);
}

export async function profileFriendsView({ root, params, setTitle, signal }) {
	const me = session.user();
	const id = params.id;
	replace(root, spinner());
	let profile;
	try {
		profile = await get(`/api/profiles/${id}`);
	} catch (err) {
		return replace(root, errorBox(err, () => profileFriendsView({ root, params, setTitle, signal })));
	}
	if (signal.aborted)
		return;
	setTitle(`${profile.username}'s friends`);
	const friends = pager({
		load: byUsername(`/api/profiles/${id}/friends`),
		render: (p) => personRow(p, { presence: Boolean(me && me.id === id) }),
		empty: `${profile.username} has no friends yet.`, pageSize: PAGE, signal, className: 'list people',
	});
	const showMutual = me && me.id !== id;
	replace(root,
		h('h1.page-title', null, h('a', { href: `/profile/${id}` }, profile.username), '’s friends'),
		h('div.friends-grid', null,
			showMutual ? section('Mutual friends', pager({
				load: byUsername(`/api/profiles/${me.id}/friends/${id}/mutual_friends`),
				render: (p) => personRow(p),
				empty: 'You have no friends in common yet.', pageSize: PAGE, signal, className: 'list people',
			}), 'mutual') : null,
			section(`All friends (${profile.friendsCount})`, friends, 'all')));
}
