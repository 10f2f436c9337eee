#!/bin/sh
# wait-listen.sh PORT [SECONDS]: waits until a TCP socket listens on PORT in
# the current network namespace (run it with exec-in), 2 seconds at most by
# default; exits 0 once it listens, 1 when it did not in time. For helpers
# started in the background (socat) that have no readiness signal of their own.
port=$1
limit=${2:-2}
i=0
while [ "$i" -lt $((limit * 50)) ]; do
	if [ -n "$(ss -Hltn "sport = :$port")" ]; then
		exit 0
	fi
	sleep 0.02
	i=$((i + 1))
done
echo "nothing listens on port $port after ${limit}s" >&2
exit 1
