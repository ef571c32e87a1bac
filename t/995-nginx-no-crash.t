#!/usr/bin/perl
# Runs last: reads the error log of every nginx that the suite started
# (the shared stack's and those of the tests' own stacks) and fails on a
# worker that died of a signal other than SIGKILL, or on an assertion.
# Tests send SIGKILL to nginx processes on purpose (host A in t/440), so
# signal 9 is allowed; a crash in nchan shows as signal 11 (SIGSEGV) or 6
# (SIGABRT, after a failed assertion).
use strict;
use warnings;
use File::Find;
use Test::More;
use Bunny qw(stack);

my $dir = $ENV{BB_TMP} // stack()->{BB_DIR};
my @logs;
find(sub { push @logs, $File::Find::name if /^nginx.*error.*\.log$/ && -f }, $dir);
ok(@logs >= 1, 'the suite left nginx error logs: ' . scalar @logs);

for my $log (sort @logs) {
	open my $fh, '<', $log or do { fail("cannot read $log: $!"); next };
	my @crashes;
	while (my $line = <$fh>) {
		push @crashes, $line
		    if ($line =~ /exited on signal (\d+)/ && $1 != 9)
		    || $line =~ /Assertion .* failed/;
	}
	close $fh;
	(my $name = $log) =~ s{^\Q$dir\E/?}{};
	is(scalar @crashes, 0, "no nginx worker crashed ($name)")
	    or diag(join '', @crashes[0 .. ($#crashes < 4 ? $#crashes : 4)]);
}

done_testing();
