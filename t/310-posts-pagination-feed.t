#!/usr/bin/perl
# Keyset pages of walls, comments and the home feed: rows that share one
# millisecond are neither skipped nor repeated, older_than alone works,
# and the feed holds exactly the posts of my wall and my friends' walls.
use strict;
use warnings;
use Test::More;
use Bunny qw(api register_user login_user new_client sql);

my $tag = 'k' . $$;
my %u;
for my $n (qw(me friend other stranger)) {
	$u{$n} = register_user(username => "$tag$n");
	$u{$n}{c} = login_user($u{$n});
}
my ($M, $F, $G, $S) = @u{qw(me friend other stranger)};
sub path { "/api/profiles/$_[0]{id}" }
sub befriend {
	my ($p, $q) = @_;
	$p->{c}->request(POST => path($p) . "/outgoing_friend_requests/$q->{id}");
	$q->{c}->request(POST => path($q) . "/friends/$p->{id}");
}
befriend($M, $F);
befriend($M, $G);
befriend($S, $F);

# Walk a list to its end with older_than and older_than_id; returns ids.
sub walk {
	my ($client, $base, $limit) = @_;
	my (@ids, $q);
	for (1 .. 100) {
		my $sep = $base =~ /\?/ ? '&' : '?';
		my $r = $client->request(GET => "$base${sep}limit=$limit" . ($q // ''));
		die "page failed: $r->{status} $r->{content}" unless $r->{status} == 200;
		last unless @{ $r->{body} };
		push @ids, map { $_->{id} } @{ $r->{body} };
		my $last = $r->{body}[-1];
		$q = "&older_than=$last->{createdAt}&older_than_id=$last->{id}";
	}
	return \@ids;
}

# 25 posts in one millisecond between a newer and an older one.
my $ms = '2026-03-01 10:00:00.123+00';
sql("INSERT INTO posts (wall_profile_id, profile_id, content, created_at)"
    . " SELECT '$M->{id}', '$M->{id}', 'same ms ' || i, '$ms' FROM generate_series(1, 25) i");
sql("INSERT INTO posts (wall_profile_id, profile_id, content, created_at) VALUES"
    . " ('$M->{id}', '$M->{id}', 'newer', '2026-03-01 10:00:00.124+00'),"
    . " ('$M->{id}', '$M->{id}', 'older', '2026-03-01 10:00:00.122+00')");
my @expected = sql("SELECT id FROM posts WHERE wall_profile_id = '$M->{id}' ORDER BY created_at DESC, id DESC");
is(scalar @expected, 27, '27 posts on the wall');
for my $limit (1, 4, 7, 20) {
	is_deeply(walk($M->{c}, "/api/posts?wall_profile_id=$M->{id}", $limit), \@expected,
	    "wall pages of $limit skip and repeat nothing");
}
is_deeply(walk(new_client(), "/api/posts?wall_profile_id=$M->{id}", 6), \@expected,
    'anonymous wall pages skip and repeat nothing');

# older_than alone: strictly older than that millisecond.
my $r = api(GET => "/api/posts?wall_profile_id=$M->{id}&older_than=2026-03-01T10:00:00.123Z");
is_deeply([ map { $_->{content} } @{ $r->{body} } ], [ 'older' ], 'older_than alone continues after the whole millisecond');
$r = api(GET => "/api/posts?wall_profile_id=$M->{id}&older_than=2026-03-01T10:00:00.123456Z");
is(scalar @{ $r->{body} }, 10, 'older_than with microseconds is accepted');
is($r->{body}[0]{createdAt}, '2026-03-01T10:00:00.123Z', 'and includes the rows of its millisecond');
$r = api(GET => "/api/posts?wall_profile_id=$M->{id}&older_than=2026-03-01T10:00:00Z");
is(scalar @{ $r->{body} }, 0, 'older_than without a fraction is accepted');

# Comments in one millisecond.
my $post = $M->{c}->request(POST => '/api/posts', { content => 'commented' })->{body};
sql("INSERT INTO comments (post_id, profile_id, content, created_at)"
    . " SELECT '$post->{id}', '$F->{id}', 'c' || i, '$ms' FROM generate_series(1, 23) i");
my @cexpected = sql("SELECT id FROM comments WHERE post_id = '$post->{id}' ORDER BY created_at DESC, id DESC");
is_deeply(walk($M->{c}, "/api/posts/$post->{id}/comments", 5), \@cexpected,
    'comment pages skip and repeat nothing');
is(api(GET => "/api/posts/$post->{id}")->{body}{commentsCount}, 23, 'commentsCount counts comments inserted by SQL');
is(api(GET => "/api/posts/$post->{id}/comments?limit=21")->{status}, 422, 'comment limit 21 is 422');
is(api(GET => "/api/posts/$post->{id}/comments?older_than=x")->{status}, 422, 'comment older_than not a time is 422');

# The feed: my wall, my friends' walls, nothing else.
my %made;
sub make {
	my ($who, $wall, $privacy, $name) = @_;
	my $r = $who->{c}->request(POST => '/api/posts', { content => $name,
	    wallProfileId => $wall->{id}, privacy => $privacy });
	die "post failed: $r->{content}" unless $r->{status} == 201;
	$made{$name} = $r->{body}{id};
}
make($F, $F, 'FRIENDS', 'friend-own-friends-only');
make($G, $G, 'PUBLIC', 'other-own-public');
make($F, $M, 'PUBLIC', 'friend-on-my-wall');
make($S, $S, 'PUBLIC', 'stranger-own');
make($F, $S, 'FRIENDS', 'friend-on-stranger-wall');
make($S, $F, 'FRIENDS', 'stranger-on-friend-wall');
my @feed = @{ walk($M->{c}, '/api/feed', 7) };
my %in = map { $_ => 1 } @feed;
ok($in{ $made{'friend-own-friends-only'} }, 'feed has a friend\'s FRIENDS post on their wall');
ok($in{ $made{'other-own-public'} }, 'feed has another friend\'s post');
ok($in{ $made{'friend-on-my-wall'} }, 'feed has a post on my wall');
ok($in{ $made{'stranger-on-friend-wall'} }, 'feed has a stranger\'s post on a friend\'s wall');
ok(!$in{ $made{'stranger-own'} }, 'feed lacks a stranger\'s own wall');
ok(!$in{ $made{'friend-on-stranger-wall'} }, 'feed lacks a friend\'s post on a stranger\'s wall');
my @fexpected = sql("SELECT id FROM posts WHERE wall_profile_id IN ('$M->{id}', '$F->{id}', '$G->{id}')"
    . ' ORDER BY created_at DESC, id DESC');
is_deeply(\@feed, \@fexpected, 'feed pages are the walls\' posts in order, nothing skipped or repeated');
$r = $M->{c}->request(GET => '/api/feed');
is(scalar @{ $r->{body} }, 10, 'feed limit defaults to 10');
is($M->{c}->request(GET => '/api/feed?limit=21')->{status}, 422, 'feed limit 21 is 422');
is($M->{c}->request(GET => '/api/feed?older_than=soon')->{status}, 422, 'feed older_than not a time is 422');
is(api(GET => '/api/feed')->{status}, 401, 'an anonymous feed is 401');

# The feed finds each wall's newest post through wall_last_posts, which
# the posts table's triggers keep: deleting the newest post puts the one
# before it back in front, also when posts and deletes race.
sub last_post_ok {
	my ($who, $name) = @_;
	is(sql("SELECT coalesce((SELECT last_post_at::text FROM wall_last_posts WHERE wall_profile_id = '$who->{id}'), 'none')"),
	    sql("SELECT coalesce(max(created_at)::text, 'none') FROM posts WHERE wall_profile_id = '$who->{id}'"), $name);
}
my @newest = map { $G->{c}->request(POST => '/api/posts', { content => "newest $_" })->{body}{id} } 1 .. 2;
is($M->{c}->request(GET => '/api/feed')->{body}[0]{id}, $newest[1], 'a friend\'s new post leads the feed');
$G->{c}->request(DELETE => "/api/posts/$newest[1]");
is($M->{c}->request(GET => '/api/feed')->{body}[0]{id}, $newest[0], 'after its delete, the post before it leads');
last_post_ok($G, 'the wall\'s last post time follows the delete');
my @racers;
for my $k (0 .. 3) {
	my $kid = fork // die;
	if ($kid == 0) {
		if ($k < 2) {
			($k ? $M : $G)->{c}->request(POST => '/api/posts', { content => "racer $k $_", wallProfileId => $G->{id} }) for 1 .. 6;
		} else {
			for (1 .. 4) {
				my $top = sql("SELECT id FROM posts WHERE wall_profile_id = '$G->{id}' ORDER BY created_at DESC, id DESC LIMIT 1");
				$G->{c}->request(DELETE => "/api/posts/$top") if $top;
			}
		}
		exit 0;
	}
	push @racers, $kid;
}
waitpid($_, 0) for @racers;
last_post_ok($G, 'the wall\'s last post time is exact after posts and deletes race');
my @top = sql("SELECT id FROM posts WHERE wall_profile_id IN ('$M->{id}', '$F->{id}', '$G->{id}')"
    . ' ORDER BY created_at DESC, id DESC LIMIT 10');
is_deeply([ map { $_->{id} } @{ $M->{c}->request(GET => '/api/feed')->{body} } ], \@top,
    'the first feed page after the race is the newest posts');

# Unfriending removes a friend's wall from the feed at once.
$M->{c}->request(DELETE => path($M) . "/friends/$F->{id}");
%in = map { $_ => 1 } @{ walk($M->{c}, '/api/feed', 20) };
ok(!$in{ $made{'friend-own-friends-only'} }, 'after unfriending, the feed lacks the old friend\'s wall');
ok($in{ $made{'friend-on-my-wall'} }, 'posts on my own wall stay');
$G->{c}->request(DELETE => "/api/posts/$_")
    for sql("SELECT id FROM posts WHERE wall_profile_id = '$G->{id}'");
last_post_ok($G, 'a wall without posts has no last post time');

done_testing();
