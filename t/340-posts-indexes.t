#!/usr/bin/perl
# Every query behind the post, comment, like and feed routes uses its
# index on tables large enough that PostgreSQL would rather scan them
# sequentially otherwise.  The plans are the server's own: auto_explain
# logs the plan of each statement bunnybookd runs, with the cache Redis
# stopped so that every request reaches PostgreSQL.
use strict;
use warnings;
use Test::More;
use Bunny qw(register_user login_user new_client sql stack service plans_of);

my $tag = 'ix' . $$;
my $V = register_user(username => "${tag}v");
$V->{c} = login_user($V);
my $Fr = register_user(username => "${tag}f");
$Fr->{c} = login_user($Fr);
sub path { "/api/profiles/$_[0]{id}" }
$V->{c}->request(POST => path($V) . "/outgoing_friend_requests/$Fr->{id}");
$Fr->{c}->request(POST => path($Fr) . "/friends/$V->{id}");

# 5,000 profiles with 20 to 40 friends each, 100 of them V's friends; 300,000 posts over a year on
# their walls, 10% FRIENDS; 100,000 comments; 100,000 likes; 200,000
# notifications.
sql("INSERT INTO profiles (username, email, password_hash, avatar_identifier)"
    . " SELECT '$tag' || i, '$tag' || i || '\@example.com', 'x', 'a' FROM generate_series(1, 5000) i");
# Each generated profile is friends with its 20 neighbours in id order.
sql(<<"SQL");
WITH g AS (SELECT id, username, row_number() OVER (ORDER BY id) AS n
	FROM profiles WHERE username ~ '^${tag}[0-9]+\$'),
pairs AS (SELECT a.id AS x, a.username AS xname, b.id AS y, b.username AS yname
	FROM g a CROSS JOIN generate_series(1, 20) k JOIN g b ON b.n = a.n + k)
INSERT INTO friendships (profile_id, friend_id, friend_username)
SELECT x, y, yname FROM pairs UNION ALL SELECT y, x, xname FROM pairs
SQL
sql("INSERT INTO friendships (profile_id, friend_id, friend_username)"
    . " SELECT '$V->{id}', p.id, p.username FROM profiles p WHERE p.username ~ '^${tag}[0-9]+\$'"
    . " ORDER BY p.username LIMIT 100");
sql("INSERT INTO friendships (profile_id, friend_id, friend_username)"
    . " SELECT friend_id, profile_id, '$V->{username}' FROM friendships WHERE profile_id = '$V->{id}' AND friend_id <> '$Fr->{id}'");
sql(<<"SQL");
INSERT INTO posts (wall_profile_id, profile_id, content, privacy, created_at)
SELECT w.id, w.id, 'post ' || g, CASE WHEN g % 10 = 0 THEN 'FRIENDS' ELSE 'PUBLIC' END,
	date_trunc('milliseconds', now() - (g * interval '105 ms'))
FROM generate_series(1, 300000) g
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM profiles
	WHERE username ~ '^${tag}[0-9]+\$') w ON w.n = g % 5000
SQL
sql("INSERT INTO comments (post_id, profile_id, content, created_at)"
    . " SELECT p.id, p.profile_id, 'comment', p.created_at FROM posts p"
    . " WHERE p.content LIKE 'post %' AND substr(p.content, 6)::int % 3 = 0");
sql("INSERT INTO post_likes (post_id, profile_id)"
    . " SELECT p.id, p.profile_id FROM posts p WHERE p.content LIKE 'post %' AND substr(p.content, 6)::int % 3 = 1");
sql("INSERT INTO notifications (profile_id, event, payload)"
    . " SELECT p.profile_id, 'NEW_LIKE', jsonb_build_object('postId', p.id) FROM posts p"
    . " WHERE p.content LIKE 'post %' AND substr(p.content, 6)::int % 3 <> 0");
sql('VACUUM ANALYZE posts');
sql('VACUUM ANALYZE comments');
sql('VACUUM ANALYZE post_likes');
sql('VACUUM ANALYZE notifications');
sql('VACUUM ANALYZE friendships');
sql('VACUUM ANALYZE profiles');
cmp_ok(sql('SELECT count(*) FROM posts'), '>=', 300000, 'posts has 300,000 rows');

