#!/usr/bin/env bash
# bench/rules-check.sh: checks that the "rules" benchmark case does what it
# claims, on haproxy and/or proxyd (see bench/README.md, "The rules case").
#
#   bench/rules-check.sh [haproxy] [proxyd] [--write-expect]
#
# 1. Replays HAProxy's evaluation order on bench/cfg/rules.cfg
#    (bench/rules-eval.awk) with the T/F noted after each ACL: how many
#    named ACLs the bench request tests, how many rewrites it reaches.
# 2. For each proxy (default: both): loads rules.cfg with one probe rule per
#    ACL inserted at the "(rules-check.sh probes)" marker
#    ("http-request add-header X-Acl-True NAME if NAME"), sends the bench
#    request (bench/cfg/rules.req) with curl, and checks that the ACLs the
#    origin reports true are exactly those noted T.
# 3. Loads rules.cfg unchanged, sends the bench request twice on one
#    keep-alive connection, and compares what the origin (fakesrv --record)
#    and the client received with bench/cfg/rules.expect (haproxy 2.6's
#    output, reviewed). A difference in header-name case, in the order of
#    the headers or in the white space around the commas of a list is
#    reported; any other fails. The second request must be rewritten as
#    the first.
#
# --write-expect rewrites bench/cfg/rules.expect from haproxy's output.
# Ports: 18600 (proxy) and 18601 (origin), or RULES_CHECK_PROXY_PORT and
# RULES_CHECK_ORIGIN_PORT. Binaries: $PROXYD (default proxyd/proxyd, copied
# first), $FAKESRV (testkit/fakesrv/fakesrv), $HAPROXY (/usr/sbin/haproxy).
# Files are kept in $RULES_CHECK_DIR, else a temporary directory; printed
# at the end.
# Exit status: 0 when every check held, 1 otherwise, 2 on a set-up error.
# It stops only the processes it started, by PID, and each step is bounded
# by timeout.

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
ROOT=$(cd "$BENCH_DIR/.." && pwd)
CFG=$BENCH_DIR/cfg/rules.cfg
REQ=$BENCH_DIR/cfg/rules.req
EXPECT=$BENCH_DIR/cfg/rules.expect
PROXY_PORT=${RULES_CHECK_PROXY_PORT:-18600}
ORIGIN_PORT=${RULES_CHECK_ORIGIN_PORT:-18601}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
FAKESRV=${FAKESRV:-$ROOT/testkit/fakesrv/fakesrv}
PROXYD_SRC=${PROXYD:-$ROOT/proxyd/proxyd}

# shellcheck source=bench/rules-req.sh
. "$BENCH_DIR/rules-req.sh"

PROXIES=()
WRITE_EXPECT=0
for arg in "$@"; do
	case $arg in
	haproxy | proxyd) PROXIES+=("$arg") ;;
	--write-expect) WRITE_EXPECT=1 ;;
	-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "rules-check: unknown argument '$arg'" >&2; exit 2 ;;
	esac
