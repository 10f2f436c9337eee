#!/usr/bin/perl
# rawclient.pl: a raw TCP client for the strict/ scenarios whose rows say
# "the connection is closed" without saying how. pxtest's raw connections
# tell a clean close (expect-close) from a reset (expect-reset) and must
# be told which one to expect; this client accepts both and reports which
# one happened, so a scenario can assert the rest (when, after which
# bytes) without over-specifying the row.
#
#   perl rawclient.pl PORT DATA [WAIT_MS [LIMIT_MS]]
#
# Connects to 127.0.0.1:PORT, sends DATA (C escapes decoded: \r \n \t \\
# \0 \xHH), waits WAIT_MS (default 0) without reading, then reads until
# the peer closes or resets, or until LIMIT_MS (default 5000) have passed
# since the connection was made. Prints:
#
#   bytes N          bytes received
#   end fin|rst|open how the connection ended (open: still open at LIMIT_MS)
#   at MS            when the end was seen, in ms since the connection
#   data ESCAPED     the first 300 bytes received, C-escaped
#
# Uses only modules of perl-base, which every Debian system has.
use strict;
use warnings;
use Errno qw(ECONNRESET EINTR EAGAIN);
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

my ($port, $data, $wait_ms, $limit_ms) = @ARGV;
die "usage: rawclient.pl PORT DATA [WAIT_MS [LIMIT_MS]]\n" unless defined $data;
$wait_ms  = 0    unless defined $wait_ms;
$limit_ms = 5000 unless defined $limit_ms;

my %esc = (r => "\r", n => "\n", t => "\t", '\\' => '\\', '0' => "\0");
$data =~ s/\\(x([0-9a-fA-F]{2})|[rnt0\\])/defined $2 ? chr(hex $2) : $esc{$1}/ge;

my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 Proto => 'tcp') or die "connect: $!\n";
my $t0 = time;
my $off = 0;
while ($off < length $data) {
	my $n = syswrite($sock, $data, length($data) - $off, $off);
	die "send: $!\n" unless defined $n;
	$off += $n;
}
sleep($wait_ms / 1000) if $wait_ms > 0;

my ($got, $end, $at) = ('', 'open', undef);
my $nbytes = 0;
my $sel = IO::Select->new($sock);
while (1) {
	my $left = $limit_ms / 1000 - (time - $t0);
	last if $left <= 0;
	next unless $sel->can_read($left);
	my $buf;
	my $n = sysread($sock, $buf, 65536);
	if (!defined $n) {
		next if $! == EINTR || $! == EAGAIN;
		$end = $! == ECONNRESET ? 'rst' : "error: $!";
		$at = time;
		last;
	}
	if ($n == 0) {
		$end = 'fin';
		$at = time;
		last;
	}
	$nbytes += $n;
	$got .= substr($buf, 0, 300 - length $got) if length $got < 300;
}
$at = time unless defined $at;

(my $shown = $got) =~ s/([\\\x00-\x1f\x7f-\xff])/
	$1 eq "\r" ? '\r' : $1 eq "\n" ? '\n' : $1 eq "\t" ? '\t' :
	$1 eq '\\' ? '\\\\' : sprintf('\x%02x', ord $1)/ge;
printf "bytes %d\nend %s\nat %d\ndata %s\n", $nbytes, $end, ($at - $t0) * 1000, $shown;
