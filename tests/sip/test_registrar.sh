#!/bin/sh
# sipd as the registrar of the user's softphones ([phones]): a REGISTER
# without credentials gets 401 with a SHA-256 and an MD5 challenge; the
# right answer (either digest) gets 200 with Contact;expires and a
# phone_registered event, and shows in sipd's status; a wrong password
# gets 403; a right answer to a forgotten nonce gets 401 stale=true; a
# short binding expires (phone_unregistered, reason expired); Expires: 0
# and Contact: * unregister.  A new INVITE from sipp on an address no phone
# registered from gets 403; once a phone registered from there, 404 for a
# user that is no phone and 480 for a phone that is not registered.
set -u
. "$(dirname "$0")/lib.sh"

need "$HS_BUILD/sipd" "sipd not built"
need "$HS_BUILD/hsbus" "hsbus not built"
need python3 "python3 not installed"
need jq "jq not installed"
need sipp "sipp not installed"

printf 'alice-secret\n' >"$T/alice.pass"
chmod 600 "$T/alice.pass"
BOB_PW=bob-secret
export BOB_PW
write_conf "[phones]" "alice = file:$T/alice.pass" "bob = env:BOB_PW"
start sipd
subscribe
grep -q "secret" "$T/sipd.log" && fail "a password is in sipd's log"

# sipp (not a phone) calls first: refused, sipd relays nothing.
cat >"$T/uac_invite.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="invite from an unknown host">
  <send><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:caller@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="[$1]"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:caller@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

  ]]></send>
</scenario>
XML
# invite CODE USER: sipp's INVITE to USER@sipd gets CODE.
invite() {
	sed "s/\[\$1\]/$1/" "$T/uac_invite.xml" >"$T/uac_$1.xml"
	timeout 30 sipp -sf "$T/uac_$1.xml" -i 127.0.0.1 -p "$(free_port)" \
		-s "$2" -m 1 -timeout 20s -timeout_error -nostdin \
		127.0.0.1:"$SIP_PORT" >"$T/sipp_$1.out" 2>&1 ||
		fail "INVITE for $2: not answered $1 ($(tail -3 "$T/sipp_$1.out"))"
}
invite 403 alice

python3 - "$SIP_PORT" >"$T/reg.out" 2>&1 <<'PY' || fail "registrar: $(cat "$T/reg.out")"
import hashlib, re, socket, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(10)
me = s.getsockname()[1]
cseq = [0]

def register(user, contact="", expires=None, auth=None, callid="reg1"):
    cseq[0] += 1
    h = [f"REGISTER sip:127.0.0.1:{port} SIP/2.0",
         f"Via: SIP/2.0/UDP 127.0.0.1:{me};rport;branch=z9hG4bKr{callid}{cseq[0]}",
         "Max-Forwards: 70",
         f"From: <sip:{user}@127.0.0.1>;tag=f{user}",
         f"To: <sip:{user}@127.0.0.1>",
         f"Call-ID: {callid}@t", f"CSeq: {cseq[0]} REGISTER"]
    if contact:
        h.append(f"Contact: {contact}")
    if expires is not None:
        h.append(f"Expires: {expires}")
    if auth:
        h.append("Authorization: " + auth)
    s.sendto(("\r\n".join(h) + "\r\nContent-Length: 0\r\n\r\n").encode(),
             ("127.0.0.1", port))
    while True:
        r = s.recv(65536).decode()
        if f"CSeq: {cseq[0]} REGISTER" in r:
            return r

def code(r):
    return int(r.split(" ")[1])

def challenges(r):
    return [l.split(":", 1)[1].strip() for l in r.split("\r\n")
            if l.lower().startswith("www-authenticate:")]

def param(ch, name):
    m = re.search(name + r'="?([^",]+)"?', ch)
    return m.group(1) if m else None

def answer(ch, user, pw, uri):
    alg = param(ch, "algorithm")
    H = (lambda x: hashlib.sha256(x.encode()).hexdigest()) if alg == "SHA-256" \
        else (lambda x: hashlib.md5(x.encode()).hexdigest())
    realm, nonce = param(ch, "realm"), param(ch, "nonce")
    ha1 = H(f"{user}:{realm}:{pw}")
    ha2 = H(f"REGISTER:{uri}")
    resp = H(f"{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}")
    return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", '
            f'uri="{uri}", response="{resp}", algorithm={alg}, qop=auth, '
            f'nc=00000001, cnonce="c0ffee"')

def expect(r, c, what):
    if code(r) != c:
        print(f"{what}: expected {c}, got {r.splitlines()[0]}")
        sys.exit(1)
    print(f"{what}: {r.splitlines()[0]}")

uri = f"sip:127.0.0.1:{port}"
ct = f"<sip:alice@127.0.0.1:{me}>"
r = register("alice", ct, 60)
expect(r, 401, "no credentials")
chs = challenges(r)
algs = [param(c, "algorithm") for c in chs]
if algs != ["SHA-256", "MD5"] or not all(param(c, "qop") == "auth" for c in chs):
    print("challenges:", chs); sys.exit(1)
if len(set(param(c, "nonce") for c in chs)) != 2 or \
        not all(re.fullmatch(r"[0-9a-f]{32}", param(c, "nonce")) for c in chs):
    print("nonces not fresh random hex:", chs); sys.exit(1)

