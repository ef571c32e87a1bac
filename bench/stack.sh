# Sourced by the bench scripts: the steps they share.  The script sets
# ROOT (the repository) and defines die before sourcing this file.

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

# Build, start a stack on free ports in a new temporary directory $tmp and
# read its stack.env.  The exit trap stops it and removes $tmp.  Export the
# stack's settings before the call.
start_stack() {
	"$ROOT/bunnybook" build
	tmp=$(mktemp -d /tmp/bunnybook-bench.XXXXXX)
	chmod 755 "$tmp"
	trap '"$ROOT/bunnybook" stack stop "$tmp/stack"; rm -rf "$tmp"' EXIT
	BB_LOG_LEVEL=warn "$ROOT/bunnybook" stack start "$tmp/stack"
	# shellcheck disable=SC1091
	. "$tmp/stack/stack.env"
}
