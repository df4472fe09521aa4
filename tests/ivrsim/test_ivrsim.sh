#!/bin/sh
# ivrsim against a real, independent SIP client (sipp as UAC) on loopback.
#  1. Bad scenario files: exit 2 with an error naming the node and the key.
#  2. One ivrsim, three concurrent calls to scenarios/test-menu.json:
#     - "menu": RFC 4733 digits 2 (barge-in), 4 2 # (collect, expect 42),
#       a hold with announcements, the agent, speech to the agent;
#     - "inband": in-band DTMF 1, then speech to a speech node;
#     - "silent": no input at all: replay, then on_fail, then ivrsim hangs up.
#     Meanwhile OPTIONS gets 200 and garbage datagrams do not hurt it.
#  3. scenarios/test-early.json: early media (183), CANCEL -> 200 + 487.
# Each report is checked for what a user of the simulated company cares
# about: the nodes visited, the digits, the collected string, the speech
# heard, whether the agent was reached, and who hung up.
set -u

: "${HS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${HS_BUILD:=$HS_TOP/build}"
IVRSIM=$HS_BUILD/ivrsim
DIR=$HS_TOP/tests/ivrsim

for tool in sipp jq sox espeak-ng ss bash; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "skip: $tool is not installed"; exit 77; }
done
[ -x "$IVRSIM" ] || { echo "skip: $IVRSIM is not built"; exit 77; }

T=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$T"/*.err; do
		[ -f "$f" ] || continue
		echo "---- $f"; tail -n 40 "$f"
	done
	exit 1
}

# A free UDP port (even, with the next one free too, for RTP/RTCP pairs).
free_port() {
	while :; do
		p=$(( ($(od -An -N2 -tu2 /dev/urandom) % 20000 + 20000) & ~1 ))
		if [ -z "$(ss -Hulna "sport = :$p or sport = :$((p + 1))")" ]; then
			echo "$p"; return
		fi
	done
}

# start_ivrsim NAME SCENARIO ARGS...: sets PORT to its SIP port.
start_ivrsim() {
	name=$1; shift
	"$IVRSIM" -v -s "$@" -l 127.0.0.1:0 -r "$T/$name" \
		>"$T/$name.out" 2>"$T/$name.err" &
	PIDS="$PIDS $!"
	LASTPID=$!
	i=0
	while ! grep -q '^ivrsim: listening' "$T/$name.out" 2>/dev/null; do
		kill -0 "$LASTPID" 2>/dev/null || fail "ivrsim $name died at start"
		i=$((i + 1)); [ $i -lt 300 ] || fail "ivrsim $name did not start"
		sleep 0.1
	done
	PORT=$(sed -n 's/^ivrsim: listening sip:127\.0\.0\.1:\([0-9]*\)$/\1/p' \
		"$T/$name.out")
	[ -n "$PORT" ] || fail "no port in $T/$name.out"
}

# wait_exit PID SECONDS
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt $(($2 * 10)) ] || fail "pid $1 still running"
		sleep 0.1
	done
}

# sipp_run NAME XML PORT: a sipp UAC for one call, in the background.
sipp_run() {
	sipp -sf "$2" -m 1 -i 127.0.0.1 -p "$(free_port)" -mp "$(free_port)" \
		-nostdin -timeout 60 -timeout_error 127.0.0.1:"$3" \
		>"$T/sipp-$1.log" 2>&1 &
	LASTPID=$!
}

# check FILE JQ-EXPR WHAT
check() {
	jq -e "$2" "$1" >/dev/null ||
		{ cat "$1"; fail "$3 (jq: $2)"; }
}

# ---- 1. bad scenario files -------------------------------------------
bad() { # name, json, expected text
	printf '%s\n' "$2" >"$T/bad-$1.json"
	"$IVRSIM" -s "$T/bad-$1.json" -l 127.0.0.1:0 >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	[ $rc -eq 2 ] || { cat "$T/bad.err"; fail "bad scenario $1: exit $rc, not 2"; }
	grep -q "$3" "$T/bad.err" ||
		{ cat "$T/bad.err"; fail "bad scenario $1: no '$3' in the error"; }
	echo "ok: bad scenario $1: $(tail -n 1 "$T/bad.err")"
}
bad notjson '{"name": "x", "start": ' 'not valid JSON'
bad nostart '{"start": "nope", "nodes": {"a": {"say": "hi", "hangup": true}}}' \
	"key 'start': no node named 'nope'"
