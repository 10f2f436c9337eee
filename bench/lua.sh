#!/usr/bin/env bash
# bench/lua.sh: what a Lua action costs per request, on proxyd and on
# haproxy 2.6 (see docs/performance.md, "Lua actions").
#
#   bench/lua.sh [--runs N] [--duration SECS] [options]
#
# Four cases, the same origin and the same wrk load (keep-alive HTTP/1.1,
# -t1, 50 connections, 100-byte responses), each proxy on one thread:
#   proxyd-native   proxyd,  bench/cfg/lua-native.cfg
#                   ("http-request set-header X-Bench hello")
#   proxyd-lua      proxyd,  bench/cfg/lua-proxyd.cfg ("lua-load" of
#                   bench/cfg/lua-setheader.lua, "http-request lua.setheader",
#                   which sets the same header)
#   haproxy-lua     haproxy, bench/cfg/lua-haproxy.cfg (the same script with
#                   "lua-load-per-thread", "nbthread 1")
#   haproxy-native  haproxy, bench/cfg/lua-native.cfg and
#                   bench/cfg/lua-haproxy-native.cfg ("nbthread 1")
# The figure is the proxy's CPU time per request: utime + stime of the
# proxy process from /proc/PID/stat over a measured wrk run, divided by the
# requests wrk completed. Targets: proxyd-lua / proxyd-native <= 1.25 and
# proxyd-lua / haproxy-lua <= 0.8 (ratios of the medians; the per-run
# ratios are printed too).
#
# Before measuring, each case is checked once against an origin that
# echoes the request head (fakesrv --echo): two requests on one client
# connection, each sent with "X-Bench: client", must reach the origin with
# exactly one X-Bench header whose value is "hello". A case that fails
# this check is still measured, but no target is called met on its
# figures. When proxyd rejects bench/cfg/lua-proxyd.cfg (no Lua support
# yet), the script says so, measures the three other cases and exits 1.
#
# Placement and procedure are those of bench/run.sh: the proxy on CPU 0,
# wrk and the origin (testkit fakesrv, --body-size 100) on CPU 1; as root,
# a private network namespace (unshare -n), so that the kernel's TCP
# counters count only these connections; each proxy starts fresh for each
# run; the order of the cases flips on every other run; each measured run
# follows a wait for quiet CPUs and an unmeasured warm-up, and a run whose
# CPU 0 was busy with other work is redone (twice at most).
# Ports: 29200 (proxy), 29201 (origin), 29202 (echoing origin).
#
# Output: the table on stdout and in bench/results/lua-<date-time>/
# summary.md, with every raw output (wrk, proxy logs, the header checks,
# runs.tsv) beside it. Exit status: 0 when all four cases were measured
# and every check held, 1 otherwise (proxyd without Lua, a failed run or
# check), 2 on a usage or set-up error.
#
# This script owns the procedure only: it never edits proxyd/, testkit/ or
# the Makefile, every step is bounded by timeout, and it stops only the
# processes it started, by PID.

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
ROOT=$(cd "$BENCH_DIR/.." && pwd)
CFG_DIR=$BENCH_DIR/cfg
ALL_CASES="proxyd-native proxyd-lua haproxy-lua haproxy-native"

RUNS=5
DURATION=10
WARMUP=2
CONNS=50
PROXY_PORT=29200
ORIGIN_PORT=29201
ECHO_PORT=29202
BUILD=1
USE_NETNS=1
QUIET_PCT=10     # a CPU busier than this (%) before a run: wait for it to calm
DISTURBED_PCT=10 # CPU 0 busier than this (%) with other work: redo the run
MAX_REDO=2       # redo a disturbed run at most this many times
TARGET_NATIVE=1.25
TARGET_HAPROXY=0.8
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
ARGS=("$@")

usage() {
	cat <<EOF
usage: bench/lua.sh [options]
  --runs N          measured runs per case (default $RUNS, at least 3)
  --duration S      seconds of each measured wrk run (default $DURATION)
  --warmup S        seconds of unmeasured wrk load before each run (default $WARMUP)
  --connections N   wrk connections (default $CONNS)
  --no-build        measure proxyd/proxyd as it is, without "make build"
  --no-netns        stay in the current network namespace even as root
  -h, --help        this help
Cases: $ALL_CASES.
Results: bench/results/lua-<date-time>/summary.md and the raw outputs beside it.
EOF
}

