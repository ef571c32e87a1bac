#!/usr/bin/env bash
# Soak: a realistic mix of requests against one host for a long time, with
# every user's WebSocket stream connected and some streams closed and
# reopened every second.  Reports throughput, p50/p99 per route, errors
# (target: no 5xx) and lost chat messages and durable events (target:
# none).  Also reports the private resident memory (RssAnon) of every
# process of the stack at the start, after the warm-up, each minute after
# it and at the end (target: no growth after the warm-up).  Shared memory
# is left out because it grows with use without being a leak: the shared
# buffers a PostgreSQL backend has touched, nchan's zone in each nginx
# worker.
# Starts its own stack in a temporary directory on free ports.
#
#   bench/soak.sh [DURATION_S] [USERS] [RATE_PER_S] [CHURN_PER_S] [WORKERS]
#
# Defaults: 600 s, 1,000 users, 150 requests/s, 5 streams closed and
# reopened per second, 8 workers.  The load generator is
# bench/soak-load.js (it needs the ws package of t/js).  Like the web
# client, it checks streams that have been quiet for 60 s and moves a
# person whose stream fails the check to new channels, reading the
# conversation over REST, and it reads it too when a stream reopens
# without a resume id; BB_SOAK_NO_CHECK=1 turns that off.
#
# nchan keeps each message for its message timeout (1 h in the site), so
# nginx and nchan's Redis grow for that long before they can level off.
# For a run shorter than that, the soak stack keeps messages for
# MESSAGE_TIMEOUT_S seconds instead (default 120; 3600 keeps the site's
# hour), and bunnybookd honours resume ids up to 11/12 of that age, as
# the site's 55 minutes to nchan's hour.  The warm-up lasts that long plus
# a minute, so that the message store has stopped filling before growth
# is measured.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${1:-600}
USERS=${2:-1000}
RATE=${3:-150}
CHURN=${4:-5}
WORKERS=${5:-8}
MESSAGE_TIMEOUT_S=${MESSAGE_TIMEOUT_S:-120}
WARMUP=$((MESSAGE_TIMEOUT_S + 60))
[ "$WARMUP" -lt "$DURATION" ] || WARMUP=$((DURATION / 2))

die() { printf 'bench/soak.sh: %s\n' "$*" >&2; exit 1; }

. "$ROOT/bench/stack.sh"
need_stream_client
raise_open_files "$USERS"
print_machine
export BUNNYBOOK_ACCESS_TOKEN_TTL_S=$((DURATION + 3600))
export BUNNYBOOK_WORKERS=$WORKERS
export BUNNYBOOK_STREAM_RESUME_MAX_AGE_S=$((MESSAGE_TIMEOUT_S * 11 / 12))
start_stack
if [ "$MESSAGE_TIMEOUT_S" != 3600 ]; then
	sed -i "s/nchan_message_timeout 1h;/nchan_message_timeout ${MESSAGE_TIMEOUT_S}s;/" \
		"$tmp/stack/nginx/bunnybook.conf"
	grep -q "nchan_message_timeout ${MESSAGE_TIMEOUT_S}s;" "$tmp/stack/nginx/bunnybook.conf" ||
		die "could not set nchan_message_timeout in the soak stack"
	"$ROOT/bunnybook" stack service "$tmp/stack" restart nginx
fi
echo "nchan message timeout: ${MESSAGE_TIMEOUT_S} s; warm-up: ${WARMUP} s"

echo "creating and logging in $USERS people"
"$ROOT/bench/soak-setup.sh" "$tmp/stack" "$USERS" "$tmp/users.json"

