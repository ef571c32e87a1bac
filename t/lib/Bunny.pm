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
    wait_until log_text new_client);

my %stack;

# A test file that hangs is killed (SIGALRM) rather than stalling the run.
alarm($ENV{BB_TEST_TIMEOUT} // 600);

# The stack's settings as a hash (BB_URL, BB_PORT, BB_DIR, ...).
sub stack {
	return \%stack if %stack;
	my $dir = $ENV{BB_STACK} or die "BB_STACK is not set; run the tests "
	    . "with ./bunnybook test\n";
	open my $fh, '<', "$dir/stack.env" or die "cannot read $dir/stack.env: $!";
	while (<$fh>) {
		chomp;
		$stack{$1} = $2 if /^(\w+)=(.*)$/;
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
sub new_client {
	my (%opt) = @_;
	my $http = HTTP::Tiny->new(
		timeout => $opt{timeout} // 30,
		keep_alive => 0,
		max_redirect => 0,
		cookie_jar => $opt{cookies} ? Bunny::CookieJar->new : undef,
	);
	return bless { http => $http, token => undef }, 'Bunny::Client';
}

my $default_client;

# api(METHOD, PATH, BODY?, %options) with the default client.
sub api {
	$default_client //= new_client();
	return $default_client->request(@_);
}

# Control one server of the stack through ./bunnybook.
sub service {
	my ($action, $name) = @_;
	my $s = stack();
	system("$s->{BB_ROOT}/bunnybook", 'stack', 'service', $s->{BB_DIR},
	    $action, $name) == 0
	    or die "./bunnybook stack service $action $name failed\n";
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
		next unless defined $stat && $stat =~ /\)\s+\S+\s+(\d+)/;
		push @pids, $pid + 0 if $1 == $parent;
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

package Bunny::Client;

use strict;
use warnings;

sub token { my ($self, $t) = @_; $self->{token} = $t if @_ > 1; $self->{token} }

# request(METHOD, PATH, BODY, headers => {...}, raw => STRING)
# Returns {status, headers, body (decoded JSON or undef), content}.
sub request {
	my ($self, $method, $path, $body, %opt) = @_;
	my $url = Bunny::stack()->{BB_URL} . $path;
	my %headers = %{ $opt{headers} // {} };
	my %args = (headers => \%headers);
	if (defined $opt{raw}) {
		$args{content} = $opt{raw};
	} elsif (defined $body) {
		$args{content} = Bunny::state_json()->encode($body);
		$headers{'content-type'} //= 'application/json';
	}
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
