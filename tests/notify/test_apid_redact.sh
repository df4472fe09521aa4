#!/bin/sh
# The webhook URL often carries a token: what apid stores of notifyd's
# notify_sent and notify_failed, and returns from GET /api/calls/ID, shows
# it only as scheme://host/..., never the path or the token.
. "$(dirname "$0")/../lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
[ -x "$HS_BUILD/apid" ] || skip "apid is not built"
PORT=$(free_port)
HPORT=$(free_port)
API=http://127.0.0.1:$PORT
cat >"$T/recv.py" <<'PY'
import http.server, sys
port = int(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.send_response(200 if '/ok/' in self.path else 403); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
PY
start recv python3 "$T/recv.py" "$HPORT"
write_conf <<EOF
[api]
listen = 127.0.0.1:$PORT
[notify]
webhook_url = http://127.0.0.1:$HPORT/ok/tok_LEAK_1?key=LEAK_2
EOF
start apid "$HS_BUILD/apid" -f "$T/hs.conf"
wait_for 10 curl -sf "$API/api/calls" || fail "apid did not answer: $(cat "$T/apid.log")"
start notifyd "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not answer ping"
# apid_hears_notifyd: apid's subscription to notifyd's PUB socket is up.
apid_hears_notifyd() {
	curl -sf "$API/api/health" | jq -e '.subscribed.notifyd == true' >/dev/null
}
wait_for 15 apid_hears_notifyd || fail "apid did not subscribe to notifyd: $(curl -s "$API/api/health")"
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT))" ||
	fail "receiver did not start"

C=5b1f3a2e-1111-4222-8333-444455556666
hsbus pub ivrd call_started "$C" \
	'{"number":"18005550100","uri":null,"mode":"hold_slayer","intent":"x","flow_id":null,"device":null,"info":{}}' ||
	fail "hsbus pub failed"
hsbus pub classifyd human_detected "$C" '{"confidence":0.9}' || fail "hsbus pub failed"
stored() {
	curl -sf "$API/api/calls/$C" >"$T/call.json" &&
		grep -q notify_sent "$T/call.json"
}
wait_for 15 stored || fail "apid did not store notify_sent: $(cat "$T/call.json")"
grep -q 'http://127.0.0.1/…' "$T/call.json" || fail "no redacted URL stored: $(cat "$T/call.json")"
grep -q "LEAK" "$T/call.json" && fail "GET /api/calls/ID shows the token: $(cat "$T/call.json")"
ok "apid stores and returns the webhook URL redacted"

# A refused POST (403, final) is stored as notify_failed, redacted too.
kill "$PID_notifyd"
wait "$PID_notifyd" 2>/dev/null
sed -i "s|/ok/|/no/|" "$T/hs.conf"
start notifyd2 "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not come back"
wait_for 15 apid_hears_notifyd || fail "apid did not resubscribe to notifyd"
hsbus pub classifyd human_detected "$C" '{"confidence":0.9}' || fail "hsbus pub failed"
failed() {
	curl -sf "$API/api/calls/$C" >"$T/call.json" &&
		grep -q notify_failed "$T/call.json"
}
wait_for 15 failed || fail "apid did not store notify_failed: $(cat "$T/call.json")"
grep -q "LEAK" "$T/call.json" "$T/notifyd.log" "$T/notifyd2.log" "$T/apid.log" &&
	fail "the token leaked: $(grep -h LEAK "$T/call.json" "$T"/*.log)"
ok "notify_failed stored redacted; no token in any log"
