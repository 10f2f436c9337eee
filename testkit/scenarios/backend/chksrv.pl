#!/usr/bin/perl
# chksrv.pl PORT MODE LOG [STATUS_FILE]
#
# A stand-in for a service that health checks probe, whose answers a
# scenario changes while it runs. Listens on 127.0.0.1:PORT, creates
# LOG.ready once listening, and for each connection:
#   tcp   accepts, appends "conn" to LOG and closes;
#   http  reads a request head, appends "CODE" to LOG, answers
#         "HTTP/1.0 CODE Status CODE" with no body and closes; CODE is read
#         from STATUS_FILE at that moment (200 when the file is missing).
#         The line is written before the answer, so once proxyd has acted
#         on an answer, LOG has it.
# LOG.t gets the same lines followed by the time in milliseconds, for
# scenarios that measure check intervals. Each line is written with one
# syscall, so a reader sees whole lines. Stop it with a signal.
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time);

my ($port, $mode, $log, $status_file) = @ARGV;
die "usage: chksrv.pl PORT tcp|http LOG [STATUS_FILE]\n"
	unless $log && ($mode eq 'tcp' || $mode eq 'http');
my $ls = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                               Listen => 128, ReuseAddr => 1, Proto => 'tcp')
	or die "cannot listen on $port: $!\n";
open(my $r, '>', "$log.ready") or die "$log.ready: $!\n";
close($r);

sub note {
	my ($line) = @_;
	my $ms = int(time() * 1000);
	open(my $f, '>>', $log) or die "$log: $!\n";
	syswrite($f, "$line\n");
	close($f);
	open($f, '>>', "$log.t") or die "$log.t: $!\n";
	syswrite($f, "$line $ms\n");
	close($f);
}

while (1) {
	my $c = $ls->accept or next;
	if ($mode eq 'tcp') {
		note('conn');
		close($c);
		next;
	}
	my $req = '';
	while ($req !~ /\r\n\r\n/) {
		my $n = sysread($c, $req, 4096, length($req));
		last unless $n;
	}
	my $code = 200;
	if ($status_file && open(my $s, '<', $status_file)) {
		my $v = <$s>;
		close($s);
		$code = $1 if defined $v && $v =~ /^(\d{3})/;
	}
	note($code);
	syswrite($c, "HTTP/1.0 $code Status $code\r\nContent-Length: 0\r\n\r\n");
	close($c);
}
