#!/bin/sh
# DTMF by SIP INFO: a far end whose answer has no telephone-event gets
# call_connected with dtmf "info", and sipd's dtmf command sends one INFO
# (application/dtmf-relay) per digit, in order; bad dtmf requests are
# refused clearly.
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need "$HS_BUILD/mediad" "mediad not built"
need sipp "sipp not installed"
need jq "jq not installed"

write_conf "invite_timeout_s = 20"
start mediad
start sipd
subscribe

UAS=$(free_port)
sipp -sf "$HS_TOP/tests/sip/uas_info.xml" -i 127.0.0.1 -p "$UAS" -m 1 \
	-nostdin -timeout 60s -trace_err -error_file "$T/sipp.err" \
	>"$T/sipp.log" 2>&1 &
SIPP=$!
PIDS="$PIDS $SIPP"
sleep 0.5
C=20000000-0000-4000-8000-000000000001
bus_req sipd "{\"cmd\":\"dtmf\",\"call_id\":\"$C\",\"leg\":\"company\",\"digits\":\"1\"}" \
	>"$T/early.out" && fail "dtmf before the call was accepted"
jq -e '.code == 404' "$T/early.out" >/dev/null ||
	fail "dtmf on no call: not a 404: $(cat "$T/early.out")"
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C\",\"leg\":\"company\",\"uri\":\"sip:info@127.0.0.1:$UAS\"}" \
	>/dev/null || fail "dial was refused"
ev=$(wait_event 20 ".type==\"call_connected\" and .call_id==\"$C\"") ||
	fail "no call_connected"
[ "$(echo "$ev" | jq -r .data.dtmf)" = info ] ||
	fail "call_connected does not say dtmf info: $ev"
bus_req sipd "{\"cmd\":\"dtmf\",\"call_id\":\"$C\",\"leg\":\"company\",\"digits\":\"1x\"}" \
	>"$T/bad.out" && fail "dtmf with a bad digit was accepted"
jq -e '.code == 400' "$T/bad.out" >/dev/null ||
	fail "bad digit: not a 400: $(cat "$T/bad.out")"
r=$(bus_req sipd "{\"cmd\":\"dtmf\",\"call_id\":\"$C\",\"leg\":\"company\",\"digits\":\"1#9\"}") ||
	fail "dtmf was refused: $r"
[ "$(echo "$r" | jq .queued)" = 3 ] || fail "dtmf reply: $r"
ev=$(wait_event 20 ".type==\"call_ended\" and .call_id==\"$C\"") ||
	fail "no call_ended: the far end did not get its three INFOs"
[ "$(echo "$ev" | jq -r .data.by)" = remote ] || fail "ended by us: $ev"
i=0
while kill -0 "$SIPP" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "sipp did not finish"
	sleep 0.1
done
wait "$SIPP" || fail "sipp saw wrong INFOs: $(cat "$T/sipp.err" 2>/dev/null)"
# (At debug level requests and packets are echoed whole; above it the
# digits must not appear.)
grep "^<[0-6]>" "$T/sipd.log" | grep -q "1#9\|Signal=" && fail "the digits were logged"
bus_req sipd '{"cmd":"ping"}' >/dev/null || fail "sipd is gone at the end"
echo "sipd: DTMF by INFO, one per digit, in order"
