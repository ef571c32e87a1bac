#!/usr/bin/perl
# Two app hosts on one machine.  Host B is the stack's own nginx and
# bunnybookd; host A is a second nginx with nchan and a second bunnybookd
# pool that this file starts, each with its own port and sockets, sharing
# the stack's PostgreSQL and both Redis instances.  As in production, each
# bunnybookd publishes through its own host's nginx.  Checked: a chat
# message sent through A reaches a subscriber on B, presence reads the same
# on both, a client that moves from A to B resumes its stream without a
# gap, and killing every process of host A loses no confirmed write.
use strict;
use warnings;
use Test::More;
use IO::Handle;
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);
use Bunny qw(stack register_user login_user new_client unique_name worker_pids wait_until);
use Bunny::Stream;

my $s = stack();
my $dir = ($ENV{BB_TMP} // "$s->{BB_DIR}/..") . '/host-a';
mkdir $dir;
mkdir "$dir/temp";
my $port = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)->sockport;
my $fcgi = "$dir/bunnybookd.sock";
my $publisher = "$dir/publisher.sock";
my ($HOST_A, $HOST_B) = ("http://127.0.0.1:$port", $s->{BB_URL});

# The stack's files with host A's port, paths and sockets.
sub rewrite {
	my ($from, $to, $is_nginx) = @_;
	open my $in, '<', $from or die "$from: $!";
	local $/;
	my $text = <$in>;
	$text =~ s{\Q$s->{BB_DIR}/run/nchan-publisher.sock\E}{$publisher}g;
	$text =~ s{\Q$s->{BB_DIR}/run/bunnybookd.sock\E}{$fcgi}g;
	$text =~ s{\Q$s->{BB_DIR}/nginx/bunnybook.conf\E}{$dir/site.conf}g;
	$text =~ s{\Q$s->{BB_DIR}/nginx/\E}{$dir/}g;
	$text =~ s{\Q$s->{BB_DIR}/logs/nginx-\E}{$dir/nginx-}g;
	# Both hosts serve one site, so bunnybookd keeps its site_origin.
	$text =~ s{127\.0\.0\.1:$s->{BB_PORT}\b}{127.0.0.1:$port}g if $is_nginx;
	$text =~ s{^workers = .*$}{workers = 2}m;
	open my $out, '>', $to or die "$to: $!";
	chmod 0600, $to;
	print {$out} $text;
}
rewrite("$s->{BB_DIR}/nginx/nginx.conf", "$dir/nginx.conf", 1);
rewrite("$s->{BB_DIR}/nginx/bunnybook.conf", "$dir/site.conf", 1);
rewrite("$s->{BB_DIR}/bunnybook.conf", "$dir/bunnybook.conf", 0);

my $parent = $$;
my ($nginx, $bunnybookd, @streams);

# Stop whatever of host A still runs, by pid, also when a test failed.
END {
	local $?;
	if ($$ == $parent) {
		for my $pid (grep { $_ } $nginx, $bunnybookd) {
			my @children = worker_pids($pid);
			kill 'TERM', $pid;
			waitpid($pid, 0);
			kill 'KILL', grep { kill 0, $_ } @children;
		}
		# A stream client that ws_wait() has not read to its end.
		kill 'TERM', map { $_->{pid} } grep { defined fileno($_->{fh}) } @streams;
	}
}

# bunnybookd A: no metrics listener (the stack's master has that port)
# and room for the burst of messages below.
delete local $ENV{BUNNYBOOK_METRICS_LISTEN};
{
	local $ENV{BUNNYBOOK_CHAT_MESSAGES_PER_SECOND} = 1000;
	$bunnybookd = fork // die "fork: $!";
	if ($bunnybookd == 0) {
		open STDIN, '<', '/dev/null';
		open STDOUT, '>>', "$dir/bunnybookd.log";
		open STDERR, '>&', \*STDOUT;
		exec("$s->{BB_ROOT}/src/bunnybookd", '-c', "$dir/bunnybook.conf", 'serve')
		    or POSIX::_exit(127);
	}
}
# Without host A nothing below can pass; end this file, not the whole run.
sub give_up {
	diag(@_);
	done_testing();
	exit 1;
}

ok(wait_until(15, sub { -S $fcgi }), 'bunnybookd of host A listens')
    or give_up("no bunnybookd on host A: see $dir/bunnybookd.log");
$nginx = fork // die "fork: $!";
if ($nginx == 0) {
	open STDIN, '<', '/dev/null';
	open STDOUT, '>>', "$dir/nginx.log";
	open STDERR, '>&', \*STDOUT;
	exec('nginx', '-p', $dir, '-c', "$dir/nginx.conf", '-g', 'daemon off;')
	    or POSIX::_exit(127);
}
my $ready = wait_until(20, sub {
	new_client(base => $HOST_A)->request(GET => '/api/health/ready')->{status} == 200;
});
ok($ready, 'host A is ready: its nginx, its bunnybookd and its publisher answer')
    or give_up("host A is not ready: see $dir/");

