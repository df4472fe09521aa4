#!/bin/sh
# classifyd --eval with bad rows in its manifest: each bad row gets an error
# naming the manifest line and the file (a malformed WAV, a missing file, an
# unknown label, a row without a label), a clip shorter than the manifest
# says gets a warning, the good rows are still judged, the last line keeps
# its format and the exit status is 1.
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${HS_BUILD:-$TOP/build}

fail() { echo "FAIL: $*"; exit 1; }
command -v sox >/dev/null 2>&1 || { echo "skip: sox is not installed"; exit 77; }
[ -x "$BUILD/classifyd" ] || fail "$BUILD/classifyd is not built"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# A tone clip of 4 s, a copy cut off after 1 s of audio, a WAV with a
# broken header, and a 16 kHz clip (read and resampled: not an error).
sox -n -r 8000 -c 1 -b 16 "$tmp/tone.wav" synth 4 sine 440 sine 480 gain -6 \
	|| fail "sox could not make the tone"
head -c $((44 + 16000)) "$tmp/tone.wav" >"$tmp/cut.wav"
head -c 20 "$tmp/tone.wav" >"$tmp/broken.wav"
sox -n -r 16000 -c 1 -b 16 "$tmp/r16.wav" synth 3 whitenoise gain -60
T="$(printf '\t')"
{
	printf 'file%slabel%sseconds%ssource%slicense%snotes\n' "$T" "$T" "$T" "$T" "$T"
	printf 'tone.wav%sringback%s4.00%sx%sx%s\n' "$T" "$T" "$T" "$T" "$T"
	printf 'cut.wav%sringback%s4.00%sx%sx%s\n' "$T" "$T" "$T" "$T" "$T"
	printf 'broken.wav%ssilence_noise%s1.00%sx%sx%s\n' "$T" "$T" "$T" "$T" "$T"
	printf 'absent.wav%ssilence_noise%s1.00%sx%sx%s\n' "$T" "$T" "$T" "$T" "$T"
	printf 'r16.wav%snot_a_label%s3.00%sx%sx%s\n' "$T" "$T" "$T" "$T" "$T"
	printf 'r16.wav\n'
	printf 'r16.wav%ssilence_noise%s3.00%sx%sx%s\n' "$T" "$T" "$T" "$T" "$T"
} >"$tmp/m.tsv"

"$BUILD/classifyd" --eval "$tmp/m.tsv" >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out"
cat "$tmp/err"
[ $rc -eq 1 ] || fail "exit status $rc with bad rows, not 1"
grep -q 'm.tsv:3: cut.wav: warning: 1.00 s of audio, the manifest says 4.00 s' "$tmp/err" \
	|| fail "no warning naming the cut-short clip"
grep -q 'm.tsv:4: .*broken.wav: .*fmt' "$tmp/err" || fail "no error naming the broken WAV"
grep -q 'm.tsv:5: .*absent.wav: .*No such file' "$tmp/err" || fail "no error naming the absent file"
grep -q "m.tsv:6: r16.wav: unknown label 'not_a_label'" "$tmp/err" \
	|| fail "no error naming the unknown label"
grep -q 'm.tsv:7: ' "$tmp/err" || fail "no error for the row without a label"
# The good rows (tone, cut, the last r16) were judged all the same.
for f in tone.wav cut.wav; do
	grep -q "^$f .*ringback" "$tmp/out" || fail "$f was not judged"
done
grep -q '^r16.wav .*silence_noise' "$tmp/out" || fail "the good r16.wav row was not judged"
last=$(tail -n 1 "$tmp/out")
echo "$last" | grep -Eq '^accuracy=[0-9]\.[0-9]{3} false_human=0 missed_human=0 human_latency_p50=-1\.00 human_latency_p95=-1\.00 windows=[1-9][0-9]*$' \
	|| fail "last line is '$last'"
echo "ok: bad manifest rows are named, good rows still judged"
