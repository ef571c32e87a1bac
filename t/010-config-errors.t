#!/usr/bin/perl
# bunnybookd refuses bad configuration at start-up with status 2 and a
# message naming the key, the value and what is allowed.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Bunny qw(stack);

my $bin = stack()->{BB_BIN};
my $dir = tempdir(CLEANUP => 1);

sub run_with {
	my ($config, %env) = @_;
	open my $fh, '>', "$dir/c.conf" or die $!;
	print {$fh} $config;
	close $fh;
	my $env = join ' ', map { "$_='$env{$_}'" } sort keys %env;
	my $out = `env $env '$bin' -c '$dir/c.conf' check-config 2>&1`;
	return ($? >> 8, $out);
}

my $key = 'k' x 40;
my ($rc, $out) = run_with("workers = 2\nlog_level = warn\njwt_key = $key\n");
is($rc, 0, 'valid configuration is accepted');

($rc, $out) = run_with("workers = 2\n");
is($rc, 2, 'missing jwt_key stops start-up');
like($out, qr/jwt_key is not set/, 'message names jwt_key');

($rc, $out) = run_with("jwt_key = tooshort\n");
is($rc, 2, 'short jwt_key stops start-up');
like($out, qr/jwt_key is too short.*at least 32 bytes/, 'message says what is allowed');
unlike($out, qr/tooshort/, 'message does not print the key');

for my $case ([ 'listen = host:notaport', 'listen' ], [ 'listen = 127.0.0.1:99999', 'listen' ],
    [ 'site_origin = not a url', 'site_origin' ], [ 'site_origin = http://example.com/', 'site_origin' ],
    [ 'cache_redis = nonsense', 'cache_redis' ], [ 'nchan_publisher = ftp://x', 'nchan_publisher' ]) {
	($rc, $out) = run_with("$case->[0]\njwt_key = $key\n");
	is($rc, 2, "'$case->[0]' stops start-up");
	like($out, qr/\Q$case->[1]\E/, "message names $case->[1]");
}

($rc, $out) = run_with("argon2_memory_kib = 1024\njwt_key = $key\n");
is($rc, 2, 'Argon2 memory below 19 MiB is refused');

($rc, $out) = run_with("wrkers = 2\n");
is($rc, 2, 'unknown key exits with status 2');
like($out, qr/unknown key "wrkers"/, 'message names the unknown key');
like($out, qr/c\.conf:1/, 'message names file and line');

($rc, $out) = run_with("workers = lots\n");
is($rc, 2, 'bad integer exits with status 2');
like($out, qr/"lots".*workers.*0 to 256/, 'message names value, key and range');

($rc, $out) = run_with("max_body_bytes = 10\n");
is($rc, 2, 'value below the minimum exits with status 2');

($rc, $out) = run_with("plain_http_loopback = perhaps\n");
like($out, qr/true or false/, 'bad boolean names what is allowed');

($rc, $out) = run_with("", BUNNYBOOK_WORKERS => 'x');
is($rc, 2, 'bad environment value exits with status 2');
like($out, qr/BUNNYBOOK_WORKERS/, 'message names the environment variable');

($rc, $out) = run_with("jwt_key = a-secret-that-must-not-leak\nworkers = bad\n");
unlike($out, qr/a-secret-that-must-not-leak/, 'secret never printed');

# serve: a listen address bunnybookd cannot use stops start-up with one
# line naming the key.  database_url's cases are in 011-config-database.t.
sub serve_with {
	my ($config) = @_;
	open my $fh, '>', "$dir/s.conf" or die $!;
	print {$fh} "jwt_key = $key\nlisten = $dir/serve.sock\nworkers = 1\n$config";
	close $fh;
	my $out = `timeout 30 '$bin' -c '$dir/s.conf' serve 2>&1`;
	return ($? >> 8, $out);
}
($rc, $out) = serve_with("listen = /proc/no-such-dir/bunnybookd.sock\n");
is($rc, 2, 'serve with a missing socket directory exits with status 2');
like($out, qr{^bunnybookd: cannot listen on /proc/no-such-dir/bunnybookd\.sock \(key listen\): No such file or directory$}m,
    'the message names listen, the socket and the cause');
is(scalar(() = $out =~ /\n/g), 1, 'in one line');

my $busy = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die "listen: $!";
($rc, $out) = serve_with('listen = 127.0.0.1:' . $busy->sockport . "\n");
is($rc, 2, 'serve on a port in use exits with status 2');
like($out, qr{^bunnybookd: cannot listen on 127\.0\.0\.1:\d+ \(key listen\): Address already in use$}m,
    'the message names listen and the address');

# A socket directory bunnybookd may not write.  Permissions do not bind
# root, so when the test runs as root bunnybookd runs as the user nobody,
# with its configuration where that user can read it.
my $shared = tempdir(DIR => $ENV{BB_TMP} // '/tmp', CLEANUP => 1);
chmod 0755, $shared or die "chmod $shared: $!";
mkdir "$shared/readonly" or die "mkdir: $!";
chmod($> == 0 ? 0755 : 0555, "$shared/readonly") or die "chmod: $!";
open my $conf, '>', "$shared/nobody.conf" or die $!;
print {$conf} "jwt_key = $key\nworkers = 1\nlisten = $shared/readonly/bunnybookd.sock\n";
close $conf;
chmod 0644, "$shared/nobody.conf" or die $!;
my $as_nobody = $> == 0 ? 'setpriv --reuid=nobody --regid=nogroup --clear-groups --' : '';
$out = `$as_nobody timeout 30 '$bin' -c '$shared/nobody.conf' serve 2>&1`;
$rc = $? >> 8;
is($rc, 2, 'serve with an unwritable socket directory exits with status 2');
like($out, qr{^bunnybookd: cannot listen on \Q$shared\E/readonly/bunnybookd\.sock \(key listen\): Permission denied$}m,
    'the message names listen, the socket and the cause');
is(scalar(() = $out =~ /\n/g), 1, 'in one line');
ok(!-e "$shared/readonly/bunnybookd.sock", 'no socket was created');

$out = `'$bin' -c '$dir/missing.conf' check-config 2>&1`;
is($? >> 8, 2, 'missing configuration file exits with status 2');
like($out, qr/missing\.conf/, 'message names the missing file');

$out = `'$bin' --help 2>&1`;
is($? >> 8, 0, '--help succeeds');
for my $key (qw(listen workers database_url cache_redis pubsub_redis
    nchan_publisher max_body_bytes shutdown_timeout_s jwt_key)) {
	like($out, qr/^\s+\Q$key\E\s/m, "--help lists $key");
}
like($out, qr/default: .*unit:/, '--help shows defaults and units');

$out = `'$bin' -c '$dir/c.conf' frobnicate 2>&1`;
is($? >> 8, 2, 'unknown command exits with status 2');

done_testing();
