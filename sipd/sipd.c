/*
 * sipd: main() and the glue to the daemon loop.  The UDP socket, the TCP
 * and TLS listeners and connections (stream.c) are watched by the loop; every SIPD_TICK_MS, after each batch of packets and after
 * each control command, sipd_run() drives osip's timers and transaction
 * state machines (the timers on the tick only, the machines at most once
 * per loop turn: both cost time in proportion to the transactions).
 * Control commands (holdslayer-bus(7)):
 *   dial   {call_id, leg, uri} -> {ok} at once; progress comes as events
 *          (503 at once when [sip] max_pending legs already wait for
 *          mediad, or some wait and its last answer took over half of
 *          ctl_timeout_ms)
 *   hangup {call_id, leg?}     -> {ok, legs: N}; CANCEL or BYE per leg
 *   dtmf   {call_id, leg, digits, duration_ms?} -> {ok, queued: N}; one
 *          SIP INFO (application/dtmf-relay) per digit, in order
 * plus ping and status from the common daemon code.
 */
#include "sipd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/*
 * Runs osip's transaction machines until their fifos are empty and frees
 * the transactions killed meanwhile.  O(transactions): sipd_run() asks for
 * it once per loop turn however many packets and commands the turn had.
 */
void
sipd_run_now(struct sipd *sd)
{
	osip_transaction_t *tr;

	/* Twice: a callback of one machine may queue work for another. */
	for (int i = 0; i < 2; i++) {
		osip_ict_execute(sd->osip);
		osip_nict_execute(sd->osip);
		osip_ist_execute(sd->osip);
		osip_nist_execute(sd->osip);
	}
	/* Transactions killed during the turn are freed only now: osip is
	 * still iterating over them while the kill callbacks run. */
	while ((tr = osip_list_get(&sd->garbage, 0)) != NULL) {
		osip_list_remove(&sd->garbage, 0);
		osip_transaction_free2(tr);
	}
}

static void
sipd_run_cb(struct daemon *d, void *arg)
{
	struct sipd *sd = arg;

	(void)d;
	sd->run = 0;
	sipd_run_now(sd);
}

void
sipd_run(struct sipd *sd)
{
	int64_t id;

	if (sd->run > 0)
		return;
	/* A zero-delay timer runs at the top of the next loop turn, before
	 * the loop sleeps again. */
	id = daemon_timer_add(sd->d, 0, sipd_run_cb, sd);
	if (id > 0)
		sd->run = id;
	else
		sipd_run_now(sd);
}

static void
sipd_tick_cb(struct daemon *d, void *arg)
{
	struct sipd *sd = arg;

	osip_timers_ict_execute(sd->osip);
	osip_timers_nict_execute(sd->osip);
	osip_timers_ist_execute(sd->osip);
	osip_timers_nist_execute(sd->osip);
	sipd_run_now(sd);
	sipd_legs_sweep(sd);
	sipd_registrar_sweep(sd);
	sd->tick = daemon_timer_add(d, SIPD_TICK_MS, sipd_tick_cb, sd);
	if (sd->tick < 0)
		fatalx("loop: no timer left for the SIP tick");
}

/* osip's own diagnostics, as one debug line each. */
static void
sipd_osip_trace(const char *fi, int li, osip_trace_level_t level,
		const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	(void)level;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	log_debug("osip: %s:%d: %s", fi, li, buf);
}

static int
sipd_init(struct daemon *d, void *state)
{
	struct sipd *sd = state;
	char err[256];

	sd->d = d;
	sd->fd = -1;
	sd->stream_fd = -1;
	sd->tls_fd = -1;
	osip_list_init(&sd->garbage);
	osip_trace_initialize_func(OSIP_INFO1, sipd_osip_trace);
	parser_init();
	if (osip_init(&sd->osip) != 0) {
		log_warnx("osip: initialisation failed");
		return -ENOMEM;
	}
	osip_set_application_context(sd->osip, sd);
	osip_set_cb_send_message(sd->osip, sipd_transport_send_cb);
	sipd_dialog_set_callbacks(sd->osip);
	if (sipd_resolve_init(sd, daemon_conf(d)->sip_dns_servers, err,
			      sizeof(err)) < 0) {
		log_warnx("resolve: %s", err);
		return -EINVAL;
	}
	sipd_trunk_set_callbacks(sd);
	if (sipd_trunk_load(sd, daemon_conf(d), err, sizeof(err)) < 0) {
		log_warnx("trunk: %s", err);
		return -EINVAL;
	}
	if (sipd_registrar_load(sd, daemon_conf(d), err, sizeof(err)) < 0) {
		log_warnx("registrar: %s", err);
		return -EINVAL;
	}
	if (sipd_transport_open(sd, daemon_conf(d)->sip_listen, err,
				sizeof(err)) < 0) {
		log_warnx("transport: %s", err);
		return -EADDRNOTAVAIL;
	}
	sd->tick = daemon_timer_add(d, SIPD_TICK_MS, sipd_tick_cb, sd);
	sipd_register_start(sd);
	sipd_trunk_keepalive_start(sd);
	return sd->tick > 0 ? 0 : (int)sd->tick;
}

