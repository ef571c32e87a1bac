#!/usr/bin/perl
# PostgreSQL restarted under load, cleanly and after a crash: posts,
# comments and chat messages are written by concurrent clients while
# PostgreSQL goes away and comes back.  No request waits longer than the database timeouts allow, none
# crashes a worker, writing works again on its own afterwards, and every
# write that was confirmed (2xx) before, during or after the restart is
# stored exactly once.  On a stack of its own.
use strict;
use warnings;
use Test::More;
use Time::HiRes ();
use Bunny qw(private_stack stack api register_user login_user service sql
    log_text wait_until);
use Bunny::Load;

private_stack('postgres-load', settings => {
	post_writes_per_window => 100000,
	comment_writes_per_window => 100000,
	chat_messages_per_second => 100000,
});

my ($A, $B) = map { my $u = register_user(prefix => "pl$_"); $u->{c} = login_user($u); $u } qw(a b);
$A->{c}->request(POST => "/api/profiles/$A->{id}/outgoing_friend_requests/$B->{id}");
$B->{c}->request(POST => "/api/profiles/$B->{id}/friends/$A->{id}");
my ($chat) = map { $_->{chatGroupId} }
    @{ $A->{c}->request(GET => "/api/profiles/$A->{id}/private_chats")->{body} // [] };
ok($chat, 'A and B have a private chat');
my $post = $A->{c}->request(POST => '/api/posts', { content => 'commented' })->{body}{id};

# Contents are unique, so each write can be found (and counted) later.
my $tag = "pl$$";
my $load = Bunny::Load::start(4, sub {
	my ($child, $call) = @_;
	my $content = "$tag-$child-$call";
	my ($what, $r);
	if ($child == 1) {
		($what, $r) = ('post', $A->{c}->request(POST => '/api/posts', { content => $content }));
	} elsif ($child == 2) {
		($what, $r) = ('comment', $B->{c}->request(POST => "/api/posts/$post/comments", { content => $content }));
	} elsif ($child == 3) {
		($what, $r) = ('chat', $B->{c}->request(POST => "/api/chat/$chat/messages", { content => $content }));
	} else {
		($what, $r) = ('read', $A->{c}->request(GET => '/api/feed'));
	}
	return { what => $what, status => $r->{status}, content => $content,
	    code => $r->{body} && ref $r->{body} eq 'HASH' && $r->{body}{error} ? $r->{body}{error}{code} : undef };
}, pause => 0.01);
ok($load->wait_calls(5, 30), 'load runs');

# First a clean restart (fast shutdown: sessions are ended, running
# statements cancelled), then a crash (SIGQUIT: the immediate shutdown, so
# PostgreSQL recovers from its WAL when it starts).
service(restart => 'postgres');
ok($load->wait_calls(5, 60), 'every client goes on after a restart');
my $pid = do { open my $fh, '<', stack()->{BB_DIR} . '/pids/postgres.pid' or die $!; <$fh> };
chomp $pid;
ok(kill('QUIT', $pid), 'PostgreSQL stopped immediately');
ok(wait_until(30, sub { !kill 0, $pid }), 'it is gone');
service(start => 'postgres');
my $restart_at = Time::HiRes::time();
ok($load->wait_calls(10, 60), 'every client goes on after the crash');
like(log_text('postgres'), qr/database system was not properly shut down; automatic recovery/,
    'PostgreSQL recovered from its WAL');
my @results = $load->stop;

my %by_status;
$by_status{ $_->{status} }++ for @results;
diag('statuses: ' . join(', ', map { "$_ x$by_status{$_}" } sort keys %by_status));
my @odd = grep { $_->{status} !~ /^(?:200|201|500|503)$/ } @results;
is(scalar @odd, 0, 'every answer is a success, or 500/503 while PostgreSQL is away')
    or diag explain [ @odd[0 .. ($#odd < 4 ? $#odd : 4)] ];
my ($slowest) = sort { $b->{seconds} <=> $a->{seconds} } @results;
# db_connect_timeout_s is 3 and db_statement_timeout_ms 5000; a request
# that waited longer would be stuck on a dead connection.
cmp_ok($slowest->{seconds}, '<', 12, sprintf('the slowest request took %.2f s', $slowest->{seconds}));

for my $what (qw(post comment chat read)) {
	my @after = grep { $_->{what} eq $what && $_->{started} > $restart_at } @results;
	ok((grep { $_->{status} =~ /^2/ } @after[-5 .. -1]) == 5, "the last $what requests succeed");
}

# Each confirmed write is stored exactly once; nothing is stored twice.
my %stored;
$stored{$_}++ for sql("SELECT content FROM posts WHERE content LIKE '$tag-%'"),
    sql("SELECT content FROM comments WHERE content LIKE '$tag-%'"),
    sql("SELECT content FROM chat_messages WHERE content LIKE '$tag-%'");
my @confirmed = grep { $_->{what} ne 'read' && $_->{status} =~ /^2/ } @results;
my @lost = grep { ($stored{ $_->{content} } // 0) != 1 } @confirmed;
is(scalar @lost, 0, scalar(@confirmed) . ' confirmed writes are each stored once')
    or diag explain [ @lost[0 .. ($#lost < 4 ? $#lost : 4)] ];
is(scalar(grep { $_ > 1 } values %stored), 0, 'no write is stored twice');
my $chat_list = $A->{c}->request(GET => "/api/chat/$chat/messages?limit=50");
is($chat_list->{status}, 200, 'the chat reads back');
my @chat_ok = grep { $_->{what} eq 'chat' && $_->{status} == 201 } @results;
is($chat_list->{body}[0]{content}, $chat_ok[-1]{content}, 'its newest message is the last confirmed one');

unlike(log_text('bunnybookd'), qr/killed by signal|exited with status/, 'no worker died');
like(log_text('bunnybookd'), qr/PostgreSQL connected/, 'workers reconnected');
is(api(GET => '/api/health/ready')->{status}, 200, 'the stack is ready');

done_testing();
