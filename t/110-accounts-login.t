#!/usr/bin/perl
# Login: cookies and tokens, equal answers and timing for unknown e-mail
# and wrong password, throttling per account and per address, rehash, and
# Secure cookies when the site is not plain HTTP on loopback.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use Bunny qw(api sql redis register_user new_client stack service);
use Digest::SHA qw(sha256_hex);

my $u = register_user();
my $c = new_client(cookies => 1);
my $r = $c->request(POST => '/api/login', { email => uc $u->{email}, password => $u->{password} });
is($r->{status}, 200, 'login succeeds, e-mail case does not matter');
ok($r->{body}{accessToken}, 'response has accessToken');
ok($r->{body}{accessExp} > time + 800 && $r->{body}{accessExp} <= time + 901, 'access token lives 15 minutes');
ok($r->{body}{refreshExp} > time + 13 * 86400, 'refresh token lives 14 days');
my @cookies = ref $r->{headers}{'set-cookie'} ? @{ $r->{headers}{'set-cookie'} } : ($r->{headers}{'set-cookie'});
my ($access) = grep { /^access_token=/ } @cookies;
my ($refresh) = grep { /^refresh_token=/ } @cookies;
like($access, qr/HttpOnly/, 'access cookie is HttpOnly');
like($access, qr/SameSite=Lax/, 'access cookie is SameSite=Lax');
like($access, qr/Path=\/;/, 'access cookie path is /');
like($refresh, qr/SameSite=Strict/, 'refresh cookie is SameSite=Strict');
like($refresh, qr/Path=\/api;/, 'refresh cookie is scoped to /api');
unlike($access, qr/Secure/, 'no Secure on plain-HTTP loopback configuration');
is($r->{headers}{'cache-control'}, 'no-store', 'token responses are not cached');

my $me = $c->request(GET => '/api/sessions');
is($me->{status}, 200, 'cookie authenticates a request');
my $bearer = new_client();
$bearer->token($r->{body}{accessToken});
is($bearer->request(GET => '/api/sessions')->{status}, 200, 'Bearer authenticates a request');

# Equal answers.
my $unknown = api(POST => '/api/login', { email => 'nobody-' . $$ . '@example.com', password => 'whatever-123' });
my $wrong = api(POST => '/api/login', { email => $u->{email}, password => 'wrong-password' });
is($unknown->{status}, 401, 'unknown e-mail is 401');
is($wrong->{status}, 401, 'wrong password is 401');
is($unknown->{content}, $wrong->{content}, 'both answers have the same body');

# Equal timing: compare the median times of the two kinds of failed login.
# The tries take turns (unknown, wrong, unknown, ...), so a busy moment of
# the machine slows both kinds alike, and a median ignores the few tries
# such a moment still skews.  Both kinds run one Argon2id verification, so
# the medians agree closely on a quiet machine; a factor of 3 either way
# leaves room for a loaded one.  An unknown e-mail answered without the
# dummy hash costs no Argon2id at all, 10 or more times less, and fails.
# Each try starts with the failure counters deleted, so the tries are
# never throttled to 429.
my $address_key = 'bb:loginfail:address:127.0.0.1';
my $account_key = 'bb:loginfail:account:' . substr(sha256_hex(lc $u->{email}), 0, 40);
my $nobody_key = 'bb:loginfail:account:' . substr(sha256_hex("nobody-$$\@example.com"), 0, 40);
sub timed {
	my ($body) = @_;
	redis(pubsub => 'DEL', $account_key, $nobody_key, $address_key);
	my $t0 = time;
	my $x = api(POST => '/api/login', $body);
	return (time - $t0, $x->{status});
}
sub median {
	my @sorted = sort { $a <=> $b } @_;
	my $mid = int(@sorted / 2);
	return @sorted % 2 ? $sorted[$mid] : ($sorted[$mid - 1] + $sorted[$mid]) / 2;
}
my %unknown_login = (email => "nobody-$$\@example.com", password => 'whatever-123');
my %wrong_login = (email => $u->{email}, password => 'wrong-password');
# One untimed try of each kind, so that start-up work of the first is not
# counted.
timed(\%unknown_login);
timed(\%wrong_login);
my (@tu, @tw);
my $tries = 15;
for (1 .. $tries) {
	my ($t1, $s1) = timed(\%unknown_login);
	my ($t2, $s2) = timed(\%wrong_login);
	is("$s1 $s2", '401 401', 'both timed logins are 401') unless $s1 == 401 && $s2 == 401;
	push @tu, $t1;
	push @tw, $t2;
}
my ($median_unknown, $median_wrong) = (median(@tu), median(@tw));
my $ratio = $median_unknown / $median_wrong;
diag(sprintf 'median of %d tries: unknown e-mail %.1f ms, wrong password %.1f ms',
    $tries, 1000 * $median_unknown, 1000 * $median_wrong);
