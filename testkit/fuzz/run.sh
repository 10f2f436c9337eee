#!/bin/sh
# Runs one fuzz target for a bounded time:
#   testkit/fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags...]
# The committed seeds (corpus/TARGET) are copied into a working corpus in
# build/fuzz/work/TARGET, which grows there and is never committed; crash,
# timeout and leak artifacts go to build/fuzz/artifacts/TARGET/, the log
# to build/fuzz/logs/TARGET.log. Default time: 300 s.
set -eu
cd "$(dirname "$0")/../.."
t=$1
secs=${2:-300}
[ $# -lt 2 ] || shift
shift
case $t in
h1_*) dict=testkit/fuzz/http.dict ;;
cfg_*) dict=testkit/fuzz/cfg.dict ;;
rules_*) dict=testkit/fuzz/rules.dict ;;
*) echo "unknown target '$t'" >&2; exit 1 ;;
esac
[ -x "build/fuzz/$t" ] || testkit/fuzz/build.sh "$t"
mkdir -p "build/fuzz/work/$t" "build/fuzz/artifacts/$t" build/fuzz/logs
cp -n testkit/fuzz/corpus/"$t"/* "build/fuzz/work/$t/" 2>/dev/null || true
exec "build/fuzz/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	-dict="$dict" -print_final_stats=1 \
	-artifact_prefix="build/fuzz/artifacts/$t/" "$@" \
	"build/fuzz/work/$t" >"build/fuzz/logs/$t.log" 2>&1
