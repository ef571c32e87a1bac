#!/usr/bin/env bash
# Accounts: login rate and latency at the configured Argon2id cost, and the
# cost of access-token verification per request, measured in one run on
# this machine.  Starts its own stack in a temporary directory on free
# ports and stops it afterwards.
#
#   bench/accounts.sh [DURATION_S] [ROUNDS] [LOGIN_CONNECTIONS] [CONNECTIONS]
#
# A smoke run that only checks the script works: bench/accounts.sh 1 1 2 4
#
# Each round runs four wrk targets in turn, so drift hits all alike:
#   login, 1 connection    POST /api/login, one request at a time
#   login, saturated       POST /api/login on LOGIN_CONNECTIONS connections
#   friends, anonymous     GET /api/profiles/{id}/friends on CONNECTIONS
#   friends, Bearer        the same with a valid Bearer token
# The logins rotate over USERS accounts registered first.  The friends
# list accepts an optional token and its response is the same for every
# reader, so both friends targets read one entry of the Redis cache.  They
# differ only in authentication: token_verify_remembered() and the
# session's live check (a Redis MGET, and a PostgreSQL query once a
# minute per session).  /api/health would not do, because it never looks
# at a token.
#
# Then bench/accounts-timing.c, built from src/token.c and
# src/password.c, times token_verify() (signature and claims on every
# call), token_verify_remembered() with a token it has seen (what a
# worker does for a client's next request) and password_verify() on one
# core, without HTTP.
#
# Prints the machine, the load average and one Markdown table row per
# target (medians over the rounds); paste the result into
# docs/benchmarks.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${1:-15}
ROUNDS=${2:-3}
LOGIN_CONNECTIONS=${3:-8}
CONNECTIONS=${4:-32}
USERS=20
VERIFY_CALLS=100000
REMEMBERED_CALLS=1000000
ARGON2_CALLS=40

die() { printf 'bench/accounts.sh: %s\n' "$*" >&2; exit 1; }

echo "load before: $(uptime)"
. "$ROOT/bench/stack.sh"
start_stack

# ---------------------------------------------------------------- accounts

email_of() { printf 'bench%02d@example.com' "$1"; }
password_of() { printf 'bench-password-%02d' "$1"; }

# post PATH JSON [CURL_OPTIONS...]: POST JSON to the stack, keep the body
# in $tmp/reply.json and print the HTTP status.
post() {
	local path=$1 json=$2
	shift 2
	curl -sS -o "$tmp/reply.json" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data "$json" "$@" \
		"$BB_URL$path"
}

register() {
	local i=$1 status
	status=$(post /api/register "$(printf '{"username":"bench%02d","email":"%s","password":"%s"}' \
		"$i" "$(email_of "$i")" "$(password_of "$i")")")
	[ "$status" = 201 ] ||
		die "registering bench$i failed with HTTP $status: $(cat "$tmp/reply.json")"
}

# Log in account I and print its access token.
login_token() {
	local i=$1 status
	status=$(post /api/login "$(printf '{"email":"%s","password":"%s"}' \
		"$(email_of "$i")" "$(password_of "$i")")")
	[ "$status" = 200 ] ||
		die "login of bench$i failed with HTTP $status: $(cat "$tmp/reply.json")"
	perl -MJSON::PP -0777 -ne 'print decode_json($_)->{accessToken}' "$tmp/reply.json"
}

logout() {
	local status
	status=$(post /api/logout '{}' -H "Authorization: Bearer $1")
	[ "$status" = 204 ] ||
		die "logout failed with HTTP $status: $(cat "$tmp/reply.json")"
}

# Accounts 1 to USERS take the login load.  Account 0 logs in for the
# token of the Bearer target, and both friends targets read its list.
for i in $(seq 0 "$USERS"); do
	register "$i"
done
profile0=$(psql "$BB_DATABASE_URL" -Atc \
	"SELECT id FROM profiles WHERE username = 'bench00'")
friends_url="$BB_URL/api/profiles/$profile0/friends"

# The Argon2id cost the server actually used, from bench01's PHC string.
phc=$(psql "$BB_DATABASE_URL" -Atc \
	"SELECT password_hash FROM profiles WHERE username = 'bench01'")
# shellcheck disable=SC2016 # the $ signs are literal PHC separators
read -r argon2_memory_kib argon2_passes argon2_lanes < <(
	printf '%s\n' "$phc" | sed -n 's/^\$argon2id\$v=19\$m=\([0-9]*\),t=\([0-9]*\),p=\([0-9]*\)\$.*/\1 \2 \3/p')
[ -n "${argon2_lanes:-}" ] || die "the password hash of bench01 is not an Argon2id v=19 PHC string: ${phc:0:40}"

# ---------------------------------------------------------------- wrk

# wrk calls request() for every request.  Each wrk thread has its own Lua
# state, so each thread walks the account list from the start.
{
	echo '-- POST /api/login, rotating over the benchmark accounts.'
	echo 'local bodies = {'
	for i in $(seq "$USERS"); do
		printf '\t[[{"email":"%s","password":"%s"}]],\n' "$(email_of "$i")" "$(password_of "$i")"
	done
	echo '}'
	echo 'wrk.method = "POST"'
	echo 'wrk.headers["Content-Type"] = "application/json"'
	echo 'wrk.body = bodies[1]'
	echo 'local next_index = 0'
	echo 'request = function()'
	echo '	next_index = next_index % #bodies + 1'
	echo '	return wrk.format(nil, "/api/login", nil, bodies[next_index])'
	echo 'end'
} >"$tmp/login.lua"

