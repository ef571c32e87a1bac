#!/usr/bin/env bash
# Friend graph on both backends: uncached latency of friend suggestions,
# mutual friends and the friends list, for the best-connected person
# (fb107, 1,045 friends) and for a sample of random people, at two sizes.
# The small graph is the Facebook ego network of data/ego-facebook-edges.txt
# (4,039 people).  The large one is 10 disjoint copies of it (40,390 people
# with the same degree distribution), in which fb107 stays the hub of copy
# 0.  For each backend it starts a stack of its own (with Neo4j for the
# neo4j backend) in a temporary directory on free ports, one after the
# other, and stops it afterwards.
#
#   bench/graph.sh [DURATION_S] [CONNECTIONS] [SAMPLE] [BACKENDS]
#
# BACKENDS is "postgres neo4j" (the default), "postgres" or "neo4j".
# Each size is measured in two ways:
#   query level  bench/graph-timing.c calls the backend functions of
#                src/graph_pg.c or src/graph_neo4j.c (the server's queries,
#                sent the server's way) one at a time on one connection,
#                without nginx, bunnybookd's HTTP or the cache: CALLS calls
#                per cell after one untimed warm-up pass.
#   API level    wrk sends the routes through nginx and bunnybookd with
#                each person's own Bearer token (bench/graph-requests.lua),
#                on 1 connection (latency) and on CONNECTIONS connections
#                (throughput), DURATION_S seconds each.  The cache Redis is
#                set to reject writes (maxmemory 1 byte, noeviction), so
#                every request misses the cache and runs its SQL; the
#                script checks that the cache served no hit.
# The 40,390-person graph is imported into the same stack after the first
# measurements: copy 0 has the ids of the real graph, so its import adds
# nothing and the database then contains exactly the 10 copies.  With the
# neo4j backend the import rebuilds Neo4j from PostgreSQL.
#
# Prints the machine, the load average, the import times and Markdown
# tables, then EXPLAIN (ANALYZE, BUFFERS) of the PostgreSQL suggestions
# query for fb107 at both sizes.  Paste the result into docs/benchmarks.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${1:-15}
CONNECTIONS=${2:-4}
SAMPLE=${3:-50}
BACKENDS=${4:-postgres neo4j}
# Query-level calls per cell: CALLS for fb107, and CALLS / SAMPLE passes
# (rounded up) over the SAMPLE people.  Mutual friends of fb107 is timed
# once with each of his 1,045 friends instead.
CALLS=200
COPIES=10
# Ids of copy k are the real ids plus k * ID_OFFSET.  The largest real id
# is 4038, so the copies do not overlap.
ID_OFFSET=10000
HUB=fb107
PASSWORD=graph-bench-password
EDGES=$ROOT/data/ego-facebook-edges.txt

die() { printf 'bench/graph.sh: %s\n' "$*" >&2; exit 1; }

if ! [ "$SAMPLE" -ge 1 ] 2>/dev/null || [ "$SAMPLE" -gt "$CALLS" ]; then
	die "SAMPLE must be a number from 1 to $CALLS, got $SAMPLE"
fi
for backend in $BACKENDS; do
	case $backend in
	postgres | neo4j) ;;
	*) die "BACKENDS takes postgres and neo4j, got $backend" ;;
	esac
done
[ -n "${BACKENDS// /}" ] || die "BACKENDS is empty; name postgres, neo4j or both"

echo "load before: $(uptime)"
. "$ROOT/bench/stack.sh"

sql() { psql "$BB_DATABASE_URL" -v ON_ERROR_STOP=1 -Atq "$@"; }
cache_redis() { redis-cli -p "$BB_CACHE_PORT" "$@"; }

# Import an edge list, then give the planner statistics and the visibility
# map that autovacuum would give a running server, so that the plans are
# those of a database in use and not of one just bulk-loaded.
# Print the seconds the import took.
import_graph() {
	local started=$SECONDS
	"$ROOT/src/bunnybookd" -c "$BB_CONF" import-graph "$1" >&2 ||
		die "importing $1 failed"
	echo $((SECONDS - started))
	sql -c 'VACUUM ANALYZE profiles' -c 'VACUUM ANALYZE friendships'
}

