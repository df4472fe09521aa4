#!/bin/sh
# sipd against a real SIP trunk with digest authentication: kamailio on
# loopback as registrar and proxy (tests/sip/kamailio.sh).  For MD5 and for
# SHA-256 (kamailio 5.6's auth "algorithm"): sipd registers (the
# registration event, kamailio's location table), dials an E.164 number
# through the trunk (kamailio challenges the INVITE with 407, sipd answers),
# the call reaches a sipp UAS behind kamailio and is hung up; holdctl
# status shows the registration; on a clean stop sipd removes its binding.
# The password appears in no log or event.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kamailio.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need "$HS_BUILD/mediad" "mediad not built"
need "$HS_BUILD/apid" "apid not built"
need "$HS_BUILD/holdctl" "holdctl not built"
need sipp "sipp not installed"
need kamailio "kamailio not installed (tests/deps.sh)"
need kamcmd "kamcmd not installed (tests/deps.sh)"
need jq "jq not installed"

PW="Kam-pw-7f3c9e1a"
C1=71717171-7171-4171-8171-717171717171

run_alg() { # MD5 or SHA-256
	alg=$1
	echo "== $alg"
	: >"$T/events.jsonl"
	UAS=$(free_port) || fail "no free port"
	KAM_UAS_PORT=$UAS
	write_conf "invite_timeout_s = 20"
	# kamailio's port is chosen now; it starts after sipd so that our
	# subscriber is connected before the first REGISTER gets an answer
	# (sipd retransmits it until then).
	KAM_PORT=$(free_port) || fail "no free port"
	API=$(free_port) || fail "no free port"
	printf '%s\n' "$PW" >"$T/trunk.pw"
	chmod 600 "$T/trunk.pw"
	cat >>"$CONF" <<CONF
[trunk]
proxy = sip:127.0.0.1:$KAM_PORT
username = alice
password_file = $T/trunk.pw
display_name = Hold Slayer
from_number = +15550001111
register = yes
expires = 120
realm = trunk.test
keepalive_s = 1
[api]
listen = 127.0.0.1:$API
CONF
	start mediad
	"$HS_BUILD/hsbus" -f "$CONF" sub sipd >"$T/events.jsonl" 2>"$T/sub.log" &
	PIDS="$PIDS $!"
	sleep 0.5
	start sipd
	SIPD=$PID_sipd
	kam_start "$PW" "$alg" "$KAM_PORT"

	ev=$(wait_event 30 '.type=="registration" and .data.state=="registered"') ||
		fail "$alg: no registration registered event"
	[ "$(echo "$ev" | jq -r .data.registrar)" = "sip:127.0.0.1:$KAM_PORT" ] ||
		fail "$alg: registration event names the wrong registrar: $ev"
	[ "$(echo "$ev" | jq .data.expires)" = 120 ] ||
		fail "$alg: registration event has the wrong expires: $ev"
	grep -q "auth: 401 for realm \"trunk.test\" ($alg" "$T/sipd.log" ||
		fail "$alg: sipd did not answer a $alg 401"
	kam_rpc ul.dump >"$T/uldump.txt" || fail "kamcmd ul.dump failed"
	grep -q "AoR: alice" "$T/uldump.txt" ||
		fail "$alg: kamailio's location has no alice: $(cat "$T/uldump.txt")"
	grep -q "127.0.0.1:$SIP_PORT" "$T/uldump.txt" ||
		fail "$alg: kamailio's location lacks sipd's contact"
	st=$(bus_req sipd '{"cmd":"status"}') || fail "status failed"
	[ "$(echo "$st" | jq -r .registration.state)" = registered ] ||
		fail "$alg: status does not say registered: $st"
	# holdctl status shows it too (through apid's /api/health).
	start apid
	"$HS_BUILD/holdctl" --conf "$CONF" --api "http://127.0.0.1:$API" status >"$T/holdctl.out" 2>&1 ||
		fail "$alg: holdctl status failed: $(cat "$T/holdctl.out")"
	grep -q "^trunk: registered with sip:127.0.0.1:$KAM_PORT ([0-9]* s left)" "$T/holdctl.out" ||
		fail "$alg: holdctl status does not show the registration: $(cat "$T/holdctl.out")"

	# A call through the trunk to an E.164 number.
	sipp -sf "$HS_TOP/tests/sip/uas_rr.xml" -i 127.0.0.1 -p "$UAS" -m 1 \
		-nostdin -timeout 40s \
		-trace_err -error_file "$T/sipp.err" >"$T/sipp.log" 2>&1 &
	SIPP=$!
	PIDS="$PIDS $SIPP"
	sleep 0.5
	bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C1\",\"leg\":\"company\",\"uri\":\"+14155551234\"}" ||
		fail "$alg: dial of +14155551234 was refused"
	ev=$(wait_event 20 ".type==\"call_connected\" and .call_id==\"$C1\"") ||
		fail "$alg: no call_connected through the trunk"
	[ "$(echo "$ev" | jq -r .data.remote_uri)" = "sip:+14155551234@127.0.0.1:$KAM_PORT" ] ||
		fail "$alg: wrong remote_uri: $ev"
	grep -q "kam: INVITE challenged" "$T/kamailio.log" ||
		fail "$alg: kamailio did not challenge the INVITE"
	grep -q "kam: INVITE of sip:+15550001111@127.0.0.1:$KAM_PORT to sip:+14155551234@127.0.0.1:$KAM_PORT accepted" "$T/kamailio.log" ||
		fail "$alg: kamailio did not accept the INVITE with the [trunk] From"
	grep -q "auth: 407 for realm \"trunk.test\" ($alg" "$T/sipd.log" ||
		fail "$alg: sipd did not answer the 407 with $alg"
	bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C1\"}" >/dev/null ||
		fail "$alg: hangup refused"
	wait_event 15 ".type==\"call_ended\" and .call_id==\"$C1\" and .data.reason==\"bye\"" >/dev/null ||
		fail "$alg: no call_ended after hangup"
	i=0
	while kill -0 "$SIPP" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || fail "$alg: sipp did not finish"
		sleep 0.1
	done
	wait "$SIPP" || fail "$alg: sipp counted no successful call: $(cat "$T/sipp.err" 2>/dev/null)"
	! jq -e "select(.call_id==\"$C1\" and .type==\"call_failed\")" "$T/events.jsonl" >/dev/null ||
		fail "$alg: a call_failed for the call"
	grep -q "trunk: 127.0.0.1:$KAM_PORT answers OPTIONS" "$T/sipd.log" ||
		fail "$alg: the OPTIONS keepalive never got an answer"

	# A clean stop removes the binding, and does not hang.
	kill -TERM "$SIPD"
	i=0
	while kill -0 "$SIPD" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "$alg: sipd did not stop within 10 s"
		sleep 0.1
	done
	wait_event 5 '.type=="registration" and .data.state=="unregistered"' >/dev/null ||
		fail "$alg: no registration unregistered event on stop"
	kam_rpc ul.dump >"$T/uldump2.txt" || fail "kamcmd ul.dump failed"
	! grep -q "AoR: alice" "$T/uldump2.txt" ||
		fail "$alg: alice is still in kamailio's location after the stop"

	for f in "$T"/sipd.log "$T"/mediad.log "$T"/events.jsonl; do
		! grep -qF "$PW" "$f" || fail "$alg: the password is in $f"
	done
	# One run per algorithm: stop this one's peers.
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=""
}

run_alg MD5
run_alg SHA-256
echo "ok"
