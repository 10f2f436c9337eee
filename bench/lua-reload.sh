#!/usr/bin/env bash
# bench/lua-reload.sh: "lua reload" under load drops no request.
#
#   bench/lua-reload.sh [--runs N] [--duration SECS] [--every MS]
#
# proxyd runs bench/cfg/lua-proxyd.cfg (a Lua action sets a header on every
# request) in front of fakesrv; wrk keeps 50 keep-alive connections busy
# for SECS seconds while the command socket reloads the Lua code every MS
# milliseconds. For each run the script prints the requests wrk completed,
# the reloads that succeeded, and wrk's error counts (connect, read, write,
# timeout, and non-2xx responses), which must all be zero.
#
# Placement: proxyd on CPU 0, wrk and the origin on CPU 1. Ports 29250
# (proxy) and 29251 (origin); the socket in a private temporary directory.
# Every step is bounded by timeout; only the processes this script started
# are stopped, by PID. Exit status: 0 when every run had no error and
# every reload succeeded, 1 otherwise, 2 on a usage or set-up error.

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
RUNS=3
DURATION=10
EVERY=100

while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--every) EVERY=$2; shift 2 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "lua-reload.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
for cmd in wrk socat taskset; do
	command -v "$cmd" >/dev/null || { echo "lua-reload.sh: needs $cmd" >&2; exit 2; }
done
make -s -C "$ROOT" build >/dev/null || exit 2

TMP=$(mktemp -d /tmp/lua-reload.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

export BENCH_LUA_SCRIPT=$BENCH_DIR/cfg/lua-setheader.lua
export BENCH_PROXY_PORT=29250 BENCH_ORIGIN_PORT=29251
{ cat "$BENCH_DIR/cfg/lua-proxyd.cfg"; } | sed "s|^global|global\n    stats socket $TMP/admin.sock level admin|" > "$TMP/proxyd.cfg"

taskset -c 1 "$ROOT/testkit/fakesrv/fakesrv" -l 127.0.0.1:29251 -q --body-size 100 &
PIDS+=($!)
status=0
printf '%-4s %10s %8s %8s %s\n' run requests reloads refused "wrk errors (connect read write timeout non-2xx)"
for run in $(seq "$RUNS"); do
	taskset -c 0 "$ROOT/proxyd/proxyd" -f "$TMP/proxyd.cfg" > "$TMP/proxyd.out" 2>&1 &
	ppid=$!
	PIDS+=($ppid)
	for _ in $(seq 50); do [ -S "$TMP/admin.sock" ] && break; sleep 0.1; done
	timeout $((DURATION + 10)) taskset -c 1 wrk -t1 -c50 -d"${DURATION}s" \
		"http://127.0.0.1:29250/" > "$TMP/wrk.out" 2>&1 &
	wpid=$!
	ok=0
	bad=0
	end=$(( $(date +%s%N) / 1000000 + DURATION * 1000 - 500 ))
	sleep 0.5
	while [ $(( $(date +%s%N) / 1000000 )) -lt "$end" ]; do
		if printf 'lua reload\n' | timeout 2 socat - "UNIX-CONNECT:$TMP/admin.sock" |
			grep -q '^Lua code reloaded'; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
		fi
		sleep "$(awk "BEGIN { print $EVERY / 1000 }")"
	done
	wait "$wpid"
	reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
	errs=$(awk '/Socket errors/ { gsub(",", ""); print $4, $6, $8, $10 }' "$TMP/wrk.out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$TMP/wrk.out")
	[ -n "$errs" ] || errs="0 0 0 0"
	[ -n "$non2xx" ] || non2xx=0
	printf '%-4s %10s %8s %8s %s %s\n' "$run" "${reqs:-?}" "$ok" "$bad" "$errs" "$non2xx"
	if [ "$bad" != 0 ] || [ "$errs" != "0 0 0 0" ] || [ "$non2xx" != 0 ] || [ -z "$reqs" ]; then
		status=1
	fi
	kill "$ppid" 2>/dev/null
	wait "$ppid" 2>/dev/null
	rm -f "$TMP/admin.sock"
done
exit $status
