#!/bin/sh
# apid and the bus: WebSocket clients of /ws/events get bus events unchanged,
# filtered by types= and call_id=; every event is stored in arrival order and
# drives the call's status (ivr, on_hold, human_detected, completed, failed);
# hangup of an ended call is 409; holdctl watch follows a call to its end.
. "$(dirname "$0")/../lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$HS_BUILD/hsbus" ] || skip "hsbus is not built"
[ -x "$HS_BUILD/wsclient" ] || skip "wsclient is not built"
PORT=$(free_port)
API=http://127.0.0.1:$PORT
write_conf <<EOF2
[api]
listen = 127.0.0.1:$PORT
EOF2
start apid "$HS_BUILD/apid" -f "$T/hs.conf"
wait_for 10 curl -sf "$API/api/calls" || fail "apid did not answer: $(cat "$T/apid.log")"

"$HS_BUILD/wsclient" -t 1 127.0.0.1 "$PORT" "/ws/events?types=call_started,bogus" \
	>/dev/null 2>&1
[ $? = 3 ] || fail "a WebSocket with an unknown type was accepted"
ok "unknown type in types= is refused"

# call_is ID JQ: waits (up to 5 s) until GET /api/calls/ID satisfies JQ.
call_is() { wait_for 5 sh -c "curl -sf '$API/api/calls/$1' | jq -e '$2'"; }

C=5b1f3a2e-1111-4222-8333-444455556666
"$HS_BUILD/wsclient" -n 1 -t 15 127.0.0.1 "$PORT" "/ws/events?types=call_started" \
	>"$T/ws_started.out" 2>"$T/ws_started.err" &
WS1=$!
"$HS_BUILD/wsclient" -n 2 -t 15 127.0.0.1 "$PORT" "/ws/events?call_id=$C" \
	>"$T/ws_call.out" 2>"$T/ws_call.err" &
WS2=$!
"$HS_BUILD/wsclient" -n 1 -t 15 127.0.0.1 "$PORT" "/ws/events?call_id=other" \
	>"$T/ws_other.out" 2>"$T/ws_other.err" &
WS3=$!
HS_PIDS="$HS_PIDS $WS1 $WS2 $WS3"
wait_for 5 grep -q connected "$T/ws_started.err" || fail "wsclient did not connect"
wait_for 5 grep -q connected "$T/ws_call.err" || fail "wsclient did not connect"
sleep 0.3

# Published before call_started: the types=call_started client must not see it.
hsbus pub sipd call_connected "$C" '{"leg":"company","remote_uri":"sip:bank@127.0.0.1"}' ||
	fail "hsbus pub failed"
hsbus pub ivrd call_started "$C" \
	'{"number":"18005550100","uri":null,"mode":"hold_slayer","intent":"dispute","flow_id":null,"device":null,"info":{"account":"42"}}' ||
	fail "hsbus pub failed"
wait "$WS1" || fail "types=call_started client got nothing: $(cat "$T/ws_started.out")"
[ "$(wc -l <"$T/ws_started.out")" = 1 ] || fail "extra messages: $(cat "$T/ws_started.out")"
jq -e --arg c "$C" '.v == 1 and .type == "call_started" and .call_id == $c and
	.src == "ivrd" and .data.info.account == "42" and (.seq | type) == "number" and
	(.ts | test("Z$"))' "$T/ws_started.out" >/dev/null ||
	fail "not the bus envelope: $(cat "$T/ws_started.out")"
ok "types=call_started: got call_started only, as the bus envelope"
wait "$WS2" || fail "call_id client: $(cat "$T/ws_call.out")"
[ "$(jq -r .type "$T/ws_call.out" | tr '\n' ' ')" = "call_connected call_started " ] ||
	fail "call_id client got: $(cat "$T/ws_call.out")"
ok "call_id=: both events of the call, in order"

hsbus pub classifyd audio_classified "$C" '{"leg":"company","class":"music","confidence":0.9,"t":3.5,"features":{}}'
hsbus pub classifyd hold_detected "$C" '{"hold_type":"music","t":4.0}'
call_is "$C" '.status == "on_hold"'
r=$(curl -s "$API/api/calls/$C")
printf '%s' "$r" | jq -e '.status == "on_hold" and .audio_type == "music" and
	(.classification_history | length) == 1 and
	.classification_history[0].class == "music" and .hold_time >= 0' >/dev/null ||
	fail "on hold: $r"
