#!/bin/sh
# Runs every test: the unit tests (plain and ASan/UBSan builds), then each
# executable tests/*/test_*.sh.  A script exits 0 for pass, 77 for skip
# (it prints why), anything else for fail.  Ends with the summary line
# "N passed, N failed, N skipped".
#   usage: tests/run.sh [BUILD] [PATTERN]
BUILD=${1:-build}
PATTERN=${2:-}
pass=0 fail=0 skip=0 failed=""
TOP=$(cd "$(dirname "$0")/.." && pwd)
export HS_TOP="$TOP" HS_BUILD="$TOP/$BUILD"
LOGDIR="$TOP/$BUILD/test-logs"
mkdir -p "$LOGDIR"

run_one() { # name, command...
	name=$1; shift
	case "$name" in *"$PATTERN"*) ;; *) return ;; esac
	log="$LOGDIR/$(echo "$name" | tr '/' '_').log"
	printf '%-52s ' "$name"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); echo "ok (${secs}s)" ;;
	77) skip=$((skip + 1)); echo "SKIP: $(tail -n 1 "$log")" ;;
	*) fail=$((fail + 1)); failed="$failed $name"; echo "FAIL (rc=$rc, ${secs}s)"
	   echo "---- last lines of $log ----"; tail -n 40 "$log"; echo "----" ;;
	esac
}

for t in "$TOP/$BUILD"/tests/test_*; do
	[ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
for t in "$TOP"/build/asan/tests/test_*; do
	[ -x "$t" ] && run_one "unit-asan/$(basename "$t")" "$t"
done
for t in "$TOP"/tests/*/test_*.sh; do
	[ -f "$t" ] || continue
	rel=${t#"$TOP"/tests/}
	run_one "$rel" sh "$t"
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
