#!/usr/bin/env bash
# make-sessions.sh OUTDIR [CORPUS]: builds a held-out set of hold sessions
# (hold_then_human and hold_only, variants V1..V7 of the corpus README) from
# material the development sessions do not use, for classifyd --eval:
#   * music: asterisk-moh-opsound-wav the_simplicity and reno_project-system,
#     fretsonfire-songs-muldjord internal_degeneration (with and without its
#     lead guitar), mutilated_mime, and chaos_god before 66 s (downloaded with
#     apt-get download and unpacked with dpkg -x, not installed);
#   * announcements: new texts spoken by espeak-ng variants and flite awb,
#     rms and kal16, and Allison Smith prompts from asterisk-core-sounds-en-wav
#     (tt-allbusy, transfer, one-moment-please, queue-holdtime +
#     queue-less-than + digits + queue-minutes + queue-thankyou);
#   * live humans: CORPUS/speech_live recordings (default
#     ../shared/corpus): other clips, other stretches, or a speaker's digits
#     in another order than the development sessions use.  A human is always
#     a real recording, never TTS.
# Writes OUTDIR/manifest.tsv (the corpus columns and header) and
# OUTDIR/hold_then_human/ho_hold_NN.wav, OUTDIR/hold_only/ho_holdonly_NN.wav
# (8 kHz mono 16-bit); and, for the window accuracy on the same held-out
# material, single-class clips OUTDIR/music/ho_music_NN.wav (10 s),
# OUTDIR/speech_recorded_announcement/ho_ann_NN.wav (one prompt) and
# OUTDIR/silence_noise/ho_noise_NN.wav (8 s of line noise), each through one
# of the channels in turn.  Deterministic (sox -R, fixed offsets, texts, voices).
#
# Every session is laid out on a sample-exact timeline: each event (a stretch
# of music, one play of an announcement, a noise bed, the line noise after the
# pickup, the human) is its own float track, padded up to its first sample,
# and the tracks are mixed at unity gain.  human_onset is measured on the
# human's own track, normalised to -3 dBFS peak: the first sample that sox
# "silence 1 0.02 -40d" keeps (a noisier recording uses a higher threshold,
# given as onset_threshold=).  The build stops if that is more than 1 ms from
# the planned onset.
#
# Environment: JOBS (sessions built at once, default 2), DEBDIR (a folder that
# already holds the three .deb files; default: apt-get download them),
# CHANNEL (put every session through this channel instead of its own: clean,
# bp, g711u, g711a, gsm, hissNN).
set -eu -o pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
case ${1:-} in
"" | -h | --help)
	echo "usage: make-sessions.sh OUTDIR [CORPUS]" >&2
	[ -n "${1:-}" ]
	exit
	;;
esac
OUT=$1
CORPUS=${2:-$HERE/../../../shared/corpus}
JOBS=${JOBS:-2}
for c in sox soxi espeak-ng dpkg apt-get awk; do
	command -v "$c" >/dev/null 2>&1 || { echo "make-sessions: $c is needed" >&2; exit 1; }