die() {
	echo "bench/lua.sh: $*" >&2
	exit 2
}

while (($#)); do
	case $1 in
	--runs) positive_int "$1" "${2-}"; RUNS=$2; shift 2 ;;
	--duration) positive_int "$1" "${2-}"; DURATION=$2; shift 2 ;;
	--warmup) [[ ${2-} =~ ^[0-9]+$ ]] || die "--warmup wants seconds"; WARMUP=$2; shift 2 ;;
	--connections) positive_int "$1" "${2-}"; CONNS=$2; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--no-netns) USE_NETNS=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done
((RUNS >= 3)) || die "--runs must be at least 3 (medians of fewer runs mean little)"

# --- set-up, in the caller's namespace ----------------------------------------

# Installs the Debian packages the benchmark needs when they are missing
# (as root), or names the apt-get line to run.
install_deps() {
	local missing=()

	[[ -x $HAPROXY ]] || missing+=(haproxy)
	command -v wrk >/dev/null || missing+=(wrk)
	command -v curl >/dev/null || missing+=(curl)
	command -v taskset >/dev/null || missing+=(util-linux)
	command -v cc >/dev/null || missing+=(gcc)
	((${#missing[@]})) || return 0
	((EUID == 0)) || die "missing packages; run as root: apt-get install -y ${missing[*]}"
	echo "bench/lua.sh: installing ${missing[*]}"
	timeout 900 apt-get update -q >/dev/null || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed"
}

# Builds proxyd and fakesrv with the project's Makefile (unless
# --no-build) and copies them into OUT/bin, so that a rebuild by someone
# else during the runs cannot swap a binary under them; builds
# bench/acceptcount.c (the origin's accept counter) there too.
build_all() {
	local bin=$OUT/bin

	mkdir -p "$bin" || die "cannot create $bin"
	if ((BUILD)); then
		echo "bench/lua.sh: make build"
		timeout 900 make -C "$ROOT" build >"$OUT/build.log" 2>&1 ||
			{ tail -20 "$OUT/build.log" >&2; die "make build failed (log: $OUT/build.log)"; }
	fi
	[[ -x $ROOT/proxyd/proxyd ]] || die "no proxyd/proxyd (run make build)"
	[[ -x $ROOT/testkit/fakesrv/fakesrv ]] || die "no testkit/fakesrv/fakesrv (run make build)"
	cp "$ROOT/proxyd/proxyd" "$bin/proxyd" || die "cannot copy proxyd"
	cp "$ROOT/testkit/fakesrv/fakesrv" "$bin/fakesrv" || die "cannot copy fakesrv"
	cc -std=gnu11 -O2 -Wall -Wextra -Werror -shared -fPIC -o "$bin/acceptcount.so" \
		"$BENCH_DIR/acceptcount.c" -ldl || die "cannot build bench/acceptcount.c"
	{
		echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)"
		echo "uncommitted files under proxyd/: $(git -C "$ROOT" status --porcelain proxyd 2>/dev/null | wc -l)"
		echo "built: $( ((BUILD)) && echo "make build" || echo "no (--no-build)")"
		echo "Lua in proxyd -vv: $("$bin/proxyd" -vv 2>&1 | grep -i -m1 'lua' || echo "(none)")"
	} >"$OUT/proxyd-build.txt"
}

if [[ -z ${BENCH_LUA_INNER-} ]]; then
	install_deps
	OUT=$BENCH_DIR/results/lua-$(date +%Y%m%d-%H%M%S)
	mkdir -p "$OUT" || die "cannot create $OUT"
	build_all
	export BENCH_LUA_INNER=1 BENCH_LUA_OUT=$OUT
	if ((USE_NETNS && EUID == 0)) && timeout 10 unshare -n true 2>/dev/null; then
		export BENCH_LUA_NETNS=1
		exec unshare -n -- bash "${BASH_SOURCE[0]}" "${ARGS[@]}"
	fi
	export BENCH_LUA_NETNS=0
	echo "bench/lua.sh: not in a private network namespace (needs root and unshare);" \
		"the client connection counts include the machine's other connections"
fi

# --- from here on: the measurement, inside the namespace ----------------------

OUT=$BENCH_LUA_OUT
PROXYD=$OUT/bin/proxyd
FAKESRV=$OUT/bin/fakesrv
ACCEPTCOUNT=$OUT/bin/acceptcount.so
if ((BENCH_LUA_NETNS)); then
	ip link set lo up || die "cannot bring up lo in the network namespace"
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null
CLK_TCK=$(getconf CLK_TCK)
RAW=$OUT/runs.tsv
CHECKS=$OUT/checks.txt
NOTES=$OUT/notes.txt
: >"$CHECKS"
: >"$NOTES"
printf 'case\trun\tcpu_us_per_req\trps\tp99_ms\trequests\tclient_conns_per_req\torigin_conns_per_req\tload_errors\tnon2xx\tcpu0_other_pct\tcpu1_busy_pct\tthreads\n' >"$RAW"
export BENCH_LUA_SCRIPT=$CFG_DIR/lua-setheader.lua BENCH_PROXY_PORT=$PROXY_PORT BENCH_ORIGIN_PORT=$ORIGIN_PORT

STARTED=()

trap cleanup EXIT
trap 'echo "bench/lua.sh: interrupted" >&2; exit 130' INT TERM

# utime + stime of one process, in clock ticks; nothing when it is gone.
# The fields are counted after the command name, which may hold blanks.
proc_ticks() {
	[[ -r /proc/$1/stat ]] || return 0
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

ORIGIN_PID=
ORIGIN_COUNTER=$OUT/origin-accepts

# Starts the measured origin on CPU 1: 100-byte responses, as bench/run.sh's
# ka100, with the accept counter preloaded.
start_origin() {
	rm -f "$ORIGIN_COUNTER"
	taskset -c 1 env BENCH_ACCEPT_COUNTER="$ORIGIN_COUNTER" LD_PRELOAD="$ACCEPTCOUNT" \
		"$FAKESRV" -l "127.0.0.1:$ORIGIN_PORT" -q --body-size 100 >"$OUT/origin.log" 2>&1 &
	ORIGIN_PID=$!
	STARTED+=("$ORIGIN_PID")
	wait_port "$ORIGIN_PORT" "$ORIGIN_PID" || { cat "$OUT/origin.log" >&2; die "the origin did not start"; }
	[[ -s $ORIGIN_COUNTER ]] || die "acceptcount.so did not load into fakesrv"
}

PROXY_PID=

# Starts the proxy of CASE on CPU 0 with its configuration, its output in
# LOG, the origin on port ORIGIN. Returns 1 when it does not come up.
start_proxy() {
	local case=$1 log=$2 origin=$3

	export BENCH_ORIGIN_PORT=$origin
	case $case in
	proxyd-native) taskset -c 0 "$PROXYD" -f "$CFG_DIR/lua-native.cfg" >"$log" 2>&1 & ;;
	proxyd-lua) taskset -c 0 "$PROXYD" -f "$CFG_DIR/lua-proxyd.cfg" >"$log" 2>&1 & ;;
	haproxy-lua) taskset -c 0 "$HAPROXY" -f "$CFG_DIR/lua-haproxy.cfg" -db >"$log" 2>&1 & ;;
	haproxy-native)
		taskset -c 0 "$HAPROXY" -f "$CFG_DIR/lua-native.cfg" -f "$CFG_DIR/lua-haproxy-native.cfg" \
			-db >"$log" 2>&1 & ;;
	esac
	PROXY_PID=$!
	STARTED+=("$PROXY_PID")
	if ! wait_port "$PROXY_PORT" "$PROXY_PID"; then
		check "$case did not start (log: $log): $(tail -3 "$log" | tr '\n' ' ')"
		stop_pid "$PROXY_PID" >/dev/null
		PROXY_PID=
		return 1
	fi
}

