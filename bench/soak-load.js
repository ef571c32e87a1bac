// Soak and load generator.  Every user keeps a WebSocket stream open and
// reopens it with its resume id whenever it closes.  Meanwhile a steady
// mix of requests runs: feed, walls and posts read, posts written,
// comments, likes and unlikes, notifications, conversations, heartbeats
// and private chat messages.  Some streams are closed on purpose every second and
// come back a moment later, as people close and open tabs.
//
// Like the web client (static/app/rt.js), a user whose stream has been
// quiet for 60 s requests a stream check with a heartbeat.  When no event
// arrives within 10 s, the user requests new channels, reopens the stream
// and reads the newest page of its conversation over REST.  A stream that
// reopens without a resume id (none arrived before it closed) also reads
// that page.  Chat messages found there count as recovered, not
// delivered.  BB_SOAK_NO_CHECK=1 turns the checks and re-reads off, to see
// nchan's own behaviour.
//
//   node soak-load.js USERS_JSON BASE_URL DURATION_S RATE_PER_S [CHURN_PER_S]
//
// USERS_JSON holds [{id, token, friends: [id, ...], chat, partner}, ...]:
// chat is the private conversation with partner, who is also a user.
// Prints one JSON object: requests per route with p50/p99 and statuses,
// chat deliveries, and stream counts: resumes, durable events that came
// twice, after a later one, or never (a seq missing at the end).
'use strict';

const fs = require('fs');
const http = require('http');
const WebSocket = require('ws');

const [usersFile, baseUrl, durationText, rateText, churnText] = process.argv.slice(2);
if (!usersFile || !baseUrl || !durationText || !rateText) {
	console.error('usage: node soak-load.js USERS_JSON BASE_URL DURATION_S RATE_PER_S [CHURN_PER_S]');
	process.exit(2);
}
const users = JSON.parse(fs.readFileSync(usersFile, 'utf8'));
const byId = new Map(users.map((u) => [u.id, u]));
const durationMs = Number(durationText) * 1000;
const rate = Number(rateText);
const churn = Number(churnText || 0);
const base = new URL(baseUrl);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
// Requests beyond this many in flight are not sent: the generator reports
// them as skipped instead of queueing without bound.
const MAX_IN_FLIGHT = 256;
const CHECKS = process.env.BB_SOAK_NO_CHECK !== '1';
// How long after the load the last chat messages may take to arrive before
// they count as lost (BB_SOAK_GRACE_MS overrides it).  With checks, long
// enough for a check to find a stream that stopped receiving at the end.
const DELIVERY_GRACE_MS = Number(process.env.BB_SOAK_GRACE_MS || (CHECKS ? 80000 : 10000));
// The web client's stream check: quiet time, wait for an event, and the
// heartbeat period that paces the checks.
const QUIET_MS = 60000;
const CHECK_WAIT_MS = 10000;
const HEARTBEAT_MS = 30000;

const routes = new Map(); // route -> {ms: [], statuses: {}}
const posts = []; // ids of posts created during the run, newest last
const sentAt = new Map(); // chat message text -> [recipient id, ms]
const deliveryMs = [];
const recoveryMs = []; // chat messages found by a re-read over REST
const streams = { opened: 0, resumed: 0, closedByServer: 0, churned: 0, failed: 0, events: 0, reordered: 0, repeats: 0, lost: 0,
	checks: 0, checksFailed: 0, usersWithGaps: 0, reopenedWithoutResume: 0 };
let inFlight = 0;
let skipped = 0;
let networkErrors = 0;
let chatNumber = 0;
let running = true;
let loadStarted = false;
let endedAt = 0;

function pick(list) {
	return list[Math.floor(Math.random() * list.length)];
}

