-- wrk script for bench/graph.sh: GET requests that cycle over the lines
-- "PATH TOKEN" of the file given after "--", each request with the Bearer
-- token on its line.
--
--   wrk ... -s bench/graph-requests.lua URL -- REQUESTS_FILE

local requests = {}
local next_index = 0
local threads_started = 0

-- setup() runs in the main Lua state once per thread, before that
-- thread's init(); thread:set() makes thread_number a global there.
function setup(thread)
	threads_started = threads_started + 1
	thread:set("thread_number", threads_started)
end

function init(args)
	local path = args[1]
	local file = assert(io.open(path or "", "r"),
		"graph-requests.lua: missing or unreadable requests file: " .. tostring(path))
	for line in file:lines() do
		local target, token = line:match("^(%S+) (%S+)$")
		assert(target, "graph-requests.lua: expected \"PATH TOKEN\" in " .. path .. ", got: " .. line)
		requests[#requests + 1] = wrk.format("GET", target,
			{ Authorization = "Bearer " .. token })
	end
	file:close()
	assert(#requests > 0, "graph-requests.lua: " .. path .. " is empty")
	-- Threads start at different lines, so they do not send the same
	-- sequence in step.
	next_index = ((thread_number or 1) - 1) * 7919 % #requests
end

function request()
	next_index = next_index % #requests + 1
	return requests[next_index]
end
