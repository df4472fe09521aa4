#!/bin/sh
# sipd's registration when it cannot succeed: a password file others can
# read and a transport sipd does not speak are refused at start with a clear
# error; a wrong password (given through password_env) gives a
# "registration failed" event naming the 401, retries with a growing
# backoff, a status that says why, and no password in any log or event.
# The trunk is kamailio on loopback (tests/sip/kamailio.sh).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kamailio.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need kamailio "kamailio not installed (tests/deps.sh)"
need kamcmd "kamcmd not installed (tests/deps.sh)"
need jq "jq not installed"

RIGHT="Right-pw-51d2"
WRONG="Wrong-pw-9be0"
KAM_UAS_PORT=9 # no calls in this test
write_conf
KAM_PORT=$(free_port) || fail "no free port"
cp "$CONF" "$T/base.conf"

# --- 1. a password file others can read -----------------------------------
printf '%s\n' "$WRONG" >"$T/open.pw"
chmod 644 "$T/open.pw"
{
	cat "$T/base.conf"
	echo "[trunk]"
	echo "proxy = sip:127.0.0.1:$KAM_PORT"
	echo "username = alice"
	echo "password_file = $T/open.pw"
	echo "register = yes"
} >"$T/open.conf"
if timeout 10 "$HS_BUILD/sipd" -f "$T/open.conf" >"$T/open.log" 2>&1; then
	fail "sipd started with a world-readable password file"
fi
grep -q "password_file $T/open.pw: readable or writable by group or others (mode 0644); run chmod 600 on it" "$T/open.log" ||
	fail "unclear error for a readable password file: $(cat "$T/open.log")"

# --- 2. a transport that sipd does not speak --------------------------------
{
	cat "$T/base.conf"
	echo "[trunk]"
	echo "proxy = sip:127.0.0.1:$KAM_PORT"
	echo "transport = sctp"
} >"$T/tls.conf"
if timeout 10 "$HS_BUILD/sipd" -f "$T/tls.conf" >"$T/tls.log" 2>&1; then
	fail "sipd started with transport = sctp"
fi
grep -q "\[trunk\] transport: 'sctp' is not udp, tcp or tls" "$T/tls.log" ||
	fail "unclear error for transport = sctp: $(cat "$T/tls.log")"

# --- 3. a wrong password --------------------------------------------------
write_conf # fresh ports, chosen just before they are bound
{
	cat "$CONF"
	echo "[trunk]"
	echo "proxy = sip:127.0.0.1:$KAM_PORT"
	echo "username = alice"
	echo "password_env = HS_TEST_TRUNK_PW"
	echo "register = yes"
	echo "keepalive_s = 0"
} >"$T/wrong.conf"
CONF=$T/wrong.conf
subscribe
HS_TEST_TRUNK_PW=$WRONG
export HS_TEST_TRUNK_PW
start sipd
unset HS_TEST_TRUNK_PW
# kamailio after sipd: the subscriber is connected before the first answer.
kam_start "$RIGHT" MD5 "$KAM_PORT"
ev=$(wait_event 30 '.type=="registration" and .data.state=="failed"') ||
	fail "no registration failed event"
reason=$(echo "$ev" | jq -r .data.reason)
case "$reason" in
*401*"authentication rejected"*) ;;
*) fail "the failure does not name the 401 and the rejection: $ev" ;;
esac
[ "$(echo "$ev" | jq .data.retry_in_s)" = 5 ] ||
	fail "the first retry is not in 5 s: $ev"
grep -q "kam: REGISTER challenged" "$T/kamailio.log" ||
	fail "kamailio never challenged"
# The backoff doubles: the second failure waits 10 s.
end=$(($(date +%s) + 30))
until grep -q "register: sip:127.0.0.1:$KAM_PORT failed: .*; retrying in 10 s" "$T/sipd.log"; do
	[ "$(date +%s)" -le "$end" ] || fail "no second attempt with a 10 s backoff"
	sleep 0.2
done
grep -q "retrying in 5 s" "$T/sipd.log" || fail "no 5 s backoff in the log"
st=$(bus_req sipd '{"cmd":"status"}') || fail "status failed"
[ "$(echo "$st" | jq -r .registration.state)" = failed ] ||
	fail "status does not say failed: $st"
echo "$st" | jq -r .registration.reason | grep -q 401 ||
	fail "status gives no reason with the 401: $st"
kam_rpc ul.dump >"$T/uldump.txt" || fail "kamcmd ul.dump failed"
! grep -q "AoR: alice" "$T/uldump.txt" || fail "kamailio registered alice anyway"
# Exactly one failed event: the retries do not change the state.
[ "$(jq -c 'select(.type=="registration")' "$T/events.jsonl" | wc -l)" = 1 ] ||
	fail "more than one registration event for one failed state"

for f in "$T"/sipd.log "$T"/events.jsonl "$T"/open.log "$T"/tls.log; do
	! grep -qF "$WRONG" "$f" || fail "the password is in $f"
	! grep -qF "$RIGHT" "$f" || fail "kamailio's password is in $f"
done
echo "ok"