# Stops the proxy and reports a crash, a refusal to stop, or a Lua error in
# its output (haproxy reports a failing action there and goes on, which
# would leave the header unset).
stop_proxy() {
	local case=$1 what=$2 log=$3 how

	how=$(stop_pid "$PROXY_PID")
	PROXY_PID=
	case $how in
	gone) check "$what: $case had exited before the end of the run (log: $log)" ;;
	killed) check "$what: $case did not stop within 5 s of SIGTERM; killed (log: $log)" ;;
	esac
	if grep -qi 'lua' "$log" && grep -i 'lua' "$log" | grep -qiE 'error|fail|abort|yield'; then
		check "$what: $case reported a Lua error: $(grep -i 'lua' "$log" | head -1) (log: $log)"
	fi
}

# Converts a wrk latency ("812.00us", "1.20ms", "2.00s") to ms.
to_ms() {
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
		f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1;
		if (f < 0) print ""; else printf "%.3f", n * f }'
}

# --- the header check ---------------------------------------------------------

# Checks CASE once: its proxy in front of fakesrv --echo (the response body
# is the request head the origin received), two requests on one client
# connection, each sent with "X-Bench: client". Each must reach the origin
# with exactly one X-Bench header, valued "hello" (haproxy lower-cases the
# name), and the second must have reused the connection. Returns 0 when
# all of that held.
header_check() {
	local case=$1 dir=$OUT/check i n bad=0 conns

	mkdir -p "$dir"
	start_proxy "$case" "$dir/$case.log" "$ECHO_PORT" || return 1
	conns=$(timeout 20 curl -sS -H 'X-Bench: client' -w '%{http_code} %{num_connects}\n' \
		"http://127.0.0.1:$PROXY_PORT/check-1" -o "$dir/$case.1" \
		"http://127.0.0.1:$PROXY_PORT/check-2" -o "$dir/$case.2" 2>"$dir/$case.curl")
	stop_proxy "$case" "header check" "$dir/$case.log"
	echo "$conns" >"$dir/$case.status"
	if [[ $(echo "$conns" | tr '\n' ' ') != "200 1 200 0 " ]]; then
		check "header check: $case: curl got '$(echo "$conns" | tr '\n' ' ')'" \
			"(expected status 200 twice, on one connection) $(head -1 "$dir/$case.curl")"
		bad=1
	fi
	for i in 1 2; do
		n=$(tr -d '\r' <"$dir/$case.$i" 2>/dev/null | grep -ci '^x-bench:')
		if ! tr -d '\r' <"$dir/$case.$i" 2>/dev/null | grep -qix 'x-bench: hello' || ((n != 1)); then
			check "header check: $case: request $i reached the origin with $n X-Bench header(s):" \
				"$(tr -d '\r' <"$dir/$case.$i" 2>/dev/null | grep -i '^x-bench:' | tr '\n' ' ')" \
				"(expected exactly 'X-Bench: hello'; head received: $dir/$case.$i)"
			bad=1
		fi
	done
	((bad)) && return 1
	echo "  $case: the origin received 'X-Bench: hello' once on each of 2 requests" \
		"(one client connection; the client sent 'X-Bench: client')"
	return 0
}

