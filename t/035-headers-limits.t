#!/usr/bin/perl
# nginx's security headers and request limits on the running site, and
# why neither a generated avatar nor user text can become markup.
use strict;
use warnings;
use Test::More;
use File::Find;
use Time::HiRes qw(sleep);
use Bunny qw(api stack new_client register_user login_user);

my $s = stack();

# ------------------------------------------------------------ headers
my %pages = (
	'the web client' => api(GET => '/'),
	'a module of the web client' => api(GET => '/app/main.js'),
	'an API answer' => api(GET => '/api/health'),
	'an API error' => api(GET => '/api/no/such/route'),
	'an nginx error' => api(DELETE => '/api/openapi.json'),
	'an avatar' => api(GET => '/api/avatar/hello'),
);
for my $what (sort keys %pages) {
	my $h = $pages{$what}{headers};
	is($h->{'x-content-type-options'}, 'nosniff', "$what: nosniff");
	is($h->{'referrer-policy'}, 'same-origin', "$what: Referrer-Policy");
	is($h->{'x-frame-options'}, 'DENY', "$what: X-Frame-Options");
	my $csp = $h->{'content-security-policy'} // '';
	like($csp, qr/(^|; )script-src 'self'(;|$)/, "$what: scripts only from the site");
	unlike($csp, qr/unsafe-inline|unsafe-eval/, "$what: no inline script or eval");
	like($csp, qr/object-src 'none'/, "$what: no plugins");
	like($csp, qr/frame-ancestors 'none'/, "$what: never framed");
	like($csp, qr/base-uri 'self'/, "$what: base-uri fixed");
	# HSTS belongs to a site served over TLS (docs/deploy.md); this stack
	# has none.
	ok(!exists $h->{'strict-transport-security'}, "$what: no HSTS over plain HTTP");
	ok(!exists $h->{'retry-after'}, "$what: no Retry-After");
}

# ------------------------------------------------------------ size limits
my $r = api(POST => '/api/register', undef, raw => 'x' x (1024 * 1024 + 1));
is($r->{status}, 413, 'a body over 1 MiB is 413');
is($r->{body}{error}{code}, 'PayloadTooLarge', '413 has the JSON error');
is($r->{headers}{'x-content-type-options'}, 'nosniff', '413 has the security headers');

