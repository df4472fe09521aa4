#!/bin/sh
# Exploration end to end: each company scenario of tests/explore/cases.tsv
# is called with no flow, through the real daemons; ivrsim's report must
# show the expected path for the intent and the user bridged to the agent.
# Then a second call to an explored number (same data directory) must
# follow the learned flow and reach the agent sooner.
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export HS_BUILD=${HS_BUILD:-$TOP/build}
command -v baresip >/dev/null || { echo "skip: baresip is not installed"; exit 77; }
[ -d "$TOP/../shared/corpus" ] || { echo "skip: no corpus"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
while IFS='	' read -r sc intent info want; do
	case $sc in ''|'#'*) continue ;; esac
	n=$((n + 1))
	line=$(sh "$TOP/tests/explore/run_case.sh" "$sc" "$intent" "$info" \
		"$want" "$tmp/data$n" "$tmp/keep$n")
	echo "$line"
	case $line in *" ok=yes "*) ;; *) fail=$((fail + 1)) ;; esac
done <"$TOP/tests/explore/cases.tsv"

# The learned flow: the last case again, same data directory.
last=$(grep -v '^#' "$TOP/tests/explore/cases.tsv" | tail -n 1)
sc=$(printf '%s\n' "$last" | cut -f1)
intent=$(printf '%s\n' "$last" | cut -f2)
info=$(printf '%s\n' "$last" | cut -f3)
want=$(printf '%s\n' "$last" | cut -f4)
t1=$(jq -r '.agent_started_s // empty' "$tmp/keep$n/report.json" 2>/dev/null)
if ls "$tmp/data$n/flows/learned/"*.json >/dev/null 2>&1; then
	line=$(sh "$TOP/tests/explore/run_case.sh" "$sc" "$intent" "$info" \
		"$want" "$tmp/data$n" "$tmp/keep-learned")
	echo "$line (second call)"
	t2=$(jq -r '.agent_started_s // empty' "$tmp/keep-learned/report.json" 2>/dev/null)
	case $line in
	*" ok=yes "*" flow=learned"*)
		if [ -n "$t1" ] && [ -n "$t2" ] &&
			awk "BEGIN { exit !($t2 < $t1) }"; then
			echo "learned: agent after $t2 s instead of $t1 s"
		else
			echo "FAIL: the learned flow was not faster ($t2 s vs $t1 s)"
			fail=$((fail + 1))
		fi ;;
	*) echo "FAIL: the second call did not follow the learned flow"; fail=$((fail + 1)) ;;
	esac
else
	echo "FAIL: no learned flow was saved for $sc"
	fail=$((fail + 1))
fi
[ $fail -eq 0 ] || { echo "FAIL: $fail of $((n + 1)) checks failed"; exit 1; }
echo "ok: $n scenarios explored, learned flow followed"