# ---------------------------------------------------------------- people

# A known password for the imported people that the API level logs in as,
# because the import stores no usable hash.
password_hash=$(printf '%s' "$PASSWORD" |
	argon2 graphbenchsalt01 -id -m 15 -t 2 -p 1 -e)

# Write DIR/hub.pairs ("HUB_ID FRIEND_ID" for each friend of the hub),
# DIR/hub-one.pairs (its first line) and DIR/sample.pairs ("ID FRIEND_ID"
# for SAMPLE people other than the hub, each with one of their friends).
# The choice is pseudo-random but fixed (ordered by an md5 of the
# username), so runs measure the same people.
choose_people() {
	local dir=$1
	mkdir -p "$dir"
	sql -F ' ' -c "SELECT f.profile_id, f.friend_id FROM friendships f
		JOIN profiles p ON p.id = f.profile_id
		WHERE p.username = '$HUB' ORDER BY f.friend_username" >"$dir/hub.pairs"
	[ -s "$dir/hub.pairs" ] || die "$HUB has no friends; was the graph imported?"
	head -n 1 "$dir/hub.pairs" >"$dir/hub-one.pairs"
	sql -F ' ' -c "SELECT p.id, (SELECT f.friend_id FROM friendships f
			WHERE f.profile_id = p.id
			ORDER BY md5('graph-bench:' || f.friend_username) LIMIT 1)
		FROM profiles p
		WHERE p.email LIKE '%@import.invalid' AND p.username <> '$HUB'
		ORDER BY md5('graph-bench:' || p.username) LIMIT $SAMPLE" >"$dir/sample.pairs"
	[ "$(wc -l <"$dir/sample.pairs")" -eq "$SAMPLE" ] ||
		die "the graph has fewer than $SAMPLE people besides $HUB"
}

# Print "MEDIAN MAX" of the friend counts of the people in a pairs file.
degrees() {
	local ids
	ids=$(cut -d' ' -f1 "$1" | sort -u | sed "s/.*/'&'/" | paste -sd,)
	sql -F ' ' -c "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n), max(n)
		FROM (SELECT count(*) AS n FROM friendships
			WHERE profile_id IN ($ids) GROUP BY profile_id) c"
}

