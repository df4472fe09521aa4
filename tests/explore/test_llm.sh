#!/bin/sh
# The LLM navigator through the real daemons: ivrd is configured with
# [llm] provider and base_url pointing at a local server
# (tests/explore/llm_server.py) that speaks the OpenAI chat completions and
# the Anthropic messages formats with tool calls.  For each provider the
# brightway-insurance company is called: the model's press_digits calls
# drive the menu (1, the dead end that leads back, then 0), which ivrsim's
# report must show; each request must have the provider's shape (model,
# system prompt, the six tools with JSON schemas, tool_choice, the key
# header) and the tool call of one turn must come back as a tool result in
# the next.  Then a server that times out and answers 500: the offline
# navigator takes over and still reaches the agent.  Last, a company that
# asks for words: the model's say is heard by it, and its hang_up ends the
# call with the model's reason.
TOP=${HS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export HS_BUILD=${HS_BUILD:-$TOP/build}
command -v baresip >/dev/null || { echo "FAIL: baresip is not installed (make deps)"; exit 1; }
command -v python3 >/dev/null || { echo "skip: python3 is not installed"; exit 77; }
tmp=$(mktemp -d) || exit 1
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$tmp"' EXIT
sc=brightway-insurance.json
intent="file a claim for a car accident"
want=main,claims,main,queue,agent
echo "test-key-123" >"$tmp/key"

# run NAME PROVIDER MODE [THEN]: one call with the server in MODE.
run() {
	name=$1 prov=$2 mode=$3 then=${4:-0}
	rm -f "$tmp/port"
	python3 "$TOP/tests/explore/llm_server.py" "$tmp/port" "$tmp/$name.log" \
		"$mode" 1 "$then" &
	spid=$!
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$tmp/port" ] || { echo "FAIL: the test LLM server did not start"; exit 1; }
	base=http://127.0.0.1:$(cat "$tmp/port")
	[ "$prov" = openai ] && base=$base/v1
	cat >"$tmp/$name.conf" <<EOF
[llm]
provider = $prov
base_url = $base
model = test-model-$prov
api_key_file = $tmp/key
timeout_ms = 3000
EOF
	line=$(HS_DEMO_CONF=$tmp/$name.conf sh "$TOP/tests/explore/run_case.sh" \
		"$sc" "$intent" - "$want" "$tmp/data-$name" "$tmp/keep-$name")
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
	spid=
	echo "$name: $line"
}

check() {
	python3 - "$@" <<'PYEOF' || exit 1
import json, sys
log, prov = sys.argv[1], sys.argv[2]
reqs = [json.loads(l) for l in open(log)]
def fail(msg):
    print("FAIL: %s: %s" % (prov, msg)); sys.exit(1)
if len(reqs) < 2:
    fail("%d requests, want at least 2" % len(reqs))
tools = {"press_digits", "say", "wait", "mark_on_hold", "transfer", "hang_up"}
for r in reqs:
    b, h = r["body"], r["headers"]
    if b is None: fail("a request body is not JSON")
    if b.get("model") != "test-model-" + prov: fail("model %r" % b.get("model"))
    if prov == "openai":
        if r["path"] != "/v1/chat/completions": fail("path " + r["path"])
        if h.get("authorization") != "Bearer test-key-123": fail("no Bearer key")
        m = b["messages"]
        if m[0]["role"] != "system" or "intent" not in m[0]["content"].lower() + m[-1]["content"].lower():
            fail("the first message is not the system prompt, or no intent")
        names = set()
        for t in b["tools"]:
            if t["type"] != "function": fail("tool type " + t["type"])
            f = t["function"]
            if f["parameters"].get("type") != "object": fail("schema of " + f["name"])
            names.add(f["name"])
        if b.get("tool_choice") is None: fail("no tool_choice")
    else:
        if r["path"] != "/v1/messages": fail("path " + r["path"])
        if h.get("x-api-key") != "test-key-123": fail("no x-api-key")
        if not h.get("anthropic-version"): fail("no anthropic-version")
        if not isinstance(b.get("system"), str) or not b["system"]: fail("no system")
        if any(m["role"] == "system" for m in b["messages"]): fail("a system message")
        if not b.get("max_tokens"): fail("no max_tokens")
        names = set()
        for t in b["tools"]:
            if t["input_schema"].get("type") != "object": fail("schema of " + t["name"])
            names.add(t["name"])
        if b.get("tool_choice", {}).get("type") not in ("any", "auto", "tool"):
            fail("tool_choice")
    if names != tools: fail("tools %s" % sorted(names))
    if b["messages"][-1]["role"] != "user": fail("the last turn is not the user's")
# The first answer's tool call comes back with its result in the next turn.
m = reqs[1]["body"]["messages"]
if prov == "openai":
    calls = [c for x in m if x["role"] == "assistant" for c in x.get("tool_calls") or []]
    res = [x for x in m if x["role"] == "tool"]
    if not calls or calls[0]["id"] != "call_1" or calls[0]["function"]["name"] != "press_digits":
        fail("the first tool call is not in the second request: %s" % json.dumps(m)[:300])
    if not res or res[0]["tool_call_id"] != "call_1": fail("no tool result for call_1")
else:
    uses = [p for x in m if x["role"] == "assistant" and isinstance(x["content"], list) for p in x["content"] if p.get("type") == "tool_use"]
    res = [p for x in m if x["role"] == "user" and isinstance(x["content"], list) for p in x["content"] if p.get("type") == "tool_result"]
    if not uses or uses[0]["id"] != "toolu_1" or uses[0]["name"] != "press_digits":
        fail("the first tool use is not in the second request: %s" % json.dumps(m)[:300])
    if not res or res[0]["tool_use_id"] != "toolu_1": fail("no tool_result for toolu_1")
    if [x["role"] for x in m][:1] != ["user"]: fail("messages do not start with the user")
print("ok: %s: %d requests of the right shape, tool results sent back" % (prov, len(reqs)))
PYEOF
}

for prov in openai anthropic; do
	line=$(run $prov $prov script)
	echo "$line"
	case $line in *" ok=yes "*) ;; *) echo "FAIL: $prov: the model's keys did not take the call to the agent ($want)"; exit 1 ;; esac
	jq -e '.digits | startswith("10")' "$tmp/keep-$prov/report.json" >/dev/null ||
		{ echo "FAIL: $prov: keys $(jq -r .digits "$tmp/keep-$prov/report.json"), want 1 then 0"; exit 1; }
	grep -q "LLM: first menu" "$tmp/keep-$prov/ivrd.log" ||
		{ echo "FAIL: $prov: no decision of the model in ivrd's log"; exit 1; }
	check "$tmp/$prov.log" $prov
