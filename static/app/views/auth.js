// Sign up and log in.
import { h, replace, icon } from '../dom.js';
import { post, describe, ApiError } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';

// The path to go to after logging in: next when it names a page of this
// site, else the feed.  Browsers read "//host" and "/\host" as other sites.
function localPath(next) {
	if (!next || !next.startsWith('/'))
		return '/';
	const target = new URL(next, location.origin);
	return target.origin === location.origin ? target.pathname + target.search + target.hash : '/';
}

function field(name, label, attrs = {}, hint) {
	const id = 'field-' + name;
	const input = h('input', { id, name, ...attrs, 'aria-describedby': `${id}-error${hint ? ` ${id}-hint` : ''}` });
	const error = h('p.field-error', { id: `${id}-error`, role: 'alert' });
	const wrapper = h('div.field', null,
		h('label', { for: id }, label),
		input,
		hint ? h('p.field-hint', { id: `${id}-hint` }, hint) : null,
		error);
	return { wrapper, input, error };
}

function showErrors(fields, general, err) {
	for (const f of Object.values(fields)) {
		f.error.textContent = '';
		f.input.removeAttribute('aria-invalid');
	}
	general.textContent = '';
	if (!err)
		return;
	const target = err instanceof ApiError && err.field && fields[err.field];
	if (target) {
		target.error.textContent = describe(err);
		target.input.setAttribute('aria-invalid', 'true');
		target.input.focus();
	} else {
		general.textContent = describe(err);
	}
}

function randomIdentifier() {
	const bytes = crypto.getRandomValues(new Uint8Array(8));
	return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function authPage(title, lead, form, footer) {
	return h('section.auth', null,
		h('div.auth-hero', null,
			h('img.auth-logo', { src: '/bunny.svg', alt: '', width: 96, height: 96 }),
			h('h1', null, 'Bunnybook'),
			h('p', null, lead)),
		h('div.card.auth-card', null, h('h2', null, title), form, footer));
}

async function logIn(email, password) {
	const answer = await post('/api/login', { email, password });
	session.store(answer);
}

export function loginView({ root, url, setTitle }) {
	setTitle('Log in');
	const fields = {
		email: field('email', 'E-mail', { type: 'email', autocomplete: 'email', required: true }),
		password: field('password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
	};
	const general = h('p.form-error', { role: 'alert' });
	const submit = h('button.button.button-wide', { type: 'submit' }, 'Log in');
	const form = h('form.form', {
		novalidate: true,
		onsubmit: async (event) => {
			event.preventDefault();
			showErrors(fields, general, null);
			submit.disabled = true;
			try {
				await logIn(fields.email.input.value.trim(), fields.password.input.value);
				navigate(localPath(url.searchParams.get('next')), { replace: true });
			} catch (err) {
				showErrors(fields, general, err);
				if (err.status === 401)
					general.textContent = 'That e-mail and password do not match an account.';
			} finally {
				submit.disabled = false;
			}
		},
	}, fields.email.wrapper, fields.password.wrapper, general, submit);
	replace(root, authPage('Log in', 'Friends, posts and carrots, all in one burrow.', form,
		h('p.auth-switch', null, 'New here? ', h('a', { href: '/signup' }, 'Create an account'))));
	fields.email.input.focus();
}

export function signupView({ root, setTitle, signal }) {
	setTitle('Sign up');
	let identifier = randomIdentifier();
	const preview = h('img.avatar.avatar-xl', { alt: 'Your avatar', width: 96, height: 96 });
	const fields = {
		username: field('username', 'Username', { autocomplete: 'username', required: true, maxlength: 32, spellcheck: false }, '2-32 letters and digits; - _ . allowed between them'),
		email: field('email', 'E-mail', { type: 'email', autocomplete: 'email', required: true }),
		password: field('password', 'Password', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 128 }, 'At least 8 characters'),
	};
	const general = h('p.form-error', { role: 'alert' });
	let typing = null;

	function showAvatar() {
		preview.src = `/api/avatar/${encodeURIComponent(identifier)}`;
	}
	// The avatar follows the username as it is typed, until the person
	// asks for another one.
	let followName = true;
	fields.username.input.addEventListener('input', () => {
		if (!followName)
			return;
		clearTimeout(typing);
		typing = setTimeout(() => {
			const name = fields.username.input.value.trim();
			identifier = name ? name.slice(0, 64) : identifier;
			showAvatar();
		}, 250);
	});
	signal.addEventListener('abort', () => clearTimeout(typing));
	const another = h('button.button.button-quiet.button-small', {
		type: 'button',
		onclick: () => {
			followName = false;
			identifier = randomIdentifier();
			showAvatar();
		},
	}, icon('refresh'), 'Another one');
	showAvatar();

	const submit = h('button.button.button-wide', { type: 'submit' }, 'Create account');
	const form = h('form.form', {
		novalidate: true,
		onsubmit: async (event) => {
			event.preventDefault();
			showErrors(fields, general, null);
			submit.disabled = true;
			const email = fields.email.input.value.trim();
			const password = fields.password.input.value;
			try {
				await post('/api/register', {
					username: fields.username.input.value.trim(),
					email, password, avatarIdentifier: identifier,
				});
				await logIn(email, password);
				navigate('/', { replace: true });
			} catch (err) {
				showErrors(fields, general, err);
			} finally {
				submit.disabled = false;
			}
		},
	},
	h('div.avatar-picker', null, preview, h('div', null, h('p.field-hint', null, 'Your bunny. Pick one you like.'), another)),
	fields.username.wrapper, fields.email.wrapper, fields.password.wrapper, general, submit);
	replace(root, authPage('Create your account', 'Join your friends on Bunnybook.', form,
		h('p.auth-switch', null, 'Already have an account? ', h('a', { href: '/login' }, 'Log in'))));
	fields.username.input.focus();
}
