#!/bin/sh
# notifyd against a real HTTP server on loopback: human_detected, the
# company leg's call_ended and ivrd's info_missing are POSTed as the bus
# envelope; a 500 is retried;
# a user-leg call_ended is not sent; an unreachable receiver ends in
# notify_failed without taking notifyd down.
. "$(dirname "$0")/../lib.sh"

HPORT=$(free_port)
cat >"$T/recv.py" <<'PY'
import http.server, sys, json
port, out = int(sys.argv[1]), sys.argv[2]
state = {'n': 0}
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        state['n'] += 1
        code = 500 if state['n'] == 1 else 200
        with open(out, 'a') as f:
            f.write(json.dumps({'code': code, 'event': self.headers.get('X-HoldSlayer-Event'),
                                'ctype': self.headers.get('Content-Type'),
                                'body': json.loads(body)}) + '\n')
        self.send_response(code); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
PY
start recv python3 "$T/recv.py" "$HPORT" "$T/posts.jsonl"
write_conf <<EOF
[notify]
webhook_url = http://127.0.0.1:$HPORT/hook
webhook_timeout_ms = 2000
EOF
start notifyd "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not answer ping"
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT))" ||
	fail "receiver did not start"

# notifyd_after OUT EVENT SRC TYPE CALL DATA: publishes SRC's event TYPE
# and waits (15 s at most) for notifyd's next EVENT, written to OUT.
notifyd_after() {
	out=$1 ev=$2; shift 2
	hsbus -w 15 -n 1 sub notifyd "$ev" >"$out" &
	subpid=$!
	sleep 0.3
	hsbus pub "$@" || fail "publishing $2 failed"
	wait $subpid
}

notifyd_after "$T/sent.jsonl" notify_sent classifyd human_detected call-1 \
	'{"confidence":0.97,"evidence":"test"}' ||
	fail "no notify_sent event after human_detected"
n=$(wc -l <"$T/posts.jsonl")
[ "$n" -eq 2 ] || fail "expected a failed POST and its retry, got $n posts"
jq -e 'select(.code == 200) | .body.type == "human_detected" and
	.body.call_id == "call-1" and .body.data.confidence == 0.97 and
	.event == "human_detected" and .ctype == "application/json"' \
	"$T/posts.jsonl" >/dev/null || fail "webhook body wrong: $(cat "$T/posts.jsonl")"
ok "human_detected delivered after one retry"

hsbus pub sipd call_ended call-1 '{"leg":"user","by":"remote","reason":"bye"}'
notifyd_after "$T/sent2.jsonl" notify_sent sipd call_ended call-1 \
	'{"leg":"company","by":"remote","reason":"bye"}' ||
	fail "no notify_sent after call_ended"
[ "$(jq -r 'select(.code == 200) | .body.type' "$T/posts.jsonl" | tr '\n' ' ')" = "human_detected call_ended " ] ||
	fail "wrong deliveries: $(cat "$T/posts.jsonl")"
jq -e 'select(.body.type == "call_ended") | .body.data.leg == "company"' "$T/posts.jsonl" >/dev/null ||
	fail "user-leg call_ended was sent"
ok "call_ended (company leg only) delivered"

# ivrd's info_missing (a value the company asked for that the call lacks)
# reaches the user as a webhook with its key, prompt and what was done.
notifyd_after "$T/sent3.jsonl" notify_sent ivrd info_missing call-1 \
	'{"key":"account_number","prompt":"please enter your account number","action":"representative","reason":"no account_number in the call info"}' ||
	fail "no notify_sent after info_missing"
jq -e 'select(.code == 200 and .body.type == "info_missing") |
	.event == "info_missing" and .body.call_id == "call-1" and
	.body.data.key == "account_number" and
	.body.data.prompt == "please enter your account number" and
	.body.data.action == "representative"' "$T/posts.jsonl" >/dev/null ||
	fail "info_missing not delivered: $(cat "$T/posts.jsonl")"
ok "info_missing delivered with its key, prompt and action"

kill "$PID_recv"
notifyd_after "$T/failed.jsonl" notify_failed classifyd human_detected call-2 \
	'{"confidence":0.9}' || fail "no notify_failed for a dead receiver"
jq -e '.data.error | length > 0' "$T/failed.jsonl" >/dev/null || fail "notify_failed has no error"
hsbus req notifyd '{"cmd":"ping"}' >/dev/null || fail "notifyd died"
ok "dead receiver reported as notify_failed; notifyd still up"
