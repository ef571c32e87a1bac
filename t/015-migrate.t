#!/usr/bin/perl
# bunnybookd migrate: files applied in order, each once, and a failing file
# stops the run naming the file while earlier ones stay applied.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Bunny qw(stack sql);

my $s = stack();
my $bin = $s->{BB_BIN};
my $db = "migrate_test_$$";
sql("CREATE DATABASE $db");
my $url = "postgresql://bunnybook\@127.0.0.1:$s->{BB_PG_PORT}/$db";
my $dir = tempdir(CLEANUP => 1);

sub write_file {
	my ($name, $text) = @_;
	open my $fh, '>', "$dir/$name" or die $!;
	print {$fh} $text;
	close $fh;
}
sub migrate {
	my $out = `BUNNYBOOK_DATABASE_URL='$url' BUNNYBOOK_SCHEMA_DIR='$dir' '$bin' -c '$s->{BB_CONF}' migrate 2>&1`;
	return ($? >> 8, $out);
}
sub query {
	my ($q) = @_;
	my $r = `psql -h 127.0.0.1 -p $s->{BB_PG_PORT} -U bunnybook -d $db -Atqc "$q" 2>&1`;
	chomp $r;
	return $r;
}

write_file('001-first.sql', "CREATE TABLE a (x int);\n");
write_file('002-second.sql', "CREATE TABLE b (x int);\nINSERT INTO b VALUES (1);\n");
write_file('notes.txt', "not a migration\n");
my ($rc, $out) = migrate();
is($rc, 0, 'first run succeeds');
like($out, qr/2 applied now/, 'both files are applied');
is(query('SELECT string_agg(version, \',\' ORDER BY version) FROM schema_migrations'),
    '001-first.sql,002-second.sql', 'migrations are recorded in order');

($rc, $out) = migrate();
is($rc, 0, 'second run succeeds');
like($out, qr/0 applied now/, 'second run applies nothing');
is(query('SELECT count(*) FROM b'), 1, 'no file ran twice');

write_file('003-third.sql', "CREATE TABLE c (x int);\n");
write_file('004-broken.sql', "CREATE TABLE d (x int);\nCREATE TABLE d (x int);\n");
write_file('005-after.sql', "CREATE TABLE e (x int);\n");
($rc, $out) = migrate();
is($rc, 1, 'a failing file stops the run with status 1');
like($out, qr/004-broken\.sql/, 'the message names the file');
like($out, qr/relation "d" already exists/, 'the message carries PostgreSQL\'s error');
is(query("SELECT count(*) FROM schema_migrations WHERE version = '003-third.sql'"), 1, 'earlier files stay applied');
is(query("SELECT to_regclass('d') IS NULL"), 't', 'the failing file left nothing behind');
is(query("SELECT to_regclass('e') IS NULL"), 't', 'later files did not run');

($rc, $out) = `BUNNYBOOK_DATABASE_URL='$url' BUNNYBOOK_SCHEMA_DIR='$dir/missing' '$bin' -c '$s->{BB_CONF}' migrate 2>&1`;
isnt($? >> 8, 0, 'a missing schema directory fails');

sql("DROP DATABASE $db");
done_testing();
