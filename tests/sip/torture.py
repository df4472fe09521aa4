#!/usr/bin/env python3
"""SIP datagrams to sipd on 127.0.0.1, for test_torture.sh and
test_torture_fuzz.sh (not a test by itself).

  torture.py table PORT DIR TSV   each DIR/FILE.dat against the TSV's code
  torture.py fuzz PORT DIR N SEED N mutated messages, then OPTIONS
  torture.py route PORT           RFC 3261 18.2.2 / RFC 3581 response routing
  torture.py size PORT            513 for a message over sipd's parser limit

Every message goes out from a fresh socket on 127.0.0.1, so that a late
answer (an INVITE's final response is retransmitted until ACKed) can never
be taken for the answer to a later message.

RFC 4475's messages name hosts and ports of their own in their Via, and
most carry no rport: RFC 3261 18.2.2 then sends the response to the
packet's source address (received=) but to the Via's sent-by port, which
is not ours.  So before sending, the sent-by of the top Via (only that,
folded or not) is rewritten to 127.0.0.1:OURPORT; every other byte is the
RFC's.  The "route" mode checks the routing rule itself.

"none" means no response: sipd handles datagrams in order, so once an
OPTIONS sent after the message is answered, the message has been dealt
with; anything it drew would have come first.
"""
import os
import random
import re
import socket
import sys
import time

WAIT = 20.0  # seconds for an answer on a slow, busy machine
VIA_RE = re.compile(
    rb"(?im)^(?:via|v)[ \t]*:[ \t\r\n]*"
    rb"(SIP[ \t\r\n]*/[ \t\r\n]*[0-9.]+[ \t\r\n]*/[ \t\r\n]*[A-Za-z]+)"
    rb"([ \t\r\n]+)([^;,\s]+)")


def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def rewrite_via(data, port):
    """The top Via's sent-by becomes 127.0.0.1:port."""
    head_end = data.find(b"\r\n\r\n")
    head = data if head_end < 0 else data[:head_end]
    m = VIA_RE.search(head)
    if m is None:
        return data
    return data[:m.start(3)] + b"127.0.0.1:%d" % port + data[m.end(3):]


def status(msg):
    m = re.match(rb"SIP/2\.0 (\d{3}) ", msg)
    return int(m.group(1)) if m else None


def header(msg, name):
    """Values of a header (long name only) in a response."""
    head = msg.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    return [l.split(":", 1)[1].strip() for l in head.split("\r\n")[1:]
            if ":" in l and l.split(":", 1)[0].strip().lower() == name]


def options(port, cid):
    return ("OPTIONS sip:sipd@127.0.0.1:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%%d;rport;branch=z9hG4bK%s\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:torture@127.0.0.1>;tag=t%s\r\n"
            "To: <sip:sipd@127.0.0.1>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n" % (port, cid, cid, cid))


