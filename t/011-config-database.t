#!/usr/bin/perl
# A database_url that cannot work (unknown database or role, wrong or
# missing password, bad syntax or option values) stops serve, migrate,
# import-graph and graph-sync at start with status 2 and one line naming
# database_url.  A PostgreSQL that is down is waited for by serve, and
# fails the other commands with status 1.  The password cases run against
# a private PostgreSQL that requires scram-sha-256, because the stack's
# PostgreSQL trusts every login.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep);
use Bunny qw(stack);

my $s = stack();
my $bin = $s->{BB_BIN};

# The private PostgreSQL runs as the user postgres when the test runs as
# root, so its directory must be open to that user.
my $dir = tempdir(DIR => $ENV{BB_TMP} // '/tmp', CLEANUP => 1);
chmod 0755, $dir or die "chmod $dir: $!";
mkdir "$dir/schema" or die "mkdir: $!";
open my $fh, '>', "$dir/edges.txt" or die $!;
print {$fh} "1 2\n";
close $fh;
open $fh, '>', "$dir/c.conf" or die $!;
print {$fh} "jwt_key = ${\('k' x 40)}\nlisten = $dir/serve.sock\nworkers = 1\n"
    . "cache_redis = 127.0.0.1:$s->{BB_CACHE_PORT}\n"
    . "pubsub_redis = 127.0.0.1:$s->{BB_PUBSUB_PORT}\n"
    . "schema_dir = $dir/schema\n";
close $fh;

# Servers this test starts, stopped by the END block, also when a check
# dies or a signal ends the test.
my %children;
$SIG{$_} = sub { die "stopped by SIG$_[0]\n" } for qw(ALRM TERM INT HUP);
END {
	my $status = $?;
	for my $pid (keys %children) {
		kill $children{$pid}, $pid;
		waitpid($pid, 0);
	}
	$? = $status;
}

sub shell_quote {
	my ($value) = @_;
	$value =~ s/'/'\\''/g;
	return "'$value'";
}

# Run bunnybookd COMMAND with database_url = URL and the other settings in
# %env; returns the exit status and the output.  No password file or
# variable of the caller's may supply a password.
sub run_with {
	my ($url, $command, %env) = @_;
	$env{BUNNYBOOK_DATABASE_URL} = $url;
	$env{PGPASSFILE} = "$dir/no-such-pgpass";
	my $vars = join ' ', map { shell_quote("$_=$env{$_}") } sort keys %env;
	my $out = `env -u PGPASSWORD $vars timeout 30 ${\shell_quote($bin)} -c ${\shell_quote("$dir/c.conf")} $command 2>&1`;
	return ($? >> 8, $out);
}

my %commands = (
	serve => [ 'serve' ],
	migrate => [ 'migrate' ],
	'import-graph' => [ "import-graph $dir/edges.txt" ],
	'graph-sync' => [ 'graph-sync', BUNNYBOOK_GRAPH_BACKEND => 'neo4j' ],
);

sub free_port {
	my $socket = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
	    LocalPort => 0) or die "listen: $!";
	return $socket->sockport;
}

# ------------------------------------------------------------ rejected
my $stack_pg = "127.0.0.1:$s->{BB_PG_PORT}";
for my $name (sort keys %commands) {
	my ($command, %env) = @{ $commands{$name} };
	my ($rc, $out) = run_with("postgresql://bunnybook\@$stack_pg/no_such_database", $command, %env);
	is($rc, 2, "$name with an unknown database exits with status 2");
	like($out, qr/^bunnybookd: PostgreSQL rejects database_url \(user=bunnybook dbname=no_such_database\): .*database "no_such_database" does not exist$/m,
	    "$name names database_url and the missing database");
	is(scalar(() = $out =~ /\n/g), 1, "$name reports it in one line");
}
for my $name (qw(serve migrate)) {
	my ($rc, $out) = run_with("postgresql://no_such_role\@$stack_pg/bunnybook", $name);
	is($rc, 2, "$name with an unknown role exits with status 2");
	like($out, qr/^bunnybookd: PostgreSQL rejects database_url \(user=no_such_role dbname=bunnybook\): .*role "no_such_role" does not exist$/m,
	    "$name names database_url and the unknown role");
	is(scalar(() = $out =~ /\n/g), 1, "$name reports it in one line");
}