ok "audio_classified + hold_detected -> on_hold, audio music"
sleep 1
hsbus pub classifyd transcript_chunk "$C" '{"leg":"company","text":"hello this is Dana","speaker":"company","is_final":true,"t":8.5,"duration":1}'
call_is "$C" '.transcript_excerpt == "hello this is Dana"'
hsbus pub classifyd human_detected "$C" '{"confidence":0.95,"evidence":"speech","t":9,"onset_t":8.5}'
hsbus pub ivrd transfer_started "$C" '{"device":"phone"}'
hsbus pub ivrd transfer_complete "$C" '{"device":"phone"}'
call_is "$C" '.status == "bridged"'
hsbus pub sipd call_ended "$C" '{"leg":"company","by":"remote","reason":"BYE"}'
call_is "$C" '.status == "completed"'
kill "$WS3" 2>/dev/null
[ -s "$T/ws_other.out" ] && fail "call_id=other got events: $(cat "$T/ws_other.out")"

r=$(curl -s "$API/api/calls/$C")
printf '%s' "$r" | jq -e '.status == "completed" and .ended_at != null and
	.hold_time >= 1 and .duration > 0 and .failure == null and .intent == "dispute" and
	([.events[].type] == ["call_connected","call_started","hold_detected","transcript_chunk",
	  "human_detected","transfer_started","transfer_complete","call_ended"])' >/dev/null ||
	fail "completed call: $r"
ok "events stored in arrival order; completed with hold_time $(printf '%s' "$r" | jq .hold_time)"
# The seed API's names beside ours.
printf '%s' "$r" | jq -e --arg c "$C" '
	(.events[] | select(.type == "hold_detected") | .data |
		.hold_type == "music" and .audio_type == "music" and .confidence == 0.9) and
	(.events[] | select(.type == "human_detected") | .data.transcript_excerpt == "hello this is Dana") and
	(.events[] | select(.type == "transfer_started") | .data.from_call_id == $c and .data.bridge_id == $c) and
	(.events[] | select(.type == "call_ended") | .data.number == "18005550100" and .data.duration > 0) and
	.transcript_excerpt == "hello this is Dana" and (.services | index("hold_detection"))' >/dev/null ||
	fail "seed fields: $(printf '%s' "$r" | jq -c '[.events[] | {type, data}], .services')"
ok "seed fields: audio_type/confidence, transcript_excerpt, from_call_id/bridge_id, number/duration; services"

