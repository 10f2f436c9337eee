#!/usr/bin/env bash
# bench/cli.sh: what the command socket costs traffic (see bench/README.md,
# "The command socket").
#
#   bench/cli.sh [--runs N] [--duration S] [--idle-conns N] [--commits N]
#
# showsess: proxyd holds N idle client connections (bench/idleconn) while
#   wrk sends keep-alive requests; runs with and without a client that runs
#   "show sess" again and again (bench/clispam) alternate. The figure is the
#   ratio of the requests/s medians (target: a drop under 5%).
# commits: while wrk sends requests, bench/clispam commits a rule change N
#   times ("replace rule ... http-response set-header X-Rule <i>") and
#   checks after each one that the next request carries the new value.
#   wrk must report no error and no non-2xx response (target: none, and
#   every commit seen by the next request).
#
# proxyd runs on CPU 0; wrk, the origin, idleconn and clispam on CPU 1.
# Raw outputs go to bench/results/cli-<date-time>/. Exit status 0 when the
# runs were valid and the targets held, 1 otherwise, 2 on a set-up error.
# It stops only the processes it started.

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
RUNS=5
DURATION=10
IDLE=10000
COMMITS=100
CONNS=50
PROXY_PORT=${BENCH_PROXY_PORT:-18600}
ORIGIN_PORT=${BENCH_ORIGIN_PORT:-18601}

while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--idle-conns) IDLE=$2; shift 2 ;;
	--commits) COMMITS=$2; shift 2 ;;
	-h|--help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "bench/cli.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

command -v wrk >/dev/null || { echo "bench/cli.sh: wrk is needed (apt-get install wrk)" >&2; exit 2; }
BUILD=$BENCH_DIR/build
mkdir -p "$BUILD"
make -C "$ROOT" -s build >/dev/null || exit 2
cc -O2 -Wall -o "$BUILD/clispam" "$BENCH_DIR/clispam.c" || exit 2
cc -O2 -Wall -o "$BUILD/idleconn" "$BENCH_DIR/idleconn.c" || exit 2
OUT=$BENCH_DIR/results/cli-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
SOCK=$OUT/admin.sock
export BENCH_PROXY_PORT=$PROXY_PORT BENCH_ORIGIN_PORT=$ORIGIN_PORT BENCH_SOCK=$SOCK
ulimit -n "$(ulimit -Hn)" 2>/dev/null

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT INT TERM

taskset -c 1 "$ROOT/testkit/fakesrv/fakesrv" -q -l "127.0.0.1:$ORIGIN_PORT" -b "ok" &
pids+=($!)
taskset -c 0 "$ROOT/proxyd/proxyd" -f "$BENCH_DIR/cfg/cli.cfg" >"$OUT/proxyd.log" 2>&1 &
proxyd_pid=$!
pids+=($proxyd_pid)
for _ in $(seq 100); do [[ -S $SOCK ]] && break; sleep 0.05; done
[[ -S $SOCK ]] || { echo "bench/cli.sh: proxyd did not start (see $OUT/proxyd.log)" >&2; exit 2; }

# wrk's requests/s, and its request count, from its output file.
rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
nreq() { awk '/requests in/ { print $1 }' "$1"; }
# proxyd's CPU time so far, in clock ticks (user + system).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$proxyd_pid/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- showsess ----------------------------------------------------------------
exec 3> >(taskset -c 1 "$BUILD/idleconn" -a "127.0.0.1:$PROXY_PORT" -n "$IDLE" -t 3600 \
	>"$OUT/idleconn.out" 2>&1)
