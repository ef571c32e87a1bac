#!/usr/bin/perl
# The friend graph on real data: the Facebook ego network imported with
# bunnybookd import-graph, and answers checked against an independent
# computation in this test.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time);
use Bunny qw(stack sql new_client api);

my $s = stack();
my $file = "$s->{BB_ROOT}/data/ego-facebook-edges.txt";

my $t0 = time;
my $out = `'$s->{BB_BIN}' -c '$s->{BB_CONF}' import-graph '$file' 2>&1`;
is($? >> 8, 0, 'import succeeds') or diag($out);
diag(sprintf 'import took %.1f s', time - $t0);
is(sql("SELECT count(*) FROM profiles WHERE email LIKE '%\@import.invalid'"), 4039, '4,039 people');
is(sql("SELECT count(*) FROM friendships f JOIN profiles p ON p.id = f.profile_id WHERE p.email LIKE '%\@import.invalid'"),
    2 * 88234, '88,234 friendships, stored both ways');
$out = `'$s->{BB_BIN}' -c '$s->{BB_CONF}' import-graph '$file' 2>&1`;
is($? >> 8, 0, 'second import succeeds');
is(sql("SELECT count(*) FROM friendships f JOIN profiles p ON p.id = f.profile_id WHERE p.email LIKE '%\@import.invalid'"),
    2 * 88234, 'second import adds nothing');

# The independent computation.
my %adj;
open my $fh, '<', $file or die;
while (<$fh>) {
	my ($a, $b) = split;
	next unless defined $b;
	$adj{$a}{$b} = 1;
	$adj{$b}{$a} = 1;
}
close $fh;
is(scalar keys %{ $adj{107} }, 1045, 'person 107 has 1,045 friends in the file');

sub expected_suggestions {
	my ($me) = @_;
	my %count;
	for my $f (keys %{ $adj{$me} }) {
		for my $ff (keys %{ $adj{$f} }) {
			next if $ff eq $me || $adj{$me}{$ff};
			$count{$ff}++;
		}
	}
	return [ map { [ "fb$_", $count{$_} ] }
	    sort { $count{$b} <=> $count{$a} || "fb$a" cmp "fb$b" } keys %count ];
}

sub id_of { sql("SELECT id FROM profiles WHERE username = 'fb$_[0]'") }

# Log in as imported people: give them a known password.
my $hash = `printf '%s' 'imported-pass-1' | argon2 realdatasaltsalt -id -m 15 -t 2 -p 1 -e`;
$hash =~ s/\s+$//;
sub login_as {
	my ($n) = @_;
	sql("UPDATE profiles SET password_hash = '$hash' WHERE username = 'fb$n'");
	my $c = new_client();
	my $r = $c->request(POST => '/api/login', { email => "fb$n\@import.invalid", password => 'imported-pass-1' });
	die "login fb$n: $r->{status}" unless $r->{status} == 200;
	$c->token($r->{body}{accessToken});
	return $c;
}

for my $n (0, 107, 1912, 3980) {
	my $c = login_as($n);
	my $id = id_of($n);
	my $want = expected_suggestions($n);
	my @got;
	my $cursor = '';
	for my $page (1 .. 3) {
		my $r = $c->request(GET => "/api/profiles/$id/friend_suggestions?limit=7" . ($cursor ? "&cursor=$cursor" : ''));
		last unless @{ $r->{body} };
		push @got, map { [ $_->{username}, $_->{mutualFriendsCount} ] } @{ $r->{body} };
		my $last = $r->{body}[-1];
		$cursor = "$last->{mutualFriendsCount}:$last->{username}";
	}
	my $n_want = @$want < 21 ? @$want : 21;
	is_deeply(\@got, [ @$want[0 .. $n_want - 1] ], "first three pages of suggestions for fb$n match");

	my $friend = (sort { $a <=> $b } keys %{ $adj{$n} })[0];
	my $other = (sort { $a <=> $b } keys %{ $adj{$friend} })[-1];
	my %mutual = map { ($_ => 1) } grep { $adj{$other}{$_} } keys %{ $adj{$n} };
	my $r = $c->request(GET => "/api/profiles/$id");
	is($r->{body}{friendsCount}, scalar keys %{ $adj{$n} }, "friendsCount of fb$n");
	my $oid = id_of($other);
	$r = $c->request(GET => "/api/profiles/$oid");
	is($r->{body}{mutualFriendsCount}, scalar keys %mutual, "mutual count of fb$n and fb$other");
	my @names;
	my $gt = '';
	while (1) {
		my $page = $c->request(GET => "/api/profiles/$id/friends/$oid/mutual_friends?limit=50&username_gt=$gt")->{body};
		last unless @$page;
		push @names, map { $_->{username} } @$page;
		$gt = $page->[-1]{username};
	}
	is_deeply(\@names, [ sort map { "fb$_" } keys %mutual ], "mutual friends of fb$n and fb$other, all pages");
}

done_testing();
