// The place for chat: conversations, chat boxes and the friends panel.
// The chat routes (/api/profiles/{id}/conversations, /api/chat/...) are
// not served yet, so nothing here calls the API.  When they exist this
// module registers its routes and navigation entry through mount(), and
// handles the chat_* and is_typing stream events; main.js already calls
// mount() once the page shell is ready.
//
// TODO: conversations page, chat view and friends panel once the chat
// routes exist.
export function mount() {
	// Intentionally empty until the chat API is served.
}
