# shellcheck shell=bash
# Sourced by the bench scripts: the steps they share.  The script sets
# ROOT (the repository) and defines die before sourcing this file.

# The temporary directory of the stacks; start_stack creates it.
tmp=

# Install t/js's packages (the ws stream client) when they are missing.
need_stream_client() {
	[ -d "$ROOT/t/js/node_modules/ws" ] ||
		(cd "$ROOT/t/js" && npm ci --no-audit --no-fund --silent)
}

# raise_open_files STREAMS: raise the open files limit to the hard limit.
# Stop when that is too low for STREAMS streams plus the stack's own.
raise_open_files() {
	ulimit -n "$(ulimit -Hn)"
	[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $(($1 + 1024)) ] ||
		die "open files limit $(ulimit -n) is too low for $1 streams; raise the hard limit (ulimit -Hn)"
}

# Print the machine's cores and memory, and its load before the run.
print_machine() {
	echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "load before: $(uptime)"
}

# Stop every stack in $tmp and remove it, unless BB_KEEP is set (the
# logs stay for a look); the exit trap of start_stack.
stop_stacks() {
	local dir
	for dir in "$tmp"/*/; do
		[ -f "$dir/stack.env" ] || continue
		"$ROOT/bunnybook" stack stop "${dir%/}"
	done
	if [ -n "${BB_KEEP:-}" ]; then
		echo "stacks stopped; their files stay in $tmp"
	else
		rm -rf "$tmp"
	fi
}

# start_stack [NAME]: start a stack on free ports in $tmp/NAME (default
# $tmp/stack) and read its stack.env.
# The first call builds, creates $tmp and sets an exit trap that stops
# every stack started there and removes $tmp.  Export the stack's settings
# before the call.
start_stack() {
	local name=${1:-stack}
	if [ -z "${tmp:-}" ]; then
		"$ROOT/bunnybook" build
		tmp=$(mktemp -d /tmp/bunnybook-bench.XXXXXX)
		chmod 755 "$tmp"
		trap stop_stacks EXIT
	fi
	BB_LOG_LEVEL=warn "$ROOT/bunnybook" stack start "$tmp/$name"
	# shellcheck source=/dev/null
	. "$tmp/$name/stack.env"
}
