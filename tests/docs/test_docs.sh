#!/bin/sh
# Documentation checks: every config key of common/conf_keys.h and every
# event type of common/msg_types.h is documented; every program has a man
# page and a --help; man pages are lint-clean.
. "$(dirname "$0")/../lib.sh"
cd "$HS_TOP" || exit 1
missing=""
for k in $(sed -n 's/^[[:space:]]*X(\([a-z_]*\), \([a-z_]*\),.*/\1.\2/p' common/conf_keys.h); do
	key=${k#*.}
	grep -q "Cm .*\\b$key\\b" man/holdslayer.conf.5 || missing="$missing $k"
done
[ -z "$missing" ] || fail "config keys not in holdslayer.conf(5):$missing"
ok "every config key documented"
missing=""
for t in $(sed -n 's/^[[:space:]]*X(\([a-z_]*\), ".*/\1/p' common/msg_types.h); do
	grep -q "^\\.It Li .*\\b$t\\b" man/holdslayer-bus.7 || missing="$missing $t"
done
[ -z "$missing" ] || fail "event types not in holdslayer-bus(7):$missing"
ok "every event type documented"
for p in sipd mediad classifyd ivrd apid notifyd; do
	[ -f "man/$p.8" ] || fail "no man page for $p"
	[ -f "$p/holdslayer-$p.service" ] || fail "no systemd unit for $p"
	grep -q '^Type=notify' "$p/holdslayer-$p.service" || fail "$p unit is not Type=notify"
	"$HS_BUILD/$p" --help | grep -q "usage: $p" || fail "$p --help has no usage"
done
for p in holdctl hsbus ivrsim; do
	ls man/$p.[0-9] >/dev/null 2>&1 || fail "no man page for $p"
done
"$HS_BUILD/holdctl" --help >/dev/null 2>&1 || fail "holdctl --help failed"
for m in man/*.[0-9]; do
	out=$(mandoc -Tlint -W warning "$m" 2>&1)
	[ -z "$out" ] || fail "$out"
done
ok "man pages present and lint-clean, --help everywhere"