bad badnext '{"start": "a", "nodes": {"a": {"say": "hi", "next": "zzz"}}}' \
	"node 'a': key 'next': no node named 'zzz'"
bad badtype '{"start": "a", "nodes": {"a": {"say": "hi", "timeout": "soon"}}}' \
	"node 'a': key 'timeout': expected a number"
bad baddigit '{"start": "a", "nodes": {"a": {"say": "hi", "digits": {"1": "b"}}}}' \
	"node 'a': key 'digits': digit '1' points to 'b'"
bad nofile '{"start": "a", "nodes": {"a": {"play": "missing.wav"}}}' \
	"node 'a': key 'play'"
bad badpickup '{"start": "a", "nodes": {"a": {"say": "hi", "listen": 5, "pickup_gap": 11}}}' \
	"'pickup_gap' must be <= 10 s"
bad badnoise '{"start": "a", "nodes": {"a": {"say": "hi", "listen": 5, "line_noise_dbm0": "loud"}}}' \
	"key 'line_noise_dbm0': expected a number"

# ---- 2. three concurrent calls -------------------------------------------
mkdir -p "$T/menu"
# The in-band caller's audio: 1 s pause, DTMF 1, 5.5 s pause, a spoken
# sentence, 2 s pause, as G.711 u-law for sipp's rtp_stream.
espeak-ng -w "$T/sp.wav" "I am calling about a charge on my bill from last month." ||
	fail "espeak-ng"
sox -n -r 8000 -c 1 -b 16 "$T/s1.wav" trim 0 1 &&
sox -n -r 8000 -c 1 -b 16 "$T/s5.wav" trim 0 5.5 &&
sox -n -r 8000 -c 2 -b 16 "$T/d1s.wav" synth 0.15 sine 697 sine 1209 gain -8 &&
sox "$T/d1s.wav" -c 1 "$T/d1.wav" &&
sox "$T/sp.wav" -r 8000 -c 1 -b 16 "$T/sp8.wav" &&
sox "$T/s1.wav" "$T/d1.wav" "$T/s5.wav" "$T/sp8.wav" "$T/s1.wav" "$T/s1.wav" \
	-e u-law "$T/inband.wav" &&
sox -n -r 8000 -c 1 -e u-law "$T/silent.wav" trim 0 25 || fail "sox"
sed "s|@WAV@|$T/inband.wav|" "$DIR/uac_inband.xml" >"$T/uac_inband.xml"
sed "s|@WAV@|$T/silent.wav|" "$DIR/uac_inband.xml" >"$T/uac_silent.xml"

start_ivrsim menu "$DIR/scenarios/test-menu.json" -n 3 -m "$(free_port)" \
	-c "$T/nocorpus"
IVRPID=$LASTPID
sipp_run menu "$DIR/uac_menu.xml" "$PORT"; S1=$LASTPID
sipp_run inband "$T/uac_inband.xml" "$PORT"; S2=$LASTPID
sipp_run silent "$T/uac_silent.xml" "$PORT"; S3=$LASTPID

# Garbage and a request missing its mandatory headers: logged, no crash.
bash -c "printf 'garbage\\000\\377 not sip' >/dev/udp/127.0.0.1/$PORT"
bash -c "printf 'INVITE sip:x@127.0.0.1 SIP/2.0\\r\\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\\r\\n\\r\\n' >/dev/udp/127.0.0.1/$PORT"
sipp -sf "$DIR/uac_options.xml" -m 1 -i 127.0.0.1 -p "$(free_port)" -nostdin \
	-timeout 10 -timeout_error 127.0.0.1:"$PORT" >"$T/sipp-options.log" 2>&1 ||
	fail "OPTIONS did not get 200"
