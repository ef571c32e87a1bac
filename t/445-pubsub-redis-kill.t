#!/usr/bin/perl
# nchan's Redis (which also holds presence, rate-limit counters and the
# event sequence numbers) killed with SIGKILL and started again empty.
# While it is down: the REST API keeps working and stores everything,
# presence lists answer 503, rate limits are not enforced, new streams
# are refused with 503.  After it returns: streams open and resume, the
# next event's seq shows the client that events were missed (it is never
# lower than one it saw), the client re-reads what it missed over REST,
# and presence and rate limits work again.  On a stack of its own.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use Bunny qw(private_stack stack api register_user login_user service
    wait_until log_text sql);
use Bunny::Stream;
use IO::Select;
use JSON::PP ();

private_stack('pubsub-kill', settings => { post_writes_per_window => 3 });

my ($A, $B) = map { my $u = register_user(prefix => "ps$_"); $u->{c} = login_user($u); $u } qw(a b);
$A->{c}->request(POST => "/api/profiles/$A->{id}/outgoing_friend_requests/$B->{id}");
$B->{c}->request(POST => "/api/profiles/$B->{id}/friends/$A->{id}");
my ($chat) = map { $_->{chatGroupId} }
    @{ $A->{c}->request(GET => "/api/profiles/$A->{id}/private_chats")->{body} // [] };
ok($chat, 'A and B have a private chat');
sub say_to_a {
	my ($text) = @_;
	return $B->{c}->request(POST => "/api/chat/$chat/messages", { content => $text });
}

# A's tab is open and hears B's first message.
my $tab = Bunny::Stream::ws_start(token => $A->{c}->token, count => 100, timeout => 60000,
    types => ['chat_message']);
is($tab->{first}, '# open', 'A subscribes');
is(say_to_a('one')->{status}, 201, 'B says one');
my $line = readline $tab->{fh};
my $seen = JSON::PP::decode_json($line);
is($seen->{event}{data}{content}, 'one', 'A hears it');
my ($last_id, $last_seq) = ($seen->{id}, $seen->{event}{seq});
ok($last_seq >= 1, "it carries seq $last_seq");

my $pidfile = stack()->{BB_DIR} . '/pids/redis-pubsub.pid';
my $pid = do { open my $fh, '<', $pidfile or die $!; <$fh> };
chomp $pid;
ok(kill('KILL', $pid), 'the pub/sub Redis is killed');
ok(wait_until(10, sub { !kill 0, $pid }), 'it is gone');

# REST keeps working.
my $r = say_to_a('two');
is($r->{status}, 201, 'B says two: stored and confirmed');
is(say_to_a('three')->{status}, 201, 'B says three');
is($A->{c}->request(GET => "/api/chat/$chat/messages")->{body}[0]{content}, 'three', 'A reads them over REST');
is($A->{c}->request(POST => '/api/posts', { content => 'down' })->{status}, 201, 'posting works');
is($A->{c}->request(GET => '/api/feed')->{status}, 200, 'the feed works');
my $C = register_user(prefix => 'psc');
ok($C->{id}, 'registration works');
ok(login_user($C), 'login works');

# Presence, rate limits and new streams.
$r = $A->{c}->request(GET => '/api/presence/friends');
is($r->{status}, 503, 'presence lists answer 503');
is($r->{body}{error}{message}, 'presence is temporarily unavailable', 'saying so');
is($A->{c}->request(POST => '/api/presence/heartbeat')->{status}, 204,
    'a heartbeat is accepted (and not recorded)');
my @posts = map { $B->{c}->request(POST => '/api/posts', { content => "open $_" })->{status} } 1 .. 5;
is_deeply(\@posts, [ (201) x 5 ], 'rate limits fail open: 5 posts over a limit of 3');
my $refused = Bunny::Stream::ws_start(token => $A->{c}->token, timeout => 3000);
is($refused->{first}, '# status 503', 'a new stream is refused with 503');
Bunny::Stream::ws_wait($refused);
$r = api(GET => '/api/health/ready');
is($r->{status}, 503, 'readiness is 503');
is($r->{body}{checks}{pubsub_redis}, 'down', 'naming pubsub_redis');
like(log_text('bunnybookd'), qr/event chat_message for profile \S+ not published/,
    'the lost events are logged');

# The open tab stays open but hears nothing while Redis is away.
sub read_tab {
	my ($seconds) = @_;
	my $sel = IO::Select->new($tab->{fh});
	my @got;
	while ($sel->can_read($seconds)) {
		my $l = readline $tab->{fh};
		last unless defined $l;
		chomp $l;
		push @got, $l;
		last if $l !~ /^#/;
	}
	return @got;
}
is_deeply([ read_tab(0.5) ], [], 'the open tab hears nothing meanwhile');

service(start => 'redis-pubsub');
is(api(GET => '/api/health/ready')->{status}, 200, 'ready again once nchan reconnected');

# The open tab hears the next message; its seq is past a gap.
is(say_to_a('four')->{status}, 201, 'B says four');
my @got = read_tab(10);
is(scalar @got, 1, 'the tab that stayed open hears it') or diag explain \@got;
my $four = @got && $got[0] !~ /^#/ ? JSON::PP::decode_json($got[0]) : { event => {} };
is($four->{event}{data}{content}, 'four', 'it is four');
cmp_ok($four->{event}{seq}, '>', $last_seq + 1,
    "its seq $four->{event}{seq} shows a gap after $last_seq");
kill 'TERM', $tab->{pid};
close $tab->{fh};

# A tab that was away during the whole outage reconnects with its old
# resume id: it gets a stream (although the channel's subscriber count
# went below zero when the old tab closed), and what the channel holds now.
# Opening it brings A online again, which B hears.
my $x = Bunny::Stream::ws_start(token => $B->{c}->token, count => 1, timeout => 8000, types => ['presence']);
my $w = Bunny::Stream::ws_start(token => $A->{c}->token, count => 2, timeout => 8000,
    last_event_id => $last_id, types => ['chat_message']);
is($w->{first}, '# open', 'a new stream opens, with the old resume id');
is(say_to_a('five')->{status}, 201, 'B says five');
my ($events) = Bunny::Stream::ws_wait($w);
is_deeply([ map { $_->{event}{data}{content} } @$events ], [qw(four five)],
    'it gets four from the buffer, then five');
is($events->[1]{event}{seq}, $four->{event}{seq} + 1, 'five is numbered right after four');

# The resync: what the streams missed is in the REST answers.
my @history = map { $_->{content} }
    @{ $A->{c}->request(GET => "/api/chat/$chat/messages")->{body} // [] };
is_deeply(\@history, [qw(five four three two one)], 'a resync over REST finds every message');

# Presence and rate limits are back.
my ($pres) = Bunny::Stream::ws_wait($x);
is($pres->[0]{event}{data}{profileId}, $A->{id}, 'B hears that A is online');
ok($pres->[0]{event}{data}{online}, 'as online');
$r = $B->{c}->request(GET => '/api/presence/friends');
is($r->{status}, 200, 'presence lists answer again');
ok($r->{body}[0]{online}, 'showing A online');
@posts = map { $B->{c}->request(POST => '/api/posts', { content => "limited $_" })->{status} } 1 .. 4;
is_deeply(\@posts, [ 201, 201, 201, 429 ], 'the post limit holds again');

unlike(log_text('bunnybookd'), qr/killed by signal|returned 5\d\d/, 'no worker crashed, no 5xx');

done_testing();
