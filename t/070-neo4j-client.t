#!/usr/bin/perl
# The Neo4j HTTP client (src/neo4j_http.c) against a real Neo4j 3.1.1:
# tools/neo4j.sh installs and starts one with a password in a temporary
# directory, the C program t/neo4j-live-check runs its checks (statements,
# parameters, errors, a wrong password, a closed port), and the server is
# stopped by its pid, also when a check fails or the test is interrupted.
# Needs no BB_STACK.
use strict;
use warnings;
use File::Path qw(remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use FindBin;
use Test::More;
use Time::HiRes qw(time);
# Bunny sets the per-file timeout (BB_TEST_TIMEOUT) that every test has.
use Bunny ();

my $root = File::Spec->rel2abs("$FindBin::Bin/..");
my $tool = "$root/tools/neo4j.sh";
my $check = "$root/t/neo4j-live-check";
my ($dir, $check_pid);

# Bunny's alarm and a Ctrl-C would otherwise end the test without running
# END, and leave Neo4j running.  A live check that hangs is stopped first,
# because closing its pipe waits for it.
$SIG{$_} = sub {
	kill 'TERM', $check_pid if $check_pid;
	die "caught SIG$_[0]\n";
} for qw(ALRM INT TERM);

END {
	my $status = $?;
	if (defined $dir) {
		system($tool, 'stop', $dir) == 0
		    or diag("tools/neo4j.sh stop $dir failed");
		remove_tree($dir) unless $ENV{BB_KEEP};
	}
	$? = $status;
}

sub read_env {
	my ($path) = @_;
	my %env;
	open my $fh, '<', $path or return {};
	while (<$fh>) {
		chomp;
		$env{$1} = $2 if /^(\w+)=(.*)$/;
	}
	close $fh;
	return \%env;
}

# True while PID runs.  A zombie counts as exited, because init may reap
# an orphan seconds after it exits (2-4 s seen on the test machines).
sub running {
	my ($pid) = @_;
	open my $fh, '<', "/proc/$pid/stat" or return 0;
	my $stat = <$fh> // '';
	return $stat !~ /\)\s+Z\s/;
}

# Run the live check with the server's settings and repeat each of its TAP
# results here; returns its exit status.
sub run_live_check {
	my ($env, $log) = @_;
	local @ENV{qw(NEO4J_URL NEO4J_USER NEO4J_PASSWORD)} =
	    @$env{qw(NEO4J_URL NEO4J_USER NEO4J_PASSWORD)};
	my ($planned, $seen) = (undef, 0);

	# Its log lines go to $log, shown only when it fails.
	open my $saved_stderr, '>&', \*STDERR or die "cannot dup STDERR: $!";
	open STDERR, '>', $log or die "cannot write $log: $!";
	$check_pid = open my $fh, '-|', $check;
	open STDERR, '>&', $saved_stderr or die "cannot restore STDERR: $!";
	return fail("cannot run $check: $!") unless $check_pid;

	while (my $line = <$fh>) {
		chomp $line;
		if ($line =~ /^(not )?ok \d+ - (.*)$/) {
			ok(!$1, $2);
			$seen++;
		} elsif ($line =~ /^1\.\.(\d+)$/) {
			$planned = $1;
		} elsif ($line =~ /^#\s?(.*)$/) {
			note($1);
		} else {
			fail("live check output: $line");
		}
	}
	close $fh;
	my $status = $? >> 8;
	undef $check_pid;
	is($seen, $planned, 'live check ran every check it planned');
	return $status;
}

ok(-x $check, 't/neo4j-live-check is built')
    or diag('build it with: make check-programs');

my $start = time;
is(system($tool, 'install'), 0, 'tools/neo4j.sh install succeeds');
note(sprintf 'install took %.1f s', time - $start);

$dir = tempdir('neo4j-XXXXXX', DIR => $ENV{BB_TMP} // File::Spec->tmpdir);
my @alphabet = ('a' .. 'z', 'A' .. 'Z', 0 .. 9);
my $password = join '', map { $alphabet[rand @alphabet] } 1 .. 24;

$start = time;
is(system($tool, 'start', $dir, $password), 0,
    'tools/neo4j.sh start succeeds');
note(sprintf 'start took %.1f s', time - $start);
my $env = read_env("$dir/neo4j.env");
like($env->{NEO4J_URL} // '', qr{^http://127\.0\.0\.1:\d+$},
    'neo4j.env names a loopback URL');
is($env->{NEO4J_USER}, 'neo4j', 'neo4j.env names user neo4j');
is($env->{NEO4J_PASSWORD}, $password, 'neo4j.env holds the password');
like($env->{NEO4J_PID} // '', qr/^\d+$/, 'neo4j.env holds the pid');

SKIP: {
	skip 'Neo4j did not start or the live check is not built', 4
	    unless -x $check && $env->{NEO4J_URL} && $env->{NEO4J_PID};
	my $log = "$dir/live-check.log";
	my $status;
	subtest 'live check against Neo4j' => sub {
		$status = run_live_check($env, $log);
	};
	is($status, 0, 'live check exits 0') or do {
		diag("stderr of the live check ($log):");
		if (open my $fh, '<', $log) {
			diag($_) while <$fh>;
		}
	};

	is(system($tool, 'stop', $dir), 0, 'tools/neo4j.sh stop succeeds');
	ok(!running($env->{NEO4J_PID}), 'Neo4j has exited after stop');
}

done_testing();
