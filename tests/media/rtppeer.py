#!/usr/bin/env python3
"""A small RTP endpoint for the media tests.

run:   binds 127.0.0.1:PORT, sends a PCMU (or PCMA) sine tone to REMOTE every
       20 ms for SECONDS (optionally one RFC 4733 digit at a given second),
       and logs every packet it receives as one JSON line (wall-clock time,
       payload type, marker, seq, timestamp, and for audio its RMS in dBFS,
       for telephone events the event, E bit and duration).  --switch-at
       starts a new stream (SSRC, sequence, timestamp) at that second.
rms:   prints the RMS (dBFS) of the audio received in LOG between two times,
       and the fraction of its packets louder than -30 dBFS.
dtmf:  checks the RFC 4733 packets in LOG against the expected digits and
       pacing; prints what was wrong and exits 1, or prints a summary.
"""
import argparse, json, math, random, socket, struct, sys, time

def ulaw_enc(s):
    BIAS, CLIP = 0x84, 32635
    sign = 0x80 if s < 0 else 0
    if s < 0: s = -s
    s = min(s, CLIP) + BIAS
    exp, mask = 7, 0x4000
    while exp > 0 and not (s & mask):
        exp -= 1; mask >>= 1
    mant = (s >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF

def ulaw_dec(u):
    u = ~u & 0xFF
    sign, exp, mant = u & 0x80, (u >> 4) & 7, u & 0x0F
    s = ((mant << 3) + 0x84) << exp
    s -= 0x84
    return -s if sign else s

def alaw_dec(a):
    a ^= 0x55
    sign, exp, mant = a & 0x80, (a >> 4) & 7, a & 0x0F
    s = (mant << 4) + 8 if exp == 0 else ((mant << 4) + 0x108) << (exp - 1)
    return s if sign else -s

ULAW_DEC = [ulaw_dec(i) for i in range(256)]
ALAW_DEC = [alaw_dec(i) for i in range(256)]

def dbfs(samples):
    if not samples: return -100.0
    r = math.sqrt(sum(x * x for x in samples) / len(samples))
    return 20 * math.log10(r / 32768) if r > 0 else -100.0

def run(a):
    host, port = a.remote.rsplit(':', 1)
    remote = (host, int(port))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', a.port))
    s.setblocking(False)
    log = open(a.log, 'w', buffering=1)
    ssrc, seq, ts = random.getrandbits(32), random.getrandbits(16), random.getrandbits(32)
    start = time.time(); n = 0; phase = 0.0
    step = 2 * math.pi * a.freq / 8000
    dtmf_sent = 0
    switched = False
    while True:
        now = time.time()
        if now - start >= a.seconds: break
        due = start + n * 0.02
        if now >= due:
            t = n * 0.02
            if a.dtmf and a.dtmf_at <= t < a.dtmf_at + 0.2:
                # RFC 4733: 100 ms tone, 3 end packets, start timestamp kept
                k = int(round((t - a.dtmf_at) / 0.02))
                ev = '0123456789*#'.index(a.dtmf)
                if k < 5:
                    pkts = [(k == 0, 0, (k + 1) * 160)]
                elif k == 5:
                    pkts = [(False, 1, 800)] * 3
                else:
                    pkts = []
                if k == 0: a.ev_ts = ts
                for m, e, d in pkts:
                    hdr = struct.pack('!BBHII', 0x80, (0x80 if m else 0) | 101, seq & 0xFFFF, a.ev_ts & 0xFFFFFFFF, ssrc)
                    s.sendto(hdr + struct.pack('!BBH', ev, (e << 7) | 10, d), remote)
                    seq += 1; dtmf_sent += 1
            elif a.freq > 0:
                if a.switch_at and not switched and t >= a.switch_at:
                    # a new stream: SSRC, sequence and timestamp all jump
                    ssrc, seq, ts = ssrc ^ 0x5A5A5A5A, seq + 20000, ts + 123456789
                    switched = True
                pcm = []
                for _ in range(160):
                    pcm.append(int(a.amp * 32767 * math.sin(phase))); phase += step
                payload = bytes(ulaw_enc(x) for x in pcm)
                hdr = struct.pack('!BBHII', 0x80, 0, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
                s.sendto(hdr + payload, remote); seq += 1
            ts += 160; n += 1
        while True:
            try:
                pkt, _ = s.recvfrom(2048)
            except BlockingIOError:
                break
            if len(pkt) < 12: continue
            b0, b1, rseq, rts, rssrc = struct.unpack('!BBHII', pkt[:12])
            cc = b0 & 0x0F
            body = pkt[12 + 4 * cc:]
            pt, m = b1 & 0x7F, b1 >> 7
            rec = {'t': time.time(), 'pt': pt, 'm': m, 'seq': rseq, 'ts': rts}
            if pt in (0, 8):
                tab = ULAW_DEC if pt == 0 else ALAW_DEC
                rec['rms'] = round(dbfs([tab[x] for x in body]), 1)
                rec['n'] = len(body)
            elif len(body) >= 4:
                ev, fl, dur = struct.unpack('!BBH', body[:4])
                rec.update(ev=ev, e=fl >> 7, dur=dur)
            log.write(json.dumps(rec) + '\n')
        time.sleep(0.002)

def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

def rms(a):
    recs = [r for r in load(a.log) if 'rms' in r and r['t'] >= a.after and r['t'] <= a.before]
    if not recs:
        print(-100.0, 0.0); return
    # mean power over the packets, and the fraction of loud packets
    p = sum(10 ** (r['rms'] / 10) for r in recs) / len(recs)
    loud = sum(1 for r in recs if r['rms'] > -30) / len(recs)
    print(round(10 * math.log10(p) if p > 0 else -100.0, 1), round(loud, 2))

def dtmf(a):
    codes = '0123456789*#ABCD'
    evs = [r for r in load(a.log) if 'ev' in r]
    bad = []
    groups = []
    for r in evs:
        if not groups or groups[-1][0]['ts'] != r['ts']:
            groups.append([])
        groups[-1].append(r)
    got = ''.join(codes[g[0]['ev']] for g in groups)
    if got != a.digits:
        bad.append('digits %r, expected %r' % (got, a.digits))
    tone = a.duration_ms // 20
    for i, g in enumerate(groups):
        d = codes[g[0]['ev']]
        if not g[0]['m']: bad.append('digit %d (%s): first packet has no marker' % (i, d))
        if any(p['m'] for p in g[1:]): bad.append('digit %d: marker on a later packet' % i)
        ends = [p for p in g if p['e']]
        body = [p for p in g if not p['e']]
        if len(ends) != 3: bad.append('digit %d: %d end packets, expected 3' % (i, len(ends)))
        if [p['dur'] for p in body] != [160 * (k + 1) for k in range(tone)]:
            bad.append('digit %d: durations %s' % (i, [p['dur'] for p in body]))
        if any(p['dur'] != 160 * tone for p in ends): bad.append('digit %d: end durations %s' % (i, [p['dur'] for p in ends]))
        span = g[-1]['t'] - g[0]['t']
        # tone packets 20 ms apart, then three end packets: (tone+2)*20 ms
        want = (tone + 2) * 0.02
        if not (want - 0.04 <= span <= want + 0.06):
            bad.append('digit %d: packets span %.3f s, expected about %.3f s (paced, not a burst)' % (i, span, want))
        if i > 0:
            gap = g[0]['t'] - groups[i - 1][-1]['t']
            want_gap = max(a.gap_ms, 60) / 1000 - 0.04
            if gap < want_gap - 0.04:
                bad.append('digit %d: starts %.3f s after the previous ended' % (i, gap))
            if (g[0]['ts'] - groups[i - 1][0]['ts']) % (1 << 32) < 160 * (tone + max(a.gap_ms // 20, 3)):
                bad.append('digit %d: timestamp did not advance by tone + gap' % i)
    if bad:
        print('\n'.join(bad)); sys.exit(1)
    print('ok: %s in %d events, %d packets' % (got, len(groups), len(evs)))

p = argparse.ArgumentParser()
sp = p.add_subparsers(dest='cmd', required=True)
r = sp.add_parser('run'); r.add_argument('--port', type=int, required=True)
r.add_argument('--remote', required=True); r.add_argument('--seconds', type=float, default=10)
r.add_argument('--freq', type=float, default=440); r.add_argument('--amp', type=float, default=0.3)
r.add_argument('--dtmf', default=''); r.add_argument('--dtmf-at', type=float, default=1.0)
r.add_argument('--log', required=True)
r.add_argument('--switch-at', type=float, default=0)
q = sp.add_parser('rms'); q.add_argument('log'); q.add_argument('--after', type=float, default=0)
q.add_argument('--before', type=float, default=1e12)
d = sp.add_parser('dtmf'); d.add_argument('log'); d.add_argument('digits')
d.add_argument('--duration-ms', type=int, default=100); d.add_argument('--gap-ms', type=int, default=100)
a = p.parse_args()
{'run': run, 'rms': rms, 'dtmf': dtmf}[a.cmd](a)