# Convert a wrk latency ("812.00us", "45.12ms", "1.02s", "1.50m") to ms.
to_ms='function ms(v) {
	if (v ~ /us$/) return v / 1000
	if (v ~ /ms$/) return v + 0
	if (v ~ /s$/) return v * 1000
	if (v ~ /m$/) return v * 60000
	return -1
}'

# measure NAME THREADS CONNECTIONS URL [WRK_OPTIONS...]: run one wrk round
# and print "requests/s p50_ms p99_ms".  Any non-2xx response or socket
# error stops the benchmark, because its figures would then describe error
# replies.
measure() {
	local name=$1 threads=$2 connections=$3 url=$4 out
	shift 4
	out="$tmp/wrk-$name-$round.txt"
	wrk -t"$threads" -c"$connections" -d"${DURATION}s" --latency "$@" "$url" >"$out"
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

declare -A results
for round in $(seq "$ROUNDS"); do
	results[login1]+="$(measure login1 1 1 "$BB_URL/api/login" -s "$tmp/login.lua")"$'\n'
	results[login]+="$(measure login 2 "$LOGIN_CONNECTIONS" "$BB_URL/api/login" -s "$tmp/login.lua")"$'\n'
	results[anonymous]+="$(measure anonymous 2 "$CONNECTIONS" "$friends_url")"$'\n'
	# A fresh token every round, so a long DURATION cannot outlive its
	# 15-minute lifetime; the logout ends that session.
	token=$(login_token 0)
	results[bearer]+="$(measure bearer 2 "$CONNECTIONS" "$friends_url" \
		-H "Authorization: Bearer $token")"$'\n'
	logout "$token"
done

# median COLUMN NAME: the median of one column over the rounds.
median() {
	printf '%s' "${results[$2]}" | awk -v c="$1" '{ print $c }' | sort -n |
		awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
# rounds NAME: the requests/s of every round, in order.
rounds() {
	printf '%s' "${results[$1]}" | awk '{ printf "%s%s", sep, $1; sep = " / " }'
}

# ---------------------------------------------------------------- C timing

# The optimization (-O2) and feature macro (_GNU_SOURCE) of the project's
# default build.
cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/src" -o "$tmp/accounts-timing" \
	"$ROOT/bench/accounts-timing.c" "$ROOT/src/token.c" \
	"$ROOT/src/password.c" "$ROOT/src/util.c" -ljwt -lcrypto -largon2
"$tmp/accounts-timing" "$VERIFY_CALLS" "$REMEMBERED_CALLS" "$ARGON2_CALLS" \
	"$argon2_memory_kib" "$argon2_passes" "$argon2_lanes" >"$tmp/timing.txt"
read -r _ verify_cpu_us verify_wall_us < <(grep '^token_verify ' "$tmp/timing.txt")
read -r _ remembered_cpu_us remembered_wall_us < <(grep '^token_verify_remembered ' "$tmp/timing.txt")
read -r _ argon2_cpu_ms argon2_wall_ms < <(grep '^password_verify ' "$tmp/timing.txt")

# ---------------------------------------------------------------- report

row() {
	local label=$1 name=$2 connections=$3
	printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$connections" \
		"$(median 1 "$name")" "$(median 2 "$name")" "$(median 3 "$name")" \
		"$(rounds "$name")"
}

echo "load after: $(uptime)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r), Debian $(cat /etc/debian_version)"
echo "$(nginx -v 2>&1 | sed 's/^nginx version: //'); bunnybookd $(grep '^workers' "$BB_CONF")"
echo "Argon2id cost from the stored hash: m=$argon2_memory_kib KiB, t=$argon2_passes, p=$argon2_lanes"
echo "wrk ${DURATION}s per target, $ROUNDS rounds, $USERS login accounts; medians per column"
echo "| target | connections | requests/s | p50 ms | p99 ms | requests/s per round |"
echo "|---|---|---|---|---|---|"
row 'POST /api/login, one at a time' login1 1
row 'POST /api/login, saturated' login "$LOGIN_CONNECTIONS"
row 'GET /api/profiles/{id}/friends, anonymous' anonymous "$CONNECTIONS"
row 'GET /api/profiles/{id}/friends, Bearer token' bearer "$CONNECTIONS"
# The machine's time per request at saturation: cores divided by the rate.
# It bounds the CPU a request costs across all processes from above,
# because wrk and other jobs share the cores.
awk -v cores="$(nproc)" -v a="$(median 1 anonymous)" -v b="$(median 1 bearer)" 'BEGIN {
	printf "time per request (%d cores / median rate): anonymous %.0f us, Bearer %.0f us, difference %.0f us\n",
	    cores, 1e6 * cores / a, 1e6 * cores / b, 1e6 * cores / b - 1e6 * cores / a }'
echo "token_verify(): $verify_cpu_us us CPU per call ($verify_wall_us us wall), $VERIFY_CALLS calls"
echo "token_verify_remembered(), a remembered token: $remembered_cpu_us us CPU per call ($remembered_wall_us us wall), $REMEMBERED_CALLS calls"
echo "password_verify(): $argon2_cpu_ms ms CPU per call ($argon2_wall_ms ms wall), $ARGON2_CALLS calls"
