#!/bin/sh
# hold_eta end to end through the real daemons: metro-power's queue plays
# "Your estimated wait time is two minutes" over its hold music.  The
# call's events (apid) must hold a hold_eta of 2 minutes, after
# hold_detected, and no other: its main menu says "if you are calling
# regarding an hour outage, press one", which states no wait.  holdctl
# call --wait prints the stated wait as a line of its own.
. "$(dirname "$0")/../lib.sh"
export HS_BUILD
command -v baresip >/dev/null || fail "baresip is not installed (make deps)"
keep=$T/keep

line=$(sh "$HS_TOP/tests/explore/run_case.sh" metro-power.json \
	"question about my electric bill" account_number=4455667 \
	main,account,queue,agent "$T/data" "$keep")
echo "$line"
C=$keep/call.json
[ -s "$C" ] || fail "no call record from apid ($(tail -n 3 "$keep.out"))"
case $line in *" path=main,account,queue"*) ;; *) fail "the call did not reach the queue: $line" ;; esac

etas=$(jq -c '[.events[] | select(.type == "hold_eta") | .data]' "$C")
echo "hold_eta: $etas" | cut -c1-600
jq -e '[.events[] | select(.type == "hold_eta")] | length >= 1' "$C" >/dev/null ||
	fail "no hold_eta; company transcripts: $(jq -c '[.events[] | select(.type == "transcript_chunk" and .data.speaker == "company") | .data.text]' "$C" | cut -c1-600)"
jq -e '[.events[] | select(.type == "hold_eta") | .data.minutes] | all(. == 2)' "$C" >/dev/null ||
	fail "a hold_eta other than 2 minutes: $etas"
jq -e '[.events[] | select(.type == "hold_eta")][0].data.text | test("minute")' "$C" >/dev/null ||
	fail "the hold_eta text does not state the minutes: $etas"
jq -e '([.events[] | select(.type == "hold_detected")][0].ts // "9") <
	([.events[] | select(.type == "hold_eta")][0].ts)' "$C" >/dev/null ||
	fail "hold_eta came before hold_detected"
# holdctl call --wait tells the user as it happens.
note=$(grep "the company says the wait is about 2 minutes" "$keep/holdctl.out") ||
	fail "holdctl did not show the stated wait: $(tail -n 5 "$keep/holdctl.out")"
echo "holdctl: $note"
ok "hold_eta of 2 minutes from the queue announcement, none from the menu"
