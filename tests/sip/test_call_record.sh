#!/bin/sh
# sipd against a real peer: a direct call from the API to `sipp -sn uas`
# (the company) and a second `sipp -sn uas` (the user's phone).  Both legs
# connect, the API hangs up, sipd sends BYE on both, both sipp instances
# finish their scenario, and the call record says all of it.
. "$(dirname "$0")/../lib.sh"
command -v sipp >/dev/null || fail "sipp missing (make deps)"

SIP=$(free_port); API=$(free_port); RTP=$(free_rtp_base 40)
CO=$(free_port); PH=$(free_port)
write_conf <<EOF
[sip]
listen = 127.0.0.1:$SIP
[media]
rtp_port_min = $RTP
rtp_port_max = $((RTP + 38))
[api]
listen = 127.0.0.1:$API
[devices]
phone = sip:phone@127.0.0.1:$PH
EOF
start uas_co sipp -sn uas -i 127.0.0.1 -p "$CO" -m 1 -nostdin -trace_err -error_file "$T/co.err"
start uas_ph sipp -sn uas -i 127.0.0.1 -p "$PH" -m 1 -nostdin -trace_err -error_file "$T/ph.err"
for d in mediad sipd classifyd ivrd apid notifyd; do
	start "$d" "$HS_BUILD/$d" -f "$T/hs.conf"
done
for d in mediad sipd classifyd ivrd apid notifyd; do
	wait_daemon "$d" || fail "$d did not start: $(tail -n 5 "$T/$d.log")"
done
URL=http://127.0.0.1:$API
wait_for 10 curl -sf "$URL/api/health" || fail "apid HTTP not up"
wait_apid_subscribed "$API" ||
	fail "apid not subscribed to every daemon: $(curl -s "$URL/api/health" | jq -c .subscribed)"
curl -s -o "$T/resp.json" -X POST -H 'Content-Type: application/json' \
	--data "{\"number\":\"sip:company@127.0.0.1:$CO\",\"device\":\"phone\"}" "$URL/api/calls/outbound"
id=$(jq -r .call_id "$T/resp.json")
[ -n "$id" ] && [ "$id" != null ] || fail "no call id: $(cat "$T/resp.json")"
wait_for 15 sh -c "curl -sf '$URL/api/calls/$id' | jq -e '.status == \"bridged\"'" ||
	fail "call never bridged: $(curl -s "$URL/api/calls/$id" | jq -c '{status, events: [.events[].type]}')"
ok "both legs connected and bridged"
sleep 1
curl -sf -X POST -H 'Content-Type: application/json' -d '{}' "$URL/api/calls/$id/hangup" >/dev/null || fail "hangup request failed"
wait_for 15 sh -c "curl -sf '$URL/api/calls/$id' | jq -e '.status == \"completed\"'" ||
	fail "call not completed after hangup: $(curl -s "$URL/api/calls/$id" | jq -c '{status}')"
curl -sf "$URL/api/calls/$id" >"$T/call.json"
for leg in company user; do
	jq -e --arg l "$leg" '[.events[] | select(.type == "call_connected" and .data.leg == $l)] | length == 1' \
		"$T/call.json" >/dev/null || fail "no call_connected for the $leg leg"
	jq -e --arg l "$leg" '[.events[] | select(.type == "call_ended" and .data.leg == $l and .data.by == "local")] | length == 1' \
		"$T/call.json" >/dev/null || fail "no call_ended (by local BYE) for the $leg leg"
done
jq -e '.duration > 0' "$T/call.json" >/dev/null || fail "no duration recorded"
ok "call record: $(jq -c '{status, duration, events: [.events[] | .type + "/" + (.data.leg // "-")]}' "$T/call.json")"
wait_for 10 sh -c "! kill -0 $PID_uas_co 2>/dev/null && ! kill -0 $PID_uas_ph 2>/dev/null" ||
	fail "sipp did not finish its scenario (no BYE?)"
wait "$PID_uas_co"; rc1=$?
wait "$PID_uas_ph"; rc2=$?
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] || fail "sipp exit codes $rc1/$rc2: $(cat "$T"/*.err 2>/dev/null | tail -n 5)"
ok "both sipp UAS completed their call (INVITE, ACK, BYE)"
