#!/usr/bin/perl
# Comments and likes: who may write and delete them, counters that stay
# exact under concurrent writers, idempotent likes, likedByMe, and the
# NEW_COMMENT_ON_POST and NEW_LIKE notifications.
use strict;
use warnings;
use utf8;
use Test::More;
use Bunny qw(api register_user login_user new_client sql);

my $tag = 'm' . $$;
my %u;
for my $n (qw(wall author c1 c2 out)) {
	$u{$n} = register_user(username => "$tag$n");
	$u{$n}{c} = login_user($u{$n});
}
my ($W, $A, $C1, $C2, $O) = @u{qw(wall author c1 c2 out)};
sub path { "/api/profiles/$_[0]{id}" }
sub befriend {
	my ($p, $q) = @_;
	$p->{c}->request(POST => path($p) . "/outgoing_friend_requests/$q->{id}");
	$q->{c}->request(POST => path($q) . "/friends/$p->{id}");
}
befriend($W, $_) for $A, $C1, $C2;
sub comment { $_[0]{c}->request(POST => "/api/posts/$_[1]/comments", { content => $_[2] }) }
sub notes {
	my ($who, $event, $post) = @_;
	return [ sql("SELECT payload::text FROM notifications WHERE profile_id = '$who->{id}'"
	    . " AND event = '$event' AND payload->>'postId' = '$post' ORDER BY created_at") ];
}

my $post = $A->{c}->request(POST => '/api/posts', { content => 'a post', wallProfileId => $W->{id},
    privacy => 'FRIENDS' })->{body};
my $pid = $post->{id};

# Comments and their notifications.
my $r = comment($C1, $pid, 'first comment');
is($r->{status}, 201, 'a friend of the wall comments');
my $c = $r->{body};
is($c->{postId}, $pid, 'comment has postId');
is($c->{profileId}, $C1->{id}, 'comment has profileId');
is($c->{username}, $C1->{username}, 'comment has username');
is($c->{likesCount}, 0, 'comment likesCount starts at 0');
ok(!$c->{likedByMe}, 'comment likedByMe is false');
like($c->{createdAt}, qr/\.\d{3}Z$/, 'comment createdAt has milliseconds');
is(scalar @{ notes($A, 'NEW_COMMENT_ON_POST', $pid) }, 1, 'post author notified');
is(scalar @{ notes($W, 'NEW_COMMENT_ON_POST', $pid) }, 1, 'wall owner notified');
is(scalar @{ notes($C1, 'NEW_COMMENT_ON_POST', $pid) }, 0, 'the commenter is not notified');
my $p = JSON::PP->new->utf8->decode(notes($A, 'NEW_COMMENT_ON_POST', $pid)->[0]);
is_deeply($p, { byId => $C1->{id}, byUsername => $C1->{username}, postById => $A->{id},
    postByUsername => $A->{username}, postId => $pid, commentPreview => 'first comment' },
    'NEW_COMMENT_ON_POST payload');
comment($C2, $pid, '🐰' x 40);
is(scalar @{ notes($C1, 'NEW_COMMENT_ON_POST', $pid) }, 1, 'an earlier commenter is notified');
$p = JSON::PP->new->utf8->decode(notes($C1, 'NEW_COMMENT_ON_POST', $pid)->[0]);
is($p->{commentPreview}, ('🐰' x 32) . '...', 'comment preview is 32 four-byte code points and "..."');
is(scalar @{ notes($A, 'NEW_COMMENT_ON_POST', $pid) }, 2, 'post author notified once per comment');
comment($A, $pid, 'author replies');
is(scalar @{ notes($A, 'NEW_COMMENT_ON_POST', $pid) }, 2, 'the author commenting is not notified');
is(scalar @{ notes($W, 'NEW_COMMENT_ON_POST', $pid) }, 3, 'wall owner notified once per comment');
comment($W, $pid, 'owner replies');
is(scalar @{ notes($C1, 'NEW_COMMENT_ON_POST', $pid) }, 3, 'each comment notifies each earlier commenter once');

