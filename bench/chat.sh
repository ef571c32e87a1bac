#!/usr/bin/env bash
# Chat: message send rate and send-to-delivery latency for private chats
# with USERS connected WebSocket streams, then the conversation list,
# unread count and a history page for a person with 1,000 conversations
# and 1,000,000 messages in the database.  Starts its own stack in a
# temporary directory on free ports and stops it afterwards.
#
#   bench/chat.sh [RATE_PER_S] [DURATION_S] [USERS] [WORKERS]
#
# Defaults: 500 messages/s for 20 s among 1,000 users (500 pairs of
# friends, each pair with its private conversation).  The load generator
# is bench/chat-load.js; it needs the ws package of t/js (./bunnybook test
# installs it).  The per-profile message limit and the access-token
# lifetime are raised for this stack only.
#
# Each message is delivered twice: to the partner's stream and to the
# sender's own (their other tabs), so RATE messages/s are 2 x RATE events/s
# on the streams.  Both copies are timed.  BB_CHAT_SEND_ONLY=1 stops after
# the sending part.
#
# Prints the machine, the load average, the load generator's JSON and one
# Markdown table row per measurement; paste them into docs/benchmarks.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RATE=${1:-500}
DURATION=${2:-20}
USERS=${3:-1000}
# A send waits on PostgreSQL's commit and on two publishes, so a worker
# spends most of a request waiting: more workers than the default of two
# per core keep both cores busy.
WORKERS=${4:-16}
PASSWORD=bench-password-1

die() { printf 'bench/chat.sh: %s\n' "$*" >&2; exit 1; }

. "$ROOT/bench/stack.sh"
need_stream_client
# 1,000 streams need more descriptors than the usual 1,024 per process.
raise_open_files "$USERS"
print_machine
export BUNNYBOOK_CHAT_MESSAGES_PER_SECOND=100000
export BUNNYBOOK_ACCESS_TOKEN_TTL_S=86400
export BUNNYBOOK_WORKERS=$WORKERS
start_stack

psql_run() {
	psql -h 127.0.0.1 -p "$BB_PG_PORT" -U bunnybook -d bunnybook -Atqc "$1"
}

# login EMAIL: prints the access token.
login() {
	curl -sS -H 'Content-Type: application/json' \
		--data "{\"email\":\"$1\",\"password\":\"$PASSWORD\"}" \
		"$BB_URL/api/login" |
		perl -MJSON::PP -0777 -ne 'print decode_json($_)->{accessToken}'
}
export -f login
export BB_URL PASSWORD

# ---------------------------------------------------------------- people

status=$(curl -sS -o "$tmp/reply.json" -w '%{http_code}' \
	-H 'Content-Type: application/json' \
	--data "{\"username\":\"benchc0\",\"email\":\"benchc0@example.com\",\"password\":\"$PASSWORD\"}" \
	"$BB_URL/api/register")
[ "$status" = 201 ] || die "register failed with HTTP $status: $(cat "$tmp/reply.json")"
# The other people share the first one's password hash, so only logins hash.
psql_run "INSERT INTO profiles (username, email, password_hash, avatar_identifier)
	SELECT 'benchc' || i, 'benchc' || i || '@example.com', p.password_hash, 'a'
	FROM generate_series(1, $USERS - 1) i,
	     (SELECT password_hash FROM profiles WHERE username = 'benchc0') p"
# Pairs by number (0 and 1, 2 and 3, ...) are friends with a private chat.
psql_run "
	WITH n AS (SELECT id, username, substr(username, 7)::int AS k FROM profiles
		WHERE username ~ '^benchc[0-9]+\$'),
	p AS (SELECT a.id AS x, a.username AS xn, b.id AS y, b.username AS yn
		FROM n a JOIN n b ON b.k = a.k + 1 WHERE a.k % 2 = 0)
	INSERT INTO friendships (profile_id, friend_id, friend_username)
	SELECT x, y, yn FROM p UNION ALL SELECT y, x, xn FROM p"
psql_run "
	WITH g AS (INSERT INTO chat_groups (private_low, private_high)
		SELECT least(profile_id, friend_id), greatest(profile_id, friend_id)
		FROM friendships f JOIN profiles p ON p.id = f.profile_id
		WHERE p.username ~ '^benchc[0-9]+\$' AND f.profile_id < f.friend_id
		RETURNING id, private_low, private_high)
	INSERT INTO chat_members (chat_group_id, profile_id)
	SELECT id, private_low FROM g UNION ALL SELECT id, private_high FROM g"

echo "logging $USERS people in"
psql_run "SELECT email FROM profiles WHERE username ~ '^benchc[0-9]+\$'
	ORDER BY substr(username, 7)::int" >"$tmp/emails"
xargs -P 4 -I{} bash -c 'printf "%s %s\n" "$1" "$(login "$1")"' _ {} \
	<"$tmp/emails" >"$tmp/tokens"
psql_run "SELECT p.email, p.id, m.chat_group_id FROM profiles p
	JOIN chat_members m ON m.profile_id = p.id
	WHERE p.username ~ '^benchc[0-9]+\$'" >"$tmp/chats"
