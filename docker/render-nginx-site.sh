#!/bin/sh
# render-nginx-site TEMPLATE OUTPUT: write the nginx site for the container
# from nginx/bunnybook.conf.in.  Like the Makefile's rule, it replaces the
# @NAME@ placeholders on every line that is not a comment, so the comments
# keep the placeholder names they explain.  The values come from
#   NGINX_LISTEN        public listen address (default 80)
#   NGINX_PUBSUB_REDIS  host:port of the pub/sub Redis (required)
#   NGINX_STATIC_DIR    the web client (default /usr/share/bunnybook/static)
#   NGINX_SOCKET_DIR    directory of both sockets (default /run/bunnybook)
set -eu

if [ $# -ne 2 ]; then
	echo "usage: render-nginx-site TEMPLATE OUTPUT" >&2
	exit 2
fi
template=$1
output=$2

listen=${NGINX_LISTEN:-80}
static_dir=${NGINX_STATIC_DIR:-/usr/share/bunnybook/static}
socket_dir=${NGINX_SOCKET_DIR:-/run/bunnybook}
pubsub_redis=${NGINX_PUBSUB_REDIS:-}

if [ -z "$pubsub_redis" ]; then
	echo "render-nginx-site: NGINX_PUBSUB_REDIS is not set: give host:port of the pub/sub Redis" >&2
	exit 2
fi
# sed below uses | as its delimiter.
for value in "$listen" "$static_dir" "$socket_dir" "$pubsub_redis"; do
	case $value in
	*'|'* | *'&'* | *'\'*)
		echo "render-nginx-site: invalid value \"$value\": | & and \\ are not allowed" >&2
		exit 2 ;;
	esac
done

sed -e '/^[[:space:]]*#/!{' \
	-e "s|@LISTEN@|$listen|g" \
	-e "s|@STATIC_DIR@|$static_dir|g" \
	-e "s|@FCGI_SOCKET@|$socket_dir/bunnybookd.sock|g" \
	-e "s|@PUBLISH_SOCKET@|$socket_dir/nchan-publisher.sock|g" \
	-e "s|@PUBSUB_REDIS@|$pubsub_redis|g" \
	-e '}' "$template" >"$output.tmp"

if grep -v '^[[:space:]]*#' "$output.tmp" | grep -q '@[A-Z_]*@'; then
	echo "render-nginx-site: $template contains an unknown placeholder:" >&2
	grep -v '^[[:space:]]*#' "$output.tmp" | grep '@[A-Z_]*@' >&2
	rm -f "$output.tmp"
	exit 1
fi
mv "$output.tmp" "$output"
