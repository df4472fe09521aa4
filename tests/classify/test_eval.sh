#!/bin/sh
# classifyd --eval on the dev corpus: the last line has the documented
# format, no human is detected where there is none (false_human=0), the
# window accuracy and the number of humans found stay at least where they
# are now (less a small margin), so a regression fails; every ringback,
# busy and DTMF window is right and every DTMF clip gives its digits.
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${HS_BUILD:-$TOP/build}
MANIFEST=$TOP/../shared/corpus/manifest.tsv
FLOOR=0.96
MAX_MISSED=0
MAX_P95=6.0

if [ ! -r "$MANIFEST" ]; then
	echo "skip: no corpus manifest at $MANIFEST"
	exit 77
fi
if [ ! -x "$BUILD/classifyd" ]; then
	echo "FAIL: $BUILD/classifyd is not built"
	exit 1
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

"$BUILD/classifyd" --eval "$MANIFEST" >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out"
cat "$tmp/err" >&2
if [ $rc -ne 0 ]; then
	echo "FAIL: classifyd --eval exited $rc"
	exit 1
fi
last=$(tail -n 1 "$tmp/out")
re='^accuracy=[0-9]\.[0-9]{3} false_human=[0-9]+ missed_human=[0-9]+ human_latency_p50=-?[0-9]+\.[0-9]+ human_latency_p95=-?[0-9]+\.[0-9]+ windows=[0-9]+$'
if ! printf '%s\n' "$last" | grep -Eq "$re"; then
	echo "FAIL: last line has the wrong format: $last"
	exit 1
fi
acc=$(printf '%s\n' "$last" | sed 's/^accuracy=\([0-9.]*\) .*/\1/')
fh=$(printf '%s\n' "$last" | sed 's/.* false_human=\([0-9]*\) .*/\1/')
win=$(printf '%s\n' "$last" | sed 's/.* windows=\([0-9]*\)$/\1/')
if [ "$win" -lt 100 ]; then
	echo "FAIL: only $win windows scored"
	exit 1
fi
miss=$(printf '%s\n' "$last" | sed 's/.* missed_human=\([0-9]*\) .*/\1/')
if [ "$miss" -gt "$MAX_MISSED" ]; then
	echo "FAIL: $miss humans missed (at most $MAX_MISSED allowed)"
	exit 1
fi
if [ "$fh" -ne 0 ]; then
	echo "FAIL: $fh false human detections"
	exit 1
fi
p95=$(printf '%s\n' "$last" | sed 's/.* human_latency_p95=\([-0-9.]*\) .*/\1/')
if ! awk -v p="$p95" -v m="$MAX_P95" 'BEGIN { exit !(p + 0 <= m + 0) }'; then
	echo "FAIL: human latency p95 $p95 s above $MAX_P95 s"
	exit 1
fi
if ! awk -v a="$acc" -v f="$FLOOR" 'BEGIN { exit !(a + 0 >= f + 0) }'; then
	echo "FAIL: accuracy $acc below $FLOOR"
	exit 1
fi
# Tones and DTMF: every window of every tone clip right (the quiet before
# a cadence's first burst is silence), and every clip's digits exact.
for lab in ringback busy dtmf; do
	line=$(grep -E "^  $lab +[0-9.]+ \(" "$tmp/out")
	case $line in
	*" 1.000 ("*) ;;
	*) echo "FAIL: $lab windows not all right: ${line:-no per-label line}"; exit 1 ;;
	esac
done
if grep -E "digits heard '[^']*' expected" "$tmp/out" |
	grep -vE "digits heard '([^']*)' expected '\1'" | grep -q .; then
	echo "FAIL: DTMF digits differ:"
	grep -E "digits heard" "$tmp/out"
	exit 1
fi
grep -q "ringback_04.wav .* (the first 4 before the first burst: silence)" "$tmp/out" ||
	{ echo "FAIL: dv_ringback_04's 2 s of lead silence not scored as silence"; exit 1; }

# A bad row and a missing file: named on stderr, the rest still scored,
# non-zero exit.
cp "$MANIFEST" "$tmp/m.tsv"
printf 'music/nope.wav\tmusic\t1\tx\tx\tx\n' >>"$tmp/m.tsv"
printf 'music/dv_music_01.wav\tjazz\t1\tx\tx\tx\n' >>"$tmp/m.tsv"
sed -i "s|^\([a-z_]*/\)|$TOP/../shared/corpus/\1|" "$tmp/m.tsv"
"$BUILD/classifyd" --eval "$tmp/m.tsv" >"$tmp/out2" 2>"$tmp/err2"
rc=$?
if [ $rc -eq 0 ]; then
	echo "FAIL: a bad manifest exited 0"
	exit 1
fi
grep -q "nope.wav" "$tmp/err2" || { echo "FAIL: missing file not named"; cat "$tmp/err2"; exit 1; }
grep -q "m.tsv:.*unknown label 'jazz'" "$tmp/err2" || { echo "FAIL: bad label not named"; cat "$tmp/err2"; exit 1; }
tail -n 1 "$tmp/out2" | grep -Eq "$re" || { echo "FAIL: no summary after bad rows"; exit 1; }
echo "ok: $last"
