#!/usr/bin/perl
# Statements of hot paths run prepared (src/db.c): the C program
# t/db-live-check checks them on the stack's PostgreSQL, including a
# statement the server forgot, one whose columns a migration changed, a
# lost connection and more statements than a connection keeps prepared.
use strict;
use warnings;
use FindBin;
# Bunny sets the per-file timeout (BB_TEST_TIMEOUT), which exec keeps.
use Bunny qw(stack);

my $s = stack();
$ENV{DATABASE_URL} =
    "postgresql://bunnybook\@127.0.0.1:$s->{BB_PG_PORT}/bunnybook";
exec "$FindBin::Bin/db-live-check" or die "t/db-live-check: $!\n";
