#!/bin/sh
# notifyd's desktop channel on a private session bus (dbus-run-session):
# with no notification server yet the Notify call fails and is retried;
# once dunst (a real notification server, on Xvfb) owns
# org.freedesktop.Notifications, the call that dbus-monitor sees carries the
# sentence, and notify_sent has the id dunst returned.
if [ -z "${HS_IN_DBUS:-}" ]; then
	command -v dbus-run-session >/dev/null || { echo "skip: dbus-run-session not installed (tests/deps.sh)"; exit 77; }
	HS_IN_DBUS=1 exec dbus-run-session -- sh "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

for p in dbus-monitor dunst Xvfb; do
	command -v "$p" >/dev/null || skip "$p not installed (tests/deps.sh)"
done
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || fail "no session bus from dbus-run-session"

start monitor dbus-monitor --session \
	"type='method_call',interface='org.freedesktop.Notifications',member='Notify'"
write_conf <<EOF
[notify]
desktop_bus = session
retry_min_ms = 200
retry_max_ms = 1000
EOF
start notifyd "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not answer ping: $(cat "$T/notifyd.log")"
hsbus pub apid call_started call-1 \
	'{"number":"18005550100","mode":"hold_slayer","device":"phone","info":{"company":"First National Bank"}}'
hsbus -w 60 -n 1 sub notifyd notify_sent >"$T/sent.jsonl" &
subpid=$!
sleep 0.3
hsbus pub classifyd human_detected call-1 '{"confidence":0.97}'

tried() { grep -q "desktop: human_detected for call call-1 .* failed (" "$T/notifyd.log"; }
wait_for 30 tried || fail "no failed attempt without a notification server: $(cat "$T/notifyd.log")"
ok "Notify without a notification server failed and is retried"

# A real notification server: dunst on a virtual X display.
start xvfb Xvfb -displayfd 3 -nolisten tcp -screen 0 640x480x24 3>"$T/display"
wait_for 15 test -s "$T/display" || fail "Xvfb did not start: $(cat "$T/xvfb.log")"
DISPLAY=:$(cat "$T/display") start dunst dunst
wait $subpid || fail "no notify_sent for the desktop: $(cat "$T/notifyd.log") $(cat "$T/dunst.log")"
jq -e '.data.channel == "desktop" and .data.status > 0 and .data.tries >= 2' "$T/sent.jsonl" >/dev/null ||
	fail "notify_sent wrong: $(cat "$T/sent.jsonl")"
grep -q 'string "Hold Slayer: a person at First National Bank picked up"' "$T/monitor.log" ||
	fail "dbus-monitor saw no Notify with the summary: $(cat "$T/monitor.log")"
grep -Eq 'string "a person at First National Bank picked up at [0-9]{2}:[0-9]{2} — your phone is ringing"' "$T/monitor.log" ||
	fail "dbus-monitor saw no Notify with the sentence: $(cat "$T/monitor.log")"
grep -q 'string "urgency"' "$T/monitor.log" || fail "no urgency hint"
ok "Notify reached dunst with the sentence; notify_sent has its id"
