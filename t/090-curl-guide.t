#!/usr/bin/perl
# docs/curl.md works as written: every ```sh block runs, in order, in one
# bash process against the test stack (only the base URL is replaced).
# Each block must exit 0 and print no error body; a command whose line
# ends in "# NNN" must print that status code; and the event stream block
# must have received an event.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use JSON::PP ();
use Bunny qw(stack);

my $s = stack();
my $guide = "$s->{BB_ROOT}/docs/curl.md";
open my $fh, '<', $guide or die "cannot read $guide: $!";
my $text = do { local $/; <$fh> };
close $fh;

my @blocks = $text =~ /^```sh\n(.*?)^```$/msg;
ok(@blocks >= 10, 'the guide has command blocks: ' . scalar @blocks);
ok(!system('sh', '-c', 'command -v jq >/dev/null'), 'jq is installed');
like($blocks[0], qr{^BASE=http://127\.0\.0\.1:8080$}m, 'the first block sets BASE');

# One script: each block between markers, followed by its exit status.
my $script = "set -u\n";
for my $i (0 .. $#blocks) {
	(my $block = $blocks[$i]) =~ s{http://127\.0\.0\.1:8080}{$s->{BB_URL}}g;
	# The end marker starts a line even after output without a newline.
	$script .= "echo '\@\@begin $i'\n{\n$block\n} 2>&1\n"
	    . "printf '\\n\@\@end $i %s\\n' \$?\n";
}
my $dir = tempdir(CLEANUP => 1);
open my $out, '>', "$dir/guide.sh" or die $!;
print {$out} $script;
close $out;
my $output = `cd $dir && bash guide.sh 2>&1`;
# BB_GUIDE_OUTPUT=1 shows what the guide printed, to compare with its text.
diag($output) if $ENV{BB_GUIDE_OUTPUT};

my %block_output;
while ($output =~ /^\@\@begin (\d+)\n(.*?)^\@\@end \1 (\d+)$/msg) {
	$block_output{$1} = { text => $2, status => $3 };
}
for my $i (0 .. $#blocks) {
	my ($first) = $blocks[$i] =~ /^(.*)$/m;
	my $name = "block " . ($i + 1) . " ($first)";
	my $result = $block_output{$i};
	ok($result, "$name ran") or next;
	is($result->{status}, 0, "$name exits 0") or diag($result->{text});
	unlike($result->{text}, qr/"error":\s*\{/, "$name prints no error body")
	    or diag($result->{text});
	my @expected = $blocks[$i] =~ /#\s*(\d{3})$/mg;
	my @printed = $result->{text} =~ /^(\d{3})$/mg;
	is_deeply(\@printed, \@expected, "$name prints the status codes it shows")
	    if @expected;
}

# The stream block saved what it received.
my $events = '';
if (open my $ev, '<', "$dir/alice-events.txt") {
	$events = do { local $/; <$ev> };
	close $ev;
}
my @data = $events =~ /^data: ?(.*)$/mg;
ok(@data, 'the stream received at least one event');
my @types = map { (eval { JSON::PP::decode_json($_) } // {})->{type} // '' } @data;
ok(grep({ $_ eq 'notification' } @types), "a notification event among them: @types");

done_testing();
