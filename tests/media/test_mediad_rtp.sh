#!/bin/sh
# mediad over real RTP on loopback: two legs of one call, each pointed at a
# small RTP endpoint (rtppeer.py).  Checks that (a) audio received on the
# company leg is published as audio frames, (b) dtmf goes out as paced
# RFC 4733 packets and an RFC 4733 digit sent in is published once as
# dtmf_received, (c) after bridge each leg hears the other, (d) closing both
# legs publishes recording_stopped and leaves a non-silent 0600 WAV, and
# that bad requests get clear errors.
. "$(dirname "$0")/../lib.sh"
PEER="python3 $HS_TOP/tests/media/rtppeer.py"

[ -x "$HS_BUILD/mediad" ] || skip "$HS_BUILD/mediad not built"
[ -x "$HS_BUILD/hsbus" ] || skip "$HS_BUILD/hsbus not built"
command -v python3 >/dev/null || skip "python3 missing"
command -v sox >/dev/null || skip "sox missing"
command -v jq >/dev/null || skip "jq missing"

base=$(free_rtp_base 40)
[ -n "$base" ] || fail "no free RTP range"
printf '[media]\nrtp_addr = 127.0.0.1\nrtp_port_min = %s\nrtp_port_max = %s\n' \
	"$base" $((base + 39)) | write_conf
start mediad "$HS_BUILD/mediad" -f "$T/hs.conf"
wait_daemon mediad || fail "mediad did not answer ping: $(cat "$T/mediad.log")"
ok "mediad up, RTP range $base..$((base + 39))"

req() { hsbus -w 2 req mediad "$1"; }
expect_err() { # json pattern
	out=$(req "$1"); rc=$?
	[ $rc -eq 1 ] || fail "expected ok:false for $1, got rc=$rc: $out"
	echo "$out" | grep -q -- "$2" || fail "error for $1 does not say '$2': $out"
}

# Subscribers; wait until they really receive (slow joiner) by opening
# probe calls until one's recording_stopped shows up.
start events "$HS_BUILD/hsbus" -f "$T/hs.conf" sub mediad
start audio "$HS_BUILD/hsbus" -f "$T/hs.conf" sub mediad audio
i=0
while :; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "subscriber never saw recording_stopped"
	req "{\"cmd\":\"leg_open\",\"call_id\":\"probe-$i\",\"leg\":\"company\"}" >/dev/null ||
		fail "probe leg_open failed"
	req "{\"cmd\":\"leg_close\",\"call_id\":\"probe-$i\",\"leg\":\"company\"}" >/dev/null
	sleep 0.1
	grep "recording_stopped" "$T/events.log" 2>/dev/null | grep -q "\"probe-$i\"" && break
done
ok "subscriber ready"

CALL=0b7e4c1a-9d2f-4e5b-8a61-3f0c2d9e7b15
expect_err '{"cmd":"leg_open","call_id":"x","leg":"boss"}' "bad leg"
expect_err '{"cmd":"leg_open","call_id":"../etc","leg":"user"}' "bad call_id"
expect_err '{"cmd":"leg_open","leg":"user"}' "missing 'call_id'"
expect_err '{"cmd":"leg_remote","call_id":"nope","leg":"user","addr":"127.0.0.1","port":4000,"pt":0,"dtmf_pt":101}' "unknown call"
expect_err '{"cmd":"bridge","call_id":"nope"}' "unknown call"

co=$(req "{\"cmd\":\"leg_open\",\"call_id\":\"$CALL\",\"leg\":\"company\"}") || fail "leg_open company: $co"
us=$(req "{\"cmd\":\"leg_open\",\"call_id\":\"$CALL\",\"leg\":\"user\"}") || fail "leg_open user: $us"
cport=$(echo "$co" | jq -r .port)
uport=$(echo "$us" | jq -r .port)
[ $((cport % 2)) -eq 0 ] && [ "$cport" -ge "$base" ] && [ "$cport" -le $((base + 39)) ] ||
	fail "company port $cport not even in range"
[ "$cport" != "$uport" ] || fail "both legs got port $cport"
ok "legs on ports $cport and $uport"