# Events published through one nginx's publisher socket.
sub published {
	my ($socket) = @_;
	my $text = `curl -s --unix-socket $socket http://localhost/nchan_status`;
	return $text =~ /total published messages: (\d+)/ ? $1 : -1;
}

# X lives on host A, Y on host B.
my $x = { username => unique_name('hosta') };
$x->{email} = lc($x->{username}) . '@example.com';
$x->{password} = 'carrots-and-clover';
my $r = new_client(base => $HOST_A)->request(POST => '/api/register',
    { map { $_ => $x->{$_} } qw(username email password) });
is($r->{status}, 201, 'X registers through host A');
$x->{id} = $r->{body}{id};
$x->{c} = login_user($x, base => $HOST_A);
my $y = register_user(prefix => 'hostb');
$y->{c} = login_user($y);

# Every host signs with the same key, so a token works on either.
my $x_on_b = new_client(base => $HOST_B);
$x_on_b->token($x->{c}->token);
is($x_on_b->request(GET => '/api/sessions')->{status}, 200, 'a token from host A is accepted on host B');

is($x->{c}->request(POST => "/api/profiles/$x->{id}/outgoing_friend_requests/$y->{id}")->{status}, 201,
    'X sends a friend request through host A');
is($y->{c}->request(POST => "/api/profiles/$y->{id}/friends/$x->{id}")->{status}, 201,
    'Y accepts it through host B');
$r = $x->{c}->request(GET => "/api/profiles/$x->{id}/private_chats");
my $group = $r->{body}[0]{chatGroupId};
ok($group, 'their conversation exists on host A');

sub send_message {
	my ($client, $content) = @_;
	return $client->request(POST => "/api/chat/$group/messages", { content => $content });
}
sub stream {
	my ($base, $who, %opt) = @_;
	my $h = Bunny::Stream::ws_start(base => $base, token => $who->{c}->token,
	    types => ['chat_message'], timeout => 10000, %opt);
	push @streams, $h;
	return $h;
}

# -------------------------------------------------- a message across hosts
my $before = published($publisher);
my $w = stream($HOST_B, $y);
is($w->{first}, '# open', 'Y subscribes through host B');
$r = send_message($x->{c}, 'hello from host A');
is($r->{status}, 201, 'X sends a message through host A');
my ($events) = Bunny::Stream::ws_wait($w);
is($events->[0]{event}{data}{id}, $r->{body}{id}, 'Y receives it on host B');
is($events->[0]{event}{data}{content}, 'hello from host A', 'with its content');
cmp_ok(published($publisher), '>', $before, 'bunnybookd of host A published through host A\'s nginx');

# -------------------------------------------------- presence on both hosts
$w = stream($HOST_B, $y, types => ['presence']);
my $x_tab = stream($HOST_A, $x, count => 1000, timeout => 60000, types => ['none']);
is($x_tab->{first}, '# open', 'X opens a tab on host A');
($events) = Bunny::Stream::ws_wait($w);
is($events->[0]{event}{data}{profileId}, $x->{id}, 'Y on host B hears that X came online on host A');
ok($events->[0]{event}{data}{online}, 'as online');
for my $who ($x, $y) {
	my %seen;
	for my $host ($HOST_A, $HOST_B) {
		my $c = new_client(base => $host);
		$c->token($who->{c}->token);
		my $list = $c->request(GET => '/api/presence/friends')->{body};
		$seen{$host} = [ map { [ $_->{id}, $_->{online} ? 1 : 0, $_->{lastSeenAt} ] } @$list ];
	}
	is(scalar @{ $seen{$HOST_A} }, 1, "$who->{username}: one friend");
	ok($seen{$HOST_A}[0][1], "$who->{username}: the friend is online");
	is_deeply($seen{$HOST_B}, $seen{$HOST_A}, "$who->{username}: both hosts give the same presence");
}

# -------------------------------------------------- a client moves from A to B
$w = stream($HOST_A, $y);
is($w->{first}, '# open', 'Y subscribes through host A');
my $first = send_message($x_on_b, 'one')->{body};
($events) = Bunny::Stream::ws_wait($w);
is($events->[0]{event}{data}{id}, $first->{id}, 'Y on host A receives a message sent through host B');
my $last_id = $events->[0]{id};
my $last_seq = $events->[0]{event}{seq};
ok(defined $last_id, 'it carries a resume id');
# Y is away; two more messages are sent through host A.
my @missed = map { send_message($x->{c}, $_)->{body}{id} } qw(two three);
$w = stream($HOST_B, $y, count => 2, last_event_id => $last_id);
($events) = Bunny::Stream::ws_wait($w);
is_deeply([ map { $_->{event}{data}{id} } @$events ], \@missed,
    'Y resumes on host B with last_event_id and gets exactly the two it missed');
