# Shared helpers for the integration tests (sourced by tests/*/test_*.sh).
# Everything runs on loopback in a fresh temporary directory that is removed,
# with every process the test started, when the test exits.

HS_TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
HS_BUILD=${HS_BUILD:-$HS_TOP/build}
T=$(mktemp -d /tmp/hstest.XXXXXX)
HS_PIDS=""

hs_cleanup() {
	for p in $HS_PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in $HS_PIDS; do kill -KILL "$p" 2>/dev/null; done
	if [ -n "${HS_KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap hs_cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "skip: $*"; exit 77; }
ok() { echo "ok: $*"; }

# A free TCP/UDP port on 127.0.0.1 (free for both protocols when asked).
free_port() {
	python3 - "$@" <<'PY'
import socket, sys, random
udp = 'udp' in sys.argv[1:]
for _ in range(200):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(('127.0.0.1', p)); u.close()
    except OSError:
        s.close(); continue
    s.close(); print(p); break
PY
}

# An even port P with P..P+span free for UDP (an RTP range).
free_rtp_base() {
	python3 - "${1:-40}" <<'PY'
import socket, random, sys
span = int(sys.argv[1])
for _ in range(500):
    base = random.randrange(20000, 60000 - span) & ~1
    socks = []
    try:
        for p in range(base, base + span):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(('127.0.0.1', p)); socks.append(u)
    except OSError:
        for u in socks: u.close()
        continue
    for u in socks: u.close()
    print(base); break
PY
}

# Starts a program in the background, logging to $T/NAME.log.
start() { # name cmd...
	name=$1; shift
	"$@" >"$T/$name.log" 2>&1 &
	HS_PIDS="$HS_PIDS $!"
	eval "PID_$name=$!"
}

# wait_for SECONDS CMD...: retries CMD every 0.1 s until it succeeds.
wait_for() {
	secs=$1; shift
	n=$(( secs * 10 ))
	while [ "$n" -gt 0 ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1; n=$((n - 1))
	done
	return 1
}

hsbus() { "$HS_BUILD/hsbus" -f "$T/hs.conf" "$@"; }

# Waits until DAEMON answers ping.
wait_daemon() { wait_for "${2:-10}" hsbus -w 0.5 req "$1" '{"cmd":"ping"}'; }

# wait_apid_subscribed PORT [SECS]: waits until apid listening on
# 127.0.0.1:PORT reports (GET /api/health "subscribed") its connection to
# every daemon's PUB socket up.  ZeroMQ drops what a daemon publishes before
# that, so a call placed earlier can miss events from its record.
wait_apid_subscribed() {
	wait_for "${2:-10}" sh -c "curl -sf 'http://127.0.0.1:$1/api/health' |
		jq -e '(.subscribed | length) > 0 and all(.subscribed[]; . == true)'"
}

# api_token_setup: makes the token apid will use ($T/data/api.token, its
# [api] token_file by default) and has curl ($CURL_HOME/.curlrc), wsclient
# ($HS_API_TOKEN) and holdctl ($HOLDSLAYER_CONF) send it.
api_token_setup() {
	mkdir -p "$T/data"
	if [ ! -s "$T/data/api.token" ]; then
		(umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$T/data/api.token")
	fi
	HS_API_TOKEN=$(cat "$T/data/api.token")
	printf 'header = "Authorization: Bearer %s"\n' "$HS_API_TOKEN" >"$T/.curlrc"
	CURL_HOME=$T
	HOLDSLAYER_CONF=$T/hs.conf
	export HS_API_TOKEN CURL_HOME HOLDSLAYER_CONF
}

# Writes $T/hs.conf with a private rundir and datadir plus the given lines.
write_conf() {
	mkdir -p "$T/run" "$T/data"
	api_token_setup
	{
		echo "[general]"
		echo "rundir = $T/run"
		echo "datadir = $T/data"
		echo "flowsdir = ${HS_FLOWSDIR:-$HS_TOP/flows}"
		cat
	} >"$T/hs.conf"
}

# loopback_conf [LINE...]: picks free ports (sets SIP, API and RTP, the base
# of a 20-port RTP range) and writes $T/hs.conf (write_conf) with the LINEs
# in [general], then sipd, mediad and apid on 127.0.0.1.
loopback_conf() {
	SIP=$(free_port); API=$(free_port); RTP=$(free_rtp_base 20)
	{
		for l in "$@"; do echo "$l"; done
		echo "[sip]"
		echo "listen = 127.0.0.1:$SIP"
		echo "[media]"
		echo "rtp_port_min = $RTP"
		echo "rtp_port_max = $((RTP + 18))"
		echo "[api]"
		echo "listen = 127.0.0.1:$API"
	} | write_conf
	api_token_setup # write_conf ran in a subshell: export here
}

shared_dir() {
	for d in "$HS_TOP/../shared" "${HS_SHARED:-}"; do
		[ -n "$d" ] && [ -d "$d" ] && { (cd "$d" && pwd); return 0; }
	done
	return 1
}
