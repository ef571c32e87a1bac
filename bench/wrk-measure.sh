# Sourced by bench scripts: one wrk run summarised as a table row.
# The script sets tmp (a scratch directory), CONNECTIONS and DURATION
# (seconds) and defines die.

# awk function ms(v): wrk's latency text ("512.00us", "3.20ms", "1.02s")
# in milliseconds.
to_ms='function ms(v) {
	if (v ~ /us$/) return v / 1000
	if (v ~ /ms$/) return v + 0
	if (v ~ /s$/) return v * 1000
	return v * 60000 }'

# measure NAME URL [WRK_OPTIONS...]: one wrk run; prints
# "NAME|requests/s|p50 ms|p99 ms".
measure() {
	local name=$1 url=$2 out="$tmp/wrk-${1//[^A-Za-z0-9]/_}.txt"
	shift 2
	wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url" >"$out"
	if grep -q 'Non-2xx\|Socket errors' "$out"; then
		cat "$out" >&2
		die "$name: wrk reported errors or non-2xx responses"
	fi
	awk "$to_ms"'
		/^Requests\/sec:/ { rps = $2 }
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		END { printf "%s|%.0f|%.2f|%.2f\n", name, rps, p50, p99 }' \
		name="$name" "$out"
}
