#!/bin/sh
# End to end: the demo's call, as a test.  Six real daemons, ivrsim as the
# company and baresip as the user's phone, all on loopback.  Asserts what a
# user cares about: the right keys reached the agent, the user was really
# bridged (the agent heard them), the API tells the story in order, and the
# recording holds sound.
. "$(dirname "$0")/../lib.sh"
command -v baresip >/dev/null || fail "baresip missing (make deps)"

bash "$HS_TOP/tests/e2e/demo.sh" --data "$T/data" --keep "$T/out" >"$T/demo.out" 2>&1
rc=$?
cat "$T/demo.out"
result=$(grep '^RESULT ' "$T/demo.out" | tail -n 1)
[ -n "$result" ] || fail "demo printed no RESULT line (rc=$rc)"
echo "$result" | grep -Eq '^RESULT status=(completed|failed) path=[a-z0-9_,]* digits=[0-9*#]* agent_reached=(yes|no) heard_user_s=[0-9.]+ human_latency_s=([0-9.-]+|none) hold_s=[0-9.]+ recording=[^ ]+$' ||
	fail "RESULT line is not in the stable format: $result"

R=$T/out/report.json
C=$T/out/call.json
[ -s "$R" ] || fail "no ivrsim report"
[ "$(jq -r .digits "$R")" = 21 ] || fail "ivrsim received digits '$(jq -r .digits "$R")', expected 21"
jq -e '.nodes | index("main") < index("billing") and index("billing") < index("queue") and index("queue") < index("agent")' "$R" >/dev/null ||
	fail "ivrsim path $(jq -c .nodes "$R") is not main,billing,queue,agent"
jq -e '.agent_reached == true' "$R" >/dev/null || fail "agent node not reached"
ok "ivrsim: path $(jq -r '.nodes | join(",")' "$R"), digits 21, agent reached"
# heard_user_s counts only what the agent heard after the user was bridged
# in, so our own "one moment please" cannot pass for the user.
heard=$(echo "$result" | sed -n 's/.* heard_user_s=\([0-9.]*\) .*/\1/p')
awk -v h="$heard" 'BEGIN { exit !(h >= 1.0) }' ||
	fail "the agent heard only ${heard:-0} s of the user after the bridge"
ok "the agent heard $heard s of the user's speech after the bridge"

[ "$(jq -r .status "$C")" = completed ] || fail "API status is '$(jq -r .status "$C")', expected completed"
order=$(jq -r '[.events[] | select(
	(.type == "call_started") or
	(.type == "call_connected" and .data.leg == "company") or
	(.type == "ivr_dtmf_sent") or (.type == "hold_detected") or
	(.type == "human_detected") or (.type == "transfer_started") or
	(.type == "transfer_complete") or
	(.type == "call_ended" and .data.leg == "company"))
	| .type] | join(" ")' "$C")
want="call_started call_connected ivr_dtmf_sent ivr_dtmf_sent hold_detected human_detected transfer_started transfer_complete call_ended"
[ "$order" = "$want" ] || fail "API events out of order:
  got:  $order
  want: $want"
ok "API: completed, events in order"
jq -e '.hold_time > 0' "$C" >/dev/null || fail "hold_time not recorded"
jq -e '[.events[] | select(.type == "transcript_chunk" and .data.speaker == "us"
	and .data.leg == "company" and (.data.text | test("one moment please")))] | length >= 1' "$C" >/dev/null ||
	fail "no transcript_chunk with speaker us for the greeting to the agent"
ok "API: what we said to the agent is in the transcript (speaker us)"

rec=$(jq -r .recording "$C")
[ -f "$rec" ] || fail "recording '$rec' does not exist"
[ "$(stat -c %a "$rec")" = 600 ] || fail "recording mode is $(stat -c %a "$rec"), expected 600"
rms=$(sox "$rec" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
secs=$(sox "$rec" -n stat 2>&1 | awk '/Length \(seconds\)/ {print $3}')
awk -v r="$rms" 'BEGIN { exit !(r > 0.005) }' || fail "recording is silent (RMS $rms)"
awk -v s="$secs" 'BEGIN { exit !(s > 10) }' || fail "recording is only $secs s"
ok "recording $rec: $secs s, RMS $rms"
[ $rc -eq 0 ] || fail "demo exited $rc"