done
[ -d "$CORPUS/speech_live" ] || { echo "make-sessions: no $CORPUS/speech_live" >&2; exit 1; }
CORPUS=$(cd "$CORPUS" && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
T=$(mktemp -d /tmp/hs-sessions.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
started=$(date +%s)

# ------------------------------------------------------------ material
PKGS="asterisk-moh-opsound-wav fretsonfire-songs-muldjord asterisk-core-sounds-en-wav"
if [ -z "${DEBDIR:-}" ]; then
	DEBDIR=$T/debs
	mkdir -p "$DEBDIR"
	chown _apt "$DEBDIR" 2>/dev/null || true
	# shellcheck disable=SC2086
	(cd "$DEBDIR" && apt-get download -q $PKGS >/dev/null) ||
		{ echo "make-sessions: apt-get download $PKGS failed" >&2; exit 1; }
fi
for p in $PKGS; do
	set -- "$DEBDIR/${p}"_*.deb
	[ -f "$1" ] || { echo "make-sessions: no $p .deb in $DEBDIR" >&2; exit 1; }
	dpkg -x "$1" "$T/root"
done
MOH=$T/root/usr/share/asterisk/moh
FOF=$T/root/usr/share/games/fretsonfire/data/songs/muldjord
AL=$T/root/usr/share/asterisk/sounds/en_US_f_Allison
SP=$CORPUS/speech_live

# flite has voice libraries but no command in Debian: compile the small
# speaker that make-menus.sh also uses.
FLITE=$T/flite_say
${CC:-cc} -o "$FLITE" "$HERE/flite_say.c" -lflite_cmu_us_awb -lflite_cmu_us_rms \
	-lflite_cmu_us_kal16 -lflite_cmu_us_kal -lflite_cmu_us_slt \
	-lflite_usenglish -lflite_cmulex -lflite -lm 2>"$T/cc.err" ||
	{ cat "$T/cc.err" >&2; echo "make-sessions: cannot build flite_say (flite1-dev)" >&2; exit 1; }

X() { sox -R -V1 "$@"; }
FL=(-r 8000 -c 1 -e floating-point -b 32)
I16=(-r 8000 -c 1 -e signed-integer -b 16)
M=$T/m
mkdir -p "$M"
X -n "${FL[@]}" "$M/white.wav" synth 600 whitenoise
X -n "${FL[@]}" "$M/pink.wav" synth 600 pinknoise
X -n "${FL[@]}" "$M/brown.wav" synth 600 brownnoise

sec2smp() { awk -v s="$1" 'BEGIN { printf "%d", s * 8000 + 0.5 }'; }

# music IN OUT [START LEN]: 8 kHz float mono, -6 dBFS peak
music() {
	local in=$1 out=$2
	shift 2
	if [ $# -eq 2 ]; then
		X "$in" "${FL[@]}" "$out" trim "$1" "$2" remix - rate -v 8000 gain -n -6
	else
		X "$in" "${FL[@]}" "$out" remix - rate -v 8000 gain -n -6
	fi
}
# prompt OUT IN...: recordings joined, 8 kHz float, -3 dBFS peak, 0.25 s
# before and 0.35 s after
prompt() {
	local out=$1
	shift
	X "$@" "${FL[@]}" "$out" remix - rate -v 8000 gain -n -3 pad 0.25 0.35
}
# tts OUT espeak VOICE RATE TEXT | tts OUT flite VOICE - TEXT
tts() {
	local raw=$M/tts_raw.wav
	case $2 in
	espeak) espeak-ng -v "$3" -s "$4" -w "$raw" "$5" ;;
	flite) "$FLITE" "$3" "$5" "$raw" >/dev/null ;;
	esac
	prompt "$1" "$raw"
}
# onset_cut IN OUT THR: OUT starts at most 0.2 s before IN's first sample
# kept by "silence 1 0.02 THRd"; that lead (samples) goes to OUT.lead
onset_cut() {
	local all rest on lead
	all=$(soxi -s "$1")
	X "$1" "$M/oc.wav" silence 1 0.02 "${3}d"
	rest=$(soxi -s "$M/oc.wav")
	on=$((all - rest))
	lead=$((on < 1600 ? on : 1600))
	X "$1" "$2" trim "$((on - lead))s"
	echo "$lead" >"$2.lead"
}
# human IN OUT THR [FROM TO]: a real recording (or the stretch FROM..TO
# seconds of it, cut in a pause with 10 ms fades), -3 dBFS peak
human() {
	if [ $# -ge 5 ]; then
		X "$1" "${FL[@]}" "$M/hu0.wav" remix - trim "$4" "=$5" fade t 0.01 0 0.01
	else
		X "$1" "${FL[@]}" "$M/hu0.wav" remix -
	fi
	X "$M/hu0.wav" "$M/hu1.wav" gain -n -3
	onset_cut "$M/hu1.wav" "$2" "$3"
}
# rotated IN OUT THR CUT: a recording of single words read one after the
# other (FSDD digits), read from CUT (a pause) to its end and then from its
# start to CUT: the same speaker, words in another order
rotated() {
	X "$1" "${FL[@]}" "$M/ro1.wav" remix - trim "$4" fade t 0.01 0 0.01
	X "$1" "${FL[@]}" "$M/ro2.wav" remix - trim 0 "$4" fade t 0 0 0.01
	X "$M/ro1.wav" "$M/ro2.wav" "$M/ro3.wav" gain -n -3
	onset_cut "$M/ro3.wav" "$2" "$3"
}
# greeting IN OUT THR FROM CUT PAUSE TO: V5, the words FROM..CUT, PAUSE
# seconds more quiet, then CUT..TO (cuts in pauses, 10 ms fades)
greeting() {
	X "$1" "${FL[@]}" "$M/gr0.wav" remix - gain -n -3
	X "$M/gr0.wav" "$M/gr1.wav" trim "$4" "=$5" fade t 0.01 0 0.01
	X -n "${FL[@]}" "$M/gr2.wav" trim 0 "$6"
	X "$M/gr0.wav" "$M/gr3.wav" trim "$5" "=$7" fade t 0.01 0 0.01
	X "$M/gr1.wav" "$M/gr2.wav" "$M/gr3.wav" "$M/gr4.wav"
	X "$M/gr4.wav" "$M/gr5.wav" gain -n -3
	onset_cut "$M/gr5.wav" "$2" "$3"
}

# music (regions the development sessions do not use)
music "$MOH/macroform-the_simplicity.wav" "$M/simp.wav"
music "$MOH/reno_project-system.wav" "$M/reno.wav"
music "$FOF/internal_degeneration/song.ogg" "$M/intdeg.wav"
X -m -v 1 "$FOF/internal_degeneration/song.ogg" -v 1 "$FOF/internal_degeneration/guitar.ogg" \
	"${FL[@]}" "$M/intdegg.wav" remix - rate -v 8000 gain -n -6
music "$FOF/mutilated_mime/song.ogg" "$M/mime.wav"
music "$FOF/chaos_god/song.ogg" "$M/chaos.wav" 0 66

# announcements: new texts, voices the development sessions do not use
TX_NORTH="Thank you for calling Northgate Mutual. All of our claims specialists are busy at the moment. Please hold, and your call will be taken in the order it was received."
TX_PATIENCE="We appreciate your patience. Our team is working to answer every call as quickly as possible."
TX_ONLINE="Did you know that most account questions can be answered online, at any time of day? Visit our help center to learn more."
TX_HANGUP="Your call is important to us. Please do not hang up, as this will only cause a further delay."
TX_NEXT="Good news. You are now next in line, and a specialist will be with you shortly."
TX_ORDER="Calls are answered in the order they are received. Thank you for staying on the line."
TX_READY="To save time, please have your policy number and your date of birth ready when your call is answered."
TX_HOURS="Our office hours are Monday through Friday, eight A M to six P M. Thank you for holding."
TX_SORRY="We are sorry for the wait. Call volumes are higher than usual today, but we will be with you as soon as we can."
TX_MEMBER="Please stay on the line. The next available team member will take your call."
TX_BILLING="One moment please. We are connecting you to the billing department."
tts "$M/a_north.wav" espeak en-us+m2 140 "$TX_NORTH"
tts "$M/a_patience.wav" flite rms - "$TX_PATIENCE"
tts "$M/a_online.wav" espeak en-gb 150 "$TX_ONLINE"
tts "$M/a_hangup.wav" espeak en-us+klatt2 165 "$TX_HANGUP"
tts "$M/a_next.wav" flite awb - "$TX_NEXT"
tts "$M/a_order.wav" flite kal16 - "$TX_ORDER"
tts "$M/a_ready.wav" espeak en+f4 155 "$TX_READY"
tts "$M/a_hours.wav" espeak en-029 145 "$TX_HOURS"
tts "$M/a_sorry.wav" espeak en-gb-scotland 135 "$TX_SORRY"
tts "$M/a_member.wav" flite awb - "$TX_MEMBER"
tts "$M/a_billing.wav" espeak en-us+f5 175 "$TX_BILLING"
tts "$M/a_member2.wav" espeak en-gb-x-rp+m7 150 "$TX_MEMBER"
# real recorded prompts (Allison Smith), not those of the development sessions
prompt "$M/r_allbusy.wav" "$AL/tt-allbusy.wav"
prompt "$M/r_wait.wav" "$AL/queue-holdtime.wav" "$AL/queue-less-than.wav" \
	"$AL/digits/5.wav" "$AL/queue-minutes.wav" "$AL/queue-thankyou.wav"
prompt "$M/r_xfer.wav" "$AL/transfer.wav"
prompt "$M/r_moment.wav" "$AL/one-moment-please.wav"

# live humans: corpus recordings, other clips or other stretches than the
# development sessions (the source column says which)
human "$SP/dv_speech_07.wav" "$M/h_jackson.wav" -40
rotated "$SP/dv_speech_07.wav" "$M/h_jackson2.wav" -40 3.82
human "$SP/dv_speech_09.wav" "$M/h_nicolas.wav" -40
human "$SP/dv_speech_02.wav" "$M/h_ls2a.wav" -40 2.36 9.63
human "$SP/dv_speech_02.wav" "$M/h_ls2b.wav" -40 9.63 16.70
human "$SP/dv_speech_03.wav" "$M/h_ls3b.wav" -40 3.10 8.05
human "$SP/dv_speech_03.wav" "$M/h_ls3c.wav" -40 10.02 14.80
human "$SP/dv_speech_01.wav" "$M/h_ls1b.wav" -40 2.74 8.30
human "$SP/dv_speech_01.wav" "$M/h_ls1c.wav" -40 8.69 13.60
human "$SP/dv_speech_05.wav" "$M/h_jfk2.wav" -40 4.86 11.00
rotated "$SP/dv_speech_06.wav" "$M/h_george2.wav" -40 3.67
rotated "$SP/dv_speech_06.wav" "$M/h_george1.wav" -40 2.05
rotated "$SP/dv_speech_08.wav" "$M/h_lucas2.wav" -40 3.54
rotated "$SP/dv_speech_10.wav" "$M/h_theo2.wav" -40 3.44
rotated "$SP/dv_speech_11.wav" "$M/h_ywe2.wav" -40 3.01
human "$SP/dv_speech_12.wav" "$M/h_ls12.wav" -40 5.52 13.60
human "$SP/dv_speech_02.wav" "$M/h_ls2c.wav" -40 11.88 16.70
human "$SP/dv_speech_13.wav" "$M/h_13b.wav" -40 8.91 16.98
greeting "$SP/dv_speech_03.wav" "$M/g_ls3.wav" -40 3.10 4.62 2.20 9.76
greeting "$SP/dv_speech_01.wav" "$M/g_ls1.wav" -40 8.69 10.42 2.20 13.60

# ------------------------------------------------------------ session engine
# One session at a time per subshell; its files are under $D.
# ses NAME NOISE_OFFSET_S: a new, empty timeline
ses() {
	NAME=$1 NOFF=$2 D=$T/s_$1 K=0 CUR=0 END=0 NANN=0 HUM=-1 PICK=-1 THR=-40
	rm -rf "$D"
	mkdir -p "$D"
}
track() { # track FILE: count FILE as a track, extend the session to its end
	local n
	n=$(soxi -s "$1")
	if [ "$n" -gt "$END" ]; then END=$n; fi
}
next() { K=$((K + 1)); EV=$D/ev_$(printf %03d "$K").wav; }
fades() { # fade effect for IN OUT seconds, nothing when both are 0
	if [ "$1" = 0 ] && [ "$2" = 0 ]; then return 0; fi
	echo fade t "$1" 0 "$2"
}
# src FILE START_S: music source and the read position in it
src() { SRC=$1; SPOS=$(sec2smp "$2"); }
take() { # take N: N samples of the source from the read position
	if [ $((SPOS + $1)) -gt "$(soxi -s "$SRC")" ]; then
		echo "make-sessions: $NAME: $SRC too short" >&2
		exit 1
	fi
}
# mus DUR_S [GAIN_DB FADE_IN_S FADE_OUT_S]: music at the cursor
mus() {
	local n
	n=$(sec2smp "$1")
	take "$n"
	next
	# shellcheck disable=SC2046
	X "$SRC" "$EV" trim "${SPOS}s" "${n}s" gain "${2:-0}" $(fades "${3:-0.05}" "${4:-0.05}") pad "${CUR}s" 0
	track "$EV"
	CUR=$((CUR + n)) SPOS=$((SPOS + n))
}
# ann FILE [GAIN_DB [DUCK_DB]]: one play of an announcement at the cursor;
# with DUCK_DB the music goes on under it that much lower, else it pauses
ann() {
	local n
	n=$(soxi -s "$1")
	next
	X "$1" "$EV" gain "${2:-0}" pad "${CUR}s" 0
	track "$EV"
	if [ -n "${3:-}" ]; then
		take "$n"
		next
		X "$SRC" "$EV" trim "${SPOS}s" "${n}s" gain "$3" fade t 0.2 0 0.2 pad "${CUR}s" 0
		track "$EV"
		SPOS=$((SPOS + n))
	fi
	CUR=$((CUR + n)) NANN=$((NANN + 1))
}
gap() { CUR=$((CUR + $(sec2smp "$1"))); }
now() { awk -v n="$CUR" 'BEGIN { printf "%.6f", n / 8000 }'; }
# bed KIND FROM_S LEN_S PEAK_DBFS: pink | white | brown noise, 300-3400 Hz,
# or humNN (brown rumble and NN Hz mains hum with its harmonics)
bed() {
	local from n f
	from=$(sec2smp "$2")
	n=$(sec2smp "$3")
	next
	case $1 in
	hum*)
		f=${1#hum}
		X "$M/brown.wav" "$D/b1.wav" trim "$NOFF" "${n}s" gain -n -3
		X -r 8000 -c 3 -n "${FL[@]}" "$D/b2.wav" synth "${n}s" sine "$f" sine "$((3 * f))" sine "$((5 * f))" remix 1v0.6,2v0.3,3v0.1
		X -m -v 1 "$D/b1.wav" -v 0.5 "$D/b2.wav" "$D/b.wav"
		;;
	*) X "$M/$1.wav" "$D/b.wav" trim "$NOFF" "${n}s" sinc 300-3400 ;;
	esac
	X "$D/b.wav" "$EV" gain -n "$4" fade t 0.02 0 0.02 pad "${from}s" 0
	track "$EV"
	NOFF=$((NOFF + 23))
}
# pickup PEAK_DBFS: the agent's line opens at the cursor (line noise to the end)
pickup() { PICK=$CUR PLVL=$1; }
# under DUR_S GAIN_DB: V4b, the music goes on GAIN_DB lower under the
# human's first DUR_S seconds, fading out over the last 0.4 s (cursor stays)
under() {
	local n
	n=$(sec2smp "$1")
	take "$n"
	next
	X "$SRC" "$EV" trim "${SPOS}s" "${n}s" gain "$2" fade t 0 0 0.4 pad "${CUR}s" 0
	track "$EV"
	SPOS=$((SPOS + n))
}
# hum FILE [GAIN_DB [THR_DB]]: the live human, first speech sample at the cursor
hum() {
	local n lead
	n=$(soxi -s "$1")
	lead=$(cat "$1.lead")
	HUM=$CUR THR=${3:--40}
	X "$1" "$D/human.wav" gain "${2:-0}" pad "$((CUR - lead))s" 0
	track "$D/human.wav"
	CUR=$((CUR - lead + n))
}
tail_() { CUR=$((CUR + $(sec2smp "$1"))); if [ "$CUR" -gt "$END" ]; then END=$CUR; fi; }
# channel IN OUT CHANNEL PEAK: the telephone channel and the session's level
channel() {
	local len
	case $3 in
	clean) X "$1" "${I16[@]}" "$2" gain -n "$4" ;;
	bp) X "$1" "${I16[@]}" "$2" sinc 300-3400 gain -n "$4" ;;
	g711u) X "$1" -t ul "$D/c.ul" sinc 300-3400 gain -n "$4"
		X -t ul -r 8000 -c 1 "$D/c.ul" "${I16[@]}" "$2" ;;
	g711a) X "$1" -t al "$D/c.al" sinc 300-3400 gain -n "$4"
		X -t al -r 8000 -c 1 "$D/c.al" "${I16[@]}" "$2" ;;
	gsm) X "$1" -t gsm "$D/c.gsm" sinc 300-3400 gain -n "$4"
		X -t gsm -r 8000 -c 1 "$D/c.gsm" "${I16[@]}" "$2" ;;
	hiss[0-9]*) X "$1" "$D/h1.wav" sinc 300-3400 gain -n "$4"
		len=$(soxi -s "$D/h1.wav")
		X "$M/white.wav" "$D/h2.wav" trim "$((NOFF + 7))" "${len}s" sinc 300-3400 gain -n "-${3#hiss}"
		X -m -v 1 "$D/h1.wav" -v 1 "$D/h2.wav" "${I16[@]}" "$2" ;;
	*) echo "make-sessions: $NAME: bad channel $3" >&2; exit 1 ;;
	esac
}
# render LABEL CHANNEL PEAK VARIANT SOURCE LICENSE NOTES: mix, measure the
# onset, put it through the channel; the manifest row goes to $D/row
render() {
	local label=$1 ch=${CHANNEL:-$2} pk=$3 var=$4 srcs=$5 lic=$6 notes=$7 f all rest meas on="" mix=()
	if [ "$CUR" -gt "$END" ]; then END=$CUR; fi
	next
	X -r 8000 -c 1 -n "${FL[@]}" "$EV" trim 0 "${END}s"
	if [ "$PICK" -ge 0 ]; then
		next
		X "$M/white.wav" "$EV" trim "$NOFF" "$((END - PICK))s" sinc 300-3400 gain -n "$PLVL" pad "${PICK}s" 0
	fi
	for f in "$D"/ev_*.wav; do mix+=(-v 1 "$f"); done
	if [ "$HUM" -ge 0 ]; then
		mix+=(-v 1 "$D/human.wav")
		all=$(soxi -s "$D/human.wav")
		X "$D/human.wav" "$D/hm.wav" gain -n -3 silence 1 0.02 "${THR}d"
		rest=$(soxi -s "$D/hm.wav")
		meas=$((all - rest))
		if [ $((meas - HUM)) -gt 8 ] || [ $((HUM - meas)) -gt 8 ]; then
			echo "make-sessions: $NAME: measured human onset $meas, planned $HUM (samples)" >&2
			exit 1
		fi
		on=$(awk -v n="$meas" 'BEGIN { printf "human_onset=%.2f; ", n / 8000 }')
		if [ "$THR" != -40 ]; then on="${on}onset_threshold=${THR}dB; "; fi
	fi
	X -m "${mix[@]}" "$D/mix.wav"
	mkdir -p "$OUT/$label"
	channel "$D/mix.wav" "$OUT/$label/$NAME.wav" "$ch" "$pk"
	printf '%s\t%s\t%.2f\t%s\t%s\t%s\n' "$label/$NAME.wav" "$label" \
		"$(soxi -D "$OUT/$label/$NAME.wav")" "$srcs" "$lic" \
		"channel=$ch; peak=${pk}dBFS; ${on}variant=$var; announcements=$NANN; $notes" >"$D/row"
}