done
((${#PROXIES[@]})) || PROXIES=(haproxy proxyd)
((WRITE_EXPECT)) && [[ " ${PROXIES[*]} " != *" haproxy "* ]] && PROXIES=(haproxy "${PROXIES[@]}")

die() {
	echo "rules-check: $*" >&2
	exit 2
}

read_rules_req "$REQ" || die "no request target in $REQ"
[[ -x $FAKESRV ]] || die "no $FAKESRV (make testkit/fakesrv/fakesrv)"
command -v curl >/dev/null || die "curl is missing (apt-get install curl)"
command -v perl >/dev/null || die "perl is missing (apt-get install perl)"

if [[ -n ${RULES_CHECK_DIR-} ]]; then
	WORK=$RULES_CHECK_DIR
	mkdir -p "$WORK" || die "cannot create $WORK"
else
	WORK=$(mktemp -d /tmp/rules-check.XXXXXX) || die "cannot create a temporary directory"
fi
FAILED=0
STARTED=()

trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL: $*"
	FAILED=1
}

# SIGTERM, 5 s at most, then SIGKILL.
stop_pid() {
	local pid=$1 i

	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 1
}

# Prints the head of the K-th request in a fakesrv record file.
record_head() {
	perl -e '
		local $/; open(my $f, "<", $ARGV[0]) or exit 1; my $d = <$f>; my $pos = 0;
		while ((my $i = index($d, "@@ ", $pos)) >= 0) {
			my $e = index($d, "\n", $i); last if $e < 0;
			my $line = substr($d, $i, $e - $i); $pos = $e + 1;
			next unless $line =~ /^@@ req (\d+) conn \d+ head (\d+) body \d+ stored (\d+)/;
			if ($1 == $ARGV[1]) { print substr($d, $pos, $2); exit 0 }
			$pos += $2 + $3 + 1;
		}
		exit 1' "$1" "$2"
}

# A head with CRs and the final blank line removed.
plain_head() {
	tr -d '\r' | sed '/^$/d'
}

# A head with header names lower-cased.
lower_names() {
	awk 'NR == 1 { print; next } { i = index($0, ":"); print tolower(substr($0, 1, i)) substr($0, i + 1) }'
}

# The same with the headers sorted after line 1.
norm_head() {
	lower_names | { IFS= read -r first; echo "$first"; sort; }
}

# The same with the blanks around commas removed: the optional white space
# of a comma-separated list, which carries no meaning (RFC 9110, 5.6.1).
norm_list() {
	norm_head | sed 's/[ \t]*,[ \t]*/,/g'
}

# How head B differs from head A: prints "identical", "case" (header-name
# case only), "order" (and the order of the headers), "ows" (and white
# space around commas) or "different".
classify() {
	if cmp -s "$1" "$2"; then
		echo identical
	elif cmp -s <(lower_names <"$1") <(lower_names <"$2"); then
		echo case
	elif cmp -s <(norm_head <"$1") <(norm_head <"$2"); then
		echo order
	elif cmp -s <(norm_list <"$1") <(norm_list <"$2"); then
		echo ows
	else
		echo different
	fi
}

# Says how head B (NAME_B) differs from head A (NAME_A), with the lines
# that differ (names lower-cased). Returns 1 when they differ in meaning.
explain() {
	local a=$1 b=$2 name_a=$3 name_b=$4 what=$5

	case $(classify "$a" "$b") in
	identical) echo "  $what: $name_b identical to $name_a" ;;
	case) echo "  $what: $name_b identical to $name_a but for the case of header names" ;;
	order)
		echo "  $what: $name_b has the headers of $name_a (names in any case), in another order (< $name_a, > $name_b):"
		diff <(lower_names <"$a") <(lower_names <"$b") | sed 's/^/    /' ;;
	ows)
		echo "  $what: $name_b differs from $name_a only by white space around commas in a list" \
			"(equivalent in HTTP; names lower-cased and sorted, < $name_a, > $name_b):"
		diff <(norm_head <"$a") <(norm_head <"$b") | sed 's/^/    /' ;;
	*)
		echo "  $what: $name_b differs from $name_a (names lower-cased and sorted, < $name_a, > $name_b):"
		diff <(norm_head <"$a") <(norm_head <"$b") | sed 's/^/    /'
		return 1 ;;
	esac
	return 0
}

# Section NAME (origin or client) of the expect file.
expect_section() {
	awk -v s="=== $1" '$0 == s { on = 1; next } /^=== / { on = 0 } on && !/^#/' "$EXPECT"
}

CURL_ARGS=()
for h in "${RULES_HEADERS[@]}"; do
	CURL_ARGS+=(-H "$h")
done
URL=http://127.0.0.1:$PROXY_PORT$RULES_TARGET

# --- 1. the static replay ------------------------------------------------------

