#!/usr/bin/perl
# Profiles and the friend graph through the API: search, the request state
# machine, lists, suggestions and their cursor, concurrency, bad input.
use strict;
use warnings;
use Test::More;
use Bunny qw(api register_user login_user new_client sql unique_name);

my $tag = 'g' . $$;
my %u;
for my $n (qw(alice bob carol dave erin frank)) {
	$u{$n} = register_user(username => "$tag$n");
	$u{$n}{c} = login_user($u{$n});
}
my ($A, $B, $C, $D, $E, $F) = @u{qw(alice bob carol dave erin frank)};
sub path { "/api/profiles/$_[0]{id}" }
sub rel {
	my ($from, $to) = @_;
	return $from->{c}->request(GET => path($from) . "/relationships/$to->{id}")->{body};
}
sub send_req { $_[0]{c}->request(POST => path($_[0]) . "/outgoing_friend_requests/$_[1]{id}") }
sub accept_req { $_[0]{c}->request(POST => path($_[0]) . "/friends/$_[1]{id}") }
sub befriend { send_req(@_); accept_req($_[1], $_[0]) }

# Search.
my $r = api(GET => "/api/profiles?username_query=" . uc($tag) . "CAR");
is($r->{status}, 200, 'search is 200');
is_deeply([ map { $_->{username} } @{ $r->{body} } ], [ "${tag}carol" ], 'search is case-insensitive containment');
$r = api(GET => "/api/profiles?username_query=$tag&limit=20");
is(scalar @{ $r->{body} }, 6, 'search finds all six');
is($r->{body}[0]{username}, "${tag}alice", 'results are ordered by username');
my $x = register_user(username => "zz${tag}x");
$r = api(GET => "/api/profiles?username_query=zz$tag");
is($r->{body}[0]{username}, "zz${tag}x", 'prefix matches come first');
is(api(GET => '/api/profiles?username_query=%25')->{status}, 200, '% is data');
is(scalar @{ api(GET => "/api/profiles?username_query=${tag}%25")->{body} }, 0, '% matches literally, not as a wildcard');
is(scalar @{ api(GET => "/api/profiles?username_query=${tag}_lice")->{body} }, 0, '_ matches literally');
for my $q ("'; DROP TABLE profiles; --", "\\", "x' OR '1'='1", "MATCH (n) DETACH DELETE n") {
	(my $enc = $q) =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ge;
	is(api(GET => "/api/profiles?username_query=$enc")->{status}, 200, "query '$q' is data");
}
is(api(GET => '/api/profiles?username_query=')->{status}, 422, 'empty query is 422');
is(api(GET => '/api/profiles?username_query=' . ('a' x 33))->{status}, 422, '33-character query is 422');
is(api(GET => '/api/profiles?username_query=%FF')->{status}, 422, 'invalid UTF-8 query is 422');
is(api(GET => "/api/profiles?username_query=a&limit=21")->{status}, 422, 'limit over 20 is 422');
is(api(GET => "/api/profiles?username_query=a&limit=0")->{status}, 422, 'limit 0 is 422');
is(api(GET => "/api/profiles?username_query=a&limit=x")->{status}, 422, 'non-numeric limit is 422');
is(api(GET => "/api/profiles?username_query=a&limit=%2B1")->{status}, 422, 'signed limit is 422');
is(api(GET => "/api/profiles?username_query=a&limit=%201")->{status}, 422, 'limit with a space is 422');
is(sql('SELECT count(*) > 0 FROM profiles'), 't', 'profiles table is intact');

# Profile read.
$r = api(GET => path($A));
is($r->{status}, 200, 'profile read is 200');
is($r->{body}{username}, "${tag}alice", 'profile has the username');
like($r->{body}{avatarUrl}, qr{^/api/profiles/$A->{id}/avatar\?v=}, 'profile has a versioned avatar URL');
like($r->{body}{registeredAt}, qr/Z$/, 'profile has registeredAt');
is($r->{body}{friendsCount}, 0, 'no friends yet');
ok(!exists $r->{body}{mutualFriendsCount}, 'anonymous readers get no mutual count');
is(api(GET => '/api/profiles/00000000-0000-4000-8000-000000000000')->{status}, 404, 'unknown profile is 404');
is(api(GET => '/api/profiles/123')->{status}, 422, 'non-UUID id is 422');

