#!/usr/bin/perl
# A worker killed with SIGKILL while it serves a request: that request
# gets nginx's answer for a failed upstream (a 502, which the site turns
# into its JSON 503 Unavailable), requests served by the other workers
# meanwhile succeed, and the master replaces the worker.  To hold a request
# in flight without a debug route, PostgreSQL is paused (SIGSTOP) so the
# request waits on it; the worker serving it is the one not waiting in
# accept().  On a stack of its own, with two workers.
use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep time);
use Bunny qw(private_stack api register_user login_user service
    worker_pids master_pid wait_until log_text);
use Bunny::Load;

# The syscall a process is blocked in: an idle worker waits in ppoll()
# for the next connection, while a busy one waiting for PostgreSQL is in
# poll().  Where the C library makes poll() of ppoll(), the two look alike.
my %accept = (x86_64 => [ 271 ]);
my $arch = (POSIX::uname())[4];
plan skip_all => "idle and busy workers look alike on $arch" unless $accept{$arch};

private_stack('worker-kill', workers => 2);
my $u = register_user(prefix => 'wk');
my $c = login_user($u);
is($c->request(GET => '/api/feed')->{status}, 200, 'the feed answers');

my $master = master_pid();
my @before = worker_pids($master);
is(scalar @before, 2, 'two workers');

# The syscall a process is blocked in.
sub syscall_of {
	open my $fh, '<', "/proc/$_[0]/syscall" or return '';
	my $line = <$fh> // '';
	return (split ' ', $line)[0] // '';
}
sub idle { my $n = syscall_of($_[0]); grep { $_ eq $n } @{ $accept{$arch} } }
ok(wait_until(10, sub { (grep { idle($_) } @before) == 2 }), 'both workers wait for requests');

service(pause => 'postgres');
pipe(my $rd, my $wr) or die $!;
my $kid = fork // die "fork: $!";
if ($kid == 0) {
	close $rd;
	my $t0 = time;
	my $r = $c->request(GET => '/api/feed');
	printf {$wr} "%s %.2f %s\n", $r->{status}, time - $t0, $r->{body}{error}{code} // '-';
	close $wr;
	POSIX::_exit(0);
}
close $wr;
my $busy;
ok(wait_until(20, sub { ($busy) = grep { !idle($_) } @before; $busy }),
    'one worker is busy with the request');

# Requests the other worker serves while the first one dies.
my $health = Bunny::Load::start(2, sub {
	my $r = api(GET => '/api/health');
	return { status => $r->{status} };
});
ok($health->wait_calls(3, 20), 'the other worker answers meanwhile');
ok(kill('KILL', $busy), "worker $busy killed in the middle of the request");
my $answer = <$rd>;
waitpid($kid, 0);
my ($status, $seconds, $code) = split ' ', $answer // '';
is($status, 503, 'the request in flight gets the site\'s 503');
is($code, 'Unavailable', 'in the error shape');
ok(wait_until(10, sub { worker_pids($master) == 2 && !grep { $_ == $busy } worker_pids($master) }),
    'the pool is back to two workers');
ok($health->wait_calls(3, 20), 'health requests go on');
service(resume => 'postgres');
my @health = $health->stop;
is(scalar(grep { $_->{status} != 200 } @health), 0,
    'all ' . scalar(@health) . ' other requests during the kill were 200');

my $ok = 0;
$ok += $c->request(GET => '/api/feed')->{status} == 200 for 1 .. 10;
is($ok, 10, 'the feed answers again, on every worker');
like(log_text('nginx-error'), qr/upstream prematurely closed|recv\(\) failed .*Connection reset/,
    'nginx logs the upstream that went away');
like(log_text('bunnybookd'), qr/worker was killed by signal 9/, 'the master logs the kill');
my @lines = grep { m{"GET /api/feed } } split /\n/, log_text('nginx-access');
is(scalar(grep { !/" 200 / } @lines), 1, 'exactly one request failed');

done_testing();

