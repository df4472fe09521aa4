#!/bin/sh
# ivrd running a flow against ivrsim with the real sipd and mediad, and
# classifyd's events published by the test itself (classifyd is not run),
# so that every decision can be provoked at a known moment:
#   - a condition on the menu's transcript picks the key (a regex group);
#   - {info.account_number} is keyed in and ivrsim accepts it;
#   - a SPEAK step is heard by ivrsim (its node advances only on speech);
#   - the hand-over: the user's phone never answers, so the agent hears the
#     greeting and then the second line, transfer_retry is published, and
#     the call stays up;
#   - human_retracted while the phone rings cancels the ringing and goes
#     back to hold; a new human_detected rings again.
. "$(dirname "$0")/../lib.sh"
for p in sipd mediad ivrd ivrsim hsbus; do
	[ -x "$HS_BUILD/$p" ] || fail "$p not built"
done

SIP=$(free_port udp); SIM=$(free_port udp); PHONE=$(free_port udp)
RTP=$(free_rtp_base 60)
mkdir -p "$T/flows" "$T/reports"
cp "$HS_TOP/tests/data/ivrd/ivrd-utility.json" "$T/flows/"
HS_FLOWSDIR=$T/flows write_conf <<EOF
[sip]
listen = 127.0.0.1:$SIP
[trunk]
proxy = sip:127.0.0.1:$SIM
[media]
rtp_port_min = $RTP
rtp_port_max = $((RTP + 39))
[ivr]
default_device = phone
user_answer_s = 5
user_attempts = 3
[devices]
phone = sip:user@127.0.0.1:$PHONE
EOF

# The user's phone: a UDP port that swallows the INVITE and never answers.
start phone python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recv(65536)' "$PHONE"
start ivrsim "$HS_BUILD/ivrsim" -s "$HS_TOP/tests/ivrsim/scenarios/ivrd-speak.json" \
	-l "127.0.0.1:$SIM" -r "$T/reports" -m $((RTP + 40))
for d in mediad sipd ivrd; do
	start "$d" "$HS_BUILD/$d" -v -f "$T/hs.conf"
done
for d in mediad sipd ivrd; do
	wait_daemon "$d" || fail "$d did not start: $(tail -n 3 "$T/$d.log")"
done
wait_for 10 grep -q listening "$T/ivrsim.log" || fail "ivrsim did not start"
start events "$HS_BUILD/hsbus" -f "$T/hs.conf" sub ivrd
sleep 0.5

pub() { # type json: an event "from classifyd" about the call
	"$HS_BUILD/hsbus" -f "$T/hs.conf" pub classifyd "$1" c1 "$2" >/dev/null ||
		fail "hsbus pub $1 failed"
}
ev() { # jq filter over the ivrd events so far
	jq -c "select(.call_id == \"c1\") | $1" "$T/events.log" 2>/dev/null
}
has_event() { grep -q "\"type\":\"$1\"" "$T/events.log"; }

hsbus req ivrd '{"cmd":"start","call_id":"c1","number":"18005550142",
	"mode":"hold_slayer","intent":"a wrong charge on my bill",
	"info":{"account_number":"44-17"}}' >"$T/start.json" ||
	fail "start refused: $(cat "$T/start.json")"
wait_for 10 grep -q "step 'menu' (LISTEN)" "$T/ivrd.log" ||
	fail "the flow did not start: $(tail -n 5 "$T/ivrd.log")"

# The menu's words, as classifyd would transcribe them.
pub transcript_chunk '{"leg":"company","text":"welcome","speaker":"company","is_final":true,"t":1.0,"duration":1.0,"engine":"test"}'
pub transcript_chunk '{"leg":"company","text":"for billing press 2 for outages press 3","speaker":"company","is_final":true,"t":2.0,"duration":3.0,"engine":"test"}'
wait_for 5 grep -q "digit '2'" "$T/ivrsim.log" ||
	fail "ivrsim got no 2: $(grep -E 'menu|condition' "$T/ivrd.log" | tail -n 5)"
ev 'select(.type == "ivr_dtmf_sent") | .data.reason' | head -n 1 | grep -q 'condition 2 (for billing' ||
	fail "ivr_dtmf_sent does not give the condition as the reason: $(ev 'select(.type == "ivr_dtmf_sent")')"
ok "a regex condition on the transcript pressed the key it names (2)"

