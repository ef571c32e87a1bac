#!/usr/bin/perl
# The API description against the code: every route of the router table
# is documented and every documented operation is a route, with matching
# path parameters, authentication and JSON bodies; the document's
# references and examples hold; nginx serves it unchanged; and the live
# server's answers to representative requests have the documented status
# and validate against the documented schema, as does a chat stream event.
use strict;
use warnings;
use Test::More;
use Bunny qw(api stack new_client register_user login_user unique_name);
use Bunny::OpenAPI;
use Bunny::Stream;

my $s = stack();
my $api = Bunny::OpenAPI->new("$s->{BB_ROOT}/static/apidocs/openapi.json");
my $doc = $api->doc;
my @routes = grep { !$_->{internal} }
    Bunny::OpenAPI->route_table($s->{BB_BIN});
my @methods = qw(get put post delete patch head options trace);

is($doc->{openapi}, '3.1.0', 'document is OpenAPI 3.1.0');
ok(@routes > 30, 'bunnybookd routes prints the table: ' . scalar @routes);

# Both ways: table to document, document to table.
my %in_table;
for my $r (@routes) {
	$in_table{"$r->{method} $r->{path}"} = $r;
	ok($api->operation($r->{method}, $r->{path}),
	    "route $r->{method} $r->{pattern} is documented");
}
for my $path (sort keys %{ $doc->{paths} }) {
	for my $method (grep { $doc->{paths}{$path}{$_} } @methods) {
		ok($in_table{uc($method) . " $path"},
		    "documented \U$method\E $path is a route");
	}
}

# Each route's operation: parameters, auth, body, tags, responses.
my %tags = map { ($_->{name} => 1) } @{ $doc->{tags} };
my %operation_ids;
my %base_auth = (public => 'public', optional => 'optional',
    required => 'required', self => 'required', author => 'required',
    member => 'required');
