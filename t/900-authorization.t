#!/usr/bin/perl
# The authorization matrix: every route of bunnybookd called as anonymous,
# a stranger, a friend, the owner, with an expired, a revoked and a forged
# token, and by cookie from a foreign Origin.  The expected answers are in
# t/authorization.table; a route without a row, or a row without a route,
# fails the test.
use strict;
use warnings;
use Test::More;
use Digest::SHA qw(hmac_sha256);
use JSON::PP ();
use MIME::Base64 qw(encode_base64url decode_base64url);
use Bunny qw(stack register_user login_user new_client service unique_name);
use Bunny::Stream;

my @callers = qw(anon stranger friend owner expired revoked forged origin);
my %usual_code = (401 => 'Unauthorized', 403 => 'Forbidden',
    404 => 'NotFound', 422 => 'ValidationFailed');
my $foreign_origin = 'http://attacker.example';
my $s = stack();

# ------------------------------------------------------------ the table

# Rows of t/authorization.table as hashes: method, pattern, auth, fixture,
# line and one "STATUS CODE" string per caller ('' where it does not apply).
sub read_table {
	my $file = "$s->{BB_ROOT}/t/authorization.table";
	open my $fh, '<', $file or die "cannot read $file: $!";
	my @rows;
	while (my $line = <$fh>) {
		next if $line =~ /^\s*(#|$)/;
		my ($method, $pattern, $auth, $fixture, @cells) = split ' ', $line;
		die "$file:$.: expected 12 columns\n" unless @cells == @callers;
		my %row = (method => $method, pattern => $pattern, auth => $auth,
		    fixture => $fixture, line => $.);
		for my $i (0 .. $#callers) {
			my ($status, $code) = split /:/, $cells[$i];
			next if $status eq '-';
			die "$file:$.: invalid cell $cells[$i]\n" unless $status =~ /^\d{3}$/;
			$code //= $status >= 400 ? $usual_code{$status} : '';
			die "$file:$.: $status needs an error code\n" unless defined $code;
			$row{expect}{$callers[$i]} = "$status $code";
		}
		push @rows, \%row;
	}
	return @rows;
}

my @rows = read_table();

# The table and the route table printed by bunnybookd name the same routes
# with the same auth levels.
my %route_auth;
open my $routes, '-|', $s->{BB_BIN}, 'routes'
    or die "bunnybookd routes: $!";
while (<$routes>) {
	my ($method, $pattern, $auth) = split ' ';
	$route_auth{"$method $pattern"} = $auth;
}
close $routes or die "bunnybookd routes failed\n";
ok(scalar(keys %route_auth) > 50, 'bunnybookd prints its route table');
my %rows_of;
push @{ $rows_of{"$_->{method} $_->{pattern}"} }, $_ for @rows;
for my $route (sort keys %route_auth) {
	ok($rows_of{$route}, "$route has a row in the table");
}
for my $row (@rows) {
	my $route = "$row->{method} $row->{pattern}";
	is($route_auth{$route}, $row->{auth},
	    "row at line $row->{line} names $route with its auth level");
}

# A bad token never gets further than a missing one would on optional
# and required routes: guard the table against slips.
for my $row (grep { $_->{auth} ne 'public' } @rows) {
	my @bad = grep { $row->{expect}{$_} ne '401 Unauthorized' }
	    qw(expired revoked forged);
	is("@bad", '', "line $row->{line}: bad tokens are expected to get 401");
	is($row->{expect}{anon}, '401 Unauthorized',
	    "line $row->{line}: anonymous is expected to get 401")
	    if $row->{auth} eq 'required';
}

# ------------------------------------------------------------ the people

# The owner, two friends of the owner who are not friends of each other,
# and a stranger.  Writes are limited per profile, and this test writes
# more than a person would in a minute.
$ENV{BUNNYBOOK_POST_WRITES_PER_WINDOW} = 10000;
$ENV{BUNNYBOOK_COMMENT_WRITES_PER_WINDOW} = 10000;
$ENV{BUNNYBOOK_LIKE_WRITES_PER_WINDOW} = 10000;
$ENV{BUNNYBOOK_CHAT_MESSAGES_PER_SECOND} = 10000;
$ENV{BUNNYBOOK_CHAT_TYPING_PER_SECOND} = 10000;
service(restart => 'bunnybookd');

sub person {
	my ($prefix) = @_;
	my $user = register_user(prefix => $prefix);
	$user->{c} = login_user($user);
	return $user;
}
my ($O, $F, $F2, $S) = map { person("authz$_") } qw(o f g s);

sub must {
	my ($r, $want, $what) = @_;
	die "$what: $r->{status} $r->{content}\n" unless $r->{status} == $want;
	return $r->{body};
}
sub profile_path { "/api/profiles/$_[0]{id}" }
sub befriend {
	my ($x, $y) = @_;
	must($x->{c}->request(POST => profile_path($x) . "/outgoing_friend_requests/$y->{id}"), 201, 'friend request');
	must($y->{c}->request(POST => profile_path($y) . "/friends/$x->{id}"), 201, 'accept');
}
befriend($O, $F);
befriend($O, $F2);

# ------------------------------------------------------- the bad tokens

# The owner's claims with another expiry, signed with the stack's key
# (the same value as jwt_key in its configuration) or with another key.
sub jwt {
	my ($claims, $key) = @_;
	my $json = JSON::PP->new->canonical;
	my $signed = encode_base64url($json->encode({ alg => 'HS256', typ => 'JWT' }))
	    . '.' . encode_base64url($json->encode($claims));
	return "$signed." . encode_base64url(hmac_sha256($signed, $key));
}
open my $key_fh, '<', "$s->{BB_DIR}/jwt.key" or die "jwt.key: $!";
chomp(my $key = <$key_fh>);
close $key_fh;
my $claims = JSON::PP::decode_json(decode_base64url((split /\./, $O->{c}->token)[1]));
my $now = time;
my $expired_token = jwt({ %$claims, iat => $now - 3600, exp => $now - 60 }, $key);
my $forged_token = jwt({ %$claims, iat => $now, exp => $now + 900 }, "not-$key");

my $revoked = login_user($O);
my $revoked_refresh = $revoked->cookie('refresh_token');
must($revoked->request(POST => '/api/logout'), 204, 'logout');
$revoked->set_cookie(refresh_token => $revoked_refresh);

sub bearer_client {
	my ($token) = @_;
	my $c = new_client(cookies => 1);
	$c->token($token);
	return $c;
}
my %client = (
	anon => new_client(),
	stranger => $S->{c},
	friend => $F->{c},
	owner => $O->{c},
	expired => bearer_client($expired_token),
	revoked => $revoked,
	forged => bearer_client($forged_token),
	origin => login_user($O, cookies_only => 1),
);
# The account each logged-in caller acts as, for fixtures that open new
# sessions.
my %person = (stranger => $S, friend => $F, owner => $O, origin => $O);

# ------------------------------------------------------------ resources

sub post_on {
	my ($author, $wall, $privacy) = @_;
	return must($author->{c}->request(POST => '/api/posts', { content => "a $privacy post",
	    wallProfileId => $wall->{id}, privacy => $privacy }), 201, 'post')->{id};
}
sub comment_on {
	my ($author, $post) = @_;
	return must($author->{c}->request(POST => "/api/posts/$post/comments",
	    { content => 'a comment' }), 201, 'comment')->{id};
}
sub message_in {
	my ($author, $group) = @_;
	return must($author->{c}->request(POST => "/api/chat/$group/messages",
	    { content => 'a message' }), 201, 'message')->{id};
}
sub new_group {
	return must($O->{c}->request(POST => '/api/chat',
	    { memberIds => [ $F2->{id} ], name => 'burrow' }), 201, 'group')->{chatGroupId};
}

my $public_post = post_on($O, $O, 'PUBLIC');
my $friends_post = post_on($O, $O, 'FRIENDS');
my $public_comment = comment_on($O, $public_post);
my $friends_comment = comment_on($O, $friends_post);
my $group = new_group();
my $group_msg = message_in($O, $group);
my ($private) = map { $_->{chatGroupId} } grep { $_->{profileId} eq $F->{id} }
    @{ must($O->{c}->request(GET => profile_path($O) . '/private_chats'), 200, 'private chats') };
my $private_msg = message_in($O, $private);
post_on($F, $O, 'PUBLIC');
my $notification = must($O->{c}->request(GET => profile_path($O) . '/notifications'),
    200, 'notifications')->[0]{id} or die "the owner has no notification\n";

# Each fixture returns the values of the route's path parameters and of
# the extra names that bodies and queries use.  The "per_caller" ones also
# return the client to call with ("as"), built for that caller.
my %fixture = (
	'-' => { build => sub { {} } },
	identifier => { build => sub { { identifier => 'authz-bunny' } } },
	profile => { build => sub { { id => $O->{id} } } },
	profile_pair => { build => sub { { id => $O->{id}, other => $F->{id} } } },
	login_clone => { per_caller => 1, build => sub {
		my ($caller) = @_;
		my $c = new_client(cookies => 1);
		$c->token($client{$caller}->token) if $caller ne 'origin';
		return { as => $c };
	} },
	own_session => { per_caller => 1, build => sub {
		my ($caller) = @_;
		my $who = $person{$caller} or return {};
		return { as => login_user($who, cookies_only => $caller eq 'origin') };
	} },
	throwaway => { per_caller => 1, build => sub {
		my ($caller) = @_;
		return {} unless $person{$caller};
		return { as => login_user(register_user(prefix => 'authzt'),
		    cookies_only => $caller eq 'origin') };
	} },
	owner_session => { fresh => 1, build => sub {
		my $c = login_user($O);
		my ($mine) = grep { $_->{current} }
		    @{ must($c->request(GET => '/api/sessions'), 200, 'sessions') };
		return { id => $mine->{id} };
	} },
	new_target => { fresh => 1, build => sub {
		return { id => $O->{id}, target => register_user(prefix => 'authzn')->{id} };
	} },
	outgoing_request => { fresh => 1, build => sub {
		my $t = register_user(prefix => 'authzn');
		must($O->{c}->request(POST => profile_path($O) . "/outgoing_friend_requests/$t->{id}"), 201, 'request');
		return { id => $O->{id}, target => $t->{id} };
	} },
	incoming_request => { fresh => 1, build => sub {
		my $r = person('authzr');
		must($r->{c}->request(POST => profile_path($r) . "/outgoing_friend_requests/$O->{id}"), 201, 'request');
		return { id => $O->{id}, requester => $r->{id} };
	} },
	new_friend => { fresh => 1, build => sub {
		my $x = person('authzx');
		befriend($x, $O);
		return { id => $O->{id}, friend => $x->{id} };
	} },
	public_post => { build => sub { { id => $public_post } } },
	friends_post => { build => sub { { id => $friends_post } } },
	own_post => { fresh => 1, build => sub { { id => post_on($O, $O, 'PUBLIC') } } },
	friend_post => { fresh => 1, build => sub { { id => post_on($F, $O, 'PUBLIC') } } },
	public_comment => { build => sub { { id => $public_comment } } },
	friends_comment => { build => sub { { id => $friends_comment } } },
	friend_comment => { fresh => 1, build => sub { { id => comment_on($F, $public_post) } } },
	stranger_comment => { fresh => 1, build => sub { { id => comment_on($S, $public_post) } } },
	group => { build => sub { { group => $group, message => $group_msg } } },
	group_newcomer => { fresh => 1, build => sub {
		my $x = person('authzm');
		befriend($x, $O);
		return { group => $group, newcomer => $x->{id} };
	} },
	group_to_leave => { fresh => 1, build => sub { { group => new_group(), member => $O->{id} } } },
	group_message => { fresh => 1, build => sub { { group => $group, msg => message_in($O, $group) } } },
	group_other_member => { build => sub { { group => $group, member => $F2->{id} } } },
	foreign_message => { fresh => 1, build => sub {
		my $msg = message_in($O, $private);
		return { group => $group, msg => $msg, message => $msg };
	} },
	private => { build => sub { { group => $private, message => $private_msg, member => $O->{id} } } },
	private_message => { fresh => 1, build => sub { { group => $private, msg => message_in($O, $private) } } },
);

# Bodies and query strings by route, from the fixture's values.
my %body = (
	'POST /api/register' => sub {
		my $name = unique_name('authzreg');
		return { username => $name, email => lc($name) . '@example.com',
		    password => 'carrots-and-clover' };
	},
	'POST /api/login' => sub { { email => $O->{email}, password => $O->{password} } },
	'POST /api/password' => sub { { currentPassword => 'carrots-and-clover',
	    newPassword => 'clover-and-carrots' } },
	'PUT /api/profiles/{id:uuid}/avatar' => sub { { avatarIdentifier => 'authz' } },
	'PATCH /api/profiles/{id:uuid}/notifications' => sub { [ $notification ] },
	'POST /api/chat' => sub { { memberIds => [ $F2->{id} ], name => 'warren' } },
	'PATCH /api/chat/{group:uuid}' => sub { { name => 'renamed' } },
	'POST /api/chat/{group:uuid}/members' => sub { { profileId => $_[0]{newcomer} } },
	'POST /api/chat/{group:uuid}/messages' => sub { { content => 'hello' } },
	'PATCH /api/chat/{group:uuid}/messages/{msg:uuid}' => sub { { content => 'edited' } },
	'POST /api/chat/{group:uuid}/read' => sub { { chatMessageId => $_[0]{message} } },
	'POST /api/posts' => sub { { content => 'on the wall', wallProfileId => $O->{id} } },
	'PATCH /api/posts/{id:uuid}' => sub { { content => 'edited' } },
	'POST /api/posts/{id:uuid}/comments' => sub { { content => 'a comment' } },
);
my %query = (
	'GET /api/profiles' => sub { 'username_query=authz' },
	'GET /api/posts' => sub { "wall_profile_id=$_[0]{id}" },
	'PATCH /api/profiles/{id:uuid}/notifications' => sub { 'read=true' },
);

# ------------------------------------------------------------ the calls

# The stream's status from a WebSocket handshake; a refused one is asked
# again as a plain GET for its error code (it never reaches nchan then).
sub stream_answer {
	my ($caller, $c) = @_;
	my %opt = (count => 1, timeout => 5000);
	my %headers;
	if ($caller eq 'origin') {
		$opt{cookie} = 'access_token=' . $c->cookie('access_token');
		$opt{origin} = $headers{origin} = $foreign_origin;
	} elsif (defined $c->token) {
		$opt{token} = $c->token;
	}
	my $h = Bunny::Stream::ws_start(%opt);
	kill 'TERM', $h->{pid};
	close $h->{fh};
	my $first = $h->{first} // '';
	return '200 ' if $first eq '# open';
	my ($status) = $first =~ /^# status (\d+)$/ or return "handshake: $first";
	my $r = $c->request(GET => '/rt', undef, headers => \%headers);
	return "$status " . ($r->{body}{error}{code} // '');
}

sub answer {
	my ($row, $caller, $values) = @_;
	my $route = "$row->{method} $row->{pattern}";
	my $c = $values->{as} // $client{$caller};
	return stream_answer($caller, $c) if $row->{pattern} eq '/rt';

	(my $path = $row->{pattern}) =~ s/\{(\w+):\w+\}/
	    $values->{$1} \/\/ die "fixture $row->{fixture} has no $1\n"/ge;
	$path .= '?' . $query{$route}->($values) if $query{$route};
	my $body = $body{$route} ? $body{$route}->($values) : undef;
	my %headers = $caller eq 'origin' ? (origin => $foreign_origin) : ();
	my $r = $c->request($row->{method}, $path, $body, headers => \%headers);
	my $code = $r->{status} >= 400 ? $r->{body}{error}{code} // '(none)' : '';
	return "$r->{status} $code";
}

my %built;
for my $row (grep { $route_auth{"$_->{method} $_->{pattern}"} } @rows) {
	my $fx = $fixture{$row->{fixture}}
	    or BAIL_OUT("line $row->{line}: unknown fixture $row->{fixture}");
	for my $caller (grep { exists $row->{expect}{$_} } @callers) {
		my $values = $fx->{per_caller} ? $fx->{build}->($caller)
		    : ($built{$row->{fixture}} //= $fx->{build}->($caller));
		my $got = answer($row, $caller, $values);
		is($got, $row->{expect}{$caller},
		    "$row->{method} $row->{pattern} [$row->{fixture}] as $caller");
		delete $built{$row->{fixture}} if $fx->{fresh} && $got =~ /^2/;
	}
}

# Later test files get the usual limits back.
delete $ENV{"BUNNYBOOK_$_"} for qw(POST_WRITES_PER_WINDOW COMMENT_WRITES_PER_WINDOW
    LIKE_WRITES_PER_WINDOW CHAT_MESSAGES_PER_SECOND CHAT_TYPING_PER_SECOND);
service(restart => 'bunnybookd');

done_testing();
