// The tab's one event stream, GET /rt: a WebSocket with the ws+meta.nchan
// subprotocol (each frame carries its message id), or an EventSource
// where WebSocket fails.  Events go out on the bus as "rt:<type>".
//
// The server ends every stream of this person when one of their sessions
// ends, and nginx ends streams when it restarts or reloads.  A stream that
// closes after being open a while therefore reconnects at once with its
// resume id, and the page keeps showing it as connected.  Other reconnects
// back off up to 30 s and also resume from the last message id.
// Durable events carry seq, one more per event for this profile.  Two
// events for one person published at the same moment by different workers
// may arrive in the other order, so a missing seq gets SEQ_WAIT_MS to turn
// up.  One that does not means nchan's buffer no longer held it, and the
// app re-reads its state over REST ("resync").  A long disconnect also
// resyncs, since missed events that expired from the buffer leave no gap
// until the next event arrives.  So does a stream that opens without a
// resume id, because nothing before its open can reach it: the first one
// after start(), while the page loaded its state over REST, or one that
// reconnects before any event arrived.
//
// A stream can also stay open and deliver nothing: nchan 1.3.6 on Redis
// now and then leaves one channel stuck on an nginx host.  A tab whose
// stream has been quiet for QUIET_MS adds a stream check to its next
// heartbeat, and the server publishes a stream_check event.  Any event
// within CHECK_WAIT_MS shows the stream works.  Without one the tab has
// the server move this person's streams to new channels, opens a new
// stream and resyncs.  While checks keep failing, the resync after each
// one keeps the page current over REST.
import { emit } from './bus.js';
import * as session from './session.js';
import { post } from './api.js';

const HEARTBEAT_MS = 30000;
const LONG_GAP_MS = 60000;
// A stream that closes after being open at least this long was ended on
// purpose by the server.  One that closes sooner counts as a failure and
// backs off, so a server that accepts and drops streams is not hammered.
const CLEAN_CLOSE_MIN_MS = 10000;
const SEQ_WAIT_MS = 2000;
// How many recent seq values are remembered to drop repeats.
const SEQ_WINDOW = 500;
const QUIET_MS = 60000;
const CHECK_WAIT_MS = 10000;

let transport = null;
let lastId = null;
let highestSeq = null;
const seenSeqs = new Set();
const missingSeqs = new Set();
let seqTimer = null;
let failures = 0;
let opened = false;
let openedAt = 0;
let useEventSource = !('WebSocket' in window);
let retryTimer = null;
let heartbeatTimer = null;
let downSince = null;
let running = false;
let lastEventAt = 0;
let checkTimer = null;
let checksFailed = 0;

export const status = { connected: false, kind: null };

export function start() {
	if (running)
		return;
	running = true;
	lastEventAt = Date.now();
	connect();
}

export function stop() {
	running = false;
	clearTimeout(retryTimer);
	clearInterval(heartbeatTimer);
	cancelCheck();
	closeTransport();
	lastId = null;
	forgetSeqs();
	failures = 0;
	setConnected(false);
}

function url() {
	const base = new URL('/rt', location.href);
	if (lastId)
		base.searchParams.set('last_event_id', lastId);
	return base;
}

function connect() {
	if (!running)
		return;
	opened = false;
	if (useEventSource)
		openEventSource();
	else
		openWebSocket();
}

function openWebSocket() {
	const target = url();
	target.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
	const ws = new WebSocket(target, 'ws+meta.nchan');
	transport = ws;
	ws.addEventListener('open', onOpen);
	ws.addEventListener('message', (event) => {
		const text = typeof event.data === 'string' ? event.data : '';
		const split = text.indexOf('\n\n');
		let id = null;
		for (const line of text.slice(0, Math.max(split, 0)).split('\n')) {
			const m = /^id:\s*(.*)$/i.exec(line);
			if (m)
				id = m[1].trim();
		}
		handle(id, split >= 0 ? text.slice(split + 2) : text);
	});
	ws.addEventListener('close', () => {
		if (transport !== ws)
			return;
		transport = null;
		if (closedCleanly())
			return reconnectNow();
		// A stream that never opened may have met an expired token, or a
		// network that drops WebSocket upgrades: after two such failures
		// try EventSource instead.
		if (!opened && ++failures >= 2 && failures % 2 === 0)
			useEventSource = !useEventSource;
		retry(!opened);
	});
}

function openEventSource() {
	const es = new EventSource(url());
	transport = es;
	es.addEventListener('open', onOpen);
	es.addEventListener('message', (event) => handle(event.lastEventId || null, event.data));
	es.addEventListener('error', () => {
		if (transport !== es)
			return;
		// Take reconnecting over from the browser, so the resume id and the
		// token refresh follow our own rules.
		es.close();
		transport = null;
		if (closedCleanly())
			return reconnectNow();
		if (!opened)
			failures++;
		retry(!opened);
	});
}

function closedCleanly() {
	return opened && Date.now() - openedAt >= CLEAN_CLOSE_MIN_MS;
}

// Opens the next stream right away, keeping the connected state and the
// heartbeat: the page shows no disconnect and presence does not change.
// Should the new stream not open, its close or error handler backs off.
function reconnectNow() {
	clearTimeout(retryTimer);
	connect();
}

