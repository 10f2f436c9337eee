#!/usr/bin/env bash
# bench/run.sh: proxyd against haproxy, side by side, on the same
# HAProxy-syntax configuration and the same origin (see bench/README.md).
#
#   bench/run.sh [SCENARIO...] [--runs N] [--duration S] [options]
#
# Scenarios: ka100 ka16k newconn newconn-always rules idle idle-ka tls-ka
# tls-full tls-full12 tls-resume (default: all). "rules" measures
# bench/cfg/rules.cfg (50 ACLs, 30 header rewrites) and, as "rules-base",
# the same requests through default.cfg. The tls-* scenarios terminate TLS
# (bench/cfg/tls.cfg, a certificate generated in bench/build/tls/); their
# load is wrk over https (tls-ka) or bench/tlsload (a TLS handshake per
# request); --with-nginx adds nginx as a third proxy to them.
# It installs haproxy and wrk when missing (as root), builds proxyd with
# "make build", builds bench/idleconn and bench/acceptcount.so into
# bench/build/ (and bench/tlsload with the TLS certificate), then, for each
# scenario, alternates proxyd and haproxy runs and prints the medians. The proxy runs on CPU 0; wrk, the origin
# (testkit fakesrv) and idleconn share CPU 1. As root it runs everything in
# a private network namespace, so the kernel's TCP counters it reads count
# only the benchmark's connections and no port can clash with other work.
#
# Output: a table on stdout and in bench/results/LAST.md; every raw output
# in bench/results/<date-time>/. Exit status: 0 when every run was valid,
# 1 when a run failed or a check did not hold (the table says which), 2 on
# a usage or set-up error.
#
# This script owns the benchmark procedure only. It never edits proxyd/,
# testkit/ or the Makefile, and stops only the processes it started.

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
ROOT=$(cd "$BENCH_DIR/.." && pwd)
ALL_SCENARIOS="ka100 ka16k newconn newconn-always rules idle idle-ka tls-ka tls-full tls-full12 tls-resume"

RUNS=5
DURATION=10
WARMUP=2
CONNS=50
IDLE_CONNS=10000
PROXY_PORT=${BENCH_PROXY_PORT:-18500}
ORIGIN_PORT=${BENCH_ORIGIN_PORT:-18501}
USE_NETNS=1
WITH_NGINX=0
QUIET_PCT=10     # a CPU busier than this (%) before a run: wait for it to calm
DISTURBED_PCT=10 # CPU 0 busier than this (%) with other work: redo the run
MAX_REDO=2       # redo a disturbed run at most this many times
SCENARIOS=()

usage() {
	cat <<EOF
usage: bench/run.sh [SCENARIO...] [options]
  SCENARIO          one or more of: $ALL_SCENARIOS (default: all)
  --runs N          measured runs per proxy and scenario (default $RUNS, at least 3)
  --duration S      seconds per measured wrk run (default $DURATION)
  --warmup S        seconds of unmeasured wrk load before each run (default $WARMUP)
  --connections N   wrk connections for the load scenarios (default $CONNS)
  --idle-conns N    connections held by the idle scenarios (default $IDLE_CONNS)
  --no-netns        stay in the current network namespace even as root
  --with-nginx      also measure nginx (one worker) in the tls-* scenarios
  -h, --help        this help
Results: bench/results/LAST.md, raw outputs in bench/results/<date-time>/.
EOF
}

die() {
	echo "bench: $*" >&2
	exit 2
}

while (($#)); do
	case $1 in
	--runs) positive_int "$1" "${2-}"; RUNS=$2; shift 2 ;;
	--duration) positive_int "$1" "${2-}"; DURATION=$2; shift 2 ;;
	--warmup) [[ ${2-} =~ ^[0-9]+$ ]] || die "--warmup wants seconds"; WARMUP=$2; shift 2 ;;
	--connections) positive_int "$1" "${2-}"; CONNS=$2; shift 2 ;;
	--idle-conns) positive_int "$1" "${2-}"; IDLE_CONNS=$2; shift 2 ;;
	--no-netns) USE_NETNS=0; shift ;;
	--with-nginx) WITH_NGINX=1; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; die "unknown option '$1'" ;;
	*)
		[[ " $ALL_SCENARIOS " == *" $1 "* ]] || die "unknown scenario '$1' (known: $ALL_SCENARIOS)"
		SCENARIOS+=("$1"); shift ;;
	esac
