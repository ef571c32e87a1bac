#!/bin/sh
# Entry point of the bunnybookd image.  Without BUNNYBOOK_JWT_KEY, the key
# for access tokens comes from JWT_KEY_FILE, which is created with 48
# random bytes the first time; keep that file on a volume so that tokens
# stay valid across restarts.  The variable has no BUNNYBOOK_ prefix because
# bunnybookd rejects every BUNNYBOOK_ variable that is not a configuration
# key.
set -eu

if [ -z "${BUNNYBOOK_JWT_KEY:-}" ] && [ -n "${JWT_KEY_FILE:-}" ]; then
	if [ ! -s "$JWT_KEY_FILE" ]; then
		(umask 077 && head -c 48 /dev/urandom | base64 -w0 >"$JWT_KEY_FILE.tmp") &&
			mv "$JWT_KEY_FILE.tmp" "$JWT_KEY_FILE"
		echo "bunnybookd-entrypoint: created a new jwt_key in $JWT_KEY_FILE" >&2
	fi
	BUNNYBOOK_JWT_KEY=$(cat "$JWT_KEY_FILE")
	export BUNNYBOOK_JWT_KEY
fi
exec "$@"
