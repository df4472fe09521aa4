#!/bin/sh
# Dialog edge cases of RFC 3261 and RFC 4028 against sipp and the real
# mediad: a forked INVITE answered by two phones (the second 2xx is ACKed
# and ended with BYE, the first is the call), a hangup before any 1xx (the
# CANCEL waits for the 180), a 200 crossing our CANCEL (ACK and BYE), a 422
# retried with the larger Session-Expires, and CANCEL as a server: 200 for
# an INVITE already answered, 481 for one never seen; in-dialog requests
# for an unknown dialog get 481.
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

sipp_start() { # NAME SCENARIO
	port=$(free_port) || fail "no free port"
	sipp -sf "$HS_TOP/tests/sip/$2" -i 127.0.0.1 -p "$port" -m 1 \
		-nostdin -timeout 60s -trace_err -error_file "$T/$1.err" \
		>"$T/sipp_$1.log" 2>&1 &
	eval "SIPP_$1=$!"
	eval "PORT_$1=$port"
	PIDS="$PIDS $!"
	sleep 0.3
}

sipp_done() { # NAME
	eval "pid=\$SIPP_$1"
	end=$(($(date +%s) + 30))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$(date +%s)" -le "$end" ] || fail "sipp $1 did not finish"
		sleep 0.2
	done
	wait "$pid" || fail "sipp $1 failed: $(tail -5 "$T/$1.err" 2>/dev/null)"
}

dial() { # CALL_ID NAME
	eval "port=\$PORT_$2"
	bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$1\",\"leg\":\"company\",\"uri\":\"sip:x@127.0.0.1:$port\"}" >/dev/null ||
		fail "dial $2 was refused"
}

finals() { # CALL_ID: the number of final events of the leg
	jq -c "select(.call_id==\"$1\" and (.type==\"call_ended\" or .type==\"call_failed\"))" \
		"$T/events.jsonl" | wc -l
}

# --- forked 2xx ----------------------------------------------------------------
C1=f0f0f0f0-0000-4000-8000-000000000001
sipp_start fork uas_fork.xml
dial "$C1" fork
wait_event 10 ".type==\"call_connected\" and .call_id==\"$C1\"" >/dev/null ||
	fail "fork: no call_connected"
ev=$(wait_event 15 ".type==\"call_ended\" and .call_id==\"$C1\"") ||
	fail "fork: the first dialog's BYE did not end the call"
[ "$(echo "$ev" | jq -c '[.data.by, .data.reason]')" = '["remote","bye"]' ] ||
	fail "fork: wrong call_ended: $ev"