perl -MJSON::PP -e '
	my ($tokens, $chats) = @ARGV;
	my (%token, @users);
	open my $t, "<", $tokens or die; while (<$t>) { chomp; my ($e, $k) = split / /; $token{$e} = $k }
	open my $c, "<", $chats or die;
	while (<$c>) { chomp; my ($e, $id, $chat) = split /\|/; die "no token for $e\n" unless $token{$e};
		push @users, { id => $id, token => $token{$e}, chat => $chat } }
	print encode_json(\@users);' "$tmp/tokens" "$tmp/chats" >"$tmp/users.json"

# ---------------------------------------------------------------- send

echo "sending $RATE messages/s for $DURATION s among $USERS connected users, $WORKERS workers"
NODE_PATH="$ROOT/t/js/node_modules" node "$ROOT/bench/chat-load.js" \
	"$tmp/users.json" "$BB_URL" "$RATE" "$DURATION" | tee "$tmp/load.json"
echo "load after sending: $(uptime)"
print_send_row() {
	perl -MJSON::PP -0777 -ne '
		my $r = decode_json($_);
		printf "| private messages, %d connected users | %d/s sent (target %d) | delivery p50 %.1f ms, p99 %.1f ms | POST p50 %.1f ms, p99 %.1f ms | %d undelivered |\n",
		    $r->{users}, $r->{sentRate}, $r->{targetRate}, $r->{deliveryP50Ms}, $r->{deliveryP99Ms},
		    $r->{postP50Ms}, $r->{postP99Ms}, $r->{undelivered};
		printf "| events on streams, both copies of each message | %.0f/s delivered | p50 %.1f ms, p99 %.1f ms | | %d undelivered |\n",
		    $r->{eventRate}, $r->{eventP50Ms}, $r->{eventP99Ms},
		    $r->{undelivered} + $r->{senderUndelivered};' "$tmp/load.json"
}
if [ "${BB_CHAT_SEND_ONLY:-0}" = 1 ]; then
	print_send_row
	exit 0
fi

# ---------------------------------------------------------------- lists

echo "building 1,000 conversations with 1,000,000 messages"
READER_TOKEN=$(login benchc0@example.com)
READER=$(psql_run "SELECT id FROM profiles WHERE username = 'benchc0'")
psql_run "INSERT INTO chat_groups (name) SELECT 'benchg' || i FROM generate_series(1, 1000) i"
psql_run "
	WITH g AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM chat_groups
		WHERE name ~ '^benchg[0-9]+\$'),
	o AS (SELECT id, substr(username, 7)::int AS k FROM profiles WHERE username ~ '^benchc[0-9]+\$')
	INSERT INTO chat_members (chat_group_id, profile_id)
	SELECT g.id, '$READER' FROM g
	UNION ALL SELECT g.id, o.id FROM g JOIN o ON o.k = g.n % ($USERS - 1) + 1"
psql_run "
	INSERT INTO chat_messages (chat_group_id, seq, profile_id, content, created_at)
	SELECT m.chat_group_id, 2 * k - (m.profile_id = '$READER')::int, m.profile_id,
		'bench history ' || k,
		date_trunc('milliseconds', now() - interval '60 days' + k * interval '1 min')
			+ (2 * k - (m.profile_id = '$READER')::int) * interval '1 ms'
	FROM chat_members m JOIN chat_groups g ON g.id = m.chat_group_id
	JOIN generate_series(1, 500) k ON true WHERE g.name ~ '^benchg[0-9]+\$'"
psql_run "
	WITH l AS (SELECT DISTINCT ON (chat_group_id) chat_group_id, id, seq, created_at
		FROM chat_messages ORDER BY chat_group_id, created_at DESC, id DESC)
	UPDATE chat_groups g SET last_message_id = l.id, last_message_at = l.created_at,
		message_seq = l.seq
	FROM l WHERE l.chat_group_id = g.id AND g.name ~ '^benchg[0-9]+\$'"
psql_run "UPDATE chat_members m SET last_message_at = g.last_message_at,
	unread_count = (m.chat_group_id::text < '8')::int * 3
	FROM chat_groups g WHERE g.id = m.chat_group_id AND g.name ~ '^benchg[0-9]+\$'"
for table in chat_groups chat_members chat_messages; do
	psql_run "VACUUM ANALYZE $table"
done
echo "messages in the database: $(psql_run 'SELECT count(*) FROM chat_messages')"
GROUP=$(psql_run "SELECT id FROM chat_groups WHERE name = 'benchg1'")

# The lists are read with the reader's token, 16 connections for 10 s.
CONNECTIONS=16
DURATION=10
# shellcheck source=bench/wrk-measure.sh
. "$ROOT/bench/wrk-measure.sh"
auth=(-H "Authorization: Bearer $READER_TOKEN")

results=()
results+=("$(measure 'conversation list (1,000 conversations)' "$BB_URL/api/profiles/$READER/conversations" "${auth[@]}")")
results+=("$(measure 'conversations with unread messages' "$BB_URL/api/profiles/$READER/conversations/unread_count" "${auth[@]}")")
results+=("$(measure 'history page (1,000 messages in the conversation)' "$BB_URL/api/chat/$GROUP/messages" "${auth[@]}")")

echo "load after: $(uptime)"
print_send_row
echo '| request | requests/s | p50 ms | p99 ms |'
echo '|---|---|---|---|'
for row in "${results[@]}"; do
	echo "| ${row//|/ | } |"
done
