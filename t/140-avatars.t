#!/usr/bin/perl
# Generated avatars: deterministic across workers, well-formed SVG without
# user text, revalidated per profile, changeable only by their owner.  On a
# stack of its own with two workers that log every request, so the test
# can tell which worker drew a picture.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempfile);
use Bunny qw(api register_user login_user new_client private_stack
    worker_pids log_text wait_until);

# At debug level a worker logs each request it serves, with its pid and
# the request id that the response carries in X-Request-Id.
private_stack('avatars', workers => 2, settings => { log_level => 'debug' });
my @workers = worker_pids();
is(scalar @workers, 2, 'the stack has two workers');

# The pid of the process that logged request id $id, or undef.
sub served_by {
	my ($id) = @_;
	my $pid;
	return undef unless defined $id && $id =~ /^[0-9A-Za-z-]+$/;
	wait_until(5, sub { ($pid) = log_text('bunnybookd') =~ /\[(\d+)\] req=\Q$id\E /; defined $pid });
	return $pid;
}

my $r = api(GET => '/api/avatar/hello-bunny');
is($r->{status}, 200, 'preview is 200');
is($r->{headers}{'content-type'}, 'image/svg+xml', 'preview is SVG');
my $svg = $r->{content};

# Ask again until two workers have answered; nginx opens a new FastCGI
# connection per request and the idle workers take turns accepting them,
# so two requests are usually enough.
my (%bodies, %pids);
my $requests = 0;
while (keys %pids < 2 && $requests < 100) {
	my $x = api(GET => '/api/avatar/hello-bunny');
	$requests++;
	$bodies{ $x->{content} }++;
	my $pid = served_by($x->{headers}{'x-request-id'});
	$pids{$pid}++ if defined $pid;
}
diag("$requests requests, served by pids " . join(', ', sort keys %pids));
is(scalar keys %pids, 2, 'two worker processes drew the picture');
my %is_worker = map { $_ => 1 } @workers;
is(scalar(grep { !$is_worker{$_} } keys %pids), 0, 'the pids are the stack\'s workers');
is(scalar keys %bodies, 1, 'both workers give the same picture');
is((keys %bodies)[0], $svg, 'and it is the first one');
isnt(api(GET => '/api/avatar/another-bunny')->{content}, $svg, 'another identifier gives another picture');

for my $id ('<script>alert(1)</script>', 'a&b"c\'d', "\x{1F430}") {
	my $path = $id;
	utf8::encode($path);
	$path =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
	my $x = api(GET => "/api/avatar/$path");
	is($x->{status}, 200, "identifier with special characters is drawn");
	unlike($x->{content}, qr/script|alert|a&b/, 'identifier text never appears in the SVG');
	my ($fh, $file) = tempfile();
	print {$fh} $x->{content};
	close $fh;
	is(system("xmllint --noout '$file' 2>/dev/null"), 0, 'SVG is well-formed XML');
}
is(api(GET => '/api/avatar/' . ('x' x 65))->{status}, 422, '65-character identifier is 422');
is(api(GET => '/api/avatar/%FF')->{status}, 422, 'invalid UTF-8 identifier is 422');

my $u = register_user(avatar => 'first-choice');
$r = api(GET => "/api/profiles/$u->{id}/avatar");
is($r->{status}, 200, 'profile avatar is 200');
is($r->{content}, api(GET => '/api/avatar/first-choice')->{content}, 'it is the chosen identifier\'s picture');
my $etag = $r->{headers}{etag};
like($etag, qr/^"[0-9a-f]{16}"$/, 'profile avatar has an ETag');
is($r->{headers}{'cache-control'}, 'no-cache', 'profile avatar is revalidated on every use');
$r = api(GET => "/api/profiles/$u->{id}/avatar", undef, headers => { 'if-none-match' => $etag });
is($r->{status}, 304, 'matching If-None-Match is 304');
is(api(GET => "/api/profiles/$u->{id}/avatar", undef, headers => { 'if-none-match' => '*' })->{status}, 304,
    'If-None-Match: * is 304');
my ($version) = $etag =~ /"(.*)"/;
$r = api(GET => "/api/profiles/$u->{id}/avatar?v=$version");
like($r->{headers}{'cache-control'}, qr/max-age=31536000/, 'versioned URL may be cached for a year');

is(api(GET => '/api/profiles/00000000-0000-4000-8000-000000000000/avatar')->{status}, 404, 'unknown profile is 404');
is(api(GET => '/api/profiles/nope/avatar')->{status}, 422, 'non-UUID profile id is 422');

my $c = login_user($u);
my $other = register_user();
my $oc = login_user($other);
is(new_client()->request(PUT => "/api/profiles/$u->{id}/avatar", { avatarIdentifier => 'x' })->{status}, 401,
    'changing an avatar needs authentication');
is($oc->request(PUT => "/api/profiles/$u->{id}/avatar", { avatarIdentifier => 'x' })->{status}, 403,
    'nobody changes another person\'s avatar');
$r = $c->request(PUT => "/api/profiles/$u->{id}/avatar", { avatarIdentifier => '' });
is($r->{status}, 422, 'empty identifier is refused');
is($r->{body}{error}{field}, 'avatarIdentifier', 'field is named');
$r = $c->request(PUT => "/api/profiles/$u->{id}/avatar", { avatarIdentifier => 'second-choice' });
is($r->{status}, 200, 'owner changes the avatar');
like($r->{body}{avatarUrl}, qr{^/api/profiles/$u->{id}/avatar\?v=[0-9a-f]{16}$}, 'answer has the new versioned URL');
$r = api(GET => "/api/profiles/$u->{id}/avatar", undef, headers => { 'if-none-match' => $etag });
is($r->{status}, 200, 'the old ETag no longer matches');
is($r->{content}, api(GET => '/api/avatar/second-choice')->{content}, 'the new picture is served at once');

done_testing();
