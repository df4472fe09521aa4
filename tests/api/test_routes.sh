#!/bin/sh
# The seed API's other routes against a real apid and ivrd: /api/devices
# CRUD (seeded from [devices], kept in SQLite), /api/call-flows CRUD with
# ?company= and ?tag=, list items with step_count/success_count/fail_count/
# tags, flows made through the API kept (0600) across an ivrd restart,
# shipped flows read-only; a bogus call_flow_id is a 404 and ai_assisted a
# 400; transfer of unknown and ended calls; holdctl flows/devices/history.
. "$(dirname "$0")/../lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
command -v jq >/dev/null || skip "jq is not installed"
for d in sipd mediad classifyd ivrd notifyd apid; do
	[ -x "$HS_BUILD/$d" ] || skip "$d is not built"
done
mkdir -p "$T/flows"
cp "$HS_TOP"/flows/*.json "$T/flows/"
HS_FLOWSDIR=$T/flows
loopback_conf
cat >>"$T/hs.conf" <<EOF
[devices]
desk = sip:desk@127.0.0.1:5999
EOF
URL=http://127.0.0.1:$API
for d in mediad sipd classifyd ivrd notifyd apid; do
	start "$d" "$HS_BUILD/$d" -f "$T/hs.conf"
done
wait_for 10 curl -sf "$URL/api/health" || fail "apid did not answer: $(tail -n 5 "$T/apid.log")"
wait_apid_subscribed "$API" 20 || fail "apid not subscribed: $(curl -s "$URL/api/health")"

# req METHOD PATH [BODY]: sets $code and $body.
req() {
	if [ -n "${3:-}" ]; then
		out=$(curl -s -w '\n%{http_code}' -X "$1" -H 'Content-Type: application/json' \
			--data-binary "$3" "$URL$2")
	else
		out=$(curl -s -w '\n%{http_code}' -X "$1" "$URL$2")
	fi
	code=$(printf '%s\n' "$out" | tail -n 1)
	body=$(printf '%s\n' "$out" | sed '$d')
}
want() { [ "$code" = "$1" ] || fail "$2: HTTP $code, want $1: $body"; }
has() { printf '%s' "$body" | jq -e "$1" >/dev/null || fail "$2: $body"; }

# Devices.
req GET /api/devices; want 200 "device list"
has '.total == 1 and .devices[0].name == "desk" and .devices[0].source == "config" and
	.devices[0].sip_uri == "sip:desk@127.0.0.1:5999" and (.devices[0] | has("is_online"))' "seeded from [devices]"
req POST /api/devices '{"name":"cell","type":"sip","sip_uri":"sip:cell@127.0.0.1:5998","priority":5,"capabilities":["audio"]}'
want 201 "add a device"; has '.id == "cell" and .priority == 5 and .capabilities == ["audio"]' "added device"
req POST /api/devices '{"name":"cell","sip_uri":"sip:cell@127.0.0.1:5998"}'; want 409 "same name again"
req POST /api/devices '{"name":"evil","sip_uri":"sip:evil@10.0.0.1"}'; want 400 "a host not allowed"
req POST /api/devices '{"name":"x","sip_uri":"sip:x@127.0.0.1","colour":"red"}'; want 400 "unknown field"
has '.detail | startswith("colour")' "unknown field named"
req POST /api/devices '{"name":"x","type":"fax","sip_uri":"sip:x@127.0.0.1"}'; want 400 "unknown type"
req PUT /api/devices/cell '{"sip_uri":"sip:cell@127.0.0.1:5997","priority":9}'; want 200 "change a device"
has '.priority == 9 and .sip_uri == "sip:cell@127.0.0.1:5997"' "changed device"
req GET /api/devices/cell; want 200 "one device"
req GET /api/devices; has '.devices[0].name == "cell"' "highest priority first"
"$HS_BUILD/holdctl" devices add office 18005550199 --type pstn >/dev/null || fail "holdctl devices add"
"$HS_BUILD/holdctl" devices | grep -q "^office.*pstn" || fail "holdctl devices: $("$HS_BUILD/holdctl" devices)"
"$HS_BUILD/holdctl" devices remove office >/dev/null || fail "holdctl devices remove"
req DELETE /api/devices/cell; want 204 "remove a device"
req GET /api/devices/cell; want 404 "removed device"
req DELETE /api/devices/cell; want 404 "remove twice"
ok "devices: seeded from [devices], add/change/show/remove, 409/400/404; holdctl devices"

# Flows.
req GET /api/call-flows; want 200 "flows"
has '.flows | map(select(.id == "sandbox-bank"))[0] | .step_count == 6 and .success_count == 0 and
	.fail_count == 0 and (.tags | type) == "array" and .source == "shipped"' "list item fields"
req GET '/api/call-flows?company=first%20national%20sandbox%20bank'
has '.total >= 1 and all(.flows[]; .company == "First National Sandbox Bank")' "?company="
req GET '/api/call-flows?company=nobody'; has '.total == 0 and .flows == []' "?company=nobody"
req GET /api/call-flows/sandbox-bank; want 200 "one flow"
has '.id == "sandbox-bank" and (.steps | length) == 6 and .source == "shipped"' "the flow"
req GET /api/call-flows/no-such-flow; want 404 "unknown flow"
flow=$(jq -c '.id = "my-bank" | .name = "My bank" | .tags = ["mine", "bank"] | .phone_number = "18005550177"' \
	"$T/flows/sandbox-bank.json")
req POST /api/call-flows "$flow"; want 201 "create a flow"
has '.id == "my-bank" and .source == "api"' "created flow"
[ "$(stat -c %a "$T/flows/api/my-bank.json")" = 600 ] || fail "flow file mode $(stat -c %a "$T/flows/api/my-bank.json")"
req POST /api/call-flows "$flow"; want 409 "create it again"
req POST /api/call-flows '{"id":"bad","steps":[]}'; want 400 "an invalid flow"
req GET '/api/call-flows?tag=mine'; has '.total == 1 and .flows[0].id == "my-bank"' "?tag="
req PUT /api/call-flows/my-bank "$(printf '%s' "$flow" | jq -c '.name = "My bank, renamed"')"
want 200 "replace a flow"; has '.name == "My bank, renamed"' "replaced flow"
req PUT /api/call-flows/my-bank "$(printf '%s' "$flow" | jq -c '.id = "other"')"; want 400 "id differs"
req PUT /api/call-flows/sandbox-bank "$(jq -c . "$T/flows/sandbox-bank.json")"; want 409 "replace a shipped flow"
req DELETE /api/call-flows/sandbox-bank; want 409 "delete a shipped flow"
ok "flows: list fields, ?company= ?tag=, show, create (0600)/replace/409/400/404, shipped read-only"

# Kept across an ivrd restart.
kill "$PID_ivrd"; wait "$PID_ivrd" 2>/dev/null
start ivrd2 "$HS_BUILD/ivrd" -f "$T/hs.conf"
wait_for 10 sh -c "curl -sf '$URL/api/call-flows/my-bank' | jq -e '.name == \"My bank, renamed\"'" ||
	fail "my-bank lost on restart: $(curl -s "$URL/api/call-flows/my-bank")"
"$HS_BUILD/holdctl" flows --tag mine | grep -q "^my-bank .* mine,bank" ||
	fail "holdctl flows --tag: $("$HS_BUILD/holdctl" flows --tag mine)"
"$HS_BUILD/holdctl" flows show my-bank | jq -e '.id == "my-bank"' >/dev/null || fail "holdctl flows show"
"$HS_BUILD/holdctl" flows delete my-bank >/dev/null || fail "holdctl flows delete"
[ ! -e "$T/flows/api/my-bank.json" ] || fail "deleted flow's file is still there"
printf '%s' "$flow" >"$T/import.json"
"$HS_BUILD/holdctl" flows import "$T/import.json" >/dev/null || fail "holdctl flows import"
req GET /api/call-flows/my-bank; want 200 "imported flow"
ok "flows made through the API survive an ivrd restart; holdctl flows list/show/delete/import"

# Calls: the seed's names, refused clearly.
wait_apid_subscribed "$API" 20 || fail "apid not subscribed after the restart"
req POST /api/calls/hold-slayer '{"number":"sip:bank@127.0.0.1:9","intent":"x","call_flow_id":"no-such-flow","transfer_to":"desk"}'
want 404 "bogus call_flow_id"; has '.detail | test("no-such-flow")' "bogus call_flow_id named"
req POST /api/calls/hold-slayer '{"number":"18005550100","mode":"ai_assisted"}'
want 400 "ai_assisted"; has '.detail | test("ai_assisted is not implemented")' "ai_assisted"
req POST /api/calls/hold-slayer '{"number":"18005550100","transfer_to":"nobody"}'
want 400 "unknown transfer_to"; has '.detail | test("unknown device")' "unknown transfer_to"
req POST /api/calls/0b7c9d1e-0000-4000-8000-000000000000/transfer '{"transfer_to":"desk"}'
want 404 "transfer of an unknown call"
req POST /api/call-flows/learn '{"call_id":"0b7c9d1e","company":"Bank"}'; want 404 "learn from an unknown call"
req POST /api/call-flows/learn '{"call_id":"0b7c9d1e","colour":"red"}'; want 400 "learn: unknown field"
has '.detail | startswith("colour")' "learn: unknown field named"
"$HS_BUILD/holdctl" --json history | jq -e '.total == 0 and .calls == []' >/dev/null ||
	fail "calls stored after refusals: $("$HS_BUILD/holdctl" --json history)"
ok "bogus call_flow_id -> 404, ai_assisted -> 400, unknown transfer_to -> 400, transfer of an unknown call -> 404"

# A secret info value reaches ivrd only: the stored call, its events and the
# database files show the mask.  (The company at 127.0.0.1:9 never answers.)
req POST /api/calls/hold-slayer '{"number":"sip:bank@127.0.0.1:9","intent":"x","call_flow_id":"my-bank","transfer_to":"desk","info":{"pin":{"value":"97531","secret":true},"zip":"90210"}}'
want 201 "a call with a secret"
has '.info.pin == "********" and .info.zip == "90210"' "secret in the 201"
S=$(printf '%s' "$body" | jq -r .call_id)
wait_for 10 sh -c "curl -sf '$URL/api/calls/$S' | jq -e '[.events[].type] | index(\"call_started\")'" ||
	fail "no call_started stored: $(curl -s "$URL/api/calls/$S")"
req GET "/api/calls/$S"
has '(.events[] | select(.type == "call_started") | .data.info.pin == "********")' "secret in call_started"
printf '%s' "$body" | grep -q 97531 && fail "the secret is in GET /api/calls/$S"
grep -q 97531 "$T/apid.log" && fail "the secret is in apid's log"
for f in "$T/data/holdslayer.db"*; do
	grep -a -q 97531 "$f" && fail "the secret is in $f"
done
curl -sf -X POST -H 'Content-Type: application/json' -d '{}' "$URL/api/calls/$S/hangup" >/dev/null || true
ok "a secret info value is masked in the reply, the history, call_started and the database"

printf '{"pin":"24680","zip":"90210"}' >"$T/info.json"
out=$("$HS_BUILD/holdctl" --json call sip:bank@127.0.0.1:9 --flow my-bank --to desk \
	--info-file "$T/info.json" --info member=7 --secret pin) || fail "holdctl call --info-file: $out"
printf '%s' "$out" | jq -e '.info == {"pin":"********","zip":"90210","member":"7"}' >/dev/null ||
	fail "holdctl --info-file --secret: $out"
"$HS_BUILD/holdctl" hangup "$(printf '%s' "$out" | jq -r .call_id)" >/dev/null 2>&1 || true
ok "holdctl call --info-file --secret: the pin masked, the rest as given"
