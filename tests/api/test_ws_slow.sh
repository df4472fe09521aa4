#!/bin/sh
# A WebSocket client that connects and then never reads must not hold up
# apid: with ~20 MB of events queued behind it, another client still gets
# each new event at once and the REST API still answers.
. "$(dirname "$0")/../lib.sh"
[ -x "$HS_BUILD/wsclient" ] || skip "wsclient is not built"
PORT=$(free_port)
API=http://127.0.0.1:$PORT
write_conf <<EOF
[api]
listen = 127.0.0.1:$PORT
EOF
start apid "$HS_BUILD/apid" -f "$T/hs.conf"
wait_for 10 curl -sf "$API/api/calls" || fail "apid did not answer"

# The stalled client: a real upgrade handshake, then it never reads again.
cat >"$T/stall.py" <<'PY'
import socket, sys, time, base64, os
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(('GET /ws/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'
           'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
           'Authorization: Bearer %s\r\n'
           'Sec-WebSocket-Version: 13\r\n\r\n' % (key, os.environ['HS_API_TOKEN'])).encode())
resp = s.recv(1024)
print(resp.split(b'\r\n')[0].decode(), flush=True)
time.sleep(120)
PY
start stall python3 "$T/stall.py" "$PORT"
wait_for 5 grep -q "101" "$T/stall.log" || fail "stalled client did not upgrade: $(cat "$T/stall.log")"

pad=$(head -c 9000 /dev/zero | tr '\0' x)
hsbus -n 2300 pub classifyd transcript_chunk flood "{\"text\":\"$pad\",\"speaker\":\"company\",\"is_final\":true}" ||
	fail "flood publish failed"
"$HS_BUILD/wsclient" -n 1 -t 20 127.0.0.1 "$PORT" "/ws/events?types=call_started" \
	>"$T/ws.out" 2>"$T/ws.err" &
WS=$!
HS_PIDS="$HS_PIDS $WS"
wait_for 5 grep -q connected "$T/ws.err" || fail "second client did not connect"
t0=$(date +%s)
hsbus pub ivrd call_started call-after-flood '{"number":"1","mode":"direct"}'
wait "$WS" || fail "the second client never got call_started: $(cat "$T/ws.err")"
secs=$(( $(date +%s) - t0 ))
jq -e '.call_id == "call-after-flood"' "$T/ws.out" >/dev/null || fail "wrong event: $(cat "$T/ws.out")"
curl -sf -m 5 "$API/api/calls/call-after-flood" >/dev/null || fail "REST API did not answer after the flood"
kill -0 "$PID_apid" || fail "apid died"
ok "a stalled WebSocket client did not hold up others (${secs} s for the next event)"
[ "$secs" -lt 15 ] || fail "the next event took $secs s"