MOHS="deb:asterisk-moh-opsound-wav"
FOFS="deb:fretsonfire-songs-muldjord"
ALS="deb:asterisk-core-sounds-en-wav:en_US_f_Allison"
LIC_MAC="music CC-BY-SA-3.0 (Macroform)"
LIC_RENO="music CC-BY-SA-3.0 (Reno Project)"
LIC_MUL="music CC-BY-SA-3.0 (El Senator/Muldjord)"
LIC_AL="prompts CC-BY-SA-3.0 (Allison Smith)"
LIC_LS="speech CC-BY-4.0 (LibriSpeech)"
LIC_FSDD="speech CC-BY-SA-4.0 (FSDD)"
LIC_JFK="speech public domain (JFK)"
GEN="announcements generated"

# ------------------------------------------------------------ hold_then_human
s01() { # V1: music, the same TTS prompt three times, then a LibriSpeech reader
	ses ho_hold_01 11
	src "$M/simp.wav" 10
	mus 8; ann "$M/a_north.wav"; mus 11; ann "$M/a_north.wav"; mus 11; ann "$M/a_north.wav"; mus 4
	pickup -60; gap 0.6; hum "$M/h_ls2b.wav"; tail_ 0.7
	render hold_then_human bp -1 V1 \
		"$MOHS:macroform-the_simplicity.wav@10s + tts:espeak-ng:en-us+m2:140 + dv_speech_02@9.63s (LibriSpeech 3436-172162-0000)" \
		"$LIC_MAC; $LIC_LS; $GEN" \
		"hold=music; ann_gap=11s; same recording each time; pickup_gap=0.6s; prompt: $TX_NORTH"
}
s02() { # V1: band music, flite rms prompt ducked twice, then an FSDD speaker
	ses ho_hold_02 40
	src "$M/mime.wav" 5
	mus 12; ann "$M/a_patience.wav" 0 -16; mus 16; ann "$M/a_patience.wav" 0 -16; mus 11
	pickup -62; gap 0.5; hum "$M/h_jackson.wav"; tail_ 0.8
	render hold_then_human g711a -3 V1 \
		"$FOFS:mutilated_mime/song.ogg@5s + tts:flite:rms + dv_speech_07 (FSDD jackson)" \
		"$LIC_MUL; $LIC_FSDD; $GEN" \
		"hold=band music; duck=1 (music -16 dB under the prompt); ann_gap=16s; pickup_gap=0.5s; prompt: $TX_PATIENCE"
}
s03() { # V2: comfort noise (brown), en-gb prompt every ~20 s, then a LibriSpeech reader
	ses ho_hold_03 70
	gap 6; ann "$M/a_online.wav"; gap 12; ann "$M/a_online.wav"; gap 12; ann "$M/a_online.wav"; gap 3
	bed brown 0 "$(now)" -50
	pickup -58; gap 0.8; hum "$M/h_ls1c.wav"; tail_ 0.6
	render hold_then_human gsm -3 V2 \
		"gen:sox brownnoise + tts:espeak-ng:en-gb:150 + dv_speech_01@8.69s (LibriSpeech 198-209-0000)" \
		"noise CC0; $LIC_LS; $GEN" \
		"hold=comfort noise (brown, -50 dBFS); ann_period=~20s; same recording each time; pickup_gap=0.8s; human female; prompt: $TX_ONLINE"
}
s04() { # V2: near-silence, a real all-busy prompt three times, then a LibriSpeech reader
	ses ho_hold_04 100
	gap 5; ann "$M/r_allbusy.wav"; gap 10; ann "$M/r_allbusy.wav"; gap 10; ann "$M/r_allbusy.wav"; gap 3.5
	bed white 0 "$(now)" -70
	pickup -64; gap 0.7; hum "$M/h_ls3b.wav"; tail_ 0.6
	render hold_then_human clean -6 V2 \
		"gen:sox whitenoise + $ALS/tt-allbusy.wav + dv_speech_03@3.10s (LibriSpeech 5703-47212-0000)" \
		"noise CC0; $LIC_AL; $LIC_LS" \
		"hold=near-silence (-70 dBFS hiss); ann=real recorded voice every ~19 s; pickup_gap=0.7s"
}
s05() { # V3: music, a prompt twice, a new prompt (other voice) right before the human
	ses ho_hold_05 130
	src "$M/reno.wav" 30
	mus 11; ann "$M/a_hangup.wav"; mus 14; ann "$M/a_hangup.wav"; mus 9
	ann "$M/a_next.wav"; pickup -62; gap 0.5; hum "$M/h_nicolas.wav"; tail_ 0.8
	render hold_then_human g711u -1 V3 \
		"$MOHS:reno_project-system.wav@30s + tts:espeak-ng:en-us+klatt2:165 + tts:flite:awb + dv_speech_09 (FSDD nicolas)" \
		"$LIC_RENO; $LIC_FSDD; $GEN" \
		"hold=music; repeated=espeak en-us+klatt2 x2 ($TX_HANGUP); new_before_human=flite awb ($TX_NEXT); pickup_gap=0.5s"
}
s06() { # V3 with real prompts: Allison's wait-time prompt twice, then her transfer prompt, then the human
	ses ho_hold_06 160
	src "$M/intdegg.wav" 20
	mus 13; ann "$M/r_wait.wav"; mus 13; ann "$M/r_wait.wav"; mus 8
	ann "$M/r_xfer.wav"; pickup -60; gap 0.6; hum "$M/h_ls2a.wav"; tail_ 0.6
	render hold_then_human hiss45 -3 V3 \
		"$FOFS:internal_degeneration/song.ogg+guitar.ogg@20s + $ALS/queue-holdtime,queue-less-than,digits/5,queue-minutes,queue-thankyou + $ALS/transfer.wav + dv_speech_02@2.36s (LibriSpeech 3436-172162-0000)" \
		"$LIC_MUL; $LIC_AL; $LIC_LS" \
		"hold=band music with lead guitar; repeated=hold-time prompt x2 (real voice); new_before_human=transfer (same real voice, first occurrence); pickup_gap=0.6s"
}
s07() { # V4: music, ducked prompt, the music stops dead and the human starts 0.2 s later
	ses ho_hold_07 190
	src "$M/chaos.wav" 0
	mus 12; ann "$M/a_order.wav" 0 -18; mus 14; ann "$M/a_order.wav" 0 -18; mus 9 0.05 0
	pickup -62; gap 0.2; hum "$M/h_ls3c.wav"; tail_ 0.6
	render hold_then_human bp -3 V4 \
		"$FOFS:chaos_god/song.ogg@0s + tts:flite:kal16 + dv_speech_03@10.02s (LibriSpeech 5703-47212-0000)" \
		"$LIC_MUL; $LIC_LS; $GEN" \
		"hold=band music; ann ducked (music -18 dB under it); music_stop=abrupt; music_to_human_gap=0.2s; prompt: $TX_ORDER"
}
s08() { # V4: the music stops dead and the human starts 0.1 s later
	ses ho_hold_08 220
	src "$M/simp.wav" 120
	mus 13; ann "$M/a_ready.wav"; mus 13; ann "$M/a_ready.wav"; mus 10 0.05 0
	pickup -60; gap 0.1; hum "$M/h_theo2.wav"; tail_ 0.8
	render hold_then_human g711u -1 V4 \
		"$MOHS:macroform-the_simplicity.wav@120s + tts:espeak-ng:en+f4:155 + dv_speech_10 from 3.44s, then its start (FSDD theo)" \
		"$LIC_MAC; $LIC_FSDD; $GEN" \
		"hold=music; music_stop=abrupt; music_to_human_gap=0.1s; prompt: $TX_READY"
}
s09() { # V4b: the music goes on 12 dB down under the human's first 1.5 s
	ses ho_hold_09 250
	src "$M/mime.wav" 70
	mus 12; ann "$M/a_hours.wav"; mus 13; ann "$M/a_hours.wav"; mus 9 0.05 0
	pickup -62; under 1.5 -12; hum "$M/h_george2.wav"; tail_ 0.6
	render hold_then_human clean -3 V4b \
		"$FOFS:mutilated_mime/song.ogg@70s + tts:espeak-ng:en-029:145 + dv_speech_06 from 3.67s, then its start (FSDD george)" \
		"$LIC_MUL; $LIC_FSDD; $GEN" \
		"hold=band music; music_under_human=1.5s at -12 dB, fading out; music_to_human_gap=0s; prompt: $TX_HOURS"
}
s10() { # V4b: the music goes on 15 dB down under the human's first 1.2 s
	ses ho_hold_10 280
	src "$M/reno.wav" 110
	mus 11; ann "$M/a_member.wav"; mus 14; ann "$M/a_member.wav"; mus 10 0.05 0
	pickup -60; under 1.2 -15; hum "$M/h_ls1b.wav"; tail_ 0.6
	render hold_then_human gsm -3 V4b \
		"$MOHS:reno_project-system.wav@110s + tts:flite:awb + dv_speech_01@2.74s (LibriSpeech 198-209-0000)" \
		"$LIC_RENO; $LIC_LS; $GEN" \
		"hold=music; music_under_human=1.2s at -15 dB, fading out; music_to_human_gap=0s; human female; prompt: $TX_MEMBER"
}
s11() { # V5: a short phrase, ~2.5 s of quiet, then more
	ses ho_hold_11 25
	src "$M/simp.wav" 190
	mus 12; ann "$M/a_billing.wav"; mus 14; ann "$M/a_billing.wav"; mus 9
	pickup -62; gap 0.7; hum "$M/g_ls3.wav"; tail_ 0.6
	render hold_then_human g711a -3 V5 \
		"$MOHS:macroform-the_simplicity.wav@190s + tts:espeak-ng:en-us+f5:175 + dv_speech_03@3.10s (LibriSpeech 5703-47212-0000)" \
		"$LIC_MAC; $LIC_LS; $GEN" \
		"hold=music; greeting=one phrase (~1.0 s), then a ~2.6 s pause, then more; pickup_gap=0.7s; prompt: $TX_BILLING"
}
s12() { # V5 on a hissy line
	ses ho_hold_12 55
	src "$M/intdeg.wav" 100
	mus 10; ann "$M/a_sorry.wav"; mus 13; ann "$M/a_sorry.wav"; mus 8
	pickup -60; gap 0.6; hum "$M/g_ls1.wav"; tail_ 0.6
	render hold_then_human hiss50 -1 V5 \
		"$FOFS:internal_degeneration/song.ogg@100s + tts:espeak-ng:en-gb-scotland:135 + dv_speech_01@8.69s (LibriSpeech 198-209-0000)" \
		"$LIC_MUL; $LIC_LS; $GEN" \
		"hold=band music; greeting=one phrase (~1.3 s), then a ~2.5 s pause, then more; pickup_gap=0.6s; human female; prompt: $TX_SORRY"
}
s13() { # V6: a real recorded voice is the hold loop (music ducked under it), then a live FSDD speaker
	ses ho_hold_13 85
	src "$M/reno.wav" 190
	mus 10; ann "$M/r_allbusy.wav" 0 -20; mus 12; ann "$M/r_allbusy.wav" 0 -20; mus 8
	pickup -60; gap 0.6; hum "$M/h_ywe2.wav"; tail_ 0.7
	render hold_then_human bp -3 V6 \
		"$MOHS:reno_project-system.wav@190s + $ALS/tt-allbusy.wav + dv_speech_11 from 3.01s, then its start (FSDD yweweler)" \
		"$LIC_RENO; $LIC_AL; $LIC_FSDD" \
		"hold=music; ann=real recorded voice (Allison Smith, all busy), music -20 dB under it; pickup_gap=0.6s"
}
s14() { # V6: Allison's wait-time prompt as the loop, then JFK
	ses ho_hold_14 115
	src "$M/mime.wav" 130
	mus 11; ann "$M/r_wait.wav" 0 -20; mus 12; ann "$M/r_wait.wav" 0 -20; mus 12; ann "$M/r_wait.wav" 0 -20; mus 4
	pickup -62; gap 0.5; hum "$M/h_jfk2.wav"; tail_ 0.6
	render hold_then_human g711u -3 V6 \
		"$FOFS:mutilated_mime/song.ogg@130s + $ALS/queue-holdtime,queue-less-than,digits/5,queue-minutes,queue-thankyou + dv_speech_05@4.86s (JFK)" \
		"$LIC_MUL; $LIC_AL; $LIC_JFK" \
		"hold=band music; ann=real recorded voice (Allison Smith, hold time), music -20 dB under it; pickup_gap=0.5s"
}
s15() { # V7: GSM, the human 10 dB below the music
	ses ho_hold_15 145
	src "$M/intdegg.wav" 150
	mus 12; ann "$M/a_patience.wav"; mus 13; ann "$M/a_patience.wav"; mus 9
	pickup -66; gap 0.5; hum "$M/h_13b.wav" -13; tail_ 0.6
	render hold_then_human gsm -1 V7 \
		"$FOFS:internal_degeneration/song.ogg+guitar.ogg@150s + tts:flite:rms + dv_speech_13@8.91s (LibriSpeech 5703-47212-0000)" \
		"$LIC_MUL; $LIC_LS; $GEN" \
		"hold=band music with lead guitar; level=human peak 10 dB below music peak; pickup_gap=0.5s"
}
s16() { # V7: line hiss, quiet music, a noisy recording of the human 10 dB above it
	ses ho_hold_16 175
	src "$M/simp.wav" 235
	mus 11 -7; ann "$M/a_member2.wav" -7; mus 13 -7; ann "$M/a_member2.wav" -7; mus 9 -7
	pickup -60; gap 0.6; hum "$M/h_ls12.wav"; tail_ 0.5
	render hold_then_human hiss40 -3 V7 \
		"$MOHS:macroform-the_simplicity.wav@235s + tts:espeak-ng:en-gb-x-rp+m7:150 + dv_speech_12@5.52s (LibriSpeech 198-209-0000 with line hiss)" \
		"$LIC_MAC; $LIC_LS; $GEN" \
		"hold=music; level=human peak 10 dB above music and prompt peaks; pickup_gap=0.6s; human female, hissy recording"
}
s17() { # V3: TTS, repeated flite kal16 prompt, then a new espeak prompt right before the human
	ses ho_hold_17 205
	src "$M/reno.wav" 260
	mus 12; ann "$M/a_order.wav"; mus 13; ann "$M/a_order.wav"; mus 8
	ann "$M/a_billing.wav"; pickup -60; gap 0.6; hum "$M/h_lucas2.wav"; tail_ 0.7
	render hold_then_human clean -1 V3 \
		"$MOHS:reno_project-system.wav@260s + tts:flite:kal16 + tts:espeak-ng:en-us+f5:175 + dv_speech_08 from 3.54s, then its start (FSDD lucas)" \
		"$LIC_RENO; $LIC_FSDD; $GEN" \
		"hold=music; repeated=flite kal16 x2 ($TX_ORDER); new_before_human=espeak en-us+f5 ($TX_BILLING); pickup_gap=0.6s"
}
s18() { # V7: A-law, the human 10 dB above the music
	ses ho_hold_18 235
	src "$M/intdeg.wav" 40
	mus 12 -8; ann "$M/a_ready.wav" -8; mus 14 -8; ann "$M/a_ready.wav" -8; mus 8 -8
	pickup -62; gap 0.5; hum "$M/h_jackson2.wav"; tail_ 0.6
	render hold_then_human g711a -1 V7 \
		"$FOFS:internal_degeneration/song.ogg@40s + tts:espeak-ng:en+f4:155 + dv_speech_07 from 3.82s, then its start (FSDD jackson)" \
		"$LIC_MUL; $LIC_FSDD; $GEN" \
		"hold=band music; level=human peak 10 dB above music and prompt peaks; pickup_gap=0.5s"
}
s19() { # V2: mains hum and rumble, a flite awb prompt every ~17 s, then the human
	ses ho_hold_19 265
	gap 4; ann "$M/a_next.wav"; gap 12; ann "$M/a_next.wav"; gap 12; ann "$M/a_next.wav"; gap 12; ann "$M/a_next.wav"; gap 2
	bed hum60 0 "$(now)" -54
	pickup -60; gap 0.6; hum "$M/h_george1.wav"; tail_ 0.6
	render hold_then_human bp -3 V2 \
		"gen:sox brownnoise+sine 60 Hz + tts:flite:awb + dv_speech_06 from 2.05s, then its start (FSDD george)" \
		"noise CC0; $LIC_FSDD; $GEN" \
		"hold=line hum (60 Hz and rumble, -54 dBFS); ann_period=~17s; same recording each time; pickup_gap=0.6s; prompt: $TX_NEXT"
}
s20() { # V1: music and a single play of the prompt, 20 s of music, then the human
	ses ho_hold_20 5
	src "$M/intdeg.wav" 175
	mus 15; ann "$M/a_hangup.wav"; mus 20
	pickup -62; gap 0.6; hum "$M/h_ls2c.wav"; tail_ 0.7
	render hold_then_human g711u -3 V1 \
		"$FOFS:internal_degeneration/song.ogg@175s + tts:espeak-ng:en-us+klatt2:165 + dv_speech_02@11.88s (LibriSpeech 3436-172162-0000)" \
		"$LIC_MUL; $LIC_LS; $GEN" \
		"hold=band music; ann_gap=20s; one play only; pickup_gap=0.6s; prompt: $TX_HANGUP"
}

