#!/usr/bin/perl
# The demo data (tools/demo.sh, which ./bunnybook run --demo calls): the
# Facebook graph as profiles, a year of generated activity with every
# counter consistent, a working password, and no duplicates on a second
# run.  It adds 4,039 profiles and their activity to the shared stack, so
# it runs last.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use Bunny qw(stack sql new_client);

my $s = stack();
my $loader = "$s->{BB_ROOT}/tools/demo.sh";

sub load_demo {
	my (@args) = @_;
	my $out = `'$loader' @args '$s->{BB_DIR}' 2>/dev/null`;
	return ($? >> 8, $out);
}

# ---------------------------------------------------------------- loading

my $t0 = time;
my ($rc, $out) = load_demo();
is($rc, 0, 'loader succeeds') or diag($out);
diag(sprintf 'demo load took %.1f s', time - $t0);
my ($password) = $out =~ /password \(shown only now\): (\S+)/;
ok(defined $password && length($password) >= 16, 'loader prints a password');
my @emails = $out =~ /(fb\d+\@import\.invalid)/g;
is(scalar @emails, 2, 'loader names two accounts');

my $demo_people = "SELECT id FROM profiles WHERE username ~ '^fb[0-9]+\$'"
    . " AND email = username || '\@import.invalid'";
my %count_sql = (
	profiles => "SELECT count(*) FROM ($demo_people) d",
	friendships => "SELECT count(*) FROM friendships"
	    . " WHERE profile_id IN ($demo_people) AND friend_id IN ($demo_people)",
	posts => "SELECT count(*) FROM posts WHERE id IN"
	    . " (SELECT md5('bunnybook-demo:post:' || i)::uuid FROM generate_series(1, 40000) i)",
	comments => "SELECT count(*) FROM comments WHERE id IN"
	    . " (SELECT md5('bunnybook-demo:comment:' || i)::uuid FROM generate_series(1, 80000) i)",
	post_likes => "SELECT count(*) FROM post_likes WHERE post_id IN"
	    . " (SELECT md5('bunnybook-demo:post:' || i)::uuid FROM generate_series(1, 40000) i)",
	comment_likes => "SELECT count(*) FROM comment_likes WHERE comment_id IN"
	    . " (SELECT md5('bunnybook-demo:comment:' || i)::uuid FROM generate_series(1, 80000) i)",
	messages => "SELECT count(*) FROM chat_messages WHERE id IN"
	    . " (SELECT md5('bunnybook-demo:message:' || i)::uuid FROM generate_series(1, 30000) i)",
);
my %want = (profiles => 4039, friendships => 2 * 88234, posts => 40000,
	comments => 80000, post_likes => 150000, comment_likes => 30000,
	messages => 30000);

sub check_counts {
	my ($when) = @_;
	for my $table (sort keys %want) {
		is(sql($count_sql{$table}), $want{$table}, "$table count $when");
	}
}

check_counts('after load');
is(sql("SELECT count(DISTINCT avatar_identifier) FROM profiles WHERE id IN ($demo_people)"),
    4039, 'every demo profile has its own avatar identifier');
is(sql("SELECT count(DISTINCT password_hash) FROM profiles WHERE id IN ($demo_people)"),
    1, 'demo profiles share one password hash');
like(sql("SELECT password_hash FROM profiles WHERE username = 'fb0'"),
    qr/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/, 'password hash is an Argon2id PHC string');
cmp_ok(sql("SELECT count(*) FROM notifications WHERE id IN"
    . " (SELECT md5('bunnybook-demo:notification:post:' || p.id)::uuid FROM posts p"
    . "  UNION ALL SELECT md5('bunnybook-demo:notification:comment:' || c.id)::uuid FROM comments c)"),
    '>', 0, 'some notifications');
cmp_ok(sql("SELECT count(*) FROM posts WHERE privacy = 'FRIENDS' AND id IN"
    . " (SELECT md5('bunnybook-demo:post:' || i)::uuid FROM generate_series(1, 40000) i)"),
    '>', 0, 'some posts are for friends only');