for _ in $(seq 600); do grep -q ready "$OUT/idleconn.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$OUT/idleconn.out" || { echo "bench/cli.sh: idleconn did not get ready" >&2; exit 2; }
held=$(printf 'show sess\n' | socat - "UNIX-CONNECT:$SOCK" | grep -c '^0x')
echo "showsess: $held sessions open; $RUNS runs of ${DURATION}s each way"
taskset -c 1 wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$PROXY_PORT/" >/dev/null
base=() spam=() cbase=() cspam=()
for r in $(seq "$RUNS"); do
	t0=$(cpu_ticks)
	taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$PROXY_PORT/" >"$OUT/base-$r.txt"
	t1=$(cpu_ticks)
	base+=("$(rps "$OUT/base-$r.txt")")
	cbase+=("$(awk -v t=$((t1 - t0)) -v n="$(nreq "$OUT/base-$r.txt")" -v u=$TICK_US 'BEGIN { printf "%.2f", t * u / n }')")
	taskset -c 1 "$BUILD/clispam" -s "$SOCK" -c "show sess" -t "$DURATION" >"$OUT/clispam-$r.txt" &
	cp=$!
	t0=$(cpu_ticks)
	taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$PROXY_PORT/" >"$OUT/spam-$r.txt"
	t1=$(cpu_ticks)
	wait "$cp"
	spam+=("$(rps "$OUT/spam-$r.txt")")
	cspam+=("$(awk -v t=$((t1 - t0)) -v n="$(nreq "$OUT/spam-$r.txt")" -v u=$TICK_US 'BEGIN { printf "%.2f", t * u / n }')")
	echo "  run $r: $(rps "$OUT/base-$r.txt") req/s (${cbase[-1]} us CPU/req) alone, $(rps "$OUT/spam-$r.txt") req/s (${cspam[-1]} us CPU/req) with $(cat "$OUT/clispam-$r.txt")"
done
exec 3>&-
mb=$(printf '%s\n' "${base[@]}" | median)
ms=$(printf '%s\n' "${spam[@]}" | median)
cb=$(printf '%s\n' "${cbase[@]}" | median)
cs=$(printf '%s\n' "${cspam[@]}" | median)
drop=$(awk -v a="$mb" -v b="$ms" 'BEGIN { printf "%.1f", (a - b) * 100 / a }')
cpu=$(awk -v a="$cb" -v b="$cs" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
echo "showsess: median $mb req/s alone, $ms req/s with show sess running: drop $drop% (target < 5%)"
echo "showsess: proxyd CPU per request (the CLI's work included): $cb us alone, $cs us with show sess: +$cpu%"
ok=1
awk -v d="$drop" 'BEGIN { exit !(d < 5) }' || ok=0

# --- commits ------------------------------------------------------------------
sleep 1
rid=$(printf 'show rules bench\n' | socat - "UNIX-CONNECT:$SOCK" | awk -F'\t' '/X-Rule/ { print $1 }')
[[ -n $rid ]] || { echo "bench/cli.sh: no X-Rule rule in bench/cfg/cli.cfg" >&2; exit 2; }
interval=$((DURATION * 1000 / COMMITS))
secs=$((DURATION + 5))
echo "commits: $COMMITS commits, one every ${interval}ms, under wrk for ${secs}s"
taskset -c 1 wrk -t1 -c"$CONNS" -d"${secs}s" "http://127.0.0.1:$PROXY_PORT/" >"$OUT/commits-wrk.txt" &
wp=$!
sleep 1
taskset -c 1 "$BUILD/clispam" -s "$SOCK" -n "$COMMITS" -i "$interval" -v "127.0.0.1:$PROXY_PORT" \
	-f "replace rule bench $rid http-response set-header X-Rule %d" >"$OUT/commits.txt" 2>&1
cs=$?
wait "$wp"
errors=$(awk '/Socket errors/ { print } /Non-2xx/ { print }' "$OUT/commits-wrk.txt")
echo "commits: $(cat "$OUT/commits.txt")"
echo "commits: wrk $(rps "$OUT/commits-wrk.txt") req/s, $(awk '/requests in/ { print $1 }' "$OUT/commits-wrk.txt") requests, errors: ${errors:-none}"
((cs == 0)) && [[ -z $errors ]] || ok=0
kill -0 "$proxyd_pid" 2>/dev/null || { echo "bench/cli.sh: proxyd died" >&2; ok=0; }
echo "raw outputs: $OUT"
((ok)) && exit 0 || exit 1
