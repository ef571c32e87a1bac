package Bunny::Stream;

# Stream clients for the tests: the WebSocket client (t/js/ws-client.js,
# run with node) started in the background, and a small EventSource
# reader over a raw socket.

use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use JSON::PP;
use Time::HiRes qw(time);
use Bunny qw(stack);

# Start the WebSocket client; returns a handle for ws_wait().  Options:
# token, origin, cookie, last_event_id, count (events to wait for),
# timeout (ms), types (array of the event types to keep) and base (the
# site's URL, by default the stack's).
sub ws_start {
	my (%opt) = @_;
	my $s = stack();
	(my $url = $opt{base} // $s->{BB_URL}) =~ s{^http}{ws};
	$url .= $opt{path} // '/rt';
	my @args = ("$s->{BB_ROOT}/t/js/ws-client.js", $url,
	    '--count', $opt{count} // 1, '--timeout', $opt{timeout} // 8000);
	push @args, '--token', $opt{token} if $opt{token};
	push @args, '--origin', $opt{origin} if $opt{origin};
	push @args, '--cookie', $opt{cookie} if $opt{cookie};
	push @args, '--last-event-id', $opt{last_event_id} if $opt{last_event_id};
	push @args, '--types', join(',', @{ $opt{types} }) if $opt{types};
	my $pid = open(my $fh, '-|', 'node', @args) // die "node: $!";
	my $h = { pid => $pid, fh => $fh, lines => [] };
	# Wait for the handshake so that later events are not missed.
	my $line = <$fh>;
	chomp $line if defined $line;
	$h->{first} = $line;
	return $h;
}

# Read the client's output until it exits; returns (events, status lines).
sub ws_wait {
	my ($h) = @_;
	my (@events, @status);
	my $fh = $h->{fh};
	while (my $line = <$fh>) {
		chomp $line;
		if ($line =~ /^#/) { push @status, $line; next }
		push @events, decode_json($line);
	}
	close $fh;
	return (\@events, [ $h->{first} // '', @status ]);
}

# Read up to count EventSource events within timeout seconds.
# Returns (status code, [ {id, event} ... ]).
sub sse_read {
	my (%opt) = @_;
	my $s = stack();
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $s->{BB_PORT}, Timeout => 5) or die "connect: $!";
	my $path = $opt{path} // '/rt';
	my $req = "GET $path HTTP/1.0\r\nHost: 127.0.0.1:$s->{BB_PORT}\r\n"
	    . "Accept: text/event-stream\r\nConnection: close\r\n";
	$req .= "Authorization: Bearer $opt{token}\r\n" if $opt{token};
	$req .= "Last-Event-ID: $opt{last_event_id}\r\n" if $opt{last_event_id};
	print {$sock} "$req\r\n";
	my $sel = IO::Select->new($sock);
	my $deadline = time + ($opt{timeout} // 5);
	my ($buf, $status, @events) = ('', undef);
	my ($id, $data) = (undef, undef);
	while (time < $deadline && @events < ($opt{count} // 1)) {
		last unless $sel->can_read($deadline - time);
		my $n = sysread($sock, $buf, 65536, length $buf);
		last unless $n;
		if (!defined $status) {
			next unless $buf =~ s/^HTTP\/1\.[01] (\d+)[^\n]*\n(.*?)\r\n\r\n//s;
			$status = $1;
			last if $status != 200;
			# Subscribed: now let the test cause the events.
			$opt{ready}->() if $opt{ready};
		}
		while ($buf =~ s/^([^\n]*)\n//) {
			my $line = $1;
			$line =~ s/\r$//;
			if ($line eq '') {
				push @events, { id => $id, event => decode_json($data) } if defined $data;
				($id, $data) = (undef, undef);
			} elsif ($line =~ /^id: ?(.*)$/) {
				$id = $1;
			} elsif ($line =~ /^data: ?(.*)$/) {
				$data = defined $data ? "$data\n$1" : $1;
			}
		}
	}
	close $sock;
	return ($status, \@events);
}

1;
