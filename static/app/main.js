// The page shell: top bar with search and navigation, the routes, and
// what happens when someone logs in or out (in this tab or another one).
import { h, replace, icon, avatar } from './dom.js';
import { get, post } from './api.js';
import { on } from './bus.js';
import * as session from './session.js';
import * as rt from './rt.js';
import * as store from './store.js';
import * as router from './router.js';
import * as chat from './chat.js';
import { loginView, signupView } from './views/auth.js';
import { feedView, profileView, postView, notFoundView } from './views/posts.js';
import { myFriendsView, profileFriendsView } from './views/friends.js';
import { notificationsView } from './views/notifications.js';
import { sessionsView } from './views/sessions.js';
import { toast } from './components.js';

const AUTH = { auth: true };
const GUEST = { guest: true };

router.route('/', feedView, AUTH);
router.route('/login', loginView, GUEST);
router.route('/signup', signupView, GUEST);
router.route('/profile/:id', profileView);
router.route('/profile/:id/friends', profileFriendsView);
router.route('/post/:id', postView);
router.route('/friends', myFriendsView, AUTH);
router.route('/notifications', notificationsView, AUTH);
router.route('/sessions', sessionsView, AUTH);

const main = h('main#main', { tabindex: -1 });
const header = h('header.topbar');
const badge = h('span.badge.badge-notifications', { hidden: true, 'aria-live': 'polite' });
const chatBadge = h('span.badge.badge-chat', { hidden: true, 'aria-live': 'polite' });

function navLink(href, iconName, label, extra, iconOnly = false) {
	return h('a.nav-link', { href, dataset: { nav: href }, class: iconOnly ? 'icon-only' : null, title: iconOnly ? label : null },
		icon(iconName), h('span.nav-label', null, label), extra);
}

function searchBox() {
	const input = h('input#search', {
		type: 'search', placeholder: 'Search people', autocomplete: 'off', spellcheck: false,
		role: 'combobox', 'aria-expanded': 'false', 'aria-controls': 'search-results', 'aria-autocomplete': 'list', 'aria-label': 'Search people',
	});
	const results = h('ul#search-results.search-results', { role: 'listbox', hidden: true, 'aria-label': 'People found' });
	let timer = null;
	let active = -1;
	let seq = 0;

	function close() {
		results.hidden = true;
		input.setAttribute('aria-expanded', 'false');
		input.removeAttribute('aria-activedescendant');
		active = -1;
	}
	function highlight(index) {
		const options = results.querySelectorAll('[role=option]');
		if (!options.length)
			return;
		active = (index + options.length) % options.length;
		options.forEach((o, i) => o.setAttribute('aria-selected', String(i === active)));
		input.setAttribute('aria-activedescendant', options[active].id);
	}
	async function search() {
		const query = input.value.trim();
		if (!query)
			return close();
		const mine = ++seq;
		let people;
		try {
			people = await get('/api/profiles', { username_query: query.slice(0, 32), limit: 8 });
		} catch {
			people = null;
		}
		if (mine !== seq)
			return;
		replace(results, people === null
			? h('li.search-empty', null, 'Search is not available right now.')
			: people.length === 0
				? h('li.search-empty', null, `Nobody called “${query}”.`)
				: people.map((p, i) => h('li', { role: 'option', id: `search-option-${i}`, 'aria-selected': 'false' },
					h('a.search-result', { href: `/profile/${p.id}`, tabindex: -1 }, avatar(p.id, '', 'sm'), h('span', null, p.username)))));
		results.hidden = false;
		input.setAttribute('aria-expanded', 'true');
		active = -1;
	}
	input.addEventListener('input', () => {
		clearTimeout(timer);
		timer = setTimeout(search, 200);
	});
	input.addEventListener('keydown', (event) => {
		if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
			event.preventDefault();
			if (results.hidden)
				search();
			highlight(active + (event.key === 'ArrowDown' ? 1 : -1));
		} else if (event.key === 'Enter') {
			event.preventDefault();
			const options = results.querySelectorAll('[role=option] a');
			const target = options[Math.max(active, 0)];
			if (target)
				target.click();
		} else if (event.key === 'Escape') {
			close();
		}
	});
	results.addEventListener('click', (event) => {
		if (event.target.closest('a')) {
			input.value = '';
			close();
		}
	});
	document.addEventListener('click', (event) => {
		if (!event.target.closest('.search'))
			close();
	});
	return h('form.search', { role: 'search', onsubmit: (e) => e.preventDefault() }, icon('search'), input, results);
}

