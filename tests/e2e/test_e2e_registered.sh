#!/bin/sh
# End to end with the user's phone registered: the demo's call, but baresip
# REGISTERs with sipd (digest, [phones]) and the device is its
# address-of-record at sipd, so the transfer rings it through its
# registration.  Asserts the phone registered, the user leg went to the
# binding, and the agent really heard the user after the bridge.
. "$(dirname "$0")/../lib.sh"
command -v baresip >/dev/null || fail "baresip missing (make deps)"

bash "$HS_TOP/tests/e2e/demo.sh" --register --data "$T/data" --keep "$T/out" \
	>"$T/demo.out" 2>&1
rc=$?
cat "$T/demo.out"
grep -q "phone:    registered with sipd" "$T/demo.out" ||
	fail "the phone did not register"
result=$(grep '^RESULT ' "$T/demo.out" | tail -n 1)
[ -n "$result" ] || fail "demo printed no RESULT line (rc=$rc)"
grep -q "registrar: REGISTER from .*: 200" "$T/out/sipd.log" ||
	fail "no REGISTER accepted in sipd's log"
grep -q "registrar: REGISTER from .*: 401" "$T/out/sipd.log" ||
	fail "the phone was never challenged"
pw=$(cat "$T/out/phone.pass")
grep -rqF -- "$pw" "$T/out"/*.log && fail "the phone's password is in a log"
jq -e '[.devices[] | select(.name == "phone" and .is_online == true)] | length == 1' \
	"$T/out/devices.json" >/dev/null ||
	fail "GET /api/devices does not show the phone online: $(cat "$T/out/devices.json")"
ok "GET /api/devices: the registered phone is_online"
C=$T/out/call.json
jq -e '[.events[] | select(.type == "call_connected" and .data.leg == "user"
	and (.data.remote_uri | startswith("sip:user-")))] | length == 1' "$C" >/dev/null ||
	fail "the user leg did not connect to the registered Contact: $(jq -c '[.events[] | select(.type=="call_connected")]' "$C")"
ok "the user leg rang the phone through its registration"
jq -e '[.events[] | select(.type == "transfer_complete")] | length == 1' "$C" >/dev/null ||
	fail "no transfer_complete"
heard=$(echo "$result" | sed -n 's/.* heard_user_s=\([0-9.]*\) .*/\1/p')
awk -v h="$heard" 'BEGIN { exit !(h >= 1.0) }' ||
	fail "the agent heard only ${heard:-0} s of the user after the bridge"
ok "the agent heard $heard s of the registered phone's audio after the bridge"
[ "$(jq -r .status "$C")" = completed ] || fail "API status is '$(jq -r .status "$C")'"
[ $rc -eq 0 ] || fail "demo exited $rc"
