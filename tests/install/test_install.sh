#!/bin/sh
# `make install PREFIX= DESTDIR=` lays out the daemons, holdctl, man pages,
# flows, an example config and one Type=notify systemd unit per daemon with
# real paths; systemd-analyze verify accepts every unit (stderr counts as a
# failure, since it exits 0 on warnings).
. "$(dirname "$0")/../lib.sh"
cd "$HS_TOP" || exit 1
D=$T/root
# A copy of the build: installing for /usr rebuilds the objects that hold
# the compiled-in paths, and the other tests run the /usr/local build.
cp -a "$HS_BUILD" "$T/build"
make -s install BUILD="$T/build" PREFIX=/usr DESTDIR="$D" SYSCONFDIR=/etc >"$T/install.log" 2>&1 ||
	fail "make install failed: $(tail -n 5 "$T/install.log")"
for p in "$D/usr/sbin/apid" "$D/usr/bin/holdctl" "$D/usr/bin/hsbus"; do
	grep -a -q '/etc/holdslayer.conf' "$p" || fail "$p does not read /etc/holdslayer.conf"
	grep -a -q '/usr/local/etc' "$p" && fail "$p still reads /usr/local/etc"
done
grep -a -q '/usr/share/holdslayer/flows' "$D/usr/sbin/ivrd" || fail "ivrd's flows are not under /usr/share"
ok "installed for PREFIX=/usr: the programs read /etc/holdslayer.conf (rebuilt, not the /usr/local build)"
[ -x "$D/usr/bin/hsbus" ] || fail "no hsbus in bin"
"$D/usr/bin/hsbus" --help | grep -q "^usage: hsbus" || fail "hsbus --help"
[ -f "$D/usr/share/man/man1/hsbus.1" ] || fail "no hsbus(1)"
for d in sipd mediad classifyd ivrd apid notifyd; do
	[ -x "$D/usr/sbin/$d" ] || fail "no $d in sbin"
	u=$D/usr/lib/systemd/system/holdslayer-$d.service
	[ -f "$u" ] || fail "no unit for $d"
	grep -q "^ExecStart=/usr/sbin/$d -f /etc/holdslayer.conf" "$u" || fail "unit $d: ExecStart not substituted: $(grep ExecStart "$u")"
	grep -q '@' "$u" && fail "unit $d still has @placeholders@"
	[ -f "$D/usr/share/man/man8/$d.8" ] || fail "no man page for $d"
done
[ -x "$D/usr/bin/holdctl" ] || fail "no holdctl in bin"
[ -f "$D/usr/share/man/man1/holdctl.1" ] || fail "no holdctl(1)"
[ -f "$D/usr/share/man/man5/holdslayer.conf.5" ] || fail "no holdslayer.conf(5)"
[ -f "$D/usr/share/man/man7/holdslayer-bus.7" ] || fail "no holdslayer-bus(7)"
ls "$D"/usr/share/holdslayer/flows/*.json >/dev/null 2>&1 || fail "no flows installed"
for f in index.html app.js app.css vendor/uPlot.iife.min.js vendor/uPlot.min.css vendor/uPlot.LICENSE; do
	[ -f "$D/usr/share/holdslayer/www/$f" ] || fail "dashboard file www/$f not installed"
done
grep -a -q '/usr/share/holdslayer/www' "$D/usr/sbin/apid" || fail "apid's www_dir is not under /usr/share"
[ -f "$D/etc/holdslayer.conf" ] || fail "no example config"
"$D/usr/sbin/notifyd" -n -f "$D/etc/holdslayer.conf" >/dev/null || fail "installed example config does not load"
ok "installed tree complete"
if command -v systemd-analyze >/dev/null; then
	# Point the units at the staged binaries so verify can check them.
	mkdir -p "$T/units"
	for u in "$D"/usr/lib/systemd/system/*.service; do
		sed "s|/usr/sbin/|$D/usr/sbin/|" "$u" >"$T/units/$(basename "$u")"
	done
	systemd-analyze verify --man=no "$T"/units/*.service >"$T/verify.out" 2>&1
	rc=$?
	# Lines about the host's own units are not ours.
	grep -v -e '^/lib/systemd' -e '^/usr/lib/systemd/system/[^h]' -e 'not running' "$T/verify.out" | grep holdslayer >"$T/ours" 
	[ $rc -eq 0 ] && [ ! -s "$T/ours" ] || fail "systemd-analyze verify: $(cat "$T/verify.out")"
	ok "systemd-analyze verify: clean"
fi
