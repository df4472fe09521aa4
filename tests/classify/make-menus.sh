#!/bin/sh
# make-menus.sh OUTDIR: speaks the prompts of menus.txt with voices the
# development corpus does not use (espeak-ng variants; flite awb, rms and
# kal16 when its voices are installed), puts each through a telephone
# channel (8 kHz, G.711 mu-law or A-law round trip, some band-limited or
# with line hiss) and writes OUTDIR/manifest.tsv in the corpus format with
# each clip's reference text after "prompt: ", for classifyd --wer.
# Exit 77 when espeak-ng or sox is missing.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: make-menus.sh OUTDIR}
command -v espeak-ng >/dev/null 2>&1 || { echo "skip: no espeak-ng"; exit 77; }
command -v sox >/dev/null 2>&1 || { echo "skip: no sox"; exit 77; }
mkdir -p "$OUT" || exit 1

# The flite voices, if the libraries are there.
FLITE=
if [ -r /usr/include/flite/flite.h ] &&
	${CC:-cc} -o "$OUT/flite_say" "$HERE/flite_say.c" -lflite_cmu_us_awb \
		-lflite_cmu_us_rms -lflite_cmu_us_kal16 -lflite_cmu_us_kal \
		-lflite_cmu_us_slt -lflite_usenglish -lflite_cmulex -lflite \
		-lm 2>"$OUT/cc.err"; then
	FLITE=$OUT/flite_say
fi

# voice list: engine:voice:rate; channels cycle independently.
VOICES="espeak:en-us+m2:150 espeak:en-us+f4:155 espeak:en-us+m4:145
espeak:en-us+klatt3:160 espeak:en-us+Andy:150 espeak:en-us+steph:150
espeak:en-us-nyc:150 espeak:en-gb-x-rp+m7:145"
[ -n "$FLITE" ] && VOICES="$VOICES flite:awb:0 flite:rms:0 flite:kal16:0"
CHANNELS="ulaw alaw bp_ulaw hiss_ulaw"

nv=$(echo $VOICES | wc -w)
nc=$(echo $CHANNELS | wc -w)
printf 'file\tlabel\tseconds\tsource\tlicense\tnotes\n' >"$OUT/manifest.tsv"
i=0
grep -v '^#' "$HERE/menus.txt" | grep -v '^$' >"$OUT/texts"
# Every prompt with two voices: i-th voice and the one nv/2 further on.
while IFS= read -r text; do
	for k in 0 1; do
		vi=$(( (i + k * (nv / 2 + 1)) % nv + 1 ))
		ci=$(( (i * 2 + k) % nc + 1 ))
		spec=$(echo $VOICES | tr ' ' '\n' | sed -n "${vi}p")
		chan=$(echo $CHANNELS | tr ' ' '\n' | sed -n "${ci}p")
		eng=${spec%%:*}; rest=${spec#*:}; voice=${rest%%:*}; rate=${rest#*:}
		name=$(printf 'menu_%02d_%d.wav' "$i" "$k")
		raw="$OUT/raw.wav"
		if [ "$eng" = espeak ]; then
			espeak-ng -v "$voice" -s "$rate" -w "$raw" "$text" || exit 1
		else
			"$FLITE" "$voice" "$text" "$raw" || exit 1
		fi
		case $chan in
		ulaw) fx="" enc=u-law ;;
		alaw) fx="" enc=a-law ;;
		bp_ulaw) fx="sinc 300-3400" enc=u-law ;;
		hiss_ulaw) fx="" enc=u-law ;;
		esac
		# 8 kHz, -3 dBFS peak, optional band-pass, G.711 round trip
		sox "$raw" -r 8000 -c 1 "$OUT/n.wav" $fx gain -n -3 || exit 1
		if [ "$chan" = hiss_ulaw ]; then
			len=$(soxi -D "$OUT/n.wav")
			sox -n -r 8000 -c 1 "$OUT/h.wav" synth "$len" whitenoise vol 0.01
			sox -m "$OUT/n.wav" "$OUT/h.wav" "$OUT/n2.wav" && mv "$OUT/n2.wav" "$OUT/n.wav"
		fi
		sox "$OUT/n.wav" -e "$enc" -b 8 "$OUT/g.wav" || exit 1
		sox "$OUT/g.wav" -e signed-integer -b 16 "$OUT/$name" || exit 1
		secs=$(soxi -D "$OUT/$name")
		printf '%s\tspeech_recorded_announcement\t%s\tsynthetic:%s:%s\tgenerated\tchannel=%s; synthetic IVR prompt: %s\n' \
			"$name" "$secs" "$eng" "$voice" "$chan" "$text" >>"$OUT/manifest.tsv"
	done
	i=$((i + 1))
done <"$OUT/texts"
rm -f "$OUT/raw.wav" "$OUT/n.wav" "$OUT/h.wav" "$OUT/g.wav" "$OUT/texts"
echo "$OUT/manifest.tsv: $(($(wc -l <"$OUT/manifest.tsv") - 1)) clips"