sipp_done fork
[ "$(jq -c "select(.call_id==\"$C1\" and .type==\"call_connected\")" "$T/events.jsonl" | wc -l)" = 1 ] ||
	fail "fork: more than one call_connected"
[ "$(finals "$C1")" = 1 ] || fail "fork: more than one final event"

# --- hangup before any 1xx: the CANCEL waits for the 180 -------------------------
C2=f0f0f0f0-0000-4000-8000-000000000002
sipp_start slow uas_slow.xml
dial "$C2" slow
end=$(($(date +%s) + 10))
while ! grep -q "dialog: $C2/company: INVITE" "$T/sipd.log"; do
	[ "$(date +%s)" -le "$end" ] || fail "slow: the INVITE was not sent"
	sleep 0.1
done
bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C2\"}" >/dev/null ||
	fail "slow: hangup refused"
ev=$(wait_event 10 ".type==\"call_ended\" and .call_id==\"$C2\"") ||
	fail "slow: no call_ended after the hangup"
[ "$(echo "$ev" | jq -c '[.data.by, .data.reason]')" = '["local","cancelled"]' ] ||
	fail "slow: wrong call_ended: $ev"
sipp_done slow
# The CANCEL went out after the 180 came in.
r180=$(grep -n "SIP/2.0 180" "$T/sipd.log" | head -n 1 | cut -d: -f1)
cancel=$(grep -n "^CANCEL sip:x@127.0.0.1:$PORT_slow" "$T/sipd.log" | head -n 1 | cut -d: -f1)
[ -n "$r180" ] && [ -n "$cancel" ] && [ "$cancel" -gt "$r180" ] ||
	fail "slow: the CANCEL (line ${cancel:-none}) did not wait for the 180 (line ${r180:-none})"
[ "$(finals "$C2")" = 1 ] || fail "slow: more than one final event"

# --- a 200 crossing our CANCEL ---------------------------------------------------
C3=f0f0f0f0-0000-4000-8000-000000000003
sipp_start cross uas_cross.xml
dial "$C3" cross
wait_event 10 ".type==\"call_ringing\" and .call_id==\"$C3\"" >/dev/null ||
	fail "cross: no call_ringing"
bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C3\"}" >/dev/null ||
	fail "cross: hangup refused"
sipp_done cross
ev=$(wait_event 10 ".type==\"call_ended\" and .call_id==\"$C3\"") ||
	fail "cross: no call_ended"
[ "$(echo "$ev" | jq -r .data.reason)" = cancelled ] || fail "cross: wrong call_ended: $ev"
if jq -e "select(.call_id==\"$C3\" and .type==\"call_connected\")" "$T/events.jsonl" >/dev/null; then
	fail "cross: a cancelled call was reported connected"
fi
[ "$(finals "$C3")" = 1 ] || fail "cross: more than one final event"

# --- 422: the INVITE again with the carrier's Min-SE ------------------------------
C4=f0f0f0f0-0000-4000-8000-000000000004
sipp_start s422 uas_422.xml
dial "$C4" s422
wait_event 10 ".type==\"call_connected\" and .call_id==\"$C4\"" >/dev/null ||
	fail "422: the call was not connected after the retry"
ev=$(wait_event 10 ".type==\"call_ended\" and .call_id==\"$C4\"") ||
	fail "422: no call_ended"
[ "$(echo "$ev" | jq -r .data.by)" = remote ] || fail "422: wrong call_ended: $ev"
sipp_done s422
if jq -e "select(.call_id==\"$C4\" and .type==\"call_failed\")" "$T/events.jsonl" >/dev/null; then
	fail "422: call_failed although the retry was answered"
fi

# --- CANCEL and unknown dialogs, as a server ------------------------------------------
OUT=$(python3 - "$SIP_PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(3)
me = s.getsockname()[1]
def req(method, branch, cseq_method=None, totag="", callid="c1@t"):
    m = (f"{method} sip:holdslayer@127.0.0.1:{port} SIP/2.0\r\n"
         f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bK{branch}\r\n"
         f"Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=99\r\n"
         f"To: <sip:holdslayer@127.0.0.1>{totag}\r\nCall-ID: {callid}\r\n"
         f"CSeq: 1 {cseq_method or method}\r\nContent-Length: 0\r\n\r\n")
    s.sendto(m.encode(), ("127.0.0.1", port))
    while True:
        r = s.recv(4096).decode()
        if f"CSeq: 1 {cseq_method or method}" in r and not r.startswith("SIP/2.0 1"):
            return r.split("\r\n")[0]
out = [req("INVITE", "inv1"), req("CANCEL", "inv1"), req("CANCEL", "never"),
       req("UPDATE", "up1", totag=";tag=nope", callid="c2@t"),
       req("INFO", "in1", totag=";tag=nope", callid="c2@t")]
print(" | ".join(out))
PY
) || fail "no answers to the CANCEL checks"
echo "answers: $OUT"
case "$OUT" in
"SIP/2.0 403 "*" | SIP/2.0 200 OK | SIP/2.0 481 "*" | SIP/2.0 481 "*" | SIP/2.0 481 "*) ;;
*) fail "unexpected answers: $OUT" ;;
esac

bus_req sipd '{"cmd":"ping"}' >/dev/null || fail "sipd is gone at the end"
echo "sipd: forked 2xx, CANCEL before a 1xx, 2xx crossing CANCEL, 422 and CANCEL as server all handled"
