#!/usr/bin/perl
# logcmp.pl: compares proxyd's log lines with haproxy's, byte for byte, for
# the same configuration and the same requests (see logcmp.cfg and the
# request list below). Not run by "make test" (haproxy is not one of the
# test dependencies); rules/log-*.pxt assert the lines this prints.
#
#   perl testkit/scenarios/rules/logcmp.pl [--haproxy PATH] [--proxyd PATH]
#        [--fakesrv PATH] [--port N] [--keep DIR] [--print] [--bytes]
#
# For each proxy in turn: starts a fakesrv origin (the responses listed in
# @responses, in order), writes logcmp.cfg with the ports filled in, starts
# the proxy with its log on standard output ("log stdout format raw"),
# waits until its ports listen (read from /proc/net/tcp, no connection),
# sends each request of @requests on its own connection, from a fixed
# client port (so %cp is the same for both proxies), and reads the answer
# until the proxy closes. Then it stops what it started (by PID) and keeps
# the log lines. The lines are compared after masking what legitimately
# differs: dates ([27/Nov/2026:10:20:45.444] -> [DATE]), the durations
# of the first "a/b/c/d/e" field of a line (values >= 0 -> N; -1 stays)
# and, unless --bytes is given, the byte count %B that follows the status
# (haproxy 2.6 counts the size of its internal HTX message there, 54 for a
# 43-byte "200 OK" with a 5-byte body; proxyd counts the bytes sent).
# Ports: N (default 18710) to N+4 for the proxies and the origin, and
# N+100 upwards for the clients.
# --print prints haproxy's masked lines (to write the .pxt expectations).
# Exit status: 0 when the lines are the same, 1 when not, 2 on a set-up
# error. Uses only modules of perl-base.
use strict;
use warnings;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use File::Temp qw(tempdir);
use File::Basename qw(dirname);

my %opt = (haproxy => $ENV{HAPROXY} // '/usr/sbin/haproxy',
           proxyd => $ENV{PROXYD} // 'proxyd/proxyd',
           fakesrv => $ENV{FAKESRV} // 'testkit/fakesrv/fakesrv',
           port => 18710, keep => undef, print => 0, bytes => 0);
while (@ARGV) {
	my $a = shift @ARGV;
	if ($a =~ /^--(haproxy|proxyd|fakesrv|port|keep)$/) { $opt{$1} = shift @ARGV; }
	elsif ($a eq '--print') { $opt{print} = 1; }
	elsif ($a eq '--bytes') { $opt{bytes} = 1; }
	else { die "logcmp: unknown argument '$a'\n"; }
}
my $dir = dirname(__FILE__);
my $tmp = $opt{keep} // tempdir('logcmp-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir $tmp;

# The origin's answers, the Nth to the Nth request (fakesrv --raw).
my @responses = (
	"HTTP/1.1 302 Found\r\nLocation: http://www.example.com/login?next=%2Fa%2Fb\r\nX-Resp: x\"y|z{}#1\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	"HTTP/1.1 404 Not Found\r\nX-Resp: \tnot\xe9here\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nno\n",
	"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nLocation: /n\r\nContent-Length: 2\r\n\r\n{}",
);

# [frontend, request bytes]. Every request closes its connection.
my @requests = (
	[1, "GET /a?x=\"1\"&y=%22 HTTP/1.1\r\nHost: www.example.com\r\nX-Cap: a|b{c}\"d#e\r\nX-C: 12345\r\nConnection: close\r\n\r\n"],
	[1, "HEAD /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"],
	[1, "GET /c HTTP/1.1\r\nHost: www.example.com.very.long\r\nX-Cap: \ta\tb \xe9\r\nX-C: 1\r\nConnection: close\r\n\r\n"],
	[2, "POST /d/e?f=g HTTP/1.1\r\nHost: h\r\nUser-Agent: curl/8.0 (x86_64)\r\nX: xyz1\r\nX-V: he said \"hi\" #1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"],
	[2, "GET / HTTP/1.0\r\nUser-Agent: a|b{c}\r\n\r\n"],
	[2, "PUT /p%20q HTTP/1.1\r\nHost: h\r\nX-V: \\back\\slash\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"],
	[2, "GET /deny HTTP/1.1\r\nHost: h\r\nX-V: v\r\nConnection: close\r\n\r\n"],
	[3, "GET /nosrv?a HTTP/1.1\r\nHost: h\r\nX-Cap: c\r\nConnection: close\r\n\r\n"],
	[1, "GET /redir HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"],
	[2, "GET /empty HTTP/1.1\r\nHost: h\r\nX-V:\r\nConnection: close\r\n\r\n"],
);

sub slurp { my $f = shift; open(my $fh, '<', $f) or return ''; local $/; my $s = <$fh>; close $fh; return $s; }

sub listening {
	my @ports = @_;
	my %want = map { sprintf('%04X', $_) => 1 } @ports;
	for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
		open(my $fh, '<', $f) or next;
		while (<$fh>) {
			my @w = split;
			next unless @w > 3 && $w[3] eq '0A';
			delete $want{$1} if $w[1] =~ /:([0-9A-F]{4})$/;
		}
	}
	return !%want;
}

