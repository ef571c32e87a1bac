#!/usr/bin/perl
# Presence: friends see each other go online once, the initial state comes
# from REST, a second tab changes nothing, and a profile whose heartbeats
# stop (closed tabs, crashed nginx worker, lost network) goes offline.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use Bunny qw(api register_user login_user redis wait_until);
use Bunny::Stream;

my ($ua, $ub, $uc) = map { my $u = register_user(); $u->{c} = login_user($u); $u } 1 .. 3;
sub path { "/api/profiles/$_[0]{id}" }
$ua->{c}->request(POST => path($ua) . "/outgoing_friend_requests/$ub->{id}");
$ub->{c}->request(POST => path($ub) . "/friends/$ua->{id}");

is(api(GET => '/api/presence/friends')->{status}, 401, 'presence needs authentication');
my $r = $ub->{c}->request(GET => '/api/presence/friends');
is($r->{status}, 200, 'presence of friends is 200');
is_deeply([ map { $_->{id} } @{ $r->{body} } ], [ $ua->{id} ], 'it lists my friends');
ok(!$r->{body}[0]{online}, 'A is offline before any tab');

# B's tab is open; A comes online.
my $w = Bunny::Stream::ws_start(token => $ub->{c}->token, count => 2, timeout => 4000);
is($ua->{c}->request(POST => '/api/presence/heartbeat')->{status}, 204, 'heartbeat is 204');
$ua->{c}->request(POST => '/api/presence/heartbeat');
my ($events) = Bunny::Stream::ws_wait($w);
my @presence = grep { $_->{event}{type} eq 'presence' } @$events;
is(scalar @presence, 1, 'going online is announced once');
is($presence[0]{event}{data}{profileId}, $ua->{id}, 'it names A');
ok($presence[0]{event}{data}{online}, 'as online');
like($presence[0]{event}{data}{lastSeenAt}, qr/Z$/, 'with lastSeenAt');

$r = $ub->{c}->request(GET => '/api/presence/friends');
ok($r->{body}[0]{online}, 'REST shows A online');
like($r->{body}[0]{lastSeenAt}, qr/^\d{4}-\d\d-\d\dT/, 'REST gives lastSeenAt');
is(api(GET => '/api/presence/friends', undef, headers => { authorization => 'Bearer ' . $uc->{c}->token })->{body}[0],
    undef, 'a stranger sees no presence of A');

# A second tab of A changes nothing; it stays online.
my $tab1 = Bunny::Stream::ws_start(token => $ua->{c}->token, count => 99, timeout => 1500);
my $tab2 = Bunny::Stream::ws_start(token => $ua->{c}->token, count => 99, timeout => 300);
Bunny::Stream::ws_wait($tab2);
ok($ub->{c}->request(GET => '/api/presence/friends')->{body}[0]{online}, 'closing one of two tabs keeps A online');
Bunny::Stream::ws_wait($tab1);

# Heartbeats stop: age A's last heartbeat past the TTL, as time would.
$w = Bunny::Stream::ws_start(token => $ub->{c}->token, count => 1, timeout => 12000);
redis(pubsub => 'ZADD', 'bb:presence:seen', int(time * 1000) - 100_000, $ua->{id});
ok(!$ub->{c}->request(GET => '/api/presence/friends')->{body}[0]{online},
    'A is offline once the heartbeats are too old');
# Workers sweep at most every 5 s, on the requests they serve.
my $swept = wait_until(10, sub {
	api(GET => '/api/health') for 1 .. 4;
	redis(pubsub => 'ZSCORE', 'bb:presence:seen', $ua->{id}) eq '$-1';
});
ok($swept, 'a worker sweeps A out of the online set');
($events) = Bunny::Stream::ws_wait($w);
@presence = grep { $_->{event}{type} eq 'presence' } @$events;
is(scalar @presence, 1, 'going offline is announced to online friends');
ok(@presence && !$presence[0]{event}{data}{online}, 'as offline') ;

