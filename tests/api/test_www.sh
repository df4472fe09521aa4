#!/bin/sh
# The dashboard's files: / and /static/ serve [api] www_dir without the
# token (they hold no data) and with a Content-Security-Policy that allows
# apid's own origin only and forbids framing; anything outside www_dir, a
# hidden file or an unknown type is a 404, a POST a 405; the API behind it
# still wants the token; holdctl dashboard prints the address with the
# token after '#'.
. "$(dirname "$0")/../lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
PORT=$(free_port)
API=http://127.0.0.1:$PORT
mkdir -p "$T/www/vendor"
cp "$HS_TOP"/apid/www/index.html "$HS_TOP"/apid/www/app.js "$T/www/"
echo "secret" >"$T/www/.hidden.js"
echo "not served" >"$T/www/notes.md"
echo "outside" >"$T/outside.js"
write_conf <<EOF2
[api]
listen = 127.0.0.1:$PORT
www_dir = $T/www
EOF2
start apid "$HS_BUILD/apid" -f "$T/hs.conf"
wait_for 10 curl -sf "$API/api/health" || fail "apid did not answer: $(cat "$T/apid.log")"

# code ARGS...: curl's HTTP status (no .curlrc: -q), headers in $T/h.
code() { curl -q -s -D "$T/h" -o "$T/body" -w '%{http_code}' "$@"; }

c=$(code "$API/"); [ "$c" = 200 ] || fail "GET /: HTTP $c"
cmp -s "$T/body" "$T/www/index.html" || fail "GET / is not index.html"
grep -qi '^Content-Type: text/html' "$T/h" || fail "GET /: $(grep -i content-type "$T/h")"
grep -qi "^Content-Security-Policy: default-src 'self'; connect-src 'self' ws: wss:;.*frame-ancestors 'none'" "$T/h" ||
	fail "GET /: no or wrong CSP: $(grep -i security "$T/h")"
grep -qi '^X-Frame-Options: DENY' "$T/h" || fail "GET /: no X-Frame-Options"
ok "/ is index.html, without a token, with CSP and X-Frame-Options"

c=$(code "$API/static/app.js"); [ "$c" = 200 ] || fail "GET /static/app.js: HTTP $c"
grep -qi '^Content-Type: text/javascript' "$T/h" || fail "app.js: $(grep -i content-type "$T/h")"
ok "/static/app.js served as JavaScript"

for p in /static/.hidden.js /static/notes.md /static/nothing.js /static/vendor/ \
	/static/%2e%2e/outside.js /static/..%2foutside.js /static/vendor/..%2f..%2foutside.js \
	/index.html /static; do
	c=$(code --path-as-is "$API$p")
	[ "$c" = 404 ] || fail "GET $p: HTTP $c, expected 404"
	grep -q 'outside\|secret\|not served' "$T/body" && fail "GET $p leaked a file"
done
ok "hidden, unknown-type, missing and outside files are 404"

c=$(code -X POST -H 'Content-Type: application/json' -d '{}' "$API/"); [ "$c" = 405 ] || fail "POST /: HTTP $c"
c=$(code "$API/api/calls"); [ "$c" = 401 ] || fail "the API without a token: HTTP $c"
ok "POST / is 405; the API still wants the token"

url=$(HOLDSLAYER_CONF=$T/hs.conf "$HS_BUILD/holdctl" --conf "$T/hs.conf" dashboard) ||
	fail "holdctl dashboard failed"
[ "$url" = "$API/#token=$(cat "$T/data/api.token")" ] || fail "holdctl dashboard printed '$url'"
ok "holdctl dashboard prints $API/#token=..."
