#!/usr/bin/perl
# The Docker files, checked without a Docker engine (none runs on the
# machines this suite runs on): docker/compose.yaml is parsed and its
# services, health checks, ports, volumes and bunnybookd settings are
# compared with bunnybookd's real configuration keys; docker/Dockerfile's
# stages, packages and copied files are compared with ./bunnybook's package
# list, the built program and `make install`; the nginx site is rendered by
# the nginx image's own script and passed to `nginx -t`.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use FindBin;
use IO::Socket::INET;
use Bunny ();

BEGIN {
	eval { require YAML::XS; 1 }
	    or plan skip_all => 'YAML::XS is missing (Debian package libyaml-libyaml-perl)';
}

my $root = "$FindBin::Bin/..";
my $work = tempdir(CLEANUP => 1);
my $bin = "$root/src/bunnybookd";

sub slurp {
	my ($path) = @_;
	open my $fh, '<', $path or die "cannot read $path: $!";
	local $/;
	return scalar <$fh>;
}

# Compose's ${NAME}, ${NAME:-default} and ${NAME-default}, as `docker
# compose up` resolves them with none of the variables set.
sub interpolate {
	my ($value) = @_;
	$value =~ s/\$\{(\w+)(?::?-([^}]*))?\}/$2 \/\/ ''/ge;
	return $value;
}

# ------------------------------------------------------------ configuration keys
my $help = `'$bin' --help 2>&1`;
is($? >> 8, 0, 'bunnybookd --help runs');
my %config_key = map { $_ => 1 } $help =~ /^  ([a-z0-9_]+)\n\s{6}\S/mg;
ok(keys %config_key > 30, '--help lists the configuration keys');

# The BUNNYBOOK_ names in an environment that are no configuration key.
sub unknown_settings {
	my ($env) = @_;
	return grep { /^BUNNYBOOK_(.+)$/ && !$config_key{ lc $1 } } sort keys %$env;
}
is_deeply([ unknown_settings({ BUNNYBOOK_NO_SUCH_KEY => 1, BUNNYBOOK_WORKERS => 2 }) ],
    ['BUNNYBOOK_NO_SUCH_KEY'], 'key check finds a misspelt variable');

# ------------------------------------------------------------ compose files
my $top = YAML::XS::LoadFile("$root/compose.yaml");
is_deeply($top->{include}, ['docker/compose.yaml'],
    'top-level compose.yaml includes docker/compose.yaml');

my $compose = YAML::XS::LoadFile("$root/docker/compose.yaml");
my $services = $compose->{services} // {};
is_deeply([ sort keys %$services ],
    [qw(bunnybookd migrate neo4j nginx postgres redis-cache redis-pubsub)],
    'compose defines the seven services');
BAIL_OUT('docker/compose.yaml lacks services') unless keys %$services == 7;

sub environment {
	my ($name) = @_;
	my $env = $services->{$name}{environment} // {};
	return { map { $_ => interpolate($env->{$_}) } keys %$env };
}

like($services->{postgres}{image}, qr/^postgres:15\b/, 'postgres runs PostgreSQL 15');
like($services->{neo4j}{image}, qr/^neo4j:5\b/, 'neo4j runs Neo4j 5');
like($services->{$_}{image}, qr/^redis:/, "$_ runs Redis") for qw(redis-cache redis-pubsub);

for my $name (qw(migrate bunnybookd nginx)) {
	my $build = $services->{$name}{build} // {};
	is($build->{context}, '..', "$name builds from the repository root");
	is($build->{dockerfile}, 'docker/Dockerfile', "$name builds docker/Dockerfile");
}
is($services->{migrate}{build}{target}, 'bunnybookd', 'migrate uses the bunnybookd image');
is($services->{bunnybookd}{build}{target}, 'bunnybookd', 'bunnybookd uses the bunnybookd image');
is($services->{nginx}{build}{target}, 'nginx', 'nginx uses the nginx image');
is_deeply($services->{migrate}{command}, [qw(bunnybookd migrate)],
    'migrate runs bunnybookd migrate');
is_deeply($services->{bunnybookd}{command}, [qw(bunnybookd serve)],
    'bunnybookd runs bunnybookd serve');
is($services->{migrate}{restart}, 'no', 'migrate runs once');

# ------------------------------------------------------------ health checks
sub health_test {
	my ($name) = @_;
	my $test = $services->{$name}{healthcheck}{test} // [];
	return ref $test ? join(' ', @$test) : $test;
}
like(health_test('postgres'), qr/\bpg_isready\b/, 'postgres health check runs pg_isready');
like(health_test($_), qr/\bredis-cli ping\b/, "$_ health check runs redis-cli ping")
    for qw(redis-cache redis-pubsub);
