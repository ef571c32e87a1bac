// Who is signed in, and keeping the access token fresh.
//
// The tokens live in HttpOnly cookies that every tab of this browser
// shares.  This module keeps only what the page may know (profile id,
// username, expiry times) in localStorage, so that all tabs agree.
//
// Refresh tokens rotate on every use, and the server revokes the whole
// session when a rotated one comes back after its grace period.  So a tab
// refreshes only while it holds a Web Lock, and a tab that gets the lock
// after another one refreshed reads the new state and skips.  Local storage
// reaches other tabs a moment after the write, possibly after the lock, so
// a tab whose token was rejected first asks the server whether the shared
// cookies already carry a fresh one.  Logging out in one tab logs out
// every tab.
import { emit } from './bus.js';

const KEY = 'bunnybook.session';
const channel = 'BroadcastChannel' in window ? new BroadcastChannel('bunnybook') : null;
let current = read();
let timer = null;
let inflight = null;

function read() {
	try {
		const value = JSON.parse(localStorage.getItem(KEY));
		return value && value.id ? value : null;
	} catch {
		return null;
	}
}

// The claims of a JWT (payload only; the server checks the signature).
function claims(token) {
	const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
	const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
	return JSON.parse(new TextDecoder().decode(bytes));
}

export function user() {
	return current;
}

// Record a login or refresh response {accessToken, accessExp, refreshExp}.
export function store(answer) {
	const c = claims(answer.accessToken);
	const previous = current;
	current = {
		id: c.sub,
		username: c.username,
		sessionId: c.sid,
		issuedAt: c.iat,
		accessExp: answer.accessExp,
		refreshExp: answer.refreshExp,
		stamp: `${Date.now()}-${Math.random()}`,
	};
	localStorage.setItem(KEY, JSON.stringify(current));
	schedule();
	if (!previous || previous.id !== current.id)
		emit('session', current);
}

// Forget the session in this tab and every other one.
export function end(reason = 'logout') {
	const had = current !== null;
	current = null;
	clearTimeout(timer);
	localStorage.removeItem(KEY);
	if (channel)
		channel.postMessage({ type: 'logout', reason });
	if (had) {
		emit('session', null);
		emit('session-ended', reason);
	}
}

// Get a fresh access token in place of the one that was current when stamp
// was read; rejected is true when the server refused that token.  Returns true
// when a fresh token is now in the cookies.
export function refresh(stamp = current && current.stamp, rejected = false) {
	if (!current)
		return Promise.resolve(false);
	// Requests of this tab that fail together share one refresh.
	if (!inflight) {
		const run = navigator.locks
			? navigator.locks.request('bunnybook-refresh', () => refreshLocked(stamp, rejected))
			: refreshLocked(stamp, rejected);
		inflight = run.finally(() => { inflight = null; });
	}
	return inflight;
}

async function refreshLocked(stamp, rejected) {
	// Another tab may have refreshed while this one waited for the lock.
	const seen = read();
	if (!seen) {
		end('expired');
		return false;
	}
	if (seen.stamp !== stamp) {
		adopt(seen);
		return true;
	}
	if (rejected && navigator.locks && await accessAccepted()) {
		// The state that tab stored is on its way here.
		const winner = await storedAfter(stamp, 1000);
		if (winner)
			adopt(winner);
		return true;
	}
	let response;
	try {
		response = await fetch('/api/refresh', {
			method: 'POST',
			credentials: 'same-origin',
			headers: { 'Content-Type': 'application/json' },
		});
	} catch {
		return false; // offline: keep the session and try again later
	}
	if (response.ok) {
		store(await response.json());
		return true;
	}
	if (response.status === 401) {
		// Without Web Locks two tabs can refresh at once, and the later one
		// is rejected while the earlier one stores the new state.
		const winner = await storedAfter(stamp, navigator.locks ? 0 : 2000);
		if (winner) {
			adopt(winner);
			return true;
		}
		end('expired');
		return false;
	}
	return false;
}

// Whether the server accepts the access token in the cookies now.
async function accessAccepted() {
	try {
		const response = await fetch('/api/sessions', { credentials: 'same-origin' });
		return response.ok;
	} catch {
		return false;
	}
}

// The session state another tab stores within ms milliseconds, or null.
function storedAfter(stamp, ms) {
	const now = read();
	if (now && now.stamp !== stamp)
		return Promise.resolve(now);
	if (ms === 0)
		return Promise.resolve(null);
	return new Promise((resolve) => {
		const done = (value) => {
			window.removeEventListener('storage', check);
			clearTimeout(timeout);
			resolve(value);
		};
		const check = () => {
			const value = read();
			if (value && value.stamp !== stamp)
				done(value);
		};
		const timeout = setTimeout(() => {
			const value = read();
			done(value && value.stamp !== stamp ? value : null);
		}, ms);
		window.addEventListener('storage', check);
	});
}

// Take over a session state another tab wrote.
function adopt(value) {
	const previous = current;
	current = value;
	schedule();
	if (!previous || previous.id !== value.id)
		emit('session', value);
}

// Refresh ahead of expiry: a quarter of the token's lifetime early, at
// most a minute, so a tab rarely meets an expired token.  Each tab adds a
// few random seconds, so that the first one's new state reaches the others
// before their own turn comes.
function schedule() {
	clearTimeout(timer);
	if (!current)
		return;
	const lifetime = Math.max(current.accessExp - current.issuedAt, 1);
	const margin = Math.min(60, lifetime / 4);
	const spread = Math.random() * Math.min(5, margin / 3);
	const due = (current.accessExp - margin + spread) * 1000 - Date.now();
	const stamp = current.stamp;
	timer = setTimeout(() => refresh(stamp), Math.max(due, 1000));
}

window.addEventListener('storage', (event) => {
	if (event.key !== KEY)
		return;
	const value = read();
	if (value)
		adopt(value);
	else if (current)
		end('elsewhere');
});

if (channel) {
	channel.addEventListener('message', (event) => {
		if (event.data && event.data.type === 'logout' && current) {
			current = null;
			clearTimeout(timer);
			emit('session', null);
		}
	});
}

schedule();
