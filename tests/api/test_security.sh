#!/bin/sh
# apid's front door: the token is made on first start (0600, as is the
# history database); every route but /api/health needs it (401), the
# WebSocket too; a foreign Origin is a 403 and its CORS preflight gets no
# Access-Control-Allow-Origin; a text/plain POST is a 415; invalid UTF-8 a
# 400; a sip: number to a host not allowed a 400 (never dialled);
# loopback_trusted lets loopback in without the token; 200 idle TCP
# connections plus 200 WebSocket clients leave /api/health answering.
. "$(dirname "$0")/../lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$HS_BUILD/wsclient" ] || skip "wsclient is not built"
PORT=$(free_port)
API=http://127.0.0.1:$PORT
write_conf <<EOF2
ctl_timeout_ms = 300
[api]
listen = 127.0.0.1:$PORT
EOF2
rm -f "$T/data/api.token" "$T/.curlrc" # apid makes its own this time
start apid "$HS_BUILD/apid" -f "$T/hs.conf"
wait_for 10 curl -sf "$API/api/health" || fail "apid did not answer: $(cat "$T/apid.log")"

mode() { stat -c %a "$1"; }
[ "$(mode "$T/data/api.token")" = 600 ] || fail "token file mode $(mode "$T/data/api.token")"
[ "$(mode "$T/data/holdslayer.db")" = 600 ] || fail "db mode $(mode "$T/data/holdslayer.db")"
[ "$(wc -c <"$T/data/api.token")" -ge 33 ] || fail "token too short: $(wc -c <"$T/data/api.token")"
ok "token and holdslayer.db made 0600"

# code ARGS...: curl's HTTP status (no .curlrc: -q).
code() { curl -q -s -o "$T/body" -w '%{http_code}' "$@"; }
TOK=$(cat "$T/data/api.token")
AUTH="Authorization: Bearer $TOK"
JSON="Content-Type: application/json"

c=$(code "$API/api/calls"); [ "$c" = 401 ] || fail "no token: HTTP $c"
jq -e '.detail | test("Bearer")' "$T/body" >/dev/null || fail "401 detail: $(cat "$T/body")"
c=$(code -H "Authorization: Bearer nope" "$API/api/calls"); [ "$c" = 401 ] || fail "wrong token: HTTP $c"
c=$(code -X POST -H "$JSON" -d '{"number":"1"}' "$API/api/calls/hold-slayer")
[ "$c" = 401 ] || fail "POST without a token: HTTP $c"
c=$(code -H "$AUTH" "$API/api/calls"); [ "$c" = 200 ] || fail "with the token: HTTP $c"
c=$(code "$API/api/health"); [ "$c" = 200 ] || fail "health without a token: HTTP $c"
ok "no token / wrong token -> 401; the token -> 200; /api/health is open"

c=$(code -H "$AUTH" -H "Origin: http://evil.example" "$API/api/calls")
[ "$c" = 403 ] || fail "foreign Origin: HTTP $c"
c=$(code -H "$AUTH" -H "Origin: http://evil.example" -X POST -H "$JSON" \
	-d '{"number":"1"}' "$API/api/calls/hold-slayer")
[ "$c" = 403 ] || fail "foreign Origin POST: HTTP $c"
c=$(code -H "Origin: http://evil.example" "$API/api/health")
[ "$c" = 403 ] || fail "foreign Origin on health: HTTP $c"
c=$(code -H "$AUTH" -H "Origin: http://127.0.0.1:$PORT" "$API/api/calls")
[ "$c" = 200 ] || fail "apid's own Origin: HTTP $c"
ok "a foreign Origin -> 403; apid's own -> 200"

curl -q -s -D "$T/pre.h" -o /dev/null -X OPTIONS -H "Origin: http://evil.example" \
	-H "Access-Control-Request-Method: POST" "$API/api/calls/hold-slayer"
grep -qi "^access-control-allow-origin" "$T/pre.h" && fail "preflight from evil.example allowed: $(cat "$T/pre.h")"
curl -q -s -D "$T/pre2.h" -o /dev/null -X OPTIONS -H "Origin: http://127.0.0.1:$PORT" \
	-H "Access-Control-Request-Method: POST" "$API/api/calls/hold-slayer"