# --- one measured run ---------------------------------------------------------

# One measured run of CASE: start its proxy, wait for quiet CPUs, warm up,
# measure a wrk run, stop the proxy. ATTEMPT counts the tries of this run:
# a run disturbed by other work on CPU 0 returns 3 (and writes no result)
# unless it is the last attempt allowed.
run_load() {
	local case=$1 run=$2 attempt=$3 dir=$OUT/runs
	local base=$dir/$case-$run url=http://127.0.0.1:$PROXY_PORT/
	local t0 t1 p0 p1 o0 o1 c0 c1 c0t c1t d0 d1 d0t d1t req rps p99 errs non2xx threads wrk_rc
	local cpu_us client_cpr origin_cpr c0other c1pct

	mkdir -p "$dir"
	((attempt > 1)) && base=$base-try$attempt
	start_proxy "$case" "$base.log" "$ORIGIN_PORT" || return 1
	wait_quiet "run $run ($case)"
	taskset -c 1 timeout $((WARMUP + 20)) wrk -t1 -c"$CONNS" -d"${WARMUP}s" "$url" >"$base.warmup" 2>&1
	threads=$(proc_threads "$PROXY_PID")
	read -r c0 c0t < <(cpu_ticks 0); read -r d0 d0t < <(cpu_ticks 1)
	p0=$(passive_opens); o0=$(origin_accepts); t0=$(proc_ticks "$PROXY_PID")
	taskset -c 1 timeout $((DURATION + 30)) wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$url" \
		>"$base.wrk" 2>&1
	wrk_rc=$?
	t1=$(proc_ticks "$PROXY_PID"); p1=$(passive_opens); o1=$(origin_accepts)
	read -r c1 c1t < <(cpu_ticks 0); read -r d1 d1t < <(cpu_ticks 1)
	stop_proxy "$case" "run $run" "$base.log"
	if [[ -z $t0 || -z $t1 ]] || ((wrk_rc != 0)); then
		check "run $run: $case: wrk exit status $wrk_rc$([[ -z $t1 ]] && echo ", proxy gone") (output: $base.wrk)"
		return 1
	fi
	req=$(awk '/requests in/ { print $1 }' "$base.wrk")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$base.wrk")
	p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$base.wrk")")
	errs=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$base.wrk")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$base.wrk")
	errs=${errs:-0}; non2xx=${non2xx:-0}
	if [[ -z $req ]] || ((req == 0)); then
		check "run $run: $case: no request completed (output: $base.wrk)"
		return 1
	fi
	read -r cpu_us client_cpr origin_cpr c0other c1pct < <(awk \
		-v ticks=$((t1 - t0)) -v hz="$CLK_TCK" -v req="$req" -v pas=$((p1 - p0)) \
		-v org=$((o1 - o0)) -v c0=$((c1 - c0)) -v c0t=$((c1t - c0t)) \
		-v d1=$((d1 - d0)) -v d1t=$((d1t - d0t)) 'BEGIN {
		printf "%.2f %.4f %.4f %.1f %.1f\n", ticks * 1e6 / hz / req, (pas - org) / req,
			org / req, c0t ? (c0 - ticks) * 100 / c0t : 0, d1t ? d1 * 100 / d1t : 0 }')
	if awk -v v="$c0other" -v max="$DISTURBED_PCT" 'BEGIN { exit !(v > max) }'; then
		if ((attempt <= MAX_REDO)); then
			note "run $run: CPU 0 was ${c0other}% busy with work other than $case;" \
				"run redone (output kept: $base.wrk)"
			return 3
		fi
		note "run $run: CPU 0 was ${c0other}% busy with work other than $case; kept after $attempt attempts"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$run" "$cpu_us" "$rps" \
		"$p99" "$req" "$client_cpr" "$origin_cpr" "$errs" "$non2xx" "$c0other" "$c1pct" \
		"$threads" >>"$RAW"
	printf '  %-14s run %d: %7s us/req  %9s req/s  p99 %7s ms  %9s req  conns/req client %s origin %s%s\n' \
		"$case" "$run" "$cpu_us" "$rps" "${p99:--}" "$req" "$client_cpr" "$origin_cpr" \
		"$( ((errs + non2xx)) && echo "  errors $errs non-2xx $non2xx")"
	awk -v v="$client_cpr" 'BEGIN { exit !(v > 0.01) }' &&
		check "run $run: $case: $client_cpr client connections per request (expected ~0 on keep-alive)"
	awk -v v="$origin_cpr" 'BEGIN { exit !(v > 0.01) }' &&
		check "run $run: $case: $origin_cpr origin connections per request (expected ~0 on keep-alive)"
	[[ $threads == 1 ]] || check "run $run: $case ran $threads threads (expected 1)"
	((errs + non2xx)) && check "run $run: $case: wrk errors $errs, non-2xx $non2xx (output: $base.wrk)"
	return 0
}