# The same seeds give the same rows on every load (times aside, because
# they count back from the moment of loading).
is(sql("SELECT md5(string_agg(concat_ws(':', p.profile_id, p.wall_profile_id, p.privacy, p.content), '|' ORDER BY p.id))"
    . " FROM posts p WHERE p.id IN (SELECT md5('bunnybook-demo:post:' || i)::uuid FROM generate_series(1, 40000) i)"),
    'd97bc48490f0aea62eacd7ba817a992a', 'posts are the generator\'s');
is(sql("SELECT md5(string_agg(concat_ws(':', c.post_id, c.profile_id, c.content), '|' ORDER BY c.id))"
    . " FROM comments c WHERE c.id IN (SELECT md5('bunnybook-demo:comment:' || i)::uuid FROM generate_series(1, 80000) i)"),
    '5caf428d70fa49b4e258a9365df0b142', 'comments are the generator\'s');
is(sql("SELECT md5(string_agg(concat_ws(':', g.private_low, g.private_high, m.seq, m.profile_id, m.content), '|' ORDER BY m.id))"
    . " FROM chat_messages m JOIN chat_groups g ON g.id = m.chat_group_id"
    . " WHERE m.id IN (SELECT md5('bunnybook-demo:message:' || i)::uuid FROM generate_series(1, 30000) i)"),
    'ccd101ca9192366a2e9072070e47adef', 'messages are the generator\'s');

# ---------------------------------------------------------------- counters

is(sql("SELECT count(*) FROM posts p WHERE comments_count <>"
    . " (SELECT count(*) FROM comments c WHERE c.post_id = p.id)"),
    0, 'posts comments_count matches recount');
is(sql("SELECT count(*) FROM posts p WHERE likes_count <>"
    . " (SELECT count(*) FROM post_likes l WHERE l.post_id = p.id)"),
    0, 'posts likes_count matches recount');
is(sql("SELECT count(*) FROM comments c WHERE likes_count <>"
    . " (SELECT count(*) FROM comment_likes l WHERE l.comment_id = c.id)"),
    0, 'comments likes_count matches recount');
cmp_ok(sql("SELECT max(comments_count) FROM posts"), '>', 5, 'some posts have long threads');

# Conversations: numbered 1..n in time order, latest message recorded.
# Only the demo's: earlier test files leave conversations with deleted
# messages and generated rows that these rules do not describe.
my $demo_groups = "SELECT id FROM chat_groups WHERE private_low IN ($demo_people)";
is(sql("SELECT count(*) FROM chat_groups g WHERE g.id IN ($demo_groups) AND message_seq <>"
    . " (SELECT count(*) FROM chat_messages m WHERE m.chat_group_id = g.id)"),
    0, 'message_seq equals message count');
is(sql("SELECT count(*) FROM chat_groups g WHERE g.id IN ($demo_groups) AND message_seq > 0 AND"
    . " (last_message_id, last_message_at) IS DISTINCT FROM"
    . " (SELECT (m.id, m.created_at) FROM chat_messages m WHERE m.chat_group_id = g.id"
    . "  ORDER BY m.seq DESC LIMIT 1)"),
    0, 'last message of every conversation');
is(sql("SELECT count(*) FROM chat_messages a JOIN chat_messages b"
    . " ON b.chat_group_id = a.chat_group_id AND b.seq = a.seq + 1"
    . " WHERE b.created_at <= a.created_at AND a.chat_group_id IN ($demo_groups)"),
    0, 'message times increase with seq');

# Members: read markers, unread counts and activity times.
is(sql("SELECT count(*) FROM chat_members cm JOIN chat_groups g ON g.id = cm.chat_group_id"
    . " WHERE cm.last_message_at IS DISTINCT FROM g.last_message_at AND g.id IN ($demo_groups)"),
    0, 'members last_message_at matches conversation');
