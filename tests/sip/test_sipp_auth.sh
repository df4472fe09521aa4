#!/bin/sh
# sipd answering digest challenges from a sipp UAS configured as the trunk:
# an INVITE challenged with 401, then one with 407, is re-sent with
# credentials that sipp verifies (verifyauth) and the call connects; the
# BYE, challenged with 401, is re-sent too and the call ends normally.  A
# UAS that challenges the answer again gives call_failed "authentication
# rejected" after exactly one retry.
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need "$HS_BUILD/mediad" "mediad not built"
need sipp "sipp not installed"
need jq "jq not installed"

UAS=$(free_port) || fail "no free port"
write_conf "invite_timeout_s = 20"
printf 'sipp-secret\n' >"$T/pw"
chmod 600 "$T/pw"
cat >>"$CONF" <<CONF
[trunk]
proxy = sip:127.0.0.1:$UAS
username = alice
password_file = $T/pw
keepalive_s = 0
CONF
start mediad
start sipd
subscribe

n=0
for code in 401 407; do
	n=$((n + 1))
	hdr=WWW-Authenticate
	[ $code = 407 ] && hdr=Proxy-Authenticate
	C=a0a0a0a0-0000-4000-8000-00000000000$n
	sed "s/CODE/$code/; s/HDR:/$hdr:/" "$HS_TOP/tests/sip/uas_auth.xml" \
		>"$T/uas_auth_$code.xml"
	# sipp's verifyauth reads Authorization only: for the 407, sipp just
	# requires a Proxy-Authorization and the digest is checked below.
	[ $code = 407 ] && sed -i 's|<verifyauth assign_to="invite_ok".*|<ereg regexp="Digest" search_in="hdr" header="Proxy-Authorization:" check_it="true" assign_to="invite_ok" />|' \
		"$T/uas_auth_$code.xml"
	sipp -sf "$T/uas_auth_$code.xml" \
		-i 127.0.0.1 -p "$UAS" -m 1 -nostdin -timeout 30s \
		-trace_err -error_file "$T/sipp$code.err" >"$T/sipp$code.log" 2>&1 &
	SIPP=$!
	PIDS="$PIDS $SIPP"
	sleep 0.5
	bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C\",\"leg\":\"company\",\"uri\":\"+1 415 555 1234\"}" >/dev/null ||
		fail "$code: dial refused"
	ev=$(wait_event 15 ".call_id==\"$C\" and (.type==\"call_connected\" or .type==\"call_failed\")") ||
		fail "$code: neither connected nor failed"
	[ "$(echo "$ev" | jq -r .type)" = call_connected ] ||
		fail "$code: the challenged call did not connect: $ev"
	grep -q "auth: $code for realm \"sipp.test\" (MD5, qop auth): answering as alice" "$T/sipd.log" ||
		fail "$code: sipd did not log its answer to the $code"
	if [ $code = 407 ]; then
		python3 - "$T/sipd.log" <<'EOF' || fail "407: the Proxy-Authorization digest is wrong"
import hashlib, re, sys
# The INVITE sipd sent with Proxy-Authorization (from its debug log).
log = open(sys.argv[1]).read()
m = re.search(r"^INVITE (\S+) SIP/2.0\n(?:.+\n)*?Proxy-Authorization: Digest (.+)$",
              log, re.M)
if not m:
    sys.exit("no INVITE with Proxy-Authorization in the log")
ruri, params = m.group(1), dict(re.findall(r'(\w+)="?([^",]*)"?', m.group(2)))
h = lambda s: hashlib.md5(s.encode()).hexdigest()
ha1 = h("alice:sipp.test:sipp-secret")
ha2 = h("INVITE:" + params["uri"])
want = h(":".join([ha1, params["nonce"], params["nc"], params["cnonce"],
                   "auth", ha2]))
if params["uri"] != ruri or params["response"] != want:
    sys.exit("uri %s (request %s), response %s, expected %s"
             % (params["uri"], ruri, params["response"], want))
print("407: Proxy-Authorization response verified:", want)
EOF
	fi
	bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C\"}" >/dev/null ||
		fail "$code: hangup refused"
	ev=$(wait_event 15 ".type==\"call_ended\" and .call_id==\"$C\"") ||
		fail "$code: no call_ended after the challenged BYE"
	[ "$(echo "$ev" | jq -r .data.reason)" = bye ] ||
		fail "$code: call_ended reason: $ev"
	i=0
	while kill -0 "$SIPP" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 150 ] || fail "$code: sipp did not finish"
		sleep 0.1
	done
	wait "$SIPP" || fail "$code: sipp failed: $(cat "$T/sipp$code.err" 2>/dev/null)"
	# (Credentials sipp's verifyauth refuses get a 403: call_failed.)
done
grep -q "BYE re-sent with credentials" "$T/sipd.log" ||
	fail "the challenged BYE was not re-sent"

# --- a second challenge: rejected ----------------------------------------
C=a0a0a0a0-0000-4000-8000-000000000009
sipp -sf "$HS_TOP/tests/sip/uas_auth_twice.xml" -i 127.0.0.1 -p "$UAS" -m 1 \
	-nostdin -timeout 30s >"$T/sipp-twice.log" 2>&1 &
SIPP=$!
PIDS="$PIDS $SIPP"
sleep 0.5
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C\",\"leg\":\"company\",\"uri\":\"+14155551234\"}" >/dev/null ||
	fail "dial 3 refused"
ev=$(wait_event 15 ".type==\"call_failed\" and .call_id==\"$C\"") ||
	fail "no call_failed after the second challenge"
[ "$(echo "$ev" | jq .data.code)" = 401 ] || fail "wrong code: $ev"
[ "$(echo "$ev" | jq -r .data.reason)" = "authentication rejected" ] ||
	fail "unclear reason: $ev"
i=0
while kill -0 "$SIPP" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 150 ] || fail "sipp (twice) did not finish"
	sleep 0.1
done
wait "$SIPP" || fail "sipp (twice) failed: it saw something else than two INVITEs"
[ "$(grep -c "INVITE re-sent with credentials" "$T/sipd.log")" = 3 ] ||
	fail "sipd re-sent the INVITE more than once in the rejected call"

# A number that is not E.164 is refused with a clear error.
if bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C\",\"leg\":\"user\",\"uri\":\"+1234567890123456\"}" >"$T/bad.out"; then
	fail "a 16-digit number was accepted"
fi
grep -q "more than 15 digits (E.164 allows 15)" "$T/bad.out" ||
	fail "unclear error for a 16-digit number: $(cat "$T/bad.out")"
! grep -q "sipp-secret" "$T/sipd.log" || fail "the password is in sipd's log"
echo "ok"
