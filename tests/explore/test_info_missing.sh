#!/bin/sh
# A value the user's info lacks, end to end through the real daemons:
# metro-power asks for the account number (followed by #) and the call is
# placed without account_number in its info.  ivrd must not guess: the
# call's events (apid) hold one info_missing {key: account_number, prompt,
# action}, holdctl status shows it readably, and ivrsim received no made-up
# account number (its report's collected digits for the prompt are at most
# the one operator key).
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export HS_BUILD=${HS_BUILD:-$TOP/build}
command -v baresip >/dev/null || { echo "FAIL: baresip is not installed (make deps)"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
keep=$tmp/keep

line=$(sh "$TOP/tests/explore/run_case.sh" metro-power.json \
	"question about my electric bill" - main,account,queue,agent \
	"$tmp/data" "$keep")
echo "$line"
[ -s "$keep/call.json" ] || fail "no call record from apid ($(tail -n 3 "$keep.out"))"
[ -s "$keep/report.json" ] && [ "$(cat "$keep/report.json")" != '{}' ] ||
	fail "no report from ivrsim"

# (a) the event, once, with the key, the prompt that asked and the action.
n=$(jq '[.events[] | select(.type == "info_missing")] | length' "$keep/call.json")
[ "$n" = 1 ] || fail "$n info_missing events, want 1: $(jq -c '[.events[] | select(.type == "info_missing" or .type == "ivr_step") | .data]' "$keep/call.json" | cut -c1-600)"
ev=$(jq -c '[.events[] | select(.type == "info_missing")][0].data' "$keep/call.json")
echo "info_missing: $ev"
printf '%s\n' "$ev" | jq -e '.key == "account_number"' >/dev/null || fail "key is not account_number: $ev"
printf '%s\n' "$ev" | jq -e '.prompt | ascii_downcase | test("account")' >/dev/null ||
	fail "the prompt is not the one that asked: $ev"
printf '%s\n' "$ev" | jq -e '.action | type == "string" and length > 0' >/dev/null || fail "no action: $ev"
# It came while the call went on, before the call ended.
jq -e '([.events[] | select(.type == "info_missing")][0].ts) <
	([.events[] | select(.type == "call_ended" or .type == "call_failed")][0].ts // "9")' \
	"$keep/call.json" >/dev/null || fail "info_missing came after the call ended"

# (b) nothing guessed: the company's account prompt collected no number.
collected=$(jq -r '.collected.account // ""' "$keep/report.json")
digits=$(jq -r '.digits // ""' "$keep/report.json")
echo "ivrsim: digits '$digits', collected for the account prompt '$collected'"
[ ${#collected} -le 1 ] || fail "a made-up account number was entered: '$collected'"
case $digits in *[0-9][0-9][0-9]*|*"#"*) fail "digits '$digits' hold an entered number" ;; esac
case $digits in 2*) ;; *) fail "the billing menu (2) was not chosen first: '$digits'" ;; esac

# holdctl shows it readably.
note=$(grep "needs account_number" "$keep/holdctl.out") ||
	fail "holdctl call --wait did not say what was missing: $(cat "$keep/holdctl.out")"
echo "holdctl: $note"
echo "ok: info_missing for account_number told once; no account number guessed"