# --- summary ------------------------------------------------------------------

# Median of the numbers on stdin, one per line ("" when there are none).
median_of() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) printf "%s", v[(NR + 1) / 2]; else if (NR) printf "%s", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Column COLUMN of runs.tsv for CASE (and RUN, when given), one per line.
values() {
	awk -F'\t' -v k="$1" -v c="$(col "$2")" -v r="${3-}" \
		'$1 == k && $c != "" && (r == "" || $2 == r) { print $c }' "$RAW"
}

# "met", "not met" or "no figure" for ratio VALUE against target MAX;
# "invalid" when a case it depends on failed the header check.
verdict() {
	local value=$1 max=$2 c

	shift 2
	for c in "$@"; do
		[[ " ${HEADER_FAILED[*]} " == *" $c "* ]] && { echo "invalid: $c failed the header check"; return; }
	done
	awk -v v="$value" -v m="$max" 'BEGIN { print (v == "-") ? "no figure" : (v <= m) ? "met" : "not met" }'
}

# One row of the ratio table: A / B per run, the median of those, and the
# ratio of the medians of the CPU time per request.
ratio_row() {
	local a=$1 b=$2 target=$3 run per=() list

	for ((run = 1; run <= RUNS; run++)); do
		per+=("$(ratio "$(values "$a" cpu_us_per_req "$run")" "$(values "$b" cpu_us_per_req "$run")")")
	done
	list=$(printf '%s\n' "${per[@]}" | grep -v '^-$' | median_of)
	echo "| $a / $b | ${per[*]} | $(fmt %.2f "$list") |" \
		"$(ratio "$(values "$a" cpu_us_per_req | median_of)" "$(values "$b" cpu_us_per_req | median_of)") |" \
		"${target:--} |"
}

