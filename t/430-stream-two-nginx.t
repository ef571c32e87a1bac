#!/usr/bin/perl
# Two nginx instances sharing nchan's Redis: an event published through
# one reaches a subscriber of the other, both ways, so a client may
# connect to any host.  The second nginx runs the stack's own site with
# another port and publisher socket, in a directory of its own.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep);
use Bunny qw(stack register_user login_user);
use Bunny::Stream;

my $s = stack();
my $dir = ($ENV{BB_TMP} // "$s->{BB_DIR}/..") . "/nginx-second";
mkdir $dir;
mkdir "$dir/temp";
my $port = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)->sockport;
my $socket = "$dir/publisher.sock";

# The stack's configuration with this instance's port, paths and socket.
sub rewrite {
	my ($from, $to) = @_;
	open my $in, '<', $from or die "$from: $!";
	local $/;
	my $text = <$in>;
	$text =~ s{\Q$s->{BB_DIR}/run/nchan-publisher.sock\E}{$socket}g;
	$text =~ s{\Q$s->{BB_DIR}/nginx/\E}{$dir/}g;
	$text =~ s{\Q$s->{BB_DIR}/logs/nginx-\E}{$dir/nginx-}g;
	$text =~ s{127\.0\.0\.1:$s->{BB_PORT}\b}{127.0.0.1:$port}g;
	open my $out, '>', $to or die "$to: $!";
	print {$out} $text;
}
rewrite("$s->{BB_DIR}/nginx/nginx.conf", "$dir/nginx.conf");
rewrite("$s->{BB_DIR}/nginx/bunnybook.conf", "$dir/bunnybook.conf");

my $pid = fork // die "fork: $!";
if ($pid == 0) {
	open STDOUT, '>>', "$dir/nginx.log";
	open STDERR, '>&', \*STDOUT;
	exec 'nginx', '-p', $dir, '-c', "$dir/nginx.conf", '-g', 'daemon off;';
	die "nginx: $!";
}
END { if ($pid) { kill 'TERM', $pid; waitpid($pid, 0) } }
my $up;
for (1 .. 100) {
	last if $up = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
	sleep 0.1;
}
ok($up, 'the second nginx listens') or BAIL_OUT('no second nginx: see ' . "$dir/nginx-error.log");
my $second = "http://127.0.0.1:$port";

my ($A, $B) = map { my $u = register_user(prefix => "twin$_"); $u->{c} = login_user($u); $u } qw(a b);

# bunnybookd publishes through the first nginx; B listens on the second.
my $w = Bunny::Stream::ws_start(base => $second, token => $B->{c}->token, types => ['friend_request']);
is($w->{first}, '# open', 'B subscribes through the second nginx');
is($A->{c}->request(POST => "/api/profiles/$A->{id}/outgoing_friend_requests/$B->{id}")->{status}, 201,
    'A sends a request through the first');
my ($events) = Bunny::Stream::ws_wait($w);
is($events->[0]{event}{data}{profileId}, $A->{id}, 'B receives it on the second nginx');

# Publishing through the second nginx's own socket reaches the first.
$w = Bunny::Stream::ws_start(token => $A->{c}->token, types => ['probe']);
is($w->{first}, '# open', 'A subscribes through the first nginx');
my $status = `curl -s -o /dev/null -w '%{http_code}' --unix-socket $socket -H 'Content-Type: application/json' --data '{"type":"probe","seq":0,"data":{}}' http://localhost/pub/u/$A->{id}`;
like($status, qr/^20[012]$/, 'an event is published through the second nginx');
($events) = Bunny::Stream::ws_wait($w);
is($events->[0]{event}{type}, 'probe', 'A receives it on the first');

done_testing();
