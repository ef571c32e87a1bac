#!/usr/bin/env bash
# Realtime streams: fan-out of one event to COUNT WebSocket (or
# EventSource) subscribers of one nginx (time until the last one has it)
# and the memory nginx needs per idle stream.  Starts its own stack in a
# temporary directory on free ports and stops it afterwards.  End-to-end
# latency from a REST call to delivery under load is measured by
# bench/chat.sh.
#
#   bench/streams.sh [COUNT] [websocket|eventsource]
#
# COUNT defaults to 10,000 streams, all of one profile, whose stream cap
# is raised for this stack only.  The load generator is
# bench/stream-fanout.c, built by this script: one process that watches
# every stream with epoll, so that the client adds little to the time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${1:-10000}
KIND=${2:-websocket}
case $KIND in
websocket | eventsource) ;;
*)
	echo "bench/streams.sh: invalid KIND $KIND: expected websocket or eventsource" >&2
	exit 2
	;;
esac
PASSWORD=bench-password-1

die() { printf 'bench/streams.sh: %s\n' "$*" >&2; exit 1; }

. "$ROOT/bench/stack.sh"
raise_open_files "$COUNT"
print_machine
export BUNNYBOOK_STREAMS_PER_PROFILE=$COUNT
# Each stream is one nginx connection; the stack allows 4,096 per worker.
export BB_NGINX_CONNECTIONS=$((COUNT + 1024))
export BUNNYBOOK_ACCESS_TOKEN_TTL_S=86400
start_stack

curl -fsS -o /dev/null -H 'Content-Type: application/json' \
	--data "{\"username\":\"fanout\",\"email\":\"fanout@example.com\",\"password\":\"$PASSWORD\"}" \
	"$BB_URL/api/register"
TOKEN=$(curl -fsS -H 'Content-Type: application/json' \
	--data "{\"email\":\"fanout@example.com\",\"password\":\"$PASSWORD\"}" \
	"$BB_URL/api/login" | perl -MJSON::PP -0777 -ne 'print decode_json($_)->{accessToken}')
PROFILE=$(psql -h 127.0.0.1 -p "$BB_PG_PORT" -U bunnybook -d bunnybook -Atc \
	"SELECT id FROM profiles WHERE username = 'fanout'")

# Resident memory of the stack's nginx workers, in KiB.
nginx_rss() {
	local master
	master=$(cat "$tmp/stack/nginx/nginx.pid")
	ps -o rss= --ppid "$master" | awk '{ sum += $1 } END { print sum }'
}

# Private resident memory (RssAnon) of the stack's nginx workers, in KiB:
# without the pages of nchan's shared zone that the workers touched.
nginx_rss_anon() {
	local master pid sum=0 kib
	master=$(cat "$tmp/stack/nginx/nginx.pid")
	for pid in $(ps -o pid= --ppid "$master"); do
		kib=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status")
		sum=$((sum + kib))
	done
	echo "$sum"
}

cc -std=c11 -O2 -o "$tmp/stream-fanout" "$ROOT/bench/stream-fanout.c"
before=$(nginx_rss)
before_anon=$(nginx_rss_anon)
coproc FANOUT { "$tmp/stream-fanout" "$BB_PORT" "$TOKEN" "$COUNT" \
	"$tmp/stack/run/nchan-publisher.sock" "$PROFILE" "$KIND"; }
read -r word opened <&"${FANOUT[0]}" || die "the load generator stopped"
[ "$word" = open ] || die "unexpected output from the load generator: $word $opened"
sleep 2
after=$(nginx_rss)
after_anon=$(nginx_rss_anon)
echo go >&"${FANOUT[1]}"
read -r word delivered last p50 <&"${FANOUT[0]}" || die "the load generator stopped"
[ "$word" = delivered ] || die "only $delivered of $COUNT streams received the event"
echo "load after: $(uptime)"
echo "$COUNT streams opened in $opened s"
echo "| fan-out of one event to $COUNT $KIND streams | last delivery $last ms | median $p50 ms |"
awk -v b="$before" -v a="$after" -v n="$COUNT" 'BEGIN {
	printf "| nginx memory per idle stream | %.1f KiB (workers %d KiB before, %d KiB with %d streams) |\n",
	    (a - b) / n, b, a, n }'
awk -v b="$before_anon" -v a="$after_anon" -v n="$COUNT" 'BEGIN {
	printf "| nginx private memory (RssAnon) per idle stream | %.1f KiB (workers %d KiB before, %d KiB with %d streams) |\n",
	    (a - b) / n, b, a, n }'
