#!/bin/sh
# A second sipd whose SIP address and port are taken must refuse to start:
# an error naming the address and port, a non-zero exit, and the first
# sipd still answering.  (It has a bus of its own, so only the SIP port
# can stop it; the same configuration on a free port starts.)
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need python3 "python3 not installed"

write_conf
start sipd
mkdir -p "$T/run2"
sed "s|^rundir = .*|rundir = $T/run2|" "$CONF" >"$T/second.conf"

# wait_exit PID SECONDS: waits for PID to end; its status in $rc.
wait_exit() {
	end=$(($(date +%s) + $2))
	while kill -0 "$1" 2>/dev/null; do
		[ "$(date +%s)" -le "$end" ] || return 1
		sleep 0.1
	done
	wait "$1"
	rc=$?
}

"$HS_BUILD/sipd" -f "$T/second.conf" >"$T/second.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
wait_exit "$pid" 20 || fail "the second sipd is still running on a taken port"
[ "$rc" -ne 0 ] || fail "the second sipd exited 0"
cat "$T/second.log"
grep -q "cannot bind UDP 127.0.0.1 port $SIP_PORT: Address already in use" \
	"$T/second.log" || fail "no error naming 127.0.0.1 port $SIP_PORT"
python3 "$HS_TOP/tests/sip/torture.py" route "$SIP_PORT" >/dev/null ||
	fail "the first sipd no longer answers OPTIONS"

# The control: the same configuration on a free port starts.
port2=$(free_port) || fail "no free port"
sed "s|^listen = .*|listen = 127.0.0.1:$port2|" "$T/second.conf" \
	>"$T/third.conf"
"$HS_BUILD/sipd" -v -f "$T/third.conf" >"$T/third.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
i=0
while ! grep -q "listening on UDP 127.0.0.1 port $port2" "$T/third.log"; do
	kill -0 "$pid" 2>/dev/null || fail "sipd on a free port did not start"
	i=$((i + 1))
	[ $i -lt 200 ] || fail "sipd on a free port did not start in time"
	sleep 0.1
done
echo "a second sipd on a taken port fails with rc $rc and says why"