# A friend's wall and one of its posts, for the per-post routes.
my $wall = sql("SELECT friend_id FROM friendships WHERE profile_id = '$V->{id}' AND friend_id <> '$Fr->{id}' LIMIT 1");
my $post = sql("SELECT id FROM posts WHERE wall_profile_id = '$wall' ORDER BY created_at DESC LIMIT 1");
my $mid = sql("SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') || ' ' || id"
    . " FROM posts WHERE wall_profile_id = '$wall' ORDER BY created_at DESC OFFSET 30 LIMIT 1");
my ($mid_time, $mid_id) = split / /, $mid;

sql(q{ALTER DATABASE bunnybook SET session_preload_libraries = 'auto_explain'});
sql(q{ALTER DATABASE bunnybook SET auto_explain.log_min_duration = 0});
sql(q{ALTER DATABASE bunnybook SET auto_explain.log_nested_statements = on});
service(stop => 'redis-cache');
service(restart => 'bunnybookd');


my $anon = new_client();
my $cm;
# name, request, expected status, index names (regular expressions).
my @cases = (
	[ 'wall page of a friend', sub { $V->{c}->request(GET => "/api/posts?wall_profile_id=$wall") }, 200, [ 'posts_wall_idx' ] ],
	[ 'deep wall page', sub { $V->{c}->request(GET => "/api/posts?wall_profile_id=$wall&older_than=$mid_time&older_than_id=$mid_id") }, 200, [ 'posts_wall_idx' ] ],
	[ 'anonymous wall page', sub { $anon->request(GET => "/api/posts?wall_profile_id=$wall") }, 200, [ 'posts_wall_public_idx' ] ],
	[ 'feed', sub { $V->{c}->request(GET => '/api/feed') }, 200, [ 'posts_wall_idx', 'friendships_(?:pkey|by_username_idx)' ] ],
	[ 'deep feed page', sub { $V->{c}->request(GET => "/api/feed?older_than=$mid_time&older_than_id=$mid_id") }, 200, [ 'posts_wall_idx' ] ],
	[ 'one post', sub { $V->{c}->request(GET => "/api/posts/$post") }, 200, [ 'posts_pkey' ] ],
	[ 'comment page', sub { $V->{c}->request(GET => "/api/posts/$post/comments") }, 200, [ 'comments_post_idx' ] ],
	[ 'comment create', sub { my $r = $V->{c}->request(POST => "/api/posts/$post/comments", { content => 'indexed' }); $cm = $r->{body}{id}; $r }, 201, [ 'comments_post_idx' ] ],
	[ 'post like', sub { $V->{c}->request(PUT => "/api/posts/$post/like") }, 204, [ 'notifications_group_idx' ] ],
	[ 'post unlike', sub { $V->{c}->request(DELETE => "/api/posts/$post/like") }, 204, [ 'post_likes_pkey' ] ],
	[ 'comment like', sub { $V->{c}->request(PUT => "/api/comments/$cm/like") }, 204, [ 'comments_pkey' ] ],
	[ 'comment delete', sub { $V->{c}->request(DELETE => "/api/comments/$cm") }, 204, [ 'comments_pkey' ] ],
	[ 'post create on a friend\'s wall', sub { $V->{c}->request(POST => '/api/posts', { content => 'x', wallProfileId => $wall }) }, 201, [ 'friendships_pkey' ] ],
);
for my $case (@cases) {
	my ($name, $code, $status, $indexes) = @$case;
	my ($r, $plans) = plans_of($code);
	is($r->{status}, $status, "$name answers $status");
	like($plans, qr/Query Text:/, "$name: plans were logged");
	for my $index (@$indexes) {
		like($plans, qr/ using $index /, "$name uses $index");
	}
	unlike($plans, qr/Seq Scan on (posts|comments|post_likes|comment_likes|notifications|friendships|profiles)\b/,
	    "$name scans no large table sequentially");
}

sql('ALTER DATABASE bunnybook RESET ALL');
service(start => 'redis-cache');
service(restart => 'bunnybookd');
done_testing();