function renderHeader() {
	const me = session.user();
	const brand = h('a.brand', { href: '/', 'aria-label': 'Bunnybook home' }, h('img', { src: '/bunny.svg', alt: '', width: 32, height: 32 }), h('span.brand-name', null, 'Bunnybook'));
	let nav;
	if (me) {
		nav = h('nav.mainnav', { 'aria-label': 'Main' },
			navLink('/', 'home', 'Home'),
			navLink('/friends', 'friends', 'Friends'),
			navLink('/notifications', 'bell', 'Notifications', badge),
			navLink('/chat', 'chat', 'Chat', chatBadge),
			h('a.nav-link.nav-me', { href: `/profile/${me.id}`, dataset: { nav: `/profile/${me.id}` } }, avatar(me.id, '', 'xs'), h('span.nav-label', null, me.username)),
			navLink('/sessions', 'shield', 'Account', null, true),
			h('button.nav-link.icon-only.logout', { type: 'button', title: 'Log out', onclick: logout }, icon('logout'), h('span.nav-label', null, 'Log out')));
	} else {
		nav = h('nav.mainnav.guest', { 'aria-label': 'Main' },
			h('a.button.button-quiet.button-small', { href: '/login' }, 'Log in'),
			h('a.button.button-small', { href: '/signup' }, 'Sign up'));
	}
	replace(header, h('div.topbar-inner', null, brand, searchBox(), nav));
	paintBadge(badge, store.unread.count, 'unread');
	paintBadge(chatBadge, store.chatUnread.count, 'with unread messages');
}

function paintBadge(element, count, meaning) {
	element.hidden = count === 0;
	element.textContent = count > 99 ? '99+' : String(count);
	element.setAttribute('aria-label', `${count} ${meaning}`);
}

function markCurrentNav() {
	for (const link of header.querySelectorAll('[data-nav]')) {
		// The chat entry stays marked inside a conversation too.
		const section = link.dataset.nav === '/chat' && location.pathname.startsWith('/chat/');
		if (link.dataset.nav === location.pathname || section)
			link.setAttribute('aria-current', 'page');
		else
			link.removeAttribute('aria-current');
	}
}

async function logout() {
	try {
		await post('/api/logout');
	} catch {
		// The local session ends anyway; the server's one expires.
	}
	session.end('logout');
}

router.onRender((found, params, url, signal) => {
	const me = session.user();
	const options = found ? found.options : {};
	if (options.auth && !me) {
		const next = url.pathname === '/' ? '' : `?next=${encodeURIComponent(url.pathname + url.search)}`;
		return router.navigate(`/login${next}`, { replace: true });
	}
	if (options.guest && me)
		return router.navigate('/', { replace: true });
	const view = found ? found.view : notFoundView;
	document.body.dataset.page = found ? (url.pathname.split('/')[1] || 'home') : 'not-found';
	markCurrentNav();
	window.scrollTo(0, 0);
	const root = h('div.view');
	replace(main, root);
	Promise.resolve(view({ root, params, url, signal, setTitle: store.setTitle })).catch((err) => {
		console.error(err);
	});
	// Screen readers start at the new page unless the view chose a field.
	if (!main.contains(document.activeElement))
		main.focus({ preventScroll: true });
	// Links such as /friends#incoming lead to a section of the view.
	const target = url.hash && document.getElementById(decodeURIComponent(url.hash.slice(1)));
	if (target)
		target.scrollIntoView();
});

// Called when the person changes (log in, log out, or another account in
// another tab): the stream and the counts belong to one person.
function started(me) {
	rt.stop();
	store.reset();
	if (me) {
		rt.start();
		store.loadUnread();
		store.loadChatUnread();
		store.loadPresence();
	}
}

on('session', (me) => {
	started(me);
	renderHeader();
	router.render();
});
on('unread', (count) => paintBadge(badge, count, 'unread'));
on('chat-unread', (count) => paintBadge(chatBadge, count, 'with unread messages'));
on('session-ended', (reason) => {
	if (reason === 'expired')
		toast('Your session has ended. Log in again.');
});

document.body.append(h('a.skip-link', { href: '#main' }, 'Skip to content'), header, main, h('div#toasts.toasts', { 'aria-live': 'polite' }));
renderHeader();
chat.mount();
started(session.user());
router.start();
