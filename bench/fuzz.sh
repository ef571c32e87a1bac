#!/usr/bin/env bash
# A long libFuzzer run of one harness from fuzz/: builds the harnesses
# (fuzz/build.sh), then fuzzes TARGET for SECONDS seconds from its
# committed corpus with its dictionary, under ASan and UBSan.
#
#   bench/fuzz.sh TARGET SECONDS [JOBS]
#
# TARGET is a harness name without -fuzz (query, headers, json-body,
# router, config, token, neo4j).  JOBS (default 1) runs that many fuzzing
# processes side by side, each for SECONDS.  New inputs are written to WORKDIR/corpus
# (WORKDIR defaults to /tmp/bunnybook-fuzz-TARGET and is kept), never to
# fuzz/corpus; copy an input worth keeping there by hand, or minimize the
# corpus first with the -merge=1 command printed at the end.  A finding is
# saved as WORKDIR/crash-*, leak-* or timeout-*, and the script exits
# non-zero.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${1:?usage: bench/fuzz.sh TARGET SECONDS [JOBS]}
SECONDS_TOTAL=${2:?usage: bench/fuzz.sh TARGET SECONDS [JOBS]}
JOBS=${3:-1}
WORKDIR=${WORKDIR:-/tmp/bunnybook-fuzz-$TARGET}

[ -f "$ROOT/fuzz/$TARGET-fuzz.c" ] || {
	echo "bench/fuzz.sh: no harness fuzz/$TARGET-fuzz.c; choose one of:" \
		$(cd "$ROOT/fuzz" && ls -- *-fuzz.c | sed 's/-fuzz\.c$//') >&2
	exit 2
}

"$ROOT/fuzz/build.sh" "$WORKDIR/bin"
mkdir -p "$WORKDIR/corpus"
options=()
[ -f "$ROOT/fuzz/$TARGET.dict" ] && options+=(-dict="$ROOT/fuzz/$TARGET.dict")
# Several jobs run as child processes, each writing WORKDIR/fuzz-N.log.
[ "$JOBS" -gt 1 ] && options+=(-jobs="$JOBS" -workers="$JOBS")

echo "fuzzing $TARGET for $SECONDS_TOTAL s with $JOBS job(s) on $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$WORKDIR"
status=0
"$WORKDIR/bin/$TARGET-fuzz" -max_total_time="$SECONDS_TOTAL" -timeout=10 \
	-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$WORKDIR/" \
	"${options[@]}" \
	"$WORKDIR/corpus" "$ROOT/fuzz/corpus/$TARGET" || status=$?

echo "corpus: $(find "$WORKDIR/corpus" -type f | wc -l) new inputs in $WORKDIR/corpus"
echo "to fold them into the committed corpus, minimized:"
echo "  $WORKDIR/bin/$TARGET-fuzz -merge=1 $ROOT/fuzz/corpus/$TARGET $WORKDIR/corpus"
ls "$WORKDIR"/crash-* "$WORKDIR"/leak-* "$WORKDIR"/timeout-* 2>/dev/null &&
	echo "findings above: add each as a regression input in fuzz/corpus/$TARGET" >&2
exit "$status"
