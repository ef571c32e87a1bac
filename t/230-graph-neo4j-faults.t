#!/usr/bin/perl
# Neo4j hung (SIGSTOP) and killed (SIGKILL) under the neo4j graph backend:
# graph reads answer 503 within the Neo4j timeout and never hang,
# friendship changes commit in PostgreSQL meanwhile, and once Neo4j is back
# the replay of the outbox brings it to exactly PostgreSQL's state.
# Neo4j is restarted as the stack started it (same directory, port and
# password), also when the test fails midway.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use Bunny qw(api stack register_user login_user service sql wait_until log_text);
use Bunny::Load;

plan skip_all => 'the stack runs the postgres graph backend'
    unless (stack()->{BB_GRAPH_BACKEND} // '') eq 'neo4j';

my $home = stack()->{BB_DIR} . '/neo4j';
sub neo4j_pid {
	open my $fh, '<', "$home/neo4j.pid" or return undef;
	my $pid = <$fh>;
	chomp $pid if defined $pid;
	return $pid;
}
sub alive {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/stat" or return 0;
	return (<$fh> // '') !~ /\)\s+Z/;
}
my $pid = neo4j_pid();
ok($pid && alive($pid), "Neo4j runs as pid $pid");
my $starter = $$;
END {
	# Whatever happened, leave Neo4j running for the tests after this.
	if ($$ == $starter && $pid) {
		kill 'CONT', $pid;
		eval { service(start => 'neo4j') } unless alive(neo4j_pid() // 0);
	}
}

my @u = map { my $u = register_user(prefix => "nf$_"); $u->{c} = login_user($u); $u } 1 .. 6;
sub path { "/api/profiles/$_[0]{id}" }
sub ask { my ($from, $to) = @_; $from->{c}->request(POST => path($from) . "/outgoing_friend_requests/$to->{id}") }
sub accept_from { my ($me, $from) = @_; $me->{c}->request(POST => path($me) . "/friends/$from->{id}") }
sub rel { my ($x, $y) = @_; $x->{c}->request(GET => path($x) . "/relationships/$y->{id}") }
ask($u[0], $u[1]);
accept_from($u[1], $u[0]);
ask($u[0], $u[2]);
ask($u[3], $u[4]);
accept_from($u[4], $u[3]);
is(rel($u[0], $u[1])->{body}, 'FRIEND', 'Neo4j answers with the graph');

# Graph reads go on all the time: a friend list, which is cached (and so
# may still be served from the cache while Neo4j is away), and the list
# of requests, which is not.
my $requests = path($u[0]) . '/friend_requests?direction=incoming';
my $reads = Bunny::Load::start(2, sub {
	my ($child) = @_;
	my $r = $child == 1
	    ? $u[3]{c}->request(GET => path($u[3]) . '/friends')
	    : $u[0]{c}->request(GET => $requests);
	return { status => $r->{status}, child => $child,
	    code => ref $r->{body} eq 'HASH' ? $r->{body}{error}{code} : undef };
}, pause => 0.1);
ok($reads->wait_calls(2, 30), 'graph reads run');

# Hung: Neo4j accepts connections but never answers.
ok(kill('STOP', $pid), 'Neo4j stopped with SIGSTOP');
my $t0 = time;
my $r = $u[0]{c}->request(GET => $requests);
my $took = time - $t0;
is($r->{status}, 503, 'a graph read of a hung Neo4j is 503');
# neo4j_timeout_ms is 3 s; the replay before a read may wait as long.
cmp_ok($took, '<', 15, sprintf('after %.1f s, not hanging', $took));
$t0 = time;
is(accept_from($u[2], $u[0])->{status}, 201, 'accepting a request works while Neo4j hangs');
cmp_ok(time - $t0, '<', 15, 'and does not hang either');
ok(kill('CONT', $pid), 'Neo4j continues');
# Reads between the failed mirror and its replay see the old state; none
# of it may stay in the cache.
ok(wait_until(30, sub { (rel($u[0], $u[2])->{body} // '') eq 'FRIEND' }), 'the accept reaches Neo4j');
ok(wait_until(30, sub { (rel($u[2], $u[0])->{body} // '') eq 'FRIEND' }), 'seen from both sides');

# Killed.
ok(kill('KILL', $pid), 'Neo4j killed with SIGKILL');
ok(wait_until(15, sub { !alive($pid) }), 'it is gone');
$r = $u[0]{c}->request(GET => $requests);
is($r->{status}, 503, 'graph reads answer 503');
is($r->{body}{error}{message}, 'the friend graph is temporarily unavailable', 'saying why');
is(rel($u[0], $u[1])->{status}, 503, 'relationships answer 503');

# Friendship changes while Neo4j is dead: each commits in PostgreSQL.
my $late = register_user(prefix => 'nflate');
$late->{c} = login_user($late);
push @u, $late;
my @changes = (
	[ 'unfriend 0-1', sub { $u[0]{c}->request(DELETE => path($u[0]) . "/friends/$u[1]{id}") }, 204 ],
	[ 'ask 3->5', sub { ask($u[3], $u[5]) }, 201 ],
	[ 'unfriend 4-3', sub { $u[4]{c}->request(DELETE => path($u[4]) . "/friends/$u[3]{id}") }, 204 ],
	[ 'ask 1->4', sub { ask($u[1], $u[4]) }, 201 ],
	[ 'cancel 1->4', sub { $u[1]{c}->request(DELETE => path($u[1]) . "/outgoing_friend_requests/$u[4]{id}") }, 204 ],
	[ 'ask 5->2', sub { ask($u[5], $u[2]) }, 201 ],
	[ 'reject 5->2', sub { $u[2]{c}->request(DELETE => path($u[2]) . "/incoming_friend_requests/$u[5]{id}") }, 204 ],
	[ 'ask 6->0', sub { ask($u[6], $u[0]) }, 201 ],
	[ 'ask 6->1', sub { ask($u[6], $u[1]) }, 201 ],
	[ 'accept 6->1', sub { accept_from($u[1], $u[6]) }, 201 ],
);
is($_->[1]->()->{status}, $_->[2], "$_->[0] works with Neo4j dead") for @changes;
ok(sql('SELECT count(*) FROM graph_outbox') >= 1, 'the mirrors wait in the outbox');

my @results = $reads->stop;
my @odd = grep { $_->{status} != 200 && !($_->{status} == 503 && ($_->{code} // '') eq 'Unavailable') } @results;
is(scalar @odd, 0, 'all ' . scalar(@results) . ' graph reads were 200 or 503 Unavailable')
    or diag explain [ @odd[0 .. ($#odd < 4 ? $#odd : 4)] ];
ok((grep { $_->{child} == 2 && $_->{status} == 503 } @results), 'the uncached reads saw 503');
my ($slowest) = sort { $b->{seconds} <=> $a->{seconds} } @results;
cmp_ok($slowest->{seconds}, '<', 15, sprintf('the slowest read took %.1f s', $slowest->{seconds}));

service(start => 'neo4j');
$pid = neo4j_pid();
ok($pid && alive($pid), 'Neo4j started again in the same place');
ok(wait_until(60, sub { rel($u[0], $u[6])->{status} == 200 && sql('SELECT count(*) FROM graph_outbox') == 0 }),
    'the replay empties the outbox');

# Every pair in Neo4j as in PostgreSQL.
my %want;
$want{"0 2"} = 'FRIEND';
$want{"3 5"} = 'OUTGOING_FRIEND_REQUEST';
$want{"6 0"} = 'OUTGOING_FRIEND_REQUEST';
$want{"6 1"} = 'FRIEND';
my %mirror = (FRIEND => 'FRIEND', OUTGOING_FRIEND_REQUEST => 'INCOMING_FRIEND_REQUEST');
my @wrong;
for my $i (0 .. $#u) {
	for my $j (0 .. $#u) {
		next if $i == $j;
		my $expect = $want{"$i $j"} // ($want{"$j $i"} ? $mirror{ $want{"$j $i"} } : 'NONE');
		my $got = rel($u[$i], $u[$j])->{body} // 'error';
		push @wrong, "$i-$j: $got, not $expect" if $got ne $expect;
	}
}
is(scalar @wrong, 0, 'all ' . (@u * $#u) . ' relationships match PostgreSQL') or diag explain \@wrong;
is_deeply([ map { $_->{id} } @{ $u[0]{c}->request(GET => path($u[0]) . '/friends')->{body} } ],
    [ $u[2]{id} ], 'the friend list is right');
is(api(GET => path($u[1]))->{body}{friendsCount}, 1, 'the friend count is right');
like(log_text('bunnybookd'), qr/graph mirror of \S+ \S* ?replayed/, 'the replay is logged');
is(api(GET => '/api/health/ready')->{status}, 200, 'the stack is ready');

done_testing();
