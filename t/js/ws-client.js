// A WebSocket stream client for the integration tests.  It connects to
// /rt with the ws+meta.nchan subprotocol, prints one JSON line per message
// ({"id": ..., "event": ...}) and exits after --count messages or
// --timeout milliseconds.  Status lines start with "#".
//
//   node ws-client.js URL [--token T] [--cookie C] [--origin O]
//       [--count N] [--timeout MS] [--last-event-id ID] [--types T1,T2]
//
// With --types, events of other types are neither printed nor counted.
'use strict';

const WebSocket = require('ws');

function parseArgs(argv) {
	const opts = { count: 1, timeout: 5000 };
	opts.url = argv[0];
	for (let i = 1; i < argv.length; i += 2) {
		const name = argv[i].replace(/^--/, '').replace(/-(.)/g, (m, c) => c.toUpperCase());
		opts[name] = argv[i + 1];
	}
	opts.count = Number(opts.count);
	opts.timeout = Number(opts.timeout);
	return opts;
}

// ws+meta.nchan frames: header lines, a blank line, then the message.
function parseFrame(text) {
	const split = text.indexOf('\n\n');
	const headers = {};
	for (const line of text.slice(0, split).split('\n')) {
		const colon = line.indexOf(':');
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return { id: headers.id || null, body: text.slice(split + 2) };
}

const opts = parseArgs(process.argv.slice(2));
let url = opts.url;
if (opts.lastEventId)
	url += (url.includes('?') ? '&' : '?') + 'last_event_id=' + encodeURIComponent(opts.lastEventId);
const headers = {};
if (opts.token)
	headers.Authorization = 'Bearer ' + opts.token;
if (opts.cookie)
	headers.Cookie = opts.cookie;
if (opts.origin)
	headers.Origin = opts.origin;

let received = 0;
const ws = new WebSocket(url, ['ws+meta.nchan'], { headers });
const timer = setTimeout(() => {
	console.log('# timeout');
	process.exit(0);
}, opts.timeout);

ws.on('open', () => console.log('# open'));
ws.on('unexpected-response', (req, res) => {
	console.log('# status ' + res.statusCode);
	process.exit(0);
});
ws.on('message', (data) => {
	const frame = parseFrame(data.toString());
	let event = null;
	try {
		event = JSON.parse(frame.body);
	} catch (e) {
		event = { unparsed: frame.body };
	}
	if (opts.types && !opts.types.split(',').includes(event.type))
		return;
	console.log(JSON.stringify({ id: frame.id, event }));
	received++;
	if (received >= opts.count) {
		clearTimeout(timer);
		ws.close();
		process.exit(0);
	}
});
ws.on('close', (code) => {
	console.log('# close ' + code);
	process.exit(0);
});
ws.on('error', (err) => {
	console.log('# error ' + err.message);
	process.exit(0);
});
