#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run `make check`, and print each
# suite's Check summary and a closing "N passed, N failed" line.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
bash "$top/scripts/deps.sh" || exit 1
bash "$top/scripts/build.sh" || exit 1
cd "$build" || exit 1
make -j"$(nproc)" check >make-check.out 2>&1
rc=$?
for log in tests/check_*.log; do
    [ -f "$log" ] && printf '  %-28s %s\n' "$(basename "$log" .log)" "$(grep -h "Checks:" "$log")"
done
grep -E "^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):" make-check.out
if [ $rc -ne 0 ]; then
    echo "make check failed; the logs of the failing tests:"
    for log in $(grep -lE "^(FAIL|ERROR)" tests/*.log examples/*.log 2>/dev/null); do
        echo "==> $log"; tail -40 "$log"
    done
    tail -30 make-check.out
fi
pass=$(sed -n 's/^# PASS: *//p' test-suite.log 2>/dev/null)
fail=$(sed -n 's/^# FAIL: *//p' test-suite.log 2>/dev/null)
err=$(sed -n 's/^# ERROR: *//p' test-suite.log 2>/dev/null)
echo "tests: ${pass:-0} passed, $(( ${fail:-0} + ${err:-0} )) failed"
exit $rc