ok($ratio > 1 / 3 && $ratio < 3, sprintf('median login times agree (ratio %.2f)', $ratio));

# Throttling per account, reset by success.
redis(pubsub => 'DEL', $account_key, $address_key);
my @st = map { api(POST => '/api/login', { email => $u->{email}, password => "wrong-$_" })->{status} } 1 .. 5;
is_deeply(\@st, [ (401) x 5 ], 'five failures are answered 401');
$r = api(POST => '/api/login', { email => $u->{email}, password => $u->{password} });
is($r->{status}, 429, 'the sixth attempt is throttled, even with the right password');
ok($r->{headers}{'retry-after'} > 0, 'throttled answer has Retry-After');
is($r->{body}{error}{code}, 'TooManyRequests', 'code is TooManyRequests');
# Refused tries check no password, so they do not count against the
# address: one locked account must not lock out everyone behind it.
my @refused = map { api(POST => '/api/login', { email => $u->{email}, password => "again-$_" })->{status} } 1 .. 10;
is_deeply(\@refused, [ (429) x 10 ], 'tries against the locked account are refused');
is(redis(pubsub => 'INCRBY', $address_key, 0), ':5', 'only the five checked failures count against the address');
my $ttl = redis(pubsub => 'TTL', $account_key);
ok($ttl =~ /^:(\d+)/ && $1 > 0 && $1 <= 900, 'the counter expires');
redis(pubsub => 'DEL', $account_key);
is(api(POST => '/api/login', { email => $u->{email}, password => 'wrong' })->{status}, 401, 'failure after the window counts anew');
is(api(POST => '/api/login', { email => $u->{email}, password => $u->{password} })->{status}, 200, 'success below the limit logs in');
is(redis(pubsub => 'EXISTS', $account_key), ':0', 'success resets the account counter');

# Parallel guesses cannot pass the account limit together.
redis(pubsub => 'DEL', $account_key, $address_key);
pipe(my $rd, my $wr) or die;
my @kids;
for my $i (1 .. 16) {
	my $pid = fork // die;
	if ($pid == 0) {
		close $rd;
		print {$wr} api(POST => '/api/login', { email => $u->{email}, password => "guess-$i" })->{status}, "\n";
		exit 0;
	}
	push @kids, $pid;
}
close $wr;
my @parallel = map { chomp; $_ } <$rd>;
waitpid($_, 0) for @kids;
is(scalar(grep { $_ == 401 } @parallel), 5, 'only five of sixteen parallel guesses are checked');
is(scalar(grep { $_ == 429 } @parallel), 11, 'the others are throttled');
redis(pubsub => 'DEL', $account_key, $address_key);

# Throttling per address; X-Real-IP from the client is ignored.
redis(pubsub => 'DEL', $address_key);
my $over = 0;
for my $i (1 .. 50) {
	my $x = api(POST => '/api/login', { email => "ghost$i-$$\@example.com", password => 'whatever-1' },
	    headers => { 'x-real-ip' => "10.0.0.$i", 'x-forwarded-for' => "10.0.1.$i" });
	$over++ if $x->{status} != 401;
}
is($over, 0, 'fifty failures from one address are 401');
$r = api(POST => '/api/login', { email => "ghost-x-$$\@example.com", password => 'whatever-1' },
    headers => { 'x-real-ip' => '10.9.9.9' });
