/*
 * The Hold Slayer dashboard: live calls, history and flows, from apid's
 * REST API and its WebSocket (apid(8)).  Plain JavaScript, no build step.
 *
 * The token: `holdctl dashboard` opens /#token=TOKEN.  The fragment never
 * reaches a server; the page moves the token to sessionStorage, strips it
 * from the address and sends it as "Authorization: Bearer" on fetch and
 * as ?token= on the WebSocket (a browser's WebSocket cannot set headers).
 * Every text from the API goes through textContent, never innerHTML.
 */
'use strict';

const TOKEN_KEY = 'holdslayer.token';
const ENDED = new Set(['completed', 'failed']);
/* What a person reads for each call status (apid(8), CALL STATUS). */
const STATUS_LABEL = {
	trying: 'dialling',
	ringing: 'ringing',
	ivr: 'in the menu',
	connected: 'connected',
	on_hold: 'on hold',
	human_detected: 'agent on the line',
	transferring: 'agent found, ringing you',
	bridged: 'you and the agent',
	completed: 'completed',
	failed: 'failed',
};
/* Events shown on the timeline as marks, with their short label. */
const MARKS = {
	call_connected: 'answered',
	ivr_menu_detected: 'menu',
	ivr_dtmf_sent: 'DTMF',
	hold_detected: 'hold',
	human_suspected: 'person?',
	human_detected: 'person',
	human_retracted: 'not a person',
	transfer_started: 'transfer',
	transfer_complete: 'bridged',
	call_ended: 'ended',
	call_failed: 'failed',
	info_missing: 'info missing',
};
const RECENT_MS = 30 * 60 * 1000; /* ended calls stay listed this long */

const state = {
	token: null,
	calls: new Map(),  /* call_id -> call of the list */
	selected: null,    /* call_id */
	detail: null,      /* the selected call, events included */
	devices: [],
	ws: null,
	wsRetry: 1000,
	refreshTimer: null,
	/* call_id -> the audio_classified events the WebSocket brought: the
	 * call's classification_history holds only the last 50. */
	classes: new Map(),
};
const CLASSES_MAX = 20000;

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined && text !== null)
		e.textContent = String(text);
	return e;
}