echo "== rules.cfg on the bench request (bench/rules-eval.awk: HAProxy's evaluation order, T/F notes)"
awk -f "$BENCH_DIR/rules-eval.awk" "$CFG" >"$WORK/eval.txt" || fail "rules-eval.awk: $(grep ^error "$WORK/eval.txt")"
ev() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$WORK/eval.txt"; }
echo "  named ACLs: $(ev acls_defined) defined ($(ev acls_true) true on the bench request)," \
	"$(ev acls_tested) tested on each request, $(ev acl_tests) tests in all;" \
	"anonymous ACL tests: $(ev anon_tests)"
echo "  header rewrites reached: $(ev rewrites_reached) ($(ev rewrites_applied) apply);" \
	"rules reached: $(ev rules_reached); backend: $(ev backend); denied: $(ev denied)"
[[ -z $(ev untested) ]] || fail "ACLs never tested on the bench request: $(ev untested)"
[[ $(ev denied) == 0 ]] || fail "the bench request would be denied: $(grep ^denied-by "$WORK/eval.txt")"
EXPECT_TRUE=$(awk '$1 == "acl" && /#[ \t]*T[ \t]*$/ { print $2 }' "$CFG" | sort | tr '\n' ' ')

# wrk (which bench/run.sh uses) silently drops a header it cannot parse:
# check that one of its requests carries every header of rules.req.
if command -v wrk >/dev/null; then
	mkdir -p "$WORK/wrk"
	"$FAKESRV" -l "127.0.0.1:$ORIGIN_PORT" -q --record "$WORK/wrk/wrk.rec" --body-size 100 \
		>"$WORK/wrk/origin.out" 2>&1 &
	ORIGIN_PID=$!
	STARTED+=("$ORIGIN_PID")
	wait_port "$ORIGIN_PORT" "$ORIGIN_PID" || die "the origin did not start on port $ORIGIN_PORT"
	timeout 10 wrk -t1 -c1 -d1s "${CURL_ARGS[@]}" "http://127.0.0.1:$ORIGIN_PORT$RULES_TARGET" \
		>"$WORK/wrk/wrk.out" 2>&1
	stop_pid "$ORIGIN_PID"
	record_head "$WORK/wrk/wrk.rec" 1 | plain_head >"$WORK/wrk/head.txt"
	if [[ $(head -1 "$WORK/wrk/head.txt") != "GET $RULES_TARGET HTTP/1.1" ]] ||
		! cmp -s <(sed 1d "$WORK/wrk/head.txt" | sort) <(printf '%s\n' "${RULES_HEADERS[@]}" | sort); then
		fail "wrk does not send the request of rules.req (< wrk, > rules.req):"
		diff <(sed 1d "$WORK/wrk/head.txt" | sort) <(printf '%s\n' "${RULES_HEADERS[@]}" | sort) | sed 's/^/    /'
	else
		echo "  wrk sends the request of rules.req: the target and all ${#RULES_HEADERS[@]} headers, once each"
	fi
fi

# The probe configuration: one add-header per ACL at the marker.
awk '$1 == "acl" { names[++n] = $2 }
	/\(rules-check\.sh probes\)/ { print; for (i = 1; i <= n; i++)
		printf "    http-request add-header X-Acl-True %s if %s\n", names[i], names[i]; next }
	{ print }' "$CFG" >"$WORK/rules-probe.cfg"
grep -q X-Acl-True "$WORK/rules-probe.cfg" || die "no probe marker in $CFG"

# haproxy wants about 2 x maxconn descriptors ("strict-limits").
HAPROXY_EXTRA=()
if (($(ulimit -Hn) < 20300)); then
	HAPROXY_EXTRA=(-f "$BENCH_DIR/cfg/haproxy-fdlimit.cfg")
fi
export BENCH_PROXY_PORT=$PROXY_PORT BENCH_ORIGIN_PORT=$ORIGIN_PORT