# Print the access token of the profile ID after setting its password.
login_token() {
	local id=$1 email status
	email=$(sql -c "UPDATE profiles SET password_hash = '$password_hash'
		WHERE id = '$id' RETURNING email")
	[ -n "$email" ] || die "no profile $id to log in as"
	status=$(curl -sS -o "$tmp/reply.json" -w '%{http_code}' \
		-H 'Content-Type: application/json' \
		--data "{\"email\":\"$email\",\"password\":\"$PASSWORD\"}" \
		"$BB_URL/api/login")
	[ "$status" = 200 ] ||
		die "login as $email failed with HTTP $status: $(cat "$tmp/reply.json")"
	perl -MJSON::PP -0777 -ne 'print decode_json($_)->{accessToken}' "$tmp/reply.json"
}

# Write the wrk request files DIR/{hub,sample}-{suggestions,mutual,friends}
# ("PATH TOKEN" lines) from the pairs files, logging in as each person.
# Mutual friends of the hub cycle over all his friends; his other two
# routes do not depend on a friend and take one line.
write_requests() {
	local dir=$1 hub_id hub_token id other token
	hub_id=$(cut -d' ' -f1 "$dir/hub-one.pairs")
	hub_token=$(login_token "$hub_id")
	echo "/api/profiles/$hub_id/friend_suggestions?limit=20 $hub_token" >"$dir/hub-suggestions"
	echo "/api/profiles/$hub_id/friends?limit=20 $hub_token" >"$dir/hub-friends"
	while read -r id other; do
		echo "/api/profiles/$id/friends/$other/mutual_friends?limit=20 $hub_token"
	done <"$dir/hub.pairs" >"$dir/hub-mutual"

	: >"$dir/sample-suggestions"
	: >"$dir/sample-mutual"
	: >"$dir/sample-friends"
	while read -r id other; do
		token=$(login_token "$id")
		echo "/api/profiles/$id/friend_suggestions?limit=20 $token" >>"$dir/sample-suggestions"
		echo "/api/profiles/$id/friends/$other/mutual_friends?limit=20 $token" >>"$dir/sample-mutual"
		echo "/api/profiles/$id/friends?limit=20 $token" >>"$dir/sample-friends"
	done <"$dir/sample.pairs"
}

# ---------------------------------------------------------------- query level

# Print "CALLS P50 P99" (nearest-rank percentiles, ms) of the values in a
# file with one number a line.
percentiles() {
	sort -n "$1" | awk '
		function rank(p) { r = int(p * NR); if (r < p * NR) r++; return r }
		{ v[NR] = $1 }
		END { printf "%d %.2f %.2f\n", NR, v[rank(0.50)], v[rank(0.99)] }'
}

# time_queries KIND PAIRS_FILE PASSES: print "CALLS P50 P99" of the
# current backend.
time_queries() {
	local out="$tmp/times.txt" server=$BB_DATABASE_URL
	[ "$backend" = postgres ] || server=$NEO4J_URL
	"$tmp/graph-timing" "$backend" "$server" "$1" "$2" "$3" >"$out" ||
		die "graph-timing $backend $1 $2 failed"
	percentiles "$out"
}

# ---------------------------------------------------------------- API level

# Convert a wrk latency ("812.00us", "45.12ms", "1.02s", "1.50m") to ms.
to_ms='function ms(v) {
	if (v ~ /us$/) return v / 1000
	if (v ~ /ms$/) return v + 0
	if (v ~ /s$/) return v * 1000
	if (v ~ /m$/) return v * 60000
	return -1
}'

# measure NAME THREADS CONNECTIONS REQUESTS_FILE: run one wrk round and
# print "requests/s p50_ms p99_ms".  Any non-2xx response or socket error
# stops the benchmark, because its figures would then describe error
# replies.
measure() {
	local name=$1 threads=$2 connections=$3 requests=$4 out
	out="$tmp/wrk-$name.txt"
	wrk -t"$threads" -c"$connections" -d"${DURATION}s" --latency \
		-s "$ROOT/bench/graph-requests.lua" "$BB_URL" -- "$requests" >"$out"
	if grep -Eq '^ *(Non-2xx|Socket errors)' "$out"; then
		cat "$out" >&2
		die "$name: wrk reported errors or non-2xx responses (output above)"
	fi
	awk "$to_ms"'
		/^Requests\/sec:/ { rate = $2 }
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		END { printf "%s %.2f %.2f\n", rate, p50, p99 }' "$out"
}

# The cache Redis keeps working for reads but rejects every SET with an
# OOM error, which bunnybookd logs (rate-limited) and ignores, as it does
# for any cache failure.  A request then costs what a cache miss costs.
cache_reject_writes() {
	cache_redis FLUSHDB >/dev/null
	cache_redis CONFIG SET maxmemory-policy noeviction >/dev/null
	cache_redis CONFIG SET maxmemory 1 >/dev/null
	cache_redis CONFIG RESETSTAT >/dev/null
}

# Check that the cache served no request, print the number of rejected
# cache writes and let the cache Redis store again.
cache_check_and_restore() {
	local hits stored rejected
	hits=$(cache_redis INFO stats | tr -d '\r' | awk -F: '$1 == "keyspace_hits" { print $2 }')
	stored=$(cache_redis --scan --pattern 'bb:c:*' | wc -l)
	rejected=$(cache_redis INFO errorstats | tr -d '\r' |
		sed -n 's/^errorstat_OOM:count=\([0-9]*\).*/\1/p')
	cache_redis CONFIG SET maxmemory 0 >/dev/null
	if [ "$hits" != 0 ] || [ "$stored" != 0 ]; then
		die "the cache Redis served $hits hits and contains $stored cached replies, so the API figures are invalid; check that nothing else writes to port $BB_CACHE_PORT"
	fi
	echo "${rejected:-0}"
}

