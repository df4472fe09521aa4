#!/bin/sh
# What a PBX or carrier does in the middle of a call, with sipp as the far
# end and the real mediad, four calls at once (about 100 s: RFC 4028's
# shortest session interval is 90 s and the calls must outlive it):
#  A  the far end holds (sendonly: we answer recvonly, mediad stops
#     sending, call_held), holds again the old way (c=0.0.0.0: the address
#     is kept), resumes with PCMA (call_resumed), moves its RTP
#     to a new port (mediad's audio must arrive there), sends INFO, REFER
#     (603) and NOTIFY (481), and refreshes the session itself by UPDATE
#     and re-INVITE (Session-Expires 90) past 90 s;
#  B  the far end makes us the refresher, allows UPDATE and record-routes
#     (lr): sipd must send UPDATE at about 45 s, twice, by the route set;
#  C  the same without UPDATE in Allow and a strict router: sipd must
#     refresh by re-INVITE, and a re-INVITE of the far end crossing it gets
#     491;
#  D  the far end promises to refresh and never does: sipd must hang up
#     with "session timer expired" after 60 s.
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

# The new RTP port of call A: count what arrives, by payload type.
NEWPORT=$(free_port) || fail "no free port"
python3 - "$NEWPORT" "$T/newport.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
log = open(sys.argv[2], "w", buffering=1)
while True:
    d, _ = s.recvfrom(2048)
    if len(d) >= 12:
        log.write("pt %d\n" % (d[1] & 0x7F))
PY
PIDS="$PIDS $!"

sipp_start() { # NAME SCENARIO [sipp args...]
	name=$1 sf=$2
	shift 2
	port=$(free_port) || fail "no free port"
	sipp -sf "$HS_TOP/tests/sip/$sf" -i 127.0.0.1 -p "$port" -m 1 \
		-nostdin -timeout 200s -trace_err -error_file "$T/$name.err" \
		"$@" >"$T/sipp_$name.log" 2>&1 &
	eval "SIPP_$name=$!"
	eval "PORT_$name=$port"
	PIDS="$PIDS $!"
}

sipp_start A uas_reinvite.xml -key newport "$NEWPORT"
sipp_start B uas_refresher.xml
sipp_start C uas_refresher_reinvite.xml
sipp_start D uas_expire.xml
sleep 0.5
CA=aaaaaaaa-0000-4000-8000-00000000000a
CB=bbbbbbbb-0000-4000-8000-00000000000b
CC=cccccccc-0000-4000-8000-00000000000c
CD=dddddddd-0000-4000-8000-00000000000d
for c in A B C D; do
	eval "id=\$C$c port=\$PORT_$c"
	bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$id\",\"leg\":\"company\",\"uri\":\"sip:pbx@127.0.0.1:$port\"}" >/dev/null ||
		fail "dial $c was refused"
done
for c in A B C D; do
	eval "id=\$C$c"
	wait_event 15 ".type==\"call_connected\" and .call_id==\"$id\"" >/dev/null ||
		fail "call $c not connected"
done
T0=$(date +%s)

# --- A: hold -----------------------------------------------------------------
wait_event 15 ".type==\"call_held\" and .call_id==\"$CA\" and .data.by==\"remote\"" >/dev/null ||
	fail "no call_held after the re-INVITE with sendonly"
grep -q "leg: $CA company: remote 127.0.0.1:[0-9]* pt 0 dtmf_pt 101 recvonly" "$T/mediad.log" ||
	fail "mediad was not told to stop sending on hold"
tx() {
	bus_req mediad '{"cmd":"status"}' |
		jq ".calls[] | select(.call_id==\"$CA\") | .legs[0].tx_packets"
}
tx1=$(tx)
sleep 1 # a measurement window, not a wait: nothing may be sent in it
tx2=$(tx)
[ -n "$tx1" ] && [ "$tx1" = "$tx2" ] ||
	fail "mediad kept sending RTP while held ($tx1 -> $tx2 packets)"