done
((RUNS >= 3)) || die "--runs must be at least 3 (medians of fewer runs mean little)"
((${#SCENARIOS[@]})) || read -r -a SCENARIOS <<<"$ALL_SCENARIOS"

BUILD_DIR=$BENCH_DIR/build
PROXYD=$BUILD_DIR/proxyd
FAKESRV=$BUILD_DIR/fakesrv
IDLECONN=$BUILD_DIR/idleconn
ACCEPTCOUNT=$BUILD_DIR/acceptcount.so
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}

# The TLS scenarios' certificate, parameters, nginx and tlsload parts.
# shellcheck source=bench/tls.sh
. "$BENCH_DIR/tls.sh"

# The request of the rules scenarios (RULES_TARGET, RULES_HEADERS,
# RULES_ORIGIN_ARGS).
# shellcheck source=bench/rules-req.sh
. "$BENCH_DIR/rules-req.sh"
read_rules_req "$BENCH_DIR/cfg/rules.req" || die "no request target in bench/cfg/rules.req"

# --- set-up, in the caller's namespace ---------------------------------------

# Installs the Debian packages the benchmark needs when they are missing
# (as root), or names the apt-get line to run.
install_deps() {
	local missing=()

	[[ -x $HAPROXY ]] || missing+=(haproxy)
	command -v wrk >/dev/null || missing+=(wrk)
	command -v taskset >/dev/null || missing+=(util-linux)
	command -v cc >/dev/null || missing+=(gcc)
	command -v openssl >/dev/null || missing+=(openssl)
	[[ -e /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
	((WITH_NGINX)) && ! [[ -x $NGINX ]] && missing+=(nginx-light)
	((${#missing[@]})) || return 0
	if ((EUID != 0)); then
		die "missing packages; run as root: apt-get install -y ${missing[*]}"
	fi
	echo "bench: installing ${missing[*]}"
	timeout 900 apt-get update -q >/dev/null || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed"
}

# Builds proxyd and fakesrv with the project's Makefile, copies them into
# bench/build/ (so a rebuild by someone else during the run cannot swap the
# binary under the benchmark), and builds the bench tools.
build_all() {
	echo "bench: make build"
	timeout 900 make -C "$ROOT" build >"$OUT/build.log" 2>&1 ||
		{ tail -20 "$OUT/build.log" >&2; die "make build failed (log: $OUT/build.log)"; }
	mkdir -p "$BUILD_DIR"
	cp "$ROOT/proxyd/proxyd" "$PROXYD.tmp" && mv "$PROXYD.tmp" "$PROXYD" || die "cannot copy proxyd"
	cp "$ROOT/testkit/fakesrv/fakesrv" "$FAKESRV.tmp" && mv "$FAKESRV.tmp" "$FAKESRV" ||
		die "cannot copy fakesrv"
	cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$IDLECONN" "$BENCH_DIR/idleconn.c" ||
		die "cannot build bench/idleconn.c"
	cc -std=gnu11 -O2 -Wall -Wextra -Werror -shared -fPIC -o "$ACCEPTCOUNT" \
		"$BENCH_DIR/acceptcount.c" -ldl || die "cannot build bench/acceptcount.c"
	build_tlsload || die "cannot build bench/tlsload.c"
	make_tls_cert || die "cannot generate the TLS test certificate"
}

if [[ -z ${BENCH_INNER-} ]]; then
	install_deps
	OUT=$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)
	mkdir -p "$OUT" || die "cannot create $OUT"
	build_all
	export BENCH_INNER=1 BENCH_OUT=$OUT
	if ((USE_NETNS && EUID == 0)) && timeout 10 unshare -n true 2>/dev/null; then
		export BENCH_NETNS=1
		nginx_opt=()
		((WITH_NGINX)) && nginx_opt=(--with-nginx)
		exec unshare -n -- bash "${BASH_SOURCE[0]}" \
			--runs "$RUNS" --duration "$DURATION" --warmup "$WARMUP" \
			--connections "$CONNS" --idle-conns "$IDLE_CONNS" "${nginx_opt[@]}" "${SCENARIOS[@]}"
	fi
	export BENCH_NETNS=0
	echo "bench: not in a private network namespace (needs root and unshare);" \
		"TCP counters include the machine's other connections"
fi

# --- from here on: the measurement, inside the namespace ----------------------

OUT=$BENCH_OUT
if ((BENCH_NETNS)); then
	ip link set lo up || die "cannot bring up lo in the network namespace"
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)
CLK_TCK=$(getconf CLK_TCK)
RAW=$OUT/runs.tsv
CHECKS=$OUT/checks.txt
NOTES=$OUT/notes.txt
: >"$CHECKS"
: >"$NOTES"
printf 'scenario\tproxy\trun\tcpu_us_per_req\trps\tp99_ms\trequests\tclient_conns_per_req\torigin_conns_per_req\tload_errors\tnon2xx\tcpu0_busy_us_per_req\tcpu0_other_pct\tcpu1_busy_pct\tthreads\tkib_per_conn\trss_before_kib\trss_after_kib\tfds_added\tresumed_per_req\n' >"$RAW"

# haproxy 2.6 refuses to start when it cannot raise its file-descriptor
# limit to about 2 x maxconn ("strict-limits"). Where the hard limit is
# below that, it gets a second file turning that off (see the file).
HAPROXY_EXTRA=()
CFG_MAXCONN=$(awk '$1 == "maxconn" { print $2; exit }' "$BENCH_DIR/cfg/default.cfg")
if ((NOFILE < 2 * CFG_MAXCONN + 100)); then
	HAPROXY_EXTRA=(-f "$BENCH_DIR/cfg/haproxy-fdlimit.cfg")
fi

STARTED=()

trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

# utime+stime of a process and its children (nginx's worker), in clock
# ticks; nothing when the process is gone.
proc_ticks() {
	local pid

	[[ -r /proc/$1/stat ]] || return 0
	for pid in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null
	done | awk '{ t += $12 + $13 } END { if (NR) print t }'
}

proc_rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

proc_fds() {
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# Established connections to the proxy's port that a process has accepted
# (a connection still in the listen queue has no inode yet).
accepted_conns() {
	awk -v port="$(printf '%04X' "$PROXY_PORT")" 'NR > 1 { split($2, local_addr, ":")
		if (local_addr[2] == port && $4 == "01" && $10 != "0") n++ } END { print n + 0 }' \
		/proc/net/tcp
}

ORIGIN_PID=
ORIGIN_COUNTER=

# Starts the origin on CPU 1, answering every request with BODY_SIZE bytes
# (and the fakesrv options that follow, if any).
start_origin() {
	local size=$1 log=$2

	shift 2
	ORIGIN_COUNTER=$OUT/origin-accepts.$size
	rm -f "$ORIGIN_COUNTER"
	taskset -c 1 env BENCH_ACCEPT_COUNTER="$ORIGIN_COUNTER" LD_PRELOAD="$ACCEPTCOUNT" \
		"$FAKESRV" -l "127.0.0.1:$ORIGIN_PORT" -q --body-size "$size" "$@" >"$log" 2>&1 &
	ORIGIN_PID=$!
	STARTED+=("$ORIGIN_PID")
	wait_port "$ORIGIN_PORT" "$ORIGIN_PID" || { cat "$log" >&2; die "the origin did not start"; }
	[[ -s $ORIGIN_COUNTER ]] || die "acceptcount.so did not load into fakesrv"
}

stop_origin() {
	[[ -n $ORIGIN_PID ]] && stop_pid "$ORIGIN_PID" >/dev/null
	ORIGIN_PID=
}

PROXY_PID=

# Starts PROXY (proxyd, haproxy or nginx) on CPU 0 with configuration CFG
# (nginx: its own, from cfg/tls-nginx.conf), its output in LOG. Returns 1
# when it does not come up.
start_proxy() {
	local proxy=$1 cfg=$2 log=$3 extra=()

	export BENCH_PROXY_PORT=$PROXY_PORT BENCH_ORIGIN_PORT=$ORIGIN_PORT BENCH_TLS_PEM=$TLS_PEM
	[[ $cfg == */tls.cfg ]] && extra=(-f "$BENCH_DIR/cfg/haproxy-tls.cfg")
	case $proxy in
	proxyd) taskset -c 0 "$PROXYD" -f "$cfg" >"$log" 2>&1 & ;;
	haproxy) taskset -c 0 "$HAPROXY" -f "$cfg" "${HAPROXY_EXTRA[@]}" "${extra[@]}" -db >"$log" 2>&1 & ;;
	nginx)
		nginx_conf "${log%.log}.nginx" || { check "cannot write nginx's configuration"; return 1; }
		taskset -c 0 "$NGINX" -c "${log%.log}.nginx/nginx.conf" -p "${log%.log}.nginx" -e stderr \
			>"$log" 2>&1 & ;;
	esac
	PROXY_PID=$!
	STARTED+=("$PROXY_PID")
	if ! wait_port "$PROXY_PORT" "$PROXY_PID"; then
		check "$proxy did not start on $cfg (log: $log)"
		tail -5 "$log" >&2
		stop_pid "$PROXY_PID" >/dev/null
		return 1
	fi
}

# Stops the proxy and reports a crash or a refusal to stop.
stop_proxy() {
	local proxy=$1 what=$2 log=$3 how

	how=$(stop_pid "$PROXY_PID")
	case $how in
	gone) check "$what: $proxy had exited before the end of the run (log: $log)" ;;
	killed) check "$what: $proxy did not stop within 5 s of SIGTERM; killed (log: $log)" ;;
	esac
	PROXY_PID=
}