summary() {
	local case n a b

	echo "| case | runs | CPU us per request (median) | per run | requests/s (median) | p99 ms (median) | client / origin conns per request |"
	echo "|---|---:|---:|---|---:|---:|---|"
	for case in "${CASES[@]}"; do
		n=$(values "$case" cpu_us_per_req | wc -l)
		echo "| $case | $n | $(fmt %.1f "$(values "$case" cpu_us_per_req | median_of)") |" \
			"$(values "$case" cpu_us_per_req | tr '\n' ' ')|" \
			"$(fmt %.0f "$(values "$case" rps | median_of)") |" \
			"$(fmt %.2f "$(values "$case" p99_ms | median_of)") |" \
			"$(fmt %.4f "$(values "$case" client_conns_per_req | median_of)") /" \
			"$(fmt %.4f "$(values "$case" origin_conns_per_req | median_of)") |"
	done
	echo
	echo "| CPU us per request | per run (1..$RUNS) | median of the runs | ratio of the medians | target |"
	echo "|---|---|---:|---:|---:|"
	ratio_row proxyd-lua proxyd-native "<= $TARGET_NATIVE"
	ratio_row proxyd-lua haproxy-lua "<= $TARGET_HAPROXY"
	ratio_row haproxy-lua haproxy-native ""
	ratio_row proxyd-native haproxy-native ""
	echo
	a=$(ratio "$(values proxyd-lua cpu_us_per_req | median_of)" "$(values proxyd-native cpu_us_per_req | median_of)")
	b=$(ratio "$(values proxyd-lua cpu_us_per_req | median_of)" "$(values haproxy-lua cpu_us_per_req | median_of)")
	echo "Lua targets: proxyd-lua/proxyd-native $a (target <= $TARGET_NATIVE:" \
		"$(verdict "$a" "$TARGET_NATIVE" proxyd-lua proxyd-native));" \
		"proxyd-lua/haproxy-lua $b (target <= $TARGET_HAPROXY: $(verdict "$b" "$TARGET_HAPROXY" proxyd-lua haproxy-lua))"
}

# --- main ---------------------------------------------------------------------

echo "bench/lua.sh: results in $OUT (network namespace: $( ((BENCH_LUA_NETNS)) && echo private || echo shared))"
echo "bench/lua.sh: $RUNS runs x ${DURATION}s (+${WARMUP}s warm-up), wrk -t1 -c$CONNS, proxy on CPU 0, wrk + origin on CPU 1"

CASES=()
PROXYD_LUA=1
if ! timeout 20 "$PROXYD" -c -f "$CFG_DIR/lua-proxyd.cfg" >"$OUT/proxyd-lua-check.txt" 2>&1; then
	PROXYD_LUA=0
	echo "bench/lua.sh: proxyd lacks Lua: 'proxyd -c' rejects bench/cfg/lua-proxyd.cfg" \
		"(lua-load, http-request lua.setheader):" >&2
	sed 's/^/  /' "$OUT/proxyd-lua-check.txt" | head -5 >&2
	check "proxyd lacks Lua: proxyd -c rejects bench/cfg/lua-proxyd.cfg:" \
		"$(grep -v '^$' "$OUT/proxyd-lua-check.txt" | head -2 | tr '\n' ' ')" \
		"(the case proxyd-lua is not measured)"
