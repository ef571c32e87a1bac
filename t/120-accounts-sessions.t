#!/usr/bin/perl
# Sessions: refresh rotation and expiry, reuse revoking the session, the
# two-tab race, logout (also while the pub/sub Redis is paused), the
# session list, password changes and their throttling.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use Bunny qw(api register_user login_user new_client sql redis);
use Bunny::Stream;

# The id of the session a client is logged in with.
sub current_sid {
	my ($client) = @_;
	my ($s) = grep { $_->{current} } @{ $client->request(GET => '/api/sessions')->{body} // [] };
	return $s ? $s->{id} : undef;
}

sub set_cookies {
	my ($res) = @_;
	my $h = $res->{headers}{'set-cookie'} // [];
	return ref $h ? @$h : ($h);
}

my $u = register_user();

# Rotation.
my $tab = login_user($u, cookies_only => 1);
my $t1 = $tab->cookie('refresh_token');
like($t1, qr/^[A-Za-z0-9_-]{43}$/, 'refresh token is 256 bits in base64url');
my $r = $tab->request(POST => '/api/refresh', undef, headers => { 'content-type' => 'application/json' });
is($r->{status}, 200, 'refresh succeeds');
ok($r->{body}{accessToken}, 'refresh returns a new access token');
my $t2 = $tab->cookie('refresh_token');
isnt($t2, $t1, 'refresh rotates the refresh token');
is($tab->request(GET => '/api/sessions')->{status}, 200, 'new access cookie works');
is(sql("SELECT count(*) FROM refresh_tokens WHERE token_hash = encode(sha256('$t1'::bytea), 'hex')"), 1,
    'only the hash of the token is stored');
is(sql("SELECT count(*) FROM refresh_tokens WHERE token_hash = '$t1'"), 0, 'the token itself is not stored');

# Reuse within the grace period: 401 without revoking, cookies kept.
my $stale = new_client(cookies => 1);
$stale->set_cookie(refresh_token => $t1);
$r = $stale->request(POST => '/api/refresh');
is($r->{status}, 401, 'a just-rotated token is refused');
ok(!grep({ /refresh_token=;/ } ref $r->{headers}{'set-cookie'} ? @{ $r->{headers}{'set-cookie'} } : ($r->{headers}{'set-cookie'} // ())),
    'the grace answer does not clear cookies');
is($tab->request(POST => '/api/refresh')->{status}, 200, 'the session survives a reuse within the grace period');
my $t3 = $tab->cookie('refresh_token');

# The two-tab race: both tabs refresh with the same token at once.
my @kids;
pipe(my $rd, my $wr) or die;
for my $i (1 .. 2) {
	my $pid = fork // die;
	if ($pid == 0) {
		close $rd;
		my $c = new_client(cookies => 1);
		$c->set_cookie(refresh_token => $t3);
		my $x = $c->request(POST => '/api/refresh');
		print {$wr} "$x->{status} " . ($c->cookie('refresh_token') // '-') . "\n";
		exit 0;
	}
	push @kids, $pid;
}
close $wr;
my @lines = <$rd>;
waitpid($_, 0) for @kids;
my @statuses = sort map { (split)[0] } @lines;
is_deeply(\@statuses, [ 200, 401 ], 'one tab refreshes, the other gets a 401');
my ($winner) = map { (split)[1] } grep { /^200/ } @lines;
my $after = new_client(cookies => 1);
$after->set_cookie(refresh_token => $winner);
my $refreshed = $after->request(POST => '/api/refresh');
is($refreshed->{status}, 200, 'the race did not revoke the session');
my $current = $after->cookie('refresh_token');
my $stream = Bunny::Stream::ws_start(token => $refreshed->{body}{accessToken}, count => 1000, timeout => 20000);
is($stream->{first}, '# open', 'a stream of the session opens');

# Reuse after the grace period revokes the whole session.
sql("UPDATE refresh_tokens SET rotated_at = now() - interval '1 hour' WHERE rotated_at IS NOT NULL");
$stale = new_client(cookies => 1);
$stale->set_cookie(refresh_token => $t1);
$r = $stale->request(POST => '/api/refresh');
is($r->{status}, 401, 'an old rotated token is refused');
like($r->{body}{error}{message}, qr/revoked/, 'the answer says the session was revoked');
my $started = time;
my (undef, $status) = Bunny::Stream::ws_wait($stream);
ok((grep { /^# close/ } @$status), 'the revoked session\'s stream is closed by the server');
cmp_ok(time - $started, '<', 5, 'the stream closes at once');
$after->token(undef);
is($after->request(POST => '/api/refresh')->{status}, 401, 'the current token of that session no longer refreshes');
is($after->request(GET => '/api/sessions')->{status}, 401, 'its access token is rejected at once');

$r = new_client(cookies => 1)->request(POST => '/api/refresh');
is($r->{status}, 401, 'refresh without a cookie is 401');
my $bogus = new_client(cookies => 1);
$bogus->set_cookie(refresh_token => 'A' x 43);
$r = $bogus->request(POST => '/api/refresh');
is($r->{status}, 401, 'unknown refresh token is 401');
like(join(' ', ref $r->{headers}{'set-cookie'} ? @{ $r->{headers}{'set-cookie'} } : $r->{headers}{'set-cookie'}),
    qr/refresh_token=;.*Max-Age=0|Max-Age=0.*refresh_token/, 'a refused refresh clears the cookies');

# Logout kills the access token immediately.
my $c = login_user($u);
is($c->request(GET => '/api/sessions')->{status}, 200, 'fresh session works');
my $c_sid = current_sid($c);
is(redis(pubsub => 'EXISTS', "bb:live:$c_sid"), ':1', 'a checked session has a mark in Redis');
$r = $c->request(POST => '/api/logout');
is($r->{status}, 204, 'logout is 204');
is(redis(pubsub => 'EXISTS', "bb:live:$c_sid"), ':1',
    'logout leaves a revoked mark, so a late write cannot mark it live');
is($c->request(GET => '/api/sessions')->{status}, 401, 'the access token is rejected right after logout');
is($c->request(GET => '/api/feed')->{status}, 401, 'a route with the late session check rejects it too');
is($c->request(POST => '/api/refresh')->{status}, 401, 'the refresh token is revoked too');
is(new_client()->request(POST => '/api/logout')->{status}, 401, 'logout needs authentication');

# A revocation survives a restart of the Redis that caches session state.
my $gone = login_user($u);
is($gone->request(GET => '/api/sessions')->{status}, 200, 'session works before logout');
$gone->request(POST => '/api/logout');
Bunny::service(restart => 'redis-pubsub');
my @after_restart = map { $gone->request(GET => '/api/sessions')->{status} } 1 .. 8;
is_deeply(\@after_restart, [ (401) x 8 ], 'a logged-out token stays rejected after Redis restarts');

# A logout while the pub/sub Redis is paused cannot replace the session's
# mark there, and the mark still says "live" when Redis resumes (if the
# logout's write was queued, Redis may run it on resume: the test puts the
# old mark back either way).  The token must be refused from the logout
# on, on every worker, also after Redis resumes.
my $hiccup = login_user($u);
my $hiccup_sid = current_sid($hiccup);
my $bystander = login_user($u);
is($bystander->request(GET => '/api/sessions')->{status}, 200, 'another session works before the pause');
is(redis(pubsub => 'EXISTS', "bb:live:$hiccup_sid"), ':1', 'the session is marked live before the pause');
my $old_epoch = sql('SELECT epoch FROM session_epoch');
Bunny::service(pause => 'redis-pubsub');
my $t0 = time;
$r = $hiccup->request(POST => '/api/logout');
diag(sprintf 'logout with the pub/sub Redis paused took %.1f s', time - $t0);
is($r->{status}, 204, 'logout succeeds while Redis is paused');
is($hiccup->request(GET => '/api/sessions')->{status}, 401, 'the token is rejected at once while Redis is paused');
is($hiccup->request(GET => '/api/feed')->{status}, 401, 'a late-checked route rejects it while Redis is paused');
Bunny::service(resume => 'redis-pubsub');
cmp_ok(sql('SELECT epoch FROM session_epoch'), '>', $old_epoch, 'the logout moved the session epoch on');
my (@gone_after, @live_after);
for my $i (1 .. 4) {
	redis(pubsub => 'SET', "bb:live:$hiccup_sid", $old_epoch, 'EX', 60);
	push @gone_after, $hiccup->request(GET => '/api/sessions')->{status};
	push @live_after, $bystander->request(GET => '/api/sessions')->{status};
	redis(pubsub => 'SET', "bb:live:$hiccup_sid", $old_epoch, 'EX', 60);
	push @gone_after, $hiccup->request(GET => '/api/feed')->{status};
}
is_deeply(\@gone_after, [ (401) x 8 ], 'the token stays rejected after Redis resumes');
is_deeply(\@live_after, [ (200) x 4 ], 'the other session keeps working after Redis resumes');

# nchan's Redis came back, but an nginx worker may notice only after its
# Redis connect timeout: a fresh nginx leaves the next test streams that work.
Bunny::service(restart => 'nginx');

# Session list and ending one session.
my $a = login_user($u);
my $b = login_user($u);
$r = $a->request(GET => '/api/sessions', undef, headers => { 'user-agent' => 'Tab A' });
is($r->{status}, 200, 'session list is 200');
my @current = grep { $_->{current} } @{ $r->{body} };
is(scalar @current, 1, 'exactly one session is current');
for my $field (qw(id createdAt lastUsedAt userAgent ip current)) {
	ok(exists $r->{body}[0]{$field}, "session has $field");
}
like($r->{body}[0]{createdAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'times are ISO 8601 UTC with milliseconds');
my $b_sid = (grep { !$_->{current} } @{ $r->{body} })[0]{id};
my $b_list = $b->request(GET => '/api/sessions')->{body};
my ($b_current) = grep { $_->{current} } @$b_list;
is($a->request(DELETE => "/api/sessions/$b_current->{id}")->{status}, 204, 'ending another session is 204');
is($b->request(GET => '/api/sessions')->{status}, 401, 'the ended session is rejected at once');
is($a->request(GET => '/api/sessions')->{status}, 200, 'the caller keeps working');
is($a->request(DELETE => "/api/sessions/$b_current->{id}")->{status}, 404, 'ending it twice is 404');
is($a->request(DELETE => '/api/sessions/00000000-0000-4000-8000-000000000000')->{status}, 404, 'unknown session is 404');
is($a->request(DELETE => '/api/sessions/not-a-uuid')->{status}, 422, 'non-UUID session id is 422');
my $other = register_user();
my $oc = login_user($other);
my ($osid) = map { $_->{id} } grep { $_->{current} } @{ $oc->request(GET => '/api/sessions')->{body} };
is($a->request(DELETE => "/api/sessions/$osid")->{status}, 404, 'another person\'s session is 404');
is($oc->request(GET => '/api/sessions')->{status}, 200, 'and stays alive');

# Password change revokes every other session.
my $keep = login_user($u);
my $lose = login_user($u);
$r = $keep->request(POST => '/api/password', { currentPassword => 'not-it', newPassword => 'new-carrots-1' });
is($r->{status}, 403, 'wrong current password is refused');
is($r->{body}{error}{field}, 'currentPassword', 'field currentPassword is named');
$r = $keep->request(POST => '/api/password', { currentPassword => $u->{password}, newPassword => 'short' });
is($r->{status}, 422, 'short new password is refused');
is($r->{body}{error}{field}, 'newPassword', 'field newPassword is named');
$r = $keep->request(POST => '/api/password', { currentPassword => $u->{password}, newPassword => 'new-carrots-1' });
is($r->{status}, 204, 'password change is 204');
is($keep->request(GET => '/api/sessions')->{status}, 200, 'the changing session stays');
is($lose->request(GET => '/api/sessions')->{status}, 401, 'other sessions are revoked');
is(api(POST => '/api/login', { email => $u->{email}, password => $u->{password} })->{status}, 401, 'old password no longer works');
is(api(POST => '/api/login', { email => $u->{email}, password => 'new-carrots-1' })->{status}, 200, 'new password works');

# Wrong current passwords are throttled per account and per address like
# logins, and the right one resets the account's counter.
my $g = register_user();
my $gc = login_user($g);
my $pw_account = "bb:passwordfail:account:$g->{id}";
my $pw_address = 'bb:passwordfail:address:127.0.0.1';
redis(pubsub => 'DEL', $pw_address);
sub change_password {
	my ($client, $current) = @_;
	return $client->request(POST => '/api/password', { currentPassword => $current, newPassword => 'new-carrots-2' });
}
my @wrong = map { change_password($gc, "guess-$_")->{status} } 1 .. 5;
is_deeply(\@wrong, [ (403) x 5 ], 'five wrong current passwords are 403');
$r = change_password($gc, $g->{password});
is($r->{status}, 429, 'the sixth attempt is throttled, even with the right password');
like($r->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/, 'the throttled answer has Retry-After');
is($r->{body}{error}{code}, 'TooManyRequests', 'code is TooManyRequests');
like(redis(pubsub => 'TTL', $pw_account), qr/^:([1-9]\d*)$/, 'the counter expires');
is(api(POST => '/api/login', { email => $g->{email}, password => $g->{password} })->{status}, 200,
    'login is not throttled by wrong current passwords');
redis(pubsub => 'DEL', $pw_account);
is(change_password($gc, 'guess-again')->{status}, 403, 'a failure after the window counts anew');
is(change_password($gc, $g->{password})->{status}, 204, 'the right password below the limit works');
is(redis(pubsub => 'EXISTS', $pw_account), ':0', 'success resets the account counter');
redis(pubsub => 'SET', $pw_address, 50, 'EX', 900);
my $h = register_user();
$r = change_password(login_user($h), 'not-the-password');
is($r->{status}, 429, 'fifty failures from one address throttle other accounts');
like($r->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/, 'the address answer has Retry-After');
redis(pubsub => 'DEL', $pw_address);

# Each refresh keeps the session for the refresh token's 14 days from then,
# so a session in use stays signed in.
my $k = register_user();
my $kc = login_user($k, cookies_only => 1);
my $k_sid = current_sid($kc);
sql("UPDATE sessions SET expires_at = now() + interval '1 day' WHERE id = '$k_sid'");
$r = $kc->request(POST => '/api/refresh');
is($r->{status}, 200, 'a session with one day left refreshes');
my $fortnight = 14 * 86400;
cmp_ok($r->{body}{refreshExp}, '>=', int(time) + $fortnight - 60, 'the new refresh token lives 14 days');
cmp_ok($r->{body}{refreshExp}, '<=', int(time) + $fortnight + 2, 'and no longer');
is(sql("SELECT floor(extract(epoch FROM expires_at))::bigint FROM sessions WHERE id = '$k_sid'"),
    $r->{body}{refreshExp}, 'the session expires with its newest refresh token');
my ($k_cookie) = grep { /^refresh_token=/ } set_cookies($r);
my ($max_age) = ($k_cookie // '') =~ /Max-Age=(\d+)/;
ok(defined $max_age && abs($max_age - $fortnight) <= 60, 'the refresh cookie lives 14 days');
sql("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = '$k_sid'");
is($kc->request(POST => '/api/refresh')->{status}, 401, 'an expired session does not refresh');

# Expired and long-revoked sessions are purged at the next login.
my $p = register_user();
my $old = login_user($p);
my ($old_sid) = map { $_->{id} } grep { $_->{current} } @{ $old->request(GET => '/api/sessions')->{body} };
sql("UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = '$old_sid'");
login_user($p);
is(sql("SELECT count(*) FROM sessions WHERE id = '$old_sid'"), 0, 'an expired session is purged at the next login');
is(sql("SELECT count(*) FROM refresh_tokens WHERE session_id = '$old_sid'"), 0, 'its refresh tokens go with it');

done_testing();
