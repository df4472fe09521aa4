#!/bin/sh
# ivrd when a flow cannot go on, with the real sipd and mediad against
# ivrsim and classifyd's events published by the test:
#   - a LISTEN step whose words are not heard hands the call to
#     exploration, with the reason, instead of hanging up;
#   - a placeholder naming a key the call's info lacks is not guessed: an
#     ivr_step tells the user "missing info.account_number", so does an
#     info_missing event, and the call is handed to exploration;
#   - an audio condition branches on music; [ivr] max_menu_levels stops a
#     flow that presses more menu keys than allowed, saying so.
. "$(dirname "$0")/../lib.sh"
for p in sipd mediad ivrd ivrsim hsbus; do
	[ -x "$HS_BUILD/$p" ] || fail "$p not built"
done

SIP=$(free_port udp); SIM=$(free_port udp)
RTP=$(free_rtp_base 60)
mkdir -p "$T/flows" "$T/reports"
cp "$HS_TOP"/tests/data/ivrd/ivrd-nomatch.json "$HS_TOP"/tests/data/ivrd/ivrd-account.json \
	"$HS_TOP"/tests/data/ivrd/ivrd-levels.json "$T/flows/"
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
max_menu_levels = 1
[devices]
phone = sip:user@127.0.0.1:9
EOF

start ivrsim "$HS_BUILD/ivrsim" -s "$HS_TOP/tests/ivrsim/scenarios/ivrd-speak.json" \
	-l "127.0.0.1:$SIM" -r "$T/reports" -m $((RTP + 40))
for d in mediad sipd ivrd; do
	start "$d" "$HS_BUILD/$d" -f "$T/hs.conf"
done
for d in mediad sipd ivrd; do
	wait_daemon "$d" || fail "$d did not start: $(tail -n 3 "$T/$d.log")"
done
wait_for 10 grep -q listening "$T/ivrsim.log" || fail "ivrsim did not start"
start events "$HS_BUILD/hsbus" -f "$T/hs.conf" sub ivrd
sleep 0.5

pub() { # call type json: an event "from classifyd"
	"$HS_BUILD/hsbus" -f "$T/hs.conf" pub classifyd "$2" "$1" "$3" >/dev/null ||
		fail "hsbus pub $2 failed"
}
ev() { # call jq-filter
	jq -c "select(.call_id == \"$1\") | $2" "$T/events.log" 2>/dev/null
}
has() { # jq condition: true for some event so far
	jq -s -e "any(.[]; $1)" "$T/events.log" >/dev/null 2>&1
}
call() { # call_id flow_id info
	hsbus req ivrd "{\"cmd\":\"start\",\"call_id\":\"$1\",\"number\":\"18005550142\",
		\"flow_id\":\"$2\",\"mode\":\"hold_slayer\",\"intent\":\"billing\",\"info\":$3}" >"$T/start-$1.json" ||
		fail "start $1 refused: $(cat "$T/start-$1.json")"
}

# 1. Words the flow does not know.
call n1 ivrd-nomatch '{}'
wait_for 10 grep -q "call n1: step 'menu' (LISTEN)" "$T/ivrd.log" || fail "n1 did not start"
pub n1 transcript_chunk '{"leg":"company","text":"for billing press 2 for outages press 3","speaker":"company","is_final":true,"t":2.0,"duration":3.0,"engine":"test"}'
wait_for 10 grep -q "call n1: exploring: step 'menu': nothing recognised" "$T/ivrd.log" ||
	fail "n1 was not handed to exploration: $(grep 'call n1' "$T/ivrd.log" | tail -n 4)"
grep "call n1: exploring" "$T/ivrd.log" | grep -q 'heard "for billing press 2' ||
	fail "the reason does not say what was heard"
ev n1 'select(.type == "ivr_dtmf_sent")' | grep -q . && fail "n1 pressed a key of the flow anyway"
ok "unrecognised menu: handed to exploration with what was heard, no key pressed"
hsbus req ivrd '{"cmd":"hangup","call_id":"n1"}' >/dev/null

# 2. A value the caller did not give.
call a1 ivrd-account '{"zip":"90210"}'
wait_for 10 has '.call_id == "a1" and .type == "ivr_step" and (.data.reason | startswith("missing info.account_number"))' ||
	fail "no ivr_step telling the user about the missing account number: $(ev a1 'select(.type == "ivr_step") | .data.reason')"
grep -q "call a1: exploring: missing info.account_number" "$T/ivrd.log" || fail "a1 was not handed to exploration"
wait_for 10 has '.call_id == "a1" and .type == "info_missing" and .data.key == "account_number" and .data.action == "representative"' ||
	fail "no info_missing {key: account_number, action: representative}: $(ev a1 'select(.type == "info_missing") | .data')"
ev a1 'select(.type == "ivr_dtmf_sent")' | grep -q . && fail "a1 keyed in digits without a value"
ok "missing info.account_number: told through ivr_step and info_missing, nothing guessed, exploration takes over"
hsbus req ivrd '{"cmd":"hangup","call_id":"a1"}' >/dev/null

# 3. Music branches; the second menu key is one level too many.
call l1 ivrd-levels '{}'
wait_for 10 grep -q "call l1: step 'wait' (WAIT)" "$T/ivrd.log" || fail "l1 did not start"
pub l1 audio_classified '{"leg":"company","class":"speech","confidence":0.9,"t":1.0}'
sleep 0.5
ev l1 'select(.type == "ivr_step") | .data.step_id' | grep -q press && fail "speech matched the music condition"
pub l1 audio_classified '{"leg":"company","class":"music","confidence":0.9,"t":1.5}'
wait_for 5 has '.call_id == "l1" and .type == "ivr_step" and .data.step_id == "press-2" and (.data.reason | contains("sounds like music"))' ||
	fail "the music condition did not lead to press-2: $(ev l1 'select(.type == "ivr_step") | .data')"
wait_for 5 has '.call_id == "l1" and .type == "call_failed" and (.data.reason | contains("max_menu_levels (1)"))' ||
	fail "no call_failed naming max_menu_levels: $(ev l1 'select(.type == "call_failed")')"
[ "$(ev l1 'select(.type == "ivr_dtmf_sent") | .data.digits' | tr -d '"\n')" = 2 ] ||
	fail "l1 sent $(ev l1 'select(.type == "ivr_dtmf_sent") | .data.digits' | tr '\n' ' ')"
ok "audio condition on music; the second menu key exceeds max_menu_levels = 1 and fails the call, saying so"
