#!/usr/bin/perl
# Cached posts, wall pages and comment pages follow every write at once,
# a cold hot key read by many at once gives every reader the same answer,
# everything works with the cache Redis down, and writes per profile are
# limited with 429 and Retry-After.
use strict;
use warnings;
use Test::More;
use Bunny qw(api register_user login_user new_client sql redis service);

my $tag = 'q' . $$;
my %u;
for my $n (qw(owner friend)) {
	$u{$n} = register_user(username => "$tag$n");
	$u{$n}{c} = login_user($u{$n});
}
my ($W, $F) = @u{qw(owner friend)};
sub path { "/api/profiles/$_[0]{id}" }
$W->{c}->request(POST => path($W) . "/outgoing_friend_requests/$F->{id}");
$F->{c}->request(POST => path($F) . "/friends/$W->{id}");
my $page = "/api/posts?wall_profile_id=$W->{id}";

# Reads fill the cache.
my $post = $F->{c}->request(POST => '/api/posts', { content => 'cached', wallProfileId => $W->{id} })->{body};
my $pid = $post->{id};
api(GET => $page);
$F->{c}->request(GET => $page);
api(GET => "/api/posts/$pid");
is(redis('cache', 'KEYS', "bb:c:wall:wall:$W->{id}:*"), '*2', 'wall pages are cached per viewer');
is(redis('cache', 'KEYS', "bb:c:post:post:$pid:*"), '*1', 'the post is cached');

