# bench/lib.sh: helpers the benchmark scripts share (sourced, not run).

# Waits until something accepts on 127.0.0.1:PORT (5 s at most) while PID
# lives. Returns 0 when it does.
wait_port() {
	local port=$1 pid=$2 i

	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Stops the processes the script started (their PIDs in the STARTED array)
# that are still alive: SIGTERM, then SIGKILL 0.3 s later. For the EXIT
# trap.
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local pid

	for pid in "${STARTED[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
	done
	sleep 0.3
	for pid in "${STARTED[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	done
}

# --- the measurement procedure of run.sh and lua.sh -------------------------
# These use the caller's globals: CHECKS and NOTES (files), QUIET_PCT, and
# ORIGIN_COUNTER; die() is the caller's.

positive_int() {
	[[ $2 =~ ^[0-9]+$ ]] && (($2 > 0)) || die "$1 wants a positive integer, got '$2'"
}

# A check that did not hold: the run is not valid as claimed (exit 1).
check() {
	echo "CHECK: $*" | tee -a "$CHECKS" >&2
}

# Something that may have disturbed a run but does not invalidate it.
note() {
	echo "NOTE: $*" | tee -a "$NOTES" >&2
}

# Stops one process started here: SIGTERM, up to 5 s, then SIGKILL.
# Prints "ok", "killed" (it ignored SIGTERM) or "gone" (already dead).
stop_pid() {
	local pid=$1 i

	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		echo gone
		return
	fi
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; echo ok; return; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo killed
}

proc_threads() {
	awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# "busy total" ticks of one CPU from /proc/stat (busy excludes idle, iowait).
cpu_ticks() {
	awk -v cpu="cpu$1" '$1 == cpu { t = 0; for (i = 2; i <= NF; i++) t += $i;
		print t - $5 - $6, t }' /proc/stat
}

# TCP connections accepted in this network namespace so far.
passive_opens() {
	awk '/^Tcp:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") col = i; n = 1 }
		else print $col }' /proc/net/snmp
}

# Connections the origin accepted so far (its acceptcount.so counter).
origin_accepts() {
	od -An -t u8 "$ORIGIN_COUNTER" 2>/dev/null | tr -d ' ' || echo 0
}

# Busy percentage of CPU 0 and CPU 1 over half a second.
cpu_busy_pct() {
	local a0 a0t a1 a1t b0 b0t b1 b1t

	read -r a0 a0t < <(cpu_ticks 0); read -r a1 a1t < <(cpu_ticks 1)
	sleep 0.5
	read -r b0 b0t < <(cpu_ticks 0); read -r b1 b1t < <(cpu_ticks 1)
	awk -v a=$((b0 - a0)) -v at=$((b0t - a0t)) -v b=$((b1 - a1)) -v bt=$((b1t - a1t)) \
		'BEGIN { printf "%.0f %.0f\n", at ? a * 100 / at : 0, bt ? b * 100 / bt : 0 }'
}

# Waits (30 s at most) until both CPUs are nearly idle, so that a run does
# not start while other work (a build, a test suite) is using the machine.
wait_quiet() {
	local i busy0 busy1

	for ((i = 0; i < 60; i++)); do
		read -r busy0 busy1 < <(cpu_busy_pct)
		((busy0 <= QUIET_PCT && busy1 <= QUIET_PCT)) && return 0
	done
	note "$1: the machine was still busy after 30 s (CPU 0 ${busy0}%, CPU 1 ${busy1}%); measured anyway"
}

col() {
	head -1 "$RAW" | tr '\t' '\n' | grep -nx "$1" | cut -d: -f1
}

fmt() {
	[[ -z $2 ]] && { echo "-"; return; }
	awk -v v="$2" -v f="$1" 'BEGIN { printf f, v }'
}

ratio() {
	[[ -z $1 || -z $2 ]] && { echo "-"; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'
}
