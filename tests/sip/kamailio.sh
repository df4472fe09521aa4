# kamailio as a digest-auth SIP trunk on loopback, for the trunk tests
# (sourced after lib.sh).  kam_start PASSWORD [ALGORITHM] writes a config
# into $T, runs kamailio in the foreground on a free 127.0.0.1 port and
# waits until it answers over its ctl socket.  It is a registrar (usrloc in
# memory, REGISTER challenged with 401) and a proxy: an INVITE is
# challenged with 407, then relayed to 127.0.0.1:$KAM_UAS_PORT (set before
# calling).  No database: the one account (alice) has its password in the
# config.  Sets KAM_PORT and kam_rpc (kamcmd over the ctl socket).

KAM_MODULES=/usr/lib/x86_64-linux-gnu/kamailio/modules

kam_start() { # password [MD5|SHA-256 [port]]
	KAM_PORT=${3:-$(free_port)} || fail "no free port for kamailio"
	kam_alg=${2:-MD5}
	cat >"$T/kamailio.cfg" <<KAM
#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:127.0.0.1:$KAM_PORT
alias="127.0.0.1:$KAM_PORT"
dns=no
rev_dns=no
auto_aliases=no
mpath="$KAM_MODULES/"
loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
loadmodule "ctl.so"
modparam("usrloc", "db_mode", 0)
modparam("ctl", "binrpc", "unix:$T/kamailio.ctl")
modparam("auth", "algorithm", "$kam_alg")

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (has_totag()) {
		if (loose_route()) {
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans())
				t_relay();
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans())
			t_relay();
		exit;
	}
	if (is_method("OPTIONS")) {
		sl_send_reply("200", "OK");
		exit;
	}
	if (is_method("REGISTER")) {
		if (!pv_www_authenticate("trunk.test", "$1", "0")) {
			xlog("L_NOTICE", "kam: REGISTER challenged\n");
			www_challenge("trunk.test", "0");
			exit;
		}
		if (\$au != "alice") {
			sl_send_reply("403", "Forbidden");
			exit;
		}
		xlog("L_NOTICE", "kam: REGISTER of \$tu accepted\n");
		save("location");
		exit;
	}
	if (is_method("INVITE")) {
		if (!pv_proxy_authenticate("trunk.test", "$1", "0")) {
			xlog("L_NOTICE", "kam: INVITE challenged\n");
			proxy_challenge("trunk.test", "0");
			exit;
		}
		xlog("L_NOTICE", "kam: INVITE of \$fu to \$ru accepted\n");
		consume_credentials();
		record_route();
		\$du = "sip:127.0.0.1:$KAM_UAS_PORT";
		t_relay();
		exit;
	}
	sl_send_reply("405", "Method Not Allowed");
}
KAM
	kamailio -c -f "$T/kamailio.cfg" >"$T/kamailio-check.log" 2>&1 ||
		fail "kamailio rejects its config: $(tail -n 5 "$T/kamailio-check.log")"
	kamailio -f "$T/kamailio.cfg" -DD -E -m 32 -M 8 -P "$T/kamailio.pid" \
		-Y "$T" >"$T/kamailio.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	until kam_rpc core.version >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "kamailio does not answer on its ctl socket"
		sleep 0.1
	done
}

kam_rpc() {
	kamcmd -s "unix:$T/kamailio.ctl" "$@"
}
