// Chat load generator for bench/chat.sh.  It connects every user's
// WebSocket stream, then sends private messages at a fixed rate from
// random users to their partners for a while, and measures the time from
// just before each POST until the partner's stream delivers the message.
// Every message is also delivered to the sender's own stream (their other
// tabs), so each message is two events: both are timed and counted.
//
//   node chat-load.js USERS_JSON BASE_URL RATE_PER_S DURATION_S
//
// USERS_JSON contains [{id, token, chat}, ...] where users 2k and 2k+1 are
// partners in conversation chat.  Prints one JSON object with the results.
'use strict';

const fs = require('fs');
const http = require('http');
const WebSocket = require('ws');

const [usersFile, baseUrl, rateText, durationText] = process.argv.slice(2);
const users = JSON.parse(fs.readFileSync(usersFile, 'utf8'));
const rate = Number(rateText);
const durationMs = Number(durationText) * 1000;
const base = new URL(baseUrl);
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

// Message number -> { at: the time just before its POST, partner and
// sender: whether that copy arrived }
const sentAt = new Map();
const deliveryMs = [];    // partner's copies
const eventMs = [];       // every copy, the sender's own included
let senderCopies = 0;
const postMs = [];
const statuses = {};
let delivered = 0;

function percentile(sorted, p) {
	if (sorted.length === 0)
		return null;
	return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

// ws+meta.nchan frames: header lines, a blank line, then the message.
function frameBody(text) {
	const split = text.indexOf('\n\n');
	return split < 0 ? text : text.slice(split + 2);
}

function connect(user, index) {
	return new Promise((resolve, reject) => {
		const url = base.origin.replace(/^http/, 'ws') + '/rt';
		const ws = new WebSocket(url, ['ws+meta.nchan'],
		    { headers: { Authorization: 'Bearer ' + user.token } });
		ws.on('open', () => resolve(ws));
		ws.on('error', reject);
		ws.on('message', (data) => {
			let event;
			try {
				event = JSON.parse(frameBody(data.toString()));
			} catch (e) {
				return;
			}
			if (event.type !== 'chat_message')
				return;
			const match = /^bench (\d+)$/.exec(event.data.content);
			const sent = match && sentAt.get(Number(match[1]));
			if (!sent)
				return;
			const ms = performance.now() - sent.at;
			const own = event.data.fromProfileId === user.id;
			if (own ? sent.sender : sent.partner)
				return;
			eventMs.push(ms);
			if (own) {
				sent.sender = true;
				senderCopies++;
			} else {
				sent.partner = true;
				deliveryMs.push(ms);
				delivered++;
			}
			if (sent.sender && sent.partner)
				sentAt.delete(Number(match[1]));
		});
		users[index].ws = ws;
	});
}

function send(number) {
	const sender = users[Math.floor(Math.random() * users.length)];
	const body = JSON.stringify({ content: 'bench ' + number });
	const started = performance.now();
	sentAt.set(number, { at: started, partner: false, sender: false });
	const req = http.request({
		host: base.hostname, port: base.port, agent, method: 'POST',
		path: '/api/chat/' + sender.chat + '/messages',
		headers: {
			'Content-Type': 'application/json',
			'Content-Length': Buffer.byteLength(body),
			Authorization: 'Bearer ' + sender.token,
		},
	}, (res) => {
		res.resume();
		res.on('end', () => {
			postMs.push(performance.now() - started);
			statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
			if (res.statusCode !== 201)
				sentAt.delete(number);
		});
	});
	req.on('error', () => {
		statuses.error = (statuses.error || 0) + 1;
		sentAt.delete(number);
	});
	req.end(body);
}

async function main() {
	const opened = performance.now();
	for (let i = 0; i < users.length; i += 50)
		await Promise.all(users.slice(i, i + 50).map((u, k) => connect(u, i + k)));
	const connectS = (performance.now() - opened) / 1000;

	// Send in ticks of 10 ms, carrying fractions over, for an even rate.
	let number = 0, owed = 0;
	const started = performance.now();
	await new Promise((resolve) => {
		const timer = setInterval(() => {
			const elapsed = performance.now() - started;
			if (elapsed >= durationMs) {
				clearInterval(timer);
				resolve();
				return;
			}
			owed += rate / 100;
			for (; owed >= 1; owed--)
				send(number++);
		}, 10);
	});
	const sendS = (performance.now() - started) / 1000;
	await new Promise((resolve) => setTimeout(resolve, 3000));

	deliveryMs.sort((a, b) => a - b);
	eventMs.sort((a, b) => a - b);
	postMs.sort((a, b) => a - b);
	let undelivered = 0, senderUndelivered = 0;
	for (const sent of sentAt.values()) {
		undelivered += sent.partner ? 0 : 1;
		senderUndelivered += sent.sender ? 0 : 1;
	}
	const round = (v) => (v === null ? null : Math.round(v * 100) / 100);
	console.log(JSON.stringify({
		users: users.length,
		connectSeconds: round(connectS),
		targetRate: rate,
		sent: number,
		sentRate: round(number / sendS),
		statuses,
		delivered,
		undelivered,
		deliveryP50Ms: round(percentile(deliveryMs, 0.5)),
		deliveryP99Ms: round(percentile(deliveryMs, 0.99)),
		senderCopies,
		senderUndelivered,
		eventRate: round(eventMs.length / sendS),
		eventP50Ms: round(percentile(eventMs, 0.5)),
		eventP99Ms: round(percentile(eventMs, 0.99)),
		postP50Ms: round(percentile(postMs, 0.5)),
		postP99Ms: round(percentile(postMs, 0.99)),
	}));
	for (const u of users)
		u.ws.terminate();
	agent.destroy();
}

main().catch((err) => {
	console.error('chat-load.js: ' + err.message);
	process.exit(1);
});
