package Bunny;

# Test helpers for Bunnybook's integration tests: the stack started by
# `./bunnybook test` (its ports and paths come from $BB_STACK/stack.env),
# an HTTP client that speaks JSON, and control of the stack's servers.
# Only core Perl modules, so a fresh Debian machine needs nothing extra.

use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(stack api json service worker_pids master_pid
    wait_until log_text new_client redis sql register_user login_user
    unique_name plans_of private_stack);

my %stack;

# A test file that hangs is killed (SIGALRM) rather than stalling the run.
alarm($ENV{BB_TEST_TIMEOUT} // 600);

# The stack's settings as a hash (BB_URL, BB_PORT, BB_DIR, ...).
sub stack {
	return \%stack if %stack;
	my $dir = $ENV{BB_STACK} or die "BB_STACK is not set; run the tests "
	    . "with ./bunnybook test\n";
	open my $fh, '<', "$dir/stack.env" or die "cannot read $dir/stack.env: $!";
	# A lexical line, not $_: callers may run inside map or for loops
	# whose $_ is read-only.
	while (my $line = <$fh>) {
		chomp $line;
		$stack{$1} = $2 if $line =~ /^(\w+)=(.*)$/;
	}
	close $fh;
	return \%stack;
}

sub json { state_json() }

my $json_codec;
sub state_json {
	$json_codec //= JSON::PP->new->utf8->canonical->allow_nonref;
	return $json_codec;
}

# A client keeps its own cookies, so two clients are two browsers.
# Options: cookies, timeout, local_address (the source address) and base
# (the site's URL, by default the stack's: another host of a test).
sub new_client {
	my (%opt) = @_;
	my $http = HTTP::Tiny->new(
		timeout => $opt{timeout} // 30,
		keep_alive => 0,
		max_redirect => 0,
		cookie_jar => $opt{cookies} ? Bunny::CookieJar->new : undef,
		($opt{local_address} ? (local_address => $opt{local_address}) : ()),
	);
	return bless { http => $http, token => undef, base => $opt{base} },
	    'Bunny::Client';
}

my $default_client;

# api(METHOD, PATH, BODY?, %options) with the default client.
sub api {
	$default_client //= new_client();
	return $default_client->request(@_);
}

# Control one server of the stack through ./bunnybook.  After a start,
# wait until the stack is ready again (nchan takes about 10 s to reconnect
# to a Redis that came back), so that later tests find it whole.
sub service {
	my ($action, $name) = @_;
	my $s = stack();
	system("$s->{BB_ROOT}/bunnybook", 'stack', 'service', $s->{BB_DIR},
	    $action, $name) == 0
	    or die "./bunnybook stack service $action $name failed\n";
	return if $action eq 'stop' || $action eq 'pause';
	# Each nginx worker reconnects to Redis on its own: ask until ten
	# answers in a row are ready.  A restarted bunnybookd only has to
	# serve again, because a test may have stopped a dependency on purpose.
	my $probe = $name eq 'bunnybookd' ? '/api/health' : '/api/health/ready';
	my $streak = 0;
	wait_until(60, sub {
		$streak = api(GET => $probe)->{status} == 200 ? $streak + 1 : 0;
		$streak >= 10;
	}) or warn "the stack is not ready after $action $name\n";
}

# Start a stack of this test's own, in $BB_TMP/NAME, and point every
# helper at it, so that a test may kill its servers without harming the
# tests that follow.  Options: workers, and settings (KEY => VALUE, given
# to bunnybookd as BUNNYBOOK_KEY).  The stack is stopped by its pids when
# the test ends, also when it dies; only the process that started it
# stops it, so a forked child may exit without stopping the stack.
my @private_stacks;
sub private_stack {
	my ($name, %opt) = @_;
	my $root = stack()->{BB_ROOT};
	my $dir = ($ENV{BB_TMP} // stack()->{BB_DIR} . '/..') . "/$name";
	local $ENV{BB_PG_FSYNC} = 'off';
	local $ENV{BB_WORKERS} = $opt{workers} if $opt{workers};
	# In the environment for good, so that a restarted bunnybookd keeps
	# the settings.
	my $settings = $opt{settings} // {};
	$ENV{ 'BUNNYBOOK_' . uc $_ } = $settings->{$_} for keys %$settings;
	# A signal that ends the test must still run the END block below.
	$SIG{$_} = sub { die "stopped by SIG$_[0]\n" } for qw(ALRM TERM INT HUP);
	push @private_stacks, [ $dir, $$, $root ];
	system("$root/bunnybook", 'stack', 'start', $dir) == 0
	    or die "cannot start a stack in $dir\n";
	$ENV{BB_STACK} = $dir;
	%stack = ();
	return stack();
}

END {
	my $status = $?;
	for my $p (reverse @private_stacks) {
		my ($dir, $owner, $root) = @$p;
		system("$root/bunnybook", 'stack', 'stop', $dir) if $$ == $owner;
	}
	$? = $status;
}

sub master_pid {
	my $s = stack();
	open my $fh, '<', "$s->{BB_DIR}/pids/bunnybookd.pid" or return undef;
	my $pid = <$fh>;
	chomp $pid;
	return $pid;
}

# Pids of the processes whose parent is $parent, from /proc.
sub worker_pids {
	my ($parent) = @_;
	$parent //= master_pid();
	my @pids;
	opendir my $dh, '/proc' or die $!;
	for my $pid (grep { /^\d+$/ } readdir $dh) {
		open my $fh, '<', "/proc/$pid/stat" or next;
		my $stat = <$fh>;
		close $fh;
		# Fields after the command: state, parent pid.  A zombie
		# (state Z) has died and only waits to be reaped.
		next unless defined $stat && $stat =~ /\)\s+(\S)\s+(\d+)/;
		push @pids, $pid + 0 if $2 == $parent && $1 ne 'Z';
	}
	closedir $dh;
	@pids = sort { $a <=> $b } @pids;
	return @pids;
}

# Poll CODE every 0.1 s until it returns true or SECONDS pass.
sub wait_until {
	my ($seconds, $code) = @_;
	my $deadline = time + $seconds;
	while (time < $deadline) {
		my $v = $code->();
		return $v if $v;
		sleep 0.1;
	}
	return $code->();
}

# Contents of a log file of the stack (bunnybookd, nginx-error, ...).
sub log_text {
	my ($name) = @_;
	my $s = stack();
	open my $fh, '<', "$s->{BB_DIR}/logs/$name.log" or return '';
	local $/;
	return <$fh>;
}

# redis(INSTANCE, ARGS...): run one command on the 'cache' or 'pubsub'
# Redis of the stack; returns the first line of the reply.
sub redis {
	my ($instance, @args) = @_;
	my $port = stack()->{$instance eq 'cache' ? 'BB_CACHE_PORT' : 'BB_PUBSUB_PORT'};
	require IO::Socket::INET;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, Timeout => 5) or return undef;
	my $cmd = '*' . scalar(@args) . "\r\n";
	$cmd .= '$' . length($_) . "\r\n$_\r\n" for @args;
	print {$sock} $cmd;
	my $line = <$sock>;
	close $sock;
	$line =~ s/\r\n$// if defined $line;
	return $line;
}

