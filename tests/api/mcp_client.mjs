// An MCP client for test_mcp.sh, on the official TypeScript SDK: checks
// apid's refusals (no token, a foreign Origin), then initializes, lists the
// tools, places a hold_slayer call to ivrsim, follows it to a person, hangs
// it up and ends the session.  Prints "ok: ..." lines; exits 1 with
// "FAIL: ..." at the first thing that is wrong.
//
// usage: node mcp_client.mjs SDK_DIR URL TOKEN NUMBER DEVICE
import { pathToFileURL } from 'node:url';

const [sdkDir, url, token, number, device] = process.argv.slice(2);
const sdk = (p) =>
	import(pathToFileURL(`${sdkDir}/node_modules/@modelcontextprotocol/sdk/dist/esm/${p}`).href);
const { Client } = await sdk('client/index.js');
const { StreamableHTTPClientTransport } = await sdk('client/streamableHttp.js');

function fail(msg) {
	console.log(`FAIL: ${msg}`);
	process.exit(1);
}
const ok = (msg) => console.log(`ok: ${msg}`);

const initBody = JSON.stringify({
	jsonrpc: '2.0', id: 1, method: 'initialize',
	params: { protocolVersion: '2025-06-18', capabilities: {},
		  clientInfo: { name: 'raw', version: '0' } },
});
const post = (headers) => fetch(url, {
	method: 'POST',
	headers: { 'Content-Type': 'application/json',
		   Accept: 'application/json, text/event-stream', ...headers },
	body: initBody,
});
const auth = { Authorization: `Bearer ${token}` };

// The refusals, before any session exists.
let r = await post({});
if (r.status !== 401) fail(`no token: HTTP ${r.status}, expected 401`);
r = await post({ Authorization: 'Bearer wrong' });
if (r.status !== 401) fail(`a wrong token: HTTP ${r.status}, expected 401`);
r = await post({ ...auth, Origin: 'http://evil.example' });
if (r.status !== 403) fail(`Origin evil.example: HTTP ${r.status}, expected 403`);
ok('no token and a wrong token are 401, a foreign Origin is 403');
r = await fetch(url, { method: 'GET', headers: { ...auth, Accept: 'text/event-stream' } });
if (r.status !== 405) fail(`GET /mcp: HTTP ${r.status}, expected 405`);
r = await fetch(url, { method: 'POST', body: '{"jsonrpc":"2.0","id":2,"method":"tools/list"}',
		       headers: { ...auth, 'Content-Type': 'application/json' } });
if (r.status !== 400) fail(`tools/list without a session: HTTP ${r.status}, expected 400`);
ok('GET is 405, a request without Mcp-Session-Id is 400');

// Version negotiation: a version apid speaks is echoed, another gets the
// newest; a session's MCP-Protocol-Version must be one apid speaks.
const initAs = async (version) => {
	const res = await fetch(url, {
		method: 'POST',
		headers: { ...auth, 'Content-Type': 'application/json',
			   Accept: 'application/json, text/event-stream' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
			params: { protocolVersion: version, capabilities: {},
				  clientInfo: { name: 'raw', version: '0' } } }),
	});
	if (res.status !== 200) fail(`initialize ${version}: HTTP ${res.status}`);
	return { sid: res.headers.get('mcp-session-id'), body: await res.json() };
};
for (const v of ['2025-06-18', '2025-03-26']) {
	const { body } = await initAs(v);
	if (body.result?.protocolVersion !== v)
		fail(`initialize ${v} answered ${JSON.stringify(body)}`);
}
{
	const { sid, body } = await initAs('1999-01-01');
	if (!/^20\d\d-\d\d-\d\d$/.test(body.result?.protocolVersion) ||
	    body.result.protocolVersion === '1999-01-01')
		fail(`initialize 1999-01-01 answered ${JSON.stringify(body)}`);
	const ping = (version) => fetch(url, {
		method: 'POST', body: '{"jsonrpc":"2.0","id":2,"method":"ping"}',
		headers: { ...auth, 'Content-Type': 'application/json',
			   'Mcp-Session-Id': sid, 'MCP-Protocol-Version': version },
	});
	if ((r = await ping('1999-01-01')).status !== 400)
		fail(`MCP-Protocol-Version 1999-01-01: HTTP ${r.status}, expected 400`);
	if ((r = await ping('2025-06-18')).status !== 200 ||
	    JSON.stringify((await r.json()).result) !== '{}')
		fail(`ping in a session: HTTP ${r.status}`);
}
ok('initialize echoes 2025-06-18 and 2025-03-26, answers an unknown version with its newest; a bad MCP-Protocol-Version is 400');

// The SDK client without the token fails to connect.
{
	const c = new Client({ name: 'holdslayer-test', version: '1.0.0' });
	let refused = false;
	try {
		await c.connect(new StreamableHTTPClientTransport(new URL(url)));
	} catch (e) {
		refused = /401/.test(String(e)) || e?.code === 401;
		if (!refused) fail(`connect without a token failed oddly: ${e}`);
	}
	if (!refused) fail('the SDK client connected without a token');
	ok('the SDK client cannot connect without the token');
}

const transport = new StreamableHTTPClientTransport(new URL(url), {
	requestInit: { headers: auth },
});
const client = new Client({ name: 'holdslayer-test', version: '1.0.0' });
await client.connect(transport);
const server = client.getServerVersion();
if (server?.name !== 'holdslayer') fail(`serverInfo ${JSON.stringify(server)}`);
if (!transport.sessionId) fail('no Mcp-Session-Id after initialize');
if (!client.getServerCapabilities()?.tools) fail('the tools capability is missing');
ok(`initialized: ${server.name} ${server.version}, protocol ${transport.protocolVersion}, session ${transport.sessionId}`);