# ---------------------------------------------------------------- one size

declare -A query_results api_results import_seconds
declare -A sample_degrees plans load_before load_after versions

# measure_size SIZE: measure everything on the graph now in the database
# with the current backend.
measure_size() {
	local size=$1 dir="$tmp/$backend-$1" group kind passes key
	key=$backend:$size
	load_before[$key]=$(cut -d' ' -f1-3 /proc/loadavg)
	choose_people "$dir"
	sample_degrees[$key]=$(degrees "$dir/sample.pairs")

	for kind in suggestions mutual friends; do
		case $kind in
		mutual) query_results[$key:hub:$kind]=$(time_queries "$kind" "$dir/hub.pairs" 1) ;;
		*) query_results[$key:hub:$kind]=$(time_queries "$kind" "$dir/hub-one.pairs" "$CALLS") ;;
		esac
		passes=$(( (CALLS + SAMPLE - 1) / SAMPLE ))
		query_results[$key:sample:$kind]=$(time_queries "$kind" "$dir/sample.pairs" "$passes")
	done
	if [ "$backend" = postgres ]; then
		plans[$size]=$("$tmp/graph-timing" postgres "$BB_DATABASE_URL" explain "$(cut -d' ' -f1 "$dir/hub-one.pairs")")
	fi

	write_requests "$dir"
	cache_reject_writes
	for group in hub sample; do
		for kind in suggestions mutual friends; do
			api_results[$key:$group:$kind:1]=$(measure "$backend-$size-$group-$kind-1" 1 1 "$dir/$group-$kind")
			api_results[$key:$group:$kind:n]=$(measure "$backend-$size-$group-$kind-n" 2 "$CONNECTIONS" "$dir/$group-$kind")
		done
	done
	api_results[$key:rejected]=$(cache_check_and_restore)
	load_after[$key]=$(cut -d' ' -f1-3 /proc/loadavg)
}

SMALL=4039
LARGE=$((COPIES * SMALL))

for backend in $BACKENDS; do
	# BB_GRAPH_BACKEND picks the graph backend of the stack.
	export BB_GRAPH_BACKEND=$backend
	start_stack "stack-$backend"
	if [ "$backend" = neo4j ]; then
		set -a
		# shellcheck disable=SC1091
		. "$tmp/stack-neo4j/neo4j/neo4j.env"
		set +a
	fi
	if [ ! -x "$tmp/graph-timing" ]; then
		# The optimization (-O2) and feature macro (_GNU_SOURCE) of the
		# project's default build.
		# shellcheck disable=SC2046 # pkg-config prints several words on purpose
		cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/src" \
			$(pkg-config --cflags libpq json-c libcurl) \
			-o "$tmp/graph-timing" "$ROOT/bench/graph-timing.c" \
			"$ROOT/src/graph_neo4j.c" "$ROOT/src/neo4j_http.c" \
			"$ROOT/src/db.c" "$ROOT/src/util.c" "$ROOT/src/log.c" \
			$(pkg-config --libs libpq json-c libcurl)
	fi

	import_seconds[$backend:$SMALL]=$(import_graph "$EDGES")
	[ "$(sql -c 'SELECT count(*) FROM profiles')" = "$SMALL" ] ||
		die "expected $SMALL people after importing $EDGES"
	measure_size "$SMALL"

	for k in $(seq 0 $((COPIES - 1))); do
		awk -v offset=$((k * ID_OFFSET)) 'NF == 2 { print $1 + offset, $2 + offset }' "$EDGES"
	done >"$tmp/edges-copies.txt"
	import_seconds[$backend:$LARGE]=$(import_graph "$tmp/edges-copies.txt")
	[ "$(sql -c 'SELECT count(*) FROM profiles')" = "$LARGE" ] ||
		die "expected $LARGE people after importing $COPIES copies"
	measure_size "$LARGE"

	versions[$backend]="PostgreSQL $(sql -c 'SHOW server_version' | cut -d' ' -f1), shared_buffers $(sql -c 'SHOW shared_buffers'), work_mem $(sql -c 'SHOW work_mem'), max_parallel_workers_per_gather $(sql -c 'SHOW max_parallel_workers_per_gather'); $(nginx -v 2>&1 | sed 's/^nginx version: //'); bunnybookd $(grep '^workers' "$BB_CONF")"
	if [ "$backend" = neo4j ]; then
		versions[$backend]+="; Neo4j $(curl -fsS -u "$NEO4J_USER:$NEO4J_PASSWORD" "$NEO4J_URL/db/data/" |
			perl -MJSON::PP -0777 -ne 'print decode_json($_)->{neo4j_version}'), $(grep -h '^dbms.memory' "$tmp/stack-neo4j/neo4j/conf/neo4j.conf" 2>/dev/null | paste -sd' ')"
	fi
	# Free the memory and cores of this stack before the next one.
	"$ROOT/bunnybook" stack stop "$tmp/stack-$backend"
