#!/usr/bin/env bash
# Load the demo data into a stack started by ./bunnybook (its directory
# contains stack.env): the Facebook graph in data/ego-facebook-edges.txt as
# profiles fbN with e-mail fbN@import.invalid, then a year of activity from
# tools/demo.sql.  Every demo account gets one new random password, printed
# on standard output once.  Progress goes to standard error.
#
#   tools/demo.sh STACK_DIR                  load unless already loaded
#   tools/demo.sh --new-password STACK_DIR   give the demo accounts a new
#                                            password and print it
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf 'demo: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

new_password=
if [ "${1:-}" = --new-password ]; then
	new_password=yes
	shift
fi
[ $# -eq 1 ] || die "usage: tools/demo.sh [--new-password] STACK_DIR"
[ -f "$1/stack.env" ] || die "no stack.env in $1; start a stack with ./bunnybook first"
# shellcheck disable=SC1091
. "$1/stack.env"

psql_demo() {
	psql -h 127.0.0.1 -p "$BB_PG_PORT" -U bunnybook -d bunnybook -X -q \
		-v ON_ERROR_STOP=1 "$@"
}

# The value of an Argon2 key in bunnybook.conf, or bunnybookd's default.
argon2_setting() {
	local value
	value=$(sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p" \
		"$BB_CONF" | tail -n 1)
	printf '%s\n' "${value:-$2}"
}

# Print a new random password and its Argon2id PHC string, one per line,
# with the cost bunnybookd is configured for, so that the first login
# does not rehash it.
make_password() {
	local password salt
	password=$(head -c 12 /dev/urandom | base64 | tr '+/' '-_')
	salt=$(head -c 12 /dev/urandom | base64)
	printf '%s\n' "$password"
	printf '%s' "$password" | argon2 "$salt" -id \
		-k "$(argon2_setting argon2_memory_kib 19456)" \
		-t "$(argon2_setting argon2_passes 2)" \
		-p "$(argon2_setting argon2_lanes 1)" -l 32 -e
}

print_password() {
	printf 'Demo accounts password (shown only now): %s\n' "$1"
	printf 'Log in with e-mail fb107@import.invalid (1,045 friends) or fb0@import.invalid.\n'
}

loaded=$(psql_demo -Atc "SELECT EXISTS (SELECT 1 FROM posts
	WHERE id = md5('bunnybook-demo:post:1')::uuid)")

if [ -n "$new_password" ]; then
	[ "$loaded" = t ] || die "the demo data is not loaded; run tools/demo.sh $1"
	{ read -r password; read -r hash; } < <(make_password)
	psql_demo -v hash="$hash" <<-'EOF'
		UPDATE profiles SET password_hash = :'hash'
		WHERE username ~ '^fb[0-9]+$' AND email = username || '@import.invalid';
	EOF
	print_password "$password"
	exit 0
fi

if [ "$loaded" = t ]; then
	say "demo data already loaded; tools/demo.sh --new-password $1 sets a new password"
	exit 0
fi

say "importing data/ego-facebook-edges.txt"
"${BB_BIN:-$ROOT/src/bunnybookd}" -c "$BB_CONF" import-graph "$ROOT/data/ego-facebook-edges.txt" \
	>>"$BB_DIR/logs/demo.log" 2>&1 ||
	die "import-graph failed; see $BB_DIR/logs/demo.log"

say "generating a year of posts, comments, likes and chats"
{ read -r password; read -r hash; } < <(make_password)
[ -n "$hash" ] || die "argon2 failed to hash the demo password"
psql_demo -v password_hash="$hash" -f "$ROOT/tools/demo.sql" >>"$BB_DIR/logs/demo.log" 2>&1 ||
	die "tools/demo.sql failed; see $BB_DIR/logs/demo.log"

# When another load finished first, this password was not stored.
stored=$(psql_demo -Atc "SELECT password_hash FROM profiles WHERE username = 'fb0'
	AND email = 'fb0@import.invalid'")
if [ "$stored" != "$hash" ]; then
	say "demo data already loaded by another run; tools/demo.sh --new-password $1 sets a new password"
	exit 0
fi
say "demo data loaded"
print_password "$password"
