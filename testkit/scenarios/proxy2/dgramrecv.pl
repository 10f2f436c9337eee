#!/usr/bin/perl
# dgramrecv.pl: a syslog receiver on a Unix datagram socket, the kind
# /dev/log is, for the proxy2/ log scenarios (pxtest's own receiver is
# UDP only).
#
#   perl dgramrecv.pl SOCKET_PATH OUTPUT_FILE
#
# Binds a SOCK_DGRAM Unix socket at SOCKET_PATH (removing a stale one)
# and appends each datagram received to OUTPUT_FILE as one line, with
# "\", CR, LF and other control bytes C-escaped (\\, \r, \n, \xHH), so a
# datagram's trailing newline, if any, shows as "\n" at the end of its
# line. Runs until killed. Uses only modules of perl-base.
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);

my ($path, $out) = @ARGV;
die "usage: dgramrecv.pl SOCKET_PATH OUTPUT_FILE\n" unless defined $out;
unlink $path if -S $path;
my $sock = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path)
	or die "bind $path: $!\n";
open(my $fh, '>>', $out) or die "$out: $!\n";
$fh->autoflush(1);
for (;;) {
	my $from = $sock->recv(my $msg, 65536);
	next unless defined $from;
	$msg =~ s/\\/\\\\/g;
	$msg =~ s/\r/\\r/g;
	$msg =~ s/\n/\\n/g;
	$msg =~ s/([\x00-\x1f\x7f])/sprintf("\\x%02x", ord $1)/ge;
	print $fh "$msg\n";
}
