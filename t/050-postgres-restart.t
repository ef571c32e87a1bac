#!/usr/bin/perl
# After PostgreSQL restarts under a running pool, the next request
# succeeds: each worker reconnects without the client noticing.
use strict;
use warnings;
use Test::More;
use Bunny qw(api service worker_pids);

# Warm every worker's connection.
api(GET => '/api/health/ready') for 1 .. 20;

service(restart => 'postgres');

my $r = api(GET => '/api/health/ready');
is($r->{status}, 200, 'first request after the restart succeeds');
my $ok = 0;
$ok += api(GET => '/api/health/ready')->{status} == 200 for 1 .. 20;
is($ok, 20, 'every worker reconnected');
done_testing();