done

# ---------------------------------------------------------------- report

label() {
	case $1 in
	hub) printf '%s' "$HUB" ;;
	sample) printf '%s random people' "$SAMPLE" ;;
	esac
}
field() { printf '%s' "$1" | cut -d' ' -f"$2"; }

echo "load after: $(uptime)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r), Debian $(cat /etc/debian_version)"
for backend in $BACKENDS; do
	echo "$backend backend: ${versions[$backend]}"
	for size in "$SMALL" "$LARGE"; do
		key=$backend:$size
		echo "$backend, $size people: import ${import_seconds[$key]} s; load average ${load_before[$key]} before, ${load_after[$key]} after; sample friend counts median $(field "${sample_degrees[$key]}" 1), max $(field "${sample_degrees[$key]}" 2); cache writes rejected during the wrk runs: ${api_results[$key:rejected]}"
	done
done
echo
echo "Query level: graph-timing, one connection, ms per call"
echo "| backend | person | query | calls | p50 ($SMALL) | p99 ($SMALL) | p50 ($LARGE) | p99 ($LARGE) | p50 ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
for backend in $BACKENDS; do
	for group in hub sample; do
		for kind in suggestions mutual friends; do
			small=${query_results[$backend:$SMALL:$group:$kind]}
			large=${query_results[$backend:$LARGE:$group:$kind]}
			printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "$(label "$group")" "$kind" \
				"$(field "$small" 1)" "$(field "$small" 2)" "$(field "$small" 3)" \
				"$(field "$large" 2)" "$(field "$large" 3)" \
				"$(awk -v a="$(field "$small" 2)" -v b="$(field "$large" 2)" 'BEGIN { printf "%.2f", b / a }')"
		done
	done
done
echo
echo "API level: wrk ${DURATION}s per row and size (-t1 -c1, or -t2 -c$CONNECTIONS), cache writes rejected; requests/s, ms"
echo "| backend | person | route | connections | req/s ($SMALL) | p50 ($SMALL) | p99 ($SMALL) | req/s ($LARGE) | p50 ($LARGE) | p99 ($LARGE) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for backend in $BACKENDS; do
	for group in hub sample; do
		for kind in suggestions mutual friends; do
			for mode in 1 n; do
				small=${api_results[$backend:$SMALL:$group:$kind:$mode]}
				large=${api_results[$backend:$LARGE:$group:$kind:$mode]}
				connections=1
				[ "$mode" = 1 ] || connections=$CONNECTIONS
				printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "$(label "$group")" "$kind" "$connections" \
					"$(field "$small" 1)" "$(field "$small" 2)" "$(field "$small" 3)" \
					"$(field "$large" 1)" "$(field "$large" 2)" "$(field "$large" 3)"
			done
		done
	done
done
for size in "${!plans[@]}"; do
	echo
	echo "EXPLAIN (ANALYZE, BUFFERS) of the PostgreSQL suggestions query for $HUB, $size people:"
	printf '%s\n' "${plans[$size]}"
done
