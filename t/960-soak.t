#!/usr/bin/perl
# The soak run of bench/soak.sh in short form, on the test stack: a mix of
# reads, posts, comments, likes, chat and heartbeats for 30 s with every
# user's stream connected and some streams closed and reopened each
# second.  Nothing may fail with 5xx or a broken connection, every stored
# chat message reaches its recipient, and resumed streams see every
# durable event once: no seq left out, none twice.  Speed and memory are measured
# by bench/soak.sh, not here.
use strict;
use warnings;
use Test::More;
use FindBin;
use Bunny qw(stack json);

my $s = stack();
my $root = $s->{BB_ROOT} // "$FindBin::Bin/..";
my $users = $ENV{BB_SOAK_USERS} // 60;
my $seconds = $ENV{BB_SOAK_SECONDS} // 30;
my $file = "$ENV{BB_TMP}/soak-users.json";
# A prefix of its own per run, so the test can run twice on one stack.
my $prefix = 'soak' . join('', map { ('a' .. 'z')[rand 26] } 1 .. 6);

system("$root/bench/soak-setup.sh", $s->{BB_DIR}, $users, $file, $prefix) == 0
    or BAIL_OUT('bench/soak-setup.sh failed');
local $ENV{NODE_PATH} = "$root/t/js/node_modules";
open my $run, '-|', 'node', "$root/bench/soak-load.js", $file, $s->{BB_URL}, $seconds, 40, 2
    or die "cannot run node: $!";
my $out = do { local $/; <$run> };
close $run;
is($?, 0, 'the load generator exits 0');
my $r = eval { json()->decode($out) } or BAIL_OUT("no report from the load generator: $out");

note(sprintf '%d requests in %.0f s, chat delivery p50 %s ms, p99 %s ms',
    $r->{requests}, $r->{durationS}, $r->{chat}{p50Ms} // '-', $r->{chat}{p99Ms} // '-');
cmp_ok($r->{requests}, '>=', 20 * $seconds, 'the mix ran');
is($r->{serverErrors}, 0, 'no request answered 5xx');
is($r->{networkErrors}, 0, 'no request lost its connection');

# Posts, comments and likes pick random posts, some of which the person
# may not see: 403 and 404 are expected answers there.
my %allowed = map { $_ => 1 } qw(200 201 204 403 404);
for my $route (sort keys %{$r->{routes}}) {
	my @odd = grep { !$allowed{$_} } keys %{$r->{routes}{$route}{statuses}};
	ok(!@odd, "$route answers as expected")
	    or diag(json()->encode($r->{routes}{$route}{statuses}));
}
for my $route ('GET /api/feed', 'POST /api/chat/{id}/messages') {
	cmp_ok($r->{routes}{$route}{statuses}{$route =~ /^POST/ ? 201 : 200} // 0, '>', 0,
	    "$route succeeded during the run");
}

cmp_ok($r->{chat}{delivered}, '>', 0, 'chat messages were delivered');
is($r->{chat}{undelivered}, 0, 'every stored chat message reached its recipient');
cmp_ok($r->{streams}{churned}, '>', 0, 'streams were closed on purpose');
cmp_ok($r->{streams}{resumed}, '>', 0, 'and reopened with their resume id');
is($r->{streams}{failed}, 0, 'no stream was refused');
is($r->{streams}{lost}, 0, 'no durable event was missed (no seq left out)');
is($r->{streams}{repeats}, 0, 'no durable event came twice');
note("$r->{streams}{reordered} durable events came after a later one");

done_testing();