# sql(QUERY): run a query with psql on the stack's database; returns the
# output lines (unaligned, tuples only).
sub sql {
	my ($query) = @_;
	my $s = stack();
	open my $fh, '-|', 'psql', '-h', '127.0.0.1', '-p', $s->{BB_PG_PORT},
	    '-U', 'bunnybook', '-d', 'bunnybook', '-Atqc', $query
	    or die "psql: $!";
	my @lines = <$fh>;
	close $fh;
	chomp @lines;
	return wantarray ? @lines : $lines[0];
}

my $name_counter = 0;

# A username nobody else in this test run has.
sub unique_name {
	my ($prefix) = @_;
	$prefix //= 'user';
	return sprintf('%s%d%d', $prefix, $$, ++$name_counter);
}

# Run CODE and return (its result, the text PostgreSQL logged meanwhile):
# with auto_explain on, the plans of every statement CODE caused.
sub plans_of {
	my ($code) = @_;
	my $log = stack()->{BB_DIR} . '/logs/postgres.log';
	my $from = -s $log;
	my $r = $code->();
	select(undef, undef, undef, 0.3);
	open my $fh, '<', $log or die "$log: $!";
	seek $fh, $from, 0;
	local $/;
	my $text = <$fh>;
	return ($r, $text);
}

