#!/usr/bin/perl
# Posts through the API: create on one's own or a friend's wall, read one,
# the wall page, edit and delete, who may see a PUBLIC and a FRIENDS post,
# the wall owner's notification, and input that must be rejected whole.
use strict;
use warnings;
use utf8;
use Test::More;
use Bunny qw(api register_user login_user new_client sql);

my $tag = 'p' . $$;
my %u;
for my $n (qw(owner friend author outsider fof)) {
	$u{$n} = register_user(username => "$tag$n");
	$u{$n}{c} = login_user($u{$n});
}
my ($W, $F, $A, $O, $X) = @u{qw(owner friend author outsider fof)};
sub path { "/api/profiles/$_[0]{id}" }
sub befriend {
	my ($p, $q) = @_;
	$p->{c}->request(POST => path($p) . "/outgoing_friend_requests/$q->{id}")->{status} == 201
	    or die "friend request failed";
	$q->{c}->request(POST => path($q) . "/friends/$p->{id}")->{status} == 201
	    or die "accept failed";
}
sub unfriend { $_[0]{c}->request(DELETE => path($_[0]) . "/friends/$_[1]{id}") }
sub post { my ($who, %body) = @_; $who->{c}->request(POST => '/api/posts', \%body) }

# The wall owner W has friends F and A; X is a friend of A only.
befriend($W, $F);
befriend($W, $A);
befriend($A, $X);

# Create on one's own wall.
my $r = post($W, content => 'hello wall');
is($r->{status}, 201, 'post on own wall is 201');
my $p = $r->{body};
is($p->{content}, 'hello wall', 'post has its content');
is($p->{wallProfileId}, $W->{id}, 'wallProfileId defaults to the author');
is($p->{profileId}, $W->{id}, 'profileId is the author');
is($p->{username}, $W->{username}, 'username is the author');
is($p->{privacy}, 'PUBLIC', 'privacy defaults to PUBLIC');
is($p->{commentsCount}, 0, 'commentsCount starts at 0');
is($p->{likesCount}, 0, 'likesCount starts at 0');
ok(JSON::PP::is_bool($p->{likedByMe}) && !$p->{likedByMe}, 'likedByMe is false');
like($p->{createdAt}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'createdAt is ISO 8601 with milliseconds');
ok(exists $p->{updatedAt} && !defined $p->{updatedAt}, 'updatedAt is null before an edit');
is(sql("SELECT count(*) FROM notifications WHERE profile_id = '$W->{id}' AND event = 'NEW_POST_ON_WALL'"),
    0, 'no notification for a post on one\'s own wall');

