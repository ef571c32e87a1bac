#!/bin/sh
# Entry point of the nginx image: render the site, remove a publisher
# socket left by an nginx that was killed (nginx cannot bind over it), check
# the configuration and run nginx in the foreground.
set -eu

render-nginx-site /usr/share/bunnybook/nginx/bunnybook.conf.in \
	/etc/nginx/sites-enabled/bunnybook
rm -f "${NGINX_SOCKET_DIR:-/run/bunnybook}/nchan-publisher.sock"
nginx -t -q
exec nginx -g 'daemon off;'