function onOpen() {
	opened = true;
	openedAt = Date.now();
	failures = 0;
	setConnected(true);
	const gap = downSince !== null && Date.now() - downSince > LONG_GAP_MS;
	downSince = null;
	if (gap)
		emit('resync', { reason: 'long disconnect' });
	else if (lastId === null)
		emit('resync', { reason: 'stream without a resume id' });
	clearInterval(heartbeatTimer);
	heartbeatTimer = setInterval(heartbeat, HEARTBEAT_MS);
}

// Sends the heartbeat that keeps this person online, with a stream check
// when the stream has been quiet.
function heartbeat() {
	let path = '/api/presence/heartbeat';
	if (checkTimer === null && Date.now() - lastEventAt >= QUIET_MS) {
		const token = Math.random().toString(36).slice(2, 12) || 'check';
		path += '?check=' + token;
		checkTimer = setTimeout(checkFailed, CHECK_WAIT_MS);
	}
	// The stream may be fine when the request fails, so the check is dropped.
	post(path).catch(cancelCheck);
}

function cancelCheck() {
	clearTimeout(checkTimer);
	checkTimer = null;
}

async function checkFailed() {
	checkTimer = null;
	if (!running || transport === null)
		return;
	checksFailed++;
	console.warn('bunnybook: stream check failed: no event within ' +
	    CHECK_WAIT_MS / 1000 + ' s (' + checksFailed + ' in a row); requesting new channels and reconnecting');
	// Renew first, so that the next stream opens on the new channels.  The
	// server renews at most once in 5 minutes per person.
	await post('/api/presence/heartbeat?renew=1').catch(() => {});
	if (!running)
		return;
	emit('resync', { reason: 'stream check failed' });
	closeTransport();
	reconnectNow();
}

async function retry(neverOpened) {
	setConnected(false);
	clearInterval(heartbeatTimer);
	cancelCheck();
	if (!running)
		return;
	if (downSince === null)
		downSince = Date.now();
	let delay = Math.min(30000, 500 * 2 ** Math.min(failures, 6)) * (0.75 + Math.random() / 2);
	// A failed WebSocket or EventSource does not tell the HTTP status, so
	// a stream that did not open is asked for again with fetch to learn
	// it: 401 means the access token expired, 429 that this person has
	// too many streams open (wait Retry-After).
	const me = session.user();
	const status = neverOpened && me ? await probe() : 0;
	if (status === 429)
		delay = Math.max(delay, retryAfterMs);
	const expiring = me && me.accessExp * 1000 - Date.now() < 30000;
	if (neverOpened && me && (status === 401 || expiring || (status === 0 && failures >= 2)))
		await session.refresh(me.stamp, status === 401);
	if (!running || !session.user())
		return;
	clearTimeout(retryTimer);
	retryTimer = setTimeout(connect, delay);
}

let retryAfterMs = 10000;

// The HTTP status of GET /rt, or 0 when the request fails.  A probe that
// gets a stream (200) closes it as soon as the headers arrive.
async function probe() {
	const controller = new AbortController();
	try {
		const response = await fetch(url(), {
			credentials: 'same-origin', headers: { Accept: 'text/event-stream' }, signal: controller.signal,
		});
		const seconds = Number(response.headers.get('Retry-After'));
		retryAfterMs = seconds > 0 ? Math.min(seconds, 300) * 1000 : 10000;
		return response.status;
	} catch {
		return 0;
	} finally {
		controller.abort();
	}
}

function handle(id, body) {
	let event;
	try {
		event = JSON.parse(body);
	} catch {
		return; // nchan pings and anything that is not an event
	}
	if (!event || typeof event.type !== 'string')
		return;
	lastEventAt = Date.now();
	if (checkTimer !== null) {
		cancelCheck();
		checksFailed = 0;
	}
	if (typeof event.seq === 'number' && !takeSeq(event.seq))
		return; // already seen, before a reconnect
	if (id)
		lastId = id;
	emit('rt:' + event.type, event.data);
	emit('rt', event);
}

// Note a durable event's seq; false when it was seen before.
function takeSeq(seq) {
	if (seenSeqs.has(seq) || (highestSeq !== null && seq <= highestSeq - SEQ_WINDOW))
		return false;
	seenSeqs.add(seq);
	if (highestSeq === null) {
		highestSeq = seq;
	} else if (seq > highestSeq) {
		if (seq - highestSeq > SEQ_WINDOW) {
			missingSeqs.add(highestSeq + 1);
		} else {
			for (let missing = highestSeq + 1; missing < seq; missing++)
				missingSeqs.add(missing);
		}
		highestSeq = seq;
		for (const old of seenSeqs) {
			if (old <= highestSeq - SEQ_WINDOW)
				seenSeqs.delete(old);
		}
	} else {
		missingSeqs.delete(seq);
	}
	if (missingSeqs.size > 0 && seqTimer === null)
		seqTimer = setTimeout(checkMissing, SEQ_WAIT_MS);
	return true;
}

function checkMissing() {
	seqTimer = null;
	if (missingSeqs.size === 0)
		return;
	const from = Math.min(...missingSeqs);
	missingSeqs.clear();
	emit('resync', { reason: 'missed events', from, to: highestSeq });
}

function forgetSeqs() {
	highestSeq = null;
	seenSeqs.clear();
	missingSeqs.clear();
	clearTimeout(seqTimer);
	seqTimer = null;
}

function closeTransport() {
	const old = transport;
	transport = null;
	if (old)
		old.close();
}

function setConnected(value) {
	status.connected = value;
	status.kind = null;
	if (value)
		status.kind = useEventSource ? 'eventsource' : 'websocket';
	document.documentElement.dataset.stream = value ? status.kind : 'down';
}
