#!/bin/sh
# Runs one exploration case through the sandbox demo (real daemons, ivrsim,
# baresip) and prints one line:
#   CASE scenario=S ok=yes|no path=P want=W agent_s=SECONDS flow=explored|learned
# agent_s is ivrsim's agent_started_s (seconds from the answer to the agent).
# usage: run_case.sh SCENARIO INTENT INFO WANT DATADIR KEEPDIR [DEMO-ARG...]
# (DEMO-ARGs go to demo.sh, e.g. --uri --sim-port PORT)
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
sc=$1 intent=$2 info=$3 want=$4 data=$5 keep=$6
shift 6
[ "$info" = - ] && info=
# SCENARIO: a file name in tests/ivrsim/scenarios/, or a path.
case $sc in
*/*) scp=$sc ;;
*) scp=$TOP/tests/ivrsim/scenarios/$sc ;;
esac
set -- --scenario "$scp" --intent "$intent" \
	--data "$data" --keep "$keep" "$@"
[ -n "$info" ] && set -- "$@" --info "$info"
bash "$TOP/tests/e2e/demo.sh" "$@" >"$keep.out" 2>&1
line=$(grep '^RESULT ' "$keep.out" | tail -n 1)
path=$(printf '%s\n' "$line" | sed -n 's/.* path=\([^ ]*\) .*/\1/p')
status=$(printf '%s\n' "$line" | sed -n 's/.*status=\([^ ]*\) .*/\1/p')
agent_s=$(jq -r '.agent_started_s // "none"' "$keep/report.json" 2>/dev/null)
flow=explored
jq -e '.flow_id != null and (.flow_id | startswith("learned-"))' \
	"$keep/call.json" >/dev/null 2>&1 && flow=learned
grep -q "step 'menu-1'" "$keep/ivrd.log" 2>/dev/null && flow=learned
# want may list several right paths, separated by |: pressing the key
# that fits at once, or after a wrong key the menu repeated.
ok=no
if [ "$status" = completed ]; then
	oldifs=$IFS IFS='|'
	for w in $want; do [ "$path" = "$w" ] && ok=yes; done
	IFS=$oldifs
fi
echo "CASE scenario=$sc ok=$ok status=${status:-none} path=${path:-none} want=$want agent_s=$agent_s flow=$flow"
