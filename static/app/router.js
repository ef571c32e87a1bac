// A small history-API router.  nginx serves index.html for every path that
// is not a file, so deep links such as /profile/<id> load directly.
//
// A view is a function (params, context) that fills context.root; its
// context.signal aborts when the person leaves the page, which removes the
// view's bus listeners and cancels its timers.

const routes = [];
let currentController = null;
let renderHook = null;

export function route(pattern, view, options = {}) {
	const names = [];
	const source = pattern.replace(/:(\w+)/g, (_, name) => {
		names.push(name);
		return '([^/]+)';
	});
	routes.push({ regex: new RegExp(`^${source}/?$`), names, view, options });
}

function match(path) {
	for (const r of routes) {
		const m = r.regex.exec(path);
		if (m) {
			const params = {};
			r.names.forEach((name, i) => { params[name] = decodeURIComponent(m[i + 1]); });
			return { route: r, params };
		}
	}
	return null;
}

// hook(found, params, url) renders; it is given the matched route or null.
export function onRender(hook) {
	renderHook = hook;
}

export function navigate(to, { replace = false } = {}) {
	const url = new URL(to, location.href);
	if (url.href === location.href && !replace) {
		render();
		return;
	}
	history[replace ? 'replaceState' : 'pushState']({}, '', url);
	render();
}

export function render() {
	if (currentController)
		currentController.abort();
	currentController = new AbortController();
	const found = match(location.pathname);
	renderHook(found ? found.route : null, found ? found.params : {}, new URL(location.href), currentController.signal);
}

export function start() {
	window.addEventListener('popstate', render);
	document.addEventListener('click', (event) => {
		if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)
			return;
		const link = event.target.closest('a[href]');
		if (!link || link.target || link.hasAttribute('download'))
			return;
		const url = new URL(link.href);
		if (url.origin !== location.origin || url.pathname.startsWith('/api/'))
			return;
		// In-page anchors such as the skip link stay with the browser.
		if (url.pathname === location.pathname && url.search === location.search && url.hash)
			return;
		event.preventDefault();
		navigate(url.pathname + url.search + url.hash);
	});
	render();
}
