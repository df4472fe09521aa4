#!/bin/sh
# notifyd's SMS channel against a local server that speaks Twilio's
# Messages API (form-encoded POST to
# /2010-04-01/Accounts/SID/Messages.json, HTTP basic auth, Twilio's JSON
# error bodies): a 429 is retried, the 201 ends it, a 400 (error 21211) is
# final with Twilio's code and message as the reason; the auth token is in
# no log or event.  Then the generic JSON provider: a Bearer token and
# {"to","from","text","id"}.
. "$(dirname "$0")/../lib.sh"

HPORT=$(free_port)
cat >"$T/twilio.py" <<'PY'
import base64, http.server, json, sys, urllib.parse
port, out = int(sys.argv[1]), sys.argv[2]
SID, TOKEN = 'AC0123456789abcdef0123456789abcdef', 'tw-TOKEN-77'
state = {'n': 0}
def err(code, status, message):
    return status, {'code': code, 'message': message,
                    'more_info': 'https://www.twilio.com/docs/errors/%d' % code,
                    'status': status}
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        rec = {'path': self.path, 'ctype': self.headers.get('Content-Type'),
               'auth': self.headers.get('Authorization'),
               'key': self.headers.get('Idempotency-Key'), 'raw': raw.decode()}
        if self.path == '/json-sms':
            rec['json'] = json.loads(raw)
            status, doc = 200, {'ok': True}
        else:
            form = dict(urllib.parse.parse_qsl(raw.decode()))
            rec['form'] = form
            want = 'Basic ' + base64.b64encode((SID + ':' + TOKEN).encode()).decode()
            if self.path != '/2010-04-01/Accounts/%s/Messages.json' % SID:
                status, doc = err(20404, 404, 'The requested resource was not found')
            elif self.headers.get('Authorization') != want:
                status, doc = err(20003, 401, 'Authenticate')
            else:
                state['n'] += 1
                if state['n'] == 1:
                    status, doc = err(20429, 429, 'Too Many Requests')
                elif 'false alarm' in form.get('Body', ''):
                    status, doc = err(21211, 400, "The 'To' number %s is not a valid phone number." % form.get('To'))
                else:
                    status, doc = 201, {'sid': 'SM' + '0' * 32, 'status': 'queued',
                                        'to': form.get('To'), 'from': form.get('From'),
                                        'body': form.get('Body'), 'account_sid': SID}
        rec['status'] = status
        with open(out, 'a') as f:
            f.write(json.dumps(rec) + '\n')
        self.reply(status, doc)
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
PY
start twilio python3 "$T/twilio.py" "$HPORT" "$T/sms.jsonl"
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT))" ||
	fail "SMS server did not start"
printf 'tw-TOKEN-77\n' >"$T/twilio.token"
write_conf <<EOF
[notify]
sms_provider = twilio
sms_url = http://127.0.0.1:$HPORT
sms_account_sid = AC0123456789abcdef0123456789abcdef
sms_token_file = $T/twilio.token
sms_from = +15005550006
sms_to = +15551234567
retry_min_ms = 100
retry_max_ms = 400
route_human_retracted = sms
EOF
start notifyd "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not answer ping: $(cat "$T/notifyd.log")"

hsbus pub apid call_started call-1 \
	'{"number":"18005550100","mode":"hold_slayer","device":"phone","info":{"company":"First National Bank"}}'
hsbus -w 20 -n 1 sub notifyd notify_sent >"$T/sent.jsonl" &
subpid=$!
sleep 0.3
hsbus pub classifyd human_detected call-1 '{"confidence":0.97}'
wait $subpid || fail "no notify_sent for the SMS: $(cat "$T/notifyd.log")"
[ "$(jq -r .status "$T/sms.jsonl" | tr '\n' ' ')" = "429 201 " ] ||
	fail "expected a 429 then a 201: $(cat "$T/sms.jsonl")"
jq -e 'select(.status == 201) | .ctype == "application/x-www-form-urlencoded" and
	.form.To == "+15551234567" and .form.From == "+15005550006" and
	(.form.Body | test("^a person at First National Bank picked up at [0-9]{2}:[0-9]{2} — your phone is ringing$"))' \
	"$T/sms.jsonl" >/dev/null || fail "Twilio request wrong: $(cat "$T/sms.jsonl")"
jq -e '.data.channel == "sms" and .data.status == 201 and .data.tries == 2' "$T/sent.jsonl" >/dev/null ||
	fail "notify_sent wrong: $(cat "$T/sent.jsonl")"
ok "Twilio SMS sent (form, basic auth) after a 429"

hsbus -w 20 -n 1 sub notifyd notify_failed >"$T/failed.jsonl" &
subpid=$!
sleep 0.3
hsbus pub classifyd human_retracted call-1 '{"reason":"recording"}'
wait $subpid || fail "no notify_failed after Twilio's 400"
jq -e '.data.status == 400 and .data.tries == 1 and
	(.data.error | test("21211: The .To. number \\+15551234567 is not a valid phone number"))' \
	"$T/failed.jsonl" >/dev/null || fail "Twilio error not final or not named: $(cat "$T/failed.jsonl")"
ok "Twilio's 400 (21211) is final, its message the reason"
grep -q "tw-TOKEN-77" "$T/notifyd.log" "$T/sent.jsonl" "$T/failed.jsonl" &&
	fail "the auth token leaked"
ok "no auth token in logs or events"

# The generic JSON provider, against the same server.
kill "$PID_notifyd"
wait "$PID_notifyd" 2>/dev/null
printf 'gw-BEARER-5\n' >"$T/gw.token"
write_conf <<EOF
[notify]
sms_provider = json
sms_url = http://127.0.0.1:$HPORT/json-sms
sms_token_file = $T/gw.token
sms_from = HoldSlayer
sms_to = +15551234567
EOF
start notifyd2 "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not answer ping"
hsbus -w 20 -n 1 sub notifyd notify_sent >"$T/sent2.jsonl" &
subpid=$!
sleep 0.3
hsbus pub ivrd transfer_retry call-9 \
	'{"device":"phone","uri":"sip:user@127.0.0.1:5070","attempt":2,"attempts":3,"waited_s":25.0,"reason":"no answer"}'
wait $subpid || fail "no notify_sent for the JSON SMS: $(cat "$T/notifyd2.log")"
jq -e 'select(.path == "/json-sms") | .auth == "Bearer gw-BEARER-5" and
	.ctype == "application/json" and .json.to == "+15551234567" and
	.json.from == "HoldSlayer" and (.json.id | length) > 0 and
	(.json.text | test("is ringing again, ring 2 of 3"))' "$T/sms.jsonl" >/dev/null ||
	fail "JSON SMS wrong: $(grep json-sms "$T/sms.jsonl")"
ok "generic JSON SMS sent with a Bearer token"