sub wait_listen {
	my ($pid, @ports) = @_;
	for (1 .. 500) {
		return 1 if listening(@ports);
		return 0 if waitpid($pid, WNOHANG) == $pid;
		select(undef, undef, undef, 0.01);
	}
	return 0;
}

sub start {
	my ($out, @cmd) = @_;
	my $pid = fork();
	die "fork: $!\n" unless defined $pid;
	if (!$pid) {
		open(STDOUT, '>', $out) or die;
		open(STDERR, '>', "$out.err") or die;
		exec(@cmd) or die "exec $cmd[0]: $!\n";
	}
	return $pid;
}

sub stop {
	my $pid = shift;
	kill 'TERM', $pid;
	for (1 .. 300) {
		return if waitpid($pid, WNOHANG) == $pid;
		select(undef, undef, undef, 0.01);
	}
	kill 'KILL', $pid;
	waitpid($pid, 0);
}

sub run_one {
	my ($name, $bin, $base) = @_;
	my ($fe1, $fe2, $fe3, $srv) = ($base, $base + 1, $base + 2, $base + 3);
	my $cfg = slurp("$dir/logcmp.cfg");
	$cfg =~ s/\@FE1\@/$fe1/g;
	$cfg =~ s/\@FE2\@/$fe2/g;
	$cfg =~ s/\@FE3\@/$fe3/g;
	$cfg =~ s/\@SRV\@/$srv/g;
	open(my $fh, '>', "$tmp/$name.cfg") or die "$tmp/$name.cfg: $!\n";
	print $fh $cfg;
	close $fh;
	my @raw = map { ('--raw', $_) } @responses;
	s/\\/\\\\/g for @raw[grep { $_ % 2 } 0 .. $#raw];
	my $fpid = start("$tmp/$name.fakesrv", $opt{fakesrv}, '-l', "127.0.0.1:$srv", '-q', @raw);
	my @cmd = $name eq 'haproxy' ? ($bin, '-db', '-f', "$tmp/$name.cfg")
	                             : ($bin, '-f', "$tmp/$name.cfg");
	my $ppid = start("$tmp/$name.log", @cmd);
	if (!wait_listen($fpid, $srv) || !wait_listen($ppid, $fe1, $fe2, $fe3)) {
		stop($ppid);
		stop($fpid);
		print STDERR "logcmp: $name did not start:\n", slurp("$tmp/$name.log.err");
		exit 2;
	}
	my $i = 0;
	for my $r (@requests) {
		my $fe = $r->[0] == 1 ? $fe1 : $r->[0] == 2 ? $fe2 : $fe3;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$fe", LocalAddr => '127.0.0.1',
		                              LocalPort => $opt{port} + 100 + $i, ReuseAddr => 1,
		                              Proto => 'tcp')
			or do { print STDERR "logcmp: connect to $name: $!\n"; exit 2; };
		$i++;
		print $s $r->[1];
		my $resp = '';
		my $t0 = time;
		while (time - $t0 < 5) {
			my $n = sysread($s, my $buf, 65536);
			last if !$n;
			$resp .= $buf;
		}
		close $s;
		open(my $rf, '>>', "$tmp/$name.responses") or die;
		print $rf "== $i\n$resp\n";
		close $rf;
	}
	# One line per request; give the last one a moment to be written.
	my @lines;
	for (1 .. 200) {
		@lines = grep { !/^\[(NOTICE|WARNING|ALERT)\]/ } split(/\n/, slurp("$tmp/$name.log"));
		last if @lines >= @requests;
		select(undef, undef, undef, 0.01);
	}
	stop($ppid);
	stop($fpid);
	return @lines;
}

sub mask {
	my $l = shift;
	$l =~ s/\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d(\.\d{3})?/DATE/g;
	$l =~ s{(?<= )(-?\d+/-?\d+/-?\d+/-?\d+/\+?-?\d+)(?= )}{
		join('/', map { /^-/ ? $_ : 'N' } split(m{/}, $1)) }e;
	$l =~ s/(?<= )([1-5]\d\d) \d+(?= )/$1 B/ unless $opt{bytes};
	return $l;
}

for my $b ($opt{haproxy}, $opt{proxyd}, $opt{fakesrv}) {
	if (!-x $b) {
		print STDERR "logcmp: '$b' is not an executable\n";
		exit 2;
	}
}
my @h = map { mask($_) } run_one('haproxy', $opt{haproxy}, $opt{port});
if ($opt{print}) {
	print "$_\n" for @h;
	exit 0;
}
my @p = map { mask($_) } run_one('proxyd', $opt{proxyd}, $opt{port} + 5);
my $diff = 0;
my $n = @h > @p ? @h : @p;
for my $k (0 .. $n - 1) {
	my ($x, $y) = ($h[$k] // '(none)', $p[$k] // '(none)');
	next if $x eq $y;
	$diff++;
	print "line ", $k + 1, ":\n  haproxy: $x\n  proxyd:  $y\n";
}
print $diff ? "logcmp: $diff of $n lines differ" . ($opt{keep} ? " (files in $tmp)" : "") . "\n"
            : "logcmp: $n lines, all the same\n";
exit($diff ? 1 : 0);
