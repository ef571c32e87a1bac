// One event target for the whole tab: stream events arrive as
// "rt:<type>" (detail: the event's data), and the app's own state changes
// as plain names ("session", "unread", "presence", "resync").
export const bus = new EventTarget();

export function emit(type, detail) {
	bus.dispatchEvent(new CustomEvent(type, { detail }));
}

// Listen until signal aborts; views pass the signal of their lifetime.
export function on(type, handler, signal) {
	bus.addEventListener(type, (event) => handler(event.detail), { signal });
}