# ------------------------------------------------------------ invalid
# Found by libpq before it reaches a server.  An unknown host name is
# not among them: resolving one would send a query to the host's DNS
# server.
my @invalid = (
	[ "postgresql://bunnybook\@$stack_pg/bunnybook?no_such_option=1",
	    qr/invalid URI query parameter: "no_such_option"/, 'an unknown URI parameter' ],
	[ "host=127.0.0.1 port", qr/missing "=" after "port"/, 'a key without a value' ],
	[ 'postgresql://bunnybook@127.0.0.1:99999/bunnybook', qr/invalid port number: "99999"/,
	    'a port out of range' ],
	[ 'hostaddr=not-an-address dbname=bunnybook', qr/could not parse network address "not-an-address"/,
	    'a hostaddr that is no address' ],
	[ "postgresql://bunnybook\@$stack_pg/bunnybook?sslmode=sometimes", qr/invalid sslmode value: "sometimes"/,
	    'an unknown sslmode' ],
);
for my $case (@invalid) {
	my ($url, $cause, $what) = @$case;
	for my $name (qw(serve migrate)) {
		my ($rc, $out) = run_with($url, $name);
		is($rc, 2, "$name with $what exits with status 2");
		like($out, qr/^bunnybookd: invalid database_url\b.*$cause/m, "$name names database_url and the cause");
		is(scalar(() = $out =~ /\n/g), 1, "$name reports it in one line");
	}
}

# check-config finds the syntax errors, and connects to nothing.
my ($rc, $out) = run_with('host=127.0.0.1 port', 'check-config');
is($rc, 2, 'check-config with a key without a value exits with status 2');
like($out, qr/^bunnybookd: invalid database_url: missing "=" after "port"/m, 'check-config names database_url');
($rc, $out) = run_with("postgresql://bunnybook\@$stack_pg/no_such_database", 'check-config');
is($rc, 0, 'check-config does not connect to PostgreSQL') or diag($out);

# ------------------------------------------------------------ down
my $closed = free_port();
my $down_url = "postgresql://bunnybook\@127.0.0.1:$closed/bunnybook";
for my $name (qw(migrate import-graph)) {
	my ($command, %env) = @{ $commands{$name} };
	my ($rc, $out) = run_with($down_url, $command, %env);
	is($rc, 1, "$name with PostgreSQL down exits with status 1");
	like($out, qr/^bunnybookd: PostgreSQL is not reachable with database_url \(user=bunnybook dbname=bunnybook\): .*Connection refused$/m,
	    "$name names database_url and the cause");
	is(scalar(() = $out =~ /\n/g), 1, "$name reports it in one line");
}

# serve waits for a PostgreSQL that is down, as after a restart.
{
	my $log = "$dir/serve-down.log";
	open my $empty, '>', $log or die "cannot create $log: $!";
	close $empty;
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		$ENV{BUNNYBOOK_DATABASE_URL} = $down_url;
		open STDOUT, '>', $log or POSIX::_exit(127);
		open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
		exec $bin, '-c', "$dir/c.conf", 'serve' or POSIX::_exit(127);
	}
	$children{$pid} = 'TERM';
	my ($text, $alive) = ('', 1);
	for (1 .. 200) {
		$text = do { local (@ARGV, $/) = ($log); <> } // '';
		$alive = waitpid($pid, POSIX::WNOHANG()) == 0;
		last if !$alive || $text =~ /all 1 workers accept requests/;
		sleep 0.1;
	}
	like($text, qr/ warn .*PostgreSQL is not reachable yet with database_url \(user=bunnybook dbname=bunnybook\): .*Connection refused; workers will connect when it is/,
	    'serve with PostgreSQL down logs a warning');
	like($text, qr/all 1 workers accept requests/, 'serve with PostgreSQL down starts its workers');
	ok($alive, 'serve with PostgreSQL down keeps running') or diag($text);
	delete $children{$pid};
	if ($alive) {
		kill 'TERM', $pid;
		waitpid($pid, 0);
	}
}