fi
for case in $ALL_CASES; do
	[[ $case == proxyd-lua ]] && ((!PROXYD_LUA)) && continue
	CASES+=("$case")
done

echo "== header check (fakesrv --echo on port $ECHO_PORT)"
HEADER_FAILED=()
ECHO_PID=
taskset -c 1 "$FAKESRV" -l "127.0.0.1:$ECHO_PORT" -q --echo >"$OUT/echo-origin.log" 2>&1 &
ECHO_PID=$!
STARTED+=("$ECHO_PID")
wait_port "$ECHO_PORT" "$ECHO_PID" || die "the echoing origin did not start"
for case in "${CASES[@]}"; do
	header_check "$case" || HEADER_FAILED+=("$case")
done
stop_pid "$ECHO_PID" >/dev/null

echo "== CPU time per request (load average $(cut -d' ' -f1-3 /proc/loadavg))"
start_origin
for ((run = 1; run <= RUNS; run++)); do
	# The order flips on every other run, so that drift over time weighs
	# on every case alike.
	order=("${CASES[@]}")
	((run % 2 == 0)) && read -r -a order < <(printf '%s\n' "${CASES[@]}" | tac | tr '\n' ' ')
	for case in "${order[@]}"; do
		attempt=1
		while run_load "$case" "$run" "$attempt"; rc=$?; ((rc == 3)); do
			attempt=$((attempt + 1))
		done
		((rc == 0)) || check "run $run: $case: run failed"
	done
done
stop_pid "$ORIGIN_PID" >/dev/null

{
	echo "# bench/lua.sh: Lua actions, proxyd and haproxy"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), raw outputs: bench/results/$(basename "$OUT")/"
	echo "- command: bench/lua.sh ${ARGS[*]}"
	echo "- proxyd: $(tr '\n' ';' <"$OUT/proxyd-build.txt" | sed 's/;$//; s/;/; /g');" \
		"$("$HAPROXY" -v 2>/dev/null | head -1 | cut -d' ' -f1-3)" \
		"($("$HAPROXY" -vv 2>/dev/null | grep -o 'Built with Lua version : .*' | sed 's/.*: //'));" \
		"$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
	echo "- load: wrk -t1 -c$CONNS -d${DURATION}s (after ${WARMUP}s of warm-up), keep-alive, 100-byte responses" \
		"from fakesrv; proxy on CPU 0, one thread; wrk and fakesrv on CPU 1;" \
		"network namespace: $( ((BENCH_LUA_NETNS)) && echo private || echo "shared (connection counts approximate)")"
	echo "- CPU per request = (utime+stime of the proxy from /proc/PID/stat, delta over the measured run)" \
		"/ CLK_TCK ($CLK_TCK) / requests wrk completed, in microseconds"
	((PROXYD_LUA)) || echo "- proxyd lacks Lua: 'proxyd -c' rejects bench/cfg/lua-proxyd.cfg, so proxyd-lua was not measured"
	echo "- header check: $( ((${#HEADER_FAILED[@]})) && echo "FAILED for ${HEADER_FAILED[*]}" ||
		echo "held for ${CASES[*]}")"
	echo
	summary
	echo
	if [[ -s $CHECKS ]]; then
		echo "Checks that did not hold:"
		echo
		sed 's/^CHECK: /- /' "$CHECKS"
	else
		echo "Every check held (the header reached the origin, keep-alive held, no errors, no crash)."
	fi
	if [[ -s $NOTES ]]; then
		echo
		echo "Notes (possible disturbances, not failures):"
		echo
		sed 's/^NOTE: /- /' "$NOTES"
	fi
} >"$OUT/summary.md"
echo
sed -n '/^| case/,$p' "$OUT/summary.md"
if ((!PROXYD_LUA)); then
	echo "bench/lua.sh: proxyd lacks Lua (it rejects lua-load); proxyd-lua was not measured," \
		"so neither target has a figure"
fi
if [[ -s $CHECKS ]]; then
	echo "bench/lua.sh: $(wc -l <"$CHECKS") check(s) did not hold; see $OUT/summary.md"
	exit 1
fi
echo "bench/lua.sh: written $OUT/summary.md"
exit 0
