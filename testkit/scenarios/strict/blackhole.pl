#!/usr/bin/perl
# blackhole.pl: a TCP port on 127.0.0.1 where connection attempts hang,
# so that "timeout connect" can be tested without relying on the network
# (an unroutable address fails at once where there is no route).
#
#   perl blackhole.pl PORT READY_FILE
#
# Listens on PORT with a backlog of 0 and never accepts, then fills the
# accept queue with one connection of its own. Linux drops the SYN of any
# further connection to a listener whose accept queue is full, so a
# client's connect() neither succeeds nor fails until it gives up. Writes
# "ready" to READY_FILE once the queue is full, then sleeps until killed.
# Uses only modules of perl-base.
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_REUSEADDR pack_sockaddr_in inet_aton);

my ($port, $ready) = @ARGV;
die "usage: blackhole.pl PORT READY_FILE\n" unless defined $ready;
# IO::Socket::INET takes "Listen => 0" as "do not listen": use the
# plain socket calls.
socket(my $lsn, PF_INET, SOCK_STREAM, 0) or die "socket: $!\n";
setsockopt($lsn, SOL_SOCKET, SO_REUSEADDR, 1) or die "setsockopt: $!\n";
bind($lsn, pack_sockaddr_in($port, inet_aton('127.0.0.1'))) or die "bind: $!\n";
listen($lsn, 0) or die "listen: $!\n";
my $filler = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                   Proto => 'tcp', Timeout => 2)
	or die "filler connect: $!\n";
open(my $fh, '>', $ready) or die "$ready: $!\n";
print $fh "ready\n";
close($fh);
sleep 3600 while 1;
