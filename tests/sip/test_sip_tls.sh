#!/bin/sh
# sipd over TLS (RFC 3261 26.2): a sips: call to a sipp UAS behind stunnel
# whose certificate a test CA signed (verified against [sip] tls_ca_file,
# for the name dialled); a sips: URI to a server whose certificate that CA
# did not sign fails with the reason, and nothing goes over UDP instead;
# OPTIONS over sipd's own TLS listener ([sip] tls_listen) is answered; a
# [trunk] over TLS with tls_fingerprint accepts that certificate without a
# CA; a taken tls_listen port refuses the start.
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need "$HS_BUILD/mediad" "mediad not built"
need sipp "sipp not installed"
need stunnel4 "stunnel4 not installed"
need openssl "openssl not installed"
need jq "jq not installed"
need python3 "python3 not installed"

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

# --- certificates: a test CA, a server certificate it signs for localhost
#     and 127.0.0.1, and a self-signed impostor for the same names ---------
cd "$T" || fail "no temp dir"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/san.ext"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem \
	-days 2 -subj "/CN=Hold Slayer test CA" >"$T/openssl.log" 2>&1 ||
	fail "cannot make the test CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key -out srv.csr \
	-subj "/CN=localhost" >>"$T/openssl.log" 2>&1 &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
		-CAcreateserial -out srv.pem -days 2 -extfile san.ext \
		>>"$T/openssl.log" 2>&1 || fail "cannot make the server certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout bad.key -out bad.pem \
	-days 2 -subj "/CN=localhost" -addext \
	"subjectAltName=DNS:localhost,IP:127.0.0.1" >>"$T/openssl.log" 2>&1 ||
	fail "cannot make the impostor certificate"

SIPS_PORT=$(free_port) || fail "no free port"
write_conf "invite_timeout_s = 20" "tls_listen = 127.0.0.1:$SIPS_PORT" \
	"tls_cert = $T/srv.pem" "tls_key = $T/srv.key" "tls_ca_file = $T/ca.pem"
