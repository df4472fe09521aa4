#!/bin/sh
# notifyd's desktop channel on a private session bus (dbus-run-session):
# with no notification server yet the Notify call fails and is retried;
# once dunst (a real notification server, on Xvfb) owns
# org.freedesktop.Notifications, the call that dbus-monitor sees carries the
# sentence, and notify_sent has the id dunst returned.  A reload moves it
# to another bus, whose loss is noticed and survived.
if [ -z "${HS_IN_DBUS:-}" ]; then
	command -v dbus-run-session >/dev/null || { echo "skip: dbus-run-session not installed (tests/deps.sh)"; exit 77; }
	HS_IN_DBUS=1 exec dbus-run-session -- sh "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

for p in dbus-monitor dunst Xvfb; do
	command -v "$p" >/dev/null || skip "$p not installed (tests/deps.sh)"
done
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || fail "no session bus from dbus-run-session"

# bus_up ADDRESS: the bus daemon there answers.
bus_up() {
	dbus-send --bus="$1" --dest=org.freedesktop.DBus --print-reply \
		/org/freedesktop/DBus org.freedesktop.DBus.GetId >/dev/null 2>&1
}
# monitor_ready LOG: that dbus-monitor has become a monitor (it is told
# NameLost for its own name then), so it sees every call from now on.
monitor_ready() { wait_for 10 grep -q "member=NameLost" "$1"; }

start monitor dbus-monitor --session \
	"type='method_call',interface='org.freedesktop.Notifications',member='Notify'"
monitor_ready "$T/monitor.log" || fail "dbus-monitor did not start: $(cat "$T/monitor.log")"
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

# Another bus, chosen by a reload; notifyd connects to it, then it dies:
# the loss is noticed, the next attempt fails, and once the bus is back
# notifyd connects afresh and the notification arrives.
BUSB=unix:path=$T/busB
start busB dbus-daemon --session --nofork --address="$BUSB"
wait_for 10 bus_up "$BUSB" || fail "second bus did not start: $(cat "$T/busB.log")"
DISPLAY=:$(cat "$T/display") DBUS_SESSION_BUS_ADDRESS=$BUSB start dunstB dunst
sed -i "s|^desktop_bus = .*|desktop_bus = $BUSB|" "$T/hs.conf"
kill -HUP "$PID_notifyd"
wait_for 10 grep -q "reloaded" "$T/notifyd.log" || fail "notifyd did not reload"
hsbus -w 60 -n 1 sub notifyd notify_sent >"$T/sent2.jsonl" &
subpid=$!
sleep 0.3
hsbus pub classifyd human_detected call-2 '{"confidence":0.97}'
wait $subpid || fail "no notify_sent on the second bus: $(tail -5 "$T/notifyd.log")"
ok "after a reload, notifications go to the new desktop_bus"

kill -KILL "$PID_busB"
wait_for 10 grep -q "desktop: session bus: " "$T/notifyd.log" ||
	fail "the lost bus went unnoticed: $(tail -3 "$T/notifyd.log")"
rm -f "$T/busB"
hsbus -w 60 -n 1 sub notifyd notify_sent >"$T/sent3.jsonl" &
subpid=$!
sleep 0.3
hsbus pub classifyd human_detected call-3 '{"confidence":0.97}'
tried3() { grep -q "desktop: human_detected for call call-3 .* failed (" "$T/notifyd.log"; }
wait_for 30 tried3 || fail "no failed attempt on a dead bus: $(tail -5 "$T/notifyd.log")"
start busB2 dbus-daemon --session --nofork --address="$BUSB"
wait_for 10 bus_up "$BUSB" || fail "second bus did not come back: $(cat "$T/busB2.log")"
start monitorB dbus-monitor --address "$BUSB" \
	"type='method_call',interface='org.freedesktop.Notifications',member='Notify'"
monitor_ready "$T/monitorB.log" || fail "dbus-monitor did not start: $(cat "$T/monitorB.log")"
DISPLAY=:$(cat "$T/display") DBUS_SESSION_BUS_ADDRESS=$BUSB start dunstB2 dunst
wait $subpid || fail "no notify_sent after the bus came back: $(tail -5 "$T/notifyd.log")"
jq -e '.call_id == "call-3" and .data.channel == "desktop" and .data.status > 0 and .data.tries >= 2' \
	"$T/sent3.jsonl" >/dev/null || fail "notify_sent wrong: $(cat "$T/sent3.jsonl")"
grep -q 'string "Hold Slayer: a person at the company picked up"' "$T/monitorB.log" ||
	fail "the new bus saw no Notify: $(cat "$T/monitorB.log")"
ok "a lost session bus is reconnected and the notification arrives"