# ------------------------------------------------------------ hold_only
o01() { # V1: music and the same prompt every ~22 s, nobody answers
	ses ho_holdonly_01 31
	src "$M/simp.wav" 60
	mus 10; ann "$M/a_sorry.wav"; mus 12; ann "$M/a_sorry.wav"; mus 12; ann "$M/a_sorry.wav"; mus 8
	render hold_only clean -1 V1 \
		"$MOHS:macroform-the_simplicity.wav@60s + tts:espeak-ng:en-gb-scotland:135" \
		"$LIC_MAC; $GEN" "hold=music; ann_period=~22s; same recording each time; no human"
}
o02() { # V1: band music, a real prompt ducked every ~20 s
	ses ho_holdonly_02 61
	src "$M/mime.wav" 20
	mus 12; ann "$M/r_allbusy.wav" 0 -16; mus 12; ann "$M/r_allbusy.wav" 0 -16; mus 12; ann "$M/r_allbusy.wav" 0 -16; mus 10
	render hold_only g711a -3 V1 \
		"$FOFS:mutilated_mime/song.ogg@20s + $ALS/tt-allbusy.wav" \
		"$LIC_MUL; $LIC_AL" "hold=band music; duck=1 (music -16 dB under the prompt); ann_period=~21s; no human"
}
o03() { # V2: comfort noise and a TTS prompt every ~18 s
	ses ho_holdonly_03 91
	gap 6; ann "$M/a_patience.wav"; gap 12; ann "$M/a_patience.wav"; gap 12; ann "$M/a_patience.wav"; gap 12; ann "$M/a_patience.wav"; gap 4
	bed pink 0 "$(now)" -54
	render hold_only g711u -3 V2 \
		"gen:sox pinknoise + tts:flite:rms" "noise CC0; $GEN" \
		"hold=comfort noise (pink, -54 dBFS); ann_period=~18s; same recording each time; no human"
}
o04() { # V2: near-silence with mains hum, Allison's wait-time prompt every ~20 s
	ses ho_holdonly_04 121
	gap 5; ann "$M/r_wait.wav"; gap 11; ann "$M/r_wait.wav"; gap 11; ann "$M/r_wait.wav"; gap 11; ann "$M/r_wait.wav"; gap 4
	bed hum50 0 "$(now)" -62
	render hold_only hiss45 -6 V2 \
		"gen:sox brownnoise+sine 50 Hz + $ALS/queue-holdtime,queue-less-than,digits/5,queue-minutes,queue-thankyou" \
		"noise CC0; $LIC_AL" "hold=near-silence (50 Hz hum, -62 dBFS); ann=real recorded voice every ~19 s; no human"
}
o05() { # V3: music, prompt A twice, a NEW prompt B, then the music goes on
	ses ho_holdonly_05 151
	src "$M/reno.wav" 60
	mus 12; ann "$M/a_member.wav"; mus 13; ann "$M/a_member.wav"; mus 8; ann "$M/a_next.wav"; mus 12
	render hold_only bp -3 V3 \
		"$MOHS:reno_project-system.wav@60s + tts:flite:awb" "$LIC_RENO; $GEN" \
		"hold=music; repeated=flite awb x2 ($TX_MEMBER); new=flite awb ($TX_NEXT), then music again; no human"
}
o06() { # V3: real prompts, the hold-time prompt twice, then "one moment please" and the transfer prompt, then music again
	ses ho_holdonly_06 181
	src "$M/intdegg.wav" 80
	mus 12; ann "$M/r_allbusy.wav"; mus 12; ann "$M/r_allbusy.wav"; mus 8; ann "$M/r_moment.wav"; ann "$M/r_xfer.wav"; mus 14
	render hold_only gsm -3 V3 \
		"$FOFS:internal_degeneration/song.ogg+guitar.ogg@80s + $ALS/tt-allbusy.wav,one-moment-please.wav,transfer.wav" \
		"$LIC_MUL; $LIC_AL" \
		"hold=band music with lead guitar; repeated=tt-allbusy x2 (real voice); new=one-moment-please then transfer (same real voice), then music again; no human"
}
o07() { # V4: the music stops dead and the line stays open (noise) for 8 s, nobody
	ses ho_holdonly_07 211
	src "$M/reno.wav" 150
	mus 13; ann "$M/a_hours.wav"; mus 14; ann "$M/a_hours.wav"; mus 14 0.05 0
	pickup -58; tail_ 8
	render hold_only gsm -3 V4 \
		"$MOHS:reno_project-system.wav@150s + tts:espeak-ng:en-029:145 + gen:sox whitenoise" \
		"$LIC_RENO; $GEN; noise CC0" \
		"hold=music; music_stop=abrupt, then 8 s of open line (-58 dBFS noise); no human"
}
o08() { # V4: band music stops dead, 9 s of open line
	ses ho_holdonly_08 241
	src "$M/mime.wav" 100
	mus 12; ann "$M/a_online.wav"; mus 13; ann "$M/a_online.wav"; mus 11 0.05 0
	pickup -62; tail_ 9
	render hold_only clean -1 V4 \
		"$FOFS:mutilated_mime/song.ogg@100s + tts:espeak-ng:en-gb:150 + gen:sox whitenoise" \
		"$LIC_MUL; $GEN; noise CC0" \
		"hold=band music; music_stop=abrupt, then 9 s of open line (-62 dBFS noise); no human"
}

