#!/bin/sh
# apid's MCP server (/mcp) driven by the official TypeScript SDK client
# (@modelcontextprotocol/sdk from npm, under node): refusals without the
# token or from a foreign Origin, initialize, the tools, and a real
# hold_slayer call to ivrsim followed to a person and hung up.  The six
# daemons, ivrsim (the company) and baresip (the user's phone) run on
# loopback.  The SDK is installed once into $HS_MCP_SDK_DIR (default
# build/mcp-sdk); the test skips only when npm's registry is unreachable.
# HS_NODE names another node to run the client with (e.g. a Node 18).
. "$(dirname "$0")/../lib.sh"
SDK_VERSION=1.32.2
SDK=${HS_MCP_SDK_DIR:-$HS_BUILD/mcp-sdk}

NODE=${HS_NODE:-node}
command -v "$NODE" >/dev/null || fail "$NODE missing (make deps)"
command -v npm >/dev/null || fail "npm missing (make deps)"
command -v baresip >/dev/null || fail "baresip missing (make deps)"
for p in sipd mediad classifyd ivrd apid notifyd ivrsim; do
	[ -x "$HS_BUILD/$p" ] || fail "$HS_BUILD/$p is not built"
done
if [ "$(cat "$SDK/.version" 2>/dev/null)" != "$SDK_VERSION" ]; then
	mkdir -p "$SDK"
	if npm install --prefix "$SDK" --no-audit --no-fund \
		"@modelcontextprotocol/sdk@$SDK_VERSION" >"$T/npm.log" 2>&1; then
		echo "$SDK_VERSION" >"$SDK/.version"
	elif ! npm ping >/dev/null 2>&1; then
		skip "npm's registry is unreachable: cannot install @modelcontextprotocol/sdk@$SDK_VERSION"
	else
		cat "$T/npm.log"
		fail "npm install @modelcontextprotocol/sdk@$SDK_VERSION failed"
	fi
fi
ok "@modelcontextprotocol/sdk $SDK_VERSION under node $("$NODE" --version)"

SIM=$(free_port); PHONE=$(free_port)
SCENARIO=$HS_TOP/tests/ivrsim/scenarios/sandbox-bank.json
NUMBER=$(jq -r '.number // "18005550100"' "$SCENARIO")
loopback_conf
RTP2=$(free_rtp_base 120)
cat >>"$T/hs.conf" <<EOF
[trunk]
proxy = sip:127.0.0.1:$SIM
[ivr]
default_device = phone
[devices]
phone = sip:user@127.0.0.1:$PHONE
EOF

# The user's phone answers at once and says nothing much.
mkdir -p "$T/phone/rec" "$T/reports"
sox -n -r 8000 -c 1 -b 16 "$T/phone/say.wav" synth 120 sine 300 vol 0.05
cat >"$T/phone/config" <<EOF
poll_method	epoll
sip_listen	127.0.0.1:$PHONE
audio_player	aubridge,nil
audio_source	aufile,$T/phone/say.wav
audio_alert	aubridge,nil
module_path	/usr/lib/baresip/modules
module	g711.so
module	aufile.so
module	aubridge.so
module	sndfile.so
module_app	account.so
snd_path	$T/phone/rec
rtp_ports	$((RTP2 + 60))-$((RTP2 + 118))
EOF
echo "<sip:user@127.0.0.1:$PHONE>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA" >"$T/phone/accounts"

CORPUS=$(shared_dir)/corpus
start ivrsim "$HS_BUILD/ivrsim" -s "$SCENARIO" -l "127.0.0.1:$SIM" -r "$T/reports" \
	-m "$RTP2" -c "$CORPUS"
start phone baresip -f "$T/phone"
for d in mediad sipd classifyd ivrd apid notifyd; do
	start "$d" "$HS_BUILD/$d" -f "$T/hs.conf"
done
wait_for 60 sh -c "curl -sf 'http://127.0.0.1:$API/api/health' |
	jq -e '.status == \"ok\" and all(.subscribed[]; . == true)'" ||
	{ tail -n 5 "$T"/*.log; fail "the daemons did not come up"; }

"$NODE" "$HS_TOP/tests/api/mcp_client.mjs" "$SDK" "http://127.0.0.1:$API/mcp" \
	"$HS_API_TOKEN" "$NUMBER" phone >"$T/client.out" 2>&1
rc=$?
cat "$T/client.out"
if [ $rc -ne 0 ]; then
	tail -n 20 "$T/apid.log" "$T/ivrd.log"
	fail "the MCP client exited $rc"
fi
grep -q '^ok: the session ended' "$T/client.out" || fail "the MCP client stopped early"
grep -q 'mcp: session .* opened' "$T/apid.log" || fail "apid logged no MCP session"
ok "MCP over Streamable HTTP with the official SDK client"