# State machine.
is(rel($A, $A), 'SELF', 'SELF towards oneself');
is(rel($A, $B), 'NONE', 'NONE at first');
is(send_req($A, $B)->{status}, 201, 'A sends a request to B');
is(rel($A, $B), 'OUTGOING_FRIEND_REQUEST', 'A sees OUTGOING');
is(rel($B, $A), 'INCOMING_FRIEND_REQUEST', 'B sees INCOMING');
$r = send_req($A, $B);
is($r->{status}, 400, 'sending twice is 400');
is($r->{body}{error}{code}, 'UnexpectedRelationshipState', 'code is UnexpectedRelationshipState');
is(send_req($B, $A)->{status}, 400, 'B cannot send back while a request is pending');
my $notice = "SELECT count(*) FROM notifications WHERE profile_id = '$B->{id}'"
    . " AND event = 'NEW_FRIENDSHIP_REQUEST' AND payload->>'byId' = '$A->{id}' AND NOT read";
is(sql($notice), 1, 'B has an unread notification of the request');
is($A->{c}->request(DELETE => path($A) . "/outgoing_friend_requests/$B->{id}")->{status}, 204, 'A cancels');
is(sql($notice), 0, 'the cancelled request leaves B no unread notification');
is(rel($A, $B), 'NONE', 'NONE after cancel');
is($A->{c}->request(DELETE => path($A) . "/outgoing_friend_requests/$B->{id}")->{status}, 400, 'cancel twice is 400');
send_req($A, $B);
is($B->{c}->request(DELETE => path($B) . "/incoming_friend_requests/$A->{id}")->{status}, 204, 'B rejects');
is(rel($B, $A), 'NONE', 'NONE after reject');
is($B->{c}->request(DELETE => path($B) . "/incoming_friend_requests/$A->{id}")->{status}, 400, 'reject without request is 400');
is(accept_req($B, $A)->{status}, 400, 'accept without request is 400');
send_req($A, $B);
is(accept_req($B, $A)->{status}, 201, 'B accepts');
is(rel($A, $B), 'FRIEND', 'A sees FRIEND');
is(rel($B, $A), 'FRIEND', 'B sees FRIEND');
is(accept_req($B, $A)->{status}, 400, 'accepting twice is 400');
is(send_req($A, $B)->{status}, 400, 'no request between friends');
is($A->{c}->request(DELETE => path($A) . "/friends/$B->{id}")->{status}, 204, 'A unfriends B');
is(rel($B, $A), 'NONE', 'NONE after unfriend');
is($B->{c}->request(DELETE => path($B) . "/friends/$A->{id}")->{status}, 400, 'unfriend twice is 400');
befriend($A, $B);
is($B->{c}->request(DELETE => path($B) . "/friends/$A->{id}")->{status}, 204, 'either side can unfriend');

$r = $A->{c}->request(POST => path($A) . "/outgoing_friend_requests/$A->{id}");
is($r->{status}, 400, 'a request to oneself is 400');
$r = $A->{c}->request(POST => path($A) . '/outgoing_friend_requests/00000000-0000-4000-8000-000000000000');
is($r->{status}, 404, 'a request to an unknown profile is 404');
$r = $A->{c}->request(POST => path($A) . '/outgoing_friend_requests/nope');
is($r->{status}, 422, 'a request to a non-UUID is 422');
$r = $A->{c}->request(POST => path($B) . "/outgoing_friend_requests/$C->{id}");
is($r->{status}, 403, 'nobody acts for someone else');
$r = new_client()->request(POST => path($A) . "/outgoing_friend_requests/$C->{id}");
is($r->{status}, 401, 'anonymous changes are 401');

