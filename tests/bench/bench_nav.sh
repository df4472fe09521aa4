#!/bin/sh
# Navigation figures: every case of tests/explore/cases.tsv is called twice
# through the real daemons with the same data directory: first with no
# flow (explored), then with the flow learned from the first call.  Prints
# one CASE line per call, then the success rate (completed with the
# expected path) and the mean time from the answer to the agent, explored
# versus learned.
# usage: bench_nav.sh [BUILD]
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${1:-${HS_BUILD:-$TOP/build}}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
export HS_BUILD=$BUILD
command -v baresip >/dev/null || { echo "skip: baresip is not installed"; exit 0; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
while IFS='	' read -r sc intent info want; do
	case $sc in ''|'#'*) continue ;; esac
	n=$((n + 1))
	for pass in explored learned; do
		sh "$TOP/tests/explore/run_case.sh" "$sc" "$intent" "$info" \
			"$want" "$tmp/data$n" "$tmp/keep$n-$pass" |
			sed "s/\$/ pass=$pass/" | tee -a "$tmp/cases"
	done
done <"$TOP/tests/explore/cases.tsv"
for pass in explored learned; do
	# Explored: the expected path for the intent, user bridged.  Learned:
	# the learned flow was followed and the user bridged to the agent (a
	# learned flow may skip detours, so its path can be shorter).
	grep " pass=$pass" "$tmp/cases" | awk -v p=$pass '
	{ total++
	  if (p == "explored") good = ($0 ~ / ok=yes /)
	  else good = ($0 ~ / status=completed / && $0 ~ /,agent / && $0 ~ / flow=learned/)
	  if (good) ok++
	  for (i = 1; i <= NF; i++) { split($i, kv, "=");
	    if (kv[1] == "agent_s" && kv[2] != "none" && kv[2] != "" && good) { t += kv[2]; nt++ } } }
	END { printf "%s: success %d/%d (%.0f%%), mean time to agent %s s\n", p,
	    ok, total, total ? 100 * ok / total : 0, nt ? sprintf("%.1f", t / nt) : "n/a" }'
done
