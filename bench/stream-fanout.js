// Fan-out load for bench/streams.sh.  It opens COUNT WebSocket streams
// of one profile and reports when they are open.  It then waits for a
// line on stdin while the shell measures memory.  Last, it publishes one
// event to the profile through nginx's publisher socket and reports the
// time from just before the publish until every stream has received it.
//
//   node stream-fanout.js BASE_URL TOKEN COUNT PUBLISHER_SOCKET PROFILE_ID
//
// Output lines: "open SECONDS", then "delivered COUNT LAST_MS P50_MS"
// or "timeout COUNT".
'use strict';

const http = require('http');
const readline = require('readline');
const WebSocket = require('ws');

const [baseUrl, token, countText, publisher, profileId] = process.argv.slice(2);
const count = Number(countText);
const url = baseUrl.replace(/^http/, 'ws') + '/rt';
const sockets = [];
const latencies = [];
let publishedAt = null;

function frameBody(text) {
	const split = text.indexOf('\n\n');
	return split < 0 ? text : text.slice(split + 2);
}

function open() {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, ['ws+meta.nchan'],
		    { headers: { Authorization: 'Bearer ' + token } });
		ws.on('open', () => resolve(ws));
		ws.on('unexpected-response', (req, res) =>
		    reject(new Error('status ' + res.statusCode)));
		ws.on('error', reject);
		ws.on('message', (data) => {
			if (publishedAt === null)
				return;
			let event;
			try {
				event = JSON.parse(frameBody(data.toString()));
			} catch (e) {
				return;
			}
			if (event.type !== 'fanout_probe')
				return;
			latencies.push(performance.now() - publishedAt);
			if (latencies.length === count)
				finish();
		});
		sockets.push(ws);
	});
}

function finish() {
	latencies.sort((a, b) => a - b);
	const p50 = latencies[Math.floor(latencies.length / 2)];
	console.log('delivered ' + latencies.length + ' ' +
	    latencies[latencies.length - 1].toFixed(1) + ' ' + p50.toFixed(1));
	for (const ws of sockets)
		ws.terminate();
	process.exit(0);
}

async function main() {
	const started = performance.now();
	for (let i = 0; i < count; i += 200) {
		const batch = [];
		for (let k = i; k < Math.min(count, i + 200); k++)
			batch.push(open());
		await Promise.all(batch);
	}
	console.log('open ' + ((performance.now() - started) / 1000).toFixed(1));
	const lines = readline.createInterface({ input: process.stdin });
	lines.once('line', () => {
		const body = JSON.stringify({ type: 'fanout_probe', seq: 0, data: {} });
		publishedAt = performance.now();
		http.request({ socketPath: publisher, method: 'POST',
		    path: '/pub/u/' + profileId,
		    headers: { 'Content-Type': 'application/json' } },
		    (res) => res.resume()).end(body);
		setTimeout(() => {
			console.log('timeout ' + latencies.length);
			process.exit(1);
		}, 30000);
	});
}

main().catch((err) => {
	console.error('stream-fanout.js: ' + err.message);
	process.exit(1);
});
