#!/usr/bin/perl
# Chat: private conversations opened by friendship and closed by
# unfriending, group conversations, messages with history, edits and
# deletes, read markers, typing, and who receives which event, checked
# with real stream clients.
use strict;
use warnings;
use Test::More;
use JSON::PP ();
use Bunny qw(api stack register_user login_user new_client sql service);
use Bunny::Stream;

# High limits for most of this file; the limits themselves are tested last.
$ENV{BUNNYBOOK_CHAT_MESSAGES_PER_SECOND} = 10000;
$ENV{BUNNYBOOK_CHAT_TYPING_PER_SECOND} = 10000;
service(restart => 'bunnybookd');

my ($A, $B, $C, $D) = map { my $u = register_user(prefix => "chat$_"); $u->{c} = login_user($u); $u } qw(a b c d);
sub path { "/api/profiles/$_[0]{id}" }
sub befriend {
	my ($x, $y) = @_;
	$x->{c}->request(POST => path($x) . "/outgoing_friend_requests/$y->{id}")->{status} == 201 or die 'request';
	$y->{c}->request(POST => path($y) . "/friends/$x->{id}")->{status} == 201 or die 'accept';
}
sub send_msg {
	my ($who, $group, $content) = @_;
	return $who->{c}->request(POST => "/api/chat/$group/messages", { content => $content });
}
sub stream {
	my ($who, %opt) = @_;
	return Bunny::Stream::ws_start(token => $who->{c}->token, timeout => 8000, %opt);
}
sub events_of {
	my ($h) = @_;
	my ($events) = Bunny::Stream::ws_wait($h);
	return [ map { $_->{event} } @$events ];
}

# Private conversations open when a friendship is accepted.
my $w = stream($A, types => ['add_friend']);
befriend($A, $B);
my $ev = events_of($w);
ok($ev->[0]{data}{chatGroupId}, 'add_friend carries the private chatGroupId');
my $pc = $ev->[0]{data}{chatGroupId};
my $r = $A->{c}->request(GET => path($A) . '/private_chats');
is($r->{status}, 200, 'private_chats is 200');
is_deeply([ map { [ $_->{chatGroupId}, $_->{profileId}, $_->{username} ] } @{ $r->{body} } ],
    [ [ $pc, $B->{id}, $B->{username} ] ], 'one private chat per friend, with the same id');
ok(JSON::PP::is_bool($r->{body}[0]{online}), 'private chats carry online');
is($B->{c}->request(GET => path($B) . '/private_chats')->{body}[0]{chatGroupId}, $pc, 'both see one conversation');
is($A->{c}->request(GET => path($B) . '/private_chats')->{status}, 403, 'private_chats of another person is 403');
befriend($A, $C);
befriend($C, $D);

# Friendships written without the state machine (import-graph) get theirs on first listing.
my $E = register_user(prefix => 'chate');
$E->{c} = login_user($E);
sql("INSERT INTO friendships (profile_id, friend_id, friend_username) VALUES"
    . " ('$E->{id}', '$D->{id}', '$D->{username}'), ('$D->{id}', '$E->{id}', '$E->{username}')");
$r = $E->{c}->request(GET => path($E) . '/private_chats');
is(scalar @{ $r->{body} }, 1, 'an imported friendship gets a private chat');
my %of_d = map { $_->{profileId} => $_->{chatGroupId} } @{ $D->{c}->request(GET => path($D) . '/private_chats')->{body} };
is($of_d{ $E->{id} }, $r->{body}[0]{chatGroupId}, 'the same one for the other person');
is(sql("SELECT count(*) FROM chat_members WHERE chat_group_id = '$r->{body}[0]{chatGroupId}'"), 2, 'with both members');

