#!/usr/bin/perl
# Registration: validation per field, conflicts regardless of case, bad
# input named by field, and nothing half-written.
use strict;
use warnings;
use Test::More;
use Bunny qw(api sql unique_name register_user);

my $name = unique_name('Reg');
my $email = "$name\@Example.COM";

my $r = api(POST => '/api/register',
    { username => $name, email => $email, password => 'carrots-123', extra => 'ignored' });
is($r->{status}, 201, 'registration succeeds');
like($r->{body}{id}, qr/^[0-9a-f-]{36}$/, 'response has the profile id');
is($r->{body}{username}, $name, 'username is kept as typed');
is($r->{body}{email}, lc $email, 'e-mail is stored lower-case');
is($r->{body}{role}, 'USER', 'role is USER');
ok(!exists $r->{body}{password} && !exists $r->{body}{passwordHash}, 'no password in the response');
my $hash = sql("SELECT password_hash FROM profiles WHERE id = '$r->{body}{id}'");
like($hash, qr/^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=\d+\$/, 'password stored as Argon2id PHC string');
my ($m, $t) = $hash =~ /m=(\d+),t=(\d+)/;
ok($m >= 19456 && $t >= 2, "cost at least 19 MiB and 2 passes (m=$m t=$t)");

$r = api(POST => '/api/register', { username => uc $name, email => 'other-' . lc($email), password => 'carrots-123' });
is($r->{status}, 409, 'username differing only in case conflicts');
is($r->{body}{error}{code}, 'UsernameAlreadyTaken', 'code is UsernameAlreadyTaken');
is($r->{body}{error}{field}, 'username', 'field is username');

$r = api(POST => '/api/register', { username => unique_name('Other'), email => uc $email, password => 'carrots-123' });
is($r->{status}, 409, 'e-mail differing only in case conflicts');
is($r->{body}{error}{code}, 'EmailAlreadyTaken', 'code is EmailAlreadyTaken');
is($r->{body}{error}{field}, 'email', 'field is email');

my $before = sql('SELECT count(*) FROM profiles');
my @cases = (
	[ { email => 'a@example.com', password => 'carrots-123' }, 'username', 'missing username' ],
	[ { username => 'x', email => 'a@example.com', password => 'carrots-123' }, 'username', 'one-character username' ],
	[ { username => 'a' x 33, email => 'a@example.com', password => 'carrots-123' }, 'username', 'long username' ],
	[ { username => 'bad name', email => 'a@example.com', password => 'carrots-123' }, 'username', 'username with a space' ],
	[ { username => 'a..b', email => 'a@example.com', password => 'carrots-123' }, 'username', 'double separator' ],
	[ { username => 12345, email => 'a@example.com', password => 'carrots-123' }, 'username', 'number for username' ],
	[ { username => ['x'], email => 'a@example.com', password => 'carrots-123' }, 'username', 'array for username' ],
	[ { username => "ab\x{0}cd", email => 'a@example.com', password => 'carrots-123' }, 'username', 'NUL in username' ],
	[ { username => unique_name('v'), password => 'carrots-123' }, 'email', 'missing email' ],
	[ { username => unique_name('v'), email => 'not-an-address', password => 'carrots-123' }, 'email', 'invalid email' ],
	[ { username => unique_name('v'), email => ('a' x 250) . '@example.com', password => 'carrots-123' }, 'email', 'oversized email' ],
	[ { username => unique_name('v'), email => 'a@example.com' }, 'password', 'missing password' ],
	[ { username => unique_name('v'), email => 'a@example.com', password => 'short' }, 'password', 'short password' ],
	[ { username => unique_name('v'), email => 'a@example.com', password => 'p' x 129 }, 'password', 'long password' ],
	[ { username => 'Same-Name1', email => 'a@example.com', password => 'same-name1' }, 'password', 'password equal to username' ],
	[ { username => unique_name('v'), email => 'carrots@example.com', password => 'Carrots@example.com' }, 'password', 'password equal to email' ],
	[ { username => unique_name('v'), email => 'a@example.com', password => 'carrots-123', avatarIdentifier => '' }, 'avatarIdentifier', 'empty avatar identifier' ],
	[ { username => unique_name('v'), email => 'a@example.com', password => 'carrots-123', avatarIdentifier => 'x' x 65 }, 'avatarIdentifier', 'long avatar identifier' ],
	[ { username => unique_name('v'), email => 'a@example.com', password => 'carrots-123', avatarIdentifier => 7 }, 'avatarIdentifier', 'number for avatar identifier' ],
);
for my $case (@cases) {
	my ($body, $field, $what) = @$case;
	$r = api(POST => '/api/register', $body);
	is($r->{status}, 422, "$what: 422");
	is($r->{body}{error}{field}, $field, "$what: names $field");
	is($r->{body}{error}{code}, 'ValidationFailed', "$what: ValidationFailed");
}