# ------------------------------------------------------------ window clips
# Single-class clips from the same held-out material, for the window
# accuracy: 10 s of music, one announcement, 8 s of line noise.
# wmus NAME SRC START CHANNEL
wmus() {
	ses "$1" 0
	src "$2" "$3"
	mus 10
	render music "$4" -3 - "held-out music ($(basename "$2" .wav)@$3s)" \
		"see the sessions' sources" "hold music clip"
}
# wann NAME FILE CHANNEL
wann() {
	ses "$1" 0
	ann "$2"
	render speech_recorded_announcement "$3" -3 - \
		"held-out announcement ($(basename "$2" .wav))" \
		"see the sessions' sources" "announcement clip"
}
# wbed NAME KIND PEAK CHANNEL
wbed() {
	ses "$1" "$((300 + 10#${1##*_} * 17))"
	bed "$2" 0 8 "$3"
	tail_ 8
	render silence_noise "$4" "$3" - "gen:sox $2" "noise CC0" \
		"line noise clip ($2, $3 dBFS)"
}
c01() { wmus ho_music_01 "$M/simp.wav" 150 clean; }
c02() { wmus ho_music_02 "$M/reno.wav" 20 bp; }
c03() { wmus ho_music_03 "$M/intdeg.wav" 30 g711u; }
c04() { wmus ho_music_04 "$M/intdegg.wav" 110 g711a; }
c05() { wmus ho_music_05 "$M/mime.wav" 60 gsm; }
c06() { wmus ho_music_06 "$M/chaos.wav" 20 hiss50; }
c07() { wann ho_ann_01 "$M/a_north.wav" g711u; }
c08() { wann ho_ann_02 "$M/a_patience.wav" bp; }
c09() { wann ho_ann_03 "$M/a_online.wav" clean; }
c10() { wann ho_ann_04 "$M/a_hangup.wav" gsm; }
c11() { wann ho_ann_05 "$M/a_next.wav" g711a; }
c12() { wann ho_ann_06 "$M/a_order.wav" hiss45; }
c13() { wann ho_ann_07 "$M/a_ready.wav" bp; }
c14() { wann ho_ann_08 "$M/a_hours.wav" g711u; }
c15() { wann ho_ann_09 "$M/a_sorry.wav" clean; }
c16() { wann ho_ann_10 "$M/a_billing.wav" gsm; }
c17() { wann ho_ann_11 "$M/r_allbusy.wav" g711a; }
c18() { wann ho_ann_12 "$M/r_wait.wav" bp; }
c19() { wbed ho_noise_01 pink -54 g711u; }
c20() { wbed ho_noise_02 hum50 -62 bp; }