wait_for 15 grep -q "collected '4417'" "$T/ivrsim.log" ||
	fail "ivrsim did not collect the account number: $(tail -n 5 "$T/ivrsim.log")"
ok "{info.account_number} (44-17) keyed in as 4417#"

wait_for 25 grep -q "node 'why': heard" "$T/ivrsim.log" ||
	fail "ivrsim did not hear the SPEAK step: $(tail -n 5 "$T/ivrsim.log"; grep -E 'say|SPEAK' "$T/mediad.log" "$T/ivrd.log" | tail -n 4)"
grep -q 'say: c1 company: "I am calling about a wrong charge on my bill."' "$T/mediad.log" ||
	fail "mediad did not say the expanded text"
ok "SPEAK \"I am calling about {intent}.\": synthesized, played, heard by ivrsim"

wait_for 15 grep -q "agent .* on the line" "$T/ivrsim.log" || fail "ivrsim never reached the agent"
wait_for 5 grep -q "step 'hold' (HOLD)" "$T/ivrd.log" || fail "ivrd is not on hold"
pub human_detected '{"confidence":0.9,"evidence":"test","t":20.0,"onset_t":19.5}'
wait_for 5 has_event transfer_started || fail "no transfer_started after human_detected"
wait_for 5 grep -q 'say: c1 company: "Hello, one moment please' "$T/mediad.log" ||
	fail "the agent was not greeted"
ok "human_detected: the user's phone rings and the agent hears the greeting"

wait_for 10 has_event transfer_retry || fail "no transfer_retry after user_answer_s"
grep -q 'say: c1 company: "Thank you for waiting' "$T/mediad.log" ||
	fail "the agent did not hear the second line"
ev 'select(.type == "transfer_retry") | .data' | head -n 1 |
	jq -e '.attempt == 2 and .attempts == 3 and .waited_s >= 4.5' >/dev/null ||
	fail "transfer_retry data: $(ev 'select(.type == "transfer_retry") | .data')"
ev 'select(.type == "call_state") | .data.state' | grep -q ended &&
	fail "the call ended instead of keeping the agent"
ok "no answer in 5 s: the agent heard the second line, transfer_retry (attempt 2 of 3), the call stays up"

# A recording, not a person: stop ringing and go back to hold.
n_inv=$(grep -c "c1/user: INVITE" "$T/sipd.log")
pub human_retracted '{"reason":"test: the voice was a recording"}'
wait_for 5 grep -q "step 'hold' (HOLD): the live person was a recording" "$T/ivrd.log" ||
	fail "no return to hold after human_retracted: $(tail -n 5 "$T/ivrd.log")"
grep -q "c1/user: hangup before the answer: CANCEL" "$T/sipd.log" ||
	fail "sipd did not cancel the ringing"
ev 'select(.type == "call_state") | .data.state' | tail -n 1 | grep -q on_hold ||
	fail "state is not on_hold after the retraction"
ok "human_retracted: ringing cancelled (CANCEL), back on hold"
sleep 6
[ "$(grep -c "c1/user: INVITE" "$T/sipd.log")" = "$n_inv" ] ||
	fail "the user's phone was rung again while on hold"
pub human_detected '{"confidence":0.9,"evidence":"test again","t":40.0,"onset_t":39.5}'
wait_for 5 sh -c "[ \$(grep -c 'c1/user: INVITE' '$T/sipd.log') -gt $n_inv ]" ||
	fail "no new ring after the second human_detected"
ok "a second human_detected rings the user again"

hsbus req ivrd '{"cmd":"hangup","call_id":"c1"}' >/dev/null || fail "hangup refused"
wait_for 5 grep -q '"state":"ended"' "$T/events.log" || fail "the call did not end on hangup"
wait_for 10 sh -c "ls '$T'/reports/*.json" || fail "no ivrsim report"
R=$(ls "$T"/reports/*.json | head -n 1)
jq -e '.nodes | index("main") < index("account") and index("account") < index("why") and index("why") < index("queue") and index("queue") < index("agent")' "$R" >/dev/null ||
	fail "ivrsim path $(jq -c .nodes "$R")"
jq -e '.heard_speech_s >= 4' "$R" >/dev/null ||
	fail "the agent heard only $(jq .heard_speech_s "$R") s (greeting and second line)"
ok "ivrsim path $(jq -r '.nodes | join(",")' "$R"); the agent heard $(jq .heard_speech_s "$R") s of our lines"
