#!/usr/bin/perl
# Liveness never depends on anything; readiness names each dependency that
# is down and recovers when it returns.
use strict;
use warnings;
use Test::More;
use Bunny qw(api service wait_until);

my $r = api(GET => '/api/health');
is($r->{status}, 200, 'liveness is 200');
is($r->{body}{status}, 'ok', 'liveness body says ok');
ok($r->{headers}{'x-request-id'}, 'response carries X-Request-Id');

$r = api(GET => '/api/health/ready');
is($r->{status}, 200, 'readiness is 200 with everything up');
is_deeply($r->{body}{checks},
    { postgres => 'ok', cache_redis => 'ok', pubsub_redis => 'ok', nchan => 'ok' },
    'readiness lists every dependency');

for my $name (qw(cache pubsub)) {
	service(stop => "redis-$name");
	$r = api(GET => '/api/health/ready');
	is($r->{status}, 503, "readiness is 503 with the $name Redis down");
	is($r->{body}{error}{code}, 'Unavailable', 'error code is Unavailable');
	like($r->{body}{error}{message}, qr/${name}_redis/, "message names ${name}_redis");
	is($r->{body}{checks}{"${name}_redis"}, 'down', "checks mark ${name}_redis down");
	is(api(GET => '/api/health')->{status}, 200, 'liveness stays 200');
	service(start => "redis-$name");
	ok(wait_until(30, sub { api(GET => '/api/health/ready')->{status} == 200 }),
	    "readiness returns to 200 after the $name Redis is back");
}

service(stop => 'postgres');
$r = api(GET => '/api/health/ready');
is($r->{status}, 503, 'readiness is 503 with PostgreSQL down');
like($r->{body}{error}{message}, qr/postgres/, 'message names postgres');
unlike($r->{content}, qr/connection|refused|127\.0\.0\.1/i, 'no internals leak');
is(api(GET => '/api/health')->{status}, 200, 'liveness stays 200 without PostgreSQL');
service(start => 'postgres');
ok(wait_until(30, sub { api(GET => '/api/health/ready')->{status} == 200 }),
    'readiness returns after PostgreSQL is back');

done_testing();
