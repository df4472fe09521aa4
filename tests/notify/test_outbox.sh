#!/bin/sh
# The outbox: 50 notifications queued against a webhook receiver that is
# down survive a kill -9 of notifyd; after a restart and the receiver coming
# up, all 50 arrive, none twice (each under its own Idempotency-Key).  The
# outbox file is mode 0600 and in WAL mode.
. "$(dirname "$0")/../lib.sh"

HPORT=$(free_port)
cat >"$T/recv.py" <<'PY'
import http.server, sys, json
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(out, 'a') as f:
            f.write(json.dumps({'key': self.headers.get('Idempotency-Key'),
                                'id': json.loads(body)['id'],
                                'seq': json.loads(body)['seq']}) + '\n')
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()
PY
write_conf <<EOF
[notify]
webhook_url = http://127.0.0.1:$HPORT/hook
webhook_timeout_ms = 1000
retry_min_ms = 200
retry_max_ms = 1000
outbox = $T/data/outbox.db
EOF
start notifyd "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not answer ping"

pending() {
	hsbus req notifyd '{"cmd":"status"}' | jq -r .pending
}
# waits until notifyd's outbox holds N pending rows
pending_is() { [ "$(pending)" = "$1" ]; }

hsbus -n 50 pub classifyd human_detected call-1 '{"confidence":0.95}' ||
	fail "publishing failed"
wait_for 20 pending_is 50 || fail "expected 50 pending, got $(pending)"
[ "$(stat -c %a "$T/data/outbox.db")" = 600 ] ||
	fail "outbox mode is $(stat -c %a "$T/data/outbox.db"), not 600"
[ "$(sqlite3 "$T/data/outbox.db" 'PRAGMA journal_mode')" = wal ] ||
	fail "outbox is not in WAL mode"
# Let every row fail at least once against the dead receiver.
tried_all() { [ "$(grep -c 'failed (' "$T/notifyd.log")" -ge 50 ]; }
wait_for 20 tried_all ||
	fail "notifyd did not try the dead receiver: $(tail -5 "$T/notifyd.log")"
ok "50 notifications queued against a dead receiver"

kill -KILL "$PID_notifyd"
wait "$PID_notifyd" 2>/dev/null
[ "$(sqlite3 "$T/data/outbox.db" 'SELECT count(*) FROM outbox WHERE state = 0')" = 50 ] ||
	fail "the outbox lost rows in the kill -9"
start notifyd2 "$HS_BUILD/notifyd" -f "$T/hs.conf"
wait_daemon notifyd || fail "notifyd did not come back"
grep -q "50 pending" "$T/notifyd2.log" || fail "restart did not find 50 pending: $(cat "$T/notifyd2.log")"
start recv python3 "$T/recv.py" "$HPORT" "$T/posts.jsonl"
wait_for 60 pending_is 0 || fail "still pending after the receiver came up: $(pending)"
wait_for 10 sh -c "hsbus req notifyd '{\"cmd\":\"status\"}' | jq -e '.in_flight == 0'" ||
	fail "sends still in flight"
n=$(wc -l <"$T/posts.jsonl")
keys=$(jq -r .key "$T/posts.jsonl" | sort -u | wc -l)
ids=$(jq -r .id "$T/posts.jsonl" | sort -u | wc -l)
seqs=$(jq -r .seq "$T/posts.jsonl" | sort -u | wc -l)
[ "$n" -eq 50 ] || fail "$n POSTs arrived, expected 50"
[ "$keys" -eq 50 ] && [ "$ids" -eq 50 ] && [ "$seqs" -eq 50 ] ||
	fail "duplicates: $keys keys, $ids ids, $seqs events in $n POSTs"
ok "after kill -9 and restart all 50 arrived, none twice"
