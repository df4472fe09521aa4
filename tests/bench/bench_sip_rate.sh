#!/bin/sh
# Call setup rate of sipd with the real mediad, against `sipp -sn uas` on
# loopback: for each rate (calls/s) of RATES, tests/tools/hsdial places
# calls through sipd's control socket for SECS seconds, each hung up HOLD
# seconds after call_connected, and the line printed says: calls set up
# per second, failures by kind (a refused dial is "dial: refused
# (overloaded)"), p50/p95 setup time (dial to call_connected), sipd's
# loop_max_gap_ms (its longest loop turn), sipd's CPU per call and
# mediad's per leg (each over the whole run, the legs' RTP included), sipd's
# idle RSS and its RSS per established dialog at the peak.  Then the same
# rate between two sipps (sipp -sn uac against sipp -sn uas, setup time =
# INVITE to 200) as the baseline of what loopback and sipp manage.
# Usage: bench_sip_rate.sh [BUILD]; RATES="100 200 300 400" SECS=30 HOLD=2
# RECORD=no (mediad's [media] record); PERF_DIR=dir records a perf profile
# of sipd and mediad per rate there; KEEP=1 keeps the logs.
# "no answer within the run" counts dials with neither call_connected nor
# call_failed 10 s after the last hangup was due (the far end had not
# answered the INVITE, which osip goes on retransmitting for 32 s); "not
# ended within the run" calls set up but not yet ended then.
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${1:-${HS_BUILD:-$TOP/build}}
RATES=${RATES:-100 200 300 400}
SECS=${SECS:-30}
HOLD=${HOLD:-2}
RECORD=${RECORD:-no}

for p in sipd mediad hsbus hsdial; do
	if [ ! -x "$BUILD/$p" ]; then
		echo "bench_sip_rate: skipped (no $BUILD/$p)"
		exit 0
	fi
done
for c in sipp jq python3; do
	if ! command -v $c >/dev/null 2>&1; then
		echo "bench_sip_rate: skipped ($c not installed)"
		exit 0
	fi
done
T=$(mktemp -d) || exit 1
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
	python3 - <<'EOF'
import random, socket
for _ in range(500):
    p = random.randrange(20000, 40000)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", p))
        print(p)
        break
    except OSError:
        pass
    finally:
        s.close()
EOF
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }

# wait_ping NAME: until the daemon answers.
wait_ping() {
	i=0
	while ! "$BUILD/hsbus" -f "$CONF" -w 0.3 req "$1" '{"cmd":"ping"}' \
		>/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -ge 50 ]; then
			echo "bench_sip_rate: $1 does not answer ping" >&2
			return 1
		fi
	done
}

# sipd's status member $1.
status() {
	"$BUILD/hsbus" -f "$CONF" -w 3 req sipd '{"cmd":"status"}' 2>/dev/null |
		jq -r ".$1"
}