# Who may use a conversation.
my $nil = '00000000-0000-4000-8000-000000000000';
is($D->{c}->request(GET => "/api/chat/$pc/messages")->{status}, 403, 'a non-member reads no history');
is(new_client()->request(GET => "/api/chat/$pc/messages")->{status}, 401, 'anonymous is 401');
is($A->{c}->request(GET => "/api/chat/$nil/messages")->{status}, 404, 'an unknown conversation is 404');
is($A->{c}->request(GET => '/api/chat/nope/messages')->{status}, 422, 'a non-UUID conversation is 422');
my @member_routes = (
	[ GET => "/api/chat/$pc" ],
	[ GET => "/api/chat/$pc/messages" ],
	[ POST => "/api/chat/$pc/messages", { content => 'hi' } ],
	[ PATCH => "/api/chat/$pc/messages/$nil", { content => 'hi' } ],
	[ DELETE => "/api/chat/$pc/messages/$nil" ],
	[ POST => "/api/chat/$pc/read", { chatMessageId => $nil } ],
	[ POST => "/api/chat/$pc/typing" ],
	[ PATCH => "/api/chat/$pc", { name => 'x' } ],
	[ POST => "/api/chat/$pc/members", { profileId => $C->{id} } ],
	[ DELETE => "/api/chat/$pc/members/$D->{id}" ],
);
for my $route (@member_routes) {
	my ($method, $url, $body) = @$route;
	$r = $D->{c}->request($method, $url, $body);
	is($r->{status}, 403, "non-member $method $url is 403");
	is($r->{body}{error}{code}, 'Forbidden', 'in the error shape');
}
is(sql("SELECT count(*) FROM chat_messages WHERE chat_group_id = '$pc'"), 0, 'rejected calls stored nothing');

