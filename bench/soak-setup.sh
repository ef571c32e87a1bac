#!/usr/bin/env bash
# People for bench/soak-load.js on a running stack: USERS people in a ring
# where each is a friend of the ten nearest (five on each side), people
# 2k and 2k+1 with their private conversation, all logged in.  Writes the
# load generator's users file.
#
#   bench/soak-setup.sh STACK_DIR USERS OUT_JSON [PREFIX]
#
# PREFIX (default "soak") starts every username, so that several runs can
# share one database.  USERS must be even and at least 12.
set -euo pipefail

DIR=${1:?usage: bench/soak-setup.sh STACK_DIR USERS OUT_JSON [PREFIX]}
USERS=${2:?USERS missing}
OUT=${3:?OUT_JSON missing}
PREFIX=${4:-soak}
PASSWORD=soak-password-1

die() { printf 'bench/soak-setup.sh: %s\n' "$*" >&2; exit 1; }
[ $((USERS % 2)) -eq 0 ] && [ "$USERS" -ge 12 ] || die "USERS must be even and at least 12"
[[ $PREFIX =~ ^[a-z]+$ ]] || die "PREFIX must be lower-case letters"
# shellcheck disable=SC1091
. "$DIR/stack.env"
work=$(mktemp -d /tmp/bunnybook-soak.XXXXXX)
trap 'rm -rf "$work"' EXIT

psql_run() {
	psql -h 127.0.0.1 -p "$BB_PG_PORT" -U bunnybook -d bunnybook -v ON_ERROR_STOP=1 -Atqc "$1"
}

status=$(curl -sS -o "$work/reply.json" -w '%{http_code}' \
	-H 'Content-Type: application/json' \
	--data "{\"username\":\"${PREFIX}0\",\"email\":\"${PREFIX}0@example.com\",\"password\":\"$PASSWORD\"}" \
	"$BB_URL/api/register")
[ "$status" = 201 ] || die "register failed with HTTP $status: $(cat "$work/reply.json")"
# The others share the first one's password hash, so that only logins hash.
psql_run "INSERT INTO profiles (username, email, password_hash, avatar_identifier)
	SELECT '$PREFIX' || i, '$PREFIX' || i || '@example.com', p.password_hash, '$PREFIX' || i
	FROM generate_series(1, $USERS - 1) i,
	     (SELECT password_hash FROM profiles WHERE username = '${PREFIX}0') p"
psql_run "
	WITH n AS (SELECT id, username, substr(username, length('$PREFIX') + 1)::int AS k
		FROM profiles WHERE username ~ '^$PREFIX[0-9]+\$')
	INSERT INTO friendships (profile_id, friend_id, friend_username)
	SELECT a.id, b.id, b.username FROM n a
	JOIN generate_series(1, 5) d ON true
	JOIN n b ON b.k IN ((a.k + d) % $USERS, (a.k - d + $USERS) % $USERS)"
psql_run "
	WITH n AS (SELECT id, substr(username, length('$PREFIX') + 1)::int AS k
		FROM profiles WHERE username ~ '^$PREFIX[0-9]+\$'),
	g AS (INSERT INTO chat_groups (private_low, private_high)
		SELECT least(a.id, b.id), greatest(a.id, b.id)
		FROM n a JOIN n b ON b.k = a.k + 1 WHERE a.k % 2 = 0
		RETURNING id, private_low, private_high)
	INSERT INTO chat_members (chat_group_id, profile_id)
	SELECT id, private_low FROM g UNION ALL SELECT id, private_high FROM g"

psql_run "SELECT email FROM profiles WHERE username ~ '^$PREFIX[0-9]+\$'" >"$work/emails"
login() {
	curl -sS -H 'Content-Type: application/json' \
		--data "{\"email\":\"$1\",\"password\":\"$PASSWORD\"}" "$BB_URL/api/login" |
		perl -MJSON::PP -0777 -ne 'my $r = decode_json($_); print $r->{accessToken} // ""'
}
export -f login
export BB_URL PASSWORD
xargs -P 4 -I{} bash -c 'printf "%s %s\n" "$1" "$(login "$1")"' _ {} \
	<"$work/emails" >"$work/tokens"
psql_run "SELECT p.email, p.id, m.chat_group_id, o.profile_id,
		(SELECT string_agg(f.friend_id::text, ',') FROM friendships f WHERE f.profile_id = p.id)
	FROM profiles p
	JOIN chat_members m ON m.profile_id = p.id
	JOIN chat_groups g ON g.id = m.chat_group_id AND g.private_low IS NOT NULL
	JOIN chat_members o ON o.chat_group_id = m.chat_group_id AND o.profile_id <> p.id
	WHERE p.username ~ '^$PREFIX[0-9]+\$'" >"$work/people"
perl -MJSON::PP -e '
	my ($tokens, $people) = @ARGV;
	my (%token, @users);
	open my $t, "<", $tokens or die "$tokens: $!";
	while (<$t>) { chomp; my ($email, $token) = split / /; $token{$email} = $token }
	open my $p, "<", $people or die "$people: $!";
	while (<$p>) {
		chomp;
		my ($email, $id, $chat, $partner, $friends) = split /\|/;
		die "no access token for $email\n" unless $token{$email};
		push @users, { id => $id, token => $token{$email}, chat => $chat,
		    partner => $partner, friends => [split /,/, $friends] };
	}
	print encode_json(\@users);' "$work/tokens" "$work/people" >"$OUT"
