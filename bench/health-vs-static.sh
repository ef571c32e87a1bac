#!/usr/bin/env bash
# Baseline: requests/s of GET /api/health through nginx and FastCGI against
# nginx serving a small static file (/bunny.svg, 859 bytes), measured in
# one run on this machine with wrk.  A round with a non-2xx response or a
# socket error stops the script.  Starts its own stack in a temporary directory on free ports
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

die() { printf 'bench/health-vs-static.sh: %s\n' "$*" >&2; exit 1; }

. "$ROOT/bench/stack.sh"
. "$ROOT/bench/wrk-measure.sh"
start_stack
STATIC=/bunny.svg
[ "$(curl -fsS -o /dev/null -w '%{content_type}' "$BB_URL$STATIC")" = image/svg+xml ] ||
	die "$STATIC is not served as a static file"

# rate NAME URL: wrk's requests/s for one round.
rate() {
	measure "$1" "$2" | cut -d'|' -f2
}

# median of ROUNDS rounds, alternating targets so drift hits both alike.
static_rates=()
health_rates=()
for _ in $(seq "$ROUNDS"); do
	r=$(rate static "$BB_URL$STATIC") || exit 1
	static_rates+=("$r")
	r=$(rate health "$BB_URL/api/health") || exit 1
	health_rates+=("$r")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
static=$(median "${static_rates[@]}")
health=$(median "${health_rates[@]}")
ratio=$(awk -v h="$health" -v s="$static" 'BEGIN { printf "%.1f", 100 * h / s }')

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s, median of $ROUNDS rounds; workers: $(grep '^workers' "$tmp/stack/bunnybook.conf")"
echo "| target | requests/s (rounds) |"
echo "|---|---|"
echo "| static file $STATIC | $static (${static_rates[*]}) |"
echo "| GET /api/health via FastCGI | $health (${health_rates[*]}) |"
echo "FastCGI health is $ratio% of the static-file rate"