static int
sipd_ctl(struct daemon *d, void *state, struct bus_ctl_req *req)
{
	struct sipd *sd = state;
	struct bus *b = daemon_bus(d);
	const char *call_id = bus_json_str(req->req, "call_id");
	const char *leg = bus_json_str(req->req, "leg");
	char err[300];
	int r;

	if (strcmp(req->cmd, "dial") == 0) {
		long cap = daemon_conf(d)->sip_max_pending;
		int64_t slow = daemon_conf(d)->ctl_timeout_ms / 2;
		/* mediad is not keeping up: say so now rather than let the
		 * calls time out one by one.  Too many waiting, or the last
		 * answer took over half the time allowed while more wait
		 * (once none waits, the next dial tries again). */
		if (sd->media_waiting >= cap ||
		    (sd->media_waiting > 0 && sd->media_slow > slow)) {
			log_warnx("ctl: dial %s refused: %d calls wait for "
				  "mediad, its last answer took %lld ms",
				  call_id ? call_id : "?", sd->media_waiting,
				  (long long)sd->media_slow);
			return bus_ctl_reply_err(
			    b, req, 503,
			    "dial: sipd is overloaded: %d calls wait for "
			    "mediad (at most %ld, [sip] max_pending) and its "
			    "last answer took %lld ms; try again later",
			    sd->media_waiting, cap, (long long)sd->media_slow);
		}
		r = sipd_dial(sd, call_id, leg, bus_json_str(req->req, "uri"),
			      err, sizeof(err));
		if (r < 0) {
			log_warnx("ctl: %s", err);
			return bus_ctl_reply_err(b, req, r == -EEXIST ? 409 : 400,
						 "%s", err);
		}
		return bus_ctl_reply_ok(b, req, NULL);
	}
	if (strcmp(req->cmd, "hangup") == 0) {
		json_object *o;
		if (call_id == NULL || *call_id == '\0')
			return bus_ctl_reply_err(b, req, 400,
						 "hangup: missing call_id");
		if (json_object_object_get_ex(req->req, "leg", NULL) &&
		    (leg == NULL || msg_leg_from_name(leg) < 0))
			return bus_ctl_reply_err(
			    b, req, 400,
			    "hangup: leg must be \"company\" or \"user\"");
		r = sipd_hangup(sd, call_id, leg);
		o = json_object_new_object();
		json_object_object_add(o, "legs", json_object_new_int(r));
		return bus_ctl_reply_ok(b, req, o);
	}
	if (strcmp(req->cmd, "dtmf") == 0) {
		json_object *o;
		r = sipd_info_dtmf(sd, call_id, leg,
				   bus_json_str(req->req, "digits"),
				   bus_json_int(req->req, "duration_ms", 0),
				   err, sizeof(err));
		if (r < 0) {
			log_warnx("ctl: %s", err);
			return bus_ctl_reply_err(
			    b, req,
			    r == -ENOENT ? 404 : r == -EBUSY ? 409 : 400, "%s",
			    err);
		}
		o = json_object_new_object();
		json_object_object_add(o, "queued", json_object_new_int(r));
		return bus_ctl_reply_ok(b, req, o);
	}
	return -ENOENT;
}

