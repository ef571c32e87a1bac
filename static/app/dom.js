// DOM helpers.  Every piece of text from the server goes into the page
// through text nodes or attributes set here, never through innerHTML, so
// markup in a post or a username is shown as text and never runs.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Create an element: h('a#id.card.big', {href: '/x', onclick: fn}, child, ...).
// Children may be strings, nodes, arrays, null or false (skipped).
export function h(tag, props, ...children) {
	const [nameAndId, ...classes] = tag.split('.');
	const [name, id] = nameAndId.split('#');
	const el = document.createElement(name || 'div');
	if (id)
		el.id = id;
	if (classes.length)
		el.className = classes.join(' ');
	setProps(el, props);
	append(el, children);
	return el;
}

function setProps(el, props) {
	if (!props)
		return;
	for (const [key, value] of Object.entries(props)) {
		if (value === undefined || value === null || value === false)
			continue;
		if (key.startsWith('on') && typeof value === 'function')
			el.addEventListener(key.slice(2), value);
		else if (key === 'class')
			el.className = [el.className, value].filter(Boolean).join(' ');
		else if (key === 'dataset')
			Object.assign(el.dataset, value);
		else if (key in el && typeof value !== 'string')
			el[key] = value;
		else
			el.setAttribute(key, value === true ? '' : String(value));
	}
}

export function append(el, children) {
	for (const child of children.flat(Infinity)) {
		if (child === null || child === undefined || child === false)
			continue;
		el.append(child instanceof Node ? child : String(child));
	}
	return el;
}

// Replace all children of el.
export function replace(el, ...children) {
	el.replaceChildren();
	return append(el, children);
}

// Icons are 24x24 stroke paths, drawn with DOM calls so the CSP needs no
// inline markup.
const ICONS = {
	home: 'M3 11l9-8 9 8M5 9.5V21h5v-6h4v6h5V9.5',
	friends: 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM1.5 21a7.5 7.5 0 0 1 15 0M17 3.5a4 4 0 0 1 0 7.5M19 14a6 6 0 0 1 3.5 6',
	bell: 'M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.94 1.94 0 0 0 3.4 0',
	search: 'M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16zM21 21l-4.35-4.35',
	heart: 'M20.8 4.6a5.5 5.5 0 0 0-7.8 0L12 5.7l-1-1.1a5.5 5.5 0 0 0-7.8 7.8l1 1.1L12 21l7.8-7.5 1-1.1a5.5 5.5 0 0 0 0-7.8z',
	comment: 'M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z',
	lock: 'M5 11h14v10H5zM8 11V7a4 4 0 0 1 8 0v4',
	globe: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM2 12h20M12 2a15 15 0 0 1 0 20M12 2a15 15 0 0 0 0 20',
	logout: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9',
	shield: 'M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z',
	user: 'M20 21a8 8 0 0 0-16 0M12 13a5 5 0 1 0 0-10 5 5 0 0 0 0 10z',
	refresh: 'M21 12a9 9 0 1 1-3-6.7L21 8M21 3v5h-5',
	chat: 'M21 11.5a8.4 8.4 0 0 1-9 8.4 9 9 0 0 1-4-.9L3 21l1.9-5A8.4 8.4 0 0 1 12 3a8.4 8.4 0 0 1 9 8.5z',
	trash: 'M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6',
};

export function icon(name, label) {
	const svg = document.createElementNS(SVG_NS, 'svg');
	svg.setAttribute('viewBox', '0 0 24 24');
	svg.setAttribute('class', 'icon');
	if (label) {
		svg.setAttribute('role', 'img');
		svg.setAttribute('aria-label', label);
	} else {
		svg.setAttribute('aria-hidden', 'true');
	}
	const path = document.createElementNS(SVG_NS, 'path');
	path.setAttribute('d', ICONS[name]);
	svg.append(path);
	return svg;
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

// A <time> element reading "3 minutes ago", with the full date as tooltip.
export function timeAgo(iso) {
	const date = new Date(iso);
	const seconds = Math.round((date.getTime() - Date.now()) / 1000);
	const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month'], [Infinity, 'year']];
	let value = seconds;
	let text = 'just now';
	if (Math.abs(seconds) >= 45) {
		for (const [size, unit] of steps) {
			if (Math.abs(value) < size) {
				text = relative.format(Math.round(value), unit);
				break;
			}
			value /= size;
		}
	}
	return h('time', { datetime: iso, title: absolute.format(date) }, text);
}

export function avatar(profileId, username, size = 'md') {
	return h('img.avatar.avatar-' + size, {
		src: `/api/profiles/${profileId}/avatar`,
		alt: username ? `${username}'s avatar` : '',
		width: 48, height: 48, loading: 'lazy', decoding: 'async',
	});
}

// A small online indicator, kept current by store.js.
export function presenceDot(profileId) {
	return h('span.presence', { dataset: { presence: profileId }, role: 'status', 'aria-label': 'offline' });
}

export function spinner(label = 'Loading') {
	return h('div.spinner', { role: 'status' }, h('span.visually-hidden', null, label + '…'));
}