code=$(curl -s -o "$T/h.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{}' "$API/api/calls/$C/hangup")
[ "$code" = 409 ] && jq -e .detail "$T/h.json" >/dev/null || fail "hangup of an ended call: $code"
ok "hangup of an ended call -> 409"

out=$("$HS_BUILD/holdctl" --api "$API" watch "$C") || fail "holdctl watch of a completed call: $out"
printf '%s' "$out" | grep -q "completed" || fail "holdctl watch: $out"
"$HS_BUILD/holdctl" --api "$API" status "$C" | grep -q "human_detected" ||
	fail "holdctl status does not list the events"
ok "holdctl watch/status: $(printf '%s' "$out" | tail -n 1)"

F=5b1f3a2e-2222-4222-8333-444455556666
hsbus pub ivrd call_started "$F" '{"number":"18005550199","mode":"hold_slayer","intent":"x","info":{}}'
hsbus pub sipd call_failed "$F" '{"leg":"company","code":486,"reason":"Busy Here","cause":"busy"}'
call_is "$F" '.status == "failed"'
r=$(curl -s "$API/api/calls/$F")
printf '%s' "$r" | jq -e '.status == "failed" and .failure.code == 486 and
	.failure.reason == "Busy Here" and .failure.cause == "busy"' >/dev/null || fail "failed call: $r"
"$HS_BUILD/holdctl" --api "$API" watch "$F" >"$T/w.out" 2>&1 && fail "watch of a failed call exited 0"
grep -q "failed: the line is busy (486 Busy Here)" "$T/w.out" || fail "holdctl watch: $(cat "$T/w.out")"
ok "call_failed -> failed {486, Busy Here, busy}; holdctl watch exits 1"

# The company drops the call on hold: nobody was reached, so it failed,
# and holdctl says why and exits 1.
H=5b1f3a2e-3333-4222-8333-444455556666
hsbus pub ivrd call_started "$H" '{"number":"18005550177","mode":"hold_slayer","intent":"x","info":{}}'
hsbus pub sipd call_connected "$H" '{"leg":"company","remote_uri":"sip:bank@127.0.0.1"}'
hsbus pub classifyd hold_detected "$H" '{"hold_type":"music","t":4.0}'
call_is "$H" '.status == "on_hold"'
hsbus pub sipd call_ended "$H" '{"leg":"company","by":"remote","reason":"BYE"}'
call_is "$H" '.status == "failed"'
curl -s "$API/api/calls/$H" | jq -e '.failure.reason | test("on hold; no person")' >/dev/null ||
	fail "dropped on hold: $(curl -s "$API/api/calls/$H")"
"$HS_BUILD/holdctl" --api "$API" watch "$H" >"$T/w2.out" 2>&1 && fail "watch of a call dropped on hold exited 0"
grep -q "no person was reached" "$T/w2.out" || fail "holdctl watch: $(cat "$T/w2.out")"
ok "dropped on hold -> failed (no person was reached); holdctl watch exits 1"

curl -s "$API/api/calls?status=failed" | jq -e --arg f "$F" \
	'.total == 2 and (.calls | length) == 2 and .calls[1].call_id == $f' \
	>/dev/null || fail "?status=failed: $(curl -s "$API/api/calls?status=failed")"
curl -s "$API/api/calls?status=all&limit=1" | jq -e --arg f "$H" \
	'.calls[0].call_id == $f and .total == 3 and (.calls | length) == 1' >/dev/null ||
	fail "newest first: $(curl -s "$API/api/calls?status=all&limit=1")"
curl -s "$API/api/calls?status=all&limit=1&offset=2" | jq -e --arg c "$C" '.calls[0].call_id == $c' \
	>/dev/null || fail "offset"
curl -s "$API/api/calls" | jq -e '.calls == [] and .total == 0' >/dev/null ||
	fail "no live calls, yet: $(curl -s "$API/api/calls")"
ok "list: {calls, total}; live calls by default, ?status=all|failed, ?limit, ?offset, newest first"

# A unique prefix of a call id stands for it; an ambiguous one is a 409.
p=$(printf '%s' "$F" | cut -c1-11)
curl -sf "$API/api/calls/$p" | jq -e --arg f "$F" '.call_id == $f' >/dev/null ||
	fail "prefix $p of $F: $(curl -s "$API/api/calls/$p")"
code=$(curl -s -o "$T/amb.json" -w '%{http_code}' "$API/api/calls/5b1f3a2e")
[ "$code" = 409 ] || fail "ambiguous prefix: HTTP $code $(cat "$T/amb.json")"
"$HS_BUILD/holdctl" --api "$API" status "$p" | grep -q "$F" || fail "holdctl status with a prefix"
ok "call id prefixes: unique -> the call, ambiguous -> 409"

code=$(curl -s -o "$T/tr.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d '{"transfer_to":"desk"}' "$API/api/calls/$p/transfer")
[ "$code" = 409 ] || fail "transfer of an ended call: HTTP $code $(cat "$T/tr.json")"
code=$(curl -s -o "$T/tr.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d '{"to":"desk"}' "$API/api/calls/$p/transfer")
[ "$code" = 400 ] || fail "transfer with an unknown field: HTTP $code $(cat "$T/tr.json")"
"$HS_BUILD/holdctl" --api "$API" transfer "$p" desk >"$T/tr.out" 2>&1 && fail "holdctl transfer of an ended call succeeded"
grep -q "already ended" "$T/tr.out" || fail "holdctl transfer: $(cat "$T/tr.out")"
"$HS_BUILD/holdctl" --api "$API" history | grep -q "^$F  failed" || fail "holdctl history: $("$HS_BUILD/holdctl" --api "$API" history)"
"$HS_BUILD/holdctl" --api "$API" --json history --limit 2 | jq -e '.total == 3 and (.calls | length) == 2' >/dev/null ||
	fail "holdctl --json history"
ok "transfer of an ended call -> 409, unknown field -> 400; holdctl transfer/history"
