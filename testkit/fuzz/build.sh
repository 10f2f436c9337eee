#!/bin/sh
# Builds the libFuzzer targets of testkit/fuzz/ into build/fuzz/ (needs
# clang and libFuzzer: apt-get install -y clang libclang-rt-14-dev).
#   testkit/fuzz/build.sh            every target
#   testkit/fuzz/build.sh h1_req ... only those
# CC (default clang) and FUZZ_CFLAGS (extra flags) may be set. PROXYD_SRC
# (default proxyd) names another copy of proxyd's sources, to fuzz a
# committed state while the tree is being edited:
#   git archive HEAD proxyd | tar -x -C /tmp/pxsrc
#   PROXYD_SRC=/tmp/pxsrc/proxyd testkit/fuzz/build.sh rules_req
# Not part of "make test". Targets are built two at a time.
set -eu
cd "$(dirname "$0")/../.."
CC=${CC:-clang}
OUT=build/fuzz
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
-fno-omit-frame-pointer \
-D_GNU_SOURCE -std=gnu11 -Wall -Wextra -Wno-unused-parameter -I${PROXYD_SRC:-proxyd} \
-Itestkit/fuzz \
${FUZZ_CFLAGS:-}"
SRC=${PROXYD_SRC:-proxyd}
H1_SRC=$SRC/proto/h1.c
# Everything but main.c: the configuration loader reaches most modules.
ALL_SRC=$(ls "$SRC"/*/*.c | grep -v '/main\.c$')
# The rules engine compiles its regexes with PCRE2.
LIBS="$(pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8) -lm"

sources() {
	case $1 in
	h1_req|h1_res|h1_chunk|h1_lists) echo "$H1_SRC" ;;
	cfg_tok|cfg_load|rules_req|rules_res) echo "$ALL_SRC" ;;
	*) echo "unknown target '$1'" >&2; return 1 ;;
	esac
}

build() {
	src=$(sources "$1") || return 1
	# shellcheck disable=SC2086
	# The rules targets find their configuration files through this.
	if $CC $CFLAGS -DFUZZ_ROOT="\"$(pwd)\"" -o "$OUT/$1" "testkit/fuzz/$1.c" $src $LIBS; then
		echo "  FUZZ    $OUT/$1"
	else
		echo "  FAILED  $OUT/$1" >&2
		return 1
	fi
}

command -v "$CC" >/dev/null || { echo "$CC not found (apt-get install -y clang libclang-rt-14-dev)" >&2; exit 1; }
mkdir -p "$OUT"
[ $# -gt 0 ] || set -- h1_req h1_res h1_chunk h1_lists cfg_tok cfg_load rules_req rules_res
status=0
while [ $# -gt 0 ]; do
	build "$1" & p1=$!
	p2=
	if [ $# -gt 1 ]; then
		build "$2" & p2=$!
		shift
	fi
	shift
	wait $p1 || status=1
	[ -z "$p2" ] || wait $p2 || status=1
done
exit $status
