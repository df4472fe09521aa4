#!/bin/sh
# GET /api/health says which of apid's event subscriptions are live: before
# the daemons run it names them false and the status is degraded; once they
# run every one is true and the status ok; a stopped daemon turns false
# (degraded) and true again when it is back.  A call placed through the API
# before a subscription is up would lose that daemon's events.
. "$(dirname "$0")/../lib.sh"
command -v curl >/dev/null || skip "curl is not installed"
command -v jq >/dev/null || skip "jq is not installed"

loopback_conf 'ctl_timeout_ms = 500'
URL=http://127.0.0.1:$API
health() { curl -sf "$URL/api/health"; }

start apid "$HS_BUILD/apid" -f "$T/hs.conf"
wait_daemon apid || fail "apid did not start: $(tail -n 5 "$T/apid.log")"
wait_for 10 health || fail "apid HTTP not up"
wait_for 5 sh -c "curl -sf '$URL/api/health' | jq -e '.subscribed.apid == true'" ||
	fail "apid not subscribed to its own events: $(health)"
h=$(health)
printf '%s' "$h" | jq -e '.status == "degraded" and
	([.subscribed | to_entries[] | select(.value == false) | .key] | sort) ==
	["classifyd", "ivrd", "mediad", "notifyd", "sipd"]' >/dev/null ||
	fail "before the daemons run: $h"
ok "no daemons: degraded, subscribed $(printf '%s' "$h" | jq -c .subscribed)"

for d in mediad sipd classifyd ivrd notifyd; do
	start "$d" "$HS_BUILD/$d" -f "$T/hs.conf"
done
for d in mediad sipd classifyd ivrd notifyd; do
	wait_daemon "$d" || fail "$d did not start: $(tail -n 5 "$T/$d.log")"
done
wait_apid_subscribed "$API" || fail "subscriptions not all up: $(health)"
h=$(health)
printf '%s' "$h" | jq -e '.status == "ok" and (.subscribed | length) == 6 and
	all(.subscribed[]; . == true) and all(.daemons[]; . == "ok")' >/dev/null ||
	fail "all daemons up: $h"
ok "all up: ok, subscribed $(printf '%s' "$h" | jq -c .subscribed)"

kill -TERM "$PID_notifyd"
wait "$PID_notifyd"
wait_for 10 sh -c "curl -sf '$URL/api/health' | jq -e '.subscribed.notifyd == false'" ||
	fail "stopped notifyd still subscribed: $(health)"
h=$(health)
printf '%s' "$h" | jq -e '.status == "degraded" and
	([.subscribed | to_entries[] | select(.value == false) | .key]) == ["notifyd"]' \
	>/dev/null || fail "notifyd stopped: $h"
grep -q "lost the connection to notifyd" "$T/apid.log" || fail "apid did not log the lost subscription"
ok "notifyd stopped: degraded, subscribed.notifyd false"

start notifyd "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_apid_subscribed "$API" || fail "notifyd back but not subscribed: $(health)"
h=$(health)
printf '%s' "$h" | jq -e '.status == "ok"' >/dev/null || fail "notifyd back: $h"
ok "notifyd back: ok again"
