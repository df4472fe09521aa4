#!/bin/sh
# Live-human detection and window accuracy on held-out material: builds
# 28 hold sessions and 20 single-class window clips (music, announcements,
# line noise) with tests/classify/make-sessions.sh (other music, prompts,
# voices and speech stretches than the dev corpus) into a temporary
# directory and prints the last line of classifyd --eval on them (its
# accuracy= is the clips' windows), with the build time;
# then the same for their degraded copies (tests/classify/make-degraded.sh:
# G.711 round trips on top of the session's own channel, band-pass, noise
# at 20 dB SNR, -12 dB, +6 dB); then the same sessions and clips rebuilt
# through one channel each (CHANNEL= of make-sessions.sh: clean, band-pass, G.711
# mu-law and A-law, GSM, hiss at -45 and -60 dBFS).
# Usage: bench_sessions.sh [BUILD]
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${1:-${HS_BUILD:-$TOP/build}}
CORPUS=$TOP/../shared/corpus

if [ ! -d "$CORPUS/speech_live" ] || [ ! -x "$BUILD/classifyd" ]; then
	echo "bench_sessions: skipped (no corpus or no $BUILD/classifyd)"
	exit 0
fi
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
t0=$(date +%s)
if ! bash "$TOP/tests/classify/make-sessions.sh" "$out/set" "$CORPUS" >"$out/build.log" 2>&1; then
	tail -n 5 "$out/build.log" >&2
	echo "bench_sessions: building the sessions failed" >&2
	exit 1
fi
t1=$(date +%s)
"$BUILD/classifyd" --eval "$out/set/manifest.tsv" >"$out/eval.txt" 2>&1
ns=$(awk -F '\t' 'NR > 1 && $2 ~ /^hold/' "$out/set/manifest.tsv" | wc -l)
nc=$(awk -F '\t' 'NR > 1 && $2 !~ /^hold/' "$out/set/manifest.tsv" | wc -l)
printf 'heldout_sessions=%d heldout_clips=%d build_s=%d ' "$ns" "$nc" "$((t1 - t0))"
sh "$TOP/tests/classify/eval-summary.sh" <"$out/eval.txt"
sh "$TOP/tests/classify/make-degraded.sh" "$BUILD" "$out/set" "$out/deg" 2>&1 |
	grep -E '^[a-z0-9]+ +accuracy=' | sed 's/^/heldout_/'
for ch in clean bp g711u g711a gsm hiss45 hiss60; do
	if CHANNEL=$ch bash "$TOP/tests/classify/make-sessions.sh" "$out/$ch" "$CORPUS" \
		>"$out/build-$ch.log" 2>&1; then
		printf 'heldout_channel_%-7s ' "$ch"
		"$BUILD/classifyd" --eval "$out/$ch/manifest.tsv" 2>&1 |
			sh "$TOP/tests/classify/eval-summary.sh"
	else
		echo "bench_sessions: building the $ch sessions failed" >&2
	fi
done
