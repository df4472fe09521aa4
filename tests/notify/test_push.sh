#!/bin/sh
# notifyd's ntfy-style push: the sentence POSTed as text to a topic URL with
# Title, Priority and Tags headers and the Bearer token; the topic (often
# the only secret of a public ntfy server) is in no log or event.  Routing:
# a device's [notify_devices] list narrows the channels of its calls.
. "$(dirname "$0")/../lib.sh"

HPORT=$(free_port)
cat >"$T/ntfy.py" <<'PY'
import http.server, json, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(out, 'a') as f:
            f.write(json.dumps({'path': self.path, 'title': self.headers.get('Title'),
                                'priority': self.headers.get('Priority'),
                                'tags': self.headers.get('Tags'),
                                'auth': self.headers.get('Authorization'),
                                'body': raw.decode()}) + '\n')
        doc = json.dumps({'id': 'abc', 'event': 'message'}).encode()
        self.send_response(200); self.send_header('Content-Length', str(len(doc)))
        self.end_headers(); self.wfile.write(doc)
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
PY
start ntfy python3 "$T/ntfy.py" "$HPORT" "$T/push.jsonl"
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT))" ||
	fail "push server did not start"
printf 'tk_PUSH_9\n' >"$T/push.token"
write_conf <<EOF
[notify]
push_url = http://127.0.0.1:$HPORT/holdslayer-topic-s3cr3t
push_token_file = $T/push.token
webhook_url = http://127.0.0.1:$HPORT/hook
[devices]
desk = sip:desk@127.0.0.1:5070
phone = sip:phone@127.0.0.1:5072
[notify_devices]
desk = webhook
EOF
start notifyd "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not answer ping: $(cat "$T/notifyd.log")"

hsbus pub apid call_started call-1 \
	'{"number":"18005550100","mode":"hold_slayer","device":"phone","info":{}}'
hsbus -w 20 -n 2 sub notifyd notify_sent >"$T/sent.jsonl" &
subpid=$!
sleep 0.3
hsbus pub classifyd human_detected call-1 '{"confidence":0.97}'
wait $subpid || fail "no notify_sent for push and webhook: $(cat "$T/notifyd.log")"
grep -F '"/holdslayer-topic-s3cr3t"' "$T/push.jsonl" | jq -e '.priority == "urgent" and .tags == "telephone_receiver" and
	.auth == "Bearer tk_PUSH_9" and
	.title == "Hold Slayer: a person at 18005550100 picked up" and
	(.body | test("^a person at 18005550100 picked up at [0-9]{2}:[0-9]{2} — your phone is ringing$"))' \
	>/dev/null || fail "push wrong: $(cat "$T/push.jsonl")"
ok "push POSTed to the topic with title, priority, tags and token"
grep -q "s3cr3t\|tk_PUSH_9" "$T/notifyd.log" "$T/sent.jsonl" && fail "the topic or token leaked"
ok "no topic or token in logs or events"

# A call ringing the desk goes to the webhook only.
hsbus pub apid call_started call-2 \
	'{"number":"18005550199","mode":"hold_slayer","device":"desk","info":{}}'
hsbus -w 20 -n 1 sub notifyd notify_sent >"$T/sent2.jsonl" &
subpid=$!
sleep 0.3
hsbus pub classifyd human_detected call-2 '{"confidence":0.97}'
wait $subpid || fail "no notify_sent for the desk call"
jq -e '.data.channel == "webhook"' "$T/sent2.jsonl" >/dev/null || fail "desk call not on the webhook"
# Its webhook arrived; had a push been queued it would be in flight too.
wait_for 10 sh -c "hsbus req notifyd '{\"cmd\":\"status\"}' | jq -e '.pending == 0 and .in_flight == 0'" ||
	fail "sends left"
[ "$(grep -c 18005550199 "$T/push.jsonl")" -eq 1 ] ||
	fail "desk call not exactly once (webhook only): $(grep 18005550199 "$T/push.jsonl")"
grep 18005550199 "$T/push.jsonl" | jq -e '.path == "/hook"' >/dev/null ||
	fail "desk call was pushed"
ok "[notify_devices] desk = webhook keeps the desk's calls off push"
