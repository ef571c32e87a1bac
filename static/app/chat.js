// The place for chat: conversations, chat boxes and the friends panel.
// The chat routes (/api/profiles/{id}/conversations, /api/chat/...) are
// not served yet, so nothing here calls the API.  When they exist, mount()
// registers the chat routes and the navigation entry (the #nav-chat-slot
// placeholder in main.js) and listens for the chat_* and is_typing stream
// events.  main.js already calls mount() once the page shell is ready.
//
// TODO: conversations page, chat view and friends panel once the chat
// routes exist.
export function mount() {
	// Intentionally empty until the chat API is served.
}
