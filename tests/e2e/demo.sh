#!/bin/bash
# The sandbox demo: starts the six daemons, the simulated company (ivrsim)
# and the user's phone (baresip, auto-answer) on loopback, places a
# hold_slayer call with holdctl, shows it live, prints a summary and stops
# everything.  The last line is machine-readable and stable:
#   RESULT status=... path=... digits=... agent_reached=yes|no
#          heard_user_s=S human_latency_s=S hold_s=S recording=PATH
#
# usage: demo.sh [--scenario FILE] [--flow FILE] [--intent TEXT]
#                [--info key=value,...] [--data DIR] [--keep DIR]
#                [--uri] [--sim-port PORT]
# --uri calls the company by its sip: URI (sip:NUMBER@127.0.0.1:PORT)
# instead of its number; --sim-port sets ivrsim's port (default: a free
# one), so that two runs call the same URI.
#                [--register]
# --register: the phone registers with sipd (digest, [phones]) and the
# device is its address-of-record at sipd, so the transfer rings it
# through its registration.
# The data directory (default build/demo) keeps the call history, the
# recordings and the learned flows between runs; `make demo-clean` clears it.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${HS_BUILD:-$TOP/build}
SCENARIO=$TOP/tests/ivrsim/scenarios/sandbox-bank.json
FLOW=""
INTENT="dispute a charge on my card"
INFO=""
DATA=$BUILD/demo
KEEP=""
BY_URI=0
SIM_PORT_SET=""
REGISTER=0
while [ $# -gt 0 ]; do
	case $1 in
	--scenario) SCENARIO=$2; shift 2 ;;
	--flow) FLOW=$2; shift 2 ;;
	--intent) INTENT=$2; shift 2 ;;
	--info) INFO=$2; shift 2 ;;
	--data) DATA=$2; shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	--uri) BY_URI=1; shift ;;
	--sim-port) SIM_PORT_SET=$2; shift 2 ;;
	--register) REGISTER=1; shift ;;
	-h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done

die() { echo "demo: $*" >&2; exit 1; }
[ -f "$SCENARIO" ] || die "scenario '$SCENARIO' not found"
jq -e . "$SCENARIO" >/dev/null 2>&1 || die "scenario '$SCENARIO' is not valid JSON"
[ -z "$FLOW" ] || [ -f "$FLOW" ] || die "flow '$FLOW' not found"
[ -z "$FLOW" ] || jq -e .id "$FLOW" >/dev/null 2>&1 || die "flow '$FLOW' has no id"
for p in sipd mediad classifyd ivrd apid notifyd holdctl ivrsim; do
	[ -x "$BUILD/$p" ] || die "$BUILD/$p is not built (run make)"
done
command -v baresip >/dev/null || die "baresip is not installed (run make deps)"

