#!/bin/sh
# run-demo.sh PROXYD FAKESRV: the body of "make run".
#
# Starts two demo origins (fake servers answering who they are), then
# proxyd in the foreground on examples/demo.cfg. Ctrl-C stops everything.
# Ports: PROXYD_PORT (8080), PROXYD_TLS_PORT (8443), ORIGIN1_PORT (8081),
# ORIGIN2_PORT (8082). The TLS listener uses the test PKI certs/gen.sh
# makes in DEMO_CERTS (build/certs). The command socket is PROXYD_SOCKET:
# /run/proxyd/admin.sock (pxsh's default) when that directory can be
# made, else build/admin.sock.
proxyd=$1
fakesrv=$2
: "${PROXYD_PORT:=8080}" "${PROXYD_TLS_PORT:=8443}" "${ORIGIN1_PORT:=8081}" "${ORIGIN2_PORT:=8082}"
: "${DEMO_CERTS:=build/certs}"
if [ -z "$PROXYD_SOCKET" ]; then
	if mkdir -p /run/proxyd 2>/dev/null && [ -w /run/proxyd ]; then
		PROXYD_SOCKET=/run/proxyd/admin.sock
	else
		PROXYD_SOCKET=build/admin.sock
	fi
fi
export PROXYD_PORT PROXYD_TLS_PORT ORIGIN1_PORT ORIGIN2_PORT DEMO_CERTS PROXYD_SOCKET

certs/gen.sh "$DEMO_CERTS" >/dev/null || exit 1

"$fakesrv" -q -l "127.0.0.1:$ORIGIN1_PORT" -H "Content-Type: text/plain" \
	-b "Hello from origin1 (127.0.0.1:$ORIGIN1_PORT) through proxyd\n" &
o1=$!
"$fakesrv" -q -l "127.0.0.1:$ORIGIN2_PORT" -H "Content-Type: text/plain" \
	-b "Hello from origin2 (127.0.0.1:$ORIGIN2_PORT) through proxyd\n" &
o2=$!
trap 'kill $o1 $o2 2>/dev/null' EXIT INT TERM

echo "proxyd demo: try   curl -i http://127.0.0.1:$PROXYD_PORT/   (Ctrl-C stops)"
echo "             or    curl -i --cacert $DEMO_CERTS/ca.crt https://localhost:$PROXYD_TLS_PORT/"
echo "             and   pxsh/pxsh -s $PROXYD_SOCKET     (the admin shell; 'help' lists the commands)"
echo "configuration: examples/demo.cfg; traffic logs below"
"$proxyd" -d -f examples/demo.cfg
