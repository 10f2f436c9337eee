#!/usr/bin/perl
# tcpsrv.pl: small TCP origins for the proxy2/ scenarios, for behaviours
# fakesrv does not have (it always closes once the client has closed, and
# parses everything it reads as HTTP).
#
#   perl tcpsrv.pl PORT MODE READY_FILE EVENTS_FILE
#
# Listens on 127.0.0.1:PORT, writes "ready" to READY_FILE once listening,
# and appends one line per event to EVENTS_FILE:
#
#   open N                     connection N accepted (from 1)
#   head N ESCAPED             (connect mode) the request head received
#   eof N MS                   connection N got the peer's FIN, MS ms after
#                              it was accepted
#   reset N MS                 connection N got a reset (or another error)
#   closed N MS                connection N closed by us
#
# Modes:
#   hold     read and discard everything; never write, never close, not
#            even after the peer's FIN (a server that does not end its
#            half of a half-closed connection).
#   connect  read a request head, answer
#            "HTTP/1.1 200 Connection established\r\n\r\n", then send
#            back every byte received upper-cased; at the peer's FIN send
#            "BYE\n" and close.
#
# Uses only modules of perl-base.
use strict;
use warnings;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);

my ($port, $mode, $ready, $events) = @ARGV;
die "usage: tcpsrv.pl PORT hold|connect READY_FILE EVENTS_FILE\n" unless defined $events;
die "unknown mode '$mode'\n" unless $mode eq 'hold' || $mode eq 'connect';

my $lsn = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$port", Listen => 64,
                                ReuseAddr => 1, Proto => 'tcp')
	or die "listen on $port: $!\n";
open(my $ev, '>>', $events) or die "$events: $!\n";
$ev->autoflush(1);
open(my $rf, '>', $ready) or die "$ready: $!\n";
print $rf "ready\n";
close($rf);

sub esc {
	my ($s) = @_;
	$s =~ s/([\\\x00-\x1f\x7f-\xff])/sprintf("\\x%02x", ord $1)/ge;
	$s =~ s/\\x0d/\\r/g;
	$s =~ s/\\x0a/\\n/g;
	return $s;
}

my $sel = IO::Select->new($lsn);
my %conn;    # fileno => { sock, id, t0, head_done, buf }
my $n = 0;
for (;;) {
	for my $s ($sel->can_read()) {
		if ($s == $lsn) {
			my $c = $lsn->accept or next;
			$n++;
			$conn{fileno $c} = { sock => $c, id => $n, t0 => time, head_done => 0, buf => '' };
			$sel->add($c);
			print $ev "open $n\n";
			next;
		}
		my $st = $conn{fileno $s};
		my $ms = sub { int((time - $st->{t0}) * 1000) };
		my $r = sysread($s, my $data, 65536);
		if (!defined $r) {
			print $ev "reset $st->{id} ", $ms->(), "\n";
			$sel->remove($s);
			delete $conn{fileno $s};
			close($s);
			next;
		}
		if ($r == 0) {
			print $ev "eof $st->{id} ", $ms->(), "\n";
			$sel->remove($s);
			if ($mode eq 'connect') {
				syswrite($s, "BYE\n");
				print $ev "closed $st->{id} ", $ms->(), "\n";
				delete $conn{fileno $s};
				close($s);
			}
			# hold: keep the socket open, unwatched, until killed.
			next;
		}
		next if $mode eq 'hold';
		if (!$st->{head_done}) {
			$st->{buf} .= $data;
			my $end = index($st->{buf}, "\r\n\r\n");
			next if $end < 0;
			print $ev "head $st->{id} ", esc(substr($st->{buf}, 0, $end + 4)), "\n";
			$st->{head_done} = 1;
			$data = substr($st->{buf}, $end + 4);
			$st->{buf} = '';
			syswrite($s, "HTTP/1.1 200 Connection established\r\n\r\n");
		}
		syswrite($s, uc $data) if length $data;
	}
}