SCENARIO=$(cd "$(dirname "$SCENARIO")" && pwd)/$(basename "$SCENARIO")
RUN=$(mktemp -d /tmp/holdslayer-demo.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		alive=0
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.2
	done
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	if [ -n "$KEEP" ]; then
		mkdir -p "$KEEP" && cp -r "$RUN"/. "$KEEP"/ 2>/dev/null
	fi
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
rtp_base() { # an even base with $1 free UDP ports after it
	python3 - "$1" <<'PY'
import socket, random, sys
span = int(sys.argv[1])
for _ in range(500):
    base = random.randrange(20000, 60000 - span) & ~1
    socks = []
    try:
        for p in range(base, base + span):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', p)); socks.append(u)
    except OSError:
        for u in socks: u.close()
        continue
    for u in socks: u.close()
    print(base); break
PY
}

SIP_PORT=$(port); SIM_PORT=${SIM_PORT_SET:-$(port)}; PHONE_PORT=$(port); API_PORT=$(port)
RTP=$(rtp_base 300)
mkdir -p "$DATA/flows/learned" "$RUN/run" "$RUN/reports" "$RUN/phone/rec"
# Shipped flows are refreshed each run; learned/ is kept.
cp "$TOP"/flows/*.json "$DATA/flows/" 2>/dev/null
FLOW_ID=""
if [ -n "$FLOW" ]; then
	cp "$FLOW" "$DATA/flows/"
	FLOW_ID=$(jq -r .id "$FLOW")
fi
NUMBER=$(jq -r '.number // "18005550100"' "$SCENARIO")
[ "$BY_URI" = 1 ] && NUMBER=sip:$NUMBER@127.0.0.1:$SIM_PORT
CORPUS=$TOP/../shared/corpus

cat >"$RUN/holdslayer.conf" <<EOF
[general]
rundir = $RUN/run
datadir = $DATA
flowsdir = $DATA/flows
[sip]
listen = 127.0.0.1:$SIP_PORT
[trunk]
proxy = sip:127.0.0.1:$SIM_PORT
[media]
rtp_port_min = $RTP
rtp_port_max = $((RTP + 99))
[ivr]
default_device = phone
[api]
listen = 127.0.0.1:$API_PORT
www_dir = $TOP/apid/www
[devices]
phone = sip:user@127.0.0.1:$PHONE_PORT
EOF
if [ $REGISTER -eq 1 ]; then
	PHONE_PW=$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')
	(umask 077 && printf '%s\n' "$PHONE_PW" >"$RUN/phone.pass")
	# baresip 1.0 answers only the first challenge, and only MD5.
	sed -i -e "s|^listen = 127.0.0.1:$SIP_PORT\$|&\\nphone_digests = MD5|" \
		-e "s|^phone = sip:user@127.0.0.1:$PHONE_PORT\$|phone = sip:user@127.0.0.1:$SIP_PORT|" \
		"$RUN/holdslayer.conf"
	printf '[phones]\nuser = file:%s\n' "$RUN/phone.pass" >>"$RUN/holdslayer.conf"
fi
# HS_DEMO_CONF: a file of more configuration (e.g. an [llm] section).
[ -n "${HS_DEMO_CONF:-}" ] && cat "$HS_DEMO_CONF" >>"$RUN/holdslayer.conf"

# The user's phone: baresip answers at once, says its piece (padded, since
# baresip hangs up when the source ends) and records what it hears.
if [ -f "$CORPUS/speech_live/dv_speech_04.wav" ]; then
	sox "$CORPUS/speech_live/dv_speech_04.wav" -r 8000 -c 1 -b 16 "$RUN/phone/say.wav" pad 1 120
else
	espeak-ng -v en-us -w "$RUN/phone/tts.wav" \
		"Hi, this is the account holder. I am calling about a charge on my card that I do not recognise." &&
		sox "$RUN/phone/tts.wav" -r 8000 -c 1 -b 16 "$RUN/phone/say.wav" pad 1 120
fi
cat >"$RUN/phone/config" <<EOF
poll_method	epoll
sip_listen	127.0.0.1:$PHONE_PORT
audio_player	aubridge,nil
audio_source	aufile,$RUN/phone/say.wav
audio_alert	aubridge,nil
module_path	/usr/lib/baresip/modules
module	g711.so
module	aufile.so
module	aubridge.so
module	sndfile.so
module_app	account.so
snd_path	$RUN/phone/rec
rtp_ports	$((RTP + 200))-$((RTP + 298))
EOF
if [ $REGISTER -eq 1 ]; then
	echo "<sip:user@127.0.0.1:$SIP_PORT>;auth_pass=$PHONE_PW;regint=60;answermode=auto;audio_codecs=PCMU,PCMA" >"$RUN/phone/accounts"
	chmod 600 "$RUN/phone/accounts"
else
	echo "<sip:user@127.0.0.1:$PHONE_PORT>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA" >"$RUN/phone/accounts"
fi

start() { # name cmd...
	local name=$1; shift
	"$@" >"$RUN/$name.log" 2>&1 &
	PIDS="$PIDS $!"
}
echo "== Hold Slayer sandbox demo"
echo "   scenario: $(jq -r .name "$SCENARIO") ($SCENARIO)"
echo "   intent:   $INTENT"
start ivrsim "$BUILD/ivrsim" -s "$SCENARIO" -l "127.0.0.1:$SIM_PORT" -r "$RUN/reports" \
	-m $((RTP + 100)) -c "$CORPUS"
start phone baresip -f "$RUN/phone"
for d in mediad sipd classifyd ivrd apid notifyd; do
	start "$d" "$BUILD/$d" -f "$RUN/holdslayer.conf"
done
API=http://127.0.0.1:$API_PORT
ready=0
deadline=$(( $(date +%s) + 60 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
	if curl -sf "$API/api/health" -o "$RUN/health.json" 2>/dev/null &&
		[ "$(jq '[.daemons[] | select(. == "ok")] | length' "$RUN/health.json" 2>/dev/null)" = 6 ] &&
		jq -e '.status == "ok" and all(.subscribed[]; . == true)' "$RUN/health.json" >/dev/null 2>&1; then
		ready=1; break
	fi
	sleep 0.1
done
[ $ready -eq 1 ] || { cat "$RUN/health.json" 2>/dev/null; tail -n 5 "$RUN"/*.log; die "the daemons did not come up"; }
echo "   daemons:  sipd mediad classifyd ivrd apid notifyd up; ivrsim and the phone (baresip) on loopback"
if [ $REGISTER -eq 1 ]; then
	reg=0
	deadline=$(( $(date +%s) + 30 ))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		"$BUILD/hsbus" -f "$RUN/holdslayer.conf" -w 2 req sipd '{"cmd":"status"}' 2>/dev/null |
			jq -e '[.registrations[]? | select(.phone == "user")] | length > 0' >/dev/null 2>&1 &&
			{ reg=1; break; }
		sleep 0.2
	done
	[ $reg -eq 1 ] || { tail -n 5 "$RUN/phone.log"; die "the phone did not register with sipd"; }
	echo "   phone:    registered with sipd as sip:user@127.0.0.1:$SIP_PORT"
fi
# apid made its token at start-up: holdctl finds it through the config,
# curl through a .curlrc beside it.
export HOLDSLAYER_CONF=$RUN/holdslayer.conf CURL_HOME=$RUN
printf 'header = "Authorization: Bearer %s"\n' "$(cat "$DATA/api.token")" >"$RUN/.curlrc"
chmod 600 "$RUN/.curlrc"
[ $REGISTER -eq 1 ] && curl -sf "$API/api/devices" -o "$RUN/devices.json"
echo
# HS_DEMO_WATCH: a command run beside the call (e.g. a browser on the
# dashboard), given HS_API and HS_TOKEN in its environment; it touches
# $HS_WATCH_READY when it is ready, and the demo waits for it at the end.
WATCH_PID=""
if [ -n "${HS_DEMO_WATCH:-}" ]; then
	HS_API=$API HS_TOKEN=$(cat "$DATA/api.token") HS_WATCH_READY=$RUN/watch.ready \
		sh -c "$HS_DEMO_WATCH" >"$RUN/watch.log" 2>&1 &
	WATCH_PID=$!
	for _ in $(seq 1 600); do
		[ -f "$RUN/watch.ready" ] || ! kill -0 $WATCH_PID 2>/dev/null && break
		sleep 0.1
	done
fi

args=(call "$NUMBER" --intent "$INTENT" --to phone --wait)
[ -n "$FLOW_ID" ] && args+=(--flow "$FLOW_ID")
[ -n "$INFO" ] && args+=(--info "$INFO")
T0=$(date +%s)
"$BUILD/holdctl" --api "$API" "${args[@]}" | tee "$RUN/holdctl.out"
CALL_ID=$(grep -o '[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}' "$RUN/holdctl.out" | head -n 1)
[ -n "$CALL_ID" ] || CALL_ID=$(curl -sf "$API/api/calls" | jq -r '.[0].call_id // .calls[0].call_id // empty')
# Let the last events (recording_stopped, ivrsim's report) land.
for _ in $(seq 1 50); do
	curl -sf "$API/api/calls/$CALL_ID" -o "$RUN/call.json" 2>/dev/null &&
		jq -e '.recording != null and .recording != ""' "$RUN/call.json" >/dev/null 2>&1 &&
		ls "$RUN"/reports/*.json >/dev/null 2>&1 && break
	sleep 0.2
done
curl -sf "$API/api/calls/$CALL_ID" -o "$RUN/call.json" 2>/dev/null || echo '{}' >"$RUN/call.json"
REPORT=$(ls -t "$RUN"/reports/*.json 2>/dev/null | head -n 1)
[ -n "$REPORT" ] && cp "$REPORT" "$RUN/report.json" || echo '{}' >"$RUN/report.json"

status=$(jq -r '.status // "failed"' "$RUN/call.json")
if [ -n "$WATCH_PID" ]; then
	wait $WATCH_PID
	watch_rc=$?
	sed 's/^/   watch: /' "$RUN/watch.log"
	echo "WATCH rc=$watch_rc"
fi
[ "$status" = completed ] || status=failed
path=$(jq -r '(.nodes // []) | join(",")' "$RUN/report.json")
digits=$(jq -r '.digits // ""' "$RUN/report.json")
agent=$(jq -r 'if .agent_reached then "yes" else "no" end' "$RUN/report.json")
# What the agent heard of the user: speech in ivrsim's recording of the
# agent's side from the moment the user was bridged in (before that the
# agent may hear our own "one moment please").  20 ms frames above -40 dBFS.
bridge_at=$(jq -r '[.events[]? | select(.type == "transfer_complete") | .ts][0] // empty' "$RUN/call.json")
listen_wav=$(jq -r '.listen_wav // empty' "$RUN/report.json")
[ -n "$listen_wav" ] && [ ! -f "$listen_wav" ] && listen_wav=$RUN/reports/$(basename "$listen_wav")
heard=0
if [ -n "$bridge_at" ] && [ -n "$listen_wav" ] && [ -f "$listen_wav" ]; then
	heard=$(python3 - "$listen_wav" "$(jq -r .agent_started_at "$RUN/report.json")" "$bridge_at" <<'PY'
import sys, wave, struct, math, datetime
def t(s): return datetime.datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp()
w = wave.open(sys.argv[1])
rate = w.getframerate()
pcm = struct.unpack('<%dh' % w.getnframes(), w.readframes(w.getnframes()))
start = max(0, int((t(sys.argv[3]) - t(sys.argv[2])) * rate))
n = rate // 50
loud = 0
for i in range(start, len(pcm) - n + 1, n):
    rms = math.sqrt(sum(x * x for x in pcm[i:i + n]) / n) / 32768
    if rms > 0.01:
        loud += 1
print(round(loud * 0.02, 1))
PY
)
fi
hold=$(jq -r '(.hold_time // 0) * 10 | round / 10' "$RUN/call.json")
recording=$(jq -r '.recording // "none"' "$RUN/call.json")
latency=$(jq -rn --slurpfile c "$RUN/call.json" --slurpfile r "$RUN/report.json" '
	def t: sub("Z$"; "") | split(".") | (.[0] + "Z" | fromdateiso8601) + ((.[1] // "0") | ("0." + .) | tonumber);
	($c[0].events // [] | map(select(.type == "human_detected")) | .[0].ts) as $h
	| ($r[0].agent_started_at) as $a
	| if $h and $a then (($h | t) - ($a | t)) * 100 | round / 100 else "none" end')
transfer=$(jq -r '[.events[]? | select(.type == "transfer_complete")] | if length > 0 then "bridged to \(.[0].data.device // "phone")" else "no" end' "$RUN/call.json")
# The job is done only when the agent was reached and the user bridged in.
[ "$agent" = yes ] || status=failed
case $transfer in bridged*) ;; *) status=failed ;; esac

echo
echo "== Summary ($(( $(date +%s) - T0 )) s)"
echo "   call:          $CALL_ID ($status)"
echo "   menu path:     ${path:-none}"
echo "   digits:        ${digits:-none}"
echo "   time on hold:  ${hold} s"
echo "   human_detected ${latency} s after the agent's first word"
echo "   transfer:      $transfer; the agent heard ${heard} s of the user"
echo "   recording:     $recording"
[ -n "$KEEP" ] && echo "   artifacts:     $KEEP"
echo "RESULT status=$status path=${path} digits=${digits} agent_reached=$agent heard_user_s=$heard human_latency_s=$latency hold_s=$hold recording=$recording"
if [ -n "$WATCH_PID" ]; then
	wait $WATCH_PID
	watch_rc=$?
	sed 's/^/   watch: /' "$RUN/watch.log"
	echo "WATCH rc=$watch_rc"
fi
[ "$status" = completed ]
