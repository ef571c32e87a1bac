#!/usr/bin/perl
# The web client in a real browser: t/js/web-client-test.js drives Debian's
# Chromium through Playwright against this stack and prints one JSON line
# per check.  Access tokens last 60 s here (the shortest the server
# accepts), so the client's scheduled refresh happens during the run.
# Screenshots of the main screens go to t/screenshots/ (or
# $BB_SCREENSHOT_DIR) for a person to look at.
use strict;
use warnings;
use Test::More;
use FindBin;
use Bunny qw(stack service json);

my $s = stack();
my $chromium = $ENV{BB_CHROMIUM} // '/usr/bin/chromium';
plan skip_all => "$chromium is missing (Debian package chromium)" unless -x $chromium;
my $js = "$FindBin::Bin/js";
plan skip_all => 'playwright-core is not installed in t/js (./bunnybook test installs it)'
    unless -d "$js/node_modules/playwright-core";

$ENV{BUNNYBOOK_ACCESS_TOKEN_TTL_S} = 60;
service(restart => 'bunnybookd');

my $shots = $ENV{BB_SCREENSHOT_DIR} // "$FindBin::Bin/screenshots";
open my $run, '-|', 'node', "$js/web-client-test.js", $s->{BB_URL}, $shots
    or die "cannot run node: $!";
my $checks = 0;
while (my $line = <$run>) {
	chomp $line;
	my $result = eval { json()->decode($line) };
	unless ($result) {
		diag("browser test: $line");
		next;
	}
	$checks++;
	ok($result->{ok}, $result->{name}) or diag($result->{diag} // '');
}
close $run;
is($?, 0, 'browser test script exits 0');
ok($checks >= 20, "browser test ran its checks ($checks)");

delete $ENV{BUNNYBOOK_ACCESS_TOKEN_TTL_S};
service(restart => 'bunnybookd');
done_testing();
