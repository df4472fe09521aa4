#!/bin/sh
# [sip] invite_timeout_s: a far end that rings and never answers gets a
# CANCEL when the timeout expires, and the leg fails with code 408 (one
# final event only, even after the 487 arrives).
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need "$HS_BUILD/mediad" "mediad not built"
need sipp "sipp not installed"
need jq "jq not installed"

write_conf "invite_timeout_s = 2"
start mediad
start sipd
subscribe

UAS=$(free_port)
sipp -sf "$HS_TOP/tests/sip/uas_ring.xml" -i 127.0.0.1 -p "$UAS" -m 1 \
	-nostdin -timeout 30s >"$T/sipp.log" 2>&1 &
SIPP=$!
PIDS="$PIDS $SIPP"
sleep 0.5
C=55555555-5555-4555-8555-555555555555
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C\",\"leg\":\"company\",\"uri\":\"sip:ring@127.0.0.1:$UAS\"}" >/dev/null ||
	fail "dial was refused"
wait_event 5 ".type==\"call_ringing\" and .call_id==\"$C\"" >/dev/null ||
	fail "no call_ringing"
start_s=$(date +%s)
ev=$(wait_event 10 ".type==\"call_failed\" and .call_id==\"$C\"") ||
	fail "no call_failed after the INVITE timeout"
[ "$(echo "$ev" | jq .data.code)" = 408 ] || fail "wrong code: $ev"
echo "$ev" | jq -e '.data.reason | test("within 2 s")' >/dev/null ||
	fail "reason does not say why: $ev"
[ $(($(date +%s) - start_s)) -le 4 ] || fail "the timeout took too long"
i=0
while kill -0 "$SIPP" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "sipp did not get CANCEL and ACK"
	sleep 0.1
done
wait "$SIPP" || fail "sipp failed: the CANCEL/487/ACK exchange did not complete"
sleep 0.3
[ "$(jq -c "select(.call_id==\"$C\" and (.type==\"call_ended\" or .type==\"call_failed\"))" "$T/events.jsonl" | wc -l)" = 1 ] ||
	fail "more than one final event: $(cat "$T/events.jsonl")"
st=$(bus_req sipd '{"cmd":"status"}') || fail "status failed"
[ "$(echo "$st" | jq .dialogs)" = 0 ] || fail "the leg is still counted: $st"
echo "sipd: INVITE timeout cancels and fails with 408"