const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
const want = ['get_call', 'get_call_flow', 'hangup_call', 'list_call_flows', 'list_calls',
	      'list_devices', 'place_call', 'transfer_call', 'wait_for_call_status'];
if (JSON.stringify(names) !== JSON.stringify(want))
	fail(`tools ${names.join(',')}, expected ${want.join(',')}`);
const place = tools.find((t) => t.name === 'place_call');
if (place.inputSchema.type !== 'object' || !place.inputSchema.required?.includes('number') ||
    place.inputSchema.properties.info?.type !== 'object')
	fail(`place_call's inputSchema: ${JSON.stringify(place.inputSchema)}`);
ok(`tools/list: ${names.join(', ')}`);

const call = async (name, args) => {
	const res = await client.callTool({ name, arguments: args });
	return { res, data: res.structuredContent, text: res.content?.[0]?.text ?? '' };
};

// Bad arguments are tool errors that name the argument.
let t = await call('place_call', { intent: 'x' });
if (!t.res.isError || !/number/.test(t.text)) fail(`place_call without number: ${JSON.stringify(t.res)}`);
t = await call('place_call', { number: number, colour: 'red' });
if (!t.res.isError || !/colour/.test(t.text)) fail(`place_call with colour: ${JSON.stringify(t.res)}`);
t = await call('get_call', { id: 'ffffffff-0000' });
if (!t.res.isError || !/unknown call/.test(t.text)) fail(`get_call of nothing: ${JSON.stringify(t.res)}`);
try {
	await client.callTool({ name: 'no_such_tool', arguments: {} });
	fail('an unknown tool was not an error');
} catch (e) {
	if (!/no_such_tool/.test(String(e))) fail(`unknown tool: ${e}`);
}
ok('bad arguments are tool errors naming the argument; an unknown tool is an error');

t = await call('list_devices', {});
if (t.res.isError || !t.data.devices.some((d) => d.name === device))
	fail(`list_devices: ${t.text}`);
t = await call('list_call_flows', {});
if (t.res.isError || !Array.isArray(t.data.flows) || t.data.flows.length === 0)
	fail(`list_call_flows: ${t.text}`);
const flowId = t.data.flows[0].id;
t = await call('get_call_flow', { id: flowId });
if (t.res.isError || t.data.id !== flowId) fail(`get_call_flow ${flowId}: ${t.text}`);
ok(`list_devices, list_call_flows (${t.data.id} first) and get_call_flow answer`);

t = await call('place_call', { number, intent: 'dispute a charge on my card', device });
if (t.res.isError) fail(`place_call: ${t.text}`);
const id = t.data.call_id;
if (!/^[0-9a-f-]{36}$/.test(id) || t.data.mode !== 'hold_slayer') fail(`place_call answered ${t.text}`);
ok(`place_call: call ${id}`);

// Follow it with get_call (by a prefix) until a person is on the line.
const short = id.slice(0, 8);
const human = ['human_detected', 'transferring', 'bridged'];
const deadline = Date.now() + 240000;
let status = '';
const seen = [];
while (Date.now() < deadline) {
	t = await call('get_call', { id: short });
	if (t.res.isError) fail(`get_call ${short}: ${t.text}`);
	if (t.data.call_id !== id) fail(`get_call ${short} gave ${t.data.call_id}`);
	status = t.data.status;
	if (seen[seen.length - 1] !== status) seen.push(status);
	if (human.includes(status)) break;
	if (['completed', 'failed'].includes(status))
		fail(`the call ended ${status} before a person answered (${seen.join(' > ')})`);
	// Also exercise the long poll: back within its timeout either way.
	const t0 = Date.now();
	const w = await call('wait_for_call_status', { id, status: 'human_detected', timeout_s: 3 });
	if (w.res.isError) fail(`wait_for_call_status: ${w.text}`);
	if (Date.now() - t0 > 20000) fail('wait_for_call_status overran its 3 s timeout');
}
if (!human.includes(status)) fail(`no person on the line in 240 s (${seen.join(' > ')})`);
if (!t.data.events?.some((e) => e.type === 'human_detected'))
	fail(`status ${status} but no human_detected event in get_call`);
ok(`get_call ${short}...: ${seen.join(' > ')}, human_detected among its events`);

t = await call('list_calls', {});
if (t.res.isError || !t.data.calls.some((c) => c.call_id === id)) fail(`list_calls: ${t.text}`);
ok(`list_calls: the call is live (${t.data.total} in all)`);

t = await call('hangup_call', { id });
if (t.res.isError) fail(`hangup_call: ${t.text}`);
t = await call('wait_for_call_status', { id, status: 'completed', timeout_s: 30 });
if (t.res.isError || !['completed', 'failed'].includes(t.data.status))
	fail(`the call did not end after hangup_call: ${t.text}`);
ok(`hangup_call: the call ended ${t.data.status}`);
t = await call('hangup_call', { id });
if (!t.res.isError || !/ended/.test(t.text)) fail(`a second hangup_call: ${t.text}`);

const sid = transport.sessionId;
await transport.terminateSession();
r = await fetch(url, { method: 'POST', body: '{"jsonrpc":"2.0","id":9,"method":"ping"}',
		       headers: { ...auth, 'Content-Type': 'application/json', 'Mcp-Session-Id': sid } });
if (r.status !== 404) fail(`a request in an ended session: HTTP ${r.status}, expected 404`);
await client.close();
ok('the session ended (DELETE), its id is then 404');