# Who may comment and read comments.
$r = comment($O, $pid, 'hi');
is($r->{status}, 403, 'commenting on an invisible post is 403');
is(comment($O, '00000000-0000-4000-8000-000000000000', 'hi')->{status}, 404, 'commenting on an unknown post is 404');
is(comment($O, 'nope', 'hi')->{status}, 422, 'commenting on a non-UUID post is 422');
is(api(GET => "/api/posts/$pid/comments")->{status}, 403, 'anonymous comment list of a FRIENDS post is 403');
$r = $C1->{c}->request(GET => "/api/posts/$pid/comments");
is(scalar @{ $r->{body} }, 4, 'a friend lists the four comments');
is($r->{body}[0]{content}, 'owner replies', 'newest comment first');
my $count = sql('SELECT count(*) FROM comments');
for my $case ([ '', 'empty' ], [ "  \n ", 'white space' ], [ 'x' x 1025, '1025 code points' ]) {
	$r = comment($C1, $pid, $case->[0]);
	is($r->{status}, 422, "comment of $case->[1] is 422");
	is($r->{body}{error}{field}, 'content', "comment of $case->[1] names content");
}
is(comment($C1, $pid, 'ß' x 1024)->{status}, 201, 'a comment of 1024 code points is accepted');
is(sql('SELECT count(*) FROM comments'), $count + 1, 'rejected comments wrote nothing');

# Deleting comments.
my $cid = comment($C1, $pid, 'delete me')->{body}{id};
is($C2->{c}->request(DELETE => "/api/comments/$cid")->{status}, 403, 'another commenter cannot delete it');
is($C1->{c}->request(DELETE => "/api/comments/$cid")->{status}, 204, 'the comment author deletes it');
is($C1->{c}->request(DELETE => "/api/comments/$cid")->{status}, 404, 'deleting twice is 404');
$cid = comment($C1, $pid, 'delete me too')->{body}{id};
is($A->{c}->request(DELETE => "/api/comments/$cid")->{status}, 204, 'the post author deletes a comment');
$cid = comment($C1, $pid, 'and me')->{body}{id};
is($W->{c}->request(DELETE => "/api/comments/$cid")->{status}, 204, 'the wall owner deletes a comment');
is($W->{c}->request(GET => "/api/posts/$pid")->{body}{commentsCount},
    sql("SELECT count(*) FROM comments WHERE post_id = '$pid'"), 'commentsCount follows deletes');

# Concurrent comments and deletes keep commentsCount exact.
my @mine = map { comment($C1, $pid, "victim $_")->{body}{id} } 1 .. 10;
my @kids;
for my $k (0 .. 5) {
	my $pid_k = fork // die;
	if ($pid_k == 0) {
		if ($k < 3) { comment($k % 2 ? $C1 : $C2, $pid, "racer $k $_") for 1 .. 8 }
		else { $C1->{c}->request(DELETE => "/api/comments/$_") for @mine }
		exit 0;
	}
	push @kids, $pid_k;
}
waitpid($_, 0) for @kids;
my $real = sql("SELECT count(*) FROM comments WHERE post_id = '$pid'");
is(sql("SELECT comments_count FROM posts WHERE id = '$pid'"), $real, 'commentsCount equals the real count after a race');
is($W->{c}->request(GET => "/api/posts/$pid")->{body}{commentsCount}, $real, 'the API shows the real count');

# Likes on posts.
is($C1->{c}->request(PUT => "/api/posts/$pid/like")->{status}, 204, 'like is 204');
is($C1->{c}->request(PUT => "/api/posts/$pid/like")->{status}, 204, 'liking again is 204');
$r = $C1->{c}->request(GET => "/api/posts/$pid");
is($r->{body}{likesCount}, 1, 'a double like counts once');
ok($r->{body}{likedByMe}, 'likedByMe is true for the liker');
ok(!$C2->{c}->request(GET => "/api/posts/$pid")->{body}{likedByMe}, 'likedByMe is false for another viewer');
is($C1->{c}->request(DELETE => "/api/posts/$pid/like")->{status}, 204, 'unlike is 204');
is($C1->{c}->request(DELETE => "/api/posts/$pid/like")->{status}, 204, 'unliking again is 204');
is($C1->{c}->request(GET => "/api/posts/$pid")->{body}{likesCount}, 0, 'likesCount back to 0');
is($O->{c}->request(PUT => "/api/posts/$pid/like")->{status}, 403, 'a like on an invisible post is 403');
is($O->{c}->request(DELETE => "/api/posts/$pid/like")->{status}, 403, 'an unlike on an invisible post is 403');
is($O->{c}->request(PUT => '/api/posts/00000000-0000-4000-8000-000000000000/like')->{status}, 404, 'a like on an unknown post is 404');
is($O->{c}->request(PUT => '/api/posts/nope/like')->{status}, 422, 'a like on a non-UUID is 422');
is(new_client()->request(PUT => "/api/posts/$pid/like")->{status}, 401, 'an anonymous like is 401');
is(sql("SELECT count(*) FROM post_likes WHERE post_id = '$pid'"), 0, 'rejected likes wrote nothing');