# Converts a wrk latency ("812.00us", "1.20ms", "2.00s", "1.00m") to ms.
to_ms() {
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
		f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1;
		if (f < 0) print "nan"; else printf "%.3f", n * f }'
}

# One measured run of a load scenario against one proxy: wrk, or tlsload in
# the TLS handshake scenarios. ATTEMPT counts the tries of this run: a run
# disturbed by other work on CPU 0 returns 3 (and writes no result) unless
# it is the last attempt allowed.
run_load() {
	local scen=$1 proxy=$2 run=$3 cfg=$4 dir=$5 attempt=$6
	local base=$dir/$proxy-$run url=http://127.0.0.1:$PROXY_PORT/ hdr=() tool=wrk out
	local t0 t1 p0 p1 o0 o1 c0 c1 d0 d1 req rps p99 errs non2xx threads load_rc resumed='' reason
	local ticks cpu_us client_cpr origin_cpr c0busy c1pct c0other c0t c1t d0t d1t h

	((attempt > 1)) && base=$base-try$attempt
	[[ $scen == newconn* ]] && hdr=(-H "Connection: close")
	[[ $scen == tls-ka ]] && url=https://127.0.0.1:$PROXY_PORT/
	is_handshake_scenario "$scen" && tool=tlsload
	out=$base.$tool
	if [[ $scen == rules* ]]; then
		url=http://127.0.0.1:$PROXY_PORT$RULES_TARGET
		for h in "${RULES_HEADERS[@]}"; do
			hdr+=(-H "$h")
		done
	fi
	start_proxy "$proxy" "$cfg" "$base.log" || return 1
	if is_tls_scenario "$scen" && ! tls_probe "$scen" "$scen run $run: $proxy" "$base.probe"; then
		stop_proxy "$proxy" "$scen run $run" "$base.log"
		return 1
	fi
	wait_quiet "$scen run $run ($proxy)"
	if [[ $tool == wrk ]]; then
		taskset -c 1 timeout $((WARMUP + 20)) wrk -t1 -c"$CONNS" -d"${WARMUP}s" "${hdr[@]}" "$url" \
			>"$base.warmup" 2>&1
	elif ((WARMUP)); then
		tlsload_run "$scen" "$WARMUP" "$base.warmup"
	fi
	threads=$(proc_threads "$PROXY_PID")
	read -r c0 c0t < <(cpu_ticks 0); read -r d0 d0t < <(cpu_ticks 1)
	p0=$(passive_opens); o0=$(origin_accepts); t0=$(proc_ticks "$PROXY_PID")
	if [[ $tool == wrk ]]; then
		taskset -c 1 timeout $((DURATION + 30)) wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency \
			"${hdr[@]}" "$url" >"$out" 2>&1
	else
		tlsload_run "$scen" "$DURATION" "$out"
	fi
	load_rc=$?
	t1=$(proc_ticks "$PROXY_PID"); p1=$(passive_opens); o1=$(origin_accepts)
	read -r c1 c1t < <(cpu_ticks 0); read -r d1 d1t < <(cpu_ticks 1)
	stop_proxy "$proxy" "$scen run $run" "$base.log"
	if [[ -z $t1 ]] || { [[ $tool == wrk ]] && ((load_rc != 0)); }; then
		check "$scen run $run: $proxy: $tool exit status $load_rc$([[ -z $t1 ]] && echo ", proxy gone")" \
			"(output: $out)"
		return 1
	fi
	if [[ $tool == wrk ]]; then
		req=$(awk '/requests in/ { print $1 }' "$out")
		rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
		p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
		errs=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
		non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
	else
		# tlsload: failed connections are reported like wrk's errors; a run
		# that is invalid for another reason (resumption failed, another
		# protocol or cipher, nothing done) gives no figure.
		reason=$(sed -n 's/^invalid: //p' "$out")
		if ((load_rc != 0)) && [[ $reason != "connections failed" ]]; then
			check "$scen run $run: $proxy: tlsload exit status $load_rc: ${reason:-no result}" \
				"($(grep -o 'full=[0-9]* resumed=[0-9]* resume_misses=[0-9]*' "$out"))" \
				"$(grep -o 'first_error="[^"]*"' "$out") (output: $out)"
			return 1
		fi
		req=$(tlsload_field "$out" requests)
		rps=$(tlsload_field "$out" rps)
		p99=
		non2xx=$(tlsload_field "$out" http_errors)
		errs=$(($(tlsload_field "$out" errors) - non2xx))
		resumed=$(awk -v r="$(tlsload_field "$out" resumed)" -v n="$req" \
			'BEGIN { if (n > 0) printf "%.4f", r / n }')
	fi
	errs=${errs:-0}; non2xx=${non2xx:-0}
	if [[ -z $req ]] || ((req == 0)); then
		check "$scen run $run: $proxy: no request completed (output: $out)"
		return 1
	fi
	ticks=$((t1 - t0))
	read -r cpu_us client_cpr origin_cpr c0busy c0other c1pct < <(awk \
		-v ticks="$ticks" -v hz="$CLK_TCK" -v req="$req" -v pas=$((p1 - p0)) \
		-v org=$((o1 - o0)) -v c0=$((c1 - c0)) -v c0t=$((c1t - c0t)) \
		-v d1=$((d1 - d0)) -v d1t=$((d1t - d0t)) 'BEGIN {
		printf "%.2f %.4f %.4f %.2f %.1f %.1f\n", ticks * 1e6 / hz / req,
			(pas - org) / req, org / req, c0 * 1e6 / hz / req,
			c0t ? (c0 - ticks) * 100 / c0t : 0, d1t ? d1 * 100 / d1t : 0 }')
	if awk -v v="$c0other" -v max="$DISTURBED_PCT" 'BEGIN { exit !(v > max) }'; then
		if ((attempt <= MAX_REDO)); then
			note "$scen run $run: CPU 0 was ${c0other}% busy with work other than $proxy" \
				"(other load on the machine); run redone (output kept: $out)"
			return 3
		fi
		note "$scen run $run: CPU 0 was ${c0other}% busy with work other than $proxy" \
			"(other load on the machine); kept after $attempt attempts"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t\t\t\t%s\n' \
		"$scen" "$proxy" "$run" "$cpu_us" "$rps" "$p99" "$req" "$client_cpr" "$origin_cpr" \
		"$errs" "$non2xx" "$c0busy" "$c0other" "$c1pct" "$threads" "$resumed" >>"$RAW"
	printf '  %-8s run %d: %7s us/req  %9s req/s  p99 %7s ms  %9s req  conns/req client %s origin %s%s%s\n' \
		"$proxy" "$run" "$cpu_us" "$rps" "${p99:--}" "$req" "$client_cpr" "$origin_cpr" \
		"${resumed:+  resumed/req $resumed}" "$( ((errs + non2xx)) && echo "  errors $errs non-2xx $non2xx")"
	# Checks: the scenario must have opened the connections it claims.
	if [[ $scen == newconn* ]] || is_handshake_scenario "$scen"; then
		awk -v v="$client_cpr" 'BEGIN { exit !(v < 0.95) }' &&
			check "$scen run $run: $proxy accepted $client_cpr client connections per request" \
				"(expected 1: is the client closing its connections?)"
	else
		awk -v v="$client_cpr" 'BEGIN { exit !(v > 0.01) }' &&
			check "$scen run $run: $proxy accepted $client_cpr client connections per request" \
				"(expected ~0 on keep-alive)"
	fi
	((errs + non2xx)) && check "$scen run $run: $proxy: $tool errors $errs, non-2xx $non2xx" \
		"$(grep -o 'first_error="[^"]*"' "$out")(output: $out)"
	return 0
}

# One idle-connection memory run: N connections (each with one keep-alive
# request first when WITH_REQ is 1) held open while the proxy's RSS is read.
run_idle() {
	local scen=$1 proxy=$2 run=$3 cfg=$4 dir=$5 with_req=$6
	local base=$dir/$proxy-$run rss0 rss1 fds0 fds1 o0 o1 ready i kib idle_pid done_line threads
	local accepted=0
	local limit=$((120 + IDLE_CONNS / 100)) req_flag=()

	((with_req)) && req_flag=(-r)
	start_proxy "$proxy" "$cfg" "$base.log" || return 1
	# One request through the proxy first, so that what it sets up on its
	# first request (a server connection, buffers) is in the baseline.
	taskset -c 1 timeout 20 "$IDLECONN" -a "127.0.0.1:$PROXY_PORT" -n 1 -r -t 10 \
		</dev/null >"$base.first" 2>&1 || check "$scen run $run: $proxy: the first request failed ($base.first)"
	sleep 0.5
	rss0=$(proc_rss_kib "$PROXY_PID"); fds0=$(proc_fds "$PROXY_PID"); o0=$(origin_accepts)
	rm -f "$base.ctl"; mkfifo "$base.ctl"
	taskset -c 1 timeout $((limit + 10)) "$IDLECONN" -a "127.0.0.1:$PROXY_PORT" \
		-n "$IDLE_CONNS" "${req_flag[@]}" -t "$limit" <"$base.ctl" >"$base.idleconn" 2>&1 &
	idle_pid=$!
	STARTED+=("$idle_pid")
	exec 8>"$base.ctl"
	ready=0
	for ((i = 0; i < limit * 10; i++)); do
		grep -q '^ready' "$base.idleconn" && { ready=1; break; }
		kill -0 "$idle_pid" 2>/dev/null || break
		sleep 0.1
	done
	# The handshake completes before the proxy calls accept(): wait (10 s
	# at most) until the proxy holds the connections, then let it settle.
	for ((i = 0; i < 100; i++)); do
		accepted=$(accepted_conns)
		((accepted >= IDLE_CONNS)) && break
		kill -0 "$PROXY_PID" 2>/dev/null || break
		sleep 0.1
	done
	sleep 1
	rss1=$(proc_rss_kib "$PROXY_PID"); fds1=$(proc_fds "$PROXY_PID"); o1=$(origin_accepts)
	accepted=$(accepted_conns)
	threads=$(proc_threads "$PROXY_PID")
	exec 8>&-
	for ((i = 0; i < 100; i++)); do
		kill -0 "$idle_pid" 2>/dev/null || break
		sleep 0.1
	done
	stop_pid "$idle_pid" >/dev/null
	rm -f "$base.ctl"
	stop_proxy "$proxy" "$scen run $run" "$base.log"
	done_line=$(grep '^done' "$base.idleconn")
	if ((!ready)) || [[ -z $rss1 || -z $rss0 ]]; then
		check "$scen run $run: $proxy: connections not all opened or proxy gone:" \
			"$(tail -2 "$base.idleconn" | tr '\n' ' ')"
		return 1
	fi
	kib=$(awk -v a="$rss1" -v b="$rss0" -v n="$IDLE_CONNS" 'BEGIN { printf "%.3f", (a - b) / n }')
	printf '%s\t%s\t%s\t\t\t\t\t\t%s\t\t\t\t\t\t%s\t%s\t%s\t%s\t%s\t\n' "$scen" "$proxy" "$run" \
		"$(awk -v o=$((o1 - o0)) -v n="$IDLE_CONNS" 'BEGIN { printf "%.4f", o / n }')" \
		"$threads" "$kib" "$rss0" "$rss1" $((fds1 - fds0)) >>"$RAW"
	printf '  %-8s run %d: %6s KiB/conn  RSS %s -> %s KiB  +%d fds  origin conns %d  [%s]\n' \
		"$proxy" "$run" "$kib" "$rss0" "$rss1" $((fds1 - fds0)) $((o1 - o0)) "$done_line"
	((accepted < IDLE_CONNS)) &&
		check "$scen run $run: $proxy had accepted only $accepted of the $IDLE_CONNS" \
			"connections when its RSS was read, so the figure does not include them all"
	[[ $done_line == *"failed=0 closed_by_peer=0 non2xx=0"* ]] ||
		check "$scen run $run: $proxy: idleconn reports: $done_line"
	return 0
}

# Runs one scenario: RUNS runs per proxy, alternating (ABBA order so that
# drift over time weighs on both alike).
run_scenario() {
	local scen=$1 cfg=$BENCH_DIR/cfg/default.cfg body=100 dir=$OUT/$1 run order proxy attempt rc
	local proxies="proxyd haproxy"

	case $scen in
	ka16k) body=16k ;;
	newconn-always) cfg=$BENCH_DIR/cfg/reuse-always.cfg ;;
	tls-*) cfg=$BENCH_DIR/cfg/tls.cfg ;;
	esac
	[[ $scen == rules ]] && { run_rules_scenario; return; }
	if is_tls_scenario "$scen"; then
		proxyd_accepts_tls || proxies=haproxy
		((WITH_NGINX)) && proxies+=" nginx"
	fi
	mkdir -p "$dir"
	echo "== $scen ($(basename "$cfg"), ${body}-byte responses, $proxies," \
		"load average $(cut -d' ' -f1-3 /proc/loadavg))"
	start_origin "$body" "$dir/origin.log"
	for ((run = 1; run <= RUNS; run++)); do
		# The order flips on every other run (ABBA), so that drift over
		# time weighs on every proxy alike.
		order=$proxies
		((run % 2 == 0)) && order=$(echo "$proxies" | tr ' ' '\n' | tac | tr '\n' ' ')
		for proxy in $order; do
			case $scen in
			idle) run_idle "$scen" "$proxy" "$run" "$cfg" "$dir" 0 ;;
			idle-ka) run_idle "$scen" "$proxy" "$run" "$cfg" "$dir" 1 ;;
			*)
				attempt=1
				while run_load "$scen" "$proxy" "$run" "$cfg" "$dir" "$attempt"; rc=$?; ((rc == 3)); do
					attempt=$((attempt + 1))
				done
				((rc == 0)) ;;
			esac || check "$scen run $run: $proxy: run failed"
		done
	done
	stop_origin
}

