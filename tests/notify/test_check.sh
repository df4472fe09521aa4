#!/bin/sh
# notifyd -n checks the [notify] channels at start and names the bad key:
# a channel missing a key it needs, an unreadable secret file, a route that
# names an unknown or unset channel, a [notify_devices] row for no device.
# A good file passes.
. "$(dirname "$0")/../lib.sh"

# bad KEY LINES...: notifyd -n must fail naming [notify] KEY (or KEY as is
# when it starts with '[').
bad() {
	key=$1; shift
	for l in "$@"; do echo "$l"; done | write_conf
	if out=$("$HS_BUILD/notifyd" -n -f "$T/hs.conf" 2>&1); then
		fail "notifyd -n accepted: $*"
	fi
	case $key in
	\[*) want="$key" ;;
	*) want="[notify] $key:" ;;
	esac
	case $out in
	*"$want"*) ;;
	*) fail "notifyd -n did not name $want: $out" ;;
	esac
}

printf 's3cret\n' >"$T/ok.secret"
: >"$T/empty.secret"
bad email_from "[notify]" "email_url = smtp://127.0.0.1:2525" "email_to = me@example.test"
bad email_url "[notify]" "email_url = http://127.0.0.1/" "email_from = a@b" "email_to = me@example.test"
bad email_user "[notify]" "email_url = smtps://127.0.0.1" "email_from = a@b" "email_to = c@d" \
	"email_password_file = $T/ok.secret"
bad webhook_secret_file "[notify]" "webhook_url = https://127.0.0.1/h" \
	"webhook_secret_file = $T/missing.secret"
bad webhook_secret_file "[notify]" "webhook_url = https://127.0.0.1/h" \
	"webhook_secret_file = $T/empty.secret"
bad webhook_url "[notify]" "webhook_url = ftp://127.0.0.1/h"
bad sms_provider "[notify]" "sms_provider = nexmo"
bad sms_token_file "[notify]" "sms_provider = twilio" "sms_account_sid = AC1" "sms_from = +1" "sms_to = +2"
bad sms_url "[notify]" "sms_provider = json" "sms_to = +2"
bad desktop_bus "[notify]" "desktop_bus = yes"
bad route_human_detected "[notify]" "webhook_url = https://127.0.0.1/h" "route_human_detected = webhook pager"
bad route_call_ended "[notify]" "webhook_url = https://127.0.0.1/h" "route_call_ended = email"
bad retry_min_ms "[notify]" "retry_min_ms = 5000" "retry_max_ms = 1000"
bad "[notify_devices] desk:" "[notify]" "webhook_url = https://127.0.0.1/h" "[notify_devices]" "desk = webhook"
bad "[notify_devices] desk:" "[notify]" "webhook_url = https://127.0.0.1/h" "[devices]" \
	"desk = sip:desk@127.0.0.1" "[notify_devices]" "desk = pager"
ok "notifyd -n names each misconfigured key"

# The same check stops a start, before anything is sent.
write_conf <<EOF
[notify]
sms_provider = twilio
EOF
"$HS_BUILD/notifyd" -f "$T/hs.conf" >"$T/start.log" 2>&1 &&
	fail "notifyd started with a broken channel"
grep -q "\[notify\] sms_account_sid" "$T/start.log" || fail "start did not name the key: $(cat "$T/start.log")"
ok "a broken channel stops the start, naming the key"

write_conf <<EOF
[notify]
webhook_url = https://hooks.example.test/h/tok
webhook_secret_file = $T/ok.secret
email_url = smtp://127.0.0.1:2525
email_from = Hold Slayer <hs@example.test>
email_to = me@example.test, you@example.test
sms_provider = twilio
sms_account_sid = AC1
sms_token_file = $T/ok.secret
sms_from = +15005550006
sms_to = +15551234567
push_url = https://ntfy.example.test/topic
desktop_bus = unix:path=/run/user/1000/bus
route_hold_eta = none
route_call_ended = email push
[devices]
desk = sip:desk@127.0.0.1
[notify_devices]
desk = desktop webhook
EOF
"$HS_BUILD/notifyd" -n -f "$T/hs.conf" >"$T/good.log" 2>&1 ||
	fail "a good file was refused: $(cat "$T/good.log")"
grep -q "s3cret" "$T/good.log" && fail "the check printed a secret"
ok "a complete [notify] passes"
