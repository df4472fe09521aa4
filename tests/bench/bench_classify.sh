#!/bin/sh
# Classifier throughput without speech recognition: the dev corpus through
# classifyd --eval (the daemon's code path), audio seconds per CPU second
# ("x real time per core").  Usage: bench_classify.sh [BUILD]
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${1:-${HS_BUILD:-$TOP/build}}
MANIFEST=$TOP/../shared/corpus/manifest.tsv

if [ ! -r "$MANIFEST" ] || [ ! -x "$BUILD/classifyd" ]; then
	echo "bench_classify: skipped (no corpus or no $BUILD/classifyd)"
	exit 0
fi
audio=$(awk -F'\t' 'NR > 1 && $3 + 0 > 0 { s += $3 } END { printf "%.1f", s }' "$MANIFEST")
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
# CPU seconds (user + system) of the whole run, WAV reading included.
/usr/bin/time -f '%U %S' -o "$tmp" "$BUILD/classifyd" --eval "$MANIFEST" >/dev/null 2>&1
cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$tmp")
awk -v a="$audio" -v c="$cpu" 'BEGIN {
	printf "classify_throughput_x_realtime_per_core=%.0f audio_s=%s cpu_s=%s\n", (c > 0 ? a / c : 0), a, c }'