# The rules scenario. First bench/rules-check.sh checks, on both proxies,
# that the bench request makes each ACL of rules.cfg take its noted value
# and that the origin and the client receive what rules.expect says (a
# failure is a check that did not hold, and the figures are still
# measured). Then, per run, four measurements on the same origin: proxyd
# and haproxy on rules.cfg ("rules"), and on default.cfg with the same
# requests ("rules-base"); the order flips on every other run. When proxyd
# rejects rules.cfg, it is measured on rules-base only.
run_rules_scenario() {
	local dir=$OUT/rules run order item proxy label cfg attempt rc skip_proxyd=0 check_proxies=(haproxy)

	mkdir -p "$dir" "$OUT/rules-base"
	echo "== rules (rules.cfg; rules-base: default.cfg; both with the request of cfg/rules.req," \
		"100-byte responses, load average $(cut -d' ' -f1-3 /proc/loadavg))"
	if BENCH_PROXY_PORT=$PROXY_PORT BENCH_ORIGIN_PORT=$ORIGIN_PORT timeout 20 \
		"$PROXYD" -c -f "$BENCH_DIR/cfg/rules.cfg" >"$dir/proxyd-check.txt" 2>&1; then
		check_proxies+=(proxyd)
	else
		skip_proxyd=1
		check "rules: proxyd -c rejects cfg/rules.cfg, so proxyd is measured on rules-base only:" \
			"$(grep -v '^$' "$dir/proxyd-check.txt" | head -3 | tr '\n' ' ')" \
			"($(grep -c . "$dir/proxyd-check.txt") line(s) in $dir/proxyd-check.txt)"
	fi
	RULES_CHECK_DIR=$dir/check RULES_CHECK_PROXY_PORT=$PROXY_PORT RULES_CHECK_ORIGIN_PORT=$ORIGIN_PORT \
		PROXYD=$PROXYD FAKESRV=$FAKESRV HAPROXY=$HAPROXY \
		timeout 300 bash "$BENCH_DIR/rules-check.sh" "${check_proxies[@]}" >"$dir/rules-check.txt" 2>&1
	rc=$?
	sed 's/^/  /' "$dir/rules-check.txt"
	if ((rc == 0)); then
		echo "bench/rules-check.sh ${check_proxies[*]}: every check held" >"$OUT/rules-check.summary"
	else
		grep '^FAIL' "$dir/rules-check.txt" >"$OUT/rules-check.summary"
		check "rules: bench/rules-check.sh ${check_proxies[*]} exit status $rc:" \
			"$(grep -c '^FAIL' "$dir/rules-check.txt") check(s) did not hold ($dir/rules-check.txt)"
	fi
	start_origin 100 "$dir/origin.log" "${RULES_ORIGIN_ARGS[@]}"
	for ((run = 1; run <= RUNS; run++)); do
		order="proxyd:rules haproxy:rules proxyd:rules-base haproxy:rules-base"
		((run % 2 == 0)) && order="haproxy:rules-base proxyd:rules-base haproxy:rules proxyd:rules"
		for item in $order; do
			proxy=${item%%:*} label=${item#*:}
			((skip_proxyd)) && [[ $item == proxyd:rules ]] && continue
			cfg=$BENCH_DIR/cfg/default.cfg
			[[ $label == rules ]] && cfg=$BENCH_DIR/cfg/rules.cfg
			attempt=1
			while run_load "$label" "$proxy" "$run" "$cfg" "$OUT/$label" "$attempt"; rc=$?; ((rc == 3)); do
				attempt=$((attempt + 1))
			done
			((rc == 0)) || check "$label run $run: $proxy: run failed"
		done
	done
	stop_origin
}

# --- summary ------------------------------------------------------------------

# Median of column COL of runs.tsv for SCEN and PROXY ("" when no value).
median() {
	awk -F'\t' -v s="$1" -v p="$2" -v c="$3" '$1 == s && $2 == p && $c != "" { print $c }' "$RAW" |
		sort -g | awk '{ v[NR] = $1 }
			END { if (NR % 2) printf "%s", v[(NR + 1) / 2]; else if (NR) printf "%s", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

all_values() {
	awk -F'\t' -v s="$1" -v p="$2" -v c="$3" '$1 == s && $2 == p && $c != "" { printf "%s%s", sep, $c; sep = " " }' "$RAW"
}

# " (n=K)" when only K < RUNS runs of SCEN on PROXY gave a result.
short() {
	local n

	n=$(awk -F'\t' -v s="$1" -v p="$2" '$1 == s && $2 == p { n++ } END { print n + 0 }' "$RAW")
	((n < RUNS)) && echo " (n=$n)"
}

# The scenarios as the table shows them: "rules" is two rows of figures,
# rules and rules-base.
table_rows() {
	local scen

	for scen in "${SCENARIOS[@]}"; do
		if [[ $scen == rules ]]; then
			echo rules rules-base
		else
			echo "$scen"
		fi
	done
}

# Ratio of the medians of the CPU time per request, rules / rules-base,
# for PROXY.
rules_cost() {
	local c

	c=$(col cpu_us_per_req)
	ratio "$(median rules "$1" "$c")" "$(median rules-base "$1" "$c")"
}

# Whether nginx was measured in any run (--with-nginx, tls-* scenarios).
measured_nginx() {
	awk -F'\t' '$2 == "nginx" { found = 1 } END { exit !found }' "$RAW"
}

summary_table() {
	local scen name column format a b c with_nginx=0

	measured_nginx && with_nginx=1
	if ((with_nginx)); then
		echo "| scenario | metric (median of $RUNS runs) | proxyd | haproxy | nginx | proxyd/haproxy | proxyd/nginx |"
		echo "|---|---|---:|---:|---:|---:|---:|"
	else
		echo "| scenario | metric (median of $RUNS runs) | proxyd | haproxy | proxyd/haproxy |"
		echo "|---|---|---:|---:|---:|"
	fi
	for scen in $(table_rows); do
		if [[ $scen == idle* ]]; then
			set -- "KiB per connection:kib_per_conn:%.2f" "RSS before, KiB:rss_before_kib:%d" \
				"RSS after, KiB:rss_after_kib:%d" "descriptors added:fds_added:%d" \
				"origin conns per client conn:origin_conns_per_req:%.3f"
		else
			set -- "CPU us per request:cpu_us_per_req:%.1f" "requests/s:rps:%.0f"
			is_handshake_scenario "$scen" || set -- "$@" "p99 latency, ms:p99_ms:%.2f"
			set -- "$@" "client conns per request:client_conns_per_req:%.4f" \
				"origin conns per request:origin_conns_per_req:%.4f" \
				"CPU 0 busy us per request:cpu0_busy_us_per_req:%.1f" \
				"CPU 1 (load+origin) busy %:cpu1_busy_pct:%.0f"
			is_handshake_scenario "$scen" &&
				set -- "$@" "resumed handshakes per request:resumed_per_req:%.4f"
		fi
		for spec in "$@"; do
			name=${spec%%:*}; column=${spec#*:}; format=${column#*:}; column=${column%%:*}
			a=$(median "$scen" proxyd "$(col "$column")")
			b=$(median "$scen" haproxy "$(col "$column")")
			if ((with_nginx)); then
				c=$(median "$scen" nginx "$(col "$column")")
				echo "| $scen | $name | $(fmt "$format" "$a")$(short "$scen" proxyd) |" \
					"$(fmt "$format" "$b")$(short "$scen" haproxy) |" \
					"$(fmt "$format" "$c")$(is_tls_scenario "$scen" && short "$scen" nginx) |" \
					"$(ratio "$a" "$b") | $(ratio "$a" "$c") |"
			else
				echo "| $scen | $name | $(fmt "$format" "$a")$(short "$scen" proxyd) |" \
					"$(fmt "$format" "$b")$(short "$scen" haproxy) | $(ratio "$a" "$b") |"
			fi
		done
		[[ $scen == rules-base ]] &&
			echo "| rules | CPU us per request, rules / rules-base (same proxy) | $(rules_cost proxyd) |" \
				"$(rules_cost haproxy) |$( ((with_nginx)) && echo " - |") - |$( ((with_nginx)) && echo " - |")"
	done
	return 0
}

# The rules scenario's two targets, met or not.
rules_targets() {
	local c a b

	c=$(col cpu_us_per_req)
	a=$(ratio "$(median rules proxyd "$c")" "$(median rules haproxy "$c")")
	b=$(rules_cost proxyd)
	printf 'Rules targets: proxyd/haproxy on rules %s (target <= 0.75: %s); proxyd rules/rules-base %s (target <= 2: %s)\n' \
		"$a" "$(awk -v v="$a" 'BEGIN { print (v == "-") ? "no figure" : (v <= 0.75) ? "met" : "not met" }')" \
		"$b" "$(awk -v v="$b" 'BEGIN { print (v == "-") ? "no figure" : (v <= 2) ? "met" : "not met" }')"
}

per_run_values() {
	local scen proxy column proxies=(proxyd haproxy)

	measured_nginx && proxies+=(nginx)
	for scen in $(table_rows); do
		column=cpu_us_per_req
		[[ $scen == idle* ]] && column=kib_per_conn
		for proxy in "${proxies[@]}"; do
			[[ $proxy == nginx ]] && ! is_tls_scenario "$scen" && continue
			echo "- $scen, $proxy, $column: $(all_values "$scen" "$proxy" "$(col "$column")")"
		done
	done
}

# The TLS set-up, for LAST.md, when a tls-* scenario ran.
tls_summary() {
	echo "- TLS: bench/cfg/tls.cfg on proxyd and haproxy (haproxy also loads cfg/haproxy-tls.cfg," \
		"nbthread 1)$( ((WITH_NGINX)) && echo ", cfg/tls-nginx.conf on $("$NGINX" -v 2>&1 | cut -d' ' -f3)");" \
		"RSA-2048 self-signed certificate ($TLS_CRT), TLS 1.2 minimum, $TLS_CIPHER12 (TLS 1.2)," \
		"$TLS_SUITE13 (TLS 1.3), session tickets on, 20,000-session cache, $(openssl version | cut -d' ' -f1-2);" \
		"tls-ka: wrk over https, TLS 1.3; tls-full: tlsload full, TLS 1.3; tls-full12: tlsload full, TLS 1.2;" \
		"tls-resume: tlsload resume, TLS 1.3 ($CONNS connections each)"
}

echo "bench: results in $OUT (network namespace: $( ((BENCH_NETNS)) && echo private || echo shared))"
echo "bench: $RUNS runs x ${DURATION}s (+${WARMUP}s warm-up), $CONNS wrk connections, $IDLE_CONNS idle connections, fd limit $NOFILE"
for scen in "${SCENARIOS[@]}"; do
	run_scenario "$scen"
done

{
	echo "# proxyd vs haproxy: last benchmark run"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), raw outputs: bench/results/$(basename "$OUT")/"
	echo "- command: bench/run.sh ${SCENARIOS[*]} --runs $RUNS --duration $DURATION" \
		"--warmup $WARMUP --connections $CONNS --idle-conns $IDLE_CONNS$( ((WITH_NGINX)) && echo " --with-nginx")"
	echo "- proxyd: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)," \
		"$(git -C "$ROOT" status --porcelain proxyd 2>/dev/null | wc -l) uncommitted file(s) under proxyd/ at build time;" \
		"$("$HAPROXY" -v 2>/dev/null | head -1 | cut -d' ' -f1-3); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
	echo "- machine: $(nproc) CPUs, $(uname -r); proxy on CPU 0, wrk + fakesrv origin on CPU 1, one thread each;" \
		"fd limit $NOFILE$( ((${#HAPROXY_EXTRA[@]})) && echo " (haproxy also loads cfg/haproxy-fdlimit.cfg)");" \
		"network namespace: $( ((BENCH_NETNS)) && echo private || echo "shared (connection counts approximate)")"
	[[ " ${SCENARIOS[*]} " == *" tls-"* ]] && tls_summary
	echo "- CPU per request = (utime+stime of the proxy from /proc/PID/stat, delta over the measured run)" \
		"/ CLK_TCK ($CLK_TCK) / requests the client (wrk or tlsload) completed, in microseconds"
	echo
	summary_table
	echo
	if [[ " ${SCENARIOS[*]} " == *" rules "* ]]; then
		rules_targets
		echo
		echo "Rules case: bench/cfg/rules.cfg (50 ACLs, 30 header rewrites; rules-base: default.cfg)," \
			"request bench/cfg/rules.req; $(head -1 "$OUT/rules-check.summary" 2>/dev/null)"
		echo
	fi
	echo "Per run:"
	echo
	per_run_values
	echo
	if [[ -s $CHECKS ]]; then
		echo "Checks that did not hold:"
		echo
		sed "s/^CHECK: /- /" "$CHECKS"
	else
		echo "Every check held (connections opened as claimed, no errors, no crash)."
	fi
	if [[ -s $NOTES ]]; then
		echo
		echo "Notes (possible disturbances, not failures):"
		echo
		sed 's/^NOTE: /- /' "$NOTES"
	fi
} >"$OUT/LAST.md"
cp "$OUT/LAST.md" "$BENCH_DIR/results/LAST.md"
echo
sed -n '/^| scenario/,/^$/p' "$OUT/LAST.md"
grep '^Rules targets' "$OUT/LAST.md"
if [[ -s $CHECKS ]]; then
	echo "bench: $(wc -l <"$CHECKS") check(s) did not hold; see bench/results/LAST.md"
	exit 1
fi
echo "bench: written bench/results/LAST.md"
exit 0
