#!/bin/sh
# The dashboard in a real browser: headless Chromium, driven by
# puppeteer-core (tests/e2e/dashboard.js), watches the demo's call on
# apid's page and checks what a person sees.  puppeteer-core comes from
# npm into build/dashboard-npm once (a pinned version that runs on Debian
# 12's Node); the test skips only when npm's registry cannot be reached.
# Screenshots: build/test-logs/dashboard-*.png.
. "$(dirname "$0")/../lib.sh"
PUPPETEER_VERSION=22.15.0
command -v baresip >/dev/null || fail "baresip missing (make deps)"
command -v chromium >/dev/null || fail "chromium missing (make deps)"
command -v node >/dev/null && command -v npm >/dev/null ||
	fail "node or npm missing (make deps)"

NPMDIR=$HS_BUILD/dashboard-npm
if [ "$(cd "$NPMDIR" 2>/dev/null && node -p 'require("./node_modules/puppeteer-core/package.json").version' 2>/dev/null)" != "$PUPPETEER_VERSION" ]; then
	mkdir -p "$NPMDIR"
	if ! npm install --prefix "$NPMDIR" --no-audit --no-fund --no-package-lock \
		"puppeteer-core@$PUPPETEER_VERSION" >"$T/npm.log" 2>&1; then
		cat "$T/npm.log"
		npm ping >/dev/null 2>&1 ||
			skip "npm's registry is unreachable: cannot install puppeteer-core"
		fail "npm install puppeteer-core@$PUPPETEER_VERSION failed"
	fi
fi
ok "puppeteer-core $PUPPETEER_VERSION in $NPMDIR"

OUT=$HS_BUILD/test-logs
mkdir -p "$OUT"
rm -f "$OUT"/dashboard-*.png "$OUT/dashboard-result.json"
export PUPPETEER_DIR="$NPMDIR" DASH_OUT="$OUT"
HS_DEMO_WATCH="node '$HS_TOP/tests/e2e/dashboard.js'" \
	bash "$HS_TOP/tests/e2e/demo.sh" --data "$T/data" --keep "$T/out" >"$T/demo.out" 2>&1
rc=$?
cat "$T/demo.out"
grep -q '^RESULT status=completed ' "$T/demo.out" ||
	fail "the demo's call did not complete (rc=$rc), so the page had nothing to show"
grep -q '^WATCH rc=' "$T/demo.out" || fail "the browser did not run"
[ -s "$OUT/dashboard-result.json" ] || fail "the browser left no result"
jq -r '.checks | to_entries[] | "\(if .value.ok then "ok" else "FAIL" end): \(.key)"' \
	"$OUT/dashboard-result.json"
jq -e '.ok == true' "$OUT/dashboard-result.json" >/dev/null ||
	fail "the dashboard did not show the call as expected (see above)"
for p in live agent history flows; do
	[ -s "$OUT/dashboard-$p.png" ] || fail "no screenshot dashboard-$p.png"
done
ok "dashboard: call, on hold, agent, timeline, transcript, history, flows; screenshots in $OUT"
