#!/usr/bin/perl
# The chat queries use their indexes on a person with 1,000 conversations
# and 200,000 messages: the conversation list and unread count read only
# that person's member rows, and history pages are index range scans.
# The plans are the server's own, logged by auto_explain.
use strict;
use warnings;
use Test::More;
use Bunny qw(register_user login_user sql stack service plans_of);

my $tag = 'cx' . $$;
my $P = register_user(username => "${tag}p");
$P->{c} = login_user($P);
my $F = register_user(username => "${tag}f");
$F->{c} = login_user($F);
sub path { "/api/profiles/$_[0]{id}" }
$P->{c}->request(POST => path($P) . "/outgoing_friend_requests/$F->{id}");
$F->{c}->request(POST => path($F) . "/friends/$P->{id}");

# 1,000 other people, one group conversation of two with each, 200
# messages per conversation taking turns, and 50,000 more conversations
# among the others so that P's rows are a small part of the table.
sql("INSERT INTO profiles (username, email, password_hash, avatar_identifier)"
    . " SELECT '$tag' || i, '$tag' || i || '\@example.com', 'x', 'a' FROM generate_series(1, 1000) i");
sql(<<"SQL");
INSERT INTO chat_groups (name, created_at)
SELECT '$tag' || i, now() - interval '30 days' FROM generate_series(1, 51000) i
SQL
sql(<<"SQL");
WITH g AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM chat_groups WHERE name ~ '^${tag}[0-9]+\$'),
o AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM profiles WHERE username ~ '^${tag}[0-9]+\$')
INSERT INTO chat_members (chat_group_id, profile_id)
SELECT g.id, '$P->{id}' FROM g WHERE g.n <= 1000
UNION ALL SELECT g.id, o.id FROM g JOIN o ON o.n = (g.n - 1) % 1000 + 1
UNION ALL SELECT g.id, o.id FROM g JOIN o ON o.n = (g.n + 499) % 1000 + 1 WHERE g.n > 1000
SQL
sql(<<"SQL");
INSERT INTO chat_messages (chat_group_id, seq, profile_id, content, created_at)
SELECT m.chat_group_id, 2 * k - (m.profile_id = '$P->{id}')::int, m.profile_id, 'message ' || k,
	date_trunc('milliseconds', now() - interval '30 days' + k * interval '1 s' + random() * interval '1 day')
FROM chat_members m JOIN generate_series(1, 100) k ON true
WHERE m.chat_group_id IN (SELECT m2.chat_group_id FROM chat_members m2 JOIN chat_groups g ON g.id = m2.chat_group_id
	WHERE m2.profile_id = '$P->{id}' AND g.name ~ '^${tag}[0-9]+\$')
SQL
sql(<<"SQL");
WITH l AS (SELECT DISTINCT ON (chat_group_id) chat_group_id, id, seq, created_at FROM chat_messages
	ORDER BY chat_group_id, created_at DESC, id DESC)
UPDATE chat_groups g SET last_message_id = l.id, last_message_at = l.created_at,
	message_seq = (SELECT max(seq) FROM chat_messages WHERE chat_group_id = g.id)
FROM l WHERE l.chat_group_id = g.id
SQL
sql("UPDATE chat_members m SET last_message_at = g.last_message_at, unread_count = (random() * 3)::int"
    . " FROM chat_groups g WHERE g.id = m.chat_group_id AND g.last_message_at IS NOT NULL");
sql("VACUUM ANALYZE $_") for qw(chat_groups chat_members chat_messages profiles);
cmp_ok(sql('SELECT count(*) FROM chat_messages'), '>=', 200000, 'chat_messages has 200,000 rows');
is(sql("SELECT count(*) FROM chat_members WHERE profile_id = '$P->{id}'"), 1001, 'P has 1,000 groups and one private chat');

my $group = sql("SELECT m.chat_group_id FROM chat_members m JOIN chat_groups g ON g.id = m.chat_group_id"
    . " WHERE m.profile_id = '$P->{id}' AND g.name IS NOT NULL LIMIT 1");
my ($mid_time, $mid_id) = split / /, sql("SELECT to_char(created_at AT TIME ZONE 'UTC',"
    . " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') || ' ' || id FROM chat_messages WHERE chat_group_id = '$group'"
    . " ORDER BY created_at DESC OFFSET 100 LIMIT 1");
my $message = sql("SELECT id FROM chat_messages WHERE chat_group_id = '$group' ORDER BY created_at DESC LIMIT 1");
my ($conv_time, $conv_id) = split / /, sql("SELECT to_char(last_message_at AT TIME ZONE 'UTC',"
    . " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') || ' ' || chat_group_id FROM chat_members"
    . " WHERE profile_id = '$P->{id}' ORDER BY last_message_at DESC, chat_group_id DESC OFFSET 500 LIMIT 1");

sql(q{ALTER DATABASE bunnybook SET session_preload_libraries = 'auto_explain'});
sql(q{ALTER DATABASE bunnybook SET auto_explain.log_min_duration = 0});
sql(q{ALTER DATABASE bunnybook SET auto_explain.log_nested_statements = on});
service(restart => 'bunnybookd');


my $me = path($P);
# name, request, expected status, index names (regular expressions).
my @cases = (
	[ 'conversation list', sub { $P->{c}->request(GET => "$me/conversations") }, 200, [ 'chat_members_activity_idx' ] ],
	[ 'deep conversation page', sub { $P->{c}->request(GET => "$me/conversations?older_than=$conv_time&older_than_id=$conv_id") }, 200, [ 'chat_members_activity_idx' ] ],
	[ 'unread count', sub { $P->{c}->request(GET => "$me/conversations/unread_count") }, 200, [ 'chat_members_unread_idx' ] ],
	[ 'history page', sub { $P->{c}->request(GET => "/api/chat/$group/messages") }, 200, [ 'chat_messages_history_idx' ] ],
	[ 'deep history page', sub { $P->{c}->request(GET => "/api/chat/$group/messages?older_than=$mid_time&older_than_id=$mid_id") }, 200, [ 'chat_messages_history_idx' ] ],
	[ 'send', sub { $P->{c}->request(POST => "/api/chat/$group/messages", { content => 'indexed' }) }, 201, [ 'chat_groups_pkey', 'chat_members_pkey' ] ],
	[ 'read', sub { $P->{c}->request(POST => "/api/chat/$group/read", { chatMessageId => $message }) }, 204, [ 'chat_messages_chat_group_id_seq_key' ] ],
	[ 'private chats', sub { $P->{c}->request(GET => "$me/private_chats") }, 200, [ 'chat_groups_private_low_private_high_key' ] ],
);
for my $case (@cases) {
	my ($name, $code, $status, $indexes) = @$case;
	my ($r, $plans) = plans_of($code);
	is($r->{status}, $status, "$name answers $status");
	like($plans, qr/Query Text:/, "$name: plans were logged");
	for my $index (@$indexes) {
		like($plans, qr/ (?:using|Index Scan on) $index /, "$name uses $index");
	}
	unlike($plans, qr/Seq Scan on (chat_groups|chat_members|chat_messages|profiles|friendships)\b/,
	    "$name scans no large table sequentially");
}
is(scalar @{ $P->{c}->request(GET => "$me/conversations?limit=20")->{body} }, 20, 'a page of 20 conversations');

sql('ALTER DATABASE bunnybook RESET ALL');
service(restart => 'bunnybookd');
done_testing();
