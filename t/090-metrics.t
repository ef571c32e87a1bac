#!/usr/bin/perl
# The master serves Prometheus metrics summed over every worker on
# metrics_listen, a loopback port nginx does not expose: requests by route
# and status class, latency histograms, worker restarts, publishes.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use Bunny qw(stack api register_user login_user worker_pids master_pid
    wait_until service);

my $port = stack()->{BB_METRICS_PORT};
ok($port, 'the stack has a metrics port') or BAIL_OUT('no BB_METRICS_PORT');
my $base = "http://127.0.0.1:$port";
my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
# A label set: quoted values may hold spaces and braces, as route
# patterns such as "GET /api/posts/{id:uuid}" do.
our $LABELS = qr/\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\}/;

# Scrape once; returns (response, { 'name{labels}' => value }).
sub scrape {
	my $r = $http->get("$base/metrics");
	my %series;
	for my $line (split /\n/, $r->{content} // '') {
		next if $line =~ /^#/;
		$series{$1} = $2 if $line =~ /^([a-z_]+(?:$LABELS)?) (\S+)$/;
	}
	return ($r, \%series);
}

sub value { my ($series, $key) = @_; return $series->{$key} // 0 }

my $health = 'route="GET /api/health"';

# ------------------------------------------------------------ format
my ($r, $before) = scrape();
is($r->{status}, 200, 'GET /metrics answers 200');
like($r->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
    'content type is the Prometheus text format');
like($r->{content}, qr/^# TYPE bunnybook_http_requests_total counter$/m,
    'requests counter is typed');
like($r->{content}, qr/^# TYPE bunnybook_http_request_duration_seconds histogram$/m,
    'latency histogram is typed');
my @untyped = grep { !/^(# (HELP|TYPE) \S+ .+|[a-z_]+(?:$LABELS)? [0-9.e+-]+)$/ }
    split /\n/, $r->{content};
is("@untyped", '', 'every line is a comment or a sample');

# ------------------------------------------------------------ requests
api(GET => '/api/health') for 1 .. 5;
api(GET => '/api/no-such-route') for 1 .. 2;
my ($r2, $after) = scrape();
cmp_ok(value($after, "bunnybook_http_requests_total{$health,status=\"2xx\"}")
    - value($before, "bunnybook_http_requests_total{$health,status=\"2xx\"}"),
    '>=', 5, 'five health requests are counted as 2xx');
cmp_ok(value($after, 'bunnybook_http_requests_total{route="unmatched",status="4xx"}')
    - value($before, 'bunnybook_http_requests_total{route="unmatched",status="4xx"}'),
    '>=', 2, 'requests no route matched are counted as 4xx');

my $name = 'bunnybook_http_request_duration_seconds';
my @buckets = map { $after->{$_} }
    sort { ($a =~ /le="([^"]+)"/)[0] eq '+Inf' ? 1
	: ($b =~ /le="([^"]+)"/)[0] eq '+Inf' ? -1
	: ($a =~ /le="([^"]+)"/)[0] <=> ($b =~ /le="([^"]+)"/)[0] }
    grep { /^\Q${name}_bucket{$health,\E/ } keys %$after;
ok(@buckets > 5, 'health route has latency buckets');
my @sorted = sort { $a <=> $b } @buckets;
is("@buckets", "@sorted", 'buckets are cumulative');
is($buckets[-1], value($after, "${name}_count{$health}"), '+Inf bucket equals _count');
is(value($after, "${name}_count{$health}"),
    value($after, "bunnybook_http_requests_total{$health,status=\"2xx\"}"),
    '_count equals the requests counted for the route');
cmp_ok(value($after, "${name}_sum{$health}"), '>', 0, 'latency sum grows');

# ------------------------------------------------------------ workers
my $master = master_pid();
my @workers = worker_pids($master);
is(value($after, 'bunnybook_workers'), scalar @workers,
    'workers gauge matches the running workers');
my $restarts = value($after, 'bunnybook_worker_restarts_total');
kill 'KILL', $workers[0];
ok(wait_until(20, sub {
	my (undef, $now) = scrape();
	value($now, 'bunnybook_worker_restarts_total') == $restarts + 1;
}), 'a killed worker counts as one restart');
ok(wait_until(20, sub { worker_pids($master) == @workers }),
    'pool is back to its size');

# ------------------------------------------------------------ dependencies
my $alice = register_user();
my $bob = register_user();
my $client = login_user($alice);
my (undef, $pre) = scrape();
my $sent = $client->request(POST =>
    "/api/profiles/$alice->{id}/outgoing_friend_requests/$bob->{id}");
is($sent->{status}, 201, 'friend request is sent') or diag($sent->{content});
my (undef, $post) = scrape();
cmp_ok(value($post, 'bunnybook_nchan_publishes_total')
    - value($pre, 'bunnybook_nchan_publishes_total'), '>=', 1,
    'the friend request event counts as a publish');
is(value($post, 'bunnybook_nchan_publish_failures_total')
    - value($pre, 'bunnybook_nchan_publish_failures_total'), 0,
    'no publish failed');
for my $series ('bunnybook_db_errors_total',
    'bunnybook_redis_errors_total{instance="cache"}',
    'bunnybook_redis_errors_total{instance="pubsub"}',
    'bunnybook_cache_lookups_total{result="hit"}',
    'bunnybook_cache_lookups_total{result="miss"}') {
	ok(exists $post->{$series}, "$series is exported");
}
ok(defined $post->{bunnybook_nchan_subscribers},
    'subscriber count is read from nchan');

# A cache outage shows as cache Redis errors.
my (undef, $up) = scrape();
service(stop => 'redis-cache');
is(api(GET => '/api/health/ready')->{status}, 503, 'readiness fails without the cache');
my (undef, $down) = scrape();
service(start => 'redis-cache');
cmp_ok(value($down, 'bunnybook_redis_errors_total{instance="cache"}')
    - value($up, 'bunnybook_redis_errors_total{instance="cache"}'), '>=', 1,
    'cache Redis errors are counted');
is(value($down, 'bunnybook_redis_errors_total{instance="pubsub"}')
    - value($up, 'bunnybook_redis_errors_total{instance="pubsub"}'), 0,
    'pub/sub Redis errors stay apart');

# ------------------------------------------------------------ endpoint
is($http->get("$base/other")->{status}, 404, 'other paths answer 404');
is($http->post("$base/metrics")->{status}, 405, 'POST answers 405');
my $public = $http->get(stack()->{BB_URL} . '/metrics');
unlike($public->{content} // '', qr/bunnybook_http_requests_total/,
    'nginx does not serve the metrics');
$public = $http->get(stack()->{BB_URL} . '/api/metrics');
is($public->{status}, 404, 'the API has no metrics route');

# ------------------------------------------------------------ configuration
my $bin = stack()->{BB_BIN};
my $dir = tempdir(CLEANUP => 1);
open my $in, '<', stack()->{BB_CONF} or die $!;
my $conf = do { local $/; <$in> };
close $in;

sub run_with {
	my ($text, $command) = @_;
	open my $fh, '>', "$dir/c.conf" or die $!;
	print {$fh} $text;
	close $fh;
	my $out = `timeout 30 '$bin' -c '$dir/c.conf' $command 2>&1`;
	return ($? >> 8, $out);
}

my $bad = "$conf\nmetrics_listen = nowhere\n";
my ($rc, $out) = run_with($bad, 'check-config');
is($rc, 2, 'invalid metrics_listen stops start-up');
like($out, qr/metrics_listen/, 'message names metrics_listen');

# A second server on the port the stack's master holds cannot start.
(my $busy = $conf) =~ s/^listen = .*$/listen = $dir\/second.sock/m;
$busy .= "\nmetrics_listen = 127.0.0.1:$port\n";
($rc, $out) = run_with($busy, 'serve');
is($rc, 1, 'metrics port in use stops serve');
like($out, qr/cannot listen on metrics_listen 127\.0\.0\.1:$port: Address already in use/,
    'message names the address and the error');

done_testing();
