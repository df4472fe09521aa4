#!/bin/sh
# RFC 3263 picks TCP: a name whose only NAPTR is SIP+D2T (served by a real
# dnsmasq on loopback) is called over TCP at its SRV target, a sipp UAS
# over TCP; the call is answered and hung up on that connection.
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need "$HS_BUILD/mediad" "mediad not built"
need sipp "sipp not installed"
need jq "jq not installed"
need python3 "python3 not installed"
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
need "$DNSMASQ" "dnsmasq not installed (dnsmasq-base)"

UAS=$(free_port) || fail "no free port"
DNS_PORT=$(free_port) || fail "no free port"
"$DNSMASQ" --no-daemon --port="$DNS_PORT" --listen-address=127.0.0.1 \
	--bind-interfaces --no-resolv --no-hosts --log-queries \
	--log-facility=- --local-ttl=60 --neg-ttl=60 \
	--local=/tcp.test/ \
	--naptr-record=tcp.test,10,50,s,SIP+D2T,,_sip._tcp.pool.tcp.test \
	--srv-host=_sip._tcp.pool.tcp.test,pbx.tcp.test,"$UAS",10,10 \
	--host-record=pbx.tcp.test,127.0.0.1 \
	>"$T/dnsmasq.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until grep -q "started, version" "$T/dnsmasq.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "dnsmasq did not start"
	sleep 0.1
done

write_conf "invite_timeout_s = 20" "dns_servers = 127.0.0.1:$DNS_PORT"
start mediad
start sipd
subscribe

sipp -sn uas -t t1 -i 127.0.0.1 -p "$UAS" -m 1 -nostdin -timeout 30s \
	-trace_err -error_file "$T/sipp.err" >"$T/sipp.log" 2>&1 &
SIPP=$!
PIDS="$PIDS $SIPP"
i=0
until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $UAS), 1)" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "sipp does not listen on TCP"
	sleep 0.1
done
C1=11111111-1111-4111-8111-111111111111
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C1\",\"leg\":\"company\",\"uri\":\"sip:service@tcp.test\"}" ||
	fail "dial was refused"
wait_event 20 ".type==\"call_connected\" and .call_id==\"$C1\"" >/dev/null ||
	fail "no call_connected through the SIP+D2T NAPTR"
grep -q "query\[SRV\] _sip._tcp.pool.tcp.test" "$T/dnsmasq.log" ||
	fail "sipd did not follow the NAPTR to the TCP SRV name"
grep -q "INVITE sip:service@tcp.test to 127.0.0.1:$UAS over TCP" "$T/sipd.log" ||
	fail "the INVITE did not go over TCP"
bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C1\"}" >/dev/null ||
	fail "hangup was refused"
wait_event 20 ".type==\"call_ended\" and .call_id==\"$C1\"" >/dev/null ||
	fail "no call_ended"
i=0
while kill -0 "$SIPP" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "sipp did not finish the call"
	sleep 0.1
done
wait "$SIPP" || fail "sipp reports a failed call: $(tail -n 5 "$T/sipp.err" 2>/dev/null)"
echo "sipd: a SIP+D2T NAPTR leads to a call over TCP"