is(sql("SELECT count(*) FROM chat_members cm WHERE cm.chat_group_id IN ($demo_groups) AND unread_count <>"
    . " (SELECT count(*) FROM chat_messages m WHERE m.chat_group_id = cm.chat_group_id"
    . "  AND m.seq > cm.read_seq AND m.profile_id <> cm.profile_id)"),
    0, 'unread_count matches recount');
is(sql("SELECT count(*) FROM chat_members cm WHERE cm.chat_group_id IN ($demo_groups) AND read_seq > 0 AND read_message_id IS DISTINCT FROM"
    . " (SELECT m.id FROM chat_messages m WHERE m.chat_group_id = cm.chat_group_id AND m.seq = cm.read_seq)"),
    0, 'read_message_id is the message at read_seq');
is(sql("SELECT count(*) FROM chat_members cm WHERE cm.chat_group_id IN ($demo_groups) AND read_seq <"
    . " (SELECT coalesce(max(m.seq), 0) FROM chat_messages m"
    . "  WHERE m.chat_group_id = cm.chat_group_id AND m.profile_id = cm.profile_id)"),
    0, 'senders have read their own messages');
cmp_ok(sql("SELECT count(*) FROM chat_members WHERE unread_count > 0 AND profile_id IN ($demo_people)"),
    '>', 0, 'some conversations have unread messages');

# ---------------------------------------------------------------- the API

sub login {
	my ($email, $pass) = @_;
	my $c = new_client();
	my $r = $c->request(POST => '/api/login', { email => $email, password => $pass });
	$c->token($r->{body}{accessToken}) if $r->{status} == 200;
	return ($r->{status}, $c);
}

SKIP: {
	skip 'no password or accounts printed', 7 unless $password && @emails == 2;
	my ($status, $c) = login($emails[0], $password);
	is($status, 200, "login as $emails[0] with the printed password");
	($status) = login($emails[1], $password);
	is($status, 200, "login as $emails[1] with the printed password");

	my ($name) = $emails[0] =~ /^(fb\d+)/;
	my $id = sql("SELECT id FROM profiles WHERE username = '$name'");
	is(sql('SELECT count(*) FROM (SELECT wall_profile_id, max(created_at) FROM posts GROUP BY 1'
	    . ' EXCEPT SELECT wall_profile_id, last_post_at FROM wall_last_posts) x'), 0,
	    'every wall has its last post time');
	my $r = $c->request(GET => '/api/feed');
	is($r->{status}, 200, 'feed answers');
	cmp_ok(scalar @{ $r->{body} || [] }, '>', 0, 'feed is not empty');

	$r = $c->request(GET => "/api/profiles/$id/conversations");
	cmp_ok(scalar @{ $r->{body} || [] }, '>', 0, 'conversation list is not empty');
	my $group = $r->{body}[0]{chatGroupId} // '';
	$r = $c->request(GET => "/api/chat/$group/messages");
	is($r->{status}, 200, 'conversation messages answer');
	cmp_ok(scalar @{ $r->{body} || [] }, '>', 0, 'conversation has messages');
}

# ---------------------------------------------------------------- again

($rc, $out) = load_demo();
is($rc, 0, 'second load succeeds');
unlike($out, qr/password/, 'second load prints no password');
check_counts('after second load');
SKIP: {
	skip 'no password printed', 1 unless $password && @emails;
	my ($status) = login($emails[0], $password);
	is($status, 200, 'first password still works');
}

($rc, $out) = load_demo('--new-password');
is($rc, 0, '--new-password succeeds');
my ($second) = $out =~ /password \(shown only now\): (\S+)/;
ok(defined $second && (!defined $password || $second ne $password), '--new-password prints a new password');
SKIP: {
	skip 'no passwords printed', 2 unless $password && $second && @emails;
	my ($status) = login($emails[0], $second);
	is($status, 200, 'new password works');
	($status) = login($emails[0], $password);
	is($status, 401, 'old password no longer works');
}
check_counts('after new password');

done_testing();