function takeToken() {
	const m = /(?:^#|[#&])token=([0-9A-Za-z_-]+)/.exec(location.hash);
	if (m) {
		sessionStorage.setItem(TOKEN_KEY, m[1]);
		history.replaceState(null, '', location.pathname + location.search + '#/live');
	}
	state.token = sessionStorage.getItem(TOKEN_KEY);
}

function showError(msg) {
	const e = $('error');
	e.textContent = msg || '';
	e.hidden = !msg;
}

async function api(path, opts) {
	const o = Object.assign({ headers: {} }, opts || {});
	o.headers.Authorization = 'Bearer ' + state.token;
	if (o.body !== undefined) {
		o.headers['Content-Type'] = 'application/json';
		o.body = JSON.stringify(o.body);
	}
	o.cache = 'no-store';
	const r = await fetch(path, o);
	if (r.status === 401) {
		sessionStorage.removeItem(TOKEN_KEY);
		state.token = null;
		$('auth').hidden = false;
		throw new Error('the API token was refused');
	}
	const body = r.status === 204 ? null : await r.json().catch(() => null);
	if (!r.ok)
		throw new Error((body && body.detail) || ('HTTP ' + r.status));
	return body;
}

function fmtSecs(s) {
	if (s === null || s === undefined || isNaN(s))
		return '–';
	s = Math.max(0, Math.round(s));
	const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
	const pad = (n) => String(n).padStart(2, '0');
	return (h ? h + ':' + pad(m) : m) + ':' + pad(r);
}

function fmtTime(ts) {
	if (!ts)
		return '';
	const d = new Date(ts);
	return isNaN(d) ? String(ts) : d.toLocaleString();
}

function statusLabel(s) {
	return STATUS_LABEL[s] || s || 'unknown';
}

/* ---- Live calls -------------------------------------------------- */

async function loadCalls() {
	const [live, recent] = await Promise.all([
		api('/api/calls'),
		api('/api/calls?status=all&limit=20'),
	]);
	const now = Date.now();
	const seen = new Map();
	for (const c of live.calls || [])
		seen.set(c.call_id, c);
	for (const c of recent.calls || []) {
		if (seen.has(c.call_id))
			continue;
		const end = Date.parse(c.ended_at || c.started_at);
		if (!ENDED.has(c.status) || now - end < RECENT_MS ||
		    c.call_id === state.selected)
			seen.set(c.call_id, c);
	}
	state.calls = seen;
	if (!state.selected && seen.size) {
		const first = [...seen.values()].find((c) => !ENDED.has(c.status));
		state.selected = (first || seen.values().next().value).call_id;
	}
	renderCallList();
	if (state.selected)
		await loadDetail();
}

function renderCallList() {
	const ul = $('call-list');
	ul.replaceChildren();
	for (const c of state.calls.values()) {
		const li = el('li', 'call' + (c.call_id === state.selected ? ' selected' : ''));
		li.dataset.callId = c.call_id;
		li.dataset.status = c.status;
		li.append(el('div', 'call-number', c.number || c.uri || c.call_id));
		const s = el('span', 'status s-' + c.status, statusLabel(c.status));
		li.append(s);
		const meta = el('div', 'muted small');
		meta.textContent = 'hold ' + fmtSecs(c.hold_time) +
		    (c.audio_type ? ' · ' + c.audio_type : '') +
		    ' · ' + fmtTime(c.started_at);
		li.append(meta);
		li.addEventListener('click', () => {
			state.selected = c.call_id;
			renderCallList();
			loadDetail().catch((e) => showError(e.message));
		});
		ul.append(li);
	}
	$('no-calls').hidden = state.calls.size > 0;
}

async function loadDetail() {
	const id = state.selected;
	const c = await api('/api/calls/' + encodeURIComponent(id));
	if (id !== state.selected)
		return;
	state.detail = c;
	renderDetail();
}

function eventTime(call, ev) {
	const t0 = Date.parse(call.started_at);
	const t = Date.parse(ev.ts);
	return isNaN(t0) || isNaN(t) ? null : (t - t0) / 1000;
}

function renderDetail() {
	const c = state.detail;
	$('detail').hidden = !c;
	if (!c)
		return;
	$('detail').dataset.callId = c.call_id;
	$('d-number').textContent = c.number || c.uri || c.call_id;
	$('d-intent').textContent = (c.intent ? c.intent + ' · ' : '') +
	    c.mode + ' · ' + c.call_id;
	const st = $('d-status');
	st.textContent = statusLabel(c.status);
	st.className = 'status s-' + c.status;
	st.dataset.status = c.status;
	$('d-hold').textContent = fmtSecs(c.hold_time);
	$('d-audio').textContent = c.audio_type || '–';
	$('d-duration').textContent = fmtSecs(c.duration);
	$('d-flow').textContent = c.flow_id || '–';
	const ended = ENDED.has(c.status);
	$('d-hangup').disabled = ended;
	$('d-transfer').disabled = ended || c.status === 'bridged';
	renderStrip(c);
	renderPath(c);
	renderTranscript(c);
	renderEvents(c);
	$('d-recording').textContent = c.recording ?
	    c.recording + ' (on the server; apid has no recording download)' :
	    'no recording yet';
	const f = $('d-failure');
	f.hidden = !c.failure;
	f.textContent = c.failure ? 'Failed: ' + (c.failure.reason || c.failure.code) : '';
}

/*
 * The strip: the call's time from start to now (or its end), coloured by
 * the company leg's audio class, with a mark per event of MARKS.
 */
function renderStrip(c) {
	const strip = $('d-strip');
	strip.replaceChildren();
	const byTs = new Map();
	for (const h of (state.classes.get(c.call_id) || []).concat(c.classification_history || []))
		if (!h.leg || h.leg === 'company')
			byTs.set(h.ts, h);
	const hist = [...byTs.values()]
	    .map((h) => ({ t: eventTime(c, h), cls: h.class || h.audio_type }))
	    .filter((h) => h.t !== null)
	    .sort((a, b) => a.t - b.t);
	const marks = (c.events || []).filter((e) => markLabel(e))
	    .map((e) => ({ t: eventTime(c, e), e }));
	let span = c.duration || 0;
	for (const x of hist.concat(marks))
		span = Math.max(span, x.t || 0);
	span = Math.max(span, 1);
	const pct = (t) => Math.min(100, Math.max(0, (t / span) * 100)) + '%';
	const classes = new Set();
	for (let i = 0; i < hist.length; i++) {
		const h = hist[i];
		const end = i + 1 < hist.length ? hist[i + 1].t : span;
		const seg = el('div', 'seg a-' + String(h.cls).replace(/[^a-z_]/g, ''));
		seg.style.left = pct(h.t);
		seg.style.width = Math.max(0.3, ((end - h.t) / span) * 100) + '%';
		seg.title = h.cls + ' at ' + fmtSecs(h.t);
		strip.append(seg);
		classes.add(h.cls);
	}
	/* Labels go on the first of four rows where they do not overlap. */
	const rowEnd = [-1, -1, -1, -1];
	for (const m of marks) {
		const mk = el('div', 'tl-mark m-' + m.e.type);
		mk.style.left = pct(m.t);
		const label = markLabel(m.e);
		const x = (m.t / span) * 100;
		let row = rowEnd.findIndex((end) => end < x);
		if (row < 0)
			row = rowEnd.indexOf(Math.min(...rowEnd));
		rowEnd[row] = x + label.length * 0.75 + 1;
		/* Near the right end a label grows leftwards, inside the strip. */
		mk.append(el('span', 'tl-label row' + row + (x > 85 ? ' right' : ''), label));
		mk.title = label + ' at ' + fmtSecs(m.t);
		mk.dataset.type = m.e.type;
		strip.append(mk);
	}
	const lg = $('d-legend');
	lg.replaceChildren();
	for (const k of classes) {
		const item = el('span', 'lg');
		item.append(el('i', 'sw a-' + String(k).replace(/[^a-z_]/g, '')), document.createTextNode(k));
		lg.append(item);
	}
}

/* The label of an event's mark on the timeline, or null for none. */
function markLabel(e) {
	const d = e.data || {};
	if (e.type === 'ivr_step')
		return /^(LISTEN|MENU)$/i.test(d.step_type || d.type || '') ? 'menu' : null;
	if (!MARKS[e.type])
		return null;
	if (e.type === 'ivr_dtmf_sent')
		return 'DTMF ' + (d.digits || '');
	if ((e.type === 'call_connected' || e.type === 'call_ended') && d.leg === 'user')
		return MARKS[e.type] + ' (you)';
	return MARKS[e.type];
}

/* The menu path: each flow step ivrd started, with the digits it sent. */
function renderPath(c) {
	const ol = $('d-path');
	ol.replaceChildren();
	for (const e of c.events || []) {
		const d = e.data || {};
		let text = null, cls = 'step';
		if (e.type === 'ivr_step')
			text = (d.description || d.step_id || '') +
			    (d.step_type || d.type ? ' (' + (d.step_type || d.type) + ')' : '');
		else if (e.type === 'ivr_dtmf_sent') {
			text = 'pressed ' + (d.digits || '');
			cls = 'step dtmf';
		} else if (e.type === 'ivr_menu_detected') {
			const opts = (d.options || []).map((o) => o.digit + ' ' + o.label).join(', ');
			text = 'menu: ' + (opts || d.transcript || d.text || '');
			cls = 'step menu';
		}
		if (text)
			ol.append(el('li', cls, text));
	}
	if (!ol.children.length)
		ol.append(el('li', 'muted', 'no menu yet'));
}

/* The transcript by speaker: transcript chunks and the menus read. */
function renderTranscript(c) {
	const ul = $('d-transcript');
	ul.replaceChildren();
	for (const e of c.events || []) {
		const d = e.data || {};
		let who = null, text = null;
		if (e.type === 'transcript_chunk') {
			who = d.speaker || d.leg || '?';
			text = d.text;
		} else if (e.type === 'ivr_menu_detected') {
			who = 'menu';
			text = d.transcript || d.text;
		} else if (e.type === 'human_detected' && d.transcript_excerpt) {
			who = 'agent';
			text = d.transcript_excerpt;
		}
		if (!text)
			continue;
		const li = el('li', 'line sp-' + String(who).replace(/[^a-z]/g, ''));
		li.append(el('span', 'who', who), el('span', 'when muted', fmtSecs(eventTime(c, e))),
		    el('span', 'text', text));
		ul.append(li);
	}
	if (!ul.children.length && c.transcript_excerpt)
		ul.append(el('li', 'line', c.transcript_excerpt));
	if (!ul.children.length)
		ul.append(el('li', 'muted', 'nothing transcribed yet'));
}

function renderEvents(c) {
	const ul = $('d-events');
	ul.replaceChildren();
	for (const e of c.events || []) {
		const li = el('li', 'ev');
		li.append(el('span', 'when muted', fmtSecs(eventTime(c, e))), el('span', 'type', e.type));
		const d = e.data || {};
		const brief = d.state || d.digits || d.step_id || d.audio_type || d.reason || '';
		if (brief)
			li.append(el('span', 'muted', ' ' + brief));
		ul.append(li);
	}
}

async function loadDevices() {
	const r = await api('/api/devices');
	state.devices = r.devices || r || [];
	const sel = $('d-device');
	sel.replaceChildren();
	for (const d of state.devices) {
		const o = el('option', null, d.name + (d.uri ? ' (' + d.uri + ')' : ''));
		o.value = d.id || d.name;
		sel.append(o);
	}
}

async function hangup() {
	const c = state.detail;
	if (!c || !confirm('Hang up the call to ' + (c.number || c.call_id) + '?'))
		return;
	try {
		await api('/api/calls/' + encodeURIComponent(c.call_id) + '/hangup',
		    { method: 'POST', body: {} });
		await loadCalls();
	} catch (e) {
		showError('Hang up: ' + e.message);
	}
}

async function transfer() {
	const c = state.detail;
	const dev = $('d-device').value;
	if (!c || !dev)
		return;
	try {
		await api('/api/calls/' + encodeURIComponent(c.call_id) + '/transfer',
		    { method: 'POST', body: { transfer_to: dev } });
		await loadCalls();
	} catch (e) {
		showError('Transfer: ' + e.message);
	}
}

/* Events arrive faster than the page needs: one reload per 300 ms. */
function scheduleRefresh() {
	if (state.refreshTimer)
		return;
	state.refreshTimer = setTimeout(() => {
		state.refreshTimer = null;
		if (currentView() === 'live')
			loadCalls().then(() => showError(null)).catch((e) => showError(e.message));
	}, 300);
}

function connectWs() {
	if (!state.token)
		return;
	const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
	const ws = new WebSocket(proto + '//' + location.host + '/ws/events?token=' +
	    encodeURIComponent(state.token));
	state.ws = ws;
	ws.onopen = () => {
		state.wsRetry = 1000;
		$('conn').textContent = 'live';
		$('conn').className = 'conn on';
		scheduleRefresh();
	};
	ws.onmessage = (m) => {
		let ev;
		try {
			ev = JSON.parse(m.data);
		} catch (e) {
			return;
		}
		if (!ev || !ev.call_id)
			return;
		if (ev.type === 'audio_classified' && ev.data) {
			const list = state.classes.get(ev.call_id) || [];
			list.push({ ts: ev.ts, leg: ev.data.leg, class: ev.data.class || ev.data.audio_type });
			if (list.length > CLASSES_MAX)
				list.splice(0, list.length - CLASSES_MAX);
			state.classes.set(ev.call_id, list);
		}
		if (ev.type !== 'audio_classified' || ev.call_id === state.selected)
			scheduleRefresh();
	};
	ws.onclose = () => {
		$('conn').textContent = 'offline';
		$('conn').className = 'conn off';
		state.ws = null;
		setTimeout(connectWs, state.wsRetry);
		state.wsRetry = Math.min(state.wsRetry * 2, 15000);
	};
}

/* ---- History ------------------------------------------------------ */

const charts = {};

function dayKey(ts) {
	const d = new Date(ts);
	return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) / 1000;
}

