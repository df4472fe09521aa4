#!/bin/sh
# baresip, as the user's softphone, REGISTERs with sipd (digest, the
# password from [phones] alice = file:...) and sipd then calls it by its
# address-of-record at sipd, sip:alice@SIPD: the INVITE goes to the
# Contact baresip registered, at the address the REGISTER came from;
# baresip answers (auto-answer) and the leg connects.  A phone of
# [phones] that never registered cannot be dialled.
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/mediad" "mediad not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need baresip "baresip not installed"
need jq "jq not installed"
need sox "sox not installed"

PW=alice-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PW" >"$T/alice.pass"
chmod 600 "$T/alice.pass"
write_conf "phone_digests = MD5" "[phones]" "alice = file:$T/alice.pass" "bob = file:$T/alice.pass"
start mediad
start sipd
subscribe

PHONE_PORT=$(free_port) || fail "no free port"
PRTP=$(free_port 40) || fail "no free RTP range"
mkdir -p "$T/home/.baresip" "$T/rec"
sox -n -r 8000 -c 1 -b 16 "$T/say.wav" synth 30 sine 440 vol 0.3
cat >"$T/home/.baresip/config" <<CFG
poll_method	epoll
sip_listen	127.0.0.1:$PHONE_PORT
audio_player	aubridge,nil
audio_source	aufile,$T/say.wav
audio_alert	aubridge,nil
module_path	/usr/lib/baresip/modules
module	g711.so
module	aufile.so
module	aubridge.so
module_app	account.so
rtp_ports	$PRTP-$((PRTP + 38))
CFG
echo "<sip:alice@127.0.0.1:$SIP_PORT>;auth_pass=$PW;regint=60;answermode=auto;audio_codecs=PCMU,PCMA" \
	>"$T/home/.baresip/accounts"
HOME=$T/home baresip -f "$T/home/.baresip" >"$T/baresip.log" 2>&1 &
PID_baresip=$!
PIDS="$PIDS $PID_baresip"

ev=$(wait_event 30 '.type=="phone_registered" and .data.phone=="alice"') ||
	fail "baresip did not register: $(tail -5 "$T/baresip.log")"
echo "registered: $ev"
echo "$ev" | jq -e '.data.address == "127.0.0.1:'"$PHONE_PORT"'"' >/dev/null ||
	fail "binding not at baresip's address: $ev"
grep -q "401" "$T/sipd.log" || fail "baresip was never challenged"
grep -q -- "$PW" "$T/sipd.log" "$T/events.jsonl" && fail "the password leaked"

# bob never registered: the dial is refused at once.
out=$(bus_req sipd '{"cmd":"dial","call_id":"b0b0b0b0-0000-4000-8000-000000000001","leg":"user","uri":"sip:bob@127.0.0.1:'"$SIP_PORT"'"}' 2>&1) &&
	fail "dialling an unregistered phone was accepted: $out"
echo "$out" | grep -q "not registered" || fail "unclear refusal: $out"

C=a1a1a1a1-0000-4000-8000-000000000001
bus_req sipd '{"cmd":"dial","call_id":"'$C'","leg":"user","uri":"sip:alice@127.0.0.1:'"$SIP_PORT"'"}' \
	>/dev/null || fail "dial alice refused"
ev=$(wait_event 30 ".type==\"call_connected\" and .call_id==\"$C\"") ||
	fail "baresip did not answer: $(grep -i "dialog\|server" "$T/sipd.log" | tail -5)"
echo "connected: $ev"
grep -q "INVITE sip:alice@127.0.0.1:$PHONE_PORT" "$T/sipd.log" ||
	grep -q "to 127.0.0.1:$PHONE_PORT" "$T/sipd.log" ||
	fail "the INVITE did not go to baresip's binding"
bus_req sipd '{"cmd":"hangup","call_id":"'$C'"}' >/dev/null || fail "hangup refused"
wait_event 20 ".type==\"call_ended\" and .call_id==\"$C\"" >/dev/null ||
	fail "no call_ended"
kill -0 "$PID_sipd" || fail "sipd exited"
echo "baresip registered with sipd and was called through its binding"
