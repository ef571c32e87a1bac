#!/usr/bin/perl
# Builds the libFuzzer harnesses in fuzz/ with clang, ASan and UBSan, then
# runs each for a bounded time (BB_FUZZ_SECONDS, default 20) starting from
# its committed corpus, which holds the regression inputs of earlier
# finds.  Any crash, leak, sanitizer report or broken property fails the
# test and names the saved input.  Needs no running stack.
# bench/fuzz.sh TARGET SECONDS runs one harness for longer.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use FindBin;

my $root = "$FindBin::Bin/..";
my $seconds = $ENV{BB_FUZZ_SECONDS} || 20;
# Inside ./bunnybook test's directory, which BB_KEEP=1 keeps, so that a
# saved input outlives the run; otherwise a directory of its own.
my $work = $ENV{BB_TMP}
    ? tempdir('fuzz.XXXXXX', DIR => $ENV{BB_TMP})
    : tempdir('bunnybook-fuzz.XXXXXX', TMPDIR => 1, CLEANUP => 1);

plan skip_all => 'clang is not installed (./bunnybook test installs it)'
    unless system('command -v clang >/dev/null 2>&1') == 0;

my $log = `'$root/fuzz/build.sh' '$work/bin' 2>&1`;
is($? >> 8, 0, 'fuzz/build.sh builds every harness') or do {
	diag($log);
	done_testing();
	exit;
};

sub tail_lines {
	my ($path, $n) = @_;
	open my $fh, '<', $path or return "cannot read $path: $!";
	my @lines = <$fh>;
	return join '', @lines[($#lines >= $n ? $#lines - $n + 1 : 0) .. $#lines];
}

for my $source (sort glob "$root/fuzz/*-fuzz.c") {
	my ($name) = $source =~ m{/([a-z0-9-]+)-fuzz\.c$};
	my $corpus = "$root/fuzz/corpus/$name";
	my $dict = "$root/fuzz/$name.dict";
	my $output = "$work/$name.log";

	ok(-d $corpus && glob("$corpus/*"), "$name has a seed corpus");
	mkdir "$work/new-$name" or die "cannot create $work/new-$name: $!";
	# New inputs go to the scratch directory; the committed corpus is
	# only read.
	my @command = ("$work/bin/$name-fuzz", "-max_total_time=$seconds",
	    '-timeout=10', '-rss_limit_mb=2048', '-print_final_stats=1',
	    "-artifact_prefix=$work/$name-",
	    (-f $dict ? ("-dict=$dict") : ()), "$work/new-$name", $corpus);
	my $status = system(join(' ', map { "'$_'" } @command) .
	    " >'$output' 2>&1");
	my $text = do { local (@ARGV, $/) = ($output); <> };
	my ($runs) = $text =~ /stat::number_of_executed_units:\s*(\d+)/;

	is($status >> 8, 0, "$name runs ${seconds} s without a finding")
	    or diag(tail_lines($output, 40),
		"saved inputs: ", join(' ', glob "$work/$name-*"),
		"\n(./bunnybook test keeps them with BB_KEEP=1)");
	unlike($text, qr/runtime error:|ERROR: (AddressSanitizer|LeakSanitizer)/,
	    "$name output has no sanitizer report");
	note("$name: " . ($runs // 0) . " inputs in $seconds s");
}

done_testing();
