#!/bin/sh
# sipd over TCP (RFC 3261 18.3): it listens on TCP on its UDP port, calls
# a sipp UAS over TCP for a ;transport=tcp URI (INVITE, ACK, BYE on one
# connection), sends an INVITE too large for UDP over TCP (18.1.1),
# answers OPTIONS (and refuses a SIP/7.0 request) on the connection it
# came in on, pongs a CRLF ping (RFC 5626), closes a connection that sends
# a message without Content-Length, fails a sips: call whose TLS
# connection cannot be made without sending anything over UDP, and refuses
# to start when its TCP port is taken.
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need "$HS_BUILD/mediad" "mediad not built"
need sipp "sipp not installed"
need jq "jq not installed"
need python3 "python3 not installed"

# wait_tcp PORT: waits until something listens on TCP 127.0.0.1:PORT.
wait_tcp() {
	python3 - "$1" <<'EOF'
import socket, sys, time
end = time.time() + 20
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

# wait_gone PID WHAT: waits for a sipp to end and checks it succeeded.
wait_sipp() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 300 ] || fail "$2 did not finish"
		sleep 0.1
	done
	wait "$1" || fail "$2 reports a failure: $(tail -n 5 "$T/$2.err" 2>/dev/null)"
}

write_conf "invite_timeout_s = 20"
start mediad
start sipd
subscribe
grep -q "listening on TCP 127.0.0.1 port $SIP_PORT" "$T/sipd.log" ||
	fail "sipd does not listen on TCP on its SIP port"

# --- 1. a call over TCP to a ;transport=tcp URI, hung up by us ---------------
UAS=$(free_port)
sipp -sn uas -t t1 -i 127.0.0.1 -p "$UAS" -m 1 -nostdin -timeout 30s \
	-trace_err -error_file "$T/sipp1.err" >"$T/sipp1.log" 2>&1 &
SIPP1=$!
PIDS="$PIDS $SIPP1"
wait_tcp "$UAS" || fail "sipp does not listen on TCP"
C1=11111111-1111-4111-8111-111111111111
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C1\",\"leg\":\"company\",\"uri\":\"sip:service@127.0.0.1:$UAS;transport=tcp\"}" ||
	fail "dial was refused"
wait_event 15 ".type==\"call_connected\" and .call_id==\"$C1\"" >/dev/null ||
	fail "no call_connected over TCP"
grep -q "INVITE sip:service@127.0.0.1:$UAS;transport=tcp to 127.0.0.1:$UAS over TCP" \
	"$T/sipd.log" || fail "the INVITE did not go over TCP"
grep -q "Via: SIP/2.0/TCP 127.0.0.1:$SIP_PORT" "$T/sipd.log" ||
	fail "no TCP Via"
grep -q "Contact: <sip:[^>]*;transport=tcp>" "$T/sipd.log" ||
	fail "the Contact does not say transport=tcp"
bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C1\"}" >/dev/null ||
	fail "hangup was refused"
ev=$(wait_event 15 ".type==\"call_ended\" and .call_id==\"$C1\"") ||
	fail "no call_ended after hangup"
[ "$(echo "$ev" | jq -r .data.reason)" = bye ] || fail "call_ended: $ev"
wait_sipp "$SIPP1" sipp1
# One connection carried the whole call.
[ "$(grep -c "stream: TCP connection to 127.0.0.1:$UAS is up" "$T/sipd.log")" = 1 ] ||
	fail "not exactly one connection to sipp"

# --- 2. an INVITE too large for UDP goes over TCP ---------------------------
UAS2=$(free_port)
sipp -sn uas -t t1 -i 127.0.0.1 -p "$UAS2" -m 1 -nostdin -timeout 30s \
	-trace_err -error_file "$T/sipp2.err" >"$T/sipp2.log" 2>&1 &
SIPP2=$!
PIDS="$PIDS $SIPP2"
wait_tcp "$UAS2" || fail "sipp 2 does not listen on TCP"
LONG=$(python3 -c 'print("a" * 460)')
C2=22222222-2222-4222-8222-222222222222
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C2\",\"leg\":\"company\",\"uri\":\"sip:$LONG@127.0.0.1:$UAS2\"}" ||
	fail "dial 2 was refused"
wait_event 15 ".type==\"call_connected\" and .call_id==\"$C2\"" >/dev/null ||
	fail "no call_connected for the large INVITE"
grep -q "it goes over TCP (RFC 3261 18.1.1)" "$T/sipd.log" ||
	fail "no line saying the INVITE went over TCP"
bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C2\"}" >/dev/null ||
	fail "hangup 2 was refused"
wait_event 15 ".type==\"call_ended\" and .call_id==\"$C2\"" >/dev/null ||
	fail "no call_ended for the large INVITE's call"
wait_sipp "$SIPP2" sipp2

# --- 3. OPTIONS in over TCP: the answer on the same connection; ping/pong;
#        garbage closes the connection ----------------------------------------
OUT=$(python3 - "$SIP_PORT" <<'EOF'
import socket, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), 5)
s.settimeout(10)
me = s.getsockname()[1]
m = (f"OPTIONS sip:holdslayer@127.0.0.1:{port};transport=tcp SIP/2.0\r\n"
     f"Via: SIP/2.0/TCP 127.0.0.1:{me};branch=z9hG4bKtcpopt1\r\n"
     f"Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=99\r\n"
     f"To: <sip:holdslayer@127.0.0.1>\r\nCall-ID: tcp-options-1@t\r\n"
     f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
# In two pieces: the stream is split by Content-Length, not by read.
s.sendall(m[:50].encode())
s.sendall(m[50:].encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
first = buf.split(b"\r\n")[0].decode()
# A request check.c refuses is answered on the connection too.
bad = m.replace("SIP/2.0\r\n", "SIP/7.0\r\n", 1).replace("tcpopt1", "tcpopt2")
s.sendall(bad.encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
first += " / " + buf.split(b"\r\n")[0].decode()
s.sendall(b"\r\n\r\n")
pong = s.recv(16)
s.sendall(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1\r\n\r\n")
s.settimeout(10)
try:
    closed = s.recv(16) == b""
except ConnectionResetError:
    closed = True
print(first, "|", repr(pong), "|", "closed" if closed else "open")
EOF
) || fail "no answer over TCP"
echo "tcp: $OUT"
case "$OUT" in
"SIP/2.0 200 OK / SIP/2.0 505 "*" | b'\\r\\n' | closed") ;;
*) fail "unexpected TCP answers: $OUT" ;;
esac
grep -q "sent a message without Content-Length (RFC 3261 18.3); closing" \
	"$T/sipd.log" || fail "no line about the message without Content-Length"

# --- 4. sips: is never downgraded ------------------------------------------------
UAS3=$(free_port)
python3 - "$UAS3" >"$T/udp3.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(8)
try:
    d, a = s.recvfrom(65535)
    print("GOT", len(d))
except socket.timeout:
    print("NOTHING")
EOF
LIS=$!
PIDS="$PIDS $LIS"
C3=33333333-3333-4333-8333-333333333333
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C3\",\"leg\":\"company\",\"uri\":\"sips:secure@127.0.0.1:$UAS3\"}" >/dev/null ||
	fail "dial 3 was refused"
ev=$(wait_event 15 ".type==\"call_failed\" and .call_id==\"$C3\"") ||
	fail "no call_failed for a sips: URI"
echo "$ev" | jq -e '.data.reason | test("TLS")' >/dev/null ||
	fail "the sips: failure does not say why: $ev"
wait "$LIS"
[ "$(cat "$T/udp3.out")" = NOTHING ] ||
	fail "something was sent over UDP for a sips: URI: $(cat "$T/udp3.out")"

bus_req sipd '{"cmd":"ping"}' >/dev/null || fail "sipd is gone"

# --- 5. a taken TCP port refuses the start ----------------------------------
P=$(free_port) || fail "no free port"
python3 - "$P" >"$T/hold.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
print("ready", flush=True)
time.sleep(60)
EOF
HOLD=$!
PIDS="$PIDS $HOLD"
i=0
until grep -q ready "$T/hold.out"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the port holder did not start"
	sleep 0.1
done
mkdir -p "$T/run2"
sed -e "s|^rundir = .*|rundir = $T/run2|" \
	-e "s|^listen = .*|listen = 127.0.0.1:$P|" "$CONF" >"$T/second.conf"
"$HS_BUILD/sipd" -f "$T/second.conf" >"$T/second.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "sipd runs with its TCP port taken"
	sleep 0.1
done
wait "$pid" && fail "sipd exited 0 with its TCP port taken"
grep -q "cannot bind TCP 127.0.0.1 port $P: Address already in use" \
	"$T/second.log" || fail "no error naming the TCP port: $(cat "$T/second.log")"

echo "sipd: calls over TCP, a large INVITE over TCP, TCP OPTIONS, ping, garbage, sips: refusal and a taken TCP port all handled"
