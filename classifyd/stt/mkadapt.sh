#!/bin/sh
# mkadapt.sh STT_FE WORKDIR OUT: the MLLR transform that adapts the en-us
# acoustic model to synthesized and recorded speech heard through a
# telephone channel, as classifyd's offline engine sees it.
#
# Adaptation data: general phone-menu sentences (mkadapt-text.py, from the
# phrase list of the language model) spoken by espeak-ng voices and the
# flite voices kal and slt, each put through a telephone channel (8 kHz,
# G.711 mu-law or A-law round trip, some band-passed to 300-3400 Hz, some
# with line hiss, levels from -3 to -12 dBFS peak).  STT_FE computes the
# decoder's own features (resampling and band fill of stt.c); sphinxtrain's
# bw collects the statistics along the reference words and mllr_solve
# solves one global transform per feature stream.  Deterministic: the same
# tools give the same file.
set -eu
FE=${1:?usage: mkadapt.sh STT_FE WORKDIR OUT}
W=${2:?usage: mkadapt.sh STT_FE WORKDIR OUT}
OUT=${3:?usage: mkadapt.sh STT_FE WORKDIR OUT}
HERE=$(cd "$(dirname "$0")" && pwd)
HMM=${STT_HMM:-/usr/share/pocketsphinx/model/en-us/en-us}
ST=${SPHINXTRAIN_DIR:-/usr/lib/sphinxtrain}
PER_VOICE=${STT_ADAPT_PER_VOICE:-14}
for t in espeak-ng sox pocketsphinx_mdef_convert python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "mkadapt.sh: no $t" >&2; exit 1; }
done
for t in bw mllr_solve; do
	[ -x "$ST/$t" ] || { echo "mkadapt.sh: no $ST/$t (sphinxtrain)" >&2; exit 1; }
done
rm -rf "$W"
mkdir -p "$W/wav" "$W/mfc" "$W/acc"
W=$(cd "$W" && pwd)

# Voices the tests' synthesized menus do not use: engine:voice:rate.
VOICES="espeak:en-us+m5:140 espeak:en-us+m6:165 espeak:en-us+f5:150
espeak:en-us+klatt2:155 espeak:en-us+klatt4:145 espeak:en-us+Annie:160
espeak:en-us+Gene:150 espeak:en-us+Jacky:170 espeak:en-us+Michael:135
espeak:en-us+Mike:150 espeak:en-us+Lee:155 espeak:en-us+f2:175
espeak:en-gb+m3:150 espeak:en-us+shelby:145 espeak:en-us+f1:160
espeak:en-us+linda:155 espeak:en-us+belinda:150 espeak:en-us+anika:165
espeak:en-us+aunty:150"
FLITE=
if [ -r /usr/include/flite/flite.h ] &&
	${CC:-cc} -o "$W/flite_say" "$HERE/../../tests/classify/flite_say.c" \
		-lflite_cmu_us_awb -lflite_cmu_us_rms -lflite_cmu_us_kal16 \
		-lflite_cmu_us_kal -lflite_cmu_us_slt -lflite_usenglish \
		-lflite_cmulex -lflite -lm 2>"$W/cc.err"; then
	FLITE=$W/flite_say
	VOICES="$VOICES flite:kal:0 flite:slt:0"
fi
CHANNELS="ulaw alaw bp_ulaw hiss_ulaw bp_alaw"
GAINS="-3 -6 -12 -4"

nv=$(echo $VOICES | wc -w)
python3 "$HERE/mkadapt-text.py" "$HERE/ivr-phrases.txt" $((nv * PER_VOICE)) >"$W/text"
: >"$W/ctl"
: >"$W/lsn"
: >"$W/list"
i=0
while IFS= read -r text; do
	vi=$((i / PER_VOICE + 1))
	spec=$(echo $VOICES | tr ' ' '\n' | sed -n "${vi}p")
	chan=$(echo $CHANNELS | tr ' ' '\n' | sed -n "$((i % 5 + 1))p")
	gain=$(echo $GAINS | tr ' ' '\n' | sed -n "$((i % 4 + 1))p")
	eng=${spec%%:*}; rest=${spec#*:}; voice=${rest%%:*}; rate=${rest#*:}
	id=$(printf 'a%04d' "$i")
	if [ "$eng" = espeak ]; then
		espeak-ng -v "$voice" -s "$rate" -w "$W/raw.wav" "$text"
	else
		"$FLITE" "$voice" "$text" "$W/raw.wav"
	fi
	case $chan in
	bp_*) fx="sinc 300-3400" ;;
	*) fx="" ;;
	esac
	case $chan in
	*alaw) enc=a-law ;;
	*) enc=u-law ;;
	esac
	sox -R "$W/raw.wav" -r 8000 -c 1 "$W/n.wav" $fx gain -n "$gain"
	if [ "$chan" = hiss_ulaw ]; then
		sox -R -n -r 8000 -c 1 "$W/h.wav" synth "$(soxi -D "$W/n.wav")" \
			whitenoise vol 0.01
		sox -R -m "$W/n.wav" "$W/h.wav" "$W/n2.wav"
		mv "$W/n2.wav" "$W/n.wav"
	fi
	sox -R "$W/n.wav" -e "$enc" -b 8 "$W/g.wav"
	sox -R "$W/g.wav" -e signed-integer -b 16 "$W/wav/$id.wav"
	echo "$W/wav/$id.wav $W/mfc/$id.mfc" >>"$W/list"
	echo "$id" >>"$W/ctl"
	echo "<s> $text </s> ($id)" >>"$W/lsn"
	i=$((i + 1))
done <"$W/text"
"$FE" "$HERE" "$W/list"

pocketsphinx_mdef_convert -text "$HMM/mdef" "$W/mdef.txt" 2>"$W/mdef.log"
python3 "$HERE/sendump2mixw.py" "$HMM/sendump" "$W/mixture_weights"
"$ST/bw" -hmmdir "$HMM" -moddeffn "$W/mdef.txt" -mixwfn "$W/mixture_weights" \
	-ts2cbfn .ptm. -feat 1s_c_d_dd -svspec 0-12/13-25/26-38 -cmn batch \
	-agc none -varnorm no -dictfn "$HERE/ivr.dict" \
	-fdictfn "$HMM/noisedict" -ctlfn "$W/ctl" -lsnfn "$W/lsn" \
	-cepdir "$W/mfc" -cepext mfc -accumdir "$W/acc" -timing no \
	>"$W/bw.log" 2>&1 || { tail -n 20 "$W/bw.log" >&2; exit 1; }
"$ST/mllr_solve" -meanfn "$HMM/means" -varfn "$HMM/variances" \
	-outmllrfn "$W/mllr_matrix" -accumdir "$W/acc" >"$W/mllr.log" 2>&1 ||
	{ tail -n 20 "$W/mllr.log" >&2; exit 1; }
cp "$W/mllr_matrix" "$OUT"
echo "mkadapt.sh: $i utterances; $OUT"
