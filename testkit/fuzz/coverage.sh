#!/bin/sh
# Line and branch coverage of proxyd's sources reached by a corpus:
#   testkit/fuzz/coverage.sh TARGET [CORPUS_DIR]
# CORPUS_DIR defaults to build/fuzz/work/TARGET (what run.sh grew), else
# testkit/fuzz/corpus/TARGET. Builds build/fuzz/cov/TARGET with clang's
# source-based coverage (no sanitizers), replays the corpus once and prints
# llvm-cov's report for the proxyd files the target compiles. PROXYD_SRC
# as for build.sh.
set -eu
cd "$(dirname "$0")/../.."
t=$1
corpus=${2:-build/fuzz/work/$t}
[ -d "$corpus" ] || corpus=testkit/fuzz/corpus/$t
S=${PROXYD_SRC:-proxyd}
case $t in
h1_*) src=$S/proto/h1.c ;;
cfg_*|rules_*) src=$(ls "$S"/*/*.c | grep -v '/main\.c$') ;;
*) echo "unknown target '$t'" >&2; exit 1 ;;
esac
out=build/fuzz/cov
mkdir -p "$out"
# shellcheck disable=SC2086
clang -g -O1 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
	-D_GNU_SOURCE -std=gnu11 -I"$S" -Itestkit/fuzz -DFUZZ_ROOT="\"$(pwd)\"" \
	-o "$out/$t" "testkit/fuzz/$t.c" $src \
	$(pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8) -lm
# The rules targets stop at known findings unless told (see README.md).
RULES_FUZZ_KNOWN=${RULES_FUZZ_KNOWN:-method,host,authority,target} \
LLVM_PROFILE_FILE="$out/$t.profraw" "$out/$t" -runs=0 "$corpus" >/dev/null 2>&1 || true
llvm-profdata merge -sparse -o "$out/$t.profdata" "$out/$t.profraw"
# shellcheck disable=SC2086
llvm-cov report "$out/$t" -instr-profile="$out/$t.profdata" $src
