#!/bin/sh
# End-to-end check of repro/host-sync-space.cfg: a one-shot origin on
# 127.0.0.1:18601 records the head it receives. PROXYD: the binary to test.
set -u
cd "$(dirname "$0")"
P=${PROXYD:-../../../proxyd/proxyd}
perl -MIO::Socket::INET -e '
	my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1:18601", Listen => 5,
	                              ReuseAddr => 1) or die;
	my $c = $l->accept; my $h = "";
	while (<$c>) { $h .= $_; last if $_ eq "\r\n"; }
	print STDERR "origin received:\n$h";
	print $c "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";' &
o=$!
timeout 5 "$P" -f host-sync-space.cfg & p=$!
sleep 0.5
curl -s -o /dev/null --request-target "http://h/x" -H "Host: h" \
	-H "X-Fh: evil.example/y HTTP/1.1" http://127.0.0.1:18600/
sleep 0.3
kill $p $o 2>/dev/null