static void
sipd_status(struct daemon *d, void *state, json_object *reply)
{
	struct sipd *sd = state;
	json_object *legs = json_object_new_array();

	json_object_object_add(reply, "dialogs",
			       json_object_new_int(sipd_legs_active(sd)));
	json_object_object_add(reply, "listen",
			       json_object_new_string(sd->listen_host));
	json_object_object_add(reply, "port", json_object_new_int(sd->port));
	json_object_object_add(reply, "starting",
			       json_object_new_int(sd->media_waiting));
	json_object_object_add(reply, "loop_max_gap_ms",
			       json_object_new_int64(daemon_loop_max_gap_ms(d)));
	sipd_legs_status(sd, legs);
	json_object_object_add(reply, "legs", legs);
	sipd_register_status(sd, reply);
	sipd_registrar_status(sd, reply);
}

static void
sipd_reload(struct daemon *d, void *state, const struct conf *old)
{
	struct sipd *sd = state;
	const struct conf *c = daemon_conf(d);
	const char *dns = c->sip_dns_servers;
	char err[300];

	if (strcmp(old->sip_dns_servers, dns) != 0 && dns[0] == '\0')
		log_notice("reload: [sip] dns_servers emptied; the servers of "
			   "resolv.conf take over on restart");
	else if (strcmp(old->sip_dns_servers, dns) != 0 &&
		 sipd_resolve_servers(sd, dns, err, sizeof(err)) < 0)
		log_warnx("reload: %s; the old DNS servers stay", err);
	if (strcmp(old->sip_listen, c->sip_listen) != 0)
		log_notice("reload: [sip] listen changed; it takes effect on "
			   "restart");
	/* The password may have been rotated; a bad one keeps the old. */
	if (sipd_trunk_load(sd, c, err, sizeof(err)) < 0)
		log_warnx("reload: %s; keeping the trunk password and domain "
			  "read before",
			  err);
	if (sipd_registrar_load(sd, c, err, sizeof(err)) < 0)
		log_warnx("reload: %s; keeping the [phones] read before", err);
	if (strcmp(old->trunk_proxy, c->trunk_proxy) != 0 ||
	    old->trunk_register != c->trunk_register ||
	    strcmp(old->trunk_username, c->trunk_username) != 0)
		log_notice("reload: [trunk] proxy, username or register "
			   "changed; the registration follows on restart");
}

static void
sipd_fini(struct daemon *d, void *state)
{
	struct sipd *sd = state;

	(void)d;
	sipd_trunk_keepalive_stop(sd);
	sipd_legs_shutdown(sd);
	/* The loop is over: send the CANCELs and BYEs now. */
	sipd_run_now(sd);
	sipd_register_stop(sd, SIPD_UNREGISTER_WAIT_MS);
	sipd_transport_close(sd);
	while (sd->legs) {
		struct sipd_leg *l = sd->legs;
		l->state = SIPD_LEG_DONE;
		l->refs = 0;
		sipd_legs_sweep(sd);
		if (sd->legs == l) /* cannot happen; stay safe */
			break;
	}
	/* Transactions still waiting out their timers (ICT/NIST after a
	 * final answer keep absorbing repeats for up to 32 s). */
	{
		osip_list_t *lists[] = {&sd->osip->osip_ict_transactions,
					&sd->osip->osip_ist_transactions,
					&sd->osip->osip_nict_transactions,
					&sd->osip->osip_nist_transactions};
		osip_transaction_t *tr;
		for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
			while ((tr = osip_list_get(lists[i], 0)) != NULL)
				osip_transaction_free(tr);
		while ((tr = osip_list_get(&sd->garbage, 0)) != NULL) {
			osip_list_remove(&sd->garbage, 0);
			osip_transaction_free2(tr);
		}
	}
	osip_release(sd->osip);
	sd->osip = NULL;
	sipd_resolve_fini(sd);
	sipd_trunk_free(sd);
	sipd_registrar_free(sd);
}

int
main(int argc, char **argv)
{
	static struct sipd sd;
	static const struct daemon_ops ops = {
	    .name = "sipd",
	    .summary = "Hold Slayer SIP user agent: places calls over UDP, TCP "
		       "or TLS (INVITE, ACK, CANCEL, BYE) for the other "
		       "daemons",
	    .init = sipd_init,
	    .ctl = sipd_ctl,
	    .status = sipd_status,
	    .reload = sipd_reload,
	    .fini = sipd_fini,
	};

	return daemon_main(argc, argv, &ops, &sd);
}