# Sending: stored first, then delivered to every member's tabs.
my $wb = stream($B, types => ['chat_message']);
my $wa2 = stream($A, types => ['chat_message']);
my $wd = stream($D, types => ['chat_message'], timeout => 2000);
$r = send_msg($A, $pc, 'hello B');
is($r->{status}, 201, 'a message is 201');
my $m1 = $r->{body};
is($m1->{content}, 'hello B', 'content');
is($m1->{chatGroupId}, $pc, 'chatGroupId');
is($m1->{fromProfileId}, $A->{id}, 'fromProfileId');
is($m1->{fromProfileUsername}, $A->{username}, 'fromProfileUsername');
like($m1->{createdAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'createdAt in the API format');
ok(exists $m1->{editedAt} && !defined $m1->{editedAt}, 'editedAt is null');
is_deeply(events_of($wb)->[0]{data}, $m1, 'the other member receives the stored message');
is_deeply(events_of($wa2)->[0]{data}, $m1, 'the sender\'s other tab receives it');
is(scalar @{ events_of($wd) }, 0, 'a non-member receives nothing');

# Bad messages.
for my $case ([ {}, 'missing' ], [ { content => '' }, 'empty' ], [ { content => " \n\t" }, 'only white space' ],
    [ { content => 'x' x 4097 }, 'too long' ], [ { content => 42 }, 'not a string' ]) {
	$r = $A->{c}->request(POST => "/api/chat/$pc/messages", $case->[0]);
	is($r->{status}, 422, "$case->[1] content is 422");
	is($r->{body}{error}{field}, 'content', 'naming content');
}
is(send_msg($A, $pc, 'x' x 4096)->{status}, 201, '4096 characters are fine');
is(send_msg($A, $pc, "\x{1F430}" x 4096)->{status}, 201, 'counted in code points');
$r = $A->{c}->request(POST => "/api/chat/$pc/messages", undef, raw => "{\"content\": \"\xff\xfe\"}");
is($r->{status}, 400, 'invalid UTF-8 is 400');
is(sql("SELECT count(*) FROM chat_messages WHERE chat_group_id = '$pc'"), 3, 'only the valid messages are stored');

# History: newest first, keyset pages without repeats or gaps.
send_msg($B, $pc, "b$_") for 1 .. 12;
my (@seen, $page);
my $q = 'limit=5';
do {
	$page = $A->{c}->request(GET => "/api/chat/$pc/messages?$q")->{body};
	push @seen, @$page;
	$q = "limit=5&older_than=$page->[-1]{createdAt}&older_than_id=$page->[-1]{id}" if @$page;
} while (@$page == 5);
is(scalar @seen, 15, 'pages cover the whole history');
my %ids = map { $_->{id} => 1 } @seen;
is(scalar keys %ids, 15, 'without repeats');
is_deeply([ map { $_->{content} } @seen[0 .. 2] ], [ 'b12', 'b11', 'b10' ], 'newest first');
is($seen[-1]{id}, $m1->{id}, 'the first message last');
is($A->{c}->request(GET => "/api/chat/$pc/messages?limit=51")->{status}, 422, 'limit above 50 is 422');
is($A->{c}->request(GET => "/api/chat/$pc/messages?older_than=yesterday")->{status}, 422, 'a bad older_than is 422');

# Delivery order equals history order, also for concurrent senders.
$wb = stream($B, types => ['chat_message'], count => 24, timeout => 20000);
my @kids;
for my $who ($A, $B, $A, $B) {
	my $k = fork // die;
	if ($k == 0) { send_msg($who, $pc, "burst $$ $_") for 1 .. 6; exit 0 }
	push @kids, $k;
}
waitpid($_, 0) for @kids;
my @delivered = map { $_->{data}{id} } @{ events_of($wb) };
my $history = $B->{c}->request(GET => "/api/chat/$pc/messages?limit=24")->{body};
is(scalar @delivered, 24, 'every concurrent message is delivered');
is_deeply(\@delivered, [ reverse map { $_->{id} } @$history ], 'in the order of the history');

# Edits and deletes.
my $ww = stream($B, types => [ 'chat_message_edited', 'chat_message_deleted' ], count => 2);
$r = $A->{c}->request(PATCH => "/api/chat/$pc/messages/$m1->{id}", { content => 'hello, B' });
is($r->{status}, 200, 'the author edits');
is($r->{body}{content}, 'hello, B', 'the new content');
ok($r->{body}{editedAt}, 'editedAt is set');
is($B->{c}->request(PATCH => "/api/chat/$pc/messages/$m1->{id}", { content => 'mine' })->{status}, 403, 'others cannot edit');
is($B->{c}->request(DELETE => "/api/chat/$pc/messages/$m1->{id}")->{status}, 403, 'others cannot delete');
is($A->{c}->request(PATCH => "/api/chat/$pc/messages/$m1->{id}", { content => ' ' })->{status}, 422, 'an edit is validated');
my $gone = send_msg($A, $pc, 'secret words')->{body};
is($A->{c}->request(DELETE => "/api/chat/$pc/messages/$gone->{id}")->{status}, 204, 'the author deletes');
is($A->{c}->request(DELETE => "/api/chat/$pc/messages/$gone->{id}")->{status}, 404, 'deleting again is 404');
is(sql("SELECT count(*) FROM chat_messages WHERE content = 'secret words'"), 0, 'a deleted text is gone from storage');
$ev = events_of($ww);
is($ev->[0]{type}, 'chat_message_edited', 'members hear of the edit');
is($ev->[0]{data}{content}, 'hello, B', 'with the new content');
is($ev->[1]{type}, 'chat_message_deleted', 'and of the delete');
is_deeply($ev->[1]{data}, { id => $gone->{id}, chatGroupId => $pc }, 'naming the message and conversation');
ok(!(grep { $_->{id} eq $gone->{id} } @{ $A->{c}->request(GET => "/api/chat/$pc/messages?limit=50")->{body} }),
    'the history no longer has it');

# Read markers: forward only, unread counts, receipts to every tab.
send_msg($A, $pc, "for B $_") for 1 .. 2;
my $conv = $B->{c}->request(GET => "/api/chat/$pc")->{body};
my $expected = sql("SELECT count(*) FROM chat_messages WHERE chat_group_id = '$pc' AND profile_id = '$A->{id}'"
    . " AND seq > (SELECT max(seq) FROM chat_messages WHERE chat_group_id = '$pc' AND profile_id = '$B->{id}')");
ok($expected >= 2, 'A wrote after B');
is($conv->{unreadCount}, $expected, 'B has what A wrote after B\'s last message as unread');
is($B->{c}->request(GET => path($B) . '/conversations/unread_count')->{body}{count}, 1, 'one conversation with unread messages');
my ($older, $newest) = ($history->[10]{id}, $conv->{chatMessageId});
my $wb1 = stream($B, types => ['chat_read']);
my $wb2 = stream($B, types => ['chat_read']);
my $wa = stream($A, types => ['chat_read']);
is($B->{c}->request(POST => "/api/chat/$pc/read", { chatMessageId => $newest })->{status}, 204, 'read is 204');
for my $h ($wb1, $wb2, $wa) {
	my $e = events_of($h)->[0]{data};
	is_deeply($e, { chatGroupId => $pc, profileId => $B->{id}, chatMessageId => $newest, unreadCount => 0 },
	    'chat_read reaches the reader\'s tabs and the other member');
}
is($B->{c}->request(GET => "/api/chat/$pc")->{body}{unreadCount}, 0, 'unreadCount is 0');
is($B->{c}->request(GET => path($B) . '/conversations/unread_count')->{body}{count}, 0, 'no conversation with unread messages');
my $marker = sql("SELECT read_seq FROM chat_members WHERE chat_group_id = '$pc' AND profile_id = '$B->{id}'");
is($B->{c}->request(POST => "/api/chat/$pc/read", { chatMessageId => $older })->{status}, 204, 'reading an older message is 204');
is(sql("SELECT read_seq FROM chat_members WHERE chat_group_id = '$pc' AND profile_id = '$B->{id}'"), $marker,
    'but the marker never moves back');
$r = $B->{c}->request(POST => "/api/chat/$pc/read", { chatMessageId => $nil });
is($r->{status}, 404, 'a marker on an unknown message is 404');
is($r->{body}{error}{field}, 'chatMessageId', 'naming chatMessageId');
is($B->{c}->request(POST => "/api/chat/$pc/read", { chatMessageId => 'x' })->{body}{error}{field}, 'chatMessageId',
    'a marker that is not a UUID names chatMessageId');
send_msg($A, $pc, "unread $_") for 1 .. 3;
is($B->{c}->request(GET => "/api/chat/$pc")->{body}{unreadCount}, 3, 'new messages count as unread');
$history = $B->{c}->request(GET => "/api/chat/$pc/messages?limit=3")->{body};
$B->{c}->request(POST => "/api/chat/$pc/read", { chatMessageId => $history->[1]{id} });
is($B->{c}->request(GET => "/api/chat/$pc")->{body}{unreadCount}, 1, 'reading up to the second leaves one');
$A->{c}->request(DELETE => "/api/chat/$pc/messages/$history->[0]{id}");
is($B->{c}->request(GET => "/api/chat/$pc")->{body}{unreadCount}, 0, 'a deleted unread message no longer counts');
is($B->{c}->request(GET => "/api/chat/$pc")->{body}{content}, 'unread 2', 'the latest remaining message takes its place');

# Group conversations.
my $wc = stream($C, types => ['conversation_created']);
$r = $A->{c}->request(POST => '/api/chat', { memberIds => [ $B->{id}, $C->{id}, $B->{id} ], name => 'Carrot club' });
is($r->{status}, 201, 'a group conversation is 201');
my $g = $r->{body}{chatGroupId};
is($r->{body}{chatGroupName}, 'Carrot club', 'with its name');
is_deeply([ sort map { $_->{id} } @{ $r->{body}{members} } ], [ sort map { $_->{id} } $A, $B, $C ], 'of three members');
is(events_of($wc)->[0]{data}{chatGroupId}, $g, 'members receive conversation_created');
for my $case ([ { memberIds => [ $D->{id} ] }, 403, 'a stranger' ], [ { memberIds => [] }, 422, 'nobody' ],
    [ { memberIds => [ $A->{id} ] }, 422, 'only oneself' ], [ { memberIds => ['nope'] }, 422, 'a non-UUID' ],
    [ { memberIds => $B->{id} }, 422, 'a string' ], [ {}, 422, 'no memberIds' ],
    [ { memberIds => [ map { sprintf('00000000-0000-4000-8000-%012d', $_) } 1 .. 50 ] }, 422, 'too many' ],
    [ { memberIds => [ ($B->{id}) x 101 ] }, 422, 'an array of 101 ids' ]) {
	$r = $A->{c}->request(POST => '/api/chat', $case->[0]);
	is($r->{status}, $case->[1], "a group with $case->[2] is $case->[1]");
	is($r->{body}{error}{field}, 'memberIds', 'naming memberIds');
}
like($r->{body}{error}{message} // '', qr/at most 100 ids/, 'an array over 100 ids is refused by its length');
is($A->{c}->request(POST => '/api/chat', { memberIds => [ $B->{id} ], name => 'x' x 65 })->{body}{error}{field}, 'name',
    'a long name is rejected naming name');
is(send_msg($C, $g, 'hi all')->{status}, 201, 'a member writes to the group');
$r = $C->{c}->request(PATCH => "/api/chat/$g", { name => 'Clover club' });
is($r->{status}, 200, 'a member renames the group');
is($r->{body}{chatGroupName}, 'Clover club', 'to the new name');
is($A->{c}->request(PATCH => "/api/chat/$pc", { name => 'x' })->{status}, 403, 'a private conversation cannot be renamed');
is($B->{c}->request(POST => "/api/chat/$g/members", { profileId => $D->{id} })->{status}, 403,
    'a member adds only their own friends');
my $wd_created = stream($D, types => ['conversation_created']);
my $wa_updated = stream($A, types => ['conversation_updated']);
$r = $C->{c}->request(POST => "/api/chat/$g/members", { profileId => $D->{id} });
is($r->{status}, 201, 'C adds their friend D');
is(scalar @{ $r->{body}{members} }, 4, 'the group has four members');
is(events_of($wd_created)->[0]{data}{chatGroupId}, $g, 'D receives conversation_created');
is(scalar @{ events_of($wa_updated)->[0]{data}{members} }, 4, 'the others receive conversation_updated');
is($C->{c}->request(POST => "/api/chat/$g/members", { profileId => $D->{id} })->{status}, 409, 'adding a member twice is 409');
is($C->{c}->request(POST => "/api/chat/$g/members", { profileId => $C->{id} })->{body}{error}{code}, 'AlreadyMember',
    'adding oneself is AlreadyMember');
is($D->{c}->request(GET => "/api/chat/$g")->{body}{unreadCount}, 0, 'a new member starts with nothing unread');
is($D->{c}->request(GET => "/api/chat/$g/messages")->{body}[0]{content}, 'hi all', 'and reads the history');

# Leaving: removed members stop receiving the conversation's events.
is($D->{c}->request(DELETE => "/api/chat/$g/members/$C->{id}")->{status}, 403, 'nobody removes someone else');
is($A->{c}->request(DELETE => "/api/chat/$pc/members/$A->{id}")->{status}, 403, 'nobody leaves a private conversation');
my $wd_left = stream($D, types => ['conversation_left']);
is($D->{c}->request(DELETE => "/api/chat/$g/members/$D->{id}")->{status}, 204, 'D leaves');
is(events_of($wd_left)->[0]{data}{chatGroupId}, $g, 'D\'s tabs receive conversation_left');
$wd = stream($D, types => [ 'chat_message', 'is_typing' ], timeout => 2000);
send_msg($A, $g, 'after D left');
$A->{c}->request(POST => "/api/chat/$g/typing");
is(scalar @{ events_of($wd) }, 0, 'a former member receives nothing');
is($D->{c}->request(GET => "/api/chat/$g/messages")->{status}, 403, 'nor reads the history');

# Conversation lists: latest activity first, keyset pages.
$r = $A->{c}->request(GET => path($A) . '/conversations');
is($r->{status}, 200, 'conversations is 200');
is_deeply([ map { $_->{chatGroupId} } @{ $r->{body} } ], [ $g, $pc ], 'latest activity first');
is($r->{body}[0]{content}, 'after D left', 'with the latest message');
is($r->{body}[0]{fromProfileUsername}, $A->{username}, 'and its author');
$page = $A->{c}->request(GET => path($A) . '/conversations?limit=1')->{body};
my $next = $A->{c}->request(GET => path($A) . "/conversations?limit=1&older_than=$page->[0]{createdAt}"
    . "&older_than_id=$page->[0]{chatGroupId}")->{body};
is_deeply([ map { $_->{chatGroupId} } @$page, @$next ], [ $g, $pc ], 'pages continue the list');
is($A->{c}->request(GET => path($B) . '/conversations')->{status}, 403, 'another person\'s list is 403');
is(scalar @{ $E->{c}->request(GET => path($E) . '/conversations')->{body} }, 0, 'conversations without messages are not listed');

# Typing: the others hear it once per two seconds; it is never stored.
my $wt = stream($A, types => ['is_typing'], count => 2, timeout => 1500);
is($B->{c}->request(POST => "/api/chat/$g/typing")->{status}, 204, 'typing is 204');
$B->{c}->request(POST => "/api/chat/$g/typing") for 1 .. 3;
$ev = events_of($wt);
is(scalar @$ev, 1, 'repeats within two seconds are dropped');
is_deeply($ev->[0]{data}, { chatGroupId => $g, profileId => $B->{id}, username => $B->{username} }, 'is_typing names the typist');
ok(!exists $ev->[0]{seq}, 'typing events carry no seq');
$wt = stream($B, types => ['is_typing'], timeout => 1500);
$C->{c}->request(POST => "/api/chat/$pc/typing");
is(scalar @{ events_of($wt) }, 0, 'typing goes to the conversation\'s members only');

# Unfriending closes the private conversation; befriending again reopens it.
$A->{c}->request(DELETE => path($A) . "/friends/$B->{id}");
$r = send_msg($A, $pc, 'are you there?');
is($r->{status}, 403, 'no message after unfriending');
like($r->{body}{error}{message}, qr/closed/, 'the message says the conversation is closed');
is(send_msg($B, $pc, 'hello?')->{status}, 403, 'for either of them');
is($B->{c}->request(POST => "/api/chat/$pc/typing")->{status}, 403, 'nor typing');
is($A->{c}->request(GET => "/api/chat/$pc/messages")->{status}, 200, 'the history stays readable');
is($B->{c}->request(GET => "/api/chat/$pc/messages")->{status}, 200, 'by both');
my $own = $A->{c}->request(GET => "/api/chat/$pc/messages?limit=1")->{body}[0];
is($own->{fromProfileId}, $A->{id}, 'A wrote the latest message');
is($A->{c}->request(PATCH => "/api/chat/$pc/messages/$own->{id}", { content => 'edited' })->{status}, 403,
    'no edits after unfriending');
is($A->{c}->request(DELETE => "/api/chat/$pc/messages/$own->{id}")->{status}, 204, 'but authors may still delete');
my $count = sql("SELECT count(*) FROM chat_messages WHERE chat_group_id = '$pc'");
$w = stream($A, types => ['add_friend']);
befriend($B, $A);
is(events_of($w)->[0]{data}{chatGroupId}, $pc, 'friends again: the same conversation');
is(send_msg($A, $pc, 'welcome back')->{status}, 201, 'open again');
is(scalar @{ $A->{c}->request(GET => "/api/chat/$pc/messages?limit=50")->{body} }, $count + 1, 'with its history');

# A confirmed message is stored even when nchan's Redis is down.
service(stop => 'redis-pubsub');
$r = send_msg($A, $pc, 'while the stream is down');
is($r->{status}, 201, 'a message is 201 without the pub/sub Redis');
service(start => 'redis-pubsub');
is($B->{c}->request(GET => "/api/chat/$pc/messages?limit=1")->{body}[0]{id}, $r->{body}{id}, 'and is in the history');

# Per-profile limits.
$ENV{BUNNYBOOK_CHAT_MESSAGES_PER_SECOND} = 3;
$ENV{BUNNYBOOK_CHAT_TYPING_PER_SECOND} = 2;
service(restart => 'bunnybookd');
my @limited = grep { $_->{status} == 429 } map { send_msg($A, $pc, "fast $_") } 1 .. 10;
ok(@limited > 0, 'too many messages per second are 429');
like($limited[0]{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
my @status = map { $A->{c}->request(POST => "/api/chat/$pc/typing")->{status} } 1 .. 8;
ok((grep { $_ == 429 } @status), 'too many typing calls are 429');
delete @ENV{qw(BUNNYBOOK_CHAT_MESSAGES_PER_SECOND BUNNYBOOK_CHAT_TYPING_PER_SECOND)};
service(restart => 'bunnybookd');

done_testing();
