// fetch() for the Bunnybook API: JSON in and out, the API's error shape
// turned into ApiError, and one silent token refresh when the access token
// has expired.
import * as session from './session.js';

export class ApiError extends Error {
	constructor(status, error, retryAfter) {
		super(error.message || `request failed with status ${status}`);
		this.status = status;
		this.code = error.code || 'Error';
		this.field = error.field || null;
		this.retryAfter = retryAfter;
	}
}

// A sentence to show a person for any failure.
export function describe(err) {
	if (!(err instanceof ApiError))
		return 'Something went wrong in the page. Reload and try again.';
	if (err.status === 0)
		return 'Bunnybook cannot be reached. Check your connection and try again.';
	if (err.status === 429)
		return `Too many requests. Wait ${err.retryAfter || 'a few'} seconds and try again.`;
	if (err.status >= 500)
		return 'The server had a problem. Try again in a moment.';
	if (err.status === 401)
		return 'Your session has ended. Log in again.';
	return err.message.charAt(0).toUpperCase() + err.message.slice(1);
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function send(method, path, body) {
	const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
	// Cookie-authenticated writes must be JSON, with or without a body.
	if (UNSAFE.has(method))
		init.headers['Content-Type'] = 'application/json';
	if (body !== undefined)
		init.body = JSON.stringify(body);
	try {
		return await fetch(path, init);
	} catch {
		throw new ApiError(0, { code: 'NetworkError', message: 'network error' });
	}
}

async function parse(response) {
	if (response.status === 204)
		return null;
	const type = response.headers.get('Content-Type') || '';
	if (type.includes('json'))
		return response.json();
	return response.text();
}

// api('GET', '/api/feed', undefined, {query: {limit: 10}})
export async function api(method, path, body, options = {}) {
	if (options.query) {
		const query = new URLSearchParams();
		for (const [key, value] of Object.entries(options.query)) {
			if (value !== undefined && value !== null)
				query.set(key, value);
		}
		const text = query.toString();
		if (text)
			path += (path.includes('?') ? '&' : '?') + text;
	}
	const before = session.user();
	let response = await send(method, path, body);
	if (response.status === 401 && before && options.refresh !== false) {
		if (await session.refresh(before.stamp, true))
			response = await send(method, path, body);
		if (response.status === 401)
			session.end('expired');
	}
	const data = await parse(response).catch(() => null);
	if (!response.ok) {
		const error = data && data.error ? data.error : {};
		throw new ApiError(response.status, error, response.headers.get('Retry-After'));
	}
	return data;
}

export const get = (path, query) => api('GET', path, undefined, { query });
export const post = (path, body) => api('POST', path, body);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body, query) => api('PATCH', path, body, { query });
export const del = (path) => api('DELETE', path);

// Keyset pagination: the query that fetches the page after items.
export function olderThan(items) {
	const last = items[items.length - 1];
	return last ? { older_than: last.createdAt, older_than_id: last.id } : {};
}
