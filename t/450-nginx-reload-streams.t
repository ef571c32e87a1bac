#!/usr/bin/perl
# nginx reloaded (SIGHUP) twice while tabs are subscribed and a friend
# keeps sending chat messages: each tab whose stream ends reconnects with
# the id of the last message it saw, and gets every confirmed message
# exactly once, in order.  On a stack of its own.
use strict;
use warnings;
use Test::More;
use IO::Select;
use JSON::PP ();
use Time::HiRes qw(sleep time);
use Bunny qw(private_stack stack api register_user login_user log_text);
use Bunny::Load;
use Bunny::Stream;

private_stack('nginx-reload', settings => { chat_messages_per_second => 1000 });

my ($A, $B) = map { my $u = register_user(prefix => "nr$_"); $u->{c} = login_user($u); $u } qw(a b);
$A->{c}->request(POST => "/api/profiles/$A->{id}/outgoing_friend_requests/$B->{id}");
$B->{c}->request(POST => "/api/profiles/$B->{id}/friends/$A->{id}");
my ($chat) = map { $_->{chatGroupId} }
    @{ $A->{c}->request(GET => "/api/profiles/$A->{id}/private_chats")->{body} // [] };
ok($chat, 'A and B have a private chat');

# A tab: a WebSocket client that, whenever its stream ends, connects again
# with the id of the last message it saw.
sub open_tab {
	my ($tab) = @_;
	my $ws = Bunny::Stream::ws_start(token => $A->{c}->token, count => 1000, timeout => 60000,
	    types => ['chat_message'], ($tab->{last_id} ? (last_event_id => $tab->{last_id}) : ()));
	$tab->{ws} = $ws;
	$tab->{opens}++;
	push @{ $tab->{status} }, $ws->{first} // 'nothing';
	return $tab;
}

# Read what the tab printed for SECONDS; reconnect when its stream ended.
sub pump {
	my ($tabs, $seconds) = @_;
	my $deadline = time + $seconds;
	while (time < $deadline) {
		my $sel = IO::Select->new(map { $_->{ws}{fh} } @$tabs);
		for my $fh ($sel->can_read(0.2)) {
			my ($tab) = grep { $_->{ws}{fh} == $fh } @$tabs;
			my $line = readline $fh;
			if (!defined $line || $line =~ /^#/) {
				chomp $line if defined $line;
				push @{ $tab->{status} }, $line // 'eof';
				close $fh;
				open_tab($tab);
				next;
			}
			my $m = JSON::PP::decode_json($line);
			push @{ $tab->{got} }, $m;
			$tab->{last_id} = $m->{id};
		}
	}
}

my @tabs = map { open_tab({ name => $_, got => [] }) } 1 .. 2;
is_deeply([ map { $_->{status}[0] } @tabs ], [ '# open', '# open' ], 'two tabs subscribe');

my $sender = Bunny::Load::start(1, sub {
	my ($child, $call) = @_;
	my $r = $B->{c}->request(POST => "/api/chat/$chat/messages", { content => "m$call" });
	return { status => $r->{status}, content => "m$call" };
}, pause => 0.05);

my $nginx = do { open my $fh, '<', stack()->{BB_DIR} . '/pids/nginx.pid' or die $!; <$fh> };
chomp $nginx;
pump(\@tabs, 1.5);
for my $round (1 .. 2) {
	ok(kill('HUP', $nginx), "nginx reload $round");
	pump(\@tabs, 3);
	is(api(GET => '/api/health/ready')->{status}, 200, "nginx serves after reload $round");
}
my @sent = $sender->stop;
pump(\@tabs, 2);

my @confirmed = map { $_->{content} } grep { $_->{status} == 201 } @sent;
is(scalar(@confirmed), scalar(@sent), scalar(@sent) . ' messages sent, all confirmed');
for my $tab (@tabs) {
	my @contents = map { $_->{event}{data}{content} } @{ $tab->{got} };
	is_deeply(\@contents, \@confirmed, "tab $tab->{name} got every message once, in order")
	    or diag explain { got => \@contents, status => $tab->{status} };
	my @seq = map { $_->{event}{seq} } @{ $tab->{got} };
	is(scalar(grep { $seq[$_] != $seq[$_ - 1] + 1 } 1 .. $#seq), 0, "tab $tab->{name} saw no gap in seq");
	cmp_ok($tab->{opens}, '>=', 3, "tab $tab->{name} reconnected after each reload")
	    or diag("tab $tab->{name}: @{ $tab->{status} }");
	kill 'TERM', $tab->{ws}{pid};
	close $tab->{ws}{fh};
}
ok(kill(0, $nginx), 'the nginx master kept running');
unlike(log_text('nginx-error'), qr/exited on signal/, 'no nginx worker crashed');

done_testing();
