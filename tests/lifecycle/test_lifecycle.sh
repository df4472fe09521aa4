#!/bin/sh
# The daemon lifecycle every daemon shares (common/daemon.c), checked on
# each daemon: READY=1 and WATCHDOG=1 reach a real NOTIFY_SOCKET; SIGHUP
# with a broken file keeps the old configuration and says why; SIGHUP with
# a good file reloads; SIGTERM sends STOPPING=1 and exits 0.
. "$(dirname "$0")/../lib.sh"

loopback_conf
cp "$T/hs.conf" "$T/good.conf"

cat >"$T/notify.py" <<'PY'
import socket, sys, os
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, 'a', buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace('\n', ' ') + '\n')
PY

for d in sipd mediad classifyd ivrd apid notifyd; do
	[ -x "$HS_BUILD/$d" ] || fail "$d not built"
	sock=$T/notify-$d.sock
	start "n_$d" python3 "$T/notify.py" "$sock" "$T/notify-$d.txt"
	wait_for 5 test -S "$sock" || fail "notify socket not created"
	cp "$T/good.conf" "$T/hs.conf"
	NOTIFY_SOCKET=$sock WATCHDOG_USEC=400000 "$HS_BUILD/$d" -f "$T/hs.conf" >"$T/$d.log" 2>&1 &
	pid=$!
	HS_PIDS="$HS_PIDS $pid"
	wait_for 10 grep -q READY=1 "$T/notify-$d.txt" || fail "$d: no READY=1 ($(tail -n 3 "$T/$d.log"))"
	wait_for 5 grep -q WATCHDOG=1 "$T/notify-$d.txt" || fail "$d: no WATCHDOG=1 with WATCHDOG_USEC set"
	printf '[general]\nno_such_key = 1\n' >"$T/hs.conf"
	kill -HUP "$pid"
	wait_for 5 grep -q "keeping the old configuration" "$T/$d.log" || fail "$d: bad reload not reported"
	grep -q "no_such_key: unknown key" "$T/$d.log" || fail "$d: bad reload does not name the key"
	kill -0 "$pid" || fail "$d died on a bad reload"
	"$HS_BUILD/hsbus" -f "$T/good.conf" req "$d" '{"cmd":"ping"}' >/dev/null || fail "$d stopped answering after a bad reload"
	cp "$T/good.conf" "$T/hs.conf"
	kill -HUP "$pid"
	wait_for 5 grep -q "reloaded" "$T/$d.log" || fail "$d: good reload not logged"
	kill -TERM "$pid"
	wait "$pid"; rc=$?
	[ $rc -eq 0 ] || fail "$d exited $rc on SIGTERM: $(tail -n 3 "$T/$d.log")"
	grep -q STOPPING=1 "$T/notify-$d.txt" || fail "$d: no STOPPING=1"
	grep -q '^<[0-7]>' "$T/$d.log" || fail "$d: log lines lack sd-daemon priority prefixes"
	ok "$d: READY, WATCHDOG, reload (bad kept, good applied), STOPPING, exit 0"
done
