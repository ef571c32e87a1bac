#!/usr/bin/env bash
# Posts: wall page (cached and uncached), home feed, post create and
# comment create, measured with wrk in one run on this machine, and the
# feed's cost at 100,000 and at 1,000,000 posts.  Starts its own stack in
# a temporary directory on free ports and stops it afterwards.
#
#   bench/posts.sh [DURATION_S] [CONNECTIONS]
#
# Data: one reader with 1,000 friends among 5,000 generated profiles.
# Posts are spread over the last 365 days on all 5,000 walls, so the
# reader's feed draws from 1,000 walls: first 100,000 posts, then
# 1,000,000.
# Write limits and the access-token lifetime are raised for this stack
# only, through BUNNYBOOK_* environment variables.
#
# Prints the machine, the load average and one Markdown table row per
# target (requests/s, p50, p99); paste the result into docs/benchmarks.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${1:-10}
CONNECTIONS=${2:-32}
PROFILES=5000
FRIENDS=1000

die() { printf 'bench/posts.sh: %s\n' "$*" >&2; exit 1; }

echo "load before: $(uptime)"
. "$ROOT/bench/stack.sh"
export BUNNYBOOK_POST_WRITES_PER_WINDOW=1000000
export BUNNYBOOK_COMMENT_WRITES_PER_WINDOW=1000000
export BUNNYBOOK_LIKE_WRITES_PER_WINDOW=1000000
export BUNNYBOOK_ACCESS_TOKEN_TTL_S=86400
start_stack

psql_run() {
	psql -h 127.0.0.1 -p "$BB_PG_PORT" -U bunnybook -d bunnybook -Atqc "$1"
}

# post PATH JSON [CURL_OPTIONS...]: POST JSON, body in $tmp/reply.json,
# prints the HTTP status.
post() {
	local path=$1 json=$2
	shift 2
	curl -sS -o "$tmp/reply.json" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data "$json" "$@" \
		"$BB_URL$path"
}
json_field() {
	perl -MJSON::PP -0777 -ne "print decode_json(\$_)->{$1}" "$tmp/reply.json"
}

# ---------------------------------------------------------------- data

status=$(post /api/register '{"username":"benchreader","email":"reader@example.com","password":"bench-password-1"}')
[ "$status" = 201 ] || die "register failed with HTTP $status: $(cat "$tmp/reply.json")"
READER=$(json_field id)
status=$(post /api/login '{"email":"reader@example.com","password":"bench-password-1"}')
[ "$status" = 200 ] || die "login failed with HTTP $status: $(cat "$tmp/reply.json")"
TOKEN=$(json_field accessToken)

psql_run "INSERT INTO profiles (username, email, password_hash, avatar_identifier)
	SELECT 'benchp' || i, 'benchp' || i || '@example.com', 'x', 'a'
	FROM generate_series(1, $PROFILES) i"
psql_run "INSERT INTO friendships (profile_id, friend_id, friend_username)
	SELECT '$READER', id, username FROM profiles
	WHERE username ~ '^benchp[0-9]+\$' ORDER BY username LIMIT $FRIENDS"
psql_run "INSERT INTO friendships (profile_id, friend_id, friend_username)
	SELECT friend_id, profile_id, 'benchreader' FROM friendships
	WHERE profile_id = '$READER'"

# add_posts FROM TO: posts numbered FROM..TO, one per wall in turn,
# created at random times within the last 365 days.
add_posts() {
	psql_run "INSERT INTO posts (wall_profile_id, profile_id, content, created_at)
		SELECT w.id, w.id, 'bench post ' || g,
			date_trunc('milliseconds', now() - random() * interval '365 days')
		FROM generate_series($1, $2) g
		JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM profiles
			WHERE username ~ '^benchp[0-9]+\$') w ON w.n = g % $PROFILES"
	psql_run "VACUUM ANALYZE posts"
}

# ---------------------------------------------------------------- wrk

# shellcheck source=bench/wrk-measure.sh
. "$ROOT/bench/wrk-measure.sh"

lua_post() {
	cat >"$tmp/$1.lua" <<-LUA
		wrk.method = "POST"
		wrk.headers["Content-Type"] = "application/json"
		wrk.headers["Authorization"] = "Bearer $TOKEN"
		wrk.body = '$2'
	LUA
}

auth=(-H "Authorization: Bearer $TOKEN")
add_posts 1 100000
WALL=$(psql_run "SELECT friend_id FROM friendships WHERE profile_id = '$READER' LIMIT 1")
results=()
results+=("$(measure 'feed page, 100,000 posts' "$BB_URL/api/feed" "${auth[@]}")")
add_posts 100001 1000000
results+=("$(measure 'feed page, 1,000,000 posts' "$BB_URL/api/feed" "${auth[@]}")")
results+=("$(measure 'GET /api/health' "$BB_URL/api/health")")
results+=("$(measure 'wall page, cached' "$BB_URL/api/posts?wall_profile_id=$WALL" "${auth[@]}")")
"$ROOT/bunnybook" stack service "$tmp/stack" stop redis-cache
results+=("$(measure 'wall page, uncached (cache Redis stopped)' "$BB_URL/api/posts?wall_profile_id=$WALL" "${auth[@]}")")
"$ROOT/bunnybook" stack service "$tmp/stack" start redis-cache
lua_post post '{"content":"a benchmark post"}'
results+=("$(measure 'POST /api/posts' "$BB_URL/api/posts" -s "$tmp/post.lua")")
status=$(post /api/posts '{"content":"commented"}' "${auth[@]}")
[ "$status" = 201 ] || die "post failed with HTTP $status"
lua_post comment '{"content":"a benchmark comment"}'
results+=("$(measure 'POST /api/posts/{id}/comments' "$BB_URL/api/posts/$(json_field id)/comments" -s "$tmp/comment.lua")")

# ---------------------------------------------------------------- report

echo "load after: $(uptime)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
echo "wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency; $(grep '^workers' "$tmp/stack/bunnybook.conf"); posts: $(psql_run 'SELECT count(*) FROM posts')"
echo "| target | requests/s | p50 | p99 |"
echo "|---|---|---|---|"
for r in "${results[@]}"; do
	IFS='|' read -r name rps p50 p99 <<<"$r"
	echo "| $name | $rps | $p50 ms | $p99 ms |"
done
value() { printf '%s\n' "${results[@]}" | awk -F'|' -v n="$1" -v c="$2" '$1 == n { print $c }'; }
awk -v a="$(value 'feed page, 100,000 posts' 3)" -v b="$(value 'feed page, 1,000,000 posts' 3)" \
	'BEGIN { printf "feed p50 at 1,000,000 posts / at 100,000 posts: %.2f\n", b / a }'
awk -v h="$(value 'GET /api/health' 2)" -v w="$(value 'wall page, cached' 2)" \
	'BEGIN { printf "cached wall page / health requests/s: %.0f%%\n", 100 * w / h }'
