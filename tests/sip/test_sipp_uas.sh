#!/bin/sh
# sipd against real SIP user agents (sipp) with the real mediad: a call
# that is answered and hung up by us, a call turned down with 486, dial
# requests that must be refused, garbage datagrams that must not hurt, and
# a dial while mediad is down.
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need "$HS_BUILD/mediad" "mediad not built"
need sipp "sipp not installed"
need jq "jq not installed"

write_conf "invite_timeout_s = 20" "user_agent = HoldSlayerTest/1"
start mediad
start sipd
subscribe

grep -q "listening on UDP 127.0.0.1 port $SIP_PORT" "$T/sipd.log" ||
	fail "sipd does not log the port it bound"

# --- 1. answered call, hung up by us --------------------------------------
UAS=$(free_port)
sipp -sn uas -i 127.0.0.1 -p "$UAS" -m 1 -nostdin -timeout 30s \
	-trace_err -error_file "$T/sipp1.err" >"$T/sipp1.log" 2>&1 &
SIPP1=$!
PIDS="$PIDS $SIPP1"
sleep 0.5
C1=11111111-1111-4111-8111-111111111111
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C1\",\"leg\":\"company\",\"uri\":\"sip:service@127.0.0.1:$UAS\"}" ||
	fail "dial was refused"
wait_event 10 ".type==\"call_ringing\" and .call_id==\"$C1\" and .data.leg==\"company\" and .data.code==180" >/dev/null ||
	fail "no call_ringing 180"
ev=$(wait_event 10 ".type==\"call_connected\" and .call_id==\"$C1\"") ||
	fail "no call_connected"
[ "$(echo "$ev" | jq -r .data.remote_uri)" = "sip:service@127.0.0.1:$UAS" ] ||
	fail "call_connected has the wrong remote_uri: $ev"
[ "$(echo "$ev" | jq -r .data.leg)" = company ] || fail "wrong leg: $ev"
st=$(bus_req sipd '{"cmd":"status"}') || fail "status failed"
[ "$(echo "$st" | jq .dialogs)" = 1 ] || fail "status does not count the dialog: $st"
[ "$(echo "$st" | jq .port)" = "$SIP_PORT" ] || fail "status has the wrong port: $st"
# The same leg cannot be dialled twice while it is live.
if bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C1\",\"leg\":\"company\",\"uri\":\"sip:x@127.0.0.1:$UAS\"}" >"$T/dup.out"; then
	fail "a duplicate leg was accepted"
fi
grep -q "already has a live company leg" "$T/dup.out" ||
	fail "duplicate leg error is unclear: $(cat "$T/dup.out")"
sleep 1
bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C1\"}" >/dev/null ||
	fail "hangup was refused"
ev=$(wait_event 10 ".type==\"call_ended\" and .call_id==\"$C1\"") ||
	fail "no call_ended after hangup"
[ "$(echo "$ev" | jq -r .data.by)" = local ] || fail "call_ended not by local: $ev"
[ "$(echo "$ev" | jq -r .data.reason)" = bye ] || fail "call_ended reason: $ev"
i=0
while kill -0 "$SIPP1" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "sipp did not finish the call"
	sleep 0.1
