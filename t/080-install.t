#!/usr/bin/perl
# `make install DESTDIR=...` from the build tree installs a complete and
# consistent tree: the program, the schema, the web client, the nginx site,
# a commented configuration that check-config accepts once jwt_key is set,
# and systemd units that systemd-analyze verifies.  Needs no running stack.
use strict;
use warnings;
use Test::More;
use File::Find;
use File::Temp qw(tempdir);
use FindBin;
use IO::Socket::INET;
use Bunny ();

my $root = "$FindBin::Bin/..";
my $dest = tempdir(CLEANUP => 1);
my $work = tempdir(CLEANUP => 1);
my $key = 'k' x 40;

sub slurp {
	my ($path) = @_;
	open my $fh, '<', $path or die "cannot read $path: $!";
	local $/;
	return scalar <$fh>;
}

sub spew {
	my ($path, $text) = @_;
	open my $fh, '>', $path or die "cannot write $path: $!";
	print {$fh} $text;
	close $fh or die "cannot write $path: $!";
}

# Installed files as absolute paths on the target (without DESTDIR).
sub installed_files {
	my %files;
	find({ no_chdir => 1, wanted => sub {
		$files{ substr($File::Find::name, length $dest) } = 1 if -f $_;
	} }, $dest);
	return \%files;
}

# The one installed file whose path matches re, or undef.
sub installed {
	my ($files, $re) = @_;
	my @hits = grep { $_ =~ $re } sort keys %$files;
	return @hits == 1 ? $hits[0] : undef;
}

# ------------------------------------------------------------ make install
my $log = `make -C '$root' install DESTDIR='$dest' 2>&1`;
is($? >> 8, 0, 'make install with DESTDIR succeeds') or diag($log);
my $files = installed_files();

my $bin = installed($files, qr{/bin/bunnybookd$});
ok($bin && -x "$dest$bin", 'bunnybookd is installed and executable');
my $conf = installed($files, qr{/bunnybook/bunnybook\.conf$});
ok($conf, 'configuration file is installed');
my $site = installed($files, qr{/share/bunnybook/nginx/bunnybook\.conf$});
ok($site, 'rendered nginx site is installed');
ok(installed($files, qr{/share/bunnybook/nginx/bunnybook\.conf\.in$}),
    'nginx site template is installed');
my $unit = installed($files, qr{/systemd/system/bunnybookd\.service$});
my $migrate = installed($files, qr{/systemd/system/bunnybookd-migrate\.service$});
ok($unit, 'bunnybookd.service is installed');
ok($migrate, 'bunnybookd-migrate.service is installed');
ok(installed($files, qr{/tmpfiles\.d/bunnybook\.conf$}), 'tmpfiles.d entry is installed');
ok(installed($files, qr{/sysusers\.d/bunnybook\.conf$}), 'sysusers.d entry is installed');
ok(installed($files, qr{/doc/bunnybook/deploy\.md$}), 'deploy guide is installed');
BAIL_OUT('the installed tree is incomplete') unless $bin && $conf && $site
    && $unit && $migrate;

my $help = `'$dest$bin' --help 2>&1`;
is($? >> 8, 0, 'installed bunnybookd runs');

# ------------------------------------------------------------ data files
my ($schema_dir) = $help =~ /^  schema_dir\n.*\n\s+default: (\S+);/m;
ok($schema_dir, '--help shows the default schema_dir');
for my $sql (map { s{.*/}{}r } glob("$root/schema/*.sql")) {
	ok($files->{"$schema_dir/$sql"}, "schema $sql is installed where "
	    . 'bunnybookd looks by default');
}

my ($static_dir) = slurp("$dest$site") =~ /^\s*root (\S+);/m;
ok($static_dir, 'nginx site names a static root');
my @static;
find({ no_chdir => 1, wanted => sub {
	push @static, substr($File::Find::name, length "$root/static") if -f $_;
} }, "$root/static");
ok(@static > 0, 'the source tree has static files');
for my $f (@static) {
	ok($files->{"$static_dir$f"}, "static$f is installed in the nginx root");
}

# ------------------------------------------------------------ configuration
my ($default_conf) = $help =~ /-c FILE\s+configuration file \(default (\S+)\)/;
is($default_conf, $conf, 'bunnybookd reads the installed file by default');
is((stat "$dest$conf")[2] & 07777, 0640, 'configuration is mode 0640');