# A comes back with a new tab.
$w = Bunny::Stream::ws_start(token => $ub->{c}->token, count => 1, timeout => 5000);
my $back = Bunny::Stream::ws_start(token => $ua->{c}->token, count => 1, timeout => 500);
($events) = Bunny::Stream::ws_wait($w);
ok(@$events && $events->[0]{event}{data}{online}, 'opening a stream brings A back online');
Bunny::Stream::ws_wait($back);

# A stream check: the heartbeat echoes the token on A's own stream.
my $check = Bunny::Stream::ws_start(token => $ua->{c}->token, count => 1, timeout => 5000);
is($ua->{c}->request(POST => '/api/presence/heartbeat?check=tab-1_x')->{status}, 204,
    'a heartbeat with a stream check is 204');
($events) = Bunny::Stream::ws_wait($check);
my @checks = grep { $_->{event}{type} eq 'stream_check' } @$events;
is(scalar @checks, 1, 'the stream check reaches the tab');
is($checks[0]{event}{data}{token}, 'tab-1_x', 'with its token') if @checks;
ok(@checks && $checks[0]{event}{seq}, 'as a durable event with seq');
for my $bad ('', 'a%20b', 'x' x 33, '%00', 'caf%C3%A9') {
	my $r = $ua->{c}->request(POST => "/api/presence/heartbeat?check=$bad");
	next if $bad eq '' && $r->{status} == 204;
	is($r->{status}, 422, "check '$bad' is rejected");
	is($r->{body}{error}{field}, 'check', 'naming the field');
}

# Renewing the channels: streams opened before get nothing more, new ones
# get the events, and a second renewal within 5 minutes is ignored.
my $old = Bunny::Stream::ws_start(token => $ua->{c}->token, count => 1, timeout => 3000,
    types => ['stream_check']);
is($ua->{c}->request(POST => '/api/presence/heartbeat?renew=1')->{status}, 204,
    'a heartbeat asking for new channels is 204');
is(redis(pubsub => 'INCRBY', "bb:rt:generation:$ua->{id}", 0), ':1', 'the channels moved to generation 1');
my $new = Bunny::Stream::ws_start(token => $ua->{c}->token, count => 1, timeout => 5000,
    types => ['stream_check']);
$ua->{c}->request(POST => '/api/presence/heartbeat?check=after-renew');
my ($renewed) = Bunny::Stream::ws_wait($new);
is(scalar @$renewed, 1, 'a stream opened after the renewal gets the events');
is($renewed->[0]{event}{data}{token}, 'after-renew', 'the stream check') if @$renewed;
($events) = Bunny::Stream::ws_wait($old);
is(scalar @$events, 0, 'a stream opened before gets nothing more');
my $resumed = Bunny::Stream::ws_start(token => $ua->{c}->token, count => 1, timeout => 5000,
    types => ['stream_check'], @$renewed ? (last_event_id => $renewed->[0]{id}) : ());
$ua->{c}->request(POST => '/api/presence/heartbeat?renew=1');
is(redis(pubsub => 'INCRBY', "bb:rt:generation:$ua->{id}", 0), ':1',
    'a second renewal within 5 minutes is ignored');
$ua->{c}->request(POST => '/api/presence/heartbeat?check=again');
($events) = Bunny::Stream::ws_wait($resumed);
ok((grep { $_->{event}{data}{token} eq 'again' } @$events), 'a stream resumed on the renewed channel gets the events');
my $chat = $ub->{c}->request(GET => path($ub) . '/private_chats')->{body}[0]{chatGroupId};
my $typing = Bunny::Stream::ws_start(token => $ua->{c}->token, count => 1, timeout => 5000,
    types => ['is_typing']);
is($ub->{c}->request(POST => "/api/chat/$chat/typing")->{status}, 204, 'B types in the private chat');
($events) = Bunny::Stream::ws_wait($typing);
is(scalar @$events, 1, 'typing reaches the renewed stream');
my $r2 = $ua->{c}->request(POST => '/api/presence/heartbeat?renew=2');
is($r2->{status}, 422, 'renew=2 is rejected');
is($r2->{body}{error}{field}, 'renew', 'naming the field');

done_testing();
