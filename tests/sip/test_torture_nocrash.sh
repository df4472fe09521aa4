#!/bin/sh
# The RFC 4475 torture messages (../shared/sip-torture/*.dat) sent to sipd
# one by one over UDP: sipd must answer ping after each of them, and must
# answer the valid OPTIONS among them.
set -u
. "$(dirname "$0")/lib.sh"

DIR=$HS_TOP/../shared/sip-torture
[ -d "$DIR" ] || { echo "no torture messages in $DIR"; exit 77; }
need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"

write_conf
start sipd
n=0
for f in "$DIR"/*.dat; do
	send_udp "$SIP_PORT" "$f"
	bus_req sipd '{"cmd":"ping"}' >/dev/null ||
		fail "sipd stopped answering after $(basename "$f")"
	n=$((n + 1))
done
[ "$n" -gt 40 ] || fail "only $n torture messages found"
# Every message again in one burst, then a last ping.
send_udp "$SIP_PORT" "$DIR"/*.dat
sleep 0.5
bus_req sipd '{"cmd":"ping"}' >/dev/null || fail "sipd died in the burst"
kill -0 "$PID_sipd" || fail "sipd exited"
grep -q "dropped a malformed packet" "$T/sipd.log" ||
	fail "no malformed message was reported"
echo "sipd survived $n torture messages"
