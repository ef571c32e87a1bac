// Account: the sessions that are logged in (end any of them) and the
// password form (changing it ends every other session).
import { h, replace, timeAgo, spinner } from '../dom.js';
import { get, post, del, describe, ApiError } from '../api.js';
import * as session from '../session.js';
import { errorBox, toast } from '../components.js';

// "Chrome on Linux" from a User-Agent string, or the raw string.
function device(ua) {
	if (!ua)
		return 'Unknown device';
	const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : /curl\//.test(ua) ? 'curl' : null;
	const system = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : null;
	if (browser && system)
		return `${browser} on ${system}`;
	return browser || system || ua.slice(0, 60);
}

export function sessionsView({ root, setTitle, signal }) {
	setTitle('Account and sessions');
	const list = h('ul.list.sessions');
	const sessionsCard = h('section.card', { 'aria-labelledby': 'sessions-title' },
		h('h2#sessions-title', null, 'Where you are logged in'), list);

	async function load() {
		replace(list, h('li', null, spinner()));
		let rows;
		try {
			rows = await get('/api/sessions');
		} catch (err) {
			return replace(list, h('li', null, errorBox(err, load)));
		}
		if (signal.aborted)
			return;
		replace(list, rows.map((s) => h('li.session', { dataset: { sessionId: s.id } },
			h('div.session-text', null,
				h('p.strong', null, device(s.userAgent), s.current ? h('span.tag', null, 'This browser') : null),
				h('p.muted', null, s.ip || 'unknown address', ' · last active ', timeAgo(s.lastUsedAt), ' · since ', timeAgo(s.createdAt))),
			h('button.button.button-small.button-quiet', {
				type: 'button',
				onclick: async (event) => {
					if (s.current && !confirm('End the session of this browser? You will be logged out.'))
						return;
					event.currentTarget.disabled = true;
					try {
						await del(`/api/sessions/${s.id}`);
						if (s.current)
							return session.end('logout');
						toast('Session ended.');
						load();
					} catch (err) {
						toast(describe(err), 'error');
						event.currentTarget.disabled = false;
					}
				},
			}, s.current ? 'Log out' : 'End session'))));
	}

	const current = h('input#current-password', { type: 'password', autocomplete: 'current-password', required: true, name: 'currentPassword' });
	const next = h('input#new-password', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128, name: 'newPassword' });
	const currentError = h('p.field-error', { role: 'alert' });
	const nextError = h('p.field-error', { role: 'alert' });
	const general = h('p.form-error', { role: 'alert' });
	const submit = h('button.button', { type: 'submit' }, 'Change password');
	const passwordCard = h('section.card', { 'aria-labelledby': 'password-title' },
		h('h2#password-title', null, 'Change password'),
		h('p.muted', null, 'Changing it logs out every other session.'),
		h('form.form', {
			novalidate: true,
			onsubmit: async (event) => {
				event.preventDefault();
				currentError.textContent = nextError.textContent = general.textContent = '';
				submit.disabled = true;
				try {
					await post('/api/password', { currentPassword: current.value, newPassword: next.value });
					current.value = next.value = '';
					toast('Password changed. Other sessions were logged out.');
					load();
				} catch (err) {
					const target = err instanceof ApiError && err.field === 'currentPassword' ? currentError
						: err instanceof ApiError && err.field === 'newPassword' ? nextError : general;
					target.textContent = err.field === 'currentPassword' && err.status === 403 ? 'The current password is not right.' : describe(err);
				} finally {
					submit.disabled = false;
				}
			},
		},
		h('div.field', null, h('label', { for: 'current-password' }, 'Current password'), current, currentError),
		h('div.field', null, h('label', { for: 'new-password' }, 'New password'), next, h('p.field-hint', null, 'At least 8 characters'), nextError),
		general, submit));

	replace(root, h('h1.page-title', null, 'Account and sessions'), sessionsCard, passwordCard);
	load();
}
