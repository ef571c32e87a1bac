#!/usr/bin/perl
# `make distcheck` builds the release tarball, then configures, builds,
# runs `make check`, installs and uninstalls it from a read-only copy of
# the sources.  It takes about half a minute on 2 cores.
use strict;
use warnings;
use Test::More;
use FindBin;
use Bunny ();

my $root = "$FindBin::Bin/..";
my $version = `sed -n 's/^PACKAGE_VERSION = //p' '$root/Makefile'`;
chomp $version;
ok($version, 'the build tree is configured');
my $tarball = "$root/bunnybook-$version.tar.gz";
my $had_tarball = -e $tarball;
my $distdir = "$root/bunnybook-$version";
my $had_distdir = -e $distdir;

my $log = `make -C '$root' distcheck 2>&1`;
is($? >> 8, 0, 'make distcheck succeeds') or diag(join "\n", grep { defined }
    (split /\n/, $log)[-40 .. -1]);
like($log, qr/archives ready for distribution/, 'distcheck made the tarball');
unlike($log, qr/^FAIL:/m, 'no unit test failed in the unpacked copy');

# The tarball is a by-product here, unless it was there before the test.
# A failed distcheck also leaves its read-only unpacked copy behind.
unlink $tarball unless $had_tarball;
system('chmod', '-R', 'u+w', $distdir) == 0 && system('rm', '-rf', $distdir)
    if -d $distdir && !$had_distdir;
done_testing();