# Concurrent requests both ways end in one consistent state.
for my $round (1 .. 3) {
	my @kids;
	for my $pair ([$C, $D], [$D, $C]) {
		my $pid = fork // die;
		if ($pid == 0) { send_req(@$pair); exit 0 }
		push @kids, $pid;
	}
	waitpid($_, 0) for @kids;
	my ($cd, $dc) = (rel($C, $D), rel($D, $C));
	ok(($cd eq 'OUTGOING_FRIEND_REQUEST' && $dc eq 'INCOMING_FRIEND_REQUEST')
	    || ($cd eq 'INCOMING_FRIEND_REQUEST' && $dc eq 'OUTGOING_FRIEND_REQUEST'),
	    "crossing requests end in one pending request (round $round)");
	is(sql("SELECT count(*) FROM friend_requests WHERE requester_id IN ('$C->{id}','$D->{id}') AND target_id IN ('$C->{id}','$D->{id}')"),
	    1, 'exactly one request row');
	# Accept it twice at once.
	my ($requester, $target) = $cd eq 'OUTGOING_FRIEND_REQUEST' ? ($C, $D) : ($D, $C);
	@kids = ();
	pipe(my $rd, my $wr);
	for (1 .. 2) {
		my $pid = fork // die;
		if ($pid == 0) { close $rd; print {$wr} accept_req($target, $requester)->{status}, "\n"; exit 0 }
		push @kids, $pid;
	}
	close $wr;
	my @st = sort map { chomp; $_ } <$rd>;
	waitpid($_, 0) for @kids;
	is_deeply(\@st, [ 201, 400 ], 'double accept: one succeeds, one is 400');
	is(sql("SELECT count(*) FROM friendships WHERE profile_id = '$C->{id}' AND friend_id = '$D->{id}'"), 1, 'one friendship row each way');
	$C->{c}->request(DELETE => path($C) . "/friends/$D->{id}");
}

# Lists: A is friends with B, C, D; E is friends with B and C; F with D.
befriend($A, $_) for $B, $C, $D;
befriend($E, $_) for $B, $C;
befriend($F, $D);
send_req($A, $F);
$r = api(GET => path($A) . '/friends');
is_deeply([ map { $_->{username} } @{ $r->{body} } ], [ map { $_->{username} } $B, $C, $D ], 'friends by username');
$r = api(GET => path($A) . '/friends?limit=2');
is(scalar @{ $r->{body} }, 2, 'limit applies');
$r = api(GET => path($A) . "/friends?limit=2&username_gt=$r->{body}[1]{username}");
is_deeply([ map { $_->{username} } @{ $r->{body} } ], [ $D->{username} ], 'username_gt continues the list');
is(api(GET => path($A) . '/friends?limit=51')->{status}, 422, 'friends limit over 50 is 422');
is(api(GET => '/api/profiles/00000000-0000-4000-8000-000000000000/friends')->{status}, 404, 'friends of unknown profile is 404');
is(api(GET => path($A))->{body}{friendsCount}, 3, 'friendsCount counts friends');
is($E->{c}->request(GET => path($A))->{body}{mutualFriendsCount}, 2, 'mutualFriendsCount for a logged-in viewer');

$r = $A->{c}->request(GET => path($A) . "/friends/$E->{id}/mutual_friends");
is_deeply([ map { $_->{username} } @{ $r->{body} } ], [ map { $_->{username} } $B, $C ], 'mutual friends by username');
is($B->{c}->request(GET => path($A) . "/friends/$E->{id}/mutual_friends")->{status}, 403, 'mutual friends are for self only');

$r = $A->{c}->request(GET => path($A) . '/friend_requests');
is_deeply([ map { $_->{id} } @{ $r->{body} } ], [ $F->{id} ], 'outgoing requests by default');
$r = $F->{c}->request(GET => path($F) . '/friend_requests?direction=incoming');
is_deeply([ map { $_->{id} } @{ $r->{body} } ], [ $A->{id} ], 'incoming requests');
is($F->{c}->request(GET => path($F) . '/friend_requests?direction=sideways')->{status}, 422, 'bad direction is 422');

