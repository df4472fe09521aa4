#!/bin/sh
# notifyd's e-mail channel against a real SMTP server on loopback (Debian's
# python3-aiosmtpd) that requires STARTTLS (a certificate made here, trusted
# through [notify] ca_file) and AUTH: the message that arrives names the
# company and says what to do; a 451 is retried with the same Message-ID; a
# 554 is final; the password appears in no log.
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
$PY -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd not installed (tests/deps.sh)"
command -v openssl >/dev/null || skip "openssl not installed"

SPORT=$(free_port)
SPORT2=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" \
	-out "$T/cert.pem" 2>/dev/null || fail "cannot make a certificate"
cat >"$T/smtpd.py" <<'PY'
import json, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port, out, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
port2, out2 = int(sys.argv[5]), sys.argv[6]
seen = {}

def auth(server, session, envelope, mechanism, data):
    ok = data.login == b'hs-user' and data.password == b'pw-SECRET-42'
    return AuthResult(success=ok, auth_data=data.login.decode() if ok else None)

class Handler:
    def __init__(self, out):
        self.out = out
    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode('utf-8')
        subject = [l for l in text.split('\r\n') if l.startswith('Subject:')][0]
        mid = [l for l in text.split('\r\n') if l.startswith('Message-ID:')][0]
        seen[mid] = seen.get(mid, 0) + 1
        code = '250 OK'
        if 'picked up' in subject and seen[mid] == 1:
            code = '451 4.3.0 try again later'
        if 'false alarm' in subject:
            code = '554 5.7.1 refused'
        with open(self.out, 'a') as f:
            f.write(json.dumps({'code': code[:3], 'from': envelope.mail_from,
                                'rcpt': envelope.rcpt_tos,
                                'tls': session.ssl is not None,
                                'auth': session.authenticated and session.auth_data,
                                'mid': mid, 'content': text}) + '\n')
        return code

ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
# smtp:// with STARTTLS required before anything else
c = Controller(Handler(out), hostname='127.0.0.1', port=port, tls_context=ctx,
               require_starttls=True, authenticator=auth,
               auth_require_tls=True)
c.start()
# smtps://: TLS from the first byte
c2 = Controller(Handler(out2), hostname='127.0.0.1', port=port2,
                ssl_context=ctx, authenticator=auth, auth_require_tls=False)
c2.start()
while True:
    time.sleep(3600)
PY
start smtpd $PY "$T/smtpd.py" "$SPORT" "$T/mail.jsonl" "$T/cert.pem" "$T/key.pem" \
	"$SPORT2" "$T/mail2.jsonl"
wait_for 10 $PY -c "import socket; socket.create_connection(('127.0.0.1', $SPORT)); socket.create_connection(('127.0.0.1', $SPORT2))" ||
	fail "SMTP server did not start: $(cat "$T/smtpd.log")"
printf 'pw-SECRET-42\n' >"$T/smtp.password"
write_conf <<EOF
[notify]
email_url = smtp://127.0.0.1:$SPORT
email_from = Hold Slayer <holdslayer@example.test>
email_to = me@example.test
email_user = hs-user
email_password_file = $T/smtp.password
email_starttls = yes
ca_file = $T/cert.pem
retry_min_ms = 100
retry_max_ms = 400
route_human_retracted = email
EOF
start notifyd "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not answer ping: $(cat "$T/notifyd.log")"

hsbus pub apid call_started call-1 \
	'{"number":"18005550100","mode":"hold_slayer","device":"phone","info":{"company":"First National Bank"}}'
hsbus -w 20 -n 1 sub notifyd notify_sent >"$T/sent.jsonl" &
subpid=$!
sleep 0.3
hsbus pub classifyd human_detected call-1 '{"confidence":0.97}'
wait $subpid || fail "no notify_sent for the e-mail: $(cat "$T/notifyd.log")"
jq -e '.data.channel == "email" and .data.url == "smtp://127.0.0.1/…" and .data.tries == 2' \
	"$T/sent.jsonl" >/dev/null || fail "notify_sent wrong: $(cat "$T/sent.jsonl")"
[ "$(jq -r .code "$T/mail.jsonl" | tr '\n' ' ')" = "451 250 " ] ||
	fail "expected a 451 then a 250: $(jq -r .code "$T/mail.jsonl")"
[ "$(jq -r .mid "$T/mail.jsonl" | sort -u | wc -l)" -eq 1 ] ||
	fail "the retry had another Message-ID"
jq -e 'select(.code == "250") | .tls == true and .auth == "hs-user" and
	.from == "holdslayer@example.test" and .rcpt == ["me@example.test"]' \
	"$T/mail.jsonl" >/dev/null || fail "not STARTTLS + AUTH to the right address: $(cat "$T/mail.jsonl")"
jq -r 'select(.code == "250") | .content' "$T/mail.jsonl" >"$T/mail.txt"
grep -q '^Subject: Hold Slayer: a person at First National Bank picked up' "$T/mail.txt" ||
	fail "wrong subject: $(grep Subject "$T/mail.txt")"
grep -q '^Content-Type: text/plain; charset=utf-8' "$T/mail.txt" || fail "not plain UTF-8 text"
grep -Eq '^a person at First National Bank picked up at [0-9]{2}:[0-9]{2} — your phone is ringing' "$T/mail.txt" ||
	fail "body does not say what happened: $(cat "$T/mail.txt")"
ok "e-mail over STARTTLS with AUTH arrived, after a 451, saying who picked up"

hsbus -w 20 -n 1 sub notifyd notify_failed >"$T/failed.jsonl" &
subpid=$!
sleep 0.3
hsbus pub classifyd human_retracted call-1 '{"reason":"recording"}'
wait $subpid || fail "no notify_failed after a 554"
jq -e '.data.channel == "email" and .data.tries == 1 and .data.status == 554' \
	"$T/failed.jsonl" >/dev/null || fail "554 not final: $(cat "$T/failed.jsonl")"
ok "a 554 is final"

grep -q "pw-SECRET-42" "$T/notifyd.log" "$T/sent.jsonl" "$T/failed.jsonl" &&
	fail "the SMTP password leaked"
ok "no password in logs or events"

# smtps:// (TLS from the start) with AUTH: the call's end, by default on
# e-mail, names the company and the reason.
kill "$PID_notifyd"
wait "$PID_notifyd" 2>/dev/null
sed -i "s|^email_url = .*|email_url = smtps://127.0.0.1:$SPORT2|" "$T/hs.conf"
start notifyd2 "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not come back: $(cat "$T/notifyd2.log")"
hsbus -w 20 -n 1 sub notifyd notify_sent >"$T/sent3.jsonl" &
subpid=$!
sleep 0.3
hsbus pub sipd call_ended call-1 '{"leg":"company","by":"remote","reason":"bye"}'
wait $subpid || fail "no notify_sent over smtps: $(cat "$T/notifyd2.log")"
jq -e '.code == "250" and .auth == "hs-user" and .rcpt == ["me@example.test"]' \
	"$T/mail2.jsonl" >/dev/null || fail "smtps message wrong: $(cat "$T/mail2.jsonl")"
jq -r .content "$T/mail2.jsonl" | grep -Eq '^the call to First National Bank ended at [0-9]{2}:[0-9]{2} \(bye\)' ||
	fail "call_ended mail wrong: $(jq -r .content "$T/mail2.jsonl")"
ok "e-mail over smtps:// with AUTH arrived for call_ended"
