#!/bin/sh
# sipd follows a 302 to the best of its Contacts (by q) and on to the next
# one when that fails, stops a chain of redirects after 5, and gives every
# call_failed a human cause (busy, not_found, rejected, unavailable).
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need "$HS_BUILD/mediad" "mediad not built"
need sipp "sipp not installed"
need jq "jq not installed"

write_conf "invite_timeout_s = 20"
start mediad
start sipd
subscribe

# sipp_start NAME PORT ARGS...: a sipp UAS in the background.
sipp_start() {
	sn=$1 sp=$2
	shift 2
	sipp "$@" -i 127.0.0.1 -p "$sp" -nostdin -timeout 60s \
		-deadcall_wait 0 >"$T/sipp_$sn.log" 2>&1 &
	PIDS="$PIDS $!"
	eval "SIPP_$sn=$!"
}

# sipp_done NAME: waits until that sipp exits; fails unless it passed.
sipp_done() {
	eval "p=\$SIPP_$1"
	i=0
	while kill -0 "$p" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 300 ] || fail "sipp $1 did not finish"
		sleep 0.1
	done
	wait "$p" || fail "sipp $1 failed: $(tail -n 5 "$T/sipp_$1.log")"
}

dial() { # CALL_ID URI
	bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$1\",\"leg\":\"company\",\"uri\":\"$2\"}" \
		>/dev/null || fail "dial $1 was refused"
}

hangup_call() { # CALL_ID
	bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$1\"}" >/dev/null ||
		fail "hangup $1 was refused"
	wait_event 20 ".type==\"call_ended\" and .call_id==\"$1\"" >/dev/null ||
		fail "no call_ended for $1"
}

# --- 1. 302 with two contacts: the higher q gets the call ------------------
R=$(free_port) B=$(free_port) LOW=$(free_port)
sipp_start b "$B" -sn uas -m 1
sipp_start low "$LOW" -sf "$HS_TOP/tests/sip/uas_486.xml" -m 1
sipp_start r "$R" -sf "$HS_TOP/tests/sip/uas_302.xml" -m 1 \
	-key contacts "<sip:low@127.0.0.1:$LOW>;q=0.2, <sip:b@127.0.0.1:$B>;q=0.9"
sleep 0.5
C1=10000000-0000-4000-8000-000000000001
dial "$C1" "sip:moved@127.0.0.1:$R"
ev=$(wait_event 20 ".type==\"call_connected\" and .call_id==\"$C1\"") ||
	fail "no call_connected after the 302"
grep "$C1/company: redirected to" "$T/sipd.log" | head -n 1 |
	grep -q "redirected to sip:b@127.0.0.1:$B (1 of at most 5)" ||
	fail "the first redirect did not go to the contact with the highest q"
jq -e "select(.call_id==\"$C1\" and .type==\"call_failed\")" \
	"$T/events.jsonl" >/dev/null && fail "a call_failed for a redirect"
hangup_call "$C1"
sipp_done r
sipp_done b
kill -0 "$SIPP_low" 2>/dev/null || fail "the q=0.2 contact was called"

# --- 2. the best contact is busy: the next one gets the call ---------------
R=$(free_port) B=$(free_port)
sipp_start b2 "$B" -sn uas -m 1
sipp_start r2 "$R" -sf "$HS_TOP/tests/sip/uas_302.xml" -m 1 \
	-key contacts "<sip:b@127.0.0.1:$B>;q=0.5, <sip:busy@127.0.0.1:$LOW>"
sleep 0.5
C2=10000000-0000-4000-8000-000000000002
dial "$C2" "sip:moved@127.0.0.1:$R"
wait_event 20 ".type==\"call_connected\" and .call_id==\"$C2\"" >/dev/null ||
	fail "no call_connected after the first contact was busy"
grep -q "$C2/company: 486 Busy Here; trying the next contact" "$T/sipd.log" ||
	fail "no sign of the busy contact in the log"
hangup_call "$C2"
sipp_done r2
sipp_done b2
sipp_done low

# --- 3. a redirect loop ends after 5 redirects -------------------------------
R=$(free_port)
sipp_start loop "$R" -sf "$HS_TOP/tests/sip/uas_302_loop.xml" -m 6
sleep 0.5
C3=10000000-0000-4000-8000-000000000003
dial "$C3" "sip:loop@127.0.0.1:$R"
ev=$(wait_event 30 ".type==\"call_failed\" and .call_id==\"$C3\"") ||
	fail "no call_failed for the redirect loop"
[ "$(echo "$ev" | jq .data.code)" = 302 ] || fail "wrong code: $ev"
echo "$ev" | jq -e '.data.reason | test("more than 5")' >/dev/null ||
	fail "the reason does not name the bound: $ev"
[ "$(grep -c "$C3/company: redirected to" "$T/sipd.log")" = 5 ] ||
	fail "not exactly 5 redirects: $(grep "$C3" "$T/sipd.log")"
sipp_done loop

# --- 4. causes ----------------------------------------------------------------
n=4
for pair in 486:busy 404:not_found 603:rejected 503:unavailable; do
	code=${pair%%:*} cause=${pair#*:}
	P=$(free_port)
	sipp_start "c$code" "$P" -sf "$HS_TOP/tests/sip/uas_$code.xml" -m 1
	sleep 0.5
	C=10000000-0000-4000-8000-00000000000$n
	dial "$C" "sip:x$code@127.0.0.1:$P"
	ev=$(wait_event 20 ".type==\"call_failed\" and .call_id==\"$C\"") ||
		fail "no call_failed for $code"
	[ "$(echo "$ev" | jq -c '[.data.code, .data.cause]')" = "[$code,\"$cause\"]" ] ||
		fail "$code: wrong code or cause: $ev"
	sipp_done "c$code"
	n=$((n + 1))
done

bus_req sipd '{"cmd":"ping"}' >/dev/null || fail "sipd is gone at the end"
echo "sipd: 302 followed by q and past a busy contact, loop bounded, causes right"
