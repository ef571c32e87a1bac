package Bunny::Load;

# Concurrent clients for the fault tests.  start() forks child processes
# that each call a function in a loop and write one JSON line per call
# (what it returned, plus when it started and how long it took) to a file
# of their own; stop() ends the loops and returns every line.  A child
# also stops when its parent is gone or after max_seconds, so a test that
# dies never leaves clients behind.

use strict;
use warnings;
use File::Temp ();
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);

# start(N, CODE, max_seconds => S, pause => S): CODE->(CHILD, CALL)
# returns a hash ref, for example {what => 'post', status => 201, id => ...};
# each child sleeps pause seconds (0.02 by default) between calls.
sub start {
	my ($n, $code, %opt) = @_;
	my $dir = File::Temp::tempdir(CLEANUP => 1);
	my $parent = $$;
	my $max = $opt{max_seconds} // 120;
	my $pause = $opt{pause} // 0.02;
	my @pids;
	for my $child (1 .. $n) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			my $end = time + $max;
			open my $out, '>', "$dir/$child" or POSIX::_exit(1);
			$out->autoflush(1);
			my $call = 0;
			while (!-e "$dir/stop" && getppid() == $parent && time < $end) {
				my $t0 = time;
				my $r = eval { $code->($child, ++$call) }
				    // { what => 'died', status => 0, error => "$@" };
				$r->{child} = $child;
				$r->{started} = $t0;
				$r->{seconds} = time - $t0;
				print {$out} encode_json($r), "\n";
				sleep $pause;
			}
			close $out;
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	return bless { dir => $dir, pids => \@pids, n => $n, owner => $$ }, __PACKAGE__;
}

# Every line written so far.
sub results {
	my ($self) = @_;
	my @all;
	for my $child (1 .. $self->{n}) {
		open my $fh, '<', "$self->{dir}/$child" or next;
		while (my $line = <$fh>) {
			# A line being written has no newline yet.
			next unless $line =~ /\n\z/;
			push @all, decode_json($line);
		}
		close $fh;
	}
	return @all;
}

# Wait until every child has finished N more calls; true when they did
# within SECONDS.
sub wait_calls {
	my ($self, $n, $seconds) = @_;
	my %base;
	$base{ $_->{child} }++ for $self->results;
	my $deadline = time + $seconds;
	while (time < $deadline) {
		my %now;
		$now{ $_->{child} }++ for $self->results;
		return 1 unless grep { ($now{$_} // 0) < ($base{$_} // 0) + $n } 1 .. $self->{n};
		sleep 0.1;
	}
	return 0;
}

sub stop {
	my ($self) = @_;
	open my $fh, '>', "$self->{dir}/stop" or die "$self->{dir}/stop: $!";
	close $fh;
	waitpid($_, 0) for @{ $self->{pids} };
	$self->{pids} = [];
	return $self->results;
}

sub DESTROY {
	my ($self) = @_;
	$self->stop if $$ == $self->{owner} && @{ $self->{pids} // [] };
}

1;