like(health_test('neo4j'), qr{http://127\.0\.0\.1:7474/}, "neo4j health check asks Neo4j's HTTP server");
like(health_test('nginx'), qr{curl .*http://127\.0\.0\.1/api/health/ready},
    'nginx health check asks /api/health/ready through nginx');
like(health_test('bunnybookd'), qr{cgi-fcgi .*REQUEST_URI=/api/health\b|REQUEST_URI=/api/health .*cgi-fcgi},
    'bunnybookd health check asks /api/health over FastCGI');

# ------------------------------------------------------------ start order
# bunnybookd migrate connects once, without retrying, to PostgreSQL and to
# Neo4j (for its uniqueness constraint), so it must not start before both
# are healthy; `docker compose run migrate ...` waits for the same.
my %depends_on = (
	migrate => { postgres => 'service_healthy', neo4j => 'service_healthy' },
	bunnybookd => {
		migrate => 'service_completed_successfully',
		'redis-cache' => 'service_healthy',
		'redis-pubsub' => 'service_healthy',
		neo4j => 'service_healthy',
	},
	nginx => { 'redis-pubsub' => 'service_healthy', bunnybookd => 'service_started' },
);
for my $name (sort keys %depends_on) {
	my $have = $services->{$name}{depends_on} // {};
	my %conditions = map { $_ => $have->{$_}{condition} } keys %$have;
	is_deeply(\%conditions, $depends_on{$name}, "$name waits for what it needs");
}

# ------------------------------------------------------------ ports
for my $name (sort keys %$services) {
	next if $name eq 'nginx';
	ok(!$services->{$name}{ports}, "$name publishes no port");
}
my $ports = $services->{nginx}{ports} // [];
is(scalar @$ports, 1, 'nginx publishes one port');
my ($host_ip, $host_port, $container_port) = interpolate($ports->[0] // '') =~ /^([\d.]+):(\d+):(\d+)$/;
is($host_ip, '127.0.0.1', 'the site is published on loopback only');
is($host_port, 8080, 'the site is at port 8080 by default');
my $nginx_env = environment('nginx');
is($container_port, $nginx_env->{NGINX_LISTEN}, 'the published port is the one nginx listens on');

# ------------------------------------------------------------ volumes
my %declared = map { $_ => 1 } keys %{ $compose->{volumes} // {} };
my (%used, %mounts);
for my $name (sort keys %$services) {
	for my $volume (@{ $services->{$name}{volumes} // [] }) {
		my ($source, $target) = split /:/, $volume;
		$mounts{$name}{$target} = $source;
		next if $source =~ m{^[./]};
		$used{$source} = 1;
		ok($declared{$source}, "volume $source of $name is declared");
	}
}
is_deeply([ sort keys %declared ], [ sort keys %used ], 'every declared volume is used');
ok($mounts{postgres}{'/var/lib/postgresql/data'}, "postgres keeps its data on a volume");
ok($mounts{'redis-pubsub'}{'/data'}, 'the pub/sub Redis keeps its snapshot on a volume');
ok($mounts{neo4j}{'/data'}, 'neo4j keeps its data on a volume');
ok(!$mounts{'redis-cache'}, 'the cache Redis keeps nothing');

my $socket_dir = $nginx_env->{NGINX_SOCKET_DIR};
my $sockets = $mounts{nginx}{$socket_dir};
ok($sockets, 'nginx mounts a volume at its socket directory');
is($mounts{bunnybookd}{$socket_dir}, $sockets, 'bunnybookd mounts the same volume there');
is($compose->{volumes}{$sockets}{driver_opts}{type}, 'tmpfs', 'the socket volume is a tmpfs');
like($compose->{volumes}{$sockets}{driver_opts}{o}, qr/\buid=10001\b.*\bgid=10001\b/,
    'the socket volume belongs to the bunnybook user of the images');

# ------------------------------------------------------------ bunnybookd settings
my $env = environment('bunnybookd');
is_deeply(environment('migrate'), $env, 'migrate and bunnybookd share their settings');
my @bunnybook_vars = grep { /^BUNNYBOOK_/ } sort keys %$env;
ok(@bunnybook_vars > 5, 'bunnybookd is configured through BUNNYBOOK_ variables');
for my $var (@bunnybook_vars) {
	my ($key) = $var =~ /^BUNNYBOOK_(.+)$/;
	ok($config_key{ lc $key }, "$var sets the configuration key " . lc $key);
	is($key, uc $key, "$var is written in capitals");
}

is($env->{BUNNYBOOK_LISTEN}, "$socket_dir/bunnybookd.sock",
    'bunnybookd listens on the shared FastCGI socket');
is($env->{BUNNYBOOK_NCHAN_PUBLISHER}, "unix:$socket_dir/nchan-publisher.sock",
    "bunnybookd publishes through nginx's shared publisher socket");
like($env->{BUNNYBOOK_DATABASE_URL}, qr{^postgresql://bunnybook:[^@]+\@postgres:5432/bunnybook$},
    'bunnybookd connects to the postgres service');
my ($db_password) = $env->{BUNNYBOOK_DATABASE_URL} =~ m{^postgresql://[^:]+:([^@]+)@};
is($db_password, environment('postgres')->{POSTGRES_PASSWORD}, 'database password matches');
is($env->{BUNNYBOOK_CACHE_REDIS}, 'redis-cache:6379', 'cache Redis is the redis-cache service');
is($env->{BUNNYBOOK_PUBSUB_REDIS}, 'redis-pubsub:6379', 'pub/sub Redis is the redis-pubsub service');
is($nginx_env->{NGINX_PUBSUB_REDIS}, $env->{BUNNYBOOK_PUBSUB_REDIS},
    'nginx and bunnybookd share the pub/sub Redis');
is($env->{BUNNYBOOK_GRAPH_BACKEND}, 'neo4j', 'graph backend is neo4j');
is($env->{BUNNYBOOK_NEO4J_URL}, 'http://neo4j:7474', 'Neo4j is the neo4j service');
is($env->{BUNNYBOOK_NEO4J_PATH}, '/db/neo4j/tx/commit', 'Neo4j 5 transactional endpoint');
is(environment('neo4j')->{NEO4J_AUTH},
    "$env->{BUNNYBOOK_NEO4J_USER}/$env->{BUNNYBOOK_NEO4J_PASSWORD}",
    'Neo4j credentials match');
is($env->{BUNNYBOOK_SITE_ORIGIN}, "http://127.0.0.1:$host_port", 'site origin is the published address');
is($env->{JWT_KEY_FILE}, '/var/lib/bunnybook/jwt.key', 'the generated jwt_key is kept in the state volume');
ok($mounts{bunnybookd}{'/var/lib/bunnybook'}, 'bunnybookd keeps its state on a volume');

# The values pass check-config, which checks keys and values without
# connecting to anything, so the service names need not resolve here.
my $env_args = join ' ', map { "'$_=$env->{$_}'" } @bunnybook_vars;
my $out = `env -i PATH="\$PATH" $env_args BUNNYBOOK_JWT_KEY='${\('k' x 40)}' '$bin' -c /dev/null check-config 2>&1`;
is($? >> 8, 0, 'check-config accepts the compose settings') or diag($out);
$out = `env -i PATH="\$PATH" $env_args BUNNYBOOK_NO_SUCH_KEY=1 BUNNYBOOK_JWT_KEY='${\('k' x 40)}' '$bin' -c /dev/null check-config 2>&1`;
is($? >> 8, 2, 'check-config rejects an unknown BUNNYBOOK_ variable');

# ------------------------------------------------------------ Dockerfile
my $dockerfile = slurp("$root/docker/Dockerfile");
my ($base) = $dockerfile =~ /^ARG DEBIAN_IMAGE=(\S+)$/m;
is($base, 'debian:12', 'images are based on Debian 12');
my @stages = $dockerfile =~ /^FROM \$\{DEBIAN_IMAGE\} AS (\S+)$/mg;
is_deeply(\@stages, [qw(build bunnybookd nginx)], 'Dockerfile has the build, bunnybookd and nginx stages');
is(scalar(() = $dockerfile =~ /^FROM /mg), 3, 'every stage starts from the Debian image');
my %stage_text;
{
	my @parts = split /^(?=FROM )/m, $dockerfile;
	for my $part (@parts) {
		$stage_text{$1} = $part if $part =~ /^FROM \S+ AS (\S+)$/m;
	}
}
for my $name (qw(migrate bunnybookd nginx)) {
	ok($stage_text{ $services->{$name}{build}{target} }, "target of $name is a Dockerfile stage");
}

# The packages one stage installs with apt-get.
sub stage_packages {
	my ($stage) = @_;
	my ($list) = ($stage_text{$stage} // '') =~ /apt-get install -y --no-install-recommends((?:\s|\\\n|[\w.+-])+)/;
	return sort grep { /\S/ && $_ ne '\\' } split /\s+/, $list // '';
}

my ($package_block) = slurp("$root/bunnybook") =~ /^PACKAGES=\(\n(.*?)^\)/ms;
my %project_package = map { $_ => 1 } grep { !/^#/ }
    map { s/#.*//r } split /\s+/, ($package_block =~ s/^\s*#.*$//mgr);
ok(keys %project_package > 20, 'PACKAGES of ./bunnybook is readable');

my @build_packages = stage_packages('build');
ok(@build_packages > 5, 'build stage installs packages');
for my $p (@build_packages) {
	ok($project_package{$p}, "build package $p is in ./bunnybook's PACKAGES");
}
for my $p (grep { /-dev$/ } sort keys %project_package) {
	ok((grep { $_ eq $p } @build_packages), "build stage installs $p");
}
for my $p (stage_packages('nginx')) {
	ok($project_package{$p}, "nginx package $p is in ./bunnybook's PACKAGES");
}
my @nginx_packages = stage_packages('nginx');
ok((grep { $_ eq 'libnginx-mod-nchan' } @nginx_packages), 'nginx stage installs the nchan module');

# The runtime stage installs the package of every library bunnybookd links
# against; each of them is installed here, as a dependency of the -dev
# packages, so the names are real Debian 12 packages.
my @runtime_packages = stage_packages('bunnybookd');
my %runtime = map { $_ => 1 } @runtime_packages;
my @needed = `readelf -d '$bin'` =~ /\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g;
ok(@needed > 5, 'readelf lists the libraries bunnybookd needs');
my %ldconfig = map { /^\s*(\S+) \(.*\) => (\S+)$/ ? ($1 => $2) : () } `ldconfig -p`;
for my $lib (@needed) {
	next if $lib =~ /^(?:libc|libm|libpthread|libdl|librt)\.so/;
	my $path = $ldconfig{$lib};
	ok($path, "ldconfig finds $lib") or next;
	my $real = `readlink -f '$path'`;
	chomp $real;
	my ($package) = `dpkg -S '$real' 2>/dev/null` =~ /^([^:]+):/;
	ok($package && $runtime{$package}, "runtime stage installs $package for $lib");
}
for my $p (@runtime_packages) {
	my $status = `dpkg-query -W -f='\${Status}' '$p' 2>/dev/null`;
	is($status, 'install ok installed', "runtime package $p is a Debian package installed here");
}
ok(!(grep { /-dev$/ || $_ eq 'build-essential' } @runtime_packages), 'runtime stage has no build packages');

like($stage_text{bunnybookd}, qr/^USER bunnybook$/m, 'bunnybookd runs as the bunnybook user');
like($stage_text{bunnybookd}, qr/useradd --system --uid 10001 --gid bunnybook/, 'bunnybook user has uid 10001');
like($stage_text{nginx}, qr/groupadd --system --gid 10001 bunnybook/, 'nginx image has the bunnybook group');
like($stage_text{nginx}, qr/usermod -a -G bunnybook www-data/, "nginx's workers join the bunnybook group");
my ($configure) = $stage_text{build} =~ /(\.\/configure[^\\\n]*)/;
like($configure, qr/--prefix=\/usr\b/, 'build stage configures prefix /usr');
like($stage_text{build}, qr/make install DESTDIR=\/staging/, 'build stage stages make install');
for my $var ($stage_text{bunnybookd} =~ /^\s+(BUNNYBOOK_\w+)=/mg) {
	ok($config_key{ lc($var =~ s/^BUNNYBOOK_//r) }, "image variable $var is a configuration key");
}

# Files copied from the context exist; files copied from the build stage
# are where `make install` puts them with the stage's prefixes.
for my $source ($dockerfile =~ /^COPY (?!--from)(?:--\S+ )*(\S+) \S+$/mg) {
	ok(-e "$root/$source", "COPY source $source exists");
	ok(-x "$root/$source", "COPY source $source is executable") if $source =~ /\.sh$/;
}
my $dest = "$work/staging";
my $log = `make -C '$root' install DESTDIR='$dest' prefix=/usr sysconfdir=/etc 2>&1`;
is($? >> 8, 0, 'make install with the image prefixes succeeds') or diag($log);
for my $source ($dockerfile =~ /^COPY --from=build (?:--\S+ )*\/staging(\S+) \S+$/mg) {
	ok(-e "$dest$source", "make install puts $source into the staging tree");
}

# ------------------------------------------------------------ nginx site
# Rendered by the image's script with compose's settings; only the listen
# address and the socket directory move to free places on this machine.
my $port = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Proto => 'tcp', Listen => 1)->sockport;
my %render_env = (%$nginx_env, NGINX_LISTEN => "127.0.0.1:$port",
    NGINX_SOCKET_DIR => $work, NGINX_STATIC_DIR => "$root/static");
my $render_args = join ' ', map { "'$_=$render_env{$_}'" } sort keys %render_env;
$out = `env $render_args sh '$root/docker/render-nginx-site.sh' '$root/nginx/bunnybook.conf.in' '$work/site.conf' 2>&1`;
is($? >> 8, 0, 'render-nginx-site renders the site') or diag($out);
my $site = -f "$work/site.conf" ? slurp("$work/site.conf") : '';
unlike($site, qr/^[ \t]*[^#\s].*@[A-Z_]+@/m, 'rendered site has no placeholder outside comments');
like($site, qr/server unix:\Q$work\E\/bunnybookd\.sock;/, 'site passes requests to the shared FastCGI socket');
like($site, qr/listen unix:\Q$work\E\/nchan-publisher\.sock;/, 'publisher listens on the shared socket');
like($site, qr/nchan_redis_server redis:\/\/redis-pubsub:6379;/, 'nchan stores channels in redis-pubsub');
like($site, qr/^\s*# +\@LISTEN\@/m, 'comments keep the placeholder names');

SKIP: {
	my $module = '/usr/lib/nginx/modules/ngx_nchan_module.so';
	skip 'nginx with the nchan module is not installed', 1
	    unless -x '/usr/sbin/nginx' && -f $module;
	open my $fh, '>', "$work/nginx.conf" or die "cannot write $work/nginx.conf: $!";
	print {$fh} <<"EOF";
load_module $module;
pid $work/nginx.pid;
error_log stderr;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	include $work/site.conf;
}
EOF
	close $fh;
	$out = `/usr/sbin/nginx -t -p '$work' -c '$work/nginx.conf' 2>&1`;
	is($? >> 8, 0, 'nginx -t accepts the site as the nginx image renders it') or diag($out);
}

$out = `env -u NGINX_PUBSUB_REDIS sh '$root/docker/render-nginx-site.sh' '$root/nginx/bunnybook.conf.in' '$work/bad.conf' 2>&1`;
is($? >> 8, 2, 'render-nginx-site rejects a missing NGINX_PUBSUB_REDIS');
like($out, qr/NGINX_PUBSUB_REDIS is not set/, 'message names the variable');

# ------------------------------------------------------------ entry point, health check
my $key_file = "$work/state/jwt.key";
mkdir "$work/state";
my $print_key = q{sh -c 'printf %s "$BUNNYBOOK_JWT_KEY"'};
my $key = `env -u BUNNYBOOK_JWT_KEY JWT_KEY_FILE='$key_file' sh '$root/docker/bunnybookd-entrypoint.sh' $print_key 2>/dev/null`;
cmp_ok(length $key, '>=', 32, 'entry point creates a jwt_key of 32 bytes or more');
is((stat $key_file)[2] & 07777, 0600, 'the key file is mode 0600');
is(`env -u BUNNYBOOK_JWT_KEY JWT_KEY_FILE='$key_file' sh '$root/docker/bunnybookd-entrypoint.sh' $print_key`,
    $key, 'entry point reuses the key file');
is(`env BUNNYBOOK_JWT_KEY=given JWT_KEY_FILE='$key_file' sh '$root/docker/bunnybookd-entrypoint.sh' $print_key`,
    'given', 'BUNNYBOOK_JWT_KEY wins over the key file');

SKIP: {
	chomp(my $cgi_fcgi = `command -v cgi-fcgi 2>/dev/null`);
	skip 'cgi-fcgi is not installed (Debian package libfcgi-bin)', 1 unless $cgi_fcgi;
	# The container's health check against this stack's bunnybookd.
	my $check = $services->{bunnybookd}{healthcheck}{test}[1];
	my $stack_socket = Bunny::stack()->{BB_DIR} . '/run/bunnybookd.sock';
	$check =~ s/\Q$env->{BUNNYBOOK_LISTEN}\E/$stack_socket/g;
	system('sh', '-c', $check);
	is($? >> 8, 0, "bunnybookd's health check passes against a running bunnybookd");
}

done_testing();
