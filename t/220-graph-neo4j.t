#!/usr/bin/perl
# The Neo4j backend's failure paths: Neo4j down means 503 on graph reads
# and nothing else breaks; writes still commit in PostgreSQL and reach
# Neo4j by replay; graph-sync rebuilds Neo4j from PostgreSQL.
use strict;
use warnings;
use Test::More;
use Bunny qw(api stack register_user login_user service sql wait_until);

plan skip_all => 'the stack runs the postgres graph backend'
    unless (stack()->{BB_GRAPH_BACKEND} // '') eq 'neo4j';

my $s = stack();
my ($a, $b, $c) = map { my $u = register_user(); $u->{c} = login_user($u); $u } 1 .. 3;
sub path { "/api/profiles/$_[0]{id}" }
sub rel { $_[0]{c}->request(GET => path($_[0]) . "/relationships/$_[1]{id}") }

is(api(GET => '/api/health/ready')->{body}{checks}{neo4j}, 'ok', 'readiness checks Neo4j');
is($a->{c}->request(POST => path($a) . "/outgoing_friend_requests/$b->{id}")->{status}, 201, 'request with Neo4j up');
is($b->{c}->request(POST => path($b) . "/friends/$a->{id}")->{status}, 201, 'accept with Neo4j up');
is(rel($a, $b)->{body}, 'FRIEND', 'Neo4j answers FRIEND');

service(stop => 'neo4j');

my $r = api(GET => '/api/health/ready');
is($r->{status}, 503, 'readiness is 503 with Neo4j down');
like($r->{body}{error}{message}, qr/neo4j/, 'readiness names neo4j');
is(api(GET => '/api/health')->{status}, 200, 'liveness stays 200');

$r = $a->{c}->request(GET => path($a) . '/friend_suggestions?limit=3');
is($r->{status}, 503, 'suggestions are 503 with Neo4j down');
is($r->{body}{error}{code}, 'Unavailable', 'in the error shape');
is($a->{c}->request(GET => path($a) . '/friends?limit=7')->{status}, 503, 'friend list is 503');
is(rel($a, $c)->{status}, 503, 'relationship is 503');
is(api(GET => path($a))->{status}, 503, 'profile with friend count is 503');

# Everything that does not read the graph keeps working.
my $d = register_user();
ok($d->{id}, 'registration works without Neo4j');
my $dc = login_user($d);
is($dc->request(GET => '/api/sessions')->{status}, 200, 'sessions work without Neo4j');
is(api(GET => "/api/profiles/$d->{id}/avatar")->{status}, 200, 'avatars work without Neo4j');
is(api(GET => '/api/profiles?username_query=a')->{status}, 200, 'search works without Neo4j');

# Writes commit in PostgreSQL and wait in the outbox.
is($a->{c}->request(POST => path($a) . "/outgoing_friend_requests/$c->{id}")->{status}, 201,
    'a request while Neo4j is down is accepted');
is(sql("SELECT count(*) FROM friend_requests WHERE requester_id = '$a->{id}' AND target_id = '$c->{id}'"), 1,
    'it is in PostgreSQL');
ok(sql('SELECT count(*) FROM graph_outbox') >= 1, 'the mirror is recorded for replay');

service(start => 'neo4j');
ok(wait_until(60, sub { api(GET => '/api/health/ready')->{status} == 200 }), 'readiness recovers');
ok(wait_until(30, sub { (rel($a, $c)->{body} // '') eq 'OUTGOING_FRIEND_REQUEST' }),
    'replay brings the request into Neo4j');
ok(wait_until(30, sub {
	my $x = $d->{c} = $dc;
	($dc->request(GET => "/api/profiles/$d->{id}/relationships/$a->{id}")->{body} // '') eq 'NONE'
}), 'the profile registered while Neo4j was down reached it');
ok(wait_until(30, sub { sql('SELECT count(*) FROM graph_outbox') == 0 }), 'the outbox drains');

# graph-sync rebuilds Neo4j from PostgreSQL.
my $out = `'$s->{BB_BIN}' -c '$s->{BB_CONF}' graph-sync 2>&1`;
is($? >> 8, 0, 'graph-sync succeeds') or diag($out);
is(rel($a, $b)->{body}, 'FRIEND', 'friendship survives the rebuild');
is(rel($a, $c)->{body}, 'OUTGOING_FRIEND_REQUEST', 'request survives the rebuild');
is(api(GET => path($a))->{body}{friendsCount}, 1, 'counts match after the rebuild');

done_testing();