R="\"call_id\":\"$CALL\",\"leg\":\"user\",\"addr\":\"127.0.0.1\""
expect_err "{\"cmd\":\"leg_remote\",$R,\"port\":70000,\"pt\":0,\"dtmf_pt\":101}" "out of range"
expect_err "{\"cmd\":\"leg_remote\",$R,\"port\":4000,\"pt\":3,\"dtmf_pt\":101}" "PCMU"
expect_err "{\"cmd\":\"leg_remote\",$R,\"port\":\"4000\",\"pt\":0,\"dtmf_pt\":101}" "'port' must be an integer"
expect_err "{\"cmd\":\"leg_remote\",\"call_id\":\"$CALL\",\"leg\":\"user\",\"addr\":\"no.such\",\"port\":4000,\"pt\":0,\"dtmf_pt\":101}" "not an IP"
expect_err "{\"cmd\":\"dtmf\",\"call_id\":\"$CALL\",\"leg\":\"company\",\"digits\":\"12E\"}" "bad digit 'E'"
expect_err "{\"cmd\":\"dtmf\",\"call_id\":\"$CALL\",\"leg\":\"company\",\"digits\":\"1\",\"duration_ms\":5}" "duration_ms"
expect_err "{\"cmd\":\"play\",\"call_id\":\"$CALL\",\"leg\":\"company\",\"path\":\"$T/missing.wav\"}" "missing.wav"
ok "bad requests rejected with clear errors"

pc=$(free_port udp)
pu=$(free_port udp)
while [ "$pu" = "$pc" ]; do pu=$(free_port udp); done
req "{\"cmd\":\"leg_remote\",\"call_id\":\"$CALL\",\"leg\":\"company\",\"addr\":\"127.0.0.1\",\"port\":$pc,\"pt\":0,\"dtmf_pt\":101}" >/dev/null ||
	fail "leg_remote company"
req "{\"cmd\":\"leg_remote\",\"call_id\":\"$CALL\",\"leg\":\"user\",\"addr\":\"127.0.0.1\",\"port\":$pu,\"pt\":0,\"dtmf_pt\":101}" >/dev/null ||
	fail "leg_remote user"

# The company sends 1 kHz (switching to a new SSRC and timestamp base at
# 4.4 s, as a PBX does between prompts); the user 600 Hz and, at 2 s, the
# digit 7.
start pcomp $PEER run --port "$pc" --remote "127.0.0.1:$cport" --seconds 9 \
	--freq 1000 --switch-at 4.4 --log "$T/comp.rtp"
start puser $PEER run --port "$pu" --remote "127.0.0.1:$uport" --seconds 9 \
	--freq 600 --dtmf 7 --dtmf-at 2.0 --log "$T/user.rtp"
t0=$(date +%s.%N)

# (a) Audio frames of the company leg on the bus (the tone is -10 dBFS).
wait_for 5 grep -q '"leg":"company".*"rms_dbfs":-1[0-9]\.' "$T/audio.log" ||
	fail "no loud company audio frame published: $(tail -n 3 "$T/audio.log")"
ok "company audio published: $(grep -c '"leg":"company"' "$T/audio.log") frames so far"

# (b) DTMF out, paced one packet per 20 ms.
sleep 0.5
req "{\"cmd\":\"dtmf\",\"call_id\":\"$CALL\",\"leg\":\"company\",\"digits\":\"159#\"}" >/dev/null ||
	fail "dtmf request"
sleep 1.5
$PEER dtmf "$T/comp.rtp" "159#" || fail "RFC 4733 packets at the company peer are wrong"

# DTMF in: the user peer's digit 7 (sent at 2.0 s, with 3 end packets).
wait_for 3 grep -q '"dtmf_received".*"digit":"7"' "$T/events.log" ||
	fail "dtmf_received 7 not published: $(grep dtmf "$T/events.log")"
sleep 0.3
n=$(grep -c '"dtmf_received"' "$T/events.log")
[ "$n" -eq 1 ] || fail "dtmf_received published $n times, expected once"
grep '"dtmf_received"' "$T/events.log" | grep -q '"leg":"user"' ||
	fail "dtmf_received not on the user leg"
ok "dtmf_received {leg:user, digit:7} published once"

# (c) Before the bridge the user peer hears silence; after it, the company
# tone, and the company peer hears the user.
tb=$(date +%s.%N)
before_u=$($PEER rms "$T/user.rtp" --after "$t0" --before "$tb" | cut -d' ' -f1)

# play: a 16 kHz stereo prompt, resampled and sent on the user leg.
sox -n -r 16000 -c 2 "$T/prompt.wav" synth 0.6 sine 800 vol 0.5 || fail "sox"
tp=$(date +%s.%N)
out=$(req "{\"cmd\":\"play\",\"call_id\":\"$CALL\",\"leg\":\"user\",\"path\":\"$T/prompt.wav\"}") ||
	fail "play: $out"
