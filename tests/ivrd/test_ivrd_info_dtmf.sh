#!/bin/sh
# ivrd keys digits in as SIP INFO when the company's answer took no
# telephone-event: the real sipd and mediad, a sipp UAS as the company that
# answers with PCMU alone and checks each INFO's body (1, # and 9, in
# order), then hangs up.
. "$(dirname "$0")/../lib.sh"
for p in sipd mediad ivrd hsbus; do
	[ -x "$HS_BUILD/$p" ] || fail "$p not built"
done
command -v sipp >/dev/null || skip "sipp not installed"

SIP=$(free_port udp); CO=$(free_port udp)
RTP=$(free_rtp_base 40)
mkdir -p "$T/flows"
cp "$HS_TOP/tests/data/ivrd/ivrd-info.json" "$T/flows/"
HS_FLOWSDIR=$T/flows write_conf <<EOF2
[sip]
listen = 127.0.0.1:$SIP
[trunk]
proxy = sip:127.0.0.1:$CO
keepalive_s = 0
[media]
rtp_port_min = $RTP
rtp_port_max = $((RTP + 39))
EOF2

start company sipp -sf "$HS_TOP/tests/sip/uas_info.xml" -i 127.0.0.1 \
	-p "$CO" -m 1 -nostdin -timeout 60s -trace_err \
	-error_file "$T/sipp.err"
for d in mediad sipd ivrd; do
	start "$d" "$HS_BUILD/$d" -v -f "$T/hs.conf"
done
for d in mediad sipd ivrd; do
	wait_daemon "$d" || fail "$d did not start: $(tail -n 3 "$T/$d.log")"
done
start events "$HS_BUILD/hsbus" -f "$T/hs.conf" sub ivrd
sleep 0.5

hsbus req ivrd '{"cmd":"start","call_id":"c1","number":"18005550143",
	"mode":"hold_slayer","intent":"a wrong charge on my bill",
	"info":{}}' >"$T/start.json" ||
	fail "start refused: $(cat "$T/start.json")"
wait_for 30 grep -q '"type":"ivr_dtmf_sent"' "$T/events.log" ||
	fail "no ivr_dtmf_sent: $(tail -n 5 "$T/ivrd.log")"
wait_for 30 sh -c "! kill -0 $PID_company" ||
	fail "the company (sipp) did not get its three INFOs and hang up"
wait "$PID_company" ||
	fail "sipp saw wrong INFOs: $(cat "$T/sipp.err" 2>/dev/null)"
grep -q "3 digit(s) queued for INFO" "$T/sipd.log" ||
	fail "sipd did not take the digits"
ok "ivrd keyed 1#9 in as SIP INFO through sipd"
