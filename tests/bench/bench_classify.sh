#!/bin/sh
# Classifier throughput without speech recognition: the dev corpus through
# classifyd --eval (the daemon's code path), audio seconds per CPU second
# ("x real time per core").  It runs RUNS times (default 3) and reports the
# best run, the classifier's own cost (other work on the machine only adds
# to a run's CPU time, through shared caches and clocks), with every run's
# figure after it.  Usage: bench_classify.sh [BUILD]
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
# CPU seconds (user + system) of each whole run, WAV reading included.
runs=${RUNS:-3}
all=
i=0
while [ "$i" -lt "$runs" ]; do
	if ! /usr/bin/time -f '%U %S' -o "$tmp" "$BUILD/classifyd" --eval "$MANIFEST" >/dev/null 2>&1; then
		echo "bench_classify: classifyd --eval failed" >&2
		exit 1
	fi
	all="$all $(awk '{ printf "%.3f", $1 + $2 }' "$tmp")"
	i=$((i + 1))
done
echo "$all" | awk -v a="$audio" '{
	best = 0; runs = ""
	for (i = 1; i <= NF; i++) {
		if (best == 0 || $i < best) best = $i
		runs = runs (i > 1 ? "," : "") sprintf("%.0f", $i > 0 ? a / $i : 0)
	}
	printf "classify_throughput_x_realtime_per_core=%.0f audio_s=%s cpu_s=%.3f runs_x=%s\n", (best > 0 ? a / best : 0), a, best, runs }'