function drawChart(id, title, xs, series) {
	const box = $(id);
	if (charts[id])
		charts[id].destroy();
	box.replaceChildren();
	const width = Math.max(280, box.clientWidth || 480);
	const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined;
	const day = (v) => new Date(v * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
	charts[id] = new uPlot({
		width,
		height: 220,
		scales: {
			x: { time: true, range: (u, min, max) => [min - 43200, max + 43200] },
			y: { range: (u, min, max) => [0, Math.max(1, max * 1.15)] },
		},
		axes: [{ incrs: [86400, 7 * 86400, 30 * 86400], values: (u, vals) => vals.map(day) },
			{ label: title }],
		/* The first series as bars, the others as lines with points. */
		series: [{ value: (u, v) => v === null ? '--' : day(v) }].concat(series.map((s, i) => (i === 0 ? {
			label: s.label, stroke: s.color, fill: s.color + '88', paths: bars, points: { show: false },
		} : {
			label: s.label, stroke: s.color, width: 2, points: { show: true, size: 7, fill: s.color },
		}))),
	}, [xs].concat(series.map((s) => s.data)), box);
}

async function loadHistory() {
	const r = await api('/api/calls?status=all&limit=1000');
	const calls = r.calls || [];
	const days = new Map();
	for (const c of calls) {
		const k = dayKey(c.started_at);
		const d = days.get(k) || { n: 0, ok: 0, hold: 0, maxHold: 0 };
		d.n++;
		if (c.status === 'completed')
			d.ok++;
		d.hold += (c.hold_time || 0) / 60;
		d.maxHold = Math.max(d.maxHold, (c.hold_time || 0) / 60);
		days.set(k, d);
	}
	const xs = [...days.keys()].sort((a, b) => a - b);
	const get = (k, f) => (days.get(k) ? days.get(k)[f] : 0);
	drawChart('chart-calls', 'calls', xs, [
		{ label: 'calls', color: '#3b6fd8', data: xs.map((k) => get(k, 'n')) },
		{ label: 'completed', color: '#2f9e5b', data: xs.map((k) => get(k, 'ok')) },
	]);
	drawChart('chart-hold', 'minutes', xs, [
		{ label: 'average', color: '#d88a3b', data: xs.map((k) => get(k, 'n') ? get(k, 'hold') / get(k, 'n') : 0) },
		{ label: 'longest', color: '#b0413e', data: xs.map((k) => get(k, 'maxHold')) },
	]);
	const holds = calls.filter((c) => c.hold_time > 0);
	$('h-summary').textContent = (r.total || calls.length) + ' calls; ' +
	    calls.filter((c) => c.status === 'completed').length + ' completed; average hold ' +
	    fmtSecs(holds.reduce((a, c) => a + c.hold_time, 0) / (holds.length || 1));
	const tb = $('h-rows');
	tb.replaceChildren();
	for (const c of calls.slice(0, 200)) {
		const tr = el('tr');
		tr.append(el('td', null, fmtTime(c.started_at)), el('td', null, c.number || c.uri),
		    el('td', null, c.intent || ''), el('td', 'status s-' + c.status, statusLabel(c.status)),
		    el('td', null, fmtSecs(c.duration)), el('td', null, fmtSecs(c.hold_time)));
		tr.addEventListener('click', () => {
			state.selected = c.call_id;
			location.hash = '#/live';
		});
		tb.append(tr);
	}
}

/* ---- Flows -------------------------------------------------------- */

async function loadFlows() {
	const r = await api('/api/call-flows');
	const tb = $('f-rows');
	tb.replaceChildren();
	for (const f of r.flows || []) {
		const tr = el('tr', 'flow');
		tr.append(el('td', null, f.name || f.id), el('td', null, f.company || ''),
		    el('td', null, f.step_count), el('td', null, (f.success_count || 0) + ' / ' + (f.fail_count || 0)),
		    el('td', null, f.source || ''));
		tr.addEventListener('click', () => showFlow(f.id).catch((e) => showError(e.message)));
		tb.append(tr);
	}
	if (!tb.children.length)
		tb.append(el('tr')).append(el('td', 'muted', 'no flows loaded'));
}

function stepBox(s) {
	const box = el('div', 'box t-' + String(s.type || '').toLowerCase());
	box.append(el('div', 'box-type', s.type || '?'), el('div', 'box-desc', s.description || s.id || ''));
	const extra = s.dtmf ? 'press ' + s.dtmf : s.text || s.expect || '';
	if (extra)
		box.append(el('div', 'box-extra muted', extra));
	/* Nested steps (branches), whatever their key. */
	for (const [k, v] of Object.entries(s)) {
		if (Array.isArray(v) && v.length && typeof v[0] === 'object' && v[0] && v[0].type) {
			const sub = el('div', 'branch');
			sub.append(el('div', 'branch-name muted', k));
			sub.append(stepList(v));
			box.append(sub);
		}
	}
	return box;
}

function stepList(steps) {
	const col = el('div', 'steps');
	steps.forEach((s, i) => {
		if (i)
			col.append(el('div', 'arrow', '↓'));
		col.append(stepBox(s));
	});
	return col;
}

async function showFlow(id) {
	const f = await api('/api/call-flows/' + encodeURIComponent(id));
	const d = $('f-diagram');
	d.replaceChildren(el('h3', null, f.name || f.id), el('p', 'muted', f.description || ''),
	    stepList(f.steps || []));
}

/* ---- Views -------------------------------------------------------- */

function currentView() {
	const m = /^#\/(live|history|flows)/.exec(location.hash);
	return m ? m[1] : 'live';
}

function showView() {
	const v = currentView();
	for (const s of document.querySelectorAll('.view'))
		s.hidden = s.id !== 'view-' + v;
	for (const a of document.querySelectorAll('nav a'))
		a.classList.toggle('active', a.dataset.view === v);
	if (!state.token)
		return;
	const load = v === 'history' ? loadHistory : v === 'flows' ? loadFlows : loadCalls;
	load().then(() => showError(null)).catch((e) => showError(e.message));
}

function start() {
	takeToken();
	$('auth-save').addEventListener('click', () => {
		const t = $('auth-token').value.trim();
		if (!t)
			return;
		sessionStorage.setItem(TOKEN_KEY, t);
		state.token = t;
		$('auth-token').value = '';
		$('auth').hidden = true;
		loadDevices().catch(() => {});
		connectWs();
		showView();
	});
	$('d-hangup').addEventListener('click', hangup);
	$('d-transfer').addEventListener('click', transfer);
	window.addEventListener('hashchange', showView);
	$('auth').hidden = !!state.token;
	showView();
	if (!state.token)
		return;
	loadDevices().catch(() => {});
	connectWs();
	/* Hold time and duration move without events: a slow poll. */
	setInterval(() => {
		if (currentView() === 'live' && state.detail && !ENDED.has(state.detail.status))
			scheduleRefresh();
	}, 2000);
}

start();