expect(register("alice", ct, 60, answer(chs[0], "alice", "wrong", uri)),
       403, "SHA-256, wrong password")
r = register("alice", ct, 60, answer(chs[0], "alice", "alice-secret", uri))
expect(r, 200, "SHA-256, right password")
if not re.search(r"Contact: <sip:alice@127\.0\.0\.1:%d>;expires=(60|59)" % me, r):
    print("no Contact;expires in the 200:", r); sys.exit(1)
# The MD5 challenge too, for bob whose password comes from the environment.
r = register("bob", "<sip:bob@127.0.0.1:%d>" % me, 1, callid="bob")
ch = [c for c in challenges(r) if param(c, "algorithm") == "MD5"][0]
expect(register("bob", "<sip:bob@127.0.0.1:%d>" % me, 1,
                answer(ch, "bob", "bob-secret", uri), callid="bob"),
       200, "MD5, bob, 1 s")
# alice's credentials for bob's address-of-record: refused.
r = register("alice", ct, 60)
ch = challenges(r)[0]
a = answer(ch, "alice", "alice-secret", uri)
expect(register("bob", ct, 60, a, callid="x"), 403, "alice as bob")
# A nonce sipd never gave, right password: stale.
fake = ch.replace(param(ch, "nonce"), "0" * 32)
r = register("alice", ct, 60, answer(fake, "alice", "alice-secret", uri))
expect(r, 401, "unknown nonce")
if not all("stale=true" in c for c in challenges(r)):
    print("no stale=true:", challenges(r)); sys.exit(1)
print("ok")
PY
cat "$T/reg.out"

ev=$(wait_event 20 '.type=="phone_registered" and .data.phone=="alice"') ||
	fail "no phone_registered for alice"
echo "$ev" | jq -e '.data.expires > 50 and (.data.address | startswith("127.0.0.1:"))' \
	>/dev/null || fail "phone_registered lacks expires or address: $ev"
wait_event 20 '.type=="phone_unregistered" and .data.phone=="bob" and .data.reason=="expired"' \
	>/dev/null || fail "bob's 1 s binding did not expire"
st=$(bus_req sipd '{"cmd":"status"}') || fail "no status"
echo "$st" | jq -e '[.registrations[] | select(.phone=="alice" and .expires_in_s > 0)] | length == 1' \
	>/dev/null || fail "alice not in status registrations: $st"
echo "$st" | jq -e '[.registrations[] | select(.phone=="bob")] | length == 0' \
	>/dev/null || fail "bob's expired binding still in status: $st"

# Now 127.0.0.1 is a registered phone's address.
invite 404 nobody
invite 480 bob

# Unregistering: Contact: * with Expires: 0.
python3 - "$SIP_PORT" >"$T/unreg.out" 2>&1 <<'PY' || fail "unregister: $(cat "$T/unreg.out")"
import hashlib, re, socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); s.settimeout(10)
me = s.getsockname()[1]
def reg(n, extra):
    m = (f"REGISTER sip:127.0.0.1:{port} SIP/2.0\r\n"
         f"Via: SIP/2.0/UDP 127.0.0.1:{me};rport;branch=z9hG4bKu{n}\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=u\r\n"
         "To: <sip:alice@127.0.0.1>\r\nCall-ID: unreg@t\r\n"
         f"CSeq: {n} REGISTER\r\nContact: *\r\nExpires: 0\r\n{extra}"
         "Content-Length: 0\r\n\r\n")
    s.sendto(m.encode(), ("127.0.0.1", port))
    return s.recv(65536).decode()
r = reg(1, "")
ch = [l.split(":", 1)[1].strip() for l in r.split("\r\n")
      if l.startswith("WWW-Authenticate:")][0]
p = lambda n: re.search(n + r'="?([^",]+)"?', ch).group(1)
H = lambda x: hashlib.sha256(x.encode()).hexdigest()
uri = f"sip:127.0.0.1:{port}"
resp = H(f"{H('alice:' + p('realm') + ':alice-secret')}:{p('nonce')}:00000001:ab:auth:{H('REGISTER:' + uri)}")
r = reg(2, f'Authorization: Digest username="alice", realm="{p("realm")}", '
           f'nonce="{p("nonce")}", uri="{uri}", response="{resp}", '
           'algorithm=SHA-256, qop=auth, nc=00000001, cnonce="ab"\r\n')
print(r.splitlines()[0])
sys.exit(0 if r.startswith("SIP/2.0 200") and "Contact:" not in r else 1)
PY
wait_event 20 '.type=="phone_unregistered" and .data.phone=="alice" and .data.reason=="unregistered"' \
	>/dev/null || fail "no phone_unregistered for alice's Contact: *"
st=$(bus_req sipd '{"cmd":"status"}') || fail "no status"
echo "$st" | jq -e '.registrations | length == 0' >/dev/null ||
	fail "bindings left after Contact: *: $st"
grep -q "secret" "$T/sipd.log" "$T/events.jsonl" && fail "a password leaked"
kill -0 "$PID_sipd" || fail "sipd exited"
echo "registrar: challenges, digests, expiry, unregister and INVITE refusals as documented"