# A length error states the rule of its field, however long the value.
my %valid = (username => unique_name('len'), email => 'len@example.com', password => 'carrots-123');
for my $case (
	[ username => 'a' x 1001, 'username must be 2-32 characters' ],
	[ username => 'a' x 33, 'username must be 2-32 characters' ],
	[ username => 'x', 'username must be 2-32 characters' ],
	[ email => ('a' x 989) . '@example.com', 'email must be at most 254 characters' ],
	[ email => ('a' x 243) . '@example.com', 'email must be at most 254 characters' ],
	[ password => 'p' x 1001, 'password must be 8-128 characters' ],
	[ avatarIdentifier => 'x' x 1001, 'avatarIdentifier must be 1-64 characters' ],
) {
	my ($field, $value, $message) = @$case;
	my $what = sprintf '%d-character %s', length $value, $field;
	$r = api(POST => '/api/register', { %valid, $field => $value });
	is($r->{status}, 422, "$what: 422");
	is($r->{body}{error}{field}, $field, "$what: names $field");
	is($r->{body}{error}{message}, $message, "$what: states the rule");
}

$r = api(POST => '/api/register', undef, raw => '{"username":"ab","username":"cd","email":"a@example.com","password":"carrots-123"}',
    headers => { 'content-type' => 'application/json' });
is($r->{status}, 400, 'duplicate key is refused');
is($r->{body}{error}{field}, 'username', 'duplicate key is named');

# Text that is not Unicode, raw or escaped, is refused naming its field.
# JSON::PP is not used to build these bodies: it would not send them.
sub raw_register {
	my (%fields) = @_;
	my %body = (username => '"bunny_t"', email => '"t@example.com"',
	    password => '"carrots-123"', %fields);
	my $json = '{' . join(',', map { "\"$_\":$body{$_}" } sort keys %body) . '}';
	return api(POST => '/api/register', undef, raw => $json,
	    headers => { 'content-type' => 'application/json' });
}
for my $field (qw(username email password)) {
	$r = raw_register($field => "\"ab\xffcd-123\"");
	is($r->{status}, 400, "invalid UTF-8 in $field: 400");
	is($r->{body}{error}{code}, 'MalformedJson', "invalid UTF-8 in $field: MalformedJson");
	is($r->{body}{error}{field}, $field, "invalid UTF-8 in $field: names $field");
	is($r->{body}{error}{message}, "$field is not valid UTF-8", "invalid UTF-8 in $field: says what is wrong");

	$r = raw_register($field => '"ab\\ud800cd-123"');
	is($r->{status}, 400, "lone surrogate in $field: 400");
	is($r->{body}{error}{code}, 'MalformedJson', "lone surrogate in $field: MalformedJson");
	is($r->{body}{error}{field}, $field, "lone surrogate in $field: names $field");
	like($r->{body}{error}{message}, qr/^\Q$field\E has the lone UTF-16 surrogate escape \\ud800; /,
	    "lone surrogate in $field: says what is wrong");
}
$r = raw_register(username => "\"bunny\xc0\xaf\"");
is($r->{body}{error}{field}, 'username', 'overlong UTF-8 names its field');
$r = raw_register(password => '"carrots\\udc00-123"');
is($r->{body}{error}{field}, 'password', 'lone low surrogate names its field');
# The username is refused after the text check, so the pair passed it.
$r = raw_register(username => '"x"', password => '"carrots\\ud83d\\ude00-123"');
is($r->{body}{error}{field}, 'username', 'a surrogate pair is text');

