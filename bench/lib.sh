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