# Every write shows in the next read, anonymous and logged in.
sub first { my ($client) = @_; ($client // new_client())->request(GET => $page)->{body}[0] }
$F->{c}->request(PUT => "/api/posts/$pid/like");
is(first()->{likesCount}, 1, 'anonymous page shows a new like');
ok(first($F->{c})->{likedByMe}, 'the liker\'s page shows likedByMe');
is(api(GET => "/api/posts/$pid")->{body}{likesCount}, 1, 'the cached post shows the like');
my $cid = $W->{c}->request(POST => "/api/posts/$pid/comments", { content => 'c' })->{body}{id};
is(first()->{commentsCount}, 1, 'the page shows a new comment');
is(api(GET => "/api/posts/$pid")->{body}{commentsCount}, 1, 'the post shows a new comment');
is(scalar @{ api(GET => "/api/posts/$pid/comments")->{body} }, 1, 'the comment page shows it');
$F->{c}->request(PUT => "/api/comments/$cid/like");
is(api(GET => "/api/posts/$pid/comments")->{body}[0]{likesCount}, 1, 'the comment page shows a comment like');
$W->{c}->request(DELETE => "/api/comments/$cid");
is(scalar @{ api(GET => "/api/posts/$pid/comments")->{body} }, 0, 'the comment page follows a delete');
is(first()->{commentsCount}, 0, 'the wall page follows a comment delete');
$F->{c}->request(PATCH => "/api/posts/$pid", { content => 'recached' });
is(api(GET => "/api/posts/$pid")->{body}{content}, 'recached', 'the post follows an edit');
is(first()->{content}, 'recached', 'the page follows an edit');
$F->{c}->request(PATCH => "/api/posts/$pid", { privacy => 'FRIENDS' });
is(api(GET => "/api/posts/$pid")->{status}, 403, 'the post follows a privacy change');
is(scalar @{ api(GET => $page)->{body} }, 0, 'the anonymous page follows a privacy change');
my $second = $W->{c}->request(POST => '/api/posts', { content => 'newest' })->{body};
is(first($F->{c})->{id}, $second->{id}, 'the page shows a new post');
$W->{c}->request(DELETE => "/api/posts/$second->{id}");
is(first($F->{c})->{id}, $pid, 'the page follows a post delete');

# A cold key read by 16 clients at once: one answer for all.
my $fresh = $W->{c}->request(POST => '/api/posts', { content => 'stampede' })->{body};
pipe(my $rd, my $wr);
my @kids;
for (1 .. 16) {
	my $k = fork // die;
	if ($k == 0) {
		close $rd;
		my $r = api(GET => "/api/posts/$fresh->{id}");
		print {$wr} "$r->{status} " . ($r->{body}{content} // '') . "\n";
		exit 0;
	}
	push @kids, $k;
}
close $wr;
my @answers = <$rd>;
waitpid($_, 0) for @kids;
is(scalar(grep { $_ eq "200 stampede\n" } @answers), 16, 'sixteen concurrent cold reads all get the post');
is(redis('cache', 'KEYS', 'bb:lock:*'), '*0', 'no fill lock is left behind');

# Cached reads check the session in their cache lookup: after a logout
# the access token reads nothing, cached or not, and bad input is 401 too.
my $gone = login_user($F);
for my $path ($page, "/api/posts/$pid", "/api/posts/$pid/comments", "/api/feed") {
	is($gone->request(GET => $path)->{status}, 200, "live session reads $path");
}
is($gone->request(POST => '/api/logout')->{status}, 204, 'second session logs out');
for my $path ($page, "/api/posts/$pid", "/api/posts/$pid/comments", "/api/feed", "$page&limit=0") {
	my $r = $gone->request(GET => $path);
	is($r->{status}, 401, "ended session cannot read $path");
	is($r->{body}{error}{code}, 'Unauthorized', "401 for $path has the error shape");
}
is($F->{c}->request(GET => $page)->{status}, 200, 'the other session still reads');

# With the cache Redis down everything works from PostgreSQL.
service(stop => 'redis-cache');
my $gone_down = login_user($F);
is($gone_down->request(GET => $page)->{status}, 200, 'live session reads without the cache');
$gone_down->request(POST => '/api/logout');
is($gone_down->request(GET => $page)->{status}, 401, 'ended session is refused without the cache');
my $r = $W->{c}->request(POST => '/api/posts', { content => 'no cache' });
is($r->{status}, 201, 'post create works without the cache');
my $down = $r->{body}{id};
is(api(GET => "/api/posts/$down")->{status}, 200, 'post read works without the cache');
is(first()->{id}, $down, 'wall page works without the cache');
is($F->{c}->request(POST => "/api/posts/$down/comments", { content => 'x' })->{status}, 201, 'comment works without the cache');
is($F->{c}->request(GET => "/api/posts/$down/comments")->{status}, 200, 'comment page works without the cache');
is($F->{c}->request(PUT => "/api/posts/$down/like")->{status}, 204, 'like works without the cache');
is($F->{c}->request(GET => '/api/feed')->{status}, 200, 'feed works without the cache');
service(start => 'redis-cache');
is(api(GET => "/api/posts/$down")->{body}{likesCount}, 1, 'writes made while the cache was down show after it returns');

# Rate limits, lowered for this part.
$ENV{BUNNYBOOK_POST_WRITES_PER_WINDOW} = 2;
$ENV{BUNNYBOOK_COMMENT_WRITES_PER_WINDOW} = 1;
$ENV{BUNNYBOOK_LIKE_WRITES_PER_WINDOW} = 1;
service(restart => 'bunnybookd');
my $L = register_user(username => "${tag}limited");
$L->{c} = login_user($L);
is($L->{c}->request(POST => '/api/posts', { content => "p$_" })->{status}, 201, "post $_ within the limit") for 1 .. 2;
$r = $L->{c}->request(POST => '/api/posts', { content => 'p3' });
is($r->{status}, 429, 'the third post in the window is 429');
is($r->{body}{error}{code}, 'TooManyRequests', 'code is TooManyRequests');
like($r->{headers}{'retry-after'} // '', qr/^[1-9]\d*$/, 'Retry-After gives seconds');
is(sql("SELECT count(*) FROM posts WHERE profile_id = '$L->{id}'"), 2, 'the limited post was not written');
my $lp = api(GET => "/api/posts?wall_profile_id=$L->{id}")->{body}[0]{id};
is($L->{c}->request(POST => "/api/posts/$lp/comments", { content => 'c1' })->{status}, 201, 'first comment allowed');
is($L->{c}->request(POST => "/api/posts/$lp/comments", { content => 'c2' })->{status}, 429, 'second comment is 429');
is($L->{c}->request(PUT => "/api/posts/$lp/like")->{status}, 204, 'first like allowed');
is($L->{c}->request(PUT => "/api/posts/$lp/like")->{status}, 429, 'second like is 429');
my $L2 = register_user(username => "${tag}other");
$L2->{c} = login_user($L2);
is($L2->{c}->request(POST => '/api/posts', { content => 'other' })->{status}, 201, 'limits are per profile');
like(redis('pubsub', 'TTL', "bb:rl:post:$L2->{id}"), qr/^:[1-9]\d*$/, 'a new window gets an expiry');
# A counter whose expiry was lost gets one at its next event.
redis('pubsub', 'SET', "bb:rl:comment:$L2->{id}", '0');
is(redis('pubsub', 'TTL', "bb:rl:comment:$L2->{id}"), ':-1', 'counter starts without expiry');
is($L2->{c}->request(POST => "/api/posts/$lp/comments", { content => 'c3' })->{status}, 201, 'comment counted on that counter');
like(redis('pubsub', 'TTL', "bb:rl:comment:$L2->{id}"), qr/^:[1-9]\d*$/, 'the counter gets an expiry');
service(stop => 'redis-pubsub');
is($L->{c}->request(POST => '/api/posts', { content => 'open' })->{status}, 201, 'limits fail open without the pub/sub Redis');
service(start => 'redis-pubsub');
# nchan's Redis came back, but an nginx worker may notice only after its
# Redis connect timeout: a fresh nginx leaves the next test streams that work.
service(restart => 'nginx');
delete @ENV{qw(BUNNYBOOK_POST_WRITES_PER_WINDOW BUNNYBOOK_COMMENT_WRITES_PER_WINDOW BUNNYBOOK_LIKE_WRITES_PER_WINDOW)};
service(restart => 'bunnybookd');

done_testing();
