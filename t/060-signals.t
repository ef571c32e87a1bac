#!/usr/bin/perl
# Process model of a bunnybookd of the test's own: readiness reported to
# systemd, SIGHUP replaces workers, SIGTERM lets an in-flight request
# finish and exits 0.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use Bunny qw(stack worker_pids wait_until service);
use Bunny::FastCGI;

my $s = stack();
my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
my $sock = "$dir/fcgi.sock";
my $notify_path = "$dir/notify.sock";
my $notify = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $notify_path)
    or die "notify socket: $!";

# A configuration of our own, so that the reload test can break it.
my $conf = "$dir/bunnybook.conf";
system('cp', $s->{BB_CONF}, $conf) == 0 or die;
my $master = fork // die;
if ($master == 0) {
	open STDERR, '>', "$dir/bunnybookd.log";
	$ENV{BUNNYBOOK_LISTEN} = $sock;
	$ENV{BUNNYBOOK_WORKERS} = 2;
	$ENV{BUNNYBOOK_SHUTDOWN_TIMEOUT_S} = 20;
	$ENV{NOTIFY_SOCKET} = $notify_path;
	exec $s->{BB_BIN}, '-c', $conf, 'serve';
	die "exec: $!";
}

# The master is in no pid file of the stack: stop it here also when a
# check dies or the test's alarm fires.
$SIG{$_} = sub { die "caught SIG$_[0]\n" } for qw(ALRM INT TERM);
END {
	my $status = $?;
	if ($master && waitpid($master, WNOHANG) == 0) {
		kill 'TERM', $master;
		kill 'KILL', $master
		    unless wait_until(25, sub { waitpid($master, WNOHANG) == $master });
	}
	$? = $status;
}

sub log_text { open my $fh, '<', "$dir/bunnybookd.log"; local $/; <$fh> // '' }

# Readiness notification.
my $msg = '';
my $rin = '';
vec($rin, fileno($notify), 1) = 1;
if (select(my $rout = $rin, undef, undef, 10)) {
	$notify->recv($msg, 4096);
}
like($msg, qr/^READY=1/m, 'master sends READY=1 to NOTIFY_SOCKET');

my ($status) = Bunny::FastCGI::get($sock, '/api/health');
is($status, 200, 'own instance serves requests');

# SIGHUP: new workers replace the old ones, service continues.
my @old = worker_pids($master);
is(scalar @old, 2, 'two workers as configured');
kill 'HUP', $master;
ok(wait_until(10, sub {
	my @now = worker_pids($master);
	@now == 2 && !grep { my $o = $_; grep { $_ == $o } @now } @old;
}), 'SIGHUP replaces every worker');
like(log_text(), qr/reloading the configuration/, 'reload is logged');
($status) = Bunny::FastCGI::get($sock, '/api/health');
is($status, 200, 'service continues after the reload');
if (select(my $rout = $rin, undef, undef, 5)) {
	$notify->recv($msg, 4096);
}
like($msg, qr/READY=1|RELOADING=1/, 'reload is reported to systemd');

# A worker told to stop while it holds a connection whose request has not
# fully arrived still serves it: libfcgi reads the request's parameters
# inside its accept call, so the stop must wait until that returns.
my @holding = worker_pids($master);
my $begun = Bunny::FastCGI::begin($sock);
ok($begun, 'a request is begun and its parameters held back');
sleep 0.3;
kill 'HUP', $master;
sleep 0.5;
my $late = Bunny::FastCGI::finish($begun, {
	REQUEST_METHOD => 'GET', REQUEST_URI => '/api/health',
	QUERY_STRING => '', SERVER_PROTOCOL => 'HTTP/1.1',
});
like($late // '', qr/^Status: 200/m,
    'the request begun before the reload is answered');
ok(wait_until(10, sub {
	my @now = worker_pids($master);
	@now == 2 && !grep { my $o = $_; grep { $_ == $o } @now } @holding;
}), 'the reload still replaces every worker')
    or diag("workers before: @holding; now: @{[ worker_pids($master) ]}\n"
	. log_text());

# A reload with a configuration that would not start is refused.
my @before_bad = worker_pids($master);
open my $cf, '>>', $conf or die;
print {$cf} "jwt_key = short\n";
close $cf;
kill 'HUP', $master;
ok(wait_until(10, sub { log_text() =~ /reload failed, keeping the running configuration: jwt_key is too short/ }),
    'a reload with a short jwt_key is refused');
is_deeply([ worker_pids($master) ], \@before_bad, 'the workers keep running');
($status) = Bunny::FastCGI::get($sock, '/api/health');
is($status, 200, 'service continues after the refused reload');

# SIGTERM with a slow request in flight: pause PostgreSQL so that the
# readiness request blocks, stop the master, then let PostgreSQL go.
service(pause => 'postgres');
my $client = fork // die;
if ($client == 0) {
	my ($st) = Bunny::FastCGI::get($sock, '/api/health/ready');
	exit(($st // 0) == 200 ? 0 : 1);
}
sleep 0.5;
my $t0 = time;
kill 'TERM', $master;
sleep 1;
ok(kill(0, $master), 'master waits for the in-flight request');
ok(!defined Bunny::FastCGI::get($sock, '/api/health'), 'no new requests are accepted');
service(resume => 'postgres');
waitpid($client, 0);
is($? >> 8, 0, 'in-flight request finished with 200');
my $done = wait_until(25, sub { waitpid($master, WNOHANG) == $master });
ok($done, 'master exits after the request finished');
is($? >> 8, 0, 'master exits with status 0');
like(log_text(), qr/stopped/, 'stop is logged');

done_testing();