grep -qi "^access-control-allow-origin: http://127.0.0.1:$PORT" "$T/pre2.h" ||
	fail "preflight from apid's own origin: $(cat "$T/pre2.h")"
grep -qi "access-control-allow-origin: \*" "$T/pre2.h" && fail "wildcard CORS"
ok "CORS preflight: nothing for evil.example, its own origin echoed (no *)"

c=$(code -H "$AUTH" -X POST -H "Content-Type: text/plain" -d '{"number":"123"}' \
	"$API/api/calls/hold-slayer")
[ "$c" = 415 ] || fail "text/plain POST: HTTP $c"
c=$(code -H "$AUTH" -X POST -d '{"number":"123"}' "$API/api/calls/hold-slayer")
[ "$c" = 415 ] || fail "form POST: HTTP $c"
ok "text/plain and form POSTs -> 415"

printf '{"number":"123","intent":"a\377\376b"}' >"$T/bad.json"
c=$(code -H "$AUTH" -H "$JSON" -X POST --data-binary @"$T/bad.json" "$API/api/calls/hold-slayer")
[ "$c" = 400 ] || fail "invalid UTF-8: HTTP $c"
jq -e '.detail | test("UTF-8")' "$T/body" >/dev/null || fail "UTF-8 reply is not JSON naming it: $(cat "$T/body")"
printf '{"number":"123","intent":"\300\257"}' >"$T/bad.json"
c=$(code -H "$AUTH" -H "$JSON" -X POST --data-binary @"$T/bad.json" "$API/api/calls/hold-slayer")
[ "$c" = 400 ] || fail "overlong UTF-8: HTTP $c"
c=$(code -H "$AUTH" "$API/api/no%ffsuch")
[ "$c" = 404 ] || fail "a path with invalid UTF-8: HTTP $c"
python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' "$T/body" ||
	fail "the 404 for an invalid UTF-8 path is not valid JSON: $(od -c "$T/body" | head -3)"
ok "invalid UTF-8 -> 400; a reply quoting it stays valid JSON"

# Only assert the refusal: this number is never dialled (daemons are down,
# and the host check comes first).
c=$(code -H "$AUTH" -H "$JSON" -X POST -d '{"number":"sip:evil@10.0.0.1"}' \
	"$API/api/calls/hold-slayer")
[ "$c" = 400 ] || fail "sip:evil@10.0.0.1: HTTP $c"
jq -e '.detail | test("allowed_sip_hosts")' "$T/body" >/dev/null || fail "sip host detail: $(cat "$T/body")"
c=$(code -H "$AUTH" -H "$JSON" -X POST -d '{"number":"sip:x@127.0.0.1:9"}' \
	"$API/api/calls/hold-slayer")
[ "$c" = 503 ] || fail "sip: loopback should pass the host check (503, daemons down): HTTP $c"
ok "sip:evil@10.0.0.1 -> 400; sip: on loopback passes the check"

unset HS_API_TOKEN
"$HS_BUILD/wsclient" -t 2 127.0.0.1 "$PORT" /ws/events >/dev/null 2>"$T/ws1.err" &&
	fail "WebSocket without a token connected"
HS_API_TOKEN=$TOK "$HS_BUILD/wsclient" -o http://evil.example -t 2 127.0.0.1 "$PORT" \
	/ws/events >/dev/null 2>"$T/ws2.err" && fail "WebSocket from evil.example connected"
