#!/bin/sh
# run-tests.sh: the body of "make test".
#
# Runs every unit test binary (cmocka, TAP output) named in $UNIT_BINS, then
# every testkit scenario under testkit/scenarios with $PXTEST, and ends with
# one line "N passed, N failed". Exits non-zero when anything failed.
# Environment: PROXYD, FAKESRV, PXTEST, PXSH, PTYDRV (exported to the
# scenarios' exec steps), UNIT_BINS; PXTEST_JOBS (default: 4);
# PXTEST_ARGS (extra pxtest arguments, e.g. a scenario subset); PXTEST_CERTS
# (the test PKI directory; default: certs/ in the build directory the
# binaries come from, build/ or build-asan/). pxtest makes the PKI there
# with certs/gen.sh, once per run, cheaply when it is already complete.
passed=0
failed=0

for bin in $UNIT_BINS; do
	out=$(CMOCKA_MESSAGE_OUTPUT=tap "$bin" 2>&1)
	rc=$?
	ok=$(printf '%s\n' "$out" | grep -c '^ok ')
	nok=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
		nok=1   # crashed or failed outside a test case
	fi
	printf '%s\n' "$out" | grep -E '^(not ok|#)' | sed "s|^|$(basename "$bin"): |"
	echo "unit $(basename "$bin"): $ok passed, $nok failed"
	passed=$((passed + ok))
	failed=$((failed + nok))
done

# build/ for "make test", build-asan/ for "make asan" (whose tools are in
# build-asan/bin/).
case $PXTEST in
*/bin/pxtest) build_dir=${PXTEST%/bin/pxtest} ;;
*) build_dir=build ;;
esac
PXTEST_CERTS=${PXTEST_CERTS:-$build_dir/certs}
export PXTEST_CERTS

export PXSH PTYDRV
summary=$(mktemp)
"$PXTEST" --proxyd "$PROXYD" --fakesrv "$FAKESRV" --certs "$PXTEST_CERTS" -j "${PXTEST_JOBS:-4}" \
	${PXTEST_ARGS:-testkit/scenarios} | tee "$summary"
rc=$?
line=$(tail -n 1 "$summary")
rm -f "$summary"
sp=$(printf '%s\n' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
sf=$(printf '%s\n' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
if [ -z "$sp" ]; then
	echo "pxtest did not print its summary (exit $rc)"
	sp=0; sf=1
fi
passed=$((passed + sp))
failed=$((failed + sf))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
