#!/bin/sh
# Held-out navigation figure: the companies of tests/explore/heldout/ are
# explored (no flow) through the real daemons, once each, and the share of
# calls that took the intended path is printed as "held-out".  These menus
# are worded and voiced unlike the dev companies of tests/explore/cases.tsv
# (bench_nav.sh) and are not used to tune the menu reading or matching:
# they tell how ivrd does on menus it has never heard.
# usage: bench_nav_heldout.sh [BUILD]
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${1:-${HS_BUILD:-$TOP/build}}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
export HS_BUILD=$BUILD
command -v baresip >/dev/null || { echo "skip: baresip is not installed"; exit 0; }
dir=$TOP/tests/explore/heldout
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
while IFS='	' read -r sc intent info want; do
	case $sc in ''|'#'*) continue ;; esac
	n=$((n + 1))
	sh "$TOP/tests/explore/run_case.sh" "$dir/$sc" "$intent" "$info" \
		"$want" "$tmp/data$n" "$tmp/keep$n" |
		sed "s|scenario=$dir/|scenario=|" | tee -a "$tmp/cases"
done <"$dir/cases.tsv"
awk '{ total++; if ($0 ~ / ok=yes /) ok++ }
END { printf "held-out: intended path %d/%d (%.0f%%)\n", ok, total,
    total ? 100 * ok / total : 0 }' "$tmp/cases"
