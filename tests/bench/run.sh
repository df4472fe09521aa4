#!/bin/sh
# Runs every tests/bench/bench_*.sh and prints their figures.
# Usage: sh tests/bench/run.sh [BUILD]
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
export HS_TOP=$TOP HS_BUILD=$BUILD
rc=0
for b in "$TOP"/tests/bench/bench_*.sh; do
	[ -f "$b" ] || continue
	echo "== $(basename "$b")"
	sh "$b" "$BUILD" || rc=1
done
exit $rc