done

# A model that times out, then fails: the offline navigator decides.
line=$(run fallback openai slow 5)
echo "$line"
case $line in *" status=completed "*",queue,agent "*) ;; *) echo "FAIL: no fall-back to the offline navigator"; exit 1 ;; esac
grep -q "the offline navigator decides" "$tmp/keep-fallback/ivrd.log" ||
	{ echo "FAIL: ivrd did not say it fell back"; exit 1; }
[ "$(wc -l <"$tmp/fallback.log")" -ge 1 ] || { echo "FAIL: the server was never asked"; exit 1; }
# say and hang_up: a company that asks for words, then offers keys that do
# not fit.  The model's say must reach the company (ivrsim heard enough
# speech at the speech prompt to move on to the menu), and its hang_up must
# end the call, recorded by apid as failed with the model's reason, the
# company's leg hung up by us.
sc=$TOP/tests/explore/llm-say-hangup.json
intent="file a claim for a damaged parcel"
want=greet,menu
line=$(run sayhang anthropic sayhang)
echo "$line"
k=$tmp/keep-sayhang
jq -e '.speech.greet >= 0.8' "$k/report.json" >/dev/null ||
	{ echo "FAIL: sayhang: the company did not hear the model's words: $(jq -c '{nodes, speech}' "$k/report.json")"; exit 1; }
jq -e '(.nodes | join(",")) == "greet,menu"' "$k/report.json" >/dev/null ||
	{ echo "FAIL: sayhang: nodes $(jq -c .nodes "$k/report.json"), want greet,menu (spoken to, then hung up at the menu)"; exit 1; }
jq -e '.ended_by == "caller"' "$k/report.json" >/dev/null ||
	{ echo "FAIL: sayhang: ivrsim's report: ended by $(jq -r .ended_by "$k/report.json"), want caller (we hung up)"; exit 1; }
jq -e '[.events[] | select(.type == "ivr_step" and .data.type == "SPEAK")][0].data.text
	| test("damaged parcel")' "$k/call.json" >/dev/null ||
	{ echo "FAIL: sayhang: no SPEAK step with the model's words"; exit 1; }
jq -e '.status == "failed" and (.failure.reason | test("no option fits"))' "$k/call.json" >/dev/null ||
	{ echo "FAIL: sayhang: status $(jq -c '{status, failure}' "$k/call.json"), want failed with the model's reason"; exit 1; }
grep -q "LLM: no option fits" "$k/ivrd.log" ||
	{ echo "FAIL: sayhang: the hang-up is not the model's decision in ivrd's log"; exit 1; }
[ "$(wc -l <"$tmp/sayhang.log")" -eq 2 ] ||
	{ echo "FAIL: sayhang: $(wc -l <"$tmp/sayhang.log") requests to the model, want 2 (say, hang_up)"; exit 1; }
echo "ok: the model's say was heard by the company; its hang_up ended the call (failed, with its reason)"
echo "ok: LLM navigator over OpenAI and Anthropic; fall-back on timeout and 500; say and hang_up"
