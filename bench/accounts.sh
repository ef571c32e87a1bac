#!/usr/bin/env bash
# Accounts: login rate and latency at the configured Argon2id cost, and the
# cost of access-token verification, measured in one run on this machine
# with wrk.  Starts its own stack in a temporary directory on free ports
# and stops it afterwards.
#
#   bench/accounts.sh [DURATION_S] [ROUNDS] [LOGIN_CONNECTIONS] [CONNECTIONS]
#
# Each round runs four wrk targets in turn, so drift hits all alike:
#   login, 1 connection    POST /api/login, one request at a time
#   login, saturated       POST /api/login on LOGIN_CONNECTIONS connections
#   health                 anonymous GET /api/health on CONNECTIONS
#   sessions               GET /api/sessions with a Bearer token on CONNECTIONS
# The logins rotate over USERS accounts registered first.  Then a C program
# built from src/token.c and src/password.c times token_verify() and
# password_verify() on one core, without HTTP.
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

# Accounts 1 to USERS take the login load.  Account 0 only reads its
# sessions, so its list stays at one session however many logins the
# others make.
for i in $(seq 0 "$USERS"); do
	register "$i"
done

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
	results[health]+="$(measure health 2 "$CONNECTIONS" "$BB_URL/api/health")"$'\n'
	# A fresh token every round, so a long DURATION cannot outlive its
	# 15-minute lifetime.  The logout ends that session, so the list
	# that GET /api/sessions returns stays at one entry.
	token=$(login_token 0)
	results[sessions]+="$(measure sessions 2 "$CONNECTIONS" "$BB_URL/api/sessions" \
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

cat >"$tmp/accounts-timing.c" <<'EOF'
/*
 * Time token_verify() and password_verify() from src/ on one core:
 * usage: accounts-timing VERIFY_CALLS ARGON2_CALLS MEMORY_KIB PASSES LANES.
 * Prints the process CPU time and the wall time per call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "password.h"
#include "token.h"

static double
seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static const char password[] = "bench-password-00";
	long verify_calls, argon2_calls, i;
	struct password_cost cost;
	struct token_claims claims;
	const char *reason = "unknown";
	unsigned char key[48];
	long long now = (long long)time(NULL);
	double cpu, wall;
	char *token, *phc;

	if (argc != 6) {
		fprintf(stderr, "usage: %s VERIFY_CALLS ARGON2_CALLS MEMORY_KIB "
		    "PASSES LANES\n", argv[0]);
		return 2;
	}
	verify_calls = atol(argv[1]);
	argon2_calls = atol(argv[2]);
	cost.memory_kib = (uint32_t)atol(argv[3]);
	cost.passes = (uint32_t)atol(argv[4]);
	cost.lanes = (uint32_t)atol(argv[5]);

	if (token_random(key, sizeof(key)) != 0) {
		fprintf(stderr, "token_random failed\n");
		return 1;
	}
	/* Claims of the same shape and length as the server issues. */
	token = token_issue(key, sizeof(key),
	    "0b6f3c52-6f0e-4c1e-9a57-2f7d2d1f8e01", "bench00",
	    "7c1d9e34-58a2-4b0f-8d6e-93f1a2b4c5d6", now, 900);
	if (token == NULL) {
		fprintf(stderr, "token_issue failed\n");
		return 1;
	}
	for (i = 0; i < 1000; i++)
		token_verify(key, sizeof(key), token, now, &claims, &reason);
	cpu = seconds(CLOCK_PROCESS_CPUTIME_ID);
	wall = seconds(CLOCK_MONOTONIC);
	for (i = 0; i < verify_calls; i++) {
		if (token_verify(key, sizeof(key), token, now, &claims,
		    &reason) != 0) {
			fprintf(stderr, "token_verify failed: %s\n", reason);
			return 1;
		}
	}
	cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	wall = seconds(CLOCK_MONOTONIC) - wall;
	printf("token_verify %.2f %.2f\n", 1e6 * cpu / (double)verify_calls,
	    1e6 * wall / (double)verify_calls);

	phc = password_hash(password, strlen(password), &cost);
	if (phc == NULL) {
		fprintf(stderr, "password_hash failed\n");
		return 1;
	}
	cpu = seconds(CLOCK_PROCESS_CPUTIME_ID);
	wall = seconds(CLOCK_MONOTONIC);
	for (i = 0; i < argon2_calls; i++) {
		if (!password_verify(phc, password, strlen(password))) {
			fprintf(stderr, "password_verify failed\n");
			return 1;
		}
	}
	cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	wall = seconds(CLOCK_MONOTONIC) - wall;
	printf("password_verify %.2f %.2f\n", 1e3 * cpu / (double)argon2_calls,
	    1e3 * wall / (double)argon2_calls);
	free(phc);
	free(token);
	return 0;
}
EOF
# The optimization (-O2) and feature macro (_GNU_SOURCE) of the project's
# default build.
cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/src" -o "$tmp/accounts-timing" \
	"$tmp/accounts-timing.c" "$ROOT/src/token.c" "$ROOT/src/password.c" \
	"$ROOT/src/util.c" -ljwt -lcrypto -largon2
"$tmp/accounts-timing" "$VERIFY_CALLS" "$ARGON2_CALLS" \
	"$argon2_memory_kib" "$argon2_passes" "$argon2_lanes" >"$tmp/timing.txt"
read -r _ verify_cpu_us verify_wall_us < <(grep '^token_verify ' "$tmp/timing.txt")
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
row 'GET /api/health, anonymous' health "$CONNECTIONS"
row 'GET /api/sessions, Bearer token' sessions "$CONNECTIONS"
echo "token_verify(): $verify_cpu_us us CPU per call ($verify_wall_us us wall), $VERIFY_CALLS calls"
echo "password_verify(): $argon2_cpu_ms ms CPU per call ($argon2_wall_ms ms wall), $ARGON2_CALLS calls"