# Suggestions: E is two away from A through B and C (2 mutual), F through D
# (1 mutual) but has a pending request, so only E.
$r = $A->{c}->request(GET => path($A) . '/friend_suggestions');
is_deeply($r->{body}, [ { id => $E->{id}, username => $E->{username}, mutualFriendsCount => 2 } ], 'suggestions exclude pending requests');
$F->{c}->request(DELETE => path($F) . "/incoming_friend_requests/$A->{id}");
$r = $A->{c}->request(GET => path($A) . '/friend_suggestions');
is_deeply([ map { [$_->{username}, $_->{mutualFriendsCount}] } @{ $r->{body} } ],
    [ [ $E->{username}, 2 ], [ $F->{username}, 1 ] ], 'ranked by mutual count');
my $p1 = $A->{c}->request(GET => path($A) . '/friend_suggestions?limit=1')->{body};
my $cursor = "$p1->[0]{mutualFriendsCount}:$p1->[0]{username}";
my $p2 = $A->{c}->request(GET => path($A) . "/friend_suggestions?limit=1&cursor=$cursor")->{body};
is_deeply([ map { $_->{username} } @$p1, @$p2 ], [ $E->{username}, $F->{username} ], 'cursor continues without repeats or gaps');
is($A->{c}->request(GET => path($A) . '/friend_suggestions?cursor=bogus')->{status}, 422, 'malformed cursor is 422');
is($B->{c}->request(GET => path($A) . '/friend_suggestions')->{status}, 403, 'suggestions are for self only');

# Relationship privacy and notifications.
send_req($A, $F);
is(api(GET => path($A) . "/relationships/$F->{id}")->{body}, 'NONE', 'outsiders do not see pending requests');
is(api(GET => path($A) . "/relationships/$B->{id}")->{body}, 'FRIEND', 'outsiders see friendships');
is(sql("SELECT count(*) FROM notifications WHERE profile_id = '$F->{id}' AND event = 'NEW_FRIENDSHIP_REQUEST' AND payload->>'byId' = '$A->{id}'"),
    2, 'each request notified the target');
is(sql("SELECT count(*) FROM notifications WHERE profile_id = '$A->{id}' AND event = 'NEW_FRIEND' AND payload->>'profileId' = '$E->{id}'"),
    0, 'no NEW_FRIEND for the accepter');
is(sql("SELECT count(*) FROM notifications WHERE profile_id = '$E->{id}' AND event = 'NEW_FRIEND' AND payload->>'profileUsername' = '$B->{username}'"),
    1, 'acceptance notified the requester');

# Bad username_gt values are data.
for my $gt ("'", '%', '_', '\\', "a' OR 1=1 --", '}) MATCH (n) DETACH DELETE n //') {
	(my $enc = $gt) =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ge;
	is(api(GET => path($A) . "/friends?username_gt=$enc")->{status}, 200, "username_gt '$gt' is data");
}
is(api(GET => path($A) . '/friends?username_gt=%FF')->{status}, 422, 'invalid UTF-8 username_gt is 422');
is(api(GET => path($A) . '/friends?username_gt=' . ('a' x 40))->{status}, 422, 'long username_gt is 422');

# Cached answers follow every write, and the cache Redis is optional.
my $before = api(GET => path($A) . '/friends')->{body};
$A->{c}->request(DELETE => path($A) . "/friends/$B->{id}");
is(scalar @{ api(GET => path($A) . '/friends')->{body} }, @$before - 1, 'cached friend list follows an unfriend');
is(rel($A, $B), 'NONE', 'cached relationship follows an unfriend');
Bunny::service(stop => 'redis-cache');
is(api(GET => path($A) . '/friends')->{status}, 200, 'friend list works without the cache Redis');
is(rel($A, $C), 'FRIEND', 'relationship works without the cache Redis');
befriend($A, $B);
Bunny::service(start => 'redis-cache');
is(scalar @{ api(GET => path($A) . '/friends')->{body} }, scalar @$before, 'a write made while the cache was down shows after it returns');

done_testing();