ORIGIN_PID=
start_origin() {
	local rec=$1

	"$FAKESRV" -l "127.0.0.1:$ORIGIN_PORT" -q --record "$rec" --body-size 100 \
		"${RULES_ORIGIN_ARGS[@]}" >"$rec.out" 2>&1 &
	ORIGIN_PID=$!
	STARTED+=("$ORIGIN_PID")
	wait_port "$ORIGIN_PORT" "$ORIGIN_PID" || die "the origin did not start on port $ORIGIN_PORT ($rec.out)"
}

PROXY_PID=
start_proxy() {
	local proxy=$1 cfg=$2 log=$3

	case $proxy in
	haproxy) "$HAPROXY" -f "$cfg" "${HAPROXY_EXTRA[@]}" -db >"$log" 2>&1 & ;;
	proxyd) "$WORK/bin/proxyd" -f "$cfg" >"$log" 2>&1 & ;;
	esac
	PROXY_PID=$!
	STARTED+=("$PROXY_PID")
	wait_port "$PROXY_PORT" "$PROXY_PID" || { fail "$proxy did not start on $cfg:"; sed 's/^/    /' "$log"; return 1; }
}

# One proxy: the ACL probe run, then the plain run.
check_proxy() {
	local proxy=$1 dir=$WORK/$1 got missing extra n

	mkdir -p "$dir"
	echo "== $proxy"
	if [[ $proxy == proxyd ]]; then
		mkdir -p "$WORK/bin" && cp "$PROXYD_SRC" "$WORK/bin/proxyd" 2>/dev/null || { fail "no proxyd binary at $PROXYD_SRC"; return; }
		if ! timeout 20 "$WORK/bin/proxyd" -c -f "$CFG" >"$dir/check.txt" 2>&1; then
			fail "proxyd -c rejects rules.cfg:"
			sed 's/^/    /' "$dir/check.txt"
			return
		fi
	else
		[[ -x $HAPROXY ]] || { fail "no $HAPROXY (apt-get install haproxy)"; return; }
		timeout 20 "$HAPROXY" -c -f "$CFG" "${HAPROXY_EXTRA[@]}" >"$dir/check.txt" 2>&1 ||
			{ fail "haproxy -c rejects rules.cfg:"; sed 's/^/    /' "$dir/check.txt"; return; }
	fi
	if grep -qi 'warning' "$dir/check.txt"; then
		echo "  warnings from $proxy -c:"
		grep -i warning "$dir/check.txt" | grep -v 'FD limit\|ulimit' | sed 's/^/    /'
	fi

	# ACL probes.
	start_origin "$dir/probe.rec"
	if start_proxy "$proxy" "$WORK/rules-probe.cfg" "$dir/probe.log"; then
		timeout 10 curl -s --http1.1 -o /dev/null -w '%{http_code}' "${CURL_ARGS[@]}" "$URL" >"$dir/probe.status"
		got=$(record_head "$dir/probe.rec" 1 | tr -d '\r' |
			awk -F': ' 'tolower($1) == "x-acl-true" { print $2 }' | sort | tr '\n' ' ')
		if [[ $(cat "$dir/probe.status") != 200 ]]; then
			fail "$proxy: the probe request got status $(cat "$dir/probe.status")"
		elif [[ $got == "$EXPECT_TRUE" ]]; then
			echo "  ACLs: the $(wc -w <<<"$got") noted T are true, the others false"
		else
			missing=$(comm -23 <(tr ' ' '\n' <<<"$EXPECT_TRUE" | sed '/^$/d') <(tr ' ' '\n' <<<"$got" | sed '/^$/d') | tr '\n' ' ')
			extra=$(comm -13 <(tr ' ' '\n' <<<"$EXPECT_TRUE" | sed '/^$/d') <(tr ' ' '\n' <<<"$got" | sed '/^$/d') | tr '\n' ' ')
			fail "$proxy: ACLs noted T but false: ${missing:-none}; noted F but true: ${extra:-none}"
		fi
		stop_pid "$PROXY_PID" || fail "$proxy ignored SIGTERM"
	fi
	stop_pid "$ORIGIN_PID"

	# The plain configuration, two requests on one connection.
	start_origin "$dir/origin.rec"
	if start_proxy "$proxy" "$CFG" "$dir/proxy.log"; then
		timeout 10 curl -s --http1.1 -D "$dir/client.raw" -o "$dir/body" "${CURL_ARGS[@]}" "$URL" "$URL" \
			>/dev/null 2>&1 || fail "$proxy: curl failed"
		stop_pid "$PROXY_PID" || fail "$proxy ignored SIGTERM"
	fi
	stop_pid "$ORIGIN_PID"
	[[ -s $dir/origin.rec ]] || { fail "$proxy: the origin received nothing"; return; }
	record_head "$dir/origin.rec" 1 | plain_head >"$dir/origin.txt"
	record_head "$dir/origin.rec" 2 | plain_head >"$dir/origin2.txt"
	awk 'NR > 1 && /^HTTP\// { exit } { print }' "$dir/client.raw" | plain_head >"$dir/client.txt"
	# (the origin's first connection is wait_port's, without a request)
	n=$(awk '$2 == "req" { c[$5] = 1 } END { print length(c) }' "$dir/origin.rec")
	[[ $n == 1 ]] || echo "  note: the 2 requests reached the origin on $n connections"
	if ! [[ -s $dir/origin2.txt ]]; then
		fail "$proxy: the second request did not reach the origin"
	elif ! cmp -s "$dir/origin.txt" "$dir/origin2.txt"; then
		fail "$proxy: the second request on the connection was rewritten differently:"
		diff "$dir/origin.txt" "$dir/origin2.txt" | sed 's/^/    /'
	fi
}