[ "$(bus_req mediad '{"cmd":"status"}' | jq ".calls[] | select(.call_id==\"$CA\") | .legs[0].sending")" = false ] ||
	fail "mediad's status does not show the held leg as not sending"

# --- A: resume with PCMA, then RTP to the new port -------------------------
wait_event 20 ".type==\"call_resumed\" and .call_id==\"$CA\"" >/dev/null ||
	fail "no call_resumed after the re-INVITE with sendrecv"
grep -q "leg: $CA company: remote 127.0.0.1:[0-9]* pt 8 dtmf_pt 101 sendrecv" "$T/mediad.log" ||
	fail "mediad was not switched to PCMA on resume"
# The old-style hold (c=0.0.0.0) between the two kept the address.
if grep -q "company: remote 0.0.0.0" "$T/mediad.log"; then
	fail "mediad was told to send to 0.0.0.0 on an old-style hold"
fi
[ "$(jq -c "select(.call_id==\"$CA\" and (.type==\"call_held\" or .type==\"call_resumed\"))" "$T/events.jsonl" | wc -l)" = 2 ] ||
	fail "hold, old-style hold and resume did not give exactly call_held then call_resumed"
end=$(($(date +%s) + 20))
while ! grep -q "^pt 8$" "$T/newport.log" 2>/dev/null; do
	[ "$(date +%s)" -le "$end" ] || fail "no PCMA RTP on the new port $NEWPORT after the re-INVITE"
	sleep 0.2
done
grep -q "leg: $CA company: remote 127.0.0.1:$NEWPORT pt 8" "$T/mediad.log" ||
	fail "mediad was not told the new port"
end=$(($(date +%s) + 20))
while ! grep -q "$CA/company: INFO DTMF relay digit 5" "$T/sipd.log"; do
	[ "$(date +%s)" -le "$end" ] || fail "the INFO digit was not logged"
	sleep 0.2
done
grep -q "$CA/company: the far end asks to transfer us to <sip:survey@" "$T/sipd.log" ||
	fail "the declined REFER was not logged"

# --- B and C: sipd refreshes at about half the interval ---------------------
for c in B C; do
	eval "id=\$C$c"
	end=$((T0 + 60))
	while ! grep -q "$id/company: session refresh by" "$T/sipd.log"; do
		[ "$(date +%s)" -le "$end" ] || fail "call $c: no session refresh within 60 s"
		sleep 0.5
	done
	took=$(($(date +%s) - T0))
	[ "$took" -ge 35 ] || fail "call $c: refreshed after $took s, far earlier than 45 s"
done
grep -q "$CB/company: session refresh by UPDATE" "$T/sipd.log" ||
	fail "call B (UPDATE allowed) was not refreshed by UPDATE"
grep -q "$CC/company: session refresh by re-INVITE" "$T/sipd.log" ||
	fail "call C (no UPDATE) was not refreshed by re-INVITE"
grep -q "$CC/company: INVITE crosses our re-INVITE: 491" "$T/sipd.log" ||
	fail "call C: the far end's re-INVITE crossing ours did not get 491"

# --- D: expires ----------------------------------------------------------------
ev=$(wait_event 60 ".type==\"call_ended\" and .call_id==\"$CD\"") ||
	fail "call D did not end although nobody refreshed it"
[ "$(echo "$ev" | jq -c '[.data.by, .data.reason]')" = '["local","session timer expired"]' ] ||
	fail "call D ended wrongly: $ev"
took=$(($(date +%s) - T0))
[ "$took" -ge 50 ] || fail "call D expired after $took s, before 60 s"

# --- every call: sipp saw everything it expected, A B C ended by the far end --
for c in A B C D; do
	eval "pid=\$SIPP_$c id=\$C$c"
	end=$(($(date +%s) + 120))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$(date +%s)" -le "$end" ] || fail "sipp $c did not finish"
		sleep 0.5
	done
	wait "$pid" || fail "sipp $c failed: $(cat "$T/$c.err" 2>/dev/null | tail -5)"
done
for c in A B C; do
	eval "id=\$C$c"
	ev=$(wait_event 10 ".type==\"call_ended\" and .call_id==\"$id\"") ||
		fail "call $c did not end"
	[ "$(echo "$ev" | jq -c '[.data.by, .data.reason]')" = '["remote","bye"]' ] ||
		fail "call $c ended wrongly: $ev"
done
took=$(($(date +%s) - T0))
[ "$took" -ge 90 ] || fail "the calls ended after $took s, before the 90 s interval"
[ "$(grep -c "$CB/company: session refresh by UPDATE" "$T/sipd.log")" -ge 2 ] ||
	fail "call B was refreshed only once"
bus_req sipd '{"cmd":"ping"}' >/dev/null || fail "sipd is gone at the end"
echo "sipd: hold, resume, codec and port change, INFO/REFER/NOTIFY, session refresh both ways and expiry"
