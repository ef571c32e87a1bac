#!/usr/bin/perl
# The cache Redis killed (SIGKILL) under load: every request keeps being
# answered from PostgreSQL, none fails or waits long, reads show the writes
# made meanwhile, and the cache fills and serves hits again once Redis is
# back.  On a stack of its own.
use strict;
use warnings;
use Test::More;
use HTTP::Tiny;
use Bunny qw(private_stack api register_user login_user redis service
    wait_until log_text sql);
use Bunny::Load;

my $s = private_stack('cache-kill', settings => { comment_writes_per_window => 100000 });

sub cache_hits {
	my $m = HTTP::Tiny->new->get("http://127.0.0.1:$s->{BB_METRICS_PORT}/metrics");
	return $m->{content} =~ /^bunnybook_cache_lookups_total\{result="hit"\} (\d+)/m ? $1 : 0;
}

my ($W, $F) = map { my $u = register_user(prefix => "ck$_"); $u->{c} = login_user($u); $u } qw(w f);
my $page = "/api/posts?wall_profile_id=$W->{id}";
my $post = $W->{c}->request(POST => '/api/posts', { content => 'before' })->{body}{id};
api(GET => "/api/posts/$post") for 1 .. 2;
api(GET => $page) for 1 .. 2;
ok(redis('cache', 'DBSIZE') =~ /^:([1-9]\d*)$/, 'reads fill the cache');

# Readers and writers: the friend comments and reads the post and the
# wall; everything must be 2xx.
my $load = Bunny::Load::start(3, sub {
	my ($child, $call) = @_;
	if ($child == 1) {
		my $r = $F->{c}->request(POST => "/api/posts/$post/comments", { content => "c$call" });
		return { what => 'comment', status => $r->{status}, id => $r->{body}{id} };
	}
	my $r = api(GET => $child == 2 ? "/api/posts/$post" : $page);
	return { what => 'read', status => $r->{status} };
});
ok($load->wait_calls(3, 30), 'load runs');

my $pid = do { open my $fh, '<', "$s->{BB_DIR}/pids/redis-cache.pid" or die $!; <$fh> };
chomp $pid;
ok(kill('KILL', $pid), 'cache Redis killed');
ok(wait_until(10, sub { !kill 0, $pid }), 'it is gone');
ok($load->wait_calls(5, 60), 'every client makes progress without it');

my $r = api(GET => '/api/health/ready');
is($r->{status}, 503, 'readiness reports the cache down');
is($r->{body}{checks}{cache_redis}, 'down', 'it names cache_redis');
is(api(GET => '/api/health')->{status}, 200, 'liveness stays 200');

# Writes and reads of every kind while the cache is down.
my $u = register_user(prefix => 'cknew');
ok($u->{id}, 'registration works');
my $uc = login_user($u);
my $p2 = $uc->request(POST => '/api/posts', { content => 'during' });
is($p2->{status}, 201, 'posting works');
is($F->{c}->request(PUT => "/api/posts/$post/like")->{status}, 204, 'liking works');
is(api(GET => "/api/posts/$post")->{body}{likesCount}, 1, 'the like shows at once');
$W->{c}->request(PATCH => "/api/posts/$post", { content => 'edited while down' });
is(api(GET => "/api/posts/$post")->{body}{content}, 'edited while down', 'an edit shows at once');
is(api(GET => $page)->{body}[0]{content}, 'edited while down', 'and on the wall');
is($F->{c}->request(GET => '/api/feed')->{status}, 200, 'the feed works');
is($W->{c}->request(GET => "/api/profiles/$W->{id}/friends")->{status}, 200, 'friend lists work');

service(start => 'redis-cache');
ok($load->wait_calls(3, 30), 'load continues after the cache returns');
my @results = $load->stop;

my @bad = grep { $_->{status} !~ /^2/ } @results;
is(scalar @bad, 0, 'all ' . scalar(@results) . ' requests under load were 2xx')
    or diag explain [ @bad[0 .. ($#bad < 4 ? $#bad : 4)] ];
my ($slowest) = sort { $b->{seconds} <=> $a->{seconds} } @results;
# A refused connection fails at once; redis_timeout_ms (500 ms) bounds the
# rest.  5 s leaves room for a loaded machine.
cmp_ok($slowest->{seconds}, '<', 5, 'no request waited on the dead cache');

# Every confirmed comment is there, and the reads after the return show
# them: the cache came back empty and holds nothing stale.
my %confirmed = map { $_->{id} => 1 } grep { $_->{what} eq 'comment' && $_->{status} == 201 } @results;
my %listed = map { $_ => 1 } sql("SELECT id FROM comments WHERE post_id = '$post'");
my @missing = grep { !$listed{$_} } keys %confirmed;
is(scalar @missing, 0, scalar(keys %confirmed) . ' confirmed comments are all stored');
is(api(GET => "/api/posts/$post")->{body}{commentsCount}, scalar(keys %confirmed),
    'the count matches');

# Caching resumes.
my $hits = cache_hits();
api(GET => "/api/posts/$post") for 1 .. 3;
ok(redis('cache', 'DBSIZE') =~ /^:([1-9]\d*)$/, 'the cache fills again');
cmp_ok(cache_hits(), '>=', $hits + 2, 'and serves hits again');
is(api(GET => "/api/posts/$post")->{body}{content}, 'edited while down', 'with current data');
is(api(GET => '/api/health/ready')->{status}, 200, 'readiness is 200 again');
like(log_text('bunnybookd'), qr/cache_redis: (cannot connect|command \w+ failed)/,
    'the failure was logged');
unlike(log_text('bunnybookd'), qr/killed by signal|returned 5\d\d/, 'no worker crashed, no 5xx');

done_testing();