# Create on a friend's wall, FRIENDS only.
my $long = 'ü' x 31 . '日本語' . 'x' x 10;
$r = post($A, content => $long, wallProfileId => $W->{id}, privacy => 'FRIENDS');
is($r->{status}, 201, 'post on a friend\'s wall is 201');
my $fp = $r->{body};
is($fp->{wallProfileId}, $W->{id}, 'the post is on the friend\'s wall');
is($fp->{privacy}, 'FRIENDS', 'privacy FRIENDS is kept');
my ($note) = sql("SELECT payload::text FROM notifications WHERE profile_id = '$W->{id}' AND event = 'NEW_POST_ON_WALL'");
my $payload = JSON::PP->new->utf8->decode($note // '{}');
is($payload->{byId}, $A->{id}, 'wall owner notified: byId');
is($payload->{byUsername}, $A->{username}, 'wall owner notified: byUsername');
is($payload->{postId}, $fp->{id}, 'wall owner notified: postId');
is($payload->{postPreview}, ('ü' x 31) . '日...', 'preview is 32 code points and "..."');
$r = post($A, content => 'short', wallProfileId => $W->{id});
($note) = sql("SELECT payload->>'postPreview' FROM notifications WHERE profile_id = '$W->{id}' AND payload->>'postId' = '$r->{body}{id}'");
is($note, 'short', 'a short post is previewed whole');

# Who may write where.
$r = post($O, content => 'let me in', wallProfileId => $W->{id});
is($r->{status}, 403, 'a stranger cannot post on a wall');
is($r->{body}{error}{field}, 'wallProfileId', '403 names wallProfileId');
$r = post($X, content => 'hi', wallProfileId => $W->{id});
is($r->{status}, 403, 'a friend of the author is not a friend of the wall');
$r = post($W, content => 'x', wallProfileId => '00000000-0000-4000-8000-000000000000');
is($r->{status}, 404, 'an unknown wall is 404');
is(new_client()->request(POST => '/api/posts', { content => 'anon' })->{status}, 401, 'anonymous posting is 401');

# Visibility of the FRIENDS post on W's wall, written by A.
is($W->{c}->request(GET => "/api/posts/$fp->{id}")->{status}, 200, 'wall owner sees a FRIENDS post');
is($F->{c}->request(GET => "/api/posts/$fp->{id}")->{status}, 200, 'wall owner\'s friend sees it');
is($A->{c}->request(GET => "/api/posts/$fp->{id}")->{status}, 200, 'the author, a friend of the wall, sees it');
$r = $X->{c}->request(GET => "/api/posts/$fp->{id}");
is($r->{status}, 403, 'the author\'s friend who is not the owner\'s friend does not');
is($r->{body}{error}{code}, 'Forbidden', 'code is Forbidden');
is($O->{c}->request(GET => "/api/posts/$fp->{id}")->{status}, 403, 'a stranger does not');
is(api(GET => "/api/posts/$fp->{id}")->{status}, 403, 'an anonymous reader does not');
is(api(GET => "/api/posts/$p->{id}")->{status}, 200, 'anonymous readers see PUBLIC posts');
is(api(GET => '/api/posts/00000000-0000-4000-8000-000000000000')->{status}, 404, 'an unknown post is 404');
is(api(GET => '/api/posts/not-a-uuid')->{status}, 422, 'a non-UUID post id is 422');

# Wall pages per viewer class.
sub wall_ids {
	my ($client, $wall, $q) = @_;
	my $r = ($client // new_client())->request(GET => "/api/posts?wall_profile_id=$wall->{id}" . ($q // ''));
	return $r->{status} == 200 ? [ map { $_->{id} } @{ $r->{body} } ] : $r->{status};
}
my $all = wall_ids($W->{c}, $W);
is(scalar @$all, 3, 'the owner sees all three posts');
is($all->[2], $p->{id}, 'the oldest post is last');
ok((grep { $_ eq $fp->{id} } @{ wall_ids($F->{c}, $W) }), 'a friend\'s page has the FRIENDS post');
ok(!(grep { $_ eq $fp->{id} } @{ wall_ids($X->{c}, $W) }), 'a non-friend\'s page lacks it');
ok(!(grep { $_ eq $fp->{id} } @{ wall_ids(undef, $W) }), 'an anonymous page lacks it');
is(scalar @{ wall_ids(undef, $W) }, 2, 'anonymous page has the two PUBLIC posts');
is(wall_ids(undef, { id => '00000000-0000-4000-8000-000000000000' }), 404, 'page of an unknown wall is 404');
$r = api(GET => '/api/posts');
is($r->{status}, 422, 'wall_profile_id is required');
is($r->{body}{error}{field}, 'wall_profile_id', '422 names wall_profile_id');
is(api(GET => '/api/posts?wall_profile_id=123')->{status}, 422, 'non-UUID wall_profile_id is 422');
is(api(GET => "/api/posts?wall_profile_id=$W->{id}&limit=21")->{status}, 422, 'limit 21 is 422');
is(api(GET => "/api/posts?wall_profile_id=$W->{id}&limit=0")->{status}, 422, 'limit 0 is 422');
$r = api(GET => "/api/posts?wall_profile_id=$W->{id}&older_than=yesterday");
is($r->{status}, 422, 'older_than that is not a time is 422');
is($r->{body}{error}{field}, 'older_than', '422 names older_than');
is(api(GET => "/api/posts?wall_profile_id=$W->{id}&older_than=2026-02-30T00:00:00.000Z")->{status}, 422, 'February 30 is 422');
$r = api(GET => "/api/posts?wall_profile_id=$W->{id}&older_than_id=$p->{id}");
is($r->{status}, 422, 'older_than_id alone is 422');
$r = api(GET => "/api/posts?wall_profile_id=$W->{id}&older_than=2026-01-01T00:00:00.000Z&older_than_id=zz");
is($r->{body}{error}{field}, 'older_than_id', 'non-UUID older_than_id is 422 naming it');

# Unfriending takes access away at once, cached pages included.
is($F->{c}->request(GET => "/api/posts/$fp->{id}")->{status}, 200, 'F reads the FRIENDS post (now cached)');
unfriend($W, $F);
is($F->{c}->request(GET => "/api/posts/$fp->{id}")->{status}, 403, 'after unfriending, F cannot read it');
ok(!(grep { $_ eq $fp->{id} } @{ wall_ids($F->{c}, $W) }), 'after unfriending, F\'s wall page lacks it');
is(post($F, content => 'still here?', wallProfileId => $W->{id})->{status}, 403, 'after unfriending, F cannot post on the wall');
befriend($W, $F);
is($F->{c}->request(GET => "/api/posts/$fp->{id}")->{status}, 200, 'befriended again, F reads it again');

# Edit: the author only; updatedAt set.
$r = $A->{c}->request(PATCH => "/api/posts/$fp->{id}", { content => 'edited', privacy => 'PUBLIC' });
is($r->{status}, 200, 'the author edits');
is($r->{body}{content}, 'edited', 'the new content is returned');
is($r->{body}{privacy}, 'PUBLIC', 'the new privacy is returned');
like($r->{body}{updatedAt} // '', qr/Z$/, 'updatedAt is set');
is($r->{body}{createdAt}, $fp->{createdAt}, 'createdAt is unchanged');
is(api(GET => "/api/posts/$fp->{id}")->{body}{content}, 'edited', 'a read after the edit shows it');
is($X->{c}->request(GET => "/api/posts/$fp->{id}")->{status}, 200, 'now PUBLIC, X reads it');
is($W->{c}->request(PATCH => "/api/posts/$fp->{id}", { content => 'owner edit' })->{status}, 403, 'the wall owner cannot edit another\'s post');
$r = $A->{c}->request(PATCH => "/api/posts/$fp->{id}", {});
is($r->{status}, 422, 'an edit with neither field is 422');
$r = $A->{c}->request(PATCH => "/api/posts/$fp->{id}", { privacy => 'SECRET' });
is($r->{body}{error}{field}, 'privacy', 'unknown privacy in an edit is 422 naming privacy');
is(api(GET => "/api/posts/$fp->{id}")->{body}{content}, 'edited', 'a rejected edit changed nothing');
is($A->{c}->request(PATCH => '/api/posts/00000000-0000-4000-8000-000000000000', { content => 'x' })->{status}, 404, 'editing an unknown post is 404');

# Bad input: each a precise 422 naming the field, nothing written.
my $before = sql('SELECT count(*) FROM posts');
my @bad = (
	[ { content => '' }, 'content', 'empty content' ],
	[ { content => " \t\n\x{3000}\x{a0}" }, 'content', 'white-space-only content' ],
	[ { content => "\x{200b}\x{200d} \x{feff}" }, 'content', 'content of invisible characters only' ],
	[ { content => 'x' x 4097 }, 'content', 'content of 4097 code points' ],
	[ { content => 42 }, 'content', 'content that is not a string' ],
	[ {}, 'content', 'missing content' ],
	[ { content => 'ok', privacy => 'SECRET' }, 'privacy', 'unknown privacy' ],
	[ { content => 'ok', privacy => 'public' }, 'privacy', 'lower-case privacy' ],
	[ { content => 'ok', wallProfileId => 'nope' }, 'wallProfileId', 'non-UUID wallProfileId' ],
	[ { content => "a\x{0}b" }, 'content', 'content with a NUL' ],
);
for my $case (@bad) {
	my ($body, $field, $name) = @$case;
	$r = post($W, %$body);
	is($r->{status}, 422, "$name is 422");
	is($r->{body}{error}{field}, $field, "$name names $field");
}
is(post($W, content => 'é' x 4096)->{status}, 201, '4096 two-byte code points are accepted');
$r = $W->{c}->request(POST => '/api/posts', undef, raw => qq({"content":"\xff\xfe"}));
is($r->{status}, 400, 'invalid UTF-8 in the body is 400');
is(sql('SELECT count(*) FROM posts'), $before + 1, 'only the valid post was written');

# Delete: the author or the wall owner; comments and likes go with it.
my $del = post($A, content => 'to be deleted', wallProfileId => $W->{id})->{body};
$F->{c}->request(POST => "/api/posts/$del->{id}/comments", { content => 'a comment' });
$F->{c}->request(PUT => "/api/posts/$del->{id}/like");
is($F->{c}->request(DELETE => "/api/posts/$del->{id}")->{status}, 403, 'a friend cannot delete another\'s post');
is($W->{c}->request(DELETE => "/api/posts/$del->{id}")->{status}, 204, 'the wall owner deletes it');
is(sql("SELECT count(*) FROM comments WHERE post_id = '$del->{id}'"), 0, 'its comments are gone');
is(sql("SELECT count(*) FROM post_likes WHERE post_id = '$del->{id}'"), 0, 'its likes are gone');
is(api(GET => "/api/posts/$del->{id}")->{status}, 404, 'a read after the delete is 404');
is($W->{c}->request(DELETE => "/api/posts/$del->{id}")->{status}, 404, 'deleting twice is 404');
my $own = post($A, content => 'mine', wallProfileId => $W->{id})->{body};
is($A->{c}->request(DELETE => "/api/posts/$own->{id}")->{status}, 204, 'the author deletes their post');
ok(!(grep { $_ eq $own->{id} } @{ wall_ids($W->{c}, $W) }), 'the wall page follows the delete');

done_testing();
