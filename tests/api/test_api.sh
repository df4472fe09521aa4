#!/bin/sh
# apid alone, over real HTTP: request validation (400 naming the problem),
# fail-fast 503 naming an unreachable daemon with no call stored, 404 for an
# unknown call, the call list, health; holdctl's errors against a stopped
# apid and its --help.
. "$(dirname "$0")/../lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
command -v jq >/dev/null || skip "jq is not installed"
PORT=$(free_port)
API=http://127.0.0.1:$PORT
write_conf <<EOF2
[api]
listen = 127.0.0.1:$PORT
db = $T/data/db/history.db
EOF2
start apid "$HS_BUILD/apid" -f "$T/hs.conf"
wait_for 10 curl -sf "$API/api/calls" || fail "apid did not answer: $(cat "$T/apid.log")"
[ -f "$T/data/db/history.db" ] || fail "[api] db was not created (with its directory)"

# req METHOD PATH [BODY]: sets $code and $body.
req() {
	if [ -n "${3:-}" ]; then
		out=$(curl -s -w '\n%{http_code}' -X "$1" -H 'Content-Type: application/json' \
			--data-binary "$3" "$API$2")
	elif [ "$1" = POST ]; then
		out=$(curl -s -w '\n%{http_code}' -X "$1" -H 'Content-Type: application/json' \
			--data-binary '{}' "$API$2")
	else
		out=$(curl -s -w '\n%{http_code}' -X "$1" "$API$2")
	fi
	code=$(printf '%s\n' "$out" | tail -n 1)
	body=$(printf '%s\n' "$out" | sed '$d')
}
detail() { printf '%s' "$body" | jq -r .detail; }

req POST /api/calls/hold-slayer '{"number": "123",'
[ "$code" = 400 ] || fail "malformed JSON: HTTP $code, want 400"
detail | grep -q "malformed JSON" || fail "malformed JSON detail: $body"
ok "malformed JSON body -> 400 ($(detail))"

req POST /api/calls/hold-slayer '{"intent": "dispute a charge"}'
[ "$code" = 400 ] || fail "missing number: HTTP $code, want 400"
detail | grep -q "^number" || fail "missing number detail: $body"
ok "missing number -> 400 ($(detail))"

req POST /api/calls/hold-slayer '{"number": "18005550100", "intent": 7}'
[ "$code" = 400 ] && detail | grep -q "^intent" || fail "intent 7: $code $body"
req POST /api/calls/hold-slayer '{"number": "18005550100", "info": "x"}'
[ "$code" = 400 ] && detail | grep -q "^info" || fail "info string: $code $body"
req POST /api/calls/hold-slayer '[1, 2]'
[ "$code" = 400 ] && detail | grep -q "object" || fail "array body: $code $body"
req POST /api/calls/outbound '{"number": "12ab"}'
[ "$code" = 400 ] && detail | grep -q "^number" || fail "bad number: $code $body"
ok "wrong types -> 400 naming the field"

t0=$(date +%s%N)
req POST /api/calls/hold-slayer '{"number": "18005550100", "intent": "dispute a charge"}'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$code" = 503 ] || fail "daemons down: HTTP $code, want 503 ($body)"
detail | grep -q "ivrd is unreachable" || fail "503 does not name ivrd: $body"
[ "$ms" -lt 3500 ] || fail "503 took $ms ms (want about 2 s)"
ok "daemons down -> 503 in $ms ms: $(detail | cut -c1-80)..."

req GET /api/calls
[ "$code" = 200 ] || fail "GET /api/calls: HTTP $code"
printf '%s' "$body" | jq -e '.calls == [] and .total == 0' >/dev/null ||
	fail "a call was stored after the 503: $body"
req GET '/api/calls?status=all'
printf '%s' "$body" | jq -e '.calls == [] and .total == 0' >/dev/null ||
	fail "a call was stored after the 503: $body"
ok "GET /api/calls -> 200 {calls: [], total: 0} (nothing stored after the 503)"

req GET /api/calls?limit=zero
[ "$code" = 400 ] && detail | grep -q "^limit" || fail "limit=zero: $code $body"
req GET /api/calls?status=napping
[ "$code" = 400 ] && detail | grep -q "^status" || fail "status=napping: $code $body"
ok "bad list parameters -> 400"

req GET /api/calls/0b7c9d1e-0000-4000-8000-000000000000
[ "$code" = 404 ] || fail "unknown call: HTTP $code"
detail | grep -q "unknown call" || fail "unknown call detail: $body"
req POST /api/calls/0b7c9d1e-0000-4000-8000-000000000000/hangup
[ "$code" = 404 ] || fail "hangup unknown call: HTTP $code"
req GET /api/nothing
[ "$code" = 404 ] && detail >/dev/null || fail "unknown path: $code $body"
ok "unknown call / path -> 404 JSON"

req GET /api/health
[ "$code" = 200 ] || fail "health: HTTP $code"
printf '%s' "$body" | jq -e '.daemons.apid == "ok" and
	(.daemons.ivrd | startswith("unreachable")) and .status == "degraded"' >/dev/null ||
	fail "health body: $body"
ok "health names the unreachable daemons"

out=$("$HS_BUILD/holdctl" --api "$API" status 2>&1) || fail "holdctl status: $out"
printf '%s' "$out" | grep -q "no calls" || fail "holdctl status: $out"
out=$("$HS_BUILD/holdctl" call 18005550100 --intent test --api "$API" 2>&1) &&
	fail "holdctl call succeeded with the daemons down"
printf '%s' "$out" | grep -q "ivrd is unreachable" || fail "holdctl call: $out"
ok "holdctl against apid: status lists, call reports the 503"

kill "$PID_apid"
wait "$PID_apid" 2>/dev/null
t0=$(date +%s)
out=$(HOLDCTL_API=$API "$HS_BUILD/holdctl" status 2>&1) && fail "holdctl status succeeded with apid stopped"
[ $(( $(date +%s) - t0 )) -le 4 ] || fail "holdctl took too long to give up"
printf '%s' "$out" | grep -q "cannot reach apid at $API" || fail "holdctl error: $out"
ok "stopped apid: $out"

"$HS_BUILD/holdctl" --help | grep -q "^usage: holdctl" || fail "holdctl --help"
"$HS_BUILD/holdctl" frobnicate >/dev/null 2>&1; [ $? = 2 ] || fail "unknown subcommand is not a usage error"
ok "holdctl --help and usage errors"