done
wait "$SIPP1" || fail "sipp reports a failed call (exit $?): $(cat "$T/sipp1.err" 2>/dev/null)"
[ "$(jq -c "select(.call_id==\"$C1\" and (.type==\"call_ended\" or .type==\"call_failed\"))" "$T/events.jsonl" | wc -l)" = 1 ] ||
	fail "more than one final event for the leg"

# --- 2. a 486 answer --------------------------------------------------------
UAS2=$(free_port)
sipp -sf "$HS_TOP/tests/sip/uas_486.xml" -i 127.0.0.1 -p "$UAS2" -m 1 \
	-nostdin -timeout 30s >"$T/sipp2.log" 2>&1 &
SIPP2=$!
PIDS="$PIDS $SIPP2"
sleep 0.5
C2=22222222-2222-4222-8222-222222222222
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C2\",\"leg\":\"user\",\"uri\":\"sip:busy@127.0.0.1:$UAS2\"}" >/dev/null ||
	fail "dial 2 was refused"
ev=$(wait_event 10 ".type==\"call_failed\" and .call_id==\"$C2\"") ||
	fail "no call_failed for the 486"
[ "$(echo "$ev" | jq .data.code)" = 486 ] || fail "wrong code: $ev"
[ "$(echo "$ev" | jq -r .data.reason)" = "Busy Here" ] || fail "wrong reason: $ev"
[ "$(echo "$ev" | jq -r .data.leg)" = user ] || fail "wrong leg: $ev"
i=0
while kill -0 "$SIPP2" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "sipp (486) did not get its ACK"
	sleep 0.1
done
wait "$SIPP2" || fail "sipp (486) failed"

# --- 1b. answered, then hung up by the far end ------------------------------
UAS4=$(free_port)
sipp -sf "$HS_TOP/tests/sip/uas_bye.xml" -i 127.0.0.1 -p "$UAS4" -m 1 \
	-nostdin -timeout 30s >"$T/sipp4.log" 2>&1 &
SIPP4=$!
PIDS="$PIDS $SIPP4"
sleep 0.5
C5=55555555-5555-4555-8555-555555555555
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C5\",\"leg\":\"company\",\"uri\":\"sip:bye@127.0.0.1:$UAS4\"}" >/dev/null ||
	fail "dial 5 was refused"
wait_event 10 ".type==\"call_connected\" and .call_id==\"$C5\"" >/dev/null ||
	fail "no call_connected (remote BYE case)"
ev=$(wait_event 10 ".type==\"call_ended\" and .call_id==\"$C5\"") ||
	fail "no call_ended after the far end's BYE"
[ "$(echo "$ev" | jq -c '[.data.by, .data.reason]')" = '["remote","bye"]' ] ||
	fail "wrong call_ended after remote BYE: $ev"
i=0
while kill -0 "$SIPP4" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "sipp (bye) got no 200 for its BYE"
	sleep 0.1
done
wait "$SIPP4" || fail "sipp (bye) failed"

# --- 2b. early media, then hung up by us before the answer: CANCEL, 487 --
UAS3=$(free_port)
sipp -sf "$HS_TOP/tests/sip/uas_ring.xml" -i 127.0.0.1 -p "$UAS3" -m 1 \
	-nostdin -timeout 30s >"$T/sipp3.log" 2>&1 &
SIPP3=$!
PIDS="$PIDS $SIPP3"
sleep 0.5
C4=44444444-4444-4444-8444-444444444444
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C4\",\"leg\":\"company\",\"uri\":\"sip:ring@127.0.0.1:$UAS3\"}" >/dev/null ||
	fail "dial 4 was refused"
ev=$(wait_event 10 ".type==\"call_ringing\" and .call_id==\"$C4\"") ||
	fail "no call_ringing for the 183"
[ "$(echo "$ev" | jq -c '[.data.code, .data.early_media]')" = '[183,true]' ] ||
	fail "183 with SDP is not early media: $ev"
bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C4\",\"leg\":\"company\"}" >/dev/null ||
	fail "hangup 4 was refused"
ev=$(wait_event 10 ".type==\"call_ended\" and .call_id==\"$C4\"") ||
	fail "no call_ended after CANCEL"
[ "$(echo "$ev" | jq -c '[.data.by, .data.reason]')" = '["local","cancelled"]' ] ||
	fail "wrong call_ended after CANCEL: $ev"
i=0
while kill -0 "$SIPP3" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "sipp (ring) did not see CANCEL and ACK"
	sleep 0.1
done
wait "$SIPP3" || fail "sipp (ring) failed"

# --- 3. bad dial requests -------------------------------------------------
for bad in '"uri":"tel:+18005551234"' '"uri":"sip:"' \
	'"uri":"sip:a@b\r\nX: y"' '"uri":"sip:a@127.0.0.1","leg":"boss"'; do
	if bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"x\",\"leg\":\"company\",$bad}" >"$T/bad.out"; then
		fail "dial with $bad was accepted"
	fi
	jq -e '.ok == false and (.error | length > 10)' "$T/bad.out" >/dev/null ||
		fail "dial with $bad: no clear error: $(cat "$T/bad.out")"
done

# --- 4. garbage does not hurt ------------------------------------------------
head -c 3000 /dev/urandom >"$T/random.bin"
send_udp "$SIP_PORT" "$T/random.bin" "hello" "$(printf 'INVITE sip:x SIP/2.0\r\n\r\n')" \
	"$(printf 'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 1.2.3.4\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nContent-Length: 900\r\n\r\nv=0\r\n')" 
sleep 0.3
bus_req sipd '{"cmd":"ping"}' >/dev/null || fail "sipd died on garbage"
grep -q "dropped a malformed packet from 127.0.0.1:[0-9]*.*Content-Length 900" "$T/sipd.log" ||
	fail "no clear warning about the Content-Length mismatch"
# OPTIONS gets 200; a BYE for an unknown dialog gets 481; a new INVITE
# from an address that is no registered phone gets 403.
OPT=$(python3 - "$SIP_PORT" <<'EOF'
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(3)
me = s.getsockname()[1]
def req(method, totag=""):
    m = (f"{method} sip:holdslayer@127.0.0.1:{port} SIP/2.0\r\n"
         f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK{method}42\r\n"
         f"Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=99\r\n"
         f"To: <sip:holdslayer@127.0.0.1>{totag}\r\nCall-ID: {method}-1@t\r\n"
         f"CSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n")
    s.sendto(m.encode(), ("127.0.0.1", port))
    return s.recv(4096).decode().split("\r\n")[0]
print(req("OPTIONS"), "|", req("BYE", ";tag=nope"), "|", req("INVITE"))
EOF
) || fail "no answer to OPTIONS/BYE/INVITE"
echo "answers: $OPT"
case "$OPT" in
"SIP/2.0 200 OK | SIP/2.0 481 "*" | SIP/2.0 403 "*) ;;
*) fail "unexpected answers: $OPT" ;;
esac

# --- 5. mediad down -----------------------------------------------------------
kill "$PID_mediad"
wait "$PID_mediad" 2>/dev/null
C3=33333333-3333-4333-8333-333333333333
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C3\",\"leg\":\"company\",\"uri\":\"sip:x@127.0.0.1:$UAS\"}" >/dev/null ||
	fail "dial 3 was refused"
ev=$(wait_event 10 ".type==\"call_failed\" and .call_id==\"$C3\"") ||
	fail "no call_failed with mediad down"
[ "$(echo "$ev" | jq .data.code)" = 0 ] || fail "wrong code: $ev"
echo "$ev" | jq -e '.data.reason | startswith("mediad is unreachable")' >/dev/null ||
	fail "reason does not name mediad: $ev"

bus_req sipd '{"cmd":"ping"}' >/dev/null || fail "sipd is gone at the end"
echo "sipd: sipp calls, 486, bad input and mediad outage all handled"
