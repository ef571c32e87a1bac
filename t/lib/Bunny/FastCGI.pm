package Bunny::FastCGI;

# A minimal FastCGI client (responder role, one request per connection),
# so tests can talk to a bunnybookd of their own without nginx.

use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);

use constant {
	BEGIN_REQUEST => 1, END_REQUEST => 3, PARAMS => 4, FCGI_STDIN => 5,
	FCGI_STDOUT => 6, RESPONDER => 1,
};

sub _record {
	my ($type, $content) = @_;
	my $len = length $content;
	my $pad = (8 - $len % 8) % 8;
	return pack('CCnnCC', 1, $type, 1, $len, $pad, 0) . $content . ("\0" x $pad);
}

sub _length {
	my ($n) = @_;
	return $n < 128 ? pack('C', $n) : pack('N', $n | 0x80000000);
}

# request(SOCKET_PATH, {PARAM => VALUE}, BODY) returns the raw CGI response
# (headers and body), or undef when the connection failed or was cut.
sub request {
	my ($path, $params, $body) = @_;
	my $sock = begin($path) // return undef;
	return finish($sock, $params, $body);
}

# begin(SOCKET_PATH) connects and sends only the request's first record;
# returns the socket for finish, or undef.  Between the two, a worker has
# taken the connection and waits for the rest of the request.
sub begin {
	my ($path) = @_;
	my $sock = IO::Socket::UNIX->new(Peer => $path, Type => SOCK_STREAM)
	    or return undef;
	$sock->autoflush(1);
	print {$sock} _record(BEGIN_REQUEST, pack('nCx5', RESPONDER, 0));
	return $sock;
}

# finish(SOCKET, {PARAM => VALUE}, BODY) sends the parameters and the body
# of a request begun with begin and returns the raw response, or undef.
sub finish {
	my ($sock, $params, $body) = @_;
	$body //= '';
	my $p = '';
	for my $k (sort keys %$params) {
		$p .= _length(length $k) . _length(length $params->{$k}) . $k . $params->{$k};
	}
	my $out = '';
	$out .= _record(PARAMS, $p) if length $p;
	$out .= _record(PARAMS, '');
	for (my $i = 0; $i < length $body; $i += 32768) {
		$out .= _record(FCGI_STDIN, substr($body, $i, 32768));
	}
	$out .= _record(FCGI_STDIN, '');
	local $SIG{PIPE} = 'IGNORE';
	print {$sock} $out or return undef;
	my $response = '';
	while (1) {
		my $header = _read_exact($sock, 8) // return undef;
		my (undef, $type, undef, $len, $pad) = unpack('CCnnC', $header);
		my $content = _read_exact($sock, $len + $pad) // return undef;
		$content = substr($content, 0, $len);
		$response .= $content if $type == FCGI_STDOUT;
		return $response if $type == END_REQUEST;
	}
}

sub _read_exact {
	my ($sock, $n) = @_;
	my $buf = '';
	while (length $buf < $n) {
		my $r = sysread($sock, $buf, $n - length $buf, length $buf);
		return undef unless $r;
	}
	return $buf;
}

# GET path through FastCGI; returns (status, body) or () on failure.
sub get {
	my ($sock_path, $path) = @_;
	my $raw = request($sock_path, {
		REQUEST_METHOD => 'GET', REQUEST_URI => $path,
		QUERY_STRING => '', SERVER_PROTOCOL => 'HTTP/1.1',
	});
	return () unless defined $raw;
	my ($status) = $raw =~ /^Status: (\d+)/m;
	my (undef, $body) = split /\r\n\r\n/, $raw, 2;
	return ($status, $body);
}

1;
