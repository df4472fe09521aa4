#!/bin/sh
# In-dialog requests out of order (RFC 3261 12.2.2): sipd places a call to
# a sipp UAS that answers, then sends OPTIONS in the dialog with CSeq 10,
# 5 and 11 and a BYE with 12; sipp fails unless they draw 200, 500, 200
# and 200 (tests/sip/uas_cseq.xml), and the call must end by remote BYE.
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
sipp -sf "$HS_TOP/tests/sip/uas_cseq.xml" -i 127.0.0.1 -p "$UAS" -m 1 \
	-nostdin -timeout 30s -trace_err -error_file "$T/sipp.err" \
	>"$T/sipp.log" 2>&1 &
SIPP=$!
PIDS="$PIDS $SIPP"
C=66666666-6666-4666-8666-666666666666
i=0
# Until sipp listens (its socket is bound before it reads the scenario's
# first message): the dial itself fails fast if nothing answers.
while ! ss -Hlun "sport = :$UAS" 2>/dev/null | grep -q .; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "sipp does not listen"
	sleep 0.1
done
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C\",\"leg\":\"company\",\"uri\":\"sip:cseq@127.0.0.1:$UAS\"}" >/dev/null ||
	fail "dial was refused"
wait_event 10 ".type==\"call_connected\" and .call_id==\"$C\"" >/dev/null ||
	fail "no call_connected"
ev=$(wait_event 20 ".type==\"call_ended\" and .call_id==\"$C\"") ||
	fail "no call_ended after the far end's BYE"
[ "$(echo "$ev" | jq -c '[.data.by, .data.reason]')" = '["remote","bye"]' ] ||
	fail "wrong call_ended: $ev"
i=0
while kill -0 "$SIPP" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "sipp did not finish"
	sleep 0.1
done
wait "$SIPP" || fail "sipp saw an unexpected answer: $(cat "$T/sipp.err" 2>/dev/null | tail -5)"
grep -q "server: OPTIONS from .*: 500" "$T/sipd.log" ||
	fail "no 500 for the out-of-order OPTIONS in sipd's log"
echo "out-of-order in-dialog request answered 500; the call went on"
