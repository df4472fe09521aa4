/*
 * Drives headless Chromium (puppeteer-core) on apid's dashboard while
 * demo.sh's call runs, and checks what a person sees: the call appears,
 * its state shows "on hold" and then an agent, the timeline has marks,
 * the transcript shows the menu; then the history charts and the flows.
 *
 * env: HS_API, HS_TOKEN (from demo.sh's HS_DEMO_WATCH), HS_WATCH_READY
 * (touched once the page is up), PUPPETEER_DIR (where npm put
 * puppeteer-core), DASH_OUT (screenshots and result.json go there).
 * Exit 0 when every check passed.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require(path.join(process.env.PUPPETEER_DIR, 'node_modules', 'puppeteer-core'));

const API = process.env.HS_API;
const OUT = process.env.DASH_OUT;
const DEADLINE_MS = 240000;
const checks = {};
const log = (...a) => console.log('dashboard:', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function check(name, ok, detail) {
	checks[name] = { ok: !!ok, detail: detail === undefined ? null : detail };
	log((ok ? 'ok   ' : 'FAIL ') + name + (detail !== undefined ? ': ' + JSON.stringify(detail) : ''));
}

async function main() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hs-chromium-'));
	const browser = await puppeteer.launch({
		executablePath: '/usr/bin/chromium',
		headless: true,
		userDataDir: profile,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			'--disable-dev-shm-usage'],
	});
	try {
		await run(browser);
	} finally {
		await browser.close().catch(() => {});
		fs.rmSync(profile, { recursive: true, force: true });
	}
}

async function run(browser) {
	const page = await browser.newPage();
	const problems = [];
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	page.on('console', (m) => {
		if (m.type() === 'error')
			problems.push('console: ' + m.text());
	});
	await page.setViewport({ width: 1360, height: 1000 });
	await page.goto(API + '/#token=' + process.env.HS_TOKEN, { waitUntil: 'load' });
	check('token stripped from the address', !page.url().includes('token'), page.url());
	const stored = await page.evaluate(() => sessionStorage.getItem('holdslayer.token'));
	check('token kept in sessionStorage', stored === process.env.HS_TOKEN);
	await page.waitForFunction(() => document.getElementById('conn').textContent === 'live',
	    { timeout: 30000 }).then(() => check('WebSocket connected', true),
	    () => check('WebSocket connected', false));
	if (process.env.HS_WATCH_READY)
		fs.writeFileSync(process.env.HS_WATCH_READY, 'ready\n');

	const seen = [];
	let callSeen = false, onHold = false, agent = false, last = null;
	const t0 = Date.now();
	while (Date.now() - t0 < DEADLINE_MS) {
		last = await page.evaluate(() => {
			const d = document.getElementById('detail');
			const st = document.getElementById('d-status');
			return {
				calls: document.querySelectorAll('#call-list li.call').length,
				shown: !d.hidden,
				status: st.dataset.status || '',
				label: st.textContent,
				marks: [...document.querySelectorAll('#d-strip .tl-mark')].map((m) => m.dataset.type),
				segs: document.querySelectorAll('#d-strip .seg').length,
				transcript: document.getElementById('d-transcript').innerText,
				path: document.getElementById('d-path').innerText,
				hold: document.getElementById('d-hold').textContent,
			};
		});
		if (last.calls > 0 && last.shown)
			callSeen = true;
		if (seen[seen.length - 1] !== last.label)
			seen.push(last.label);
		if (last.status === 'on_hold' && /on hold/.test(last.label))
			onHold = true;
		if (onHold && !agent && /agent/.test(last.label)) {
			agent = true;
			await page.screenshot({ path: path.join(OUT, 'dashboard-agent.png'), fullPage: true });
		}
		if (last.status === 'completed' || last.status === 'failed')
			break;
		await sleep(250);
	}
	/* The last events (call_ended, recording) land just after the state. */
	await sleep(1500);
	last = await page.evaluate(() => ({
		marks: [...document.querySelectorAll('#d-strip .tl-mark')].map((m) => m.dataset.type),
		segs: document.querySelectorAll('#d-strip .seg').length,
		transcript: document.getElementById('d-transcript').innerText,
		path: document.getElementById('d-path').innerText,
		events: document.querySelectorAll('#d-events li').length,
		hold: document.getElementById('d-hold').textContent,
	}));
	await page.screenshot({ path: path.join(OUT, 'dashboard-live.png'), fullPage: true });
	check('the call appears', callSeen);
	check('states shown in order', onHold && agent, seen);
	check('the timeline has audio classes and marks', last.segs > 0 && last.marks.length > 0,
	    { segs: last.segs, marks: last.marks });
	check('the timeline marks the menu, DTMF, hold and person',
	    (last.marks.includes('ivr_step') || last.marks.includes('ivr_menu_detected')) &&
	    ['ivr_dtmf_sent', 'hold_detected', 'human_detected'].every((t) => last.marks.includes(t)),
	    last.marks);
	/* The company's menu, as transcribed ("... press two ..."), or the
	 * options ivrd read from it. */
	check('the transcript shows the menu', /^(company|menu)\s[\s\S]*\bpress\b/im.test(last.transcript),
	    last.transcript.slice(0, 400));
	check('the time on hold is shown', /^\d+:\d\d$/.test(last.hold) && last.hold !== '0:00', last.hold);
	check('the menu path shows the digits', /pressed 2[\s\S]*pressed 1/.test(last.path), last.path);
	check('the event list is filled', last.events > 3, last.events);

	await page.goto(API + '/#/history', { waitUntil: 'load' });
	await page.waitForFunction(() => document.querySelectorAll('#h-rows tr').length > 0 &&
	    document.querySelectorAll('#chart-calls canvas').length > 0, { timeout: 20000 })
	    .then(() => check('history: table and chart', true), () => check('history: table and chart', false));
	await page.screenshot({ path: path.join(OUT, 'dashboard-history.png'), fullPage: true });

	await page.goto(API + '/#/flows', { waitUntil: 'load' });
	const flowOk = await page.waitForFunction(() => document.querySelectorAll('#f-rows tr.flow').length > 0,
	    { timeout: 20000 }).then(() => true, () => false);
	if (flowOk) {
		await page.click('#f-rows tr.flow');
		await page.waitForFunction(() => document.querySelectorAll('#f-diagram .box').length > 0,
		    { timeout: 20000 }).then(() => check('flows: list and diagram', true),
		    () => check('flows: list and diagram', false));
	} else {
		check('flows: list and diagram', false);
	}
	await page.screenshot({ path: path.join(OUT, 'dashboard-flows.png'), fullPage: true });
	check('no error in the page', problems.length === 0, problems);
}

main().then(() => {
	const ok = Object.values(checks).every((c) => c.ok) && Object.keys(checks).length > 0;
	fs.writeFileSync(path.join(OUT, 'dashboard-result.json'), JSON.stringify({ ok, checks }, null, 1) + '\n');
	process.exit(ok ? 0 : 1);
}, (e) => {
	log('error: ' + (e && e.stack || e));
	fs.writeFileSync(path.join(OUT, 'dashboard-result.json'),
	    JSON.stringify({ ok: false, error: String(e), checks }, null, 1) + '\n');
	process.exit(1);
});
