#!/usr/bin/perl
# nginx restarted twice while tabs are subscribed and a friend keeps
# sending chat messages: each tab whose stream ends reconnects with the id
# of the last message it saw.  Messages stored while nginx was down could
# not be published, and the tab sees exactly those as a gap in seq, which
# is what makes a client read the history over REST; the history has
# every stored message.  On a stack of its own.
#
# Then nginx is reloaded twice the way docs/deploy.md tells operators
# to (a new master takes over, the old one quits): the old workers close
# their streams and the tabs resume on the new workers.  nginx runs with
# the memory it frees filled with garbage, so that a reload that leaves
# the master using freed memory (what a SIGHUP does on nchan 1.3.6 with
# Redis) crashes its workers every time rather than once in a while.
use strict;
use warnings;
use Test::More;
use IO::Select;
use JSON::PP ();
use Time::HiRes qw(sleep time);
use Bunny qw(private_stack api register_user login_user log_text service);
use Bunny::Load;
use Bunny::Stream;

$ENV{BB_NGINX_MALLOC_PERTURB} = 165;
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

pump(\@tabs, 1.5);
for my $round (1 .. 2) {
	service(restart => 'nginx');
	is(api(GET => '/api/health/ready')->{status}, 200, "nginx serves after restart $round");
	pump(\@tabs, 3);
}
my %opens_before = map { $_->{name} => $_->{opens} } @tabs;
for my $round (1 .. 2) {
	service(reload => 'nginx');
	pump(\@tabs, 4);
	is(api(GET => '/api/health/ready')->{status}, 200, "nginx serves after reload $round");
}
my @sent = $sender->stop;
pump(\@tabs, 2);

my @confirmed = map { $_->{content} } grep { $_->{status} == 201 } @sent;
cmp_ok(scalar(@confirmed), '>=', 20, scalar(@confirmed) . ' of ' . scalar(@sent) . ' messages confirmed');
my %position;
@position{@confirmed} = 0 .. $#confirmed;

# The history over REST, oldest first.
my (@history, $older);
while (1) {
	my $page = $A->{c}->request(GET => "/api/chat/$chat/messages?limit=50"
	    . ($older ? "&older_than=$older->{createdAt}&older_than_id=$older->{id}" : ''))->{body};
	last unless $page && @$page;
	unshift @history, reverse map { $_->{content} } @$page;
	$older = $page->[-1];
	last if @$page < 50;
}
my %stored = map { $_ => 1 } @history;
is(scalar(grep { !$stored{$_} } @confirmed), 0, 'the history has every confirmed message');

for my $tab (@tabs) {
	my @got = @{ $tab->{got} };
	my @contents = map { $_->{event}{data}{content} } @got;
	my %once;
	is(scalar(grep { $once{$_}++ } @contents), 0, "tab $tab->{name} got no message twice");
	is(scalar(grep { !defined $position{$_} } @contents), 0, "tab $tab->{name} got only confirmed messages");
	# Between two messages the tab got, the confirmed ones it missed are
	# exactly the seq values it did not see.
	my @unexplained = grep {
		my ($p, $q) = @got[$_ - 1, $_];
		$position{ $q->{event}{data}{content} } - $position{ $p->{event}{data}{content} }
		    != $q->{event}{seq} - $p->{event}{seq};
	} 1 .. $#got;
	is(scalar(@unexplained), 0, "tab $tab->{name}: every missed message shows as a gap in seq")
	    or diag explain { contents => \@contents, status => $tab->{status} };
	cmp_ok(scalar(@contents), '>=', scalar(@confirmed) / 2, "tab $tab->{name} got most messages live");
	cmp_ok($opens_before{ $tab->{name} }, '>=', 3, "tab $tab->{name} reconnected after each restart")
	    or diag("tab $tab->{name}: @{ $tab->{status} }");
	cmp_ok($tab->{opens} - $opens_before{ $tab->{name} }, '>=', 2, "tab $tab->{name} reconnected after each reload")
	    or diag("tab $tab->{name}: @{ $tab->{status} }");
	kill 'TERM', $tab->{ws}{pid};
	close $tab->{ws}{fh};
}
unlike(log_text('nginx-error'), qr/exited on signal/, 'no nginx worker crashed');

done_testing();
