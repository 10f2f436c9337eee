#!/usr/bin/env bash
# bench/splice.sh: what "option splice-auto" saves on large raw transfers.
# Downloads of BYTES through a TCP-mode proxy (bench/cfg/splice.cfg), on
# proxyd and on haproxy, with and without splicing, and reports the proxy's
# CPU time per GiB moved (utime + stime from /proc) and the transfer rate.
#
#   bench/splice.sh [--runs N] [--bytes SIZE] [--transfers K]
#
# Each run moves K downloads of SIZE (default 3 runs of 2 x 1g) for each of
# the four set-ups in turn, so that drifting machine load spreads evenly.
# The proxy runs on CPU 0; curl and the origin (fakesrv) on CPU 1. Uses the
# binaries bench/run.sh copies to bench/build/ (run "make build" first, or
# bench/run.sh once); stops only the processes it started.

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
ROOT=$(cd "$BENCH_DIR/.." && pwd)
RUNS=3
BYTES=1g
TRANSFERS=2
export BENCH_PROXY_PORT=${BENCH_PROXY_PORT:-18600}
export BENCH_ORIGIN_PORT=${BENCH_ORIGIN_PORT:-18601}
PROXYD=$ROOT/proxyd/proxyd
FAKESRV=$ROOT/testkit/fakesrv/fakesrv
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
CFG=$BENCH_DIR/cfg/splice.cfg

die() {
	echo "bench/splice: $*" >&2
	exit 2
}

while (($#)); do
	case $1 in
	--runs) [[ ${2-} =~ ^[1-9][0-9]*$ ]] || die "--runs wants a count"; RUNS=$2; shift 2 ;;
	--bytes) [[ ${2-} =~ ^[1-9][0-9]*[kmg]?$ ]] || die "--bytes wants N[k|m|g]"; BYTES=$2; shift 2 ;;
	--transfers) [[ ${2-} =~ ^[1-9][0-9]*$ ]] || die "--transfers wants a count"; TRANSFERS=$2; shift 2 ;;
	-h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
[[ -x $PROXYD && -x $FAKESRV ]] || die "build first: make build"
[[ -x $HAPROXY ]] || die "haproxy is missing: apt-get install haproxy"
command -v curl >/dev/null || die "curl is missing"

case $BYTES in
*k) SIZE=$((${BYTES%k} * 1024)) ;;
*m) SIZE=$((${BYTES%m} * 1024 * 1024)) ;;
*g) SIZE=$((${BYTES%g} * 1024 * 1024 * 1024)) ;;
*) SIZE=$BYTES ;;
esac

OUT=$BENCH_DIR/results/splice-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT" || die "cannot create $OUT"
STARTED=()
trap cleanup EXIT

ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

taskset -c 1 "$FAKESRV" -l "127.0.0.1:$BENCH_ORIGIN_PORT" -q --body-size "$BYTES" \
	>"$OUT/origin.log" 2>&1 &
ORIGIN=$!
STARTED+=("$ORIGIN")
wait_port "$BENCH_ORIGIN_PORT" "$ORIGIN" || die "the origin did not start"

CLK_TCK=$(getconf CLK_TCK)
printf 'proxy\tsplice\trun\tcpu_ms_per_gib\tmib_per_s\n' >"$OUT/runs.tsv"

# One run: start the proxy, K downloads checked for their size, stop it.
one_run() {
	local proxy=$1 splice=$2 run=$3 pid t0 t1 s0 s1 i got

	export BENCH_SPLICE=$splice
	if [[ $proxy == proxyd ]]; then
		taskset -c 0 "$PROXYD" -f "$CFG" >"$OUT/$proxy-$splice-$run.log" 2>&1 &
	else
		taskset -c 0 "$HAPROXY" -db -f "$CFG" >"$OUT/$proxy-$splice-$run.log" 2>&1 &
	fi
	pid=$!
	STARTED+=("$pid")
	wait_port "$BENCH_PROXY_PORT" "$pid" || die "$proxy did not start (log: $OUT/$proxy-$splice-$run.log)"
	t0=$(ticks "$pid")
	s0=$(date +%s%N)
	for ((i = 0; i < TRANSFERS; i++)); do
		got=$(taskset -c 1 curl -s -o /dev/null -w '%{size_download}' --max-time 120 \
			"http://127.0.0.1:$BENCH_PROXY_PORT/")
		[[ $got == "$SIZE" ]] || die "$proxy $splice: downloaded $got bytes, not $SIZE"
	done
	s1=$(date +%s%N)
	t1=$(ticks "$pid")
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	awk -v p="$proxy" -v sp="$splice" -v r="$run" -v t=$((t1 - t0)) -v hz="$CLK_TCK" \
		-v b=$((SIZE * TRANSFERS)) -v ns=$((s1 - s0)) 'BEGIN {
		printf "%s\t%s\t%d\t%.1f\t%.0f\n", p, sp, r, t * 1000 / hz / (b / 2^30),
			b / 2^20 / (ns / 1e9) }' >>"$OUT/runs.tsv"
}

for ((run = 1; run <= RUNS; run++)); do
	for setup in "proxyd tcpka" "proxyd splice-auto" "haproxy tcpka" "haproxy splice-auto"; do
		# shellcheck disable=SC2086
		one_run $setup "$run"
	done
done

# Medians per set-up, and the ratios that matter.
awk -F'\t' 'NR > 1 { k = $1 " " $2; n[k]++; c[k, n[k]] = $4; m[k, n[k]] = $5 }
	function med(a, k, cnt,   i, j, t, v) {
		for (i = 1; i <= cnt; i++) v[i] = a[k, i]
		for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++)
			if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return cnt % 2 ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2 }
	END {
		printf "| proxy | splicing | CPU ms per GiB (median) | MiB/s (median) |\n|---|---|---:|---:|\n"
		split("proxyd tcpka,proxyd splice-auto,haproxy tcpka,haproxy splice-auto", ks, ",")
		for (i = 1; i <= 4; i++) {
			cm[ks[i]] = med(c, ks[i], n[ks[i]]); mm[ks[i]] = med(m, ks[i], n[ks[i]])
			split(ks[i], w, " ")
			printf "| %s | %s | %.1f | %.0f |\n", w[1], w[2] == "tcpka" ? "no" : "splice-auto", cm[ks[i]], mm[ks[i]]
		}
		printf "\nproxyd splice/no splice: %.2f; proxyd/haproxy with splice: %.2f, without: %.2f\n",
			cm["proxyd splice-auto"] / cm["proxyd tcpka"],
			cm["proxyd splice-auto"] / cm["haproxy splice-auto"],
			cm["proxyd tcpka"] / cm["haproxy tcpka"]
	}' "$OUT/runs.tsv" | tee "$OUT/summary.md"
echo "raw: $OUT/runs.tsv"