def recv_final(s, deadline):
    """The first final response on s before deadline, or None."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            msg = s.recv(70000)
        except socket.timeout:
            return None
        code = status(msg)
        if code is not None and code >= 200:
            return msg


def ping(port, s=None):
    """OPTIONS round trip (from s if given), retransmitted as RFC 3261
    17.1.2.2 would (a datagram can be lost when sipd's socket buffer is
    full); returns what s got first (responses to something else) and
    whether the 200 came."""
    s = s or sock()
    cid = "ping%d" % random.randrange(1 << 30)
    req = (options(port, cid) % s.getsockname()[1]).encode()
    deadline = time.monotonic() + WAIT
    before = []
    t1 = 0.5
    while time.monotonic() < deadline:
        s.sendto(req, ("127.0.0.1", port))
        until = min(deadline, time.monotonic() + t1)
        t1 = min(t1 * 2, 4.0)
        while True:
            msg = recv_final(s, until)
            if msg is None:
                break
            if ("Call-ID: %s" % cid).encode() in msg:
                return before, status(msg) == 200
            before.append(msg)
    return before, False


def table(port, d, tsv):
    rows = [l.rstrip("\n").split("\t") for l in open(tsv)
            if l.strip() and not l.startswith("#")]
    good = 0
    for name, want, why in rows:
        s = sock()
        data = rewrite_via(open(os.path.join(d, name + ".dat"), "rb").read(),
                           s.getsockname()[1])
        s.sendto(data, ("127.0.0.1", port))
        if want == "none":
            before, alive = ping(port, s)
            got = "none" if not before else str(status(before[0]))
            if not alive:
                got = "no answer to OPTIONS afterwards"
            resp = None
        else:
            resp = recv_final(s, time.monotonic() + WAIT)
            got = str(status(resp)) if resp else "none"
        ok = got == want
        note = ""
        if ok and resp is not None:
            note = check_headers(int(want), resp)
            ok = note == ""
        good += ok
        print("%-11s want %-4s got %-4s %s%s" %
              (name, want, got, "ok" if ok else "MISMATCH", note))
        s.close()
    print("%d of %d answered as the table says" % (good, len(rows)))
    return 0 if good == len(rows) else 1


def check_headers(code, resp):
    """What a refusal must carry besides its code ("" if all there)."""
    warn = header(resp, "warning")
    if code in (400, 406, 416, 505) and not any(
            re.match(r'399 \S+ ".+"$', w) for w in warn):
        return " (no 399 Warning with a reason)"
    if code in (405, 501) and not header(resp, "allow"):
        return " (no Allow)"
    if code == 415 and "application/sdp" not in ",".join(
            header(resp, "accept")):
        return " (no Accept: application/sdp)"
    if code == 420 and not header(resp, "unsupported"):
        return " (no Unsupported)"
    return ""


def mutate(rng, data):
    kind = rng.randrange(6)
    b = bytearray(data)
    if kind == 0:  # byte flips
        for _ in range(rng.randrange(1, 12)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1:  # truncation
        del b[rng.randrange(1, len(b)):]
    elif kind == 2:  # a huge header
        at = data.find(b"\r\n") + 2
        b[at:at] = b"X-Huge: " + b"h" * rng.randrange(1000, 30000) + b"\r\n"
    elif kind == 3:  # a 60 KB datagram
        b += b"\0x" * 30000
    elif kind == 4:  # a line duplicated many times
        lines = bytes(b).split(b"\r\n")
        i = rng.randrange(len(lines))
        lines[i:i] = [lines[i]] * rng.randrange(2, 500)
        b = bytearray(b"\r\n".join(lines))
    else:  # CR/LF/colon/quote/angle soup
        for _ in range(rng.randrange(1, 20)):
            b[rng.randrange(len(b))] = rng.choice(b'\r\n:;"<>,\\ %\0')
    return bytes(b[:65000])


def fuzz(port, d, n, seed):
    rng = random.Random(seed)
    files = sorted(f for f in os.listdir(d) if f.endswith(".dat"))
    seeds = [open(os.path.join(d, f), "rb").read() for f in files]
    s = sock()
    for i in range(n):
        s.sendto(mutate(rng, rng.choice(seeds)), ("127.0.0.1", port))
        if i % 50 == 49 and not ping(port)[1]:
            print("no answer to OPTIONS after %d mutated messages" % (i + 1))
            return 1
    if not ping(port)[1]:
        print("no answer to OPTIONS after all %d mutated messages" % n)
        return 1
    print("sipd answered OPTIONS after %d mutated messages (seed %d)" %
          (n, seed))
    return 0


def route(port):
    """Without rport the answer goes to the Via's sent-by port; with
    rport, to the source port (RFC 3261 18.2.2, RFC 3581 4)."""
    src, other = sock(), sock()
    bad = 0
    for rport, want, name in ((False, other, "sent-by port"),
                              (True, src, "source port (rport)")):
        cid = "route%d" % random.randrange(1 << 30)
        msg = options(port, cid) % other.getsockname()[1]
        if not rport:
            msg = msg.replace(";rport", "")
        src.sendto(msg.encode(), ("127.0.0.1", port))
        got = recv_final(want, time.monotonic() + WAIT)
        ok = got is not None and status(got) == 200
        print("route: answer on the %s: %s" % (name, "ok" if ok else "NO"))
        bad += not ok
    return 1 if bad else 0


def size(port):
    """A request over the parser limit gets 513; one under it, 200."""
    bad = 0
    for pad, want in ((20000, 200), (40000, 513), (64000, 513)):
        s = sock()
        cid = "size%d" % random.randrange(1 << 30)
        msg = options(port, cid) % s.getsockname()[1]
        at = msg.index("Max-Forwards")
        msg = msg[:at] + "X-Pad: " + "p" * pad + "\r\n" + msg[at:]
        s.sendto(msg.encode(), ("127.0.0.1", port))
        got = recv_final(s, time.monotonic() + WAIT)
        code = status(got) if got else None
        print("size: %d-byte OPTIONS: want %d got %s" % (len(msg), want, code))
        bad += code != want
    return 1 if bad else 0


def main(a):
    if a[0] == "table":
        return table(int(a[1]), a[2], a[3])
    if a[0] == "fuzz":
        return fuzz(int(a[1]), a[2], int(a[3]), int(a[4]))
    if a[0] == "route":
        return route(int(a[1]))
    if a[0] == "size":
        return size(int(a[1]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