# ------------------------------------------------------------ passwords
# A private PostgreSQL whose role bunnybook needs a password.
my $pg_bin = `pg_config --bindir`;
chomp $pg_bin;
my @as_postgres = $> == 0 ? qw(setpriv --reuid=postgres --regid=postgres --init-groups --) : ();
my $pg = "$dir/pg";
my $password = "right-secret-$$";
mkdir $pg, 0700 or die "mkdir $pg: $!";
mkdir "$dir/pg-run" or die "mkdir: $!";
open $fh, '>', "$dir/pg-password" or die $!;
print {$fh} "$password\n";
close $fh;
if ($> == 0) {
	my ($uid, $gid) = (getpwnam 'postgres')[2, 3];
	chown $uid, $gid, $pg, "$dir/pg-run", "$dir/pg-password" or die "chown: $!";
}
system("@as_postgres '$pg_bin/initdb' -D '$pg' -U bunnybook --auth=scram-sha-256 "
    . "--pwfile='$dir/pg-password' -E UTF8 --locale=C.UTF-8 --no-sync >'$dir/initdb.log' 2>&1") == 0
    or BAIL_OUT("initdb failed; see $dir/initdb.log");
my $pg_port = free_port();
my $pg_pid = fork // die "fork: $!";
if ($pg_pid == 0) {
	open STDOUT, '>', "$dir/postgres.log" or POSIX::_exit(127);
	open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
	exec @as_postgres, "$pg_bin/postgres", '-D', $pg, '-p', $pg_port,
	    '-c', 'listen_addresses=127.0.0.1', '-c', "unix_socket_directories=$dir/pg-run",
	    '-c', 'fsync=off' or POSIX::_exit(127);
}
# SIGINT: PostgreSQL's fast shutdown.
$children{$pg_pid} = 'INT';
my $ready;
for (1 .. 300) {
	$ready = system("'$pg_bin/pg_isready' -q -h 127.0.0.1 -p $pg_port") == 0 and last;
	sleep 0.1;
}
$ready or BAIL_OUT("the private PostgreSQL did not start; see $dir/postgres.log");

my $private_pg = "127.0.0.1:$pg_port";
($rc, $out) = run_with("postgresql://bunnybook:$password\@$private_pg/postgres", 'migrate');
is($rc, 0, 'migrate with the right password succeeds') or diag($out);

for my $name (qw(serve migrate)) {
	($rc, $out) = run_with("postgresql://bunnybook:wrong-secret\@$private_pg/postgres", $name);
	is($rc, 2, "$name with a wrong password exits with status 2");
	like($out, qr/^bunnybookd: PostgreSQL rejects database_url \(user=bunnybook dbname=postgres\): .*password authentication failed for user "bunnybook"$/m,
	    "$name names database_url and the failed password");
	is(scalar(() = $out =~ /\n/g), 1, "$name reports it in one line");
	unlike($out, qr/wrong-secret/, "$name never prints the password");

	($rc, $out) = run_with("postgresql://bunnybook\@$private_pg/postgres", $name);
	is($rc, 2, "$name without a password exits with status 2");
	like($out, qr/^bunnybookd: PostgreSQL rejects database_url \(user=bunnybook dbname=postgres\): .*fe_sendauth: no password supplied$/m,
	    "$name names database_url and the missing password");
	is(scalar(() = $out =~ /\n/g), 1, "$name reports it in one line");
}

done_testing();
