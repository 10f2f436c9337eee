#!/bin/sh
# addr-responder.sh: the program socat runs (EXEC:) for each connection it
# accepts, in the network namespace scenarios: it reads the request head and
# answers "HTTP/1.0 200 OK" with the body "LOCAL PEER", the two addresses
# socat saw on that connection ($SOCAT_SOCKADDR: the address the client
# connected to; $SOCAT_PEERADDR: the address it came from). It shows where
# a connection was really accepted, and for what address, without proxyd.
#
#   socat TCP-LISTEN:PORT,bind=ADDR,ip-transparent,reuseaddr,fork \
#       EXEC:testkit/netns/addr-responder.sh
cr=$(printf '\r')
while IFS= read -r line; do
	[ "$line" = "$cr" ] || [ -z "$line" ] && break
done
printf 'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s %s' \
	$((${#SOCAT_SOCKADDR} + 1 + ${#SOCAT_PEERADDR})) "$SOCAT_SOCKADDR" "$SOCAT_PEERADDR"