function percentile(sorted, p) {
	if (sorted.length === 0)
		return null;
	return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function record(route, status, ms) {
	let entry = routes.get(route);
	if (!entry) {
		entry = { ms: [], statuses: {} };
		routes.set(route, entry);
	}
	entry.ms.push(ms);
	entry.statuses[status] = (entry.statuses[status] || 0) + 1;
}

// One request; resolves to {status, body} and records its time under route.
function request(user, method, path, route, body) {
	return new Promise((resolve) => {
		const payload = body === undefined ? null : JSON.stringify(body);
		const headers = { Authorization: 'Bearer ' + user.token };
		if (payload !== null) {
			headers['Content-Type'] = 'application/json';
			headers['Content-Length'] = Buffer.byteLength(payload);
		}
		const started = performance.now();
		inFlight++;
		const req = http.request({ host: base.hostname, port: base.port, agent, method, path, headers }, (res) => {
			const chunks = [];
			res.on('data', (chunk) => chunks.push(chunk));
			res.on('end', () => {
				inFlight--;
				record(route, res.statusCode, performance.now() - started);
				let parsed = null;
				try {
					parsed = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : null;
				} catch {
					parsed = null;
				}
				resolve({ status: res.statusCode, body: parsed });
			});
		});
		req.setTimeout(30000, () => req.destroy(new Error('timeout')));
		req.on('error', () => {
			inFlight--;
			networkErrors++;
			record(route, 'network', performance.now() - started);
			resolve({ status: 0, body: null });
		});
		if (payload !== null)
			req.write(payload);
		req.end();
	});
}

// The mix: weights add up to 100.
const actions = [
	[20, (u) => request(u, 'GET', '/api/feed', 'GET /api/feed')],
	[10, (u) => request(u, 'GET', '/api/posts?wall_profile_id=' + pick(u.friends), 'GET /api/posts')],
	[8, (u) => posts.length && request(u, 'GET', '/api/posts/' + pick(posts), 'GET /api/posts/{id}')],
	[6, async (u) => {
		const wall = Math.random() < 0.5 ? u.id : pick(u.friends);
		const privacy = Math.random() < 0.5 ? 'PUBLIC' : 'FRIENDS';
		const r = await request(u, 'POST', '/api/posts', 'POST /api/posts',
		    { content: 'soak post by ' + u.id.slice(0, 8), wallProfileId: wall, privacy });
		if (r.status === 201 && r.body && r.body.id) {
			posts.push(r.body.id);
			if (posts.length > 2000)
				posts.splice(0, 1000);
		}
	}],
	[8, (u) => posts.length && request(u, 'POST', '/api/posts/' + pick(posts.slice(-200)) + '/comments',
	    'POST /api/posts/{id}/comments', { content: 'soak comment' })],
	[5, (u) => posts.length && request(u, 'GET', '/api/posts/' + pick(posts.slice(-200)) + '/comments',
	    'GET /api/posts/{id}/comments')],
	[6, (u) => posts.length && request(u, 'PUT', '/api/posts/' + pick(posts.slice(-200)) + '/like', 'PUT /api/posts/{id}/like')],
	[3, (u) => posts.length && request(u, 'DELETE', '/api/posts/' + pick(posts.slice(-200)) + '/like', 'DELETE /api/posts/{id}/like')],
	[6, (u) => request(u, 'GET', '/api/profiles/' + u.id + '/notifications', 'GET /api/profiles/{id}/notifications')],
	[4, (u) => request(u, 'GET', '/api/profiles/' + u.id + '/conversations', 'GET /api/profiles/{id}/conversations')],
	[4, (u) => request(u, 'POST', '/api/presence/heartbeat', 'POST /api/presence/heartbeat')],
	[20, async (u) => {
		const text = 'soak ' + ++chatNumber;
		const started = performance.now();
		sentAt.set(text, [u.partner, started]);
		const r = await request(u, 'POST', '/api/chat/' + u.chat + '/messages', 'POST /api/chat/{id}/messages',
		    { content: text });
		// Only a stored message must arrive.
		if (r.status !== 201)
			sentAt.delete(text);
	}],
];
const totalWeight = actions.reduce((sum, [weight]) => sum + weight, 0);

function act() {
	if (inFlight >= MAX_IN_FLIGHT) {
		skipped++;
		return;
	}
	let roll = Math.random() * totalWeight;
	for (const [weight, run] of actions) {
		roll -= weight;
		if (roll < 0) {
			run(pick(users));
			return;
		}
	}
}

// ws+meta.nchan frames: header lines, a blank line, then the message.
function parseFrame(text) {
	const split = text.indexOf('\n\n');
	let id = null;
	for (const line of text.slice(0, Math.max(split, 0)).split('\n')) {
		if (line.toLowerCase().startsWith('id:'))
			id = line.slice(3).trim();
	}
	return { id, body: split < 0 ? text : text.slice(split + 2) };
}

function onEvent(user, frame) {
	let event;
	try {
		event = JSON.parse(frame.body);
	} catch {
		return;
	}
	streams.events++;
	user.lastEventAt = performance.now();
	if (frame.id)
		user.lastId = frame.id;
	if (typeof event.seq === 'number') {
		if (!user.seqs) {
			user.seqs = new Set();
			user.firstSeq = event.seq;
			user.highestSeq = event.seq;
		}
		if (user.seqs.has(event.seq))
			streams.repeats++;
		else if (event.seq < user.highestSeq)
			streams.reordered++;
		user.seqs.add(event.seq);
		user.firstSeq = Math.min(user.firstSeq, event.seq);
		user.highestSeq = Math.max(user.highestSeq, event.seq);
	}
	if (event.type === 'chat_message' && event.data && sentAt.has(event.data.content)) {
		const [recipient, started] = sentAt.get(event.data.content);
		if (recipient === user.id) {
			deliveryMs.push(performance.now() - started);
			sentAt.delete(event.data.content);
		}
	}
}

// Open the user's stream, resuming after the last message it saw.
function connect(user) {
	return new Promise((resolve) => {
		let url = base.origin.replace(/^http/, 'ws') + '/rt';
		if (user.lastId)
			url += '?last_event_id=' + encodeURIComponent(user.lastId);
		const ws = new WebSocket(url, ['ws+meta.nchan'], { headers: { Authorization: 'Bearer ' + user.token } });
		user.ws = ws;
		user.churned = false;
		ws.on('open', () => {
			streams.opened++;
			user.lastEventAt = performance.now();
			// Spread the first checks over a heartbeat period, as tabs do.
			if (user.lastCheckAt === undefined)
				user.lastCheckAt = user.lastEventAt - Math.random() * HEARTBEAT_MS;
			if (user.lastId) {
				streams.resumed++;
			} else if (loadStarted) {
				// A stream without a resume id gets nothing published
				// before it opened, so the web client re-reads its state.
				// The first streams open before the load begins.
				streams.reopenedWithoutResume++;
				user.reopenedWithoutResume = (user.reopenedWithoutResume || 0) + 1;
				if (CHECKS)
					resync(user);
			}
			resolve(true);
		});
		ws.on('message', (data) => onEvent(user, parseFrame(data.toString())));
		ws.on('error', () => {});
		ws.on('unexpected-response', (req, res) => {
			streams.failed++;
			res.resume();
			user.ws = null;
			resolve(false);
			if (running)
				setTimeout(() => connect(user), 1000);
		});
		ws.on('close', () => {
			if (user.ws !== ws)
				return;
			user.ws = null;
			resolve(false);
			if (!running)
				return;
			if (user.churned) {
				setTimeout(() => connect(user), 500 + Math.random() * 1500);
			} else {
				streams.closedByServer++;
				setTimeout(() => connect(user), 100);
			}
		});
	});
}

// Reads the newest page of the user's conversation and counts the
// messages for the user found there as recovered.
async function resync(user) {
	const r = await request(user, 'GET', '/api/chat/' + user.chat + '/messages', 'GET /api/chat/{id}/messages');
	if (r.status !== 200 || !Array.isArray(r.body))
		return;
	for (const message of r.body) {
		const sent = sentAt.get(message.content);
		if (sent && sent[0] === user.id) {
			recoveryMs.push(performance.now() - sent[1]);
			sentAt.delete(message.content);
		}
	}
}

// One user's stream check, run every second.
async function checkStream(user) {
	const now = performance.now();
	if (!user.ws || user.ws.readyState !== WebSocket.OPEN || user.checking)
		return;
	if (user.checkStartedAt !== undefined) {
		if (user.lastEventAt > user.checkStartedAt) {
			user.checkStartedAt = undefined;
		} else if (now - user.checkStartedAt >= CHECK_WAIT_MS) {
			user.checkStartedAt = undefined;
			user.checking = true;
			streams.checksFailed++;
			user.checksFailed = (user.checksFailed || 0) + 1;
			await request(user, 'POST', '/api/presence/heartbeat?renew=1', 'POST /api/presence/heartbeat?renew=1');
			await resync(user);
			if (user.ws && running) {
				user.churned = true;
				user.ws.close();
			}
			user.checking = false;
		}
		return;
	}
	if (now - user.lastEventAt < QUIET_MS || now - user.lastCheckAt < HEARTBEAT_MS)
		return;
	user.lastCheckAt = now;
	user.checkStartedAt = now;
	streams.checks++;
	const token = 'soak' + Math.random().toString(36).slice(2, 12);
	const r = await request(user, 'POST', '/api/presence/heartbeat?check=' + token, 'POST /api/presence/heartbeat?check');
	// The stream may be fine when the request fails, so the check is dropped.
	if (r.status !== 204 && r.status !== 200)
		user.checkStartedAt = undefined;
}

async function main() {
	// Open the streams a few at a time, as a crowd arriving.
	for (let i = 0; i < users.length; i += 50)
		await Promise.all(users.slice(i, i + 50).map(connect));
	const started = performance.now();
	loadStarted = true;
	let done = 0;
	const tick = setInterval(() => {
		const due = Math.floor((performance.now() - started) / 1000 * rate);
		while (done < due) {
			act();
			done++;
		}
	}, 10);
	const churnTimer = churn > 0 ? setInterval(() => {
		for (let i = 0; i < churn; i++) {
			const user = pick(users);
			if (user.ws && user.ws.readyState === WebSocket.OPEN) {
				user.churned = true;
				streams.churned++;
				user.ws.close();
			}
		}
	}, 1000) : null;
	const checkTimer = CHECKS ? setInterval(() => users.forEach(checkStream), 1000) : null;
	await new Promise((resolve) => setTimeout(resolve, durationMs));
	clearInterval(tick);
	clearInterval(churnTimer);
	const elapsed = (performance.now() - started) / 1000;
	// Let requests in flight finish and the last messages arrive.
	const waitUntil = performance.now() + DELIVERY_GRACE_MS;
	while ((inFlight > 0 || sentAt.size > 0) && performance.now() < waitUntil)
		await new Promise((resolve) => setTimeout(resolve, 100));
	running = false;
	endedAt = performance.now();
	clearInterval(checkTimer);
	for (const user of users) {
		if (user.ws)
			user.ws.terminate();
		// Durable events that never came: seq values missing between the
		// first and the last one the user saw.
		user.gaps = 0;
		for (let seq = user.firstSeq; user.seqs && seq < user.highestSeq; seq++) {
			if (!user.seqs.has(seq))
				user.gaps++;
		}
		streams.lost += user.gaps;
		if (user.gaps > 0)
			streams.usersWithGaps++;
	}
	report(elapsed);
	agent.destroy();
	process.exit(0);
}

function report(elapsed) {
	const perRoute = {};
	let total = 0;
	let serverErrors = 0;
	for (const [route, entry] of [...routes.entries()].sort()) {
		const sorted = entry.ms.slice().sort((a, b) => a - b);
		total += sorted.length;
		for (const [status, count] of Object.entries(entry.statuses)) {
			if (/^5/.test(status))
				serverErrors += count;
		}
		perRoute[route] = {
			count: sorted.length,
			p50Ms: Number(percentile(sorted, 0.5).toFixed(1)),
			p99Ms: Number(percentile(sorted, 0.99).toFixed(1)),
			statuses: entry.statuses,
		};
	}
	const delivery = deliveryMs.slice().sort((a, b) => a - b);
	const recovery = recoveryMs.slice().sort((a, b) => a - b);
	console.log(JSON.stringify({
		users: users.length,
		durationS: Number(elapsed.toFixed(1)),
		targetRate: rate,
		requests: total,
		requestsPerS: Number((total / elapsed).toFixed(1)),
		serverErrors,
		networkErrors,
		skipped,
		routes: perRoute,
		chat: {
			delivered: delivery.length,
			undelivered: sentAt.size,
			p50Ms: delivery.length ? Number(percentile(delivery, 0.5).toFixed(1)) : null,
			p99Ms: delivery.length ? Number(percentile(delivery, 0.99).toFixed(1)) : null,
			recoveredOverRest: recovery.length,
			recoveryP50Ms: recovery.length ? Number(percentile(recovery, 0.5).toFixed(1)) : null,
			recoveryMaxMs: recovery.length ? Number(recovery[recovery.length - 1].toFixed(1)) : null,
			// The first undelivered messages, to tell a stuck stream from a
			// lost event: how long before the end each was sent and what its
			// recipient's stream did.
			undeliveredDetail: [...sentAt.values()].slice(0, 20).map(([recipient, started]) => {
				const user = byId.get(recipient);
				return {
					recipient,
					sentBeforeEndMs: Math.round(endedAt - started),
					quietBeforeEndMs: Math.round(endedAt - user.lastEventAt),
					checksFailed: user.checksFailed || 0,
					reopenedWithoutResume: user.reopenedWithoutResume || 0,
					seqGaps: user.gaps,
				};
			}),
		},
		streams,
	}));
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
