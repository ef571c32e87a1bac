#!/usr/bin/perl
# Event streams through nginx and nchan: who may subscribe, events from
# REST calls over WebSocket and EventSource, resume after a disconnect,
# and notifications listed, counted and marked read.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use Bunny qw(api stack register_user login_user new_client sql);
use Bunny::Stream;

my $s = stack();
my ($ua, $ub, $uc) = map { my $u = register_user(); $u->{c} = login_user($u); $u } 1 .. 3;
sub path { "/api/profiles/$_[0]{id}" }

# Who may subscribe.
my $r = api(GET => '/rt');
is($r->{status}, 401, 'stream without a token is 401');
is($r->{body}{error}{code}, 'Unauthorized', 'in the error shape');
$r = api(GET => '/rt', undef, headers => { authorization => 'Bearer forged.token.here' });
is($r->{status}, 401, 'stream with a forged token is 401');
my $w = Bunny::Stream::ws_start(token => $ub->{c}->token, origin => 'http://evil.example');
my (undef, $st) = Bunny::Stream::ws_wait($w);
is($st->[0], '# status 403', 'WebSocket from a foreign origin is 403');
is(api(GET => "/internal/rt/$ub->{id}")->{status}, 404, 'the subscriber location is not reachable directly');
$r = api(GET => "/pub/u/$ub->{id}");
unlike($r->{headers}{'content-type'} // '', qr/json/, 'the public server has no publisher location');
$r = api(POST => "/pub/u/$ub->{id}", { type => 'x' });
ok($r->{status} >= 400, 'nobody publishes from outside: ' . $r->{status});
# The channels come from the token alone: a URL that names another
# person's channel gets the caller's own stream, or none.
my ($ux, $uy, $uz, $uw) = map { my $u = register_user(); $u->{c} = login_user($u); $u } 1 .. 4;
$w = Bunny::Stream::ws_start(token => $ux->{c}->token, path => "/rt?channel=$uy->{id}&id=$uy->{id}",
    count => 1, timeout => 4000, types => ['friend_request']);
is($w->{first}, '# open', 'a stream naming another channel in its query opens');
# Z asks Y first, then W asks X: X's stream must get W's request only.
$uz->{c}->request(POST => path($uz) . "/outgoing_friend_requests/$uy->{id}");
$uw->{c}->request(POST => path($uw) . "/outgoing_friend_requests/$ux->{id}");
my ($own) = Bunny::Stream::ws_wait($w);
is(scalar @$own, 1, 'it receives one friend request');
is($own->[0]{event}{data}{profileId}, $uw->{id}, 'the one sent to its owner, not the named person\'s');
$w = Bunny::Stream::ws_start(token => $ux->{c}->token, path => "/rt/$uy->{id}", timeout => 2000);
isnt($w->{first}, "# open", "a channel in the path is not a stream");
Bunny::Stream::ws_wait($w);

# A request that is neither a WebSocket nor an EventSource, and HEAD.
$r = $ux->{c}->request(GET => '/rt', undef, headers => { accept => 'application/json' });
is($r->{status}, 400, 'a stream request that is neither kind is 400');
is($r->{body}{error}{field}, 'Accept', 'naming Accept');
$r = $ux->{c}->request(HEAD => '/rt', undef, headers => { accept => 'text/event-stream' });
is($r->{status}, 405, 'HEAD on /rt is 405 at once');
is($r->{headers}{allow}, 'GET', 'allowing GET');

# Huge or many query parameters.
$r = $ux->{c}->request(GET => '/rt?' . join('&', map { "p$_=1" } 1 .. 40));
is($r->{status}, 422, 'a stream with 40 query parameters is 422');
is($r->{body}{error}{field}, 'query', 'naming the query');
$r = $ux->{c}->request(GET => '/rt?last_event_id=' . ('1' x 5000));
is($r->{status}, 422, 'a stream with a 5,000-byte query is 422');
like($r->{body}{error}{message} // '', qr/too long/, 'saying it is too long');
$r = $ux->{c}->request(GET => '/rt?x=' . ('a' x 20000));
is($r->{status}, 414, 'a request line over 16 KiB is 414, from nginx');

my $logged_out = login_user($ub);
$logged_out->request(POST => '/api/logout');
is(api(GET => '/rt', undef, headers => { authorization => 'Bearer ' . $logged_out->token })->{status}, 401,
    'stream with a revoked token is 401');

# WebSocket: B hears of A's request.
$w = Bunny::Stream::ws_start(token => $ub->{c}->token, origin => $s->{BB_URL}, count => 2);
is($w->{first}, '# open', 'WebSocket opens with a valid token and this site\'s origin');
is($ua->{c}->request(POST => path($ua) . "/outgoing_friend_requests/$ub->{id}")->{status}, 201, 'A sends a request');
my ($events) = Bunny::Stream::ws_wait($w);
my %types = map { ($_->{event}{type} => $_->{event}) } @$events;
ok($types{friend_request}, 'B receives friend_request');
is($types{friend_request}{data}{profileId}, $ua->{id}, 'it names A');
is($types{friend_request}{data}{username}, $ua->{username}, 'with A\'s username');
ok($types{notification}, 'B receives the notification');
is($types{notification}{data}{data}{event}, 'NEW_FRIENDSHIP_REQUEST', 'of event NEW_FRIENDSHIP_REQUEST');
ok($types{friend_request}{seq} >= 1, 'durable events carry seq');
my @seqs = sort { $a <=> $b } map { $_->{event}{seq} } @$events;
is($seqs[1], $seqs[0] + 1, 'seq grows by one per event');
ok(defined $events->[0]{id}, 'messages carry an id for resume');

# EventSource: A hears that B accepted.
my ($status, $sse) = Bunny::Stream::sse_read(token => $ua->{c}->token, count => 2, timeout => 8,
    ready => sub { $ub->{c}->request(POST => path($ub) . "/friends/$ua->{id}") });
is($status, 200, 'EventSource stream opens');
%types = map { ($_->{event}{type} => $_->{event}) } @$sse;
is($types{add_friend}{data}{profileId}, $ub->{id}, 'A receives add_friend naming B');
is($types{notification}{data}{data}{event}, 'NEW_FRIEND', 'and the NEW_FRIEND notification');

# Resume: events published while disconnected arrive after reconnecting.
$w = Bunny::Stream::ws_start(token => $uc->{c}->token, count => 1);
$ua->{c}->request(POST => path($ua) . "/outgoing_friend_requests/$uc->{id}");
($events) = Bunny::Stream::ws_wait($w);
my $last_id = $events->[-1]{id};
ok($last_id, 'C saw an event and its id');
my ($first_seq) = map { $_->{event}{seq} } @$events;
# Disconnected now: B also sends C a request (two more events).
$ub->{c}->request(POST => path($ub) . "/outgoing_friend_requests/$uc->{id}");
$w = Bunny::Stream::ws_start(token => $uc->{c}->token, count => 3, timeout => 4000, last_event_id => $last_id);
($events) = Bunny::Stream::ws_wait($w);
my @missed = map { $_->{event}{seq} } @$events;
my $seen_first = scalar grep { $_ == $first_seq } @missed;
is($seen_first, 0, 'resume does not repeat the event already seen');
ok(@missed >= 2, 'resume delivers the missed events: ' . scalar @missed);
is_deeply([ (sort { $a <=> $b } @missed)[0 .. 1] ], [ $first_seq + 1, $first_seq + 2 ], 'exactly the missed ones, in order')
    if @missed >= 2;
# A resumed stream also carries what happens after it reconnected.
my ($ue, $uf, $ug) = map { my $u = register_user(); $u->{c} = login_user($u); $u } 1 .. 3;
$w = Bunny::Stream::ws_start(token => $ue->{c}->token, count => 1, types => ['friend_request']);
$uf->{c}->request(POST => path($uf) . "/outgoing_friend_requests/$ue->{id}");
($events) = Bunny::Stream::ws_wait($w);
$w = Bunny::Stream::ws_start(token => $ue->{c}->token, count => 1, types => ['friend_request'],
    last_event_id => $events->[-1]{id});
$ug->{c}->request(POST => path($ug) . "/outgoing_friend_requests/$ue->{id}");
($events) = Bunny::Stream::ws_wait($w);
is($events->[0]{event}{data}{profileId}, $ug->{id}, 'a resumed stream receives new events');

# Notifications over REST.
$r = $uc->{c}->request(GET => path($uc) . '/notifications');
is($r->{status}, 200, 'notification list is 200');
my @n = @{ $r->{body} };
ok(@n >= 2 && @n <= 10, 'C has the two requests\' notifications');
for my $field (qw(id createdAt profileId data read visited)) {
	ok(exists $n[0]{$field}, "notification has $field");
}
is($n[0]{data}{event}, 'NEW_FRIENDSHIP_REQUEST', 'newest first');
is($n[0]{data}{payload}{byId}, $ub->{id}, 'payload names who did it');
is($uc->{c}->request(GET => path($uc) . '/notifications/unread_count')->{body}{count}, scalar @n, 'unread count');
is($ua->{c}->request(GET => path($uc) . '/notifications')->{status}, 403, 'nobody reads another person\'s notifications');
$r = $uc->{c}->request(GET => path($uc) . "/notifications?limit=1");
my $next = $uc->{c}->request(GET => path($uc) . "/notifications?limit=1&older_than=$r->{body}[0]{createdAt}&older_than_id=$r->{body}[0]{id}");
is($next->{body}[0]{id}, $n[1]{id}, 'keyset cursor continues the list');
is($uc->{c}->request(GET => path($uc) . '/notifications?older_than=yesterday')->{status}, 422, 'bad older_than is 422');
for my $time ('2026-02-30T00:00:00.000Z', '2026-04-31T00:00:00Z', '2026-12-04T23:59:60Z', '0000-01-01T00:00:00Z') {
	$r = $uc->{c}->request(GET => path($uc) . "/notifications?older_than=$time");
	is($r->{status}, 422, "older_than $time is 422");
	is($r->{body}{error}{field}, 'older_than', 'naming older_than');
}
$r = $uc->{c}->request(GET => path($uc) . "/notifications?older_than_id=$n[0]{id}");
is($r->{status}, 422, 'older_than_id without older_than is 422');
is($r->{body}{error}{field}, 'older_than_id', 'naming older_than_id');
is($uc->{c}->request(GET => path($uc) . '/notifications?limit=21')->{status}, 422, 'limit over 20 is 422');

# Marking read updates the reader's other tabs.
$w = Bunny::Stream::ws_start(token => $uc->{c}->token, count => 1);
my $foreign = $ua->{c}->request(GET => path($ua) . '/notifications')->{body}[0]{id};
$r = $uc->{c}->request(PATCH => path($uc) . '/notifications?read=true', [ $n[0]{id}, $foreign ]);
is($r->{status}, 200, 'mark read is 200');
is(scalar @{ $r->{body} }, 1, 'foreign ids are ignored');
ok($r->{body}[0]{read}, 'the notification is read');
($events) = Bunny::Stream::ws_wait($w);
is($events->[0]{event}{type}, 'notifications_read', 'other tabs hear notifications_read');
is($events->[0]{event}{data}{unreadCount}, @n - 1, 'with the new unread count');
is(sql("SELECT read FROM notifications WHERE id = '$foreign'"), 'f', 'the foreign notification is untouched');
$r = $uc->{c}->request(PATCH => path($uc) . '/notifications?visited=true', { all => JSON::PP::true });
is($r->{status}, 200, 'mark all visited');
ok(!grep({ !$_->{visited} } @{ $r->{body} }), 'every notification is visited');
is($uc->{c}->request(PATCH => path($uc) . '/notifications', [])->{status}, 422, 'neither read nor visited is 422');
is($uc->{c}->request(PATCH => path($uc) . '/notifications?read=true', [ 'x' ])->{status}, 422, 'non-UUID id is 422');
is($uc->{c}->request(PATCH => path($uc) . '/notifications?read=maybe', [])->{status}, 422, 'bad boolean is 422');

# With nchan's Redis down, REST writes still succeed.
Bunny::service(stop => 'redis-pubsub');
$r = $uc->{c}->request(POST => path($uc) . "/friends/$ua->{id}");
is($r->{status}, 201, 'accepting works while the stream Redis is down');
is(sql("SELECT count(*) FROM friendships WHERE profile_id = '$uc->{id}' AND friend_id = '$ua->{id}'"), 1, 'and is stored');
Bunny::service(start => 'redis-pubsub');

unlike(Bunny::log_text('nginx-error'), qr/signal \d+|exited on signal/, 'no nginx worker crashed');
# An nginx worker may notice that nchan's Redis is back only after its
# Redis connect timeout, and refuse streams with 503 until then: a fresh
# nginx leaves the next test streams that work.
Bunny::service(restart => 'nginx');
done_testing();
