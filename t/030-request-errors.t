#!/usr/bin/perl
# Unknown routes and methods, bad query strings and oversized bodies get
# the one error shape with the right status.
use strict;
use warnings;
use Test::More;
use Bunny qw(api stack);
use IO::Socket::INET;
use JSON::PP;

sub error_ok {
	my ($r, $status, $code, $what) = @_;
	is($r->{status}, $status, "$what: status $status");
	is($r->{body}{error}{code}, $code, "$what: code $code");
	ok(length($r->{body}{error}{message} // ''), "$what: has a message");
}

# Send raw request text; returns { status, body } with the body decoded.
sub raw_request {
	my ($text) = @_;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => stack()->{BB_PORT}, Timeout => 5) or die "connect: $!";
	print {$sock} $text;
	local $/;
	my $reply = <$sock> // '';
	close $sock;
	my ($status) = $reply =~ m{^HTTP/1\.1 (\d+)};
	my ($body) = $reply =~ /\r\n\r\n(.*)\z/s;
	my $json = eval { decode_json($body // '') };
	return { status => $status // 0, body => $json };
}

error_ok(api(GET => '/api/no/such/route'), 404, 'NotFound', 'unknown route');

# Errors nginx finds while reading the request get the same shape.
error_ok(raw_request("GET /api/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
    . "Authorization: Bearer b\r\nConnection: close\r\n\r\n"), 400, 'MalformedRequest',
    'Authorization given twice');
error_ok(raw_request("GET /api/health%00x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    400, 'MalformedRequest', 'NUL byte in the path');
error_ok(raw_request('GET /api/health?x=' . ('a' x 20000) . " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    414, 'MalformedRequest', 'request line over 16 KiB');
error_ok(api(GET => '/api/'), 404, 'NotFound', 'API root');

my $r = api(DELETE => '/api/health');
error_ok($r, 405, 'MethodNotAllowed', 'wrong method');
is($r->{headers}{allow}, 'GET, HEAD', '405 carries Allow');

$r = api(GET => '/api/health?x=1&x=2');
error_ok($r, 422, 'ValidationFailed', 'repeated query parameter');
is($r->{body}{error}{field}, 'x', 'repeated parameter is named');

$r = api(GET => '/api/health?limit=5%00abc');
error_ok($r, 422, 'ValidationFailed', 'NUL byte in a query value');
is($r->{body}{error}{field}, 'limit', 'the parameter with the NUL is named');

$r = api(GET => '/api/health?=1');
error_ok($r, 422, 'ValidationFailed', 'query parameter without a name');
is($r->{body}{error}{field}, 'query', 'a nameless parameter names the query');

$r = api(POST => '/api/login', undef, raw => '{"email":"nul@example.com","password":"whatever-1"}' . "\0",
    headers => { 'content-type' => 'application/json' });
error_ok($r, 400, 'MalformedJson', 'NUL byte after the JSON body');

$r = api(GET => '/api/health?x=%zz');
error_ok($r, 422, 'ValidationFailed', 'malformed escape in the query');

$r = api(GET => '/api/health?' . join('&', map { "p$_=1" } 1 .. 40));
error_ok($r, 422, 'ValidationFailed', 'too many query parameters');
is($r->{body}{error}{field}, 'query', 'too many parameters name the query');
like($r->{body}{error}{message}, qr/at most 32/, 'and give the limit');

$r = api(POST => '/api/health', undef, raw => 'x' x (2 * 1024 * 1024),
    headers => { 'content-type' => 'application/json' });
error_ok($r, 413, 'PayloadTooLarge', 'body over the nginx limit');

$r = api(HEAD => '/api/health');
is($r->{status}, 200, 'HEAD is served like GET');
is($r->{content} // '', '', 'HEAD has no body');

$r = api(GET => '/api/health', undef, headers => { 'x-request-id' => 'abc' });
isnt($r->{headers}{'x-request-id'}, 'abc', 'client cannot choose the request id');

$r = api(GET => '/');
is($r->{status}, 200, 'static index is served');
like($r->{headers}{'content-security-policy'} // '', qr/script-src 'self'/,
    'static pages carry a CSP');
is($r->{headers}{'x-content-type-options'}, 'nosniff', 'nosniff header is set');

done_testing();
