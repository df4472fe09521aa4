#!/bin/sh
# Some 400 mutations of the RFC 4475 torture messages (random byte flips,
# truncations, huge headers, lines repeated hundreds of times, 60 KB
# datagrams, separator soup) sent to sipd: it must answer OPTIONS every 50
# of them and at the end, and still be running.  The seed is printed so
# that a failure can be replayed (SEED=n).  Under ASan and UBSan: build
# sipd and hsbus with the unit-asan flags of the Makefile
#   make BUILD=build/asan CFLAGS="-O1 -g -fsanitize=address,undefined
#     -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
#     LDFLAGS="-fsanitize=address,undefined" build/asan/sipd build/asan/hsbus
# then run "sh tests/run.sh build/asan sip/test_torture_fuzz"; a sanitizer
# report in sipd's log fails the test.
set -u
. "$(dirname "$0")/lib.sh"

DIR=$HS_TOP/../shared/sip-torture
[ -d "$DIR" ] || { echo "no torture messages in $DIR"; exit 77; }
need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need python3 "python3 not installed"
SEED=${SEED:-$(date +%s)}

write_conf
start sipd
python3 "$HS_TOP/tests/sip/torture.py" fuzz "$SIP_PORT" "$DIR" 400 "$SEED" ||
	fail "sipd stopped answering (seed $SEED)"
kill -0 "$PID_sipd" || fail "sipd exited (seed $SEED)"
bus_req sipd '{"cmd":"ping"}' >/dev/null || fail "sipd's bus is dead"
if grep -q "ERROR: AddressSanitizer\|runtime error:" "$T/sipd.log"; then
	fail "sanitizer report (seed $SEED)"
fi
grep -c "server: malformed" "$T/sipd.log" | sed 's/$/ malformed requests answered/'