# Register a fresh account; returns {id, username, email, password}.
sub register_user {
	my (%opt) = @_;
	my $username = $opt{username} // unique_name($opt{prefix} // 'bunny');
	my $user = {
		username => $username,
		email => $opt{email} // lc($username) . '@example.com',
		password => $opt{password} // 'carrots-and-clover',
	};
	my $r = api(POST => '/api/register', {
		username => $user->{username}, email => $user->{email},
		password => $user->{password},
		($opt{avatar} ? (avatarIdentifier => $opt{avatar}) : ()) });
	die "register failed: $r->{status} $r->{content}\n" unless $r->{status} == 201;
	$user->{id} = $r->{body}{id};
	return $user;
}

# Log a user in with a new client (cookies on); returns the client with
# its Bearer token set unless cookies_only.  With base, the client talks
# to that site instead of the stack's.
sub login_user {
	my ($user, %opt) = @_;
	my $client = new_client(cookies => 1, base => $opt{base});
	my $r = $client->request(POST => '/api/login',
	    { email => $user->{email}, password => $user->{password} });
	die "login failed: $r->{status} $r->{content}\n" unless $r->{status} == 200;
	$client->token($r->{body}{accessToken}) unless $opt{cookies_only};
	return $client;
}

package Bunny::Client;

use strict;
use warnings;

sub token { my ($self, $t) = @_; $self->{token} = $t if @_ > 1; $self->{token} }

sub cookie {
	my ($self, $name) = @_;
	my $jar = $self->{http}{cookie_jar} or return undef;
	my $c = $jar->get($name);
	return $c ? $c->{value} : undef;
}

sub set_cookie {
	my ($self, $name, $value) = @_;
	$self->{http}{cookie_jar}{cookies}{$name} = { value => $value,
	    path => $name eq 'refresh_token' ? '/api' : '/', attrs => {} };
}

# request(METHOD, PATH, BODY, headers => {...}, raw => STRING)
# Returns {status, headers, body (decoded JSON or undef), content}.
sub request {
	my ($self, $method, $path, $body, %opt) = @_;
	my $url = ($self->{base} // Bunny::stack()->{BB_URL}) . $path;
	my %headers = %{ $opt{headers} // {} };
	my %args = (headers => \%headers);
	if (defined $opt{raw}) {
		$args{content} = $opt{raw};
	} elsif (defined $body) {
		$args{content} = Bunny::state_json()->encode($body);
		$headers{'content-type'} //= 'application/json';
	}
	# Like the web client: unsafe requests always declare JSON.
	$headers{'content-type'} //= 'application/json'
	    if $method =~ /^(POST|PUT|PATCH|DELETE)$/ && !$opt{no_content_type};
	$headers{authorization} //= "Bearer $self->{token}"
	    if defined $self->{token} && !$opt{no_token};
	my $res = $self->{http}->request($method, $url, \%args);
	my $decoded;
	if (($res->{headers}{'content-type'} // '') =~ m{^application/json}
	    && length($res->{content} // '')) {
		$decoded = eval { Bunny::state_json()->decode($res->{content}) };
	}
	return {
		status => $res->{status},
		headers => $res->{headers},
		body => $decoded,
		content => $res->{content},
	};
}

package Bunny::CookieJar;

# A minimal cookie jar for HTTP::Tiny: stores name=value per host, honours
# Max-Age=0 and Path prefixes, which is all the tests need.

use strict;
use warnings;

sub new { bless { cookies => {} }, shift }

sub add {
	my ($self, $url, $header) = @_;
	my ($pair, @attrs) = split /;\s*/, $header;
	my ($name, $value) = split /=/, $pair, 2;
	my %a = map { my ($k, $v) = split /=/, $_, 2; (lc $k, $v // 1) } @attrs;
	if ((defined $a{'max-age'} && $a{'max-age'} <= 0) || $value eq '') {
		delete $self->{cookies}{$name};
		return;
	}
	$self->{cookies}{$name} = { value => $value, path => $a{path} // '/',
	    attrs => \%a };
}

sub cookie_header {
	my ($self, $url) = @_;
	my ($path) = $url =~ m{^https?://[^/]+(/[^?#]*)?};
	$path //= '/';
	my @pairs;
	for my $name (sort keys %{ $self->{cookies} }) {
		my $c = $self->{cookies}{$name};
		push @pairs, "$name=$c->{value}" if index($path, $c->{path}) == 0;
	}
	return join '; ', @pairs;
}

sub get { my ($self, $name) = @_; $self->{cookies}{$name} }

1;