# What PROXY sent to the origin or the client, against rules.expect: a
# difference in meaning fails; name case, order and list white space are
# reported only.
compare() {
	local proxy=$1 what=$2

	explain "$WORK/expect.$what" "$WORK/$proxy/$what.txt" rules.expect "$proxy" "$what" ||
		fail "$proxy: what the $what received differs from rules.expect (above)"
}

for proxy in "${PROXIES[@]}"; do
	check_proxy "$proxy"
	if ((WRITE_EXPECT)) && [[ $proxy == haproxy ]]; then
		{
			echo "# What the origin and the client receive for the bench request"
			echo "# (bench/cfg/rules.req) through bench/cfg/rules.cfg, as $("$HAPROXY" -v | head -1 | cut -d' ' -f1-3)"
			echo "# produced it (bench/rules-check.sh --write-expect), reviewed by hand."
			echo "# rules-check.sh compares each proxy's output with it."
			echo "=== origin"
			cat "$WORK/haproxy/origin.txt"
			echo "=== client"
			cat "$WORK/haproxy/client.txt"
		} >"$EXPECT.tmp" && mv "$EXPECT.tmp" "$EXPECT"
		echo "  written $EXPECT"
	fi
	if [[ -s $EXPECT && -s $WORK/$proxy/origin.txt ]]; then
		expect_section origin >"$WORK/expect.origin"
		expect_section client >"$WORK/expect.client"
		compare "$proxy" origin
		compare "$proxy" client
	fi
done

if [[ " ${PROXIES[*]} " == *" haproxy "* && " ${PROXIES[*]} " == *" proxyd "* &&
	-s $WORK/haproxy/origin.txt && -s $WORK/proxyd/origin.txt ]]; then
	echo "== proxyd against haproxy (heads without CRs)"
	for what in origin client; do
		explain "$WORK/haproxy/$what.txt" "$WORK/proxyd/$what.txt" haproxy proxyd "$what"
	done
fi
echo "rules-check: files in $WORK"
((FAILED)) && { echo "rules-check: some checks did not hold"; exit 1; }
echo "rules-check: every check held"
exit 0
