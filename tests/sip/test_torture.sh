#!/bin/sh
# The RFC 4475 torture messages (../shared/sip-torture/*.dat) sent to sipd
# one by one over UDP, each answered exactly as tests/sip/torture-expected.tsv
# says (a status code, or no response at all, proven by an OPTIONS round
# trip afterwards); the top Via's sent-by of each is pointed at the test's
# socket (see torture.py).  Then: responses go where RFC 3261 18.2.2 and
# RFC 3581 send them, a request over the parser limit gets 513, and a
# retransmitted request is answered again by its transaction, not
# processed twice.
set -u
. "$(dirname "$0")/lib.sh"

DIR=$HS_TOP/../shared/sip-torture
[ -d "$DIR" ] || { echo "no torture messages in $DIR"; exit 77; }
need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need python3 "python3 not installed"
PY="python3 $HS_TOP/tests/sip/torture.py"

write_conf
start sipd
$PY table "$SIP_PORT" "$DIR" "$HS_TOP/tests/sip/torture-expected.tsv" \
	>"$T/table.out" 2>&1
rc=$?
cat "$T/table.out"
[ $rc -eq 0 ] || fail "torture messages not answered as the table says"
grep -q "^49 of 49 " "$T/table.out" || fail "not all 49 messages were run"
$PY route "$SIP_PORT" || fail "responses not routed per RFC 3261 18.2.2"
$PY size "$SIP_PORT" || fail "no 513 for a message over the parser limit"

# Retransmissions: the same OPTIONS and the same INVITE twice each; two
# identical answers (200, 403), and one "server:" line each in the log.
python3 - "$SIP_PORT" >"$T/retrans.out" <<'PYEOF' || fail "retransmission: $(cat "$T/retrans.out")"
import socket, sys
port = int(sys.argv[1])
for method, code in (("OPTIONS", b"200"), ("INVITE", b"403")):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(10)
    msg = ("%s sip:sipd@127.0.0.1 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:%d;rport;branch=z9hG4bKre%s\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=r1\r\n"
           "To: <sip:sipd@127.0.0.1>\r\nCall-ID: retrans-%s\r\n"
           "CSeq: 7 %s\r\nContent-Length: 0\r\n\r\n"
           % (method, s.getsockname()[1], method, method, method))
    got = []
    for _ in range(2):
        s.sendto(msg.encode(), ("127.0.0.1", port))
        got.append(s.recv(65536))
    if not all(g.startswith(b"SIP/2.0 " + code + b" ") for g in got) \
            or got[0] != got[1]:
        print("two different answers:", got)
        sys.exit(1)
PYEOF
for m in OPTIONS INVITE; do
	n=$(grep -c "server: $m from .*(Call-ID retrans-$m)" "$T/sipd.log")
	[ "$n" -eq 1 ] || fail "a retransmitted $m was processed $n times"
done
kill -0 "$PID_sipd" || fail "sipd exited"
echo "all 49 torture messages answered as RFC 4475 says"