# Every key of --help appears commented out with its default, and the file
# names no other key.
my $text = slurp("$dest$conf");
my %help_default;
while ($help =~ /^  (\w+)\n.*\n\s+default: (.*?); unit:/mg) {
	$help_default{$1} = $2 eq '(empty)' ? '' : $2;
}
ok(keys %help_default > 30, '--help lists the configuration keys');
for my $k (sort keys %help_default) {
	my ($shown) = $text =~ /^# \Q$k\E =[ ]?(.*)$/m;
	is($shown, $help_default{$k}, "configuration documents $k with its default");
}
my @extra = grep { !exists $help_default{$_} } $text =~ /^# (\w+) =/mg;
is("@extra", '', 'configuration documents no unknown key');
unlike($text, qr/^[ \t]*[^#\s]/m, 'every line of the shipped configuration is a comment');

sub check_config {
	my ($path, %env) = @_;
	my $env = join ' ', map { "$_='$env{$_}'" } sort keys %env;
	my $out = `env -u BUNNYBOOK_JWT_KEY $env '$dest$bin' -c '$path' check-config 2>&1`;
	return ($? >> 8, $out);
}

my ($rc, $out) = check_config("$dest$conf");
is($rc, 2, 'shipped configuration without jwt_key is rejected');
like($out, qr/jwt_key is not set/, 'message names jwt_key');
like($out, qr/BUNNYBOOK_JWT_KEY/, 'message names the environment variable');
like($out, qr/head -c 48 \/dev\/urandom/, 'message says how to make a key');
like($out, qr/\Q$dest$conf\E/, 'message names the file that was read');
is(scalar(() = $out =~ /\n/g), 1, 'message is one line');

($rc, $out) = check_config("$dest$conf", BUNNYBOOK_JWT_KEY => $key);
is($rc, 0, 'shipped configuration passes check-config once jwt_key is set')
    or diag($out);

# Removing every "#" in front of a key keeps the defaults valid.
(my $uncommented = $text) =~ s/^# (\w+ =)/$1/mg;
spew("$work/uncommented.conf", $uncommented);
($rc, $out) = check_config("$work/uncommented.conf", BUNNYBOOK_JWT_KEY => $key);
is($rc, 0, 'every documented default passes check-config') or diag($out);

$uncommented =~ s/^jwt_key =.*$/jwt_key = $key/m;
spew("$work/with-key.conf", $uncommented);
($rc, $out) = check_config("$work/with-key.conf");
is($rc, 0, 'jwt_key set in the file passes check-config') or diag($out);

# ------------------------------------------------------------ paths agree
my $conf_listen = $help_default{listen};
my ($publisher) = $help_default{nchan_publisher} =~ /^unix:(.*)$/;
my $site_text = slurp("$dest$site");
unlike($site_text, qr/^[ \t]*[^#\s].*@[A-Z_]+@/m,
    'nginx site has no placeholder left outside comments');
like($site_text, qr/server unix:\Q$conf_listen\E;/,
    'nginx passes requests to the default listen socket');
like($site_text, qr/listen unix:\Q$publisher\E;/,
    'nginx publisher socket is the default nchan_publisher');
like($site_text, qr/nchan_redis_server redis:\/\/\Q$help_default{pubsub_redis}\E;/,
    'nginx stores channels in the default pub/sub Redis');

for my $u ($unit, $migrate) {
	my $u_text = slurp("$dest$u");
	my ($exec) = $u_text =~ /^ExecStart=(\S+) -c (\S+) /m;
	is($exec, $bin, "$u starts the installed bunnybookd");
	like($u_text, qr/^ExecStart=\S+ -c \Q$conf\E /m,
	    "$u reads the installed configuration");
	like($u_text, qr/^User=bunnybook$/m, "$u runs as the bunnybook user");
}
my $unit_text = slurp("$dest$unit");
like($unit_text, qr/^Type=notify$/m, 'bunnybookd.service waits for READY=1');
like($unit_text, qr/^ExecReload=\S*kill -HUP \$MAINPID$/m,
    'reload sends SIGHUP to the master');
like($unit_text, qr/^RuntimeDirectory=bunnybook$/m,
    'runtime directory holds the socket');
like($conf_listen, qr{^/run/bunnybook/}, 'default listen is in the runtime directory');

# ------------------------------------------------------------ systemd-analyze
SKIP: {
	my $analyze = `command -v systemd-analyze 2>/dev/null`;
	chomp $analyze;
	skip 'systemd-analyze is not installed (Debian package systemd)', 4
	    unless $analyze;

	# verify checks that ExecStart exists, so point it into DESTDIR.
	for my $u ($unit, $migrate) {
		my $name = $u =~ s{.*/}{}r;
		spew("$work/$name", slurp("$dest$u") =~ s{^(ExecStart=)\Q$bin\E}{$1$dest$bin}mr);
	}
	my @names = map { "$work/" . (s{.*/}{}r) } $unit, $migrate;
	$out = `'$analyze' verify @names 2>&1`;
	is($? >> 8, 0, 'systemd-analyze verify accepts the units');
	is($out, '', 'systemd-analyze verify prints no warning');

	$out = `'$analyze' security --offline=yes '$names[0]' 2>&1`;
	my ($exposure) = $out =~ /Overall exposure level for \S+: ([0-9.]+)/;
	ok(defined $exposure, 'systemd-analyze security rates bunnybookd.service')
	    or diag($out);
	cmp_ok($exposure // 10, '<=', 2.0,
	    'bunnybookd.service exposure is at most 2.0 of 10');
}

# ------------------------------------------------------------ sysusers, tmpfiles
SKIP: {
	my $sysusers = `command -v systemd-sysusers 2>/dev/null`;
	chomp $sysusers;
	skip 'systemd-sysusers is not installed (Debian package systemd)', 5
	    unless $sysusers;
	skip 'creating users and chowning needs root', 5 if $> != 0;

	# Apply both files to a copy of this host's user database.
	my $sys_root = "$work/root";
	mkdir $sys_root;
	mkdir "$sys_root/etc";
	system('cp', '-p', (grep { -e } map { "/etc/$_" } qw(passwd group shadow gshadow)),
	    "$sys_root/etc/") == 0 or die 'cannot copy the user database';
	my $users_file = installed($files, qr{/sysusers\.d/bunnybook\.conf$});
	$out = `'$sysusers' --root='$sys_root' '$dest$users_file' 2>&1`;
	is($? >> 8, 0, 'systemd-sysusers accepts the sysusers.d entry') or diag($out);
	like(slurp("$sys_root/etc/passwd"), qr/^bunnybook:x:\d+:\d+:/m,
	    'sysusers.d creates the bunnybook user');
	like(slurp("$sys_root/etc/group"), qr/^bunnybook:x:\d+:(?:.*,)?www-data(?:,|$)/m,
	    "nginx's www-data joins the bunnybook group");

	my $tmp_file = installed($files, qr{/tmpfiles\.d/bunnybook\.conf$});
	$out = `systemd-tmpfiles --root='$sys_root' --create '$dest$tmp_file' 2>&1`;
	is($? >> 8, 0, 'systemd-tmpfiles accepts the tmpfiles.d entry') or diag($out);
	is((stat "$sys_root/run/bunnybook")[2] & 07777, 0750,
	    'tmpfiles.d creates /run/bunnybook with mode 0750');
}

# ------------------------------------------------------------ nginx -t
SKIP: {
	my $module = '/usr/lib/nginx/modules/ngx_nchan_module.so';
	skip 'nginx with the nchan module is not installed', 1
	    unless -x '/usr/sbin/nginx' && -f $module;
	# nginx -t binds the listen sockets: move them to free places.
	my $port = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	    Proto => 'tcp', Listen => 1)->sockport;
	my $test_site = slurp("$dest$site");
	$test_site =~ s/^(\s*listen) (?!unix:)\S+;/$1 127.0.0.1:$port;/mg;
	$test_site =~ s/listen unix:\Q$publisher\E;/listen unix:$work\/publisher.sock;/;
	spew("$work/site.conf", $test_site);
	spew("$work/nginx.conf", <<"EOF");
load_module $module;
pid $work/nginx.pid;
error_log stderr;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	include $work/site.conf;
}
EOF
	$out = `/usr/sbin/nginx -t -p '$work' -c '$work/nginx.conf' 2>&1`;
	is($? >> 8, 0, 'nginx -t accepts the installed site') or diag($out);
}

# ------------------------------------------------------------ reinstall
spew("$dest$conf", "$text\nworkers = 3\n");
$log = `make -C '$root' install DESTDIR='$dest' 2>&1`;
is($? >> 8, 0, 'second make install succeeds') or diag($log);
like(slurp("$dest$conf"), qr/^workers = 3$/m, 'reinstall keeps an edited configuration');
$log = `make -C '$root' install DESTDIR='$dest' NGINX_LISTEN=127.0.0.1:8181 2>&1`;
is($? >> 8, 0, 'make install with NGINX_LISTEN succeeds') or diag($log);
like(slurp("$dest$site"), qr/^\s*listen 127\.0\.0\.1:8181;/m, 'the installed site takes NGINX_LISTEN of that command');
$log = `make -C '$root' install DESTDIR='$dest' 2>&1`;

$log = `make -C '$root' uninstall DESTDIR='$dest' 2>&1`;
is($? >> 8, 0, 'make uninstall succeeds') or diag($log);
my @left = sort keys %{ installed_files() };
is("@left", $conf, 'uninstall leaves only the edited configuration');

done_testing();
