#!/bin/sh
# notifyd against a real HTTP server on loopback: human_detected, the
# company leg's call_ended and ivrd's info_missing are POSTed as the bus
# envelope with the user's sentence, signed (HMAC-SHA256 over "t.body",
# checked here with openssl as notifyd(8) shows); a 500 is retried with the
# same idempotency key; a 400 is final; a user-leg call_ended is not sent;
# the webhook URL's path and token appear in no log and no event; an
# unreachable receiver ends in notify_failed at the deadline without taking
# notifyd down.
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
        doc = json.loads(body)
        code = 500 if state['n'] == 1 else 200
        if doc['type'] == 'human_retracted':
            code = 400
        with open(out, 'a') as f:
            f.write(json.dumps({'code': code, 'event': self.headers.get('X-HoldSlayer-Event'),
                                'ctype': self.headers.get('Content-Type'),
                                'key': self.headers.get('Idempotency-Key'),
                                'sig': self.headers.get('X-HoldSlayer-Signature'),
                                'raw': body.decode(),
                                'body': doc}) + '\n')
        self.send_response(code); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
PY
start recv python3 "$T/recv.py" "$HPORT" "$T/posts.jsonl"
printf 'whsec_test_0123456789\n' >"$T/hook.secret"
write_conf <<EOF
[notify]
webhook_url = http://127.0.0.1:$HPORT/hook/tok_SECRET123
webhook_secret_file = $T/hook.secret
webhook_timeout_ms = 2000
retry_min_ms = 100
retry_max_ms = 400
urgent_deadline_s = 3
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

hsbus pub apid call_started call-1 \
	'{"number":"18005550100","company":"First National Bank","mode":"hold_slayer","device":"phone","info":{}}'
notifyd_after "$T/sent.jsonl" notify_sent classifyd human_detected call-1 \
	'{"confidence":0.97,"evidence":"test"}' ||
	fail "no notify_sent after human_detected"
n=$(wc -l <"$T/posts.jsonl")
[ "$n" -eq 2 ] || fail "expected a failed POST and its retry, got $n posts"
jq -e 'select(.code == 200) | .body.type == "human_detected" and
	.body.call_id == "call-1" and .body.data.confidence == 0.97 and
	.event == "human_detected" and .ctype == "application/json"' \
	"$T/posts.jsonl" >/dev/null || fail "webhook body wrong: $(cat "$T/posts.jsonl")"
[ "$(jq -r .key "$T/posts.jsonl" | sort -u | wc -l)" -eq 1 ] ||
	fail "the retry did not carry the same Idempotency-Key"
jq -e 'select(.code == 200) | .body.text | test("^a person at First National Bank picked up at [0-9][0-9]:[0-9][0-9] — your phone is ringing$")' \
	"$T/posts.jsonl" >/dev/null ||
	fail "no sentence naming the company: $(jq -r .body.text "$T/posts.jsonl")"
ok "human_detected delivered after one retry, same key, with its sentence"

# The signature: t=TS,v1=HEX where HEX = HMAC-SHA256(secret, "TS.body").
jq -r 'select(.code == 200) | .sig' "$T/posts.jsonl" >"$T/sig"
jq -j 'select(.code == 200) | .raw' "$T/posts.jsonl" >"$T/raw"
ts=$(sed 's/^t=\([0-9]*\),v1=.*/\1/' "$T/sig")
v1=$(sed 's/.*,v1=//' "$T/sig")
[ -n "$ts" ] && [ -n "$v1" ] || fail "no X-HoldSlayer-Signature: $(cat "$T/sig")"
want=$( { printf '%s.' "$ts"; cat "$T/raw"; } |
	openssl dgst -sha256 -hmac "$(cat "$T/hook.secret")" -r | cut -d' ' -f1)
[ "$want" = "$v1" ] || fail "signature $v1, expected $want"
now=$(date +%s)
[ $((now - ts)) -lt 60 ] || fail "signature timestamp $ts is not current"
wrong=$( { printf '%s.' "$ts"; cat "$T/raw"; } |
	openssl dgst -sha256 -hmac "other-secret" -r | cut -d' ' -f1)
[ "$wrong" != "$v1" ] || fail "signature does not depend on the secret"
# notifyd(8)'s Python check, as printed there.
python3 - "$T/hook.secret" "$(cat "$T/sig")" "$T/raw" <<'PY' || fail "the man page's Python check refused the signature"
import hashlib, hmac, time, sys

def valid(secret: bytes, header: str, body: bytes) -> bool:
    f = dict(p.split("=", 1) for p in header.split(","))
    t = f["t"]
    want = hmac.new(secret, t.encode() + b"." + body,
                    hashlib.sha256).hexdigest()
    return (hmac.compare_digest(want, f["v1"])
            and abs(time.time() - int(t)) <= 300)

secret = open(sys.argv[1], 'rb').read().strip()
body = open(sys.argv[3], 'rb').read()
sys.exit(0 if valid(secret, sys.argv[2], body) and
         not valid(secret, sys.argv[2], body + b' ') else 1)
PY
ok "webhook signed with HMAC-SHA256 over timestamp and body"

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

# A 400 is the receiver refusing the request: final at once, no retry.
notifyd_after "$T/failed400.jsonl" notify_failed classifyd human_retracted call-1 \
	'{"reason":"recording"}' || fail "no notify_failed after a 400"
jq -e '.data.status == 400 and .data.tries == 1 and (.data.error | test("400"))' \
	"$T/failed400.jsonl" >/dev/null || fail "400 not final: $(cat "$T/failed400.jsonl")"
[ "$(jq -r 'select(.body.type == "human_retracted") | .code' "$T/posts.jsonl" | wc -l)" -eq 1 ] ||
	fail "a 400 was retried"
ok "a 400 is final (one POST, notify_failed)"

# The URL's path carries a token: no event and no log line may show it.
jq -e '.data.url == "http://127.0.0.1/…"' "$T/sent.jsonl" >/dev/null ||
	fail "notify_sent url not redacted: $(cat "$T/sent.jsonl")"
if grep -q "tok_SECRET123\|whsec_test" "$T"/sent*.jsonl "$T/failed400.jsonl" "$T/notifyd.log"; then
	fail "the webhook token or secret leaked: $(grep -h "tok_SECRET123\|whsec_test" "$T"/*.jsonl "$T/notifyd.log")"
fi
grep -q "delivered to http://127.0.0.1/…" "$T/notifyd.log" ||
	fail "no redacted delivery line in the log: $(cat "$T/notifyd.log")"
ok "webhook URL redacted in events and logs"

kill "$PID_recv"
hsbus -w 20 -n 1 sub notifyd notify_failed >"$T/failed.jsonl" &
subpid=$!
sleep 0.3
hsbus pub classifyd human_detected call-2 '{"confidence":0.9}'
wait $subpid || fail "no notify_failed for a dead receiver"
jq -e '(.data.error | test("deadline passed")) and .data.tries > 1' \
	"$T/failed.jsonl" >/dev/null || fail "notify_failed reason wrong: $(cat "$T/failed.jsonl")"
hsbus req notifyd '{"cmd":"ping"}' >/dev/null || fail "notifyd died"
ok "dead receiver retried until the deadline, then notify_failed; notifyd still up"