echo "ok: OPTIONS -> 200"

for s in "menu:$S1" "inband:$S2" "silent:$S3"; do
	wait "${s#*:}" || { cat "$T/sipp-${s%%:*}.log"; fail "sipp ${s%%:*} failed"; }
	echo "ok: sipp ${s%%:*} call completed"
done
wait_exit "$IVRPID" 20
wait "$IVRPID" || fail "ivrsim exited non-zero"
grep -q 'malformed message' "$T/menu.err" || fail "garbage was not logged"
grep -q 'lacks Via, From, To, Call-ID' "$T/menu.err" ||
	fail "a request without headers was not logged"
echo "ok: garbage datagrams logged, ivrsim survived"

[ "$(grep -c '^ivrsim: report ' "$T/menu.out")" -eq 3 ] ||
	fail "expected 3 'ivrsim: report' lines"
R_MENU="" R_INB="" R_SIL=""
for f in $(sed -n 's/^ivrsim: report //p' "$T/menu.out"); do
	[ -f "$f" ] || fail "report $f missing"
	case $(jq -r '.codec + ":" + .digits' "$f") in
	PCMA:*) R_MENU=$f ;;
	PCMU:) R_SIL=$f ;;
	PCMU:*) R_INB=$f ;;
	esac
done
[ -n "$R_MENU" ] && [ -n "$R_INB" ] && [ -n "$R_SIL" ] ||
	{ cat "$T"/menu/*.json; fail "could not tell the three reports apart"; }

check "$R_MENU" '.nodes == ["main","support","queue","agent"]' "menu: nodes"
check "$R_MENU" '.digits == "242#"' "menu: digits"
check "$R_MENU" '.collected.support == "42"' "menu: collected"
check "$R_MENU" '.agent_node == "agent" and .agent_reached == true' "menu: agent"
check "$R_MENU" '.agent_started_s > 3 and .agent_started_s < 15' "menu: agent time"
check "$R_MENU" '.heard_speech_s > 0.5' "menu: speech heard by the agent"
check "$R_MENU" '.ended_by == "ivrsim" and .scenario == "Test Menu Company"' \
	"menu: ended_by"
check "$R_MENU" '.answered_at | test("^[0-9-]+T[0-9:]+\\.[0-9]{3}Z$")' \
	"menu: answered_at format"
check "$R_MENU" '.sip_call_id | length > 0' "menu: call id"
[ -s "$(jq -r .listen_wav "$R_MENU")" ] || fail "menu: listen_wav missing"
echo "ok: menu call (RFC 4733 digits, barge-in, collect, hold, agent)"

check "$R_INB" '.nodes == ["main","sales","bye"]' "inband: nodes"
check "$R_INB" '.digits == "1"' "inband: in-band digit"
check "$R_INB" '.speech.sales >= 0.5' "inband: speech node"
check "$R_INB" '.agent_reached == false and .agent_started_s == null' \
	"inband: agent not reached"
echo "ok: in-band call (in-band DTMF, speech)"

check "$R_SIL" '.nodes == ["main","main","bye"]' "silent: replay then on_fail"
check "$R_SIL" '.ended_by == "ivrsim" and .digits == ""' "silent: ended_by"
echo "ok: silent call (timeout, retries, on_fail, hang-up)"

# ---- 3. early media and CANCEL -------------------------------------------
mkdir -p "$T/early"
start_ivrsim early "$DIR/scenarios/test-early.json" -n 1
IVRPID=$LASTPID
sipp_run cancel "$DIR/uac_cancel.xml" "$PORT"
wait "$LASTPID" || { cat "$T/sipp-cancel.log"; fail "sipp cancel failed"; }
wait_exit "$IVRPID" 10
f=$(sed -n 's/^ivrsim: report //p' "$T/early.out")
[ -f "$f" ] || fail "no report for the cancelled call"
check "$f" '.ended_by == "caller" and .answered_at == null and .nodes == []' \
	"cancel: report"
echo "ok: early media 183, CANCEL -> 200 + 487"

echo "all ivrsim tests passed"
exit 0
