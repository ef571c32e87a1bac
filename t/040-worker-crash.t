#!/usr/bin/perl
# A worker killed by a signal is logged with that signal and replaced, and
# the pool keeps serving.
use strict;
use warnings;
use Test::More;
use Bunny qw(api worker_pids master_pid wait_until log_text);

my $master = master_pid();
ok($master && kill(0, $master), 'master is running');
my @before = worker_pids($master);
ok(@before >= 2, 'master has workers: ' . scalar @before);

my $victim = $before[0];
kill 'KILL', $victim;
ok(wait_until(10, sub { !grep { $_ == $victim } worker_pids($master) }),
    'killed worker is gone');
ok(wait_until(10, sub { worker_pids($master) == @before }),
    'pool is back to its size');
my @after = worker_pids($master);
ok(!grep({ $_ == $victim } @after), 'a new process took its place');

like(log_text('bunnybookd'), qr/killed by signal 9 \(Killed\)/,
    'master logs the signal that killed the worker');

my $ok = 0;
$ok += api(GET => '/api/health')->{status} == 200 for 1 .. 20;
is($ok, 20, 'every following request is served');

# A worker that keeps crashing is restarted with a growing delay.  The
# newest worker is the one whose pid was not there before (pids wrap, so
# the highest is not always the newest).
my ($newest) = grep { my $p = $_; !grep { $_ == $p } @before } @after;
for (1 .. 4) {
	my @old = worker_pids($master);
	kill 'KILL', $newest;
	my $victim_now = $newest;
	wait_until(10, sub {
		my @now = worker_pids($master);
		@now == @before && !grep { $_ == $victim_now } @now;
	});
	my @now = worker_pids($master);
	($newest) = grep { my $p = $_; !grep { $_ == $p } @old } @now;
	last unless defined $newest;
}
like(log_text('bunnybookd'), qr/restarting it in (?:[2-9]\d\d|\d{4,}) ms/,
    'repeated early crashes back off');
ok(wait_until(10, sub { worker_pids($master) == @before }), 'pool heals after a crash loop');
is(api(GET => '/api/health/ready')->{status}, 200, 'stack is ready afterwards');

done_testing();
