package Bunny::OpenAPI;

# The API description (static/apidocs/openapi.json) for tests: loading it,
# following its local $ref pointers, the route table that bunnybookd
# prints, and a checker for the subset of JSON Schema the document uses:
# type (a name or a list such as ["string", "null"]), properties,
# required, additionalProperties, items, enum, oneOf and the formats uuid
# and date-time.  Length and range keywords are not checked.

use strict;
use warnings;
use B ();
use JSON::PP ();

my $UUID = qr/\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\z/;
my $TIME = qr/\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z\z/;

sub new {
	my ($class, $file) = @_;
	open my $fh, '<:raw', $file or die "cannot read $file: $!\n";
	local $/;
	my $text = <$fh>;
	close $fh;
	my $doc = JSON::PP->new->utf8->decode($text);
	return bless { doc => $doc, text => $text }, $class;
}

sub doc { $_[0]{doc} }
sub text { $_[0]{text} }

# Follow $ref pointers ("#/components/schemas/Post") until a value that
# is not a reference; dies on a pointer into nothing.
sub resolve {
	my ($self, $value) = @_;
	my $seen = 0;
	while (ref $value eq 'HASH' && defined $value->{'$ref'}) {
		my $ref = $value->{'$ref'};
		die "unsupported reference $ref\n" unless $ref =~ m{\A#/};
		$value = $self->{doc};
		for my $key (split m{/}, substr($ref, 2)) {
			$key =~ s/~1/\//g;
			$key =~ s/~0/~/g;
			die "reference $ref points to nothing\n"
			    unless ref $value eq 'HASH' && exists $value->{$key};
			$value = $value->{$key};
		}
		die "reference loop at $ref\n" if ++$seen > 20;
	}
	return $value;
}

# Every "$ref" string anywhere in the document.
sub all_refs {
	my ($self) = @_;
	my @refs;
	my @todo = ($self->{doc});
	while (@todo) {
		my $v = shift @todo;
		if (ref $v eq 'HASH') {
			push @refs, $v->{'$ref'} if defined $v->{'$ref'} && !ref $v->{'$ref'};
			push @todo, values %$v;
		} elsif (ref $v eq 'ARRAY') {
			push @todo, @$v;
		}
	}
	return @refs;
}

# The route table from `bunnybookd routes`: a list of
# {method, pattern, path (OpenAPI form), auth, json, internal, params}.
sub route_table {
	my ($class, $binary) = @_;
	open my $fh, '-|', $binary, 'routes' or die "cannot run $binary: $!\n";
	my @routes;
	while (my $line = <$fh>) {
		chomp $line;
		my ($method, $pattern, $auth, @flags) = split ' ', $line;
		my %flags = map { ($_ => 1) } @flags;
		my @params = $pattern =~ /\{(\w+):(\w+)\}/g;
		(my $path = $pattern) =~ s/\{(\w+):\w+\}/{$1}/g;
		push @routes, { method => $method, pattern => $pattern,
		    path => $path, auth => $auth, json => $flags{json} ? 1 : 0,
		    internal => $flags{internal} ? 1 : 0, params => {@params} };
	}
	close $fh or die "$binary routes failed\n";
	return @routes;
}

sub json_type {
	my ($v) = @_;
	return 'null' unless defined $v;
	return 'boolean' if JSON::PP::is_bool($v);
	return 'object' if ref $v eq 'HASH';
	return 'array' if ref $v eq 'ARRAY';
	my $flags = B::svref_2object(\$v)->FLAGS;
	return 'string' if $flags & B::SVp_POK;
	return 'integer' if $flags & B::SVp_IOK;
	return $v == int($v) ? 'integer' : 'number' if $flags & B::SVp_NOK;
	return 'string';
}

# Check value against schema; returns a list of problems ("at $.x: ...").
sub validate {
	my ($self, $schema, $value, $at) = @_;
	$at //= '$';
	$schema = $self->resolve($schema);
	my @errors;

	# Type first: later checks may turn numbers into strings.
	my $type = json_type($value);
	if (defined $schema->{type}) {
		my @allowed = ref $schema->{type} ? @{ $schema->{type} } : ($schema->{type});
		my $ok = grep { $_ eq $type || ($_ eq 'number' && $type eq 'integer') } @allowed;
		return ("at $at: expected " . join('|', @allowed) . ", got $type") unless $ok;
	}
	if ($schema->{oneOf}) {
		my $matches = grep { !$self->validate($_, $value, $at) } @{ $schema->{oneOf} };
		push @errors, "at $at: matches $matches of the oneOf schemas, not one"
		    unless $matches == 1;
	}
	if ($schema->{enum}) {
		my $text = JSON::PP->new->canonical->allow_nonref;
		my $got = $text->encode($value);
		push @errors, "at $at: $got is not one of the enum"
		    unless grep { $text->encode($_) eq $got } @{ $schema->{enum} };
	}
	if ($type eq 'string' && defined $schema->{format}) {
		push @errors, "at $at: \"$value\" is not a uuid"
		    if $schema->{format} eq 'uuid' && $value !~ $UUID;
		push @errors, "at $at: \"$value\" is not a date-time"
		    if $schema->{format} eq 'date-time' && $value !~ $TIME;
	}
	if ($type eq 'object') {
		for my $name (@{ $schema->{required} // [] }) {
			push @errors, "at $at: required property $name is missing"
			    unless exists $value->{$name};
		}
		my $props = $schema->{properties} // {};
		for my $name (sort keys %$value) {
			if ($props->{$name}) {
				push @errors, $self->validate($props->{$name}, $value->{$name}, "$at.$name");
			} elsif (ref $schema->{additionalProperties} eq 'HASH') {
				push @errors, $self->validate($schema->{additionalProperties},
				    $value->{$name}, "$at.$name");
			}
		}
	}
	if ($type eq 'array' && $schema->{items}) {
		for my $i (0 .. $#$value) {
			push @errors, $self->validate($schema->{items}, $value->[$i], "$at\[$i]");
		}
	}
	return @errors;
}

# The operation of METHOD (any case) and an OpenAPI path, or undef.
sub operation {
	my ($self, $method, $path) = @_;
	my $item = $self->{doc}{paths}{$path} or return undef;
	return $item->{lc $method};
}

# The JSON schema of a documented response, or undef.
sub response_schema {
	my ($self, $op, $status) = @_;
	my $response = $self->resolve($op->{responses}{$status} // return undef);
	my $media = $response->{content}{'application/json'} or return undef;
	return $media->{schema};
}

1;
