#!/bin/sh
# "http-request return ... file F" (and lf-file, "acl ... -f F",
# map*(F)) open F blocking and read it without checking it is a regular
# file: a FIFO blocks "proxyd -c" (and a reload) forever.
set -u
d=$(mktemp -d)
mkfifo "$d/fifo"
cat > "$d/ret.cfg" <<CFG
frontend f
  bind 127.0.0.1:1
  mode http
  http-request return status 200 content-type text/plain file $d/fifo
CFG
timeout 5 "${PROXYD:-proxyd/proxyd}" -c -f "$d/ret.cfg"
echo "exit $? (124: still blocked after 5 s)"
rm -rf "$d"
