#!/usr/bin/perl
# Resuming from an expired message.  nchan 1.3.6 aborts an nginx worker
# when streams of one channel resume at the same moment from a message
# that has expired (with the If-Modified-Since and If-None-Match headers
# as well), so bunnybookd starts a stream whose resume id is older than
# stream_resume_max_age_s at the newest event, and refuses those headers.
# This stack keeps messages 12 s and honours ids up to 6 s old.
use strict;
use warnings;
use Test::More;
use POSIX qw(_exit);
use Time::HiRes qw(sleep);
use Bunny qw(private_stack api register_user login_user service log_text);
use Bunny::Stream;

my $s = private_stack('resume-expired', settings => { stream_resume_max_age_s => 6 });
my $site = "$s->{BB_DIR}/nginx/bunnybook.conf";
{
	open my $in, '<', $site or die "$site: $!";
	local $/;
	my $text = <$in>;
	$text =~ s/nchan_message_timeout 1h;/nchan_message_timeout 12s;/ or die "no message timeout in $site\n";
	open my $out, '>', $site or die "$site: $!";
	print {$out} $text;
}
service(restart => 'nginx');

my $u = register_user(prefix => 'resume');
my $c = login_user($u);
my $token = $c->token;

sub check {
	my ($word) = @_;
	is($c->request(POST => "/api/presence/heartbeat?check=$word")->{status}, 204,
	    "the heartbeat publishes stream_check $word");
}

# Events from the buffered channel, read over EventSource.
sub read_events {
	my (%opt) = @_;
	return Bunny::Stream::sse_read(token => $token, timeout => 8, %opt);
}

my ($status, $events) = read_events(ready => sub { check('first') });
is($status, 200, 'a stream opens');
is($events->[0]{event}{data}{token}, 'first', 'and receives the event');
my $first_id = $events->[0]{id};
like($first_id, qr/^\d+:/, 'the event has an nchan id');

# A fresh id is honoured, from the header and from the query.
check('second');
($status, $events) = read_events(last_event_id => $first_id);
is($events->[0]{event}{data}{token}, 'second', 'Last-Event-ID resumes with the missed event');
(my $query_id = $first_id) =~ s/([^0-9-])/sprintf('%%%02X', ord $1)/ge;
($status, $events) = read_events(path => "/rt?last_event_id=$query_id");
is($events->[0]{event}{data}{token}, 'second', 'last_event_id resumes with the missed event');

# Ids that are not nchan's, and the other ways of giving one.
for my $case (['last_event_id', '/rt?last_event_id=abc', {}],
    ['Last-Event-ID', '/rt', { 'last-event-id' => '123:x' }],
    ['Last-Event-ID', '/rt', { 'last-event-id' => ('1' x 13) . ':0' }],
    ['Last-Event-ID', '/rt', { 'last-event-id' => '1796505974:0,-' }],
    ['Last-Event-ID', '/rt', { 'last-event-id' => '1796505974:[0],[0]' }],
    ['last_event_id', '/rt?last_event_id=1796505974%3A%5B0%5D', {}],
    ['If-Modified-Since', '/rt', { 'if-modified-since' => 'Sat, 05 Dec 2026 14:00:00 GMT' }],
    ['If-None-Match', '/rt', { 'if-none-match' => '[0],-' }]) {
	my ($field, $path, $headers) = @$case;
	my $r = $c->request(GET => $path, undef, headers => $headers);
	is($r->{status}, 400, "$field: 400");
	is($r->{body}{error}{field}, $field, "$field: the error names it");
}

# Let the first two events expire, in nchan and for bunnybookd.
sleep 14;
my $log_before = () = log_text('bunnybookd') =~ /older than 6 s/g;

# Eight streams resume at once from the expired id, half of them with the
# header and half with the query.  Each must open and get the next event.
my @kids;
for my $i (1 .. 8) {
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my ($st, $ev) = $i % 2
		    ? read_events(last_event_id => $first_id, timeout => 10)
		    : read_events(path => "/rt?last_event_id=$query_id", timeout => 10);
		_exit(($st // 0) == 200 && ($ev->[0]{event}{data}{token} // '') eq 'third' ? 0 : 1);
	}
	push @kids, $pid;
}
sleep 2;
check('third');
my $ok = 0;
for my $pid (@kids) {
	waitpid($pid, 0);
	$ok++ if $? == 0;
}
is($ok, 8, 'eight streams resuming from an expired id all start at the newest event');
my $log_after = () = log_text('bunnybookd') =~ /older than 6 s/g;
cmp_ok($log_after - $log_before, '>=', 8, 'bunnybookd logs each id it did not honour');

my $errors = log_text('nginx-error');
unlike($errors, qr/exited on signal|Assertion/, 'no nginx worker aborted');

done_testing();