for my $r (@routes) {
	my $op = $api->operation($r->{method}, $r->{path}) or next;
	my $name = "$r->{method} $r->{path}";
	my $item = $doc->{paths}{ $r->{path} };

	my %path_params;
	for my $p (map { $api->resolve($_) } @{ $item->{parameters} // [] }, @{ $op->{parameters} // [] }) {
		$path_params{ $p->{name} } = $p if $p->{in} eq 'path';
	}
	is_deeply([ sort keys %path_params ], [ sort keys %{ $r->{params} } ],
	    "$name: path parameters match the pattern");
	for my $param (sort keys %{ $r->{params} }) {
		my $p = $path_params{$param} or next;
		ok($p->{required}, "$name: {$param} is required");
		my $schema = $api->resolve($p->{schema});
		is($schema->{format} // '', $r->{params}{$param} eq 'uuid' ? 'uuid' : '',
		    "$name: {$param} format fits its type $r->{params}{$param}");
	}

	my $auth = $op->{'x-bunnybook-auth'} // '';
	is($base_auth{$auth} // 'unknown', $r->{auth},
	    "$name: x-bunnybook-auth $auth fits the table's $r->{auth}");
	my $security = $op->{security} // $doc->{security};
	my $anonymous = grep { !%$_ } @$security;
	if ($r->{auth} eq 'public') {
		ok(!grep({ $_->{bearerAuth} || $_->{cookieAuth} } @$security),
		    "$name: public, so no access token scheme");
	} elsif ($r->{auth} eq 'optional') {
		ok($anonymous && @$security > 1, "$name: optional, so anonymous or a token");
	} else {
		ok(!$anonymous && @$security, "$name: a token is required");
	}

	my $json_body = $op->{requestBody}
	    && $api->resolve($op->{requestBody})->{content}{'application/json'};
	is($json_body ? 1 : 0, $r->{json}, "$name: a JSON body exactly when the table reads one");

	ok(@{ $op->{tags} // [] } && !grep({ !$tags{$_} } @{ $op->{tags} }),
	    "$name: tagged with a declared tag");
	ok($op->{operationId} && !$operation_ids{ $op->{operationId} }++,
	    "$name: has a unique operationId");
	my @statuses = keys %{ $op->{responses} // {} };
	ok(grep({ /^2\d\d$/ } @statuses), "$name: documents a success response");
	ok(!grep({ !/^[1-5]\d\d$/ } @statuses), "$name: response keys are status codes");
	for my $status (grep { /^[45]/ } @statuses) {
		my $schema = $api->response_schema($op, $status);
		my $ok = $schema && ($api->resolve($schema) == $doc->{components}{schemas}{Error}
		    || $api->resolve($schema) == $doc->{components}{schemas}{NotReady});
		ok($ok, "$name: $status uses the error shape");
	}
}

# References resolve; examples validate against their schemas.
for my $ref (sort { $a cmp $b } do { my %u; grep { !$u{$_}++ } $api->all_refs }) {
	ok(eval { $api->resolve({ '$ref' => $ref }); 1 }, "reference $ref resolves");
}
my @examples;
my $collect = sub {
	my ($where, $content) = @_;
	my $media = $content->{'application/json'} or return;
	push @examples, [ $where, $media->{schema}, $media->{example} ] if exists $media->{example};
	push @examples, [ "$where ($_)", $media->{schema}, $media->{examples}{$_}{value} ]
	    for sort keys %{ $media->{examples} // {} };
};
for my $path (sort keys %{ $doc->{paths} }) {
	for my $method (grep { $doc->{paths}{$path}{$_} } @methods) {
		my $op = $doc->{paths}{$path}{$method};
		$collect->("\U$method\E $path request", $api->resolve($op->{requestBody})->{content})
		    if $op->{requestBody};
		$collect->("\U$method\E $path $_", $api->resolve($op->{responses}{$_})->{content} // {})
		    for sort keys %{ $op->{responses} };
	}
}
ok(@examples > 20, 'the document has examples: ' . scalar @examples);
for my $e (@examples) {
	my @errors = $api->validate($e->[1], $e->[2]);
	ok(!@errors, "example of $e->[0] fits its schema") or diag(join "\n", @errors);
}

# nginx serves the file unchanged, and the page that renders it.
my $r = api(GET => '/api/openapi.json');
is($r->{status}, 200, 'GET /api/openapi.json is 200');
like($r->{headers}{'content-type'} // '', qr{^application/json}, 'as application/json');
ok($r->{content} eq $api->text, 'the served document equals the file');
$r = api(GET => '/api/docs');
is($r->{status}, 200, 'GET /api/docs is 200');
like($r->{headers}{'content-type'} // '', qr{^text/html}, 'as HTML');
like($r->{content}, qr{src="/apidocs/docs\.js"}, 'the page loads its script');
is(api(GET => '/apidocs/docs.js')->{status}, 200, 'the page script is served');
is(api(GET => '/apidocs/docs.css')->{status}, 200, 'the page style is served');

# Live answers: each request's status is documented for its operation and
# its body validates against that status's schema.
sub check_live {
	my ($client, $method, $doc_path, $path, $body, $expect, %opt) = @_;
	my $res = $client->request($method, $path, $body, %opt);
	my $name = "$method $doc_path answering $res->{status}";
	is($res->{status}, $expect, "$method $path is $expect")
	    or diag($res->{content});
	my $op = $api->operation($method, $doc_path);
	ok($op && $op->{responses}{ $res->{status} }, "$name is documented") or return $res;
	my $schema = $api->response_schema($op, $res->{status});
	if ($schema) {
		my @errors = $api->validate($schema, $res->{body} // $res->{content});
		ok(defined $res->{body} && !@errors, "$name fits the documented schema")
		    or diag(join("\n", @errors) . "\n$res->{content}");
	} else {
		ok(!length($res->{content} // ''), "$name has no body, as documented");
	}
	return $res;
}

my $anon = new_client();
my $register = $doc->{paths}{'/api/register'}{post}{requestBody}{content}{'application/json'}{example};
my $name = unique_name('doc');
my %alice = (%$register, username => $name, email => "$name\@example.com");
my $res = check_live($anon, POST => '/api/register', '/api/register', \%alice, 201);
my $alice_id = $res->{body}{id};
check_live($anon, POST => '/api/register', '/api/register', \%alice, 409);
check_live($anon, POST => '/api/register', '/api/register', { %alice, username => '-x' }, 422);
check_live($anon, POST => '/api/register', '/api/register', undef, 400, raw => '{"username":');
check_live($anon, POST => '/api/login', '/api/login', { email => $alice{email}, password => 'wrong-password' }, 401);
my $alice = new_client(cookies => 1);
$res = check_live($alice, POST => '/api/login', '/api/login',
    { email => $alice{email}, password => $alice{password} }, 200);
$alice->token($res->{body}{accessToken});
check_live($alice, GET => '/api/sessions', '/api/sessions', undef, 200);
check_live($alice, GET => '/api/profiles/{id}', "/api/profiles/$alice_id", undef, 200);
check_live($anon, GET => '/api/profiles/{id}', "/api/profiles/$alice_id", undef, 200);
check_live($anon, GET => '/api/profiles/{id}', '/api/profiles/not-a-uuid', undef, 422);
check_live($anon, GET => '/api/profiles/{id}', '/api/profiles/00000000-0000-4000-8000-000000000000', undef, 404);
check_live($anon, GET => '/api/profiles', "/api/profiles?username_query=$name", undef, 200);

my $bob_user = register_user();
my $bob = login_user($bob_user);
check_live($alice, POST => '/api/profiles/{id}/outgoing_friend_requests/{target}',
    "/api/profiles/$alice_id/outgoing_friend_requests/$bob_user->{id}", undef, 201);
check_live($alice, POST => '/api/profiles/{id}/outgoing_friend_requests/{target}',
    "/api/profiles/$alice_id/outgoing_friend_requests/$bob_user->{id}", undef, 400);
check_live($bob, POST => '/api/profiles/{id}/outgoing_friend_requests/{target}',
    "/api/profiles/$alice_id/outgoing_friend_requests/$bob_user->{id}", undef, 403);
check_live($bob, POST => '/api/profiles/{id}/friends/{requester}',
    "/api/profiles/$bob_user->{id}/friends/$alice_id", undef, 201);
check_live($anon, GET => '/api/profiles/{id}/relationships/{other}',
    "/api/profiles/$alice_id/relationships/$bob_user->{id}", undef, 200);
check_live($anon, GET => '/api/profiles/{id}/friends', "/api/profiles/$alice_id/friends", undef, 200);
check_live($alice, GET => '/api/presence/friends', '/api/presence/friends', undef, 200);

my $post_example = $doc->{paths}{'/api/posts'}{post}{requestBody}{content}{'application/json'}{example};
$res = check_live($alice, POST => '/api/posts', '/api/posts', $post_example, 201);
my $post_id = $res->{body}{id};
check_live($alice, POST => '/api/posts', '/api/posts', { content => '   ' }, 422);
check_live($anon, POST => '/api/posts', '/api/posts', $post_example, 401);
check_live($anon, GET => '/api/posts/{id}', "/api/posts/$post_id", undef, 200);
check_live($anon, GET => '/api/posts', "/api/posts?wall_profile_id=$alice_id", undef, 200);
check_live($alice, GET => '/api/posts', "/api/posts?wall_profile_id=$alice_id&limit=21", undef, 422);
check_live($alice, GET => '/api/feed', '/api/feed', undef, 200);
check_live($anon, GET => '/api/feed', '/api/feed', undef, 401);
my $comment_example = $doc->{paths}{'/api/posts/{id}/comments'}{post}{requestBody}{content}{'application/json'}{example};
check_live($bob, POST => '/api/posts/{id}/comments', "/api/posts/$post_id/comments", $comment_example, 201);
check_live($anon, GET => '/api/posts/{id}/comments', "/api/posts/$post_id/comments", undef, 200);
check_live($bob, PUT => '/api/posts/{id}/like', "/api/posts/$post_id/like", undef, 204);
check_live($bob, PATCH => '/api/posts/{id}', "/api/posts/$post_id", { content => 'mine now' }, 403);
check_live($alice, GET => '/api/profiles/{id}/notifications', "/api/profiles/$alice_id/notifications", undef, 200);
check_live($alice, GET => '/api/profiles/{id}/notifications/unread_count',
    "/api/profiles/$alice_id/notifications/unread_count", undef, 200);
check_live($alice, PATCH => '/api/profiles/{id}/notifications',
    "/api/profiles/$alice_id/notifications?read=true", { all => JSON::PP::true() }, 200);

# Chat: Alice and Bob are friends, so they share a private conversation;
# Carol is nobody's friend.
my $carol_user = register_user(prefix => 'doc');
my $carol = login_user($carol_user);
$res = check_live($alice, GET => '/api/profiles/{id}/private_chats', "/api/profiles/$alice_id/private_chats", undef, 200);
my $chat = $res->{body}[0]{chatGroupId} // '';
check_live($bob, GET => '/api/profiles/{id}/private_chats', "/api/profiles/$alice_id/private_chats", undef, 403);
check_live($alice, GET => '/api/chat/{group}', "/api/chat/$chat", undef, 200);
my $message_example = $doc->{paths}{'/api/chat/{group}/messages'}{post}{requestBody}{content}{'application/json'}{example};
my $bob_stream = Bunny::Stream::ws_start(token => $bob->token, types => ['chat_message'], timeout => 8000);
$res = check_live($alice, POST => '/api/chat/{group}/messages', "/api/chat/$chat/messages", $message_example, 201);
my $msg = $res->{body}{id} // '';
my ($events) = Bunny::Stream::ws_wait($bob_stream);
my $event = $events->[0]{event};
ok($event, 'the other member receives a chat_message event');
my @event_errors = $api->validate({ '$ref' => '#/components/schemas/ChatStreamEvent' }, $event);
ok(!@event_errors, 'the chat_message event fits ChatStreamEvent') or diag(join "\n", @event_errors);
check_live($alice, POST => '/api/chat/{group}/messages', "/api/chat/$chat/messages", { content => ' ' }, 422);
check_live($carol, POST => '/api/chat/{group}/messages', "/api/chat/$chat/messages", $message_example, 403);
check_live($alice, GET => '/api/chat/{group}/messages',
    '/api/chat/00000000-0000-4000-8000-000000000000/messages', undef, 404);
check_live($bob, GET => '/api/chat/{group}/messages', "/api/chat/$chat/messages?limit=50", undef, 200);
check_live($bob, GET => '/api/chat/{group}/messages', "/api/chat/$chat/messages?limit=51", undef, 422);
check_live($alice, PATCH => '/api/chat/{group}/messages/{msg}', "/api/chat/$chat/messages/$msg",
    { content => 'Hello again, Bob!' }, 200);
check_live($bob, PATCH => '/api/chat/{group}/messages/{msg}', "/api/chat/$chat/messages/$msg", { content => 'mine' }, 403);
check_live($bob, POST => '/api/chat/{group}/read', "/api/chat/$chat/read", { chatMessageId => $msg }, 204);
check_live($bob, POST => '/api/chat/{group}/typing', "/api/chat/$chat/typing", undef, 204);
check_live($alice, GET => '/api/profiles/{id}/conversations', "/api/profiles/$alice_id/conversations", undef, 200);
check_live($bob, GET => '/api/profiles/{id}/conversations/unread_count',
    "/api/profiles/$bob_user->{id}/conversations/unread_count", undef, 200);

$res = check_live($alice, POST => '/api/chat', '/api/chat', { memberIds => [ $bob_user->{id} ], name => 'Carrot club' }, 201);
my $group = $res->{body}{chatGroupId} // '';
check_live($alice, POST => '/api/chat', '/api/chat', { memberIds => [ $bob_user->{id}, $carol_user->{id} ] }, 403);
check_live($alice, POST => '/api/chat', '/api/chat', { memberIds => [] }, 422);
check_live($bob, PATCH => '/api/chat/{group}', "/api/chat/$group", { name => undef }, 200);
check_live($bob, PATCH => '/api/chat/{group}', "/api/chat/$chat", { name => 'Ours' }, 403);
check_live($bob, POST => '/api/chat/{group}/members', "/api/chat/$group/members", { profileId => $alice_id }, 409);
check_live($alice, DELETE => '/api/chat/{group}/messages/{msg}', "/api/chat/$chat/messages/$msg", undef, 204);
check_live($alice, DELETE => '/api/chat/{group}/messages/{msg}', "/api/chat/$chat/messages/$msg", undef, 404);
check_live($alice, DELETE => '/api/chat/{group}/members/{member}', "/api/chat/$group/members/$bob_user->{id}", undef, 403);
check_live($bob, DELETE => '/api/chat/{group}/members/{member}', "/api/chat/$group/members/$bob_user->{id}", undef, 204);

check_live($alice, GET => '/api/health/ready', '/api/health/ready', undef, 200);
check_live($alice, POST => '/api/logout', '/api/logout', undef, 204);

done_testing();