# ------------------------------------------------------------ build
SESSIONS="s01 s02 s03 s04 s05 s06 s07 s08 s09 s10 s11 s12 s13 s14 s15 s16 s17 s18 s19 s20
o01 o02 o03 o04 o05 o06 o07 o08
c01 c02 c03 c04 c05 c06 c07 c08 c09 c10 c11 c12 c13 c14 c15 c16 c17 c18 c19 c20"
rm -rf "$OUT/hold_then_human" "$OUT/hold_only" "$OUT/music" \
	"$OUT/speech_recorded_announcement" "$OUT/silence_noise"
running=0 fail=0
for s in $SESSIONS; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || fail=1
		running=$((running - 1))
	fi
	("$s") >"$T/$s.log" 2>&1 &
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	wait -n || fail=1
	running=$((running - 1))
done
if [ "$fail" -ne 0 ]; then
	cat "$T"/*.log >&2
	echo "make-sessions: some sessions failed" >&2
	exit 1
fi
printf 'file\tlabel\tseconds\tsource\tlicense\tnotes\n' >"$OUT/manifest.tsv"
for d in "$T"/s_ho_hold_* "$T"/s_ho_holdonly_* "$T"/s_ho_music_* "$T"/s_ho_ann_* \
	"$T"/s_ho_noise_*; do cat "$d/row"; done >>"$OUT/manifest.tsv"
echo "make-sessions: $OUT/manifest.tsv: $(awk -F '\t' 'NR > 1 && $2 ~ /^hold/ { s++ } NR > 1 && $2 !~ /^hold/ { c++ } END { printf "%d sessions and %d window clips", s, c }' "$OUT/manifest.tsv") in $(($(date +%s) - started)) s"