# ws_upgrade ORIGIN: the status line of an upgrade request with the token.
ws_upgrade() {
	curl -q -s -m 5 -o /dev/null -w '%{http_code}' -H "$AUTH" -H "Origin: $1" \
		-H "Connection: Upgrade" -H "Upgrade: websocket" -H "Sec-WebSocket-Version: 13" \
		-H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" "$API/ws/events"
}
c=$(ws_upgrade http://evil.example); [ "$c" = 403 ] || fail "evil WebSocket upgrade: HTTP $c"
c=$(ws_upgrade "http://127.0.0.1:$PORT"); [ "$c" = 101 ] || fail "own-origin WebSocket upgrade: HTTP $c"
HS_API_TOKEN=$TOK "$HS_BUILD/wsclient" -t 1 127.0.0.1 "$PORT" /ws/events >/dev/null 2>"$T/ws3.err"
grep -q connected "$T/ws3.err" || fail "WebSocket with the token: $(cat "$T/ws3.err")"
ok "WebSocket: no token refused, evil Origin 403, the token connects"

out=$(HOLDSLAYER_CONF=$T/hs.conf "$HS_BUILD/holdctl" token) || fail "holdctl token: $out"
[ "$out" = "$TOK" ] || fail "holdctl token printed '$out'"
out=$(HOLDSLAYER_CONF=$T/hs.conf CURL_HOME=/nonexistent "$HS_BUILD/holdctl" status 2>&1) ||
	fail "holdctl status with the token from the config: $out"
out=$(HOLDSLAYER_CONF=/nonexistent CURL_HOME=/nonexistent "$HS_BUILD/holdctl" --api "$API" status 2>&1) &&
	fail "holdctl without a token succeeded: $out"
printf '%s' "$out" | grep -q "401" || fail "holdctl without a token: $out"
ok "holdctl token shows it; holdctl finds it through the config"

# 200 idle TCP connections and 200 WebSocket clients at once.
cat >"$T/flood.py" <<'PY'
import base64, os, socket, sys, time
port, tok = int(sys.argv[1]), sys.argv[2]
idle, ws = [], []
for _ in range(200):
    s = socket.create_connection(('127.0.0.1', port)); idle.append(s)
for _ in range(200):
    s = socket.create_connection(('127.0.0.1', port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(('GET /ws/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'
               'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
               'Authorization: Bearer %s\r\n'
               'Sec-WebSocket-Version: 13\r\n\r\n' % (key, tok)).encode())
    s.settimeout(10)
    if b' 101 ' not in s.recv(1024).split(b'\r\n')[0]:
        print('websocket %d not upgraded' % len(ws)); sys.exit(1)
    ws.append(s)
def get(path, auth):
    t0 = time.monotonic()
    c = socket.create_connection(('127.0.0.1', port), timeout=10)
    c.sendall(('GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n'
               % (path, 'Authorization: Bearer %s\r\n' % tok if auth else '')).encode())
    data = b''
    while True:
        b = c.recv(65536)
        if not b: break
        data += b
    return data.split(b'\r\n')[0].decode(), (time.monotonic() - t0) * 1000
for path, auth in (('/api/health', False), ('/api/calls', True)):
    line, ms = get(path, auth)
    print('%s: %s in %.0f ms' % (path, line, ms))
    if ' 200 ' not in line or ms > 5000: sys.exit(1)
PY
python3 "$T/flood.py" "$PORT" "$TOK" >"$T/flood.out" 2>&1 || fail "with 200+200 connections: $(cat "$T/flood.out")"
ok "200 idle + 200 WebSocket connections: $(tr '\n' ';' <"$T/flood.out")"
kill -0 "$PID_apid" || fail "apid died"

kill "$PID_apid"; wait "$PID_apid" 2>/dev/null
echo "loopback_trusted = yes" >>"$T/hs.conf"
start apid2 "$HS_BUILD/apid" -f "$T/hs.conf"
wait_for 10 curl -q -sf "$API/api/health" || fail "apid did not restart: $(cat "$T/apid2.log")"
c=$(code "$API/api/calls"); [ "$c" = 200 ] || fail "loopback_trusted, no token: HTTP $c"
c=$(code -H "Origin: http://evil.example" "$API/api/calls")
[ "$c" = 403 ] || fail "loopback_trusted lets a foreign Origin in: HTTP $c"
[ "$(cat "$T/data/api.token")" = "$TOK" ] || fail "the token changed on restart"
ok "loopback_trusted = yes: loopback needs no token, a foreign Origin is still 403; the token kept"
