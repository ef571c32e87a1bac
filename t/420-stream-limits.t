#!/usr/bin/perl
# Limits on realtime streams: at most streams_per_profile open streams
# per person, and a session that ends closes the person's streams at once
# (reconnecting needs a live session).
use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use Bunny qw(api stack register_user login_user service);
use Bunny::Stream;

my $U = register_user(prefix => 'streams');
my $first = login_user($U);
my $second = login_user($U);
my $other = register_user(prefix => 'streamo');
$other->{c} = login_user($other);

# The cap, lowered to two for this part.
$ENV{BUNNYBOOK_STREAMS_PER_PROFILE} = 2;
service(restart => 'bunnybookd');
my @open = map { Bunny::Stream::ws_start(token => $first->token, count => 1000, timeout => 6000) } 1 .. 2;
is($_->{first}, '# open', 'a stream within the cap opens') for @open;
# nchan counts a new stream in its Redis a moment after it opens, and the
# cap reads that count: wait until both streams are counted.
sub streams_counted {
	my $out = `curl -s --unix-socket $ENV{BB_STACK}/run/nchan-publisher.sock -H 'Accept: text/json' http://localhost/pub/u/$U->{id}`;
	return $out =~ /"subscribers"\s*:\s*(\d+)/ ? $1 : -1;
}
ok(Bunny::wait_until(5, sub { streams_counted() >= 2 }), 'nchan counts both streams')
    or diag('nchan counts ' . streams_counted() . ' streams');
my $third = Bunny::Stream::ws_start(token => $second->token, count => 1, timeout => 3000);
is($third->{first}, '# status 429', 'a stream beyond the cap is 429, whichever session asks');
my $r = api(GET => '/rt', undef, headers => { authorization => 'Bearer ' . $first->token, accept => 'text/event-stream' });
is($r->{status}, 429, 'also for EventSource');
is($r->{body}{error}{code}, 'TooManyRequests', 'in the error shape');
like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
my $theirs = Bunny::Stream::ws_start(token => $other->{c}->token, count => 1, timeout => 2000);
is($theirs->{first}, '# open', 'the cap is per profile');
Bunny::Stream::ws_wait($_) for @open, $third, $theirs;
delete $ENV{BUNNYBOOK_STREAMS_PER_PROFILE};
service(restart => 'bunnybookd');

# A session that ends loses its streams, also streams that keep getting
# events (nchan's subscriber timeout counts only quiet time); another
# session reconnects by itself.
my $ended = Bunny::Stream::ws_start(token => $first->token, count => 1000, timeout => 70000);
my $kept = Bunny::Stream::ws_start(token => $second->token, count => 1000, timeout => 70000);
is($ended->{first}, '# open', 'a stream of the first session opens');
my $busy = fork // die "fork: $!";
if ($busy == 0) {
	for my $n (1 .. 40) {
		$second->request(POST => "/api/presence/heartbeat?check=busy$n");
		sleep 0.5;
	}
	POSIX::_exit(0);
}
sleep 3;
my $started = time;
is($first->request(POST => '/api/logout')->{status}, 204, 'the first session logs out');
my (undef, $status) = Bunny::Stream::ws_wait($ended);
my $lasted = time - $started;
kill 'TERM', $busy;
waitpid($busy, 0);
ok((grep { /^# close/ } @$status), 'the ended session\'s stream is closed by the server');
cmp_ok($lasted, '<', 5, "at once, while busy (closed after ${\ sprintf('%.1f', $lasted)} s)");
my $again = Bunny::Stream::ws_start(token => $first->token, count => 1, timeout => 2000);
is($again->{first}, '# status 401', 'and cannot reconnect');
(undef, $status) = Bunny::Stream::ws_wait($kept);
my $back = Bunny::Stream::ws_start(token => $second->token, count => 1, timeout => 2000);
is($back->{first}, '# open', 'the other session reconnects');
Bunny::Stream::ws_wait($_) for $again, $back;

done_testing();