$r = api(GET => '/api/health', undef, headers => { 'x-long' => 'a' x (17 * 1024) });
is($r->{status}, 431, 'a header line over 16 KiB is 431');
is($r->{body}{error}{code}, 'HeaderTooLarge', '431 has the JSON error');
like($r->{headers}{'content-security-policy'} // '', qr/script-src/, '431 has the security headers');
$r = api(GET => '/api/health', undef,
    headers => { map { ("x-part-$_" => 'a' x (15 * 1024)) } 1 .. 5 });
is($r->{status}, 431, 'headers over 64 KiB together are 431');
is(api(GET => '/api/health', undef, headers => { 'x-fine' => 'a' x (8 * 1024) })->{status}, 200,
    'an 8 KiB header is accepted');
is(api(GET => '/api/health?q=' . ('a' x (17 * 1024)))->{status}, 414, 'a request line over 16 KiB is 414');

# ------------------------------------------------------------ rate limit
# The account routes allow 5 requests per second per client address with
# bursts of 50; this host's own 127.0.0.1 is exempt, so the test speaks
# from 127.0.0.2 (Linux routes all of 127.0.0.0/8 to the loopback device).
my $away = new_client(local_address => '127.0.0.2');
my ($first_429, $n, $limited) = (0, 0, undef);
while ($n < 300) {
	$n++;
	my $x = $away->request(POST => '/api/refresh');
	if ($x->{status} == 429) {
		($first_429, $limited) = ($n, $x);
		last;
	}
	is($x->{status}, 401, "refresh $n without a cookie reaches bunnybookd") if $n == 1;
}
cmp_ok($first_429, '>', 50, "a burst of 50 passes (the first 429 came at request $first_429)");
ok($limited, 'a flood from one address gets 429');
is($limited->{body}{error}{code}, 'TooManyRequests', 'nginx\'s 429 has the JSON error') if $limited;
is($limited->{headers}{'retry-after'}, '1', 'and Retry-After: 1') if $limited;
is($limited->{headers}{'x-content-type-options'}, 'nosniff', 'and the security headers') if $limited;
is($away->request(POST => '/api/login', { email => 'x@example.com', password => 'x' })->{status}, 429,
    'login counts against the same limit');
is(new_client()->request(POST => '/api/refresh')->{status}, 401, '127.0.0.1 is not limited meanwhile');
is(new_client(local_address => '127.0.0.3')->request(POST => '/api/refresh')->{status}, 401,
    'another address is not limited');
is($away->request(GET => '/api/health')->{status}, 200, 'other routes are not limited');
sleep 1.5;
is($away->request(POST => '/api/refresh')->{status}, 401, 'after Retry-After the address is served again');

# bunnybookd's own 429 keeps its own Retry-After, without nginx's.
my $guesser = new_client(local_address => '127.0.0.3');
my $email = 'nobody' . $$ . '@example.com';
my $app_429;
for (1 .. 10) {
	$app_429 = $guesser->request(POST => '/api/login', { email => $email, password => 'wrong-guess-1' });
	last if $app_429->{status} == 429;
}
is($app_429->{status}, 429, 'failed logins of one account get bunnybookd\'s 429');
like($app_429->{headers}{'retry-after'} // '', qr/^\d+$/, 'it has exactly one Retry-After');
cmp_ok($app_429->{headers}{'retry-after'} // 0, '>', 1, 'with bunnybookd\'s wait');

# ------------------------------------------------------------ no markup from data
# Avatars: no identifier text reaches the picture, and the SVG arrives with a
# type, nosniff and a CSP under which a script inside it could not run.
my $u = register_user();
my $c = login_user($u);
for my $id ('<script>alert(1)</script>', '"><svg onload=alert(1)>', 'javascript:alert(1)',
    ']]><!ENTITY x SYSTEM "file:///etc/passwd">') {
	my $path = $id;
	$path =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
	for my $x (api(GET => "/api/avatar/$path"),
	    do { $c->request(PUT => "/api/profiles/$u->{id}/avatar", { avatarIdentifier => $id });
	    api(GET => "/api/profiles/$u->{id}/avatar") }) {
		is($x->{status}, 200, "avatar for '$id' is drawn");
		is($x->{headers}{'content-type'}, 'image/svg+xml', 'served as SVG');
		is($x->{headers}{'x-content-type-options'}, 'nosniff', 'with nosniff');
		like($x->{headers}{'content-security-policy'} // '', qr/script-src 'self'(;|$)/, 'under the CSP');
		unlike($x->{content}, qr/<script|<foreignObject|<!ENTITY|<!DOCTYPE|\son\w+\s*=|javascript:|alert/i,
		    'with no script, event handler, entity or identifier text');
		unlike($x->{content}, qr/href\s*=\s*"(?!#)/, 'and no link outside the picture');
	}
}

# User text is stored as written and only ever travels as a JSON string;
# the web client puts it into the page as text (checked below).
my $text = '<img src=x onerror=alert(1)></script><script>alert(2)</script>&amp;';
$r = $c->request(POST => '/api/posts', { content => $text });
is($r->{status}, 201, 'a post with markup is accepted as text');
$r = api(GET => "/api/posts/$r->{body}{id}", undef, headers => { authorization => 'Bearer ' . $c->token });
is($r->{headers}{'content-type'}, 'application/json', 'it comes back as JSON');
is($r->{headers}{'x-content-type-options'}, 'nosniff', 'which no browser sniffs as HTML');
is($r->{body}{content}, $text, 'unchanged');

# The web client creates every node with DOM calls; none of these turn a
# string into markup or code.
my @risky;
find(sub {
	return unless /\.(js|html)$/;
	open my $fh, '<', $_ or die "$File::Find::name: $!";
	while (my $line = <$fh>) {
		next if $line =~ m{^\s*//};
		push @risky, "$File::Find::name:$.: $line"
		    if $line =~ /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser|eval\s*\(|new Function)\b/
		    || $line =~ /<script(?![^>]*\bsrc=)/i || $line =~ /<[a-z][^>]*\son\w+\s*=/i;
	}
}, "$s->{BB_ROOT}/static");
is_deeply(\@risky, [], 'static/ has no innerHTML, eval, inline script or inline handler');

done_testing();
