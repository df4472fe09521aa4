# Helpers for the sipd integration tests (sourced, not run): a temp dir
# with a config on free loopback ports, starting daemons, waiting for bus
# events.  Needs HS_TOP and HS_BUILD (tests/run.sh exports them).

: "${HS_BUILD:?HS_BUILD is not set (run through tests/run.sh)}"
: "${HS_TOP:?HS_TOP is not set (run through tests/run.sh)}"

T=$(mktemp -d)
PIDS=""

sip_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap sip_cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f"; tail -n 30 "$f"
	done
	exit 1
}

need() { # file-or-command, what
	if [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; then return 0; fi
	echo "$2"
	exit 77
}

# A free UDP port on 127.0.0.1 (or the first of N consecutive ones).
free_port() {
	python3 - "${1:-1}" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(500):
    base = random.randrange(20000, 60000 - n) & ~1
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", p))
            socks.append(s)
        print(base)
        sys.exit(0)
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
sys.exit(1)
EOF
}

# Writes $T/holdslayer.conf with sipd on a free port.  Extra lines for the
# [sip] section may be given as arguments.
write_conf() {
	SIP_PORT=$(free_port) || fail "no free port"
	RTP_MIN=$(free_port 40) || fail "no free RTP range"
	mkdir -p "$T/run" "$T/data"
	{
		echo "[general]"
		echo "rundir = $T/run"
		echo "datadir = $T/data"
		echo "ctl_timeout_ms = 1000"
		echo "[sip]"
		echo "listen = 127.0.0.1:$SIP_PORT"
		for l in "$@"; do echo "$l"; done
		echo "[media]"
		echo "rtp_addr = 127.0.0.1"
		echo "rtp_port_min = $RTP_MIN"
		echo "rtp_port_max = $((RTP_MIN + 39))"
	} >"$T/holdslayer.conf"
	CONF=$T/holdslayer.conf
}

# start NAME: runs $HS_BUILD/NAME -v -f $CONF in the background and waits
# until it answers ping.
start() {
	"$HS_BUILD/$1" -v -f "$CONF" >"$T/$1.log" 2>&1 &
	PIDS="$PIDS $!"
	eval "PID_$1=$!"
	i=0
	while ! "$HS_BUILD/hsbus" -f "$CONF" -w 0.3 req "$1" '{"cmd":"ping"}' \
		>/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 30 ] || fail "$1 does not answer ping"
	done
}

# bus_req DAEMON JSON: prints the reply; returns hsbus's exit status.
bus_req() {
	"$HS_BUILD/hsbus" -f "$CONF" -w 3 req "$1" "$2"
}

# Subscribes to sipd's events into $T/events.jsonl.
subscribe() {
	"$HS_BUILD/hsbus" -f "$CONF" sub sipd >"$T/events.jsonl" 2>"$T/sub.log" &
	PIDS="$PIDS $!"
	sleep 0.5 # let the SUB socket connect before anything is published
}

# wait_event SECONDS JQ-FILTER: waits until a line of $T/events.jsonl
# matches the filter; prints it.
wait_event() {
	end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -le "$end" ]; do
		m=$(jq -c "select($2)" "$T/events.jsonl" 2>/dev/null | head -n 1)
		if [ -n "$m" ]; then
			echo "$m"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# send_udp PORT FILE-OR-STRING...: sends each argument (a file's bytes if
# it names a file) as one datagram to 127.0.0.1:PORT.
send_udp() {
	python3 - "$@" <<'EOF'
import os, socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for a in sys.argv[2:]:
    data = open(a, "rb").read() if os.path.isfile(a) else a.encode()
    s.sendto(data, ("127.0.0.1", port))
EOF
}