# An ignored extra field must be text too; nested values are named by their
# top-level key, the path goes in the message.
$r = raw_register(extra => "{\"list\":[1,\"\xff\"]}");
is($r->{status}, 400, 'invalid UTF-8 in a nested value: 400');
is($r->{body}{error}{field}, 'extra', 'invalid UTF-8 in a nested value: names the top-level key');
is($r->{body}{error}{message}, 'extra.list[1] is not valid UTF-8', 'invalid UTF-8 in a nested value: gives the path');
$r = raw_register("ab\xff" => '1');
is($r->{status}, 400, 'invalid UTF-8 in a key: 400');
is($r->{body}{error}{field}, "ab\x{FFFD}", 'invalid UTF-8 in a key: names the key, U+FFFD for the byte');
like($r->{body}{error}{message}, qr/^the key ab\x{FFFD} is not valid UTF-8/, 'invalid UTF-8 in a key: says it is the key');

$r = api(POST => '/api/register', undef, raw => '{"username":', headers => { 'content-type' => 'application/json' });
is($r->{status}, 400, 'truncated JSON is refused');
is($r->{body}{error}{code}, 'MalformedJson', 'truncated JSON is MalformedJson');

# json-c 0.16 parses single-quoted keys even in strict mode.
$r = api(POST => '/api/register', undef, raw => q({'username':"bunny_a",'username':"bunny_b"}), headers => { 'content-type' => 'application/json' });
is($r->{status}, 400, 'single-quoted keys are refused');
is($r->{body}{error}{code}, 'MalformedJson', 'single-quoted keys are MalformedJson');

$r = api(POST => '/api/register', undef, raw => '{"a":1} x', headers => { 'content-type' => 'application/json' });
is($r->{status}, 400, 'trailing garbage is refused');

$r = api(POST => '/api/register', undef, raw => '["username"]', headers => { 'content-type' => 'application/json' });
is($r->{status}, 422, 'array body is refused');

$r = api(POST => '/api/register', undef, raw => 'username=ab', headers => { 'content-type' => 'application/x-www-form-urlencoded' });
is($r->{status}, 415, 'form body is 415');
is($r->{body}{error}{code}, 'UnsupportedMediaType', 'code is UnsupportedMediaType');

$r = api(POST => '/api/register', undef, raw => '{"username":"' . ('a' x 70000) . '"}', headers => { 'content-type' => 'application/json' });
is($r->{status}, 413, 'body over max_body_bytes is 413');
is($r->{body}{error}{code}, 'PayloadTooLarge', 'code is PayloadTooLarge');

$r = api(POST => '/api/register', undef, raw => ('[' x 100) . (']' x 100), headers => { 'content-type' => 'application/json' });
is($r->{status}, 400, 'deeply nested JSON is refused');

$r = api(POST => '/api/register', undef, headers => { 'content-type' => 'application/json' });
is($r->{status}, 400, 'empty body is refused');

is(sql('SELECT count(*) FROM profiles'), $before, 'failed registrations left no rows');

# Concurrent registrations of one name: exactly one wins.
my $race = unique_name('Race');
my @kids;
for my $i (1 .. 4) {
	my $pid = fork // die;
	if ($pid == 0) {
		my $x = api(POST => '/api/register', { username => ($i % 2 ? $race : lc $race),
		    email => "race$i-$$\@example.com", password => 'carrots-123' });
		exit($x->{status} == 201 ? 0 : $x->{status} == 409 ? 1 : 2);
	}
	push @kids, $pid;
}
my %exit;
for (@kids) { waitpid($_, 0); $exit{$? >> 8}++ }
is($exit{0}, 1, 'one concurrent registration wins');
is($exit{1}, 3, 'the others get 409');

my $u = register_user(avatar => 'my-bunny');
is(sql("SELECT avatar_identifier FROM profiles WHERE id = '$u->{id}'"), 'my-bunny', 'chosen avatar identifier is stored');
$u = register_user();
like(sql("SELECT avatar_identifier FROM profiles WHERE id = '$u->{id}'"), qr/^[0-9a-f]{32}$/, 'random avatar identifier when absent');

done_testing();
