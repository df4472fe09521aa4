#!/bin/sh
# Builds degraded copies of a corpus (default ../shared/corpus) and scores
# each with classifyd --eval.  Conditions: G.711 mu-law and A-law round
# trips, 300-3400 Hz band-pass, white noise at 20 dB SNR, level -12 dB and
# +6 dB (clipped where it overflows).  Each condition gets its own folder
# and manifest.tsv under OUT (default: a temporary directory); each prints
# the last line of its --eval, then false_in= and missed_in= (the sessions
# with a false or a missed human) when there are (eval-summary.sh).
# Usage: make-degraded.sh [-k] [BUILD [CORPUS [OUT]]]   (-k keeps OUT)
keep=0
[ "${1:-}" = "-k" ] && { keep=1; shift; }
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$TOP/build}
CORPUS=${2:-$TOP/../shared/corpus}
OUT=${3:-$(mktemp -d)}
[ -r "$CORPUS/manifest.tsv" ] || { echo "no $CORPUS/manifest.tsv" >&2; exit 1; }
command -v sox >/dev/null || { echo "sox is needed" >&2; exit 1; }
[ $keep -eq 1 ] || [ -n "${3:-}" ] || trap 'rm -rf "$OUT"' EXIT

conv() { # conv COND IN OUT
	case $1 in
	ulaw) sox "$2" -t ul - | sox -t ul -r 8000 -c 1 - -b 16 "$3" ;;
	alaw) sox "$2" -t al - | sox -t al -r 8000 -c 1 - -b 16 "$3" ;;
	bp) sox "$2" -b 16 "$3" sinc 300-3400 ;;
	noise20)
		# white noise 20 dB below the clip's RMS level
		rms=$(sox "$2" -n stat 2>&1 | awk '/RMS +amplitude/ { print $3 }')
		sox -n -r 8000 -c 1 -b 16 "$3.n.wav" synth "$(soxi -D "$2")" whitenoise vol "$(awk -v r="$rms" 'BEGIN { printf "%.6f", r * 0.1 * 1.732 }')"
		sox -m "$2" "$3.n.wav" -b 16 "$3"
		rm -f "$3.n.wav" ;;
	minus12) sox "$2" -b 16 "$3" gain -12 ;;
	plus6) sox -G "$2" -b 16 "$3" gain 6 2>/dev/null ;;
	esac
}

for cond in ulaw alaw bp noise20 minus12 plus6; do
	d=$OUT/$cond
	mkdir -p "$d"
	head -n 1 "$CORPUS/manifest.tsv" >"$d/manifest.tsv"
	tail -n +2 "$CORPUS/manifest.tsv" | while IFS= read -r row; do
		f=$(printf '%s\n' "$row" | cut -f 1)
		mkdir -p "$d/$(dirname "$f")"
		conv "$cond" "$CORPUS/$f" "$d/$f" 2>/dev/null || { echo "$cond: $f failed" >&2; continue; }
		printf '%s\n' "$row" >>"$d/manifest.tsv"
	done
	printf '%-8s ' "$cond"
	"$BUILD/classifyd" --eval "$d/manifest.tsv" | sh "$TOP/tests/classify/eval-summary.sh"
done
