#!/bin/sh
# sipd does not wait for mediad: with mediad down, dials are answered at
# once and sipd keeps answering while the legs wait for leg_open (status
# shows them starting, and its longest loop turn stays under the 1000 ms
# the requests wait); [sip] max_pending refuses the dial beyond the cap
# at once (503, "overloaded"); the waiting legs fail with "mediad is
# unreachable" after ctl_timeout_ms.  Then mediad comes back and a call
# to sipp is set up and hung up through the same (reconnected) socket.
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need "$HS_BUILD/mediad" "mediad not built"
need sipp "sipp not installed"
need jq "jq not installed"

write_conf "max_pending = 2"
start sipd
subscribe

UAS=$(free_port)
C1=a1111111-1111-4111-8111-111111111111
C2=a2222222-2222-4222-8222-222222222222
C3=a3333333-3333-4333-8333-333333333333
for c in $C1 $C2; do
	bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$c\",\"leg\":\"company\",\"uri\":\"sip:x@127.0.0.1:$UAS\"}" >/dev/null ||
		fail "dial $c was refused with mediad down"
done
# Both wait for mediad; sipd answers meanwhile, and the third is refused.
st=$(bus_req sipd '{"cmd":"status"}') || fail "no status while legs wait for mediad"
[ "$(echo "$st" | jq .starting)" = 2 ] || fail "status does not show 2 starting legs: $st"
if bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C3\",\"leg\":\"company\",\"uri\":\"sip:x@127.0.0.1:$UAS\"}" >"$T/d3.out"; then
	fail "a dial beyond max_pending was accepted"
fi
grep -q '"code":503' "$T/d3.out" && grep -q "overloaded" "$T/d3.out" ||
	fail "the refusal is unclear: $(cat "$T/d3.out")"
for c in $C1 $C2; do
	ev=$(wait_event 10 ".type==\"call_failed\" and .call_id==\"$c\"") ||
		fail "no call_failed for $c with mediad down"
	echo "$ev" | jq -e '.data.reason | startswith("mediad is unreachable: no reply") and test("within 1000 ms")' >/dev/null ||
		fail "reason does not say mediad did not answer: $ev"
done
st=$(bus_req sipd '{"cmd":"status"}') || fail "no status"
[ "$(echo "$st" | jq .starting)" = 0 ] || fail "legs still starting: $st"
gap=$(echo "$st" | jq .loop_max_gap_ms)
[ "$gap" -ge 0 ] 2>/dev/null || fail "no loop_max_gap_ms in status: $st"
[ "$gap" -lt 1000 ] || fail "sipd's loop stalled for $gap ms (it waited for mediad?)"

# mediad comes back: the next call goes through.
start mediad
sipp -sn uas -i 127.0.0.1 -p "$UAS" -m 1 -nostdin -timeout 30s \
	>"$T/sipp.log" 2>&1 &
SIPP=$!
PIDS="$PIDS $SIPP"
C4=a4444444-4444-4444-8444-444444444444
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C4\",\"leg\":\"company\",\"uri\":\"sip:y@127.0.0.1:$UAS\"}" >/dev/null ||
	fail "dial after mediad's return was refused"
wait_event 15 ".type==\"call_connected\" and .call_id==\"$C4\"" >/dev/null ||
	fail "no call_connected after mediad came back"
bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C4\"}" >/dev/null || fail "hangup refused"
wait_event 10 ".type==\"call_ended\" and .call_id==\"$C4\"" >/dev/null ||
	fail "no call_ended"
# mediad got the leg and then its close.
i=0
until grep -q "$C4 company: open on" "$T/mediad.log" &&
	grep -q "$C4 company: clos" "$T/mediad.log"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "mediad did not open and close the leg"
	sleep 0.1
done
echo "sipd: no wait on mediad, max_pending refusal, recovery after mediad's return"