PIN=$(free_port) || fail "no free port"
FP=$(openssl x509 -in "$T/bad.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
[ ${#FP} = 95 ] || fail "cannot read the impostor's fingerprint: $FP"
{
	echo "[trunk]"
	echo "proxy = sip:localhost:$PIN"
	echo "transport = tls"
	echo "tls_fingerprint = $FP"
	echo "keepalive_s = 0"
} >>"$CONF"
start mediad
start sipd
subscribe
grep -q "listening on TLS 127.0.0.1 port $SIPS_PORT" "$T/sipd.log" ||
	fail "sipd does not listen on TLS"

# --- 1. a sips: call, verified against the test CA ---------------------------
UAS=$(free_port) || fail "no free port"
TLSP=$(free_port) || fail "no free port"
sipp -sf "$HS_TOP/tests/sip/uas_tls.xml" -t t1 -i 127.0.0.1 -p "$UAS" \
	-key tlsport "$TLSP" -m 1 -nostdin -timeout 30s -trace_err \
	-error_file "$T/sipp1.err" >"$T/sipp1.log" 2>&1 &
SIPP1=$!
PIDS="$PIDS $SIPP1"
cat >"$T/stunnel.conf" <<EOF
foreground = yes
pid =
[sip]
accept = 127.0.0.1:$TLSP
connect = 127.0.0.1:$UAS
cert = $T/srv.pem
key = $T/srv.key
EOF
stunnel4 "$T/stunnel.conf" >"$T/stunnel.log" 2>&1 &
PIDS="$PIDS $!"
wait_tcp "$UAS" || fail "sipp does not listen on TCP"
wait_tcp "$TLSP" || fail "stunnel does not listen"
C1=11111111-1111-4111-8111-111111111111
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C1\",\"leg\":\"company\",\"uri\":\"sips:tls@localhost:$TLSP\"}" ||
	fail "dial was refused"
wait_event 20 ".type==\"call_connected\" and .call_id==\"$C1\"" >/dev/null ||
	fail "no call_connected over TLS"
grep -q "TLS connection to 127.0.0.1:$TLSP is up (TLSv1\.[23], certificate verified)" \
	"$T/sipd.log" || fail "no verified TLS connection in the log"
grep -q "Via: SIP/2.0/TLS 127.0.0.1:$SIPS_PORT" "$T/sipd.log" || fail "no TLS Via"
grep -q "Contact: <sips:holdslayer@127.0.0.1:$SIPS_PORT>" "$T/sipd.log" ||
	fail "no sips: Contact"
bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C1\"}" >/dev/null ||
	fail "hangup was refused"
ev=$(wait_event 20 ".type==\"call_ended\" and .call_id==\"$C1\"") ||
	fail "no call_ended after hangup"
[ "$(echo "$ev" | jq -r .data.reason)" = bye ] || fail "call_ended: $ev"
i=0
while kill -0 "$SIPP1" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "sipp did not finish the call"
	sleep 0.1
done
wait "$SIPP1" || fail "sipp reports a failed call: $(tail -n 5 "$T/sipp1.err" 2>/dev/null)"

# --- 2. an impostor certificate: the call fails, nothing over UDP ------------
BAD=$(free_port) || fail "no free port"
openssl s_server -accept "127.0.0.1:$BAD" -cert "$T/bad.pem" \
	-key "$T/bad.key" -quiet >"$T/s_server.log" 2>&1 &
PIDS="$PIDS $!"
python3 - "$BAD" >"$T/udp.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(15)
try:
    d, a = s.recvfrom(65535)
    print("GOT", len(d))
except socket.timeout:
    print("NOTHING")
EOF
LIS=$!
PIDS="$PIDS $LIS"
wait_tcp "$BAD" || fail "openssl s_server does not listen"
C2=22222222-2222-4222-8222-222222222222
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C2\",\"leg\":\"company\",\"uri\":\"sips:bad@localhost:$BAD\"}" >/dev/null ||
	fail "dial 2 was refused"
ev=$(wait_event 20 ".type==\"call_failed\" and .call_id==\"$C2\"") ||
	fail "no call_failed for the impostor"
echo "impostor: $ev"
echo "$ev" | jq -e '.data.reason | test("certificate verify failed")' >/dev/null ||
	fail "the failure does not say the certificate was refused: $ev"
wait "$LIS"
[ "$(cat "$T/udp.out")" = NOTHING ] ||
	fail "something went over UDP for a sips: URI: $(cat "$T/udp.out")"

# --- 3. OPTIONS in over sipd's own TLS listener --------------------------------
OUT=$(python3 - "$SIPS_PORT" "$T/ca.pem" <<'EOF'
import socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 5),
                    server_hostname="localhost")
s.settimeout(10)
me = s.getsockname()[1]
m = (f"OPTIONS sips:holdslayer@127.0.0.1:{port} SIP/2.0\r\n"
     f"Via: SIP/2.0/TLS 127.0.0.1:{me};branch=z9hG4bKtlsopt1\r\n"
     f"Max-Forwards: 70\r\nFrom: <sips:t@127.0.0.1>;tag=99\r\n"
     f"To: <sips:holdslayer@127.0.0.1>\r\nCall-ID: tls-options-1@t\r\n"
     f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
s.sendall(m.encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
print(buf.split(b"\r\n")[0].decode())
EOF
) || fail "no answer over TLS"
[ "$OUT" = "SIP/2.0 200 OK" ] || fail "unexpected answer over TLS: $OUT"

bus_req sipd '{"cmd":"ping"}' >/dev/null || fail "sipd is gone"

# --- 4. the trunk over TLS, its self-signed certificate pinned ---------------
openssl s_server -accept "127.0.0.1:$PIN" -cert "$T/bad.pem" \
	-key "$T/bad.key" -quiet >"$T/s_server_pin.log" 2>&1 &
PIDS="$PIDS $!"
wait_tcp "$PIN" || fail "openssl s_server (pinned) does not listen"
C4=44444444-4444-4444-8444-444444444444
bus_req sipd "{\"cmd\":\"dial\",\"call_id\":\"$C4\",\"leg\":\"company\",\"uri\":\"+15551234567\"}" >/dev/null ||
	fail "dial 4 was refused"
i=0
until grep -q "TLS connection to 127.0.0.1:$PIN is up (TLSv1\.[23], fingerprint matched)" "$T/sipd.log"; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "the pinned trunk connection did not come up"
	sleep 0.1
done
grep -q "INVITE sip:+15551234567@localhost:$PIN to 127.0.0.1:$PIN over TLS" \
	"$T/sipd.log" || fail "the trunk call did not go over TLS"
bus_req sipd "{\"cmd\":\"hangup\",\"call_id\":\"$C4\"}" >/dev/null ||
	fail "hangup 4 was refused"

# --- 5. a taken tls_listen port refuses the start -------------------------------
mkdir -p "$T/run2"
P2=$(free_port) || fail "no free port"
sed -e "s|^rundir = .*|rundir = $T/run2|" \
	-e "s|^listen = .*|listen = 127.0.0.1:$P2|" "$CONF" >"$T/second.conf"
"$HS_BUILD/sipd" -f "$T/second.conf" >"$T/second.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "sipd runs with its TLS port taken"
	sleep 0.1
done
wait "$pid" && fail "sipd exited 0 with its TLS port taken"
grep -q "cannot bind TLS 127.0.0.1 port $SIPS_PORT: Address already in use" \
	"$T/second.log" || fail "no error naming the TLS port: $(cat "$T/second.log")"

echo "sipd: a verified sips: call, an impostor refused without downgrade, TLS OPTIONS and a taken TLS port all handled"
