#!/bin/sh
# Reads classifyd --eval output on stdin and prints its last line, followed
# by the sessions with a false human (false_in=) and the missed ones
# (missed_in=), by file name without its folder and .wav, when there are.
# Used by make-degraded.sh and tests/bench/bench_sessions.sh.
awk '
/session; human FALSE/ { f = $1; sub(/.*\//, "", f); sub(/\.wav$/, "", f); fl = fl (fl ? "," : "") f }
/session; human MISSED/ { f = $1; sub(/.*\//, "", f); sub(/\.wav$/, "", f); ml = ml (ml ? "," : "") f }
{ last = $0 }
END {
	printf "%s", last
	if (fl != "") printf " false_in=%s", fl
	if (ml != "") printf " missed_in=%s", ml
	printf "\n"
}'