ok($events->[0]{event}{seq} > $last_seq && $events->[1]{event}{seq} > $events->[0]{event}{seq},
    'their seq numbers follow the one Y saw on host A');
# The same move by EventSource, with the Last-Event-ID header.
my ($status, $sse) = Bunny::Stream::sse_read(token => $y->{c}->token, last_event_id => $last_id,
    count => 10, timeout => 3);
is($status, 200, 'EventSource on host B with Last-Event-ID is 200');
is_deeply([ map { $_->{event}{data}{id} } grep { $_->{event}{type} eq 'chat_message' } @$sse ], \@missed,
    'it gets the same two messages');
$last_id = $events->[-1]{id};

# -------------------------------------------------- host A dies under load
# X writes through host A as fast as it can; Y reads the first five on
# host A and goes away.  Then every process of host A gets SIGKILL, as
# when the machine dies, and Y comes back on host B: what host A
# published is in the shared Redis.
my $y_on_a = stream($HOST_A, $y, count => 5, timeout => 30000);
is($y_on_a->{first}, '# open', 'Y subscribes through host A again');
pipe(my $from_writer, my $to_parent) or die "pipe: $!";
my $writer = fork // die "fork: $!";
if ($writer == 0) {
	close $from_writer;
	$to_parent->autoflush(1);
	my ($n, $failures, $deadline) = (0, 0, time + 40);
	while ($failures < 3 && time < $deadline) {
		my $r = send_message($x->{c}, 'load ' . ++$n);
		if ($r->{status} == 201) {
			print {$to_parent} "$r->{body}{id}\n";
			$failures = 0;
		} else {
			print {$to_parent} "# $r->{status}\n";
			$failures++;
			sleep 0.2;
		}
	}
	close $to_parent;
	POSIX::_exit(0);
}
close $to_parent;
my (@confirmed, @answers);
while (my $line = <$from_writer>) {
	chomp $line;
	$line =~ /^#/ ? push(@answers, $line) : push(@confirmed, $line);
	last if @confirmed >= 15;
}
my @nginx_workers = worker_pids($nginx);
my @bunnybookd_workers = worker_pids($bunnybookd);
kill 'KILL', $nginx, $bunnybookd, @nginx_workers;
waitpid($_, 0) for $nginx, $bunnybookd;
my @dead = ($nginx, @nginx_workers, $bunnybookd, @bunnybookd_workers);
($nginx, $bunnybookd) = (undef, undef);
while (my $line = <$from_writer>) {
	chomp $line;
	$line =~ /^#/ ? push(@answers, $line) : push(@confirmed, $line);
}
waitpid($writer, 0);
cmp_ok(scalar @confirmed, '>=', 15, 'host A confirmed ' . scalar(@confirmed) . ' messages before it died');
ok(@answers, 'then its writes fail: ' . join(' ', @answers[0 .. ($#answers < 2 ? $#answers : 2)]));
ok(wait_until(10, sub { !grep { kill 0, $_ } @dead }),
    'no process of host A is left (its bunnybookd workers follow their master)')
    or kill 'KILL', grep { kill 0, $_ } @dead;

my ($on_a) = Bunny::Stream::ws_wait($y_on_a);
my @seen = map { $_->{event}{data}{id} } @$on_a;
is(scalar @seen, 5, 'Y saw five of them on host A');
$last_id = $on_a->[-1]{id} if @$on_a;
my %got = map { $_ => 1 } @seen;
my $rest = grep { !$got{$_} } @confirmed;
my @on_b;
if ($rest) {
	$w = stream($HOST_B, $y, count => $rest, last_event_id => $last_id);
	my ($more) = Bunny::Stream::ws_wait($w);
	@on_b = map { $_->{event}{data}{id} } @$more;
}
my %count;
$count{$_}++ for @seen, @on_b;
is_deeply([ grep { !$count{$_} } @confirmed ], [], 'Y, resuming on host B, has every confirmed message');
is_deeply([ grep { $count{$_} > 1 } keys %count ], [], 'and none twice');

my $history = $y->{c}->request(GET => "/api/chat/$group/messages?limit=50");
is($history->{status}, 200, 'host B serves the history');
my %stored = map { $_->{id} => 1 } @{ $history->{body} };
is_deeply([ grep { !$stored{$_} } @confirmed ], [], 'every message host A confirmed is stored');
is(new_client(base => $HOST_B)->request(GET => '/api/health/ready')->{status}, 200, 'host B is still ready');
Bunny::Stream::ws_wait($x_tab);

done_testing();
