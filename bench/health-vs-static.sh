#!/usr/bin/env bash
# Baseline: requests/s of GET /api/health through nginx and FastCGI against
# nginx serving a small static file, measured in one run on this machine
# with wrk.  Starts its own stack in a temporary directory on free ports
# and stops it afterwards.
#
#   bench/health-vs-static.sh [DURATION_S] [CONNECTIONS] [ROUNDS]
#
# Prints one Markdown table row per measurement and the ratio; paste the
# result into docs/benchmarks.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${1:-10}
CONNECTIONS=${2:-32}
ROUNDS=${3:-3}

. "$ROOT/bench/stack.sh"
start_stack

# rate URL: wrk's requests/s for one round.
rate() {
	wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$1" |
		awk '/^Requests\/sec:/ { print $2 }'
}

# median of ROUNDS rounds, alternating targets so drift hits both alike.
static_rates=()
health_rates=()
for _ in $(seq "$ROUNDS"); do
	static_rates+=("$(rate "$BB_URL/style.css")")
	health_rates+=("$(rate "$BB_URL/api/health")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
static=$(median "${static_rates[@]}")
health=$(median "${health_rates[@]}")
ratio=$(awk -v h="$health" -v s="$static" 'BEGIN { printf "%.1f", 100 * h / s }')

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s, median of $ROUNDS rounds; workers: $(grep '^workers' "$tmp/stack/bunnybook.conf")"
echo "| target | requests/s (rounds) |"
echo "|---|---|"
echo "| static file /style.css | $static (${static_rates[*]}) |"
echo "| GET /api/health via FastCGI | $health (${health_rates[*]}) |"
echo "FastCGI health is $ratio% of the static-file rate"