is($r->{status}, 429, 'the address is throttled whatever X-Real-IP says');
redis(pubsub => 'DEL', $address_key);

# Rehash on login when the stored cost is lower than configured.
my $weak = register_user();
my $old = sql("SELECT password_hash FROM profiles WHERE id = '$weak->{id}'");
(my $cheap_hash = `printf '%s' '$weak->{password}' | argon2 somesaltsomesalt -id -m 10 -t 1 -p 1 -e 2>/dev/null`) =~ s/\s+$//;
SKIP: {
	skip 'argon2 command-line tool not installed', 3 unless $cheap_hash =~ /^\$argon2id/;
	sql("UPDATE profiles SET password_hash = '$cheap_hash' WHERE id = '$weak->{id}'");
	is(api(POST => '/api/login', { email => $weak->{email}, password => $weak->{password} })->{status}, 200,
	    'login works with a weaker stored hash');
	my $new = sql("SELECT password_hash FROM profiles WHERE id = '$weak->{id}'");
	like($new, qr/m=19456,t=2/, 'the hash was upgraded to the configured cost');
	is(api(POST => '/api/login', { email => $weak->{email}, password => $weak->{password} })->{status}, 200,
	    'login works with the upgraded hash');
}

# Bad input on login.
$r = api(POST => '/api/login', { email => 5, password => 'x' });
is($r->{status}, 422, 'number for email is 422');
is($r->{body}{error}{field}, 'email', 'field email is named');
$r = api(POST => '/api/login', { email => $u->{email} });
is($r->{body}{error}{field}, 'password', 'missing password is named');

# The production setting: every token cookie is Secure.  The stack serves
# plain HTTP, which bunnybookd cannot see, and the test client sends the
# cookies back regardless.
sub set_cookies {
	my ($res) = @_;
	my $h = $res->{headers}{'set-cookie'} // [];
	return ref $h ? @$h : ($h);
}
{
	local $ENV{BUNNYBOOK_PLAIN_HTTP_LOOPBACK} = 'false';
	service(restart => 'bunnybookd');
	my $secure = new_client(cookies => 1);
	my $in = $secure->request(POST => '/api/login', { email => $u->{email}, password => $u->{password} });
	is($in->{status}, 200, 'login works with plain_http_loopback false');
	my $again = $secure->request(POST => '/api/refresh');
	is($again->{status}, 200, 'refresh works with plain_http_loopback false');
	for my $step ([ login => $in ], [ refresh => $again ]) {
		my ($name, $res) = @$step;
		my ($access_set) = grep { /^access_token=/ } set_cookies($res);
		my ($refresh_set) = grep { /^refresh_token=/ } set_cookies($res);
		my %want = (
			access => [ $access_set, qr/;\s*Path=\/(;|$)/, 'Lax' ],
			refresh => [ $refresh_set, qr/;\s*Path=\/api(;|$)/, 'Strict' ],
		);
		for my $cookie (sort keys %want) {
			my ($header, $path, $same_site) = @{ $want{$cookie} };
			ok(defined $header, "$name sets the $cookie cookie") or next;
			like($header, qr/;\s*Secure(;|$)/, "$name: $cookie cookie is Secure");
			like($header, qr/;\s*HttpOnly(;|$)/, "$name: $cookie cookie is HttpOnly");
			like($header, qr/;\s*SameSite=$same_site(;|$)/, "$name: $cookie cookie is SameSite=$same_site");
			like($header, $path, "$name: $cookie cookie has its path");
		}
	}
	my $out = $secure->request(POST => '/api/logout');
	is($out->{status}, 204, 'logout works with plain_http_loopback false');
	my @cleared = grep { /^(access|refresh)_token=;/ } set_cookies($out);
	is(scalar(grep { /;\s*Secure(;|$)/ } @cleared), 2, 'logout clears both cookies with Secure');
}
service(restart => 'bunnybookd');
my $plain = new_client(cookies => 1)->request(POST => '/api/login', { email => $u->{email}, password => $u->{password} });
is(scalar(grep { /Secure/ } set_cookies($plain)), 0, 'plain_http_loopback true again drops Secure');

done_testing();