echo "$out" | jq -e '.seconds > 0.55 and .seconds < 0.65' >/dev/null || fail "play: wrong length: $out"
sleep 0.9
set -- $($PEER rms "$T/user.rtp" --after "$tp")
echo "user peer hears the prompt at $1 dBFS ($2 of packets loud)"
python3 -c "import sys; sys.exit(0 if $1 > -25 and 0.45 <= $2 <= 0.9 else 1)" ||
	fail "the played prompt did not reach the user peer"
ok "play sends the prompt"

req "{\"cmd\":\"bridge\",\"call_id\":\"$CALL\"}" >/dev/null || fail "bridge"
sleep 0.3
ta=$(date +%s.%N)
sleep 1.5
set -- $($PEER rms "$T/user.rtp" --after "$ta")
after_u=$1 loud_u=$2
set -- $($PEER rms "$T/comp.rtp" --after "$ta")
after_c=$1 loud_c=$2
echo "user peer hears $before_u dBFS before the bridge, $after_u after" \
	"($loud_u of packets loud); company peer $after_c ($loud_c)"
python3 -c "import sys; sys.exit(0 if $before_u < -60 and $after_u > -20 and $after_c > -20 else 1)" ||
	fail "bridge: audio did not cross between the legs"
# The company switched streams inside this window: a stall of more than
# about 200 ms would show here.
python3 -c "import sys; sys.exit(0 if $loud_u >= 0.85 and $loud_c >= 0.9 else 1)" ||
	fail "bridge: the bridged audio has gaps ($loud_u, $loud_c of packets loud)"
ok "bridge carries audio both ways"

st=$(req '{"cmd":"status"}') || fail "status"
echo "$st" | jq -e ".calls[] | select(.call_id == \"$CALL\") | .bridged == true and (.legs | length) == 2" >/dev/null ||
	fail "status does not show the bridged call: $st"

# A far end without telephone-event gets the digits in-band.
req "{\"cmd\":\"leg_remote\",\"call_id\":\"$CALL\",\"leg\":\"user\",\"addr\":\"127.0.0.1\",\"port\":$pu,\"pt\":0,\"dtmf_pt\":-1}" >/dev/null ||
	fail "leg_remote user without telephone-event"
out=$(req "{\"cmd\":\"dtmf\",\"call_id\":\"$CALL\",\"leg\":\"user\",\"digits\":\"42\"}") ||
	fail "in-band dtmf: $out"
echo "$out" | jq -e '.inband == true' >/dev/null || fail "dtmf without telephone-event not in-band: $out"
n=$(grep -c '"ev":' "$T/user.rtp")
[ "$n" -eq 0 ] || fail "$n RFC 4733 packets sent to a far end without telephone-event"
ok "in-band DTMF for a far end without telephone-event"

# (d) Close both legs: recording_stopped, a non-silent 0600 WAV.
req "{\"cmd\":\"leg_close\",\"call_id\":\"$CALL\",\"leg\":\"company\"}" >/dev/null || fail "leg_close company"
req "{\"cmd\":\"leg_close\",\"call_id\":\"$CALL\",\"leg\":\"user\"}" >/dev/null || fail "leg_close user"
wait_for 3 sh -c "grep recording_stopped '$T/events.log' | grep -q '$CALL'" ||
	fail "recording_stopped not published"
ev=$(grep recording_stopped "$T/events.log" | grep "$CALL")
wav=$(echo "$ev" | jq -r .data.path)
secs=$(echo "$ev" | jq -r .data.seconds)
[ -f "$wav" ] || fail "no recording at $wav"
[ "$(stat -c %a "$wav")" = 600 ] || fail "$wav mode $(stat -c %a "$wav"), expected 600"
rmsamp=$(sox "$wav" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
echo "recording $wav: $secs s, RMS amplitude $rmsamp"
python3 -c "import sys; sys.exit(0 if $rmsamp > 0.05 and $secs > 3 else 1)" ||
	fail "recording is silent or too short"
st=$(req '{"cmd":"status"}')
echo "$st" | jq -e '.calls | length == 0' >/dev/null || fail "call not freed: $st"
ok "recording $secs s, RMS $rmsamp; call freed"
exit 0