# Concurrent likes: four people, each liking three times at once.
@kids = ();
for my $who ($W, $C1, $C2, $A) {
	for (1 .. 3) {
		my $k = fork // die;
		if ($k == 0) { $who->{c}->request(PUT => "/api/posts/$pid/like"); exit 0 }
		push @kids, $k;
	}
}
waitpid($_, 0) for @kids;
is($W->{c}->request(GET => "/api/posts/$pid")->{body}{likesCount}, 4, 'concurrent likes count each person once');
is(sql("SELECT likes_count FROM posts WHERE id = '$pid'"), 4, 'likes_count equals the rows');

# NEW_LIKE: to the author, grouped per item and hour, never for oneself.
my $likes = notes($A, 'NEW_LIKE', $pid);
is(scalar @$likes, 1, 'three likes by others make one NEW_LIKE group');
$p = JSON::PP->new->utf8->decode($likes->[0]);
is($p->{othersCount}, 2, 'othersCount counts the other likers');
is($p->{postId}, $pid, 'NEW_LIKE has postId');
ok(!exists $p->{commentId}, 'a post like has no commentId');
ok((grep { $p->{byId} eq $_->{id} } $W, $C1, $C2), 'byId is one of the likers');
my ($shown) = grep { $p->{byId} eq $_->{id} } $W, $C1, $C2;
$shown->{c}->request(DELETE => "/api/posts/$pid/like");
$p = JSON::PP->new->utf8->decode(notes($A, 'NEW_LIKE', $pid)->[0]);
isnt($p->{byId}, $shown->{id}, 'an unlike by the shown liker puts another liker in the group');
is($p->{othersCount}, 1, 'and othersCount drops');
$shown->{c}->request(PUT => "/api/posts/$pid/like");
$p = JSON::PP->new->utf8->decode(notes($A, 'NEW_LIKE', $pid)->[0]);
is_deeply([ $p->{byId}, $p->{othersCount} ], [ $shown->{id}, 2 ], 'liking again renews the group');

# Likes on comments.
my $cm = comment($C2, $pid, 'like this comment')->{body};
is($C1->{c}->request(PUT => "/api/comments/$cm->{id}/like")->{status}, 204, 'a comment like is 204');
$C1->{c}->request(PUT => "/api/comments/$cm->{id}/like");
$r = $C1->{c}->request(GET => "/api/posts/$pid/comments");
my ($seen) = grep { $_->{id} eq $cm->{id} } @{ $r->{body} };
is($seen->{likesCount}, 1, 'a double comment like counts once');
ok($seen->{likedByMe}, 'comment likedByMe for the liker');
$likes = notes($C2, 'NEW_LIKE', $pid);
is(scalar @$likes, 1, 'the comment author gets a NEW_LIKE');
$p = JSON::PP->new->utf8->decode($likes->[0]);
is($p->{commentId}, $cm->{id}, 'a comment NEW_LIKE has commentId');
is($p->{byId}, $C1->{id}, 'and byId');
is($O->{c}->request(PUT => "/api/comments/$cm->{id}/like")->{status}, 403, 'a like on a comment of an invisible post is 403');
is($O->{c}->request(PUT => '/api/comments/00000000-0000-4000-8000-000000000000/like')->{status}, 404, 'a like on an unknown comment is 404');
is($C1->{c}->request(DELETE => "/api/comments/$cm->{id}/like")->{status}, 204, 'a comment unlike is 204');
is(sql("SELECT likes_count FROM comments WHERE id = '$cm->{id}'"), 0, 'comment likes_count back to 0');
is(scalar @{ notes($C2, 'NEW_LIKE', $pid) }, 0, 'the last unlike removes the NEW_LIKE');
$A->{c}->request(PUT => "/api/posts/$pid/like");
is(scalar @{ notes($A, 'NEW_LIKE', $pid) }, 1, 'liking one\'s own post notifies nobody new');

# A stranger may take back a like after the post became FRIENDS-only,
# and nothing more.
my $open = $W->{c}->request(POST => '/api/posts', { content => 'open for now', wallProfileId => $W->{id},
    privacy => 'PUBLIC' })->{body}{id};
is($O->{c}->request(PUT => "/api/posts/$open/like")->{status}, 204, 'a stranger likes a PUBLIC post');
is($W->{c}->request(PATCH => "/api/posts/$open", { privacy => 'FRIENDS' })->{status}, 200,
    'the wall owner makes it FRIENDS-only');
is($O->{c}->request(PUT => "/api/posts/$open/like")->{status}, 403, 'the stranger cannot like it again');
is($O->{c}->request(DELETE => "/api/posts/$open/like")->{status}, 204, 'but can take back the like');
is($W->{c}->request(GET => "/api/posts/$open")->{body}{likesCount}, 0, 'which is gone from the count');
is($O->{c}->request(DELETE => "/api/posts/$open/like")->{status}, 403,
    'without a like to take back, the stranger gets 403');

done_testing();