# The stack's processes with their children: "NAME PID" lines.
processes() {
	local file name pid child
	for file in "$tmp"/stack/pids/*.pid; do
		name=$(basename "$file" .pid)
		pid=$(cat "$file")
		echo "$name $pid"
		for child in $(pgrep -P "$pid" || true); do
			echo "$name $child"
		done
	done
}

# Total private resident memory per kind of process, in KiB:
# "NAME COUNT KIB".
rss() {
	processes | while read -r name pid; do
		printf '%s %s\n' "$name" "$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)"
	done | awk '{ n[$1]++; kib[$1] += $2 } END { for (k in n) print k, n[k], kib[k] }' | sort
}

rss >"$tmp/rss-start"
echo "running $RATE requests/s for $DURATION s, $USERS streams, $CHURN reopened per second, $WORKERS workers"
NODE_PATH="$ROOT/t/js/node_modules" node "$ROOT/bench/soak-load.js" \
	"$tmp/users.json" "$BB_URL" "$DURATION" "$RATE" "$CHURN" >"$tmp/load.json" &
load=$!
sleep "$WARMUP"
rss >"$tmp/rss-warm"
# Every minute after the warm-up, so that a slow leak shows as a trend.
samples=0
while kill -0 "$load" 2>/dev/null; do
	sleep 60
	kill -0 "$load" 2>/dev/null || break
	samples=$((samples + 1))
	rss >"$tmp/rss-sample-$samples"
done
wait "$load"
rss >"$tmp/rss-end"
echo "load after: $(uptime)"
fives=$(grep -c '" 5[0-9][0-9] ' "$tmp/stack/logs/nginx-access.log" 2>/dev/null || true)

perl -MJSON::PP -0777 -e '
	my $r = decode_json(scalar <STDIN>);
	printf "%d users, %.0f s, %.1f requests/s (target %d), %d with 5xx, %d network errors, %d skipped\n",
	    $r->{users}, $r->{durationS}, $r->{requestsPerS}, $r->{targetRate},
	    $r->{serverErrors}, $r->{networkErrors}, $r->{skipped};
	my $c = $r->{chat};
	printf "chat: %d delivered, %d recovered by a re-read over REST (p50 %s ms, max %s ms), %d lost, delivery p50 %s ms, p99 %s ms\n",
	    $c->{delivered}, $c->{recoveredOverRest}, $c->{recoveryP50Ms} // "-", $c->{recoveryMaxMs} // "-",
	    $c->{undelivered}, $c->{p50Ms} // "-", $c->{p99Ms} // "-";
	my $s = $r->{streams};
	printf "streams: %d opened, %d resumed, %d reopened without a resume id, %d closed by the server, %d closed on purpose, %d refused, %d events, %d after a later one, %d twice, %d lost (%d people), %d checks, %d of them failed\n",
	    @$s{qw(opened resumed reopenedWithoutResume closedByServer churned failed events reordered repeats lost usersWithGaps checks checksFailed)};
	for my $d (@{$c->{undeliveredDetail}}) {
		printf "undelivered to %s: sent %d ms before the end, its stream quiet for %d ms at the end, %d failed checks, %d reopened without a resume id, %d seq gaps\n",
		    @$d{qw(recipient sentBeforeEndMs quietBeforeEndMs checksFailed reopenedWithoutResume seqGaps)};
	}
	print "| route | requests | p50 ms | p99 ms | statuses |\n|---|---|---|---|---|\n";
	for my $route (sort keys %{$r->{routes}}) {
		my $e = $r->{routes}{$route};
		my $statuses = join ", ", map { "$_: $e->{statuses}{$_}" } sort keys %{$e->{statuses}};
		printf "| %s | %d | %.1f | %.1f | %s |\n", $route, $e->{count}, $e->{p50Ms}, $e->{p99Ms}, $statuses;
	}' <"$tmp/load.json"

echo
echo "| process | count | RssAnon start MiB | after ${WARMUP} s MiB | end MiB |"
echo '|---|---|---|---|---|'
join "$tmp/rss-start" "$tmp/rss-warm" | join - "$tmp/rss-end" |
	awk '{ printf "| %s | %d | %.1f | %.1f | %.1f |\n", $1, $6, $3 / 1024, $5 / 1024, $7 / 1024 }'
echo
echo "Private resident memory (RssAnon) in MiB after the warm-up, then each minute:"
for name in $(cut -d' ' -f1 "$tmp/rss-warm"); do
	row="$name:"
	for f in "$tmp/rss-warm" $(for i in $(seq "$samples"); do echo "$tmp/rss-sample-$i"; done) "$tmp/rss-end"; do
		row="$row $(awk -v n="$name" '$1 == n { printf "%.1f", $3 / 1024 }' "$f")"
	done
	echo "$row"
done
echo "5xx lines in nginx's access log: ${fives:-0}"