run_rate() {
	rate=$1
	d=$T/r$rate
	mkdir -p "$d/run" "$d/data"
	SIP_PORT=$(free_port)
	UAS=$(free_port)
	CONF=$d/holdslayer.conf
	cat >"$CONF" <<EOF
[general]
rundir = $d/run
datadir = $d/data
[sip]
listen = 127.0.0.1:$SIP_PORT
[media]
rtp_addr = 127.0.0.1
rtp_port_min = 40000
rtp_port_max = 59999
record = $RECORD
recordings_dir = $d/rec
EOF
	sipp -sn uas -i 127.0.0.1 -p "$UAS" -nostdin -mp $((UAS + 2)) \
		>"$d/sipp-uas.log" 2>&1 &
	uas_pid=$!
	"$BUILD/mediad" -f "$CONF" >"$d/mediad.log" 2>&1 &
	mediad_pid=$!
	"$BUILD/sipd" -f "$CONF" >"$d/sipd.log" 2>&1 &
	sipd_pid=$!
	PIDS="$PIDS $uas_pid $mediad_pid $sipd_pid"
	wait_ping mediad && wait_ping sipd || return 1
	idle_kb=$(rss_kb $sipd_pid)
	m0=$(cpu_ticks $mediad_pid)
	s0=$(cpu_ticks $sipd_pid)
	# The peak: RSS and established dialogs, sampled twice a second.
	(
		while kill -0 $sipd_pid 2>/dev/null; do
			echo "$(rss_kb $sipd_pid) $(status dialogs)"
			sleep 0.5
		done
	) >"$d/samples" 2>/dev/null &
	sampler=$!
	if [ -n "${PERF_DIR:-}" ]; then
		# Profiles of both daemons for the run, for perf report -i.
		mkdir -p "$PERF_DIR"
		for x in sipd:$sipd_pid mediad:$mediad_pid; do
			perf record -g -o "$PERF_DIR/${x%%:*}-$rate.data" \
				-p "${x##*:}" >/dev/null 2>&1 &
			PERFS="${PERFS:-} $!"
		done
	fi
	"$BUILD/hsdial" -f "$CONF" -r "$rate" -d "$SECS" -h "$HOLD" \
		-u "sip:bench@127.0.0.1:$UAS" >"$d/hsdial.json" 2>"$d/hsdial.err"
	for p in ${PERFS:-}; do kill -INT "$p"; wait "$p"; done
	PERFS=""
	m1=$(cpu_ticks $mediad_pid)
	s1=$(cpu_ticks $sipd_pid)
	gap=$(status loop_max_gap_ms)
	kill $sampler 2>/dev/null
	wait $sampler 2>/dev/null
	kill $sipd_pid $mediad_pid $uas_pid 2>/dev/null
	wait $sipd_pid $mediad_pid $uas_pid 2>/dev/null
	PIDS=""
	hz=$(getconf CLK_TCK)
	peak=$(awk '$2 ~ /^[0-9]+$/ && ($2 > d || (d == $2 && $1 > r)) {d = $2; r = $1} END {print r + 0, d + 0}' "$d/samples")
	jq -r --arg gap "$gap" --arg idle "$idle_kb" --arg peak "$peak" \
		--arg cpu "$((m1 - m0))" --arg scpu "$((s1 - s0))" \
		--arg hz "$hz" --arg rate "$rate" '
		($peak | split(" ") | map(tonumber)) as $p |
		"sipd rate=\($rate)/s ok=\(.ok)/\(.dials) ok_per_s=\(.ok_per_s * 10 | round / 10)" +
		" setup_ms_p50=\(.setup_ms_p50) p95=\(.setup_ms_p95) max=\(.setup_ms_max)" +
		" failures=\(.failures | tostring)" +
		" loop_max_gap_ms=\($gap)" +
		" sipd_cpu_ms_per_call=\(($scpu | tonumber) * 1000 / ($hz | tonumber) / (if .dials > 0 then .dials else 1 end) * 100 | round / 100)" +
		" mediad_cpu_ms_per_leg=\(($cpu | tonumber) * 1000 / ($hz | tonumber) / (if .dials > 0 then .dials else 1 end) * 100 | round / 100)" +
		" sipd_idle_rss_kb=\($idle)" +
		" sipd_peak_dialogs=\($p[1]) kb_per_dialog=\(if $p[1] > 0 then (($p[0] - ($idle | tonumber)) / $p[1] * 10 | round / 10) else "n/a" end)"
		' "$d/hsdial.json" || {
		echo "sipd rate=$rate/s: no result; $(tail -n 3 "$d/hsdial.err")"
	}
}

run_baseline() {
	rate=$1
	d=$T/b$rate
	mkdir -p "$d"
	UAS=$(free_port)
	UAC=$(free_port)
	n=$((rate * SECS))
	sipp -sn uas -i 127.0.0.1 -p "$UAS" -nostdin -mp $((UAS + 2)) \
		>"$d/uas.log" 2>&1 &
	uas_pid=$!
	PIDS="$uas_pid"
	sleep 0.3
	(cd "$d" && sipp -sn uac "127.0.0.1:$UAS" -i 127.0.0.1 -p "$UAC" \
		-mp $((UAC + 2)) -r "$rate" -m "$n" -d $((HOLD * 1000)) \
		-nostdin -timeout $((SECS + HOLD + 30))s -trace_rtt \
		-rtt_freq 1 -trace_stat -stf stat.csv >uac.log 2>&1)
	kill $uas_pid 2>/dev/null
	wait $uas_pid 2>/dev/null
	PIDS=""
	rtt=$(ls "$d"/*_rtt.csv 2>/dev/null | head -n 1)
	# The rtt file: date;date_ms;response_time;rtd_no, in ms.
	p=$(awk -F';' 'NR > 1 && $3 ~ /^[0-9.]+$/ {print $3}' "$rtt" 2>/dev/null |
		sort -n | awk '{a[NR] = $1} END {k = int(NR * 0.95); if (k < 1) k = 1; if (NR) printf "%d %d", a[int((NR + 1) / 2)], a[k]; else print "-1 -1"}')
	ok=$(tail -n 1 "$d/stat.csv" 2>/dev/null |
		awk -F';' -v h="$(head -n 1 "$d/stat.csv")" 'BEGIN {n = split(h, k, ";")} {for (i = 1; i <= n; i++) if (k[i] == "SuccessfulCall(C)") s = $i; else if (k[i] == "FailedCall(C)") f = $i; print s + 0, f + 0}')
	echo "sipp-to-sipp rate=$rate/s ok=${ok%% *}/$n failed=${ok##* } setup_ms_p50=${p%% *} p95=${p##* }"
}

for r in $RATES; do
	run_rate "$r"
	run_baseline "$r"
done
