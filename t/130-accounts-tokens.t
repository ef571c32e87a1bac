#!/usr/bin/perl
# Access tokens: every bad token is a 401 in the error shape, never a 500,
# and cookie-authenticated unsafe requests must be same-origin JSON.
use strict;
use warnings;
use Test::More;
use MIME::Base64 qw(encode_base64url);
use Digest::SHA qw(hmac_sha256 hmac_sha512);
use JSON::PP;
use Bunny qw(api register_user login_user new_client stack);

my $u = register_user();
my $c = login_user($u);
my $good = $c->token;

my ($key) = do {
	open my $fh, '<', stack()->{BB_CONF} or die;
	map { /^jwt_key = (.*)$/ ? $1 : () } <$fh>;
};
my ($h, $p, $sig) = split /\./, $good;
my $claims = JSON::PP->new->decode(MIME::Base64::decode_base64url($p));
is_deeply([ sort keys %$claims ], [ qw(exp iat sid sub typ username) ], 'token carries sub, username, sid, iat, exp, typ');
is($claims->{exp} - $claims->{iat}, 900, 'token lives 15 minutes');
is($claims->{typ}, 'access', 'typ is access');

sub make {
	my ($header, $payload, $signer) = @_;
	my $text = encode_base64url(encode_json($header)) . '.' . encode_base64url(encode_json($payload));
	my $s = $signer ? encode_base64url($signer->($text)) : '';
	return "$text.$s";
}
my $hs256 = sub { hmac_sha256($_[0], $key) };
my %base = %$claims;

my @bad = (
	[ 'expired token', make({ alg => 'HS256', typ => 'JWT' }, { %base, iat => time - 2000, exp => time - 100 }, $hs256) ],
	[ 'alg none', make({ alg => 'none', typ => 'JWT' }, \%base, undef) ],
	[ 'alg none with a signature', make({ alg => 'none', typ => 'JWT' }, \%base, $hs256) ],
	[ 'HS512 with our key', make({ alg => 'HS512', typ => 'JWT' }, \%base, sub { hmac_sha512($_[0], $key) }) ],
	[ 'signed with another key', make({ alg => 'HS256', typ => 'JWT' }, \%base, sub { hmac_sha256($_[0], 'x' x 40) }) ],
	[ 'tampered payload', "$h." . encode_base64url(encode_json({ %base, sub => '00000000-0000-4000-8000-000000000000' })) . ".$sig" ],
	[ 'wrong typ', make({ alg => 'HS256', typ => 'JWT' }, { %base, typ => 'refresh' }, $hs256) ],
	[ 'exp as a string', make({ alg => 'HS256', typ => 'JWT' }, { %base, exp => '' . (time + 500) }, $hs256) ],
	[ 'issued in the future', make({ alg => 'HS256', typ => 'JWT' }, { %base, iat => time + 3600, exp => time + 4000 }, $hs256) ],
	[ 'garbage', 'not-a-token' ],
	[ 'three dots', '...' ],
	[ 'empty segments', '.e30.' ],
	[ 'huge token', 'a' x 5000 ],
	[ 'random base64', join('.', map { encode_base64url(join '', map { chr int rand 256 } 1 .. 30) } 1 .. 3) ],
);
for my $case (@bad) {
	my ($what, $token) = @$case;
	my $r = api(GET => '/api/sessions', undef, headers => { authorization => "Bearer $token" });
	is($r->{status}, 401, "$what: 401");
	is($r->{body}{error}{code}, 'Unauthorized', "$what: error shape");
}
my $r = api(GET => '/api/sessions', undef, headers => { authorization => "Basic abc" });
is($r->{status}, 401, 'non-Bearer Authorization is 401');
$r = api(GET => '/api/sessions', undef, headers => { cookie => 'access_token=garbage' });
is($r->{status}, 401, 'bad cookie token is 401');
$r = api(GET => '/api/sessions');
is($r->{status}, 401, 'missing token on a required route is 401');
is(api(GET => '/api/health', undef, headers => { authorization => 'Bearer x' })->{status}, 200,
    'routes without authentication ignore tokens');

# Cross-site request checks.
my $browser = login_user($u, cookies_only => 1);
$r = $browser->request(POST => '/api/logout', undef, headers => { origin => 'http://evil.example' });
is($r->{status}, 403, 'cookie request from a foreign origin is 403');
$r = $browser->request(POST => '/api/logout', undef, headers => { 'content-type' => 'text/plain' });
is($r->{status}, 403, 'cookie request that is not JSON is 403');
$r = $browser->request(POST => '/api/logout', undef, no_content_type => 1);
is($r->{status}, 403, 'cookie request without a content type is 403');
is($browser->request(GET => '/api/sessions')->{status}, 200, 'the session survived the refused requests');
$r = $c->request(GET => '/api/sessions', undef, headers => { origin => 'http://evil.example' });
is($r->{status}, 200, 'safe methods are not checked');
my $bearer = new_client();
$bearer->token($good);
$r = $bearer->request(PUT => "/api/profiles/$u->{id}/avatar", { avatarIdentifier => 'abc' },
    headers => { origin => 'http://evil.example' });
is($r->{status}, 200, 'Bearer requests are exempt');
$r = api(POST => '/api/login', { email => $u->{email}, password => $u->{password} },
    headers => { origin => 'http://evil.example' });
is($r->{status}, 403, 'login from a foreign origin is refused');
my $site = stack()->{BB_URL};
$r = $browser->request(POST => '/api/logout', undef, headers => { origin => $site });
is($r->{status}, 204, 'same-origin cookie request is served');

done_testing();
