/*
 * dialog: the call legs sipd places (RFC 3261 sections 12, 13, 15, 17).
 * A leg asks mediad for an RTP port, sends INVITE with our offer through an
 * ICT, reports 180/183 (call_ringing), ACKs a 2xx itself (osip's ICT ends
 * at a 2xx, so the ACK and the ACK of each 2xx repeat are ours), hands the
 * answer to mediad and reports call_connected.  hangup sends CANCEL before
 * the answer (once a 1xx has come, RFC 3261 9.1) and BYE after it (both
 * NICTs).  What follows the first 2xx (re-INVITE, UPDATE, session timers,
 * a 2xx from another fork) is indialog.c's and timer.c's.  Every leg
 * publishes exactly one final event: call_connected may come first, then
 * one of call_ended or call_failed.  A leg stays in the list after that
 * until the last osip transaction that points at it is gone.  Before its
 * INVITE a leg asks resolve.c where the URI leads (RFC 3263) without
 * waiting on the loop; the INVITE goes to the first address, and to the
 * next one after a 503, a timeout or a send error while nothing but 100
 * has been heard.
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *const leg_state_names[] = {
    "starting", "calling", "early", "confirmed", "cancelling", "bye_sent",
    "done"};

/* ---- bookkeeping ---- */

static void
leg_timer_clear(struct sipd_leg *l)
{
	if (l->timer > 0)
		daemon_timer_cancel(l->sd->d, l->timer);
	l->timer = 0;
}

static void
leg_free(struct sipd_leg *l)
{
	if (l == NULL)
		return;
	leg_timer_clear(l);
	sipd_resolve_cancel(l->sd, l);
	sipd_media_forget(l);
	free(l->uri);
	free(l->req_uri);
	for (int i = 0; i < l->redir_n; i++)
		free(l->redir_next[i]);
	for (int i = 0; i < l->redirects + 1 && i <= SIPD_REDIRECTS_MAX; i++)
		free(l->redir_tried[i]);
	free(l->remote_tag);
	free(l->remote_target);
	osip_list_special_free(&l->route_set,
			       (void (*)(void *))osip_route_free);
	osip_message_free(l->invite);
	osip_message_free(l->ack);
	free(l->auth);
	sipd_indialog_free(l);
	free(l);
}

static int
leg_live(const struct sipd_leg *l)
{
	return l->state != SIPD_LEG_DONE && !l->reported;
}

int
sipd_legs_active(const struct sipd *sd)
{
	int n = 0;
	for (const struct sipd_leg *l = sd->legs; l; l = l->next)
		n += leg_live(l);
	return n;
}

void
sipd_legs_status(const struct sipd *sd, json_object *arr)
{
	for (const struct sipd_leg *l = sd->legs; l; l = l->next) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "call_id",
				       json_object_new_string(l->call_id));
		json_object_object_add(o, "leg", json_object_new_string(l->leg));
		json_object_object_add(o, "uri", json_object_new_string(l->uri));
		json_object_object_add(
		    o, "state",
		    json_object_new_string(leg_state_names[l->state]));
		json_object_array_add(arr, o);
	}
}

void
sipd_legs_sweep(struct sipd *sd)
{
	struct sipd_leg **pp = &sd->legs;

	while (*pp) {
		struct sipd_leg *l = *pp;
		if (l->state == SIPD_LEG_DONE && l->refs <= 0) {
			*pp = l->next;
			leg_free(l);
		} else {
			pp = &l->next;
		}
	}
}

/*
 * What a final status means to the person who placed the call: the cause
 * of call_failed, so that a client need not know SIP codes.  First match
 * wins; a code not listed (and 0, our own errors) is "failed".  The table
 * is the one man/sipd.8 documents.
 */
static const struct {
	int code;
	const char *cause;
} leg_causes[] = {
    {486, "busy"},	   /* Busy Here: the line is busy */
    {600, "busy"},	   /* Busy Everywhere */
    {408, "no_answer"},	   /* rang out (also our own INVITE timeout) */
    {487, "no_answer"},	   /* cancelled upstream before anyone answered */
    {404, "not_found"},	   /* no such number */
    {410, "not_found"},	   /* Gone */
    {484, "not_found"},	   /* Address Incomplete: a wrong number */
    {604, "not_found"},	   /* Does Not Exist Anywhere */
    {401, "rejected"},	   /* our credentials were not good enough */
    {403, "rejected"},	   /* refused */
    {407, "rejected"},
    {603, "rejected"},	   /* Decline */
    {480, "unavailable"},  /* Temporarily Unavailable: try later */
    {500, "unavailable"},  /* the far end's server is in trouble */
    {502, "unavailable"},
    {503, "unavailable"},
    {504, "unavailable"},
    {415, "incompatible"}, /* no media format in common */
    {488, "incompatible"},
    {606, "incompatible"},
};

const char *
sipd_failure_cause(int code)
{
	for (size_t i = 0; i < sizeof(leg_causes) / sizeof(leg_causes[0]);
	     i++)
		if (leg_causes[i].code == code)
			return leg_causes[i].cause;
	return "failed";
}

/*
 * Publishes the leg's final event once: call_ended (by, reason) or
 * call_failed (code, reason, cause), and closes the leg in mediad.
 */
static void
leg_report(struct sipd_leg *l, enum msg_type type, int code, const char *by,
	   const char *reason)
{
	json_object *o;

	if (l->reported)
		return;
	l->reported = 1;
	o = json_object_new_object();
	json_object_object_add(o, "leg", json_object_new_string(l->leg));
	if (type == MSG_call_ended)
		json_object_object_add(o, "by", json_object_new_string(by));
	else
		json_object_object_add(o, "code", json_object_new_int(code));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	if (type == MSG_call_failed)
		json_object_object_add(
		    o, "cause",
		    json_object_new_string(sipd_failure_cause(code)));
	if (type == MSG_call_ended)
		log_info("dialog: %s/%s ended by %s: %s", l->call_id, l->leg,
			 by, reason);
	else
		log_info("dialog: %s/%s failed: %d %s (%s)", l->call_id,
			 l->leg, code, reason, sipd_failure_cause(code));
	bus_publish(daemon_bus(l->sd->d), type, l->call_id, o);
	if (l->media_open) {
		sipd_media_close(l, 0);
		l->media_open = 0;
	}
}

static void
leg_publish_simple(struct sipd_leg *l, enum msg_type type, json_object *o)
{
	json_object_object_add(o, "leg", json_object_new_string(l->leg));
	bus_publish(daemon_bus(l->sd->d), type, l->call_id, o);
}

static void
leg_done(struct sipd_leg *l)
{
	leg_timer_clear(l);
	l->state = SIPD_LEG_DONE;
}

/* ---- building requests ---- */

static const char *
leg_user_agent(const struct sipd_leg *l)
{
	return daemon_conf(l->sd->d)->sip_user_agent;
}

static void
leg_our_uri(const struct sipd_leg *l, char *buf, size_t len)
{
	const char *user = daemon_conf(l->sd->d)->sip_contact_user;

	if (strchr(l->local_ip, ':'))
		snprintf(buf, len, "sip:%s@[%s]:%d", user, l->local_ip,
			 l->sd->port);
	else
		snprintf(buf, len, "sip:%s@%s:%d", user, l->local_ip,
			 l->sd->port);
}

/* "<sips:user@ip:port>": our Contact over TLS (RFC 3261 26.2.2). */
static void
leg_contact_sips(const struct sipd_leg *l, char *buf, size_t len)
{
	const char *user = daemon_conf(l->sd->d)->sip_contact_user;
	int port = sipd_transport_port(l->sd, SIPD_TP_TLS);

	if (strchr(l->local_ip, ':'))
		snprintf(buf, len, "<sips:%s@[%s]:%d>", user, l->local_ip,
			 port);
	else
		snprintf(buf, len, "<sips:%s@%s:%d>", user, l->local_ip, port);
}

/*
 * 1 when the route set starts with a strict router (no lr): RFC 3261
 * 12.2.1.1 then puts that router in the Request-URI and the remote target
 * last among the Route headers.
 */
static int
leg_strict_route(const struct sipd_leg *l)
{
	osip_route_t *rt = osip_list_get(&l->route_set, 0);
	osip_uri_param_t *lr = NULL;

	if (l->remote_tag == NULL || rt == NULL || rt->url == NULL)
		return 0;
	osip_uri_uparam_get_byname(rt->url, "lr", &lr);
	return lr == NULL;
}

/*
 * A request of this leg's dialog.  ruri is the request URI; in a confirmed
 * dialog (remote_tag set) the To tag and the route set are added.
 */
static osip_message_t *
leg_request(struct sipd_leg *l, const char *method, const char *ruri,
	    int cseq)
{
	osip_message_t *m = NULL;
	osip_uri_t *u = NULL;
	char buf[SIPD_URI_MAX + 128], me[200], *strict = NULL;
	const char *target = ruri;
	int pos = 0;
	osip_route_t *rt;

	if (leg_strict_route(l)) {
		rt = osip_list_get(&l->route_set, 0);
		if (osip_uri_to_str(rt->url, &strict) == 0 && strict) {
			ruri = strict;
			pos = 1;
		}
	}
	if (osip_message_init(&m) != 0)
		goto fail;
	osip_message_set_method(m, osip_strdup(method));
	osip_message_set_version(m, osip_strdup("SIP/2.0"));
	if (osip_uri_init(&u) != 0 || osip_uri_parse(u, ruri) != 0) {
		log_warnx("dialog: cannot parse request URI '%s'", ruri);
		osip_uri_free(u);
		goto fail;
	}
	osip_message_set_uri(m, u);
	if (sipd_add_via(m, l->local_ip, sipd_transport_port(l->sd, l->tp),
			 l->tp) < 0)
		goto fail;
	leg_our_uri(l, me, sizeof(me));
	snprintf(buf, sizeof(buf), "<%s>;tag=%s", me, l->local_tag);
	if (osip_message_set_from(m, buf) != 0)
		goto fail;
	if (l->remote_tag)
		snprintf(buf, sizeof(buf), "<%s>;tag=%s", l->uri,
			 l->remote_tag);
	else
		snprintf(buf, sizeof(buf), "<%s>", l->uri);
	if (osip_message_set_to(m, buf) != 0)
		goto fail;
	if (osip_message_set_call_id(m, l->sip_call_id) != 0)
		goto fail;
	snprintf(buf, sizeof(buf), "%d %s", cseq, method);
	if (osip_message_set_cseq(m, buf) != 0)
		goto fail;
	osip_message_set_header(m, "Max-Forwards", "70");
	if (l->remote_tag) {
		while (!osip_list_eol(&l->route_set, pos)) {
			char *s = NULL;
			rt = osip_list_get(&l->route_set, pos++);
			if (osip_from_to_str(rt, &s) == 0 && s) {
				osip_message_set_route(m, s);
				osip_free(s);
			}
		}
		if (strict) {
			snprintf(buf, sizeof(buf), "<%s>", target);
			osip_message_set_route(m, buf);
		}
	}
	if (strcmp(method, "INVITE") == 0 || strcmp(method, "UPDATE") == 0) {
		/* RFC 3261 18.1.1 / 19.1.4: requests to us come back
		 * over the transport this one took. */
		if (l->tp == SIPD_TP_TLS)
			leg_contact_sips(l, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "<%s%s>", me,
				 l->tp == SIPD_TP_TCP ? ";transport=tcp"
						      : "");
		osip_message_set_contact(m, buf);
		osip_message_set_header(m, "Allow", SIPD_ALLOW);
		sipd_timer_add_headers(l, m);
	}
	if (leg_user_agent(l)[0])
		osip_message_set_header(m, "User-Agent", leg_user_agent(l));
	osip_message_set_content_length(m, "0");
	osip_free(strict);
	sipd_trunk_request(l->sd, m, l->uri, l->local_tag, l->remote_tag != NULL);
	return m;
fail:
	log_warnx("dialog: %s/%s: cannot build %s", l->call_id, l->leg, method);
	osip_message_free(m);
	osip_free(strict);
	return NULL;
}

/* The CANCEL of our INVITE (RFC 3261 9.1): same request URI, top Via,
 * From, To, Call-ID and CSeq number. */
static osip_message_t *
leg_cancel_request(struct sipd_leg *l)
{
	osip_message_t *m = NULL, *inv = l->invite;
	osip_via_t *via = NULL, *v2 = NULL;
	osip_uri_t *u = NULL;
	char buf[64];

	if (inv == NULL || osip_message_init(&m) != 0)
		return NULL;
	osip_message_set_method(m, osip_strdup("CANCEL"));
	osip_message_set_version(m, osip_strdup("SIP/2.0"));
	if (osip_uri_clone(inv->req_uri, &u) != 0)
		goto fail;
	osip_message_set_uri(m, u);
	via = osip_list_get(&inv->vias, 0);
	if (via == NULL || osip_via_clone(via, &v2) != 0)
		goto fail;
	osip_list_add(&m->vias, v2, -1);
	if (osip_from_clone(inv->from, &m->from) != 0 ||
	    osip_to_clone(inv->to, &m->to) != 0 ||
	    osip_call_id_clone(inv->call_id, &m->call_id) != 0)
		goto fail;
	snprintf(buf, sizeof(buf), "%s CANCEL", inv->cseq->number);
	if (osip_message_set_cseq(m, buf) != 0)
		goto fail;
	if (osip_list_clone(&inv->routes, &m->routes,
			    (int (*)(void *, void **))osip_from_clone) != 0)
		goto fail;
	osip_message_set_header(m, "Max-Forwards", "70");
	if (leg_user_agent(l)[0])
		osip_message_set_header(m, "User-Agent", leg_user_agent(l));
	osip_message_set_content_length(m, "0");
	return m;
fail:
	osip_message_free(m);
	return NULL;
}

/* Splits t into a numeric host string and a port for osip. */
static void
leg_target_hostport(const struct sipd_target *t, char *host, size_t len,
		    int *port)
{
	char buf[80], *c;

	sipd_target_str(t, buf, sizeof(buf));
	c = strrchr(buf, ':');
	*port = c ? atoi(c + 1) : 5060;
	if (c)
		*c = '\0';
	snprintf(host, len, "%s", buf);
}

/*
 * Starts a transaction of type t for req (consumed) pointing at l.  INVITE
 * and CANCEL go to the address the INVITE was sent to (osip would take the
 * URI's host, a name); other requests follow their Route or URI.
 */
int
sipd_leg_send(struct sipd_leg *l, osip_fsm_type_t t, osip_message_t *req)
{
	osip_transaction_t *tr = NULL;
	char host[80];
	int port, initial;

	if (req == NULL)
		return -ENOMEM;
	if (osip_transaction_init(&tr, t, l->sd->osip, req) != 0) {
		log_warnx("dialog: %s/%s: cannot start a transaction for %s",
			  l->call_id, l->leg, req->sip_method);
		osip_message_free(req);
		return -EIO;
	}
	/* Only the first INVITE (and its retries and CANCEL) go to the
	 * resolved address: a re-INVITE follows the dialog's route set. */
	initial = l->state != SIPD_LEG_CONFIRMED &&
		  l->state != SIPD_LEG_BYE_SENT;
	if (initial && l->targets.n > 0 &&
	    (MSG_IS_INVITE(req) || MSG_IS_CANCEL(req))) {
		leg_target_hostport(&l->targets.t[l->target], host,
				    sizeof(host), &port);
		if (t == ICT)
			osip_ict_set_destination(tr->ict_context,
						 osip_strdup(host), port);
		else if (t == NICT)
			osip_nict_set_destination(tr->nict_context,
						  osip_strdup(host), port);
	}
	if (t == ICT && initial)
		l->ict = tr;
	osip_transaction_set_your_instance(tr, l);
	l->refs++;
	osip_transaction_add_event(tr, osip_new_outgoing_sipmessage(req));
	return 0;
}

static void leg_guard_cb(struct daemon *d, void *arg);

static void
leg_send_cancel(struct sipd_leg *l)
{
	leg_timer_clear(l);
	l->state = SIPD_LEG_CANCELLING;
	if (sipd_leg_send(l, NICT, leg_cancel_request(l)) < 0)
		log_warnx("dialog: %s/%s: CANCEL not sent", l->call_id, l->leg);
	l->timer = daemon_timer_add(l->sd->d, SIPD_CANCEL_GUARD_MS,
				    leg_guard_cb, l);
}

static void
leg_send_bye(struct sipd_leg *l)
{
	const char *target = l->remote_target ? l->remote_target : l->uri;

	leg_timer_clear(l);
	l->state = SIPD_LEG_BYE_SENT;
	if (sipd_leg_send(l, NICT,
			  leg_request(l, "BYE", target, ++l->cseq)) < 0)
		log_warnx("dialog: %s/%s: BYE not sent", l->call_id, l->leg);
	l->timer = daemon_timer_add(l->sd->d, SIPD_CANCEL_GUARD_MS,
				    leg_guard_cb, l);
}

/* No final answer to our CANCEL or BYE in time: report and forget. */
static void
leg_guard_cb(struct daemon *d, void *arg)
{
	struct sipd_leg *l = arg;

	(void)d;
	l->timer = 0;
	if (l->state != SIPD_LEG_CANCELLING && l->state != SIPD_LEG_BYE_SENT)
		return;
	log_warnx("dialog: %s/%s: no answer to %s within %d s", l->call_id,
		  l->leg, l->state == SIPD_LEG_BYE_SENT ? "BYE" : "CANCEL",
		  SIPD_CANCEL_GUARD_MS / 1000);
	leg_report(l, MSG_call_ended, 0, "local",
		   l->end_reason ? l->end_reason : "cancelled");
	leg_done(l);
	sipd_legs_sweep(l->sd);
}

/* ---- dial ---- */

static void
leg_invite_timeout_cb(struct daemon *d, void *arg)
{
	struct sipd_leg *l = arg;
	char reason[96];

	l->timer = 0;
	if (l->state != SIPD_LEG_CALLING && l->state != SIPD_LEG_EARLY)
		return;
	snprintf(reason, sizeof(reason), "no final answer within %ld s",
		 daemon_conf(d)->sip_invite_timeout_s);
	l->timed_out = 1;
	l->end_reason = "timeout";
	leg_send_cancel(l);
	leg_report(l, MSG_call_failed, 408, NULL, reason);
	sipd_run(l->sd);
}

/*
 * Sends the INVITE to targets.t[target] in a new transaction (a new branch
 * and the same CSeq on a retry, RFC 3263 4.3).  0, or -1 with why in err.
 */
static int
leg_invite_send(struct sipd_leg *l, char *err, size_t errlen)
{
	struct sipd *sd = l->sd;
	const struct sipd_target *t = &l->targets.t[l->target];
	osip_message_t *inv;
	char sdp[1024], to[80], cl[16];
	int n;

	sipd_target_str(t, to, sizeof(to));
	if (sipd_transport_local_ip(sd, t, l->local_ip, sizeof(l->local_ip)) <
	    0) {
		snprintf(err, errlen, "cannot reach %s (%s)", l->uri, to);
		return -1;
	}
	if (l->cseq == 0)
		l->cseq = 1;
	n = sipd_sdp_offer(sdp, sizeof(sdp), l->rtp_addr, l->rtp_port,
			   (uint64_t)msg_mono_ms());
again:
	inv = n > 0 ? leg_request(l, "INVITE", l->req_uri ? l->req_uri : l->uri,
				  l->cseq)
		    : NULL;
	if (inv == NULL) {
		snprintf(err, errlen, "cannot build the INVITE");
		return -1;
	}
	osip_message_set_content_type(inv, "application/sdp");
	osip_message_set_body(inv, sdp, (size_t)n);
	snprintf(cl, sizeof(cl), "%d", n);
	osip_content_length_free(inv->content_length);
	inv->content_length = NULL;
	osip_message_set_content_length(inv, cl);
	/* RFC 3261 18.1.1: too large for UDP, the INVITE (and so the whole
	 * dialog: Via, Contact) goes over TCP, decided before the
	 * transaction starts so that osip treats it as reliable. */
	if (l->tp == SIPD_TP_UDP) {
		char *str = NULL;
		size_t len = 0;
		if (osip_message_to_str(inv, &str, &len) == 0 && str &&
		    len > SIPD_UDP_MAX_REQUEST) {
			log_info("dialog: %s/%s: the INVITE is %zu bytes, over "
				 "%d: it goes over TCP (RFC 3261 18.1.1)",
				 l->call_id, l->leg, len,
				 SIPD_UDP_MAX_REQUEST);
			l->tp = SIPD_TP_TCP;
			osip_free(str);
			osip_message_free(inv);
			goto again;
		}
		osip_free(str);
	}
	osip_message_free(l->invite);
	l->invite = NULL;
	if (osip_message_clone(inv, &l->invite) != 0) {
		osip_message_free(inv);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Open the TLS connection with the name to check before the
	 * transaction sends to the bare address. */
	if (l->tp == SIPD_TP_TLS &&
	    sipd_stream_send(sd, SIPD_TP_TLS, t, l->tls_name, "", 0) < 0) {
		osip_message_free(inv);
		snprintf(err, errlen, "cannot open a TLS connection to %s",
			 to);
		return -1;
	}
	if (sipd_leg_send(l, ICT, inv) < 0) {
		snprintf(err, errlen, "cannot start the INVITE transaction");
		return -1;
	}
	log_info("dialog: %s/%s: INVITE %s to %s over %s (Call-ID %s, RTP "
		 "%s:%d)",
		 l->call_id, l->leg, l->req_uri ? l->req_uri : l->uri, to,
		 l->tp == SIPD_TP_TLS   ? "TLS"
		 : l->tp == SIPD_TP_TCP ? "TCP"
					: "UDP",
		 l->sip_call_id, l->rtp_addr, l->rtp_port);
	return 0;
}

/* The addresses of the URI are known: the first INVITE goes out. */
static void
leg_resolved(struct sipd_leg *l)
{
	struct daemon *d = l->sd->d;
	char err[300];

	l->target = 0;
	l->state = SIPD_LEG_CALLING;
	/* NAPTR or SRV chose the transport (RFC 3263 4.1) unless the URI or
	 * the trunk did. */
	if (!l->tp_fixed)
		l->tp = l->targets.tp;
	if (leg_invite_send(l, err, sizeof(err)) < 0) {
		leg_report(l, MSG_call_failed, 0, NULL, err);
		leg_done(l);
		return;
	}
	l->timer = daemon_timer_add(d, daemon_conf(d)->sip_invite_timeout_s *
					   1000,
				    leg_invite_timeout_cb, l);
}

static void
leg_resolved_cb(struct sipd *sd, void *arg, const struct sipd_targets *t,
		const char *err)
{
	struct sipd_leg *l = arg;

	if (l->state != SIPD_LEG_STARTING || l->reported)
		return;
	if (t == NULL) {
		leg_report(l, MSG_call_failed, 0, NULL, err);
		leg_done(l);
	} else {
		l->targets = *t;
		leg_resolved(l);
	}
	sipd_run(sd);
}

/*
 * The current target did not take the INVITE (why): it goes to the next
 * address, if there is one and nothing but 100 was heard.  1 if it did.
 */
static int
leg_try_next(struct sipd_leg *l, const char *why)
{
	char err[300], to[80];

	if (l->state != SIPD_LEG_CALLING || l->target + 1 >= l->targets.n)
		return 0;
	log_info("dialog: %s/%s: %s at %s; trying the next address",
		 l->call_id, l->leg, why,
		 sipd_target_str(&l->targets.t[l->target], to, sizeof(to)));
	l->target++;
	l->ict = NULL;
	if (leg_invite_send(l, err, sizeof(err)) < 0) {
		log_warnx("dialog: %s/%s: %s", l->call_id, l->leg, err);
		return 0;
	}
	return 1;
}

/* Asks mediad for the leg's port; the INVITE waits for the answer. */
static void
leg_start_cb(struct daemon *d, void *arg)
{
	struct sipd_leg *l = arg;
	char err[300];

	(void)d;
	l->timer = 0;
	if (l->state != SIPD_LEG_STARTING)
		return;
	if (sipd_media_open(l, err, sizeof(err)) < 0) {
		leg_report(l, MSG_call_failed, 0, NULL, err);
		leg_done(l);
		sipd_run(l->sd);
	}
}

/*
 * Asks resolve.c where uri leads (l in STARTING): 0 when the answer is
 * already in l->targets, -EINPROGRESS when leg_resolved_cb will have it,
 * else an error with why in err.
 */
static int
leg_lookup(struct sipd_leg *l, const char *uri, char *err, size_t errlen)
{
	struct sipd *sd = l->sd;
	osip_uri_t *u = NULL;
	osip_uri_param_t *maddr = NULL, *tparam = NULL;
	const char *host, *next;
	int r;

	/* Through the trunk with an outbound proxy, the INVITE goes to the
	 * proxy first (its Route, RFC 3261 8.1.2). */
	next = uri;
	if (daemon_conf(sd->d)->trunk_outbound_proxy[0] &&
	    sipd_trunk_match(sd, uri))
		next = daemon_conf(sd->d)->trunk_outbound_proxy;
	if (osip_uri_init(&u) != 0 || osip_uri_parse(u, next) != 0 ||
	    u->host == NULL) {
		snprintf(err, errlen, "cannot parse the host of %s", next);
		r = -EINVAL;
		goto out;
	}
	/* The transport: sips: is TLS, always (RFC 3261 26.2: never
	 * downgraded); else the URI's transport parameter; else UDP. */
	osip_uri_uparam_get_byname(u, "transport", &tparam);
	l->tp = tparam && tparam->gvalue
		    ? sipd_transport_from_name(tparam->gvalue)
		    : SIPD_TP_UDP;
	/* A call through the trunk takes [trunk] transport unless the URI
	 * names one. */
	if (tparam == NULL && l->tp == SIPD_TP_UDP && sipd_trunk_match(sd, uri))
		l->tp = sd->trunk.tp;
	if (u->scheme && osip_strcasecmp(u->scheme, "sips") == 0)
		l->tp = SIPD_TP_TLS;
	l->tp_fixed = tparam != NULL || l->tp != SIPD_TP_UDP;
	if (l->tp < 0) {
		snprintf(err, errlen,
			 "cannot call %s: its transport is not udp, tcp or tls",
			 next);
		r = -EINVAL;
		goto out;
	}
	/* RFC 3263 4: an maddr in the URI we dial names the next hop. */
	osip_uri_uparam_get_byname(u, "maddr", &maddr);
	host = maddr && maddr->gvalue ? maddr->gvalue : u->host;
	/* TLS checks the server against the name dialled (RFC 5922). */
	snprintf(l->tls_name, sizeof(l->tls_name), "%s", host);
	if (l->hop_port > 0 && uri == l->uri) /* a phone: where it
						 * registered from */
		r = sipd_resolve(sd, l->hop_addr, l->hop_port, 0, &l->targets,
				 leg_resolved_cb, l, err, errlen);
	else
		r = sipd_resolve(sd, host, u->port ? atoi(u->port) : 0,
				 u->scheme &&
				     osip_strcasecmp(u->scheme, "sips") == 0,
				 &l->targets, leg_resolved_cb, l, err, errlen);
	if (r == -EINPROGRESS)
		log_info("dialog: %s/%s: looking up %s", l->call_id, l->leg,
			 host);
	else if (r < 0 && r != -EINPROGRESS)
		r = -EHOSTUNREACH;
out:
	osip_uri_free(u);
	return r;
}

/*
 * mediad answered leg_open (err NULL: l->rtp_addr and rtp_port are set) or
 * did not (err says why): send the INVITE or fail the call.
 */
void
sipd_dialog_media_opened(struct sipd_leg *l, const char *err_open)
{
	struct sipd *sd = l->sd;
	char err[300];
	int r;

	if (l->state != SIPD_LEG_STARTING)
		return;
	if (err_open != NULL) {
		leg_report(l, MSG_call_failed, 0, NULL, err_open);
		leg_done(l);
		goto out;
	}
	r = leg_lookup(l, l->uri, err, sizeof(err));
	if (r == 0) {
		leg_resolved(l);
	} else if (r != -EINPROGRESS) {
		leg_report(l, MSG_call_failed, 0, NULL, err);
		leg_done(l);
	}
out:
	sipd_run(sd);
}

/* ---- redirection (RFC 3261 8.1.3.4) ---- */

/* 1 if the INVITE already went to uri. */
static int
leg_redirect_tried(const struct sipd_leg *l, const char *uri)
{
	for (int i = 0; i <= SIPD_REDIRECTS_MAX && l->redir_tried[i]; i++)
		if (osip_strcasecmp(l->redir_tried[i], uri) == 0)
			return 1;
	return 0;
}

/*
 * Sends the INVITE to the best contact not yet tried: a new transaction,
 * CSeq + 1, the same Call-ID, From and To (still without a tag).  1 when it
 * is on its way (or the leg has failed for good meanwhile), 0 when there is
 * nothing left to try, with why in err.
 */
static int
leg_redirect_next(struct sipd_leg *l, char *err, size_t errlen)
{
	char *uri;
	int r;

	snprintf(err, errlen, "no contact left to try");
	if (l->redir_tried[0] == NULL &&
	    (l->redir_tried[0] = strdup(l->uri)) == NULL)
		return 0;
	while (l->redir_n > 0) {
		if (l->redirects >= SIPD_REDIRECTS_MAX) {
			snprintf(err, errlen, "redirected more than %d times",
				 SIPD_REDIRECTS_MAX);
			return 0;
		}
		uri = l->redir_next[0];
		memmove(&l->redir_next[0], &l->redir_next[1],
			--l->redir_n * sizeof(l->redir_next[0]));
		if (leg_redirect_tried(l, uri)) {
			free(uri);
			continue;
		}
		l->redir_tried[++l->redirects] = strdup(uri);
		free(l->req_uri);
		l->req_uri = uri;
		leg_timer_clear(l);
		l->ict = NULL;
		l->cseq++;
		l->last_ringing = 0;
		l->targets.n = 0;
		l->state = SIPD_LEG_STARTING;
		log_info("dialog: %s/%s: redirected to %s (%d of at most %d)",
			 l->call_id, l->leg, uri, l->redirects,
			 SIPD_REDIRECTS_MAX);
		r = leg_lookup(l, uri, err, errlen);
		if (r == 0)
			leg_resolved(l);
		if (r == 0 || r == -EINPROGRESS)
			return 1;
		log_warnx("dialog: %s/%s: %s", l->call_id, l->leg, err);
		l->state = SIPD_LEG_CALLING;
	}
	return 0;
}

/*
 * A 3xx to our INVITE.  301 and 302 are followed: their Contacts, best q
 * first, go before those of earlier 3xx answers still untried.  305 (Use
 * Proxy) and 380 (Alternative Service) are not followed: a proxy named by
 * the far end is an open relay for whoever answers, and 380 describes a
 * service, not a place to call.  1 if a new INVITE is on its way.
 */
static int
leg_redirect(struct sipd_leg *l, osip_message_t *m, char *err, size_t errlen)
{
	struct {
		char *uri;
		float q;
	} c[SIPD_REDIRECT_CONTACTS];
	osip_contact_t *ct;
	int n = 0, k, code = m->status_code;
	char why[200];

	if (code != 301 && code != 302) {
		snprintf(err, errlen, "%s (not followed)",
			 m->reason_phrase ? m->reason_phrase : "redirect");
		return 0;
	}
	for (int i = 0; osip_message_get_contact(m, i, &ct) >= 0 &&
			n < SIPD_REDIRECT_CONTACTS;
	     i++) {
		osip_generic_param_t *q = NULL;
		char *s = NULL;

		if (ct == NULL || ct->url == NULL ||
		    osip_uri_to_str(ct->url, &s) != 0 || s == NULL)
			continue;
		if (sipd_uri_check(s, why, sizeof(why)) < 0) {
			log_warnx("dialog: %s/%s: %d: contact ignored: %s",
				  l->call_id, l->leg, code, why);
			osip_free(s);
			continue;
		}
		osip_contact_param_get_byname(ct, "q", &q);
		/* Stable insertion by q, highest first (RFC 3261 8.1.3.4). */
		float qv = q && q->gvalue ? strtof(q->gvalue, NULL) : 1.0f;
		for (k = n; k > 0 && c[k - 1].q < qv; k--)
			c[k] = c[k - 1];
		c[k].uri = strdup(s);
		c[k].q = qv;
		osip_free(s);
		if (c[k].uri == NULL) {
			memmove(&c[k], &c[k + 1], (size_t)(n - k) * sizeof(c[0]));
			continue;
		}
		n++;
	}
	/* The new contacts first; what no longer fits is dropped. */
	for (k = n - 1; k >= 0; k--) {
		if (leg_redirect_tried(l, c[k].uri)) {
			free(c[k].uri);
			continue;
		}
		if (l->redir_n == SIPD_REDIRECT_CONTACTS)
			free(l->redir_next[--l->redir_n]);
		memmove(&l->redir_next[1], &l->redir_next[0],
			(size_t)l->redir_n * sizeof(l->redir_next[0]));
		l->redir_next[0] = c[k].uri;
		l->redir_n++;
	}
	if (leg_redirect_next(l, why, sizeof(why)))
		return 1;
	snprintf(err, errlen, "%s: %s",
		 m->reason_phrase ? m->reason_phrase : "redirect", why);
	return 0;
}

/*
 * A final failure of the INVITE: after a 3xx, the next contact is tried;
 * else (or when none is left) the leg fails with this code.
 */
static void leg_final_failure(struct sipd_leg *l, int code,
			      const char *reason);

static void
leg_failed_or_next(struct sipd_leg *l, int code, const char *reason)
{
	char err[200];

	if ((l->state == SIPD_LEG_CALLING || l->state == SIPD_LEG_EARLY) &&
	    l->redir_n > 0 && !l->reported) {
		log_info("dialog: %s/%s: %d %s; trying the next contact",
			 l->call_id, l->leg, code, reason);
		if (leg_redirect_next(l, err, sizeof(err)))
			return;
	}
	leg_final_failure(l, code, reason);
}

int
sipd_dial(struct sipd *sd, const char *call_id, const char *leg,
	  const char *uri, char *err, size_t errlen)
{
	struct sipd_leg *l;
	char id[25], ub[SIPD_URI_MAX], contact[SIPD_URI_MAX], hop[64];
	int hop_port = 0, r;

	if (call_id == NULL || *call_id == '\0' ||
	    strlen(call_id) >= MSG_CALL_ID_MAX) {
		snprintf(err, errlen, "dial: missing or overlong call_id");
		return -EINVAL;
	}
	if (leg == NULL || msg_leg_from_name(leg) < 0) {
		snprintf(err, errlen,
			 "dial: leg must be \"company\" or \"user\"");
		return -EINVAL;
	}
	if (sipd_trunk_dial_uri(sd, uri, ub, sizeof(ub), err, errlen) < 0)
		return -EINVAL;
	uri = ub; /* a number becomes sip:NUMBER@trunk */
	if (sipd_uri_check(uri, err, errlen) < 0)
		return -EINVAL;
	/* One of the user's registered phones: its Contact, at the address
	 * its REGISTER came from. */
	r = sipd_registrar_route(sd, uri, contact, sizeof(contact), hop,
				 sizeof(hop), &hop_port, err, errlen);
	if (r < 0)
		return r;
	if (r > 0)
		uri = contact;
	for (l = sd->legs; l; l = l->next)
		if (leg_live(l) && strcmp(l->call_id, call_id) == 0 &&
		    strcmp(l->leg, leg) == 0) {
			snprintf(err, errlen,
				 "dial: call %s already has a live %s leg",
				 call_id, leg);
			return -EEXIST;
		}
	l = calloc(1, sizeof(*l));
	if (l == NULL || (l->uri = strdup(uri)) == NULL) {
		free(l);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l->sd = sd;
	if (hop_port > 0) {
		snprintf(l->hop_addr, sizeof(l->hop_addr), "%s", hop);
		l->hop_port = hop_port;
	}
	snprintf(l->call_id, sizeof(l->call_id), "%s", call_id);
	snprintf(l->leg, sizeof(l->leg), "%s", leg);
	sipd_random_hex(id, 24);
	snprintf(l->sip_call_id, sizeof(l->sip_call_id), "%s@holdslayer", id);
	sipd_random_hex(l->local_tag, 16);
	osip_list_init(&l->route_set);
	l->state = SIPD_LEG_STARTING;
	l->next = sd->legs;
	sd->legs = l;
	/* The reply goes out first; mediad is asked on the next loop turn. */
	l->timer = daemon_timer_add(sd->d, 0, leg_start_cb, l);
	return 0;
}

int
sipd_hangup(struct sipd *sd, const char *call_id, const char *leg)
{
	int n = 0;

	for (struct sipd_leg *l = sd->legs; l; l = l->next) {
		if (strcmp(l->call_id, call_id) != 0 ||
		    (leg && strcmp(l->leg, leg) != 0) || !leg_live(l))
			continue;
		n++;
		switch (l->state) {
		case SIPD_LEG_STARTING:
			leg_report(l, MSG_call_ended, 0, "local", "cancelled");
			leg_done(l);
			break;
		case SIPD_LEG_CALLING:
		case SIPD_LEG_EARLY:
			log_info("dialog: %s/%s: hangup before the answer: "
				 "CANCEL",
				 l->call_id, l->leg);
			l->end_reason = "cancelled";
			/* Before any provisional answer the far end may not
			 * even have the INVITE; do not make the caller wait
			 * for a 487 that may never come (a late 2xx still
			 * gets its ACK and a BYE).  The CANCEL itself waits
			 * for the first 1xx (RFC 3261 9.1); Timer B ends the
			 * leg if none comes. */
			if (l->state == SIPD_LEG_CALLING) {
				leg_report(l, MSG_call_ended, 0, "local",
					   "cancelled");
				leg_timer_clear(l);
				l->cancel_pending = 1;
				l->state = SIPD_LEG_CANCELLING;
				l->timer = daemon_timer_add(
				    sd->d, SIPD_CANCEL_GUARD_MS, leg_guard_cb,
				    l);
				break;
			}
			leg_send_cancel(l);
			break;
		case SIPD_LEG_CONFIRMED:
			log_info("dialog: %s/%s: hangup: BYE", l->call_id,
				 l->leg);
			l->end_reason = "bye";
			leg_send_bye(l);
			break;
		default:
			break; /* already on its way out */
		}
	}
	sipd_run(sd);
	return n;
}

void
sipd_legs_shutdown(struct sipd *sd)
{
	for (struct sipd_leg *l = sd->legs; l; l = l->next) {
		if (!leg_live(l))
			continue;
		l->end_reason = "shutdown";
		if (l->state == SIPD_LEG_CALLING || l->state == SIPD_LEG_EARLY)
			leg_send_cancel(l);
		else if (l->state == SIPD_LEG_CONFIRMED)
			leg_send_bye(l);
		leg_report(l, MSG_call_ended, 0, "local", "shutdown");
		leg_timer_clear(l);
	}
	sipd_run(sd);
}

/* ---- responses to our INVITE ---- */

static int
msg_sdp_body(osip_message_t *m, const char **body, size_t *len)
{
	osip_body_t *b = NULL;

	if (osip_message_get_body(m, 0, &b) < 0 || b == NULL ||
	    b->body == NULL || b->length == 0)
		return -ENOENT;
	*body = b->body;
	*len = b->length;
	return 0;
}

static void
leg_ringing(struct sipd_leg *l, osip_message_t *m)
{
	int code = m->status_code, early = 0;
	const char *body;
	size_t blen;

	if (l->cancel_pending && l->state == SIPD_LEG_CANCELLING) {
		/* Hung up before any provisional answer: the CANCEL may go
		 * now (RFC 3261 9.1). */
		l->cancel_pending = 0;
		leg_send_cancel(l);
		return;
	}
	if (code == 100)
		return;
	if (l->state == SIPD_LEG_CALLING)
		l->state = SIPD_LEG_EARLY;
	if (l->state != SIPD_LEG_EARLY)
		return;
	if ((code != 180 && code != 183) || code == l->last_ringing)
		return;
	if (code == 183 && msg_sdp_body(m, &body, &blen) == 0) {
		struct sipd_sdp_answer a;
		char err[160];
		if (sipd_sdp_answer_parse(body, blen, &a, err, sizeof(err)) ==
		    0) {
			if (sipd_media_remote(l, a.addr, a.port, a.pt,
					      a.dtmf_pt) == 0)
				early = 1;
		} else {
			log_warnx("dialog: %s/%s: 183 with unusable SDP: %s",
				  l->call_id, l->leg, err);
		}
	}
	l->last_ringing = code;
	{
		json_object *o = json_object_new_object();
		json_object_object_add(o, "code", json_object_new_int(code));
		json_object_object_add(o, "early_media",
				       json_object_new_boolean(early));
		leg_publish_simple(l, MSG_call_ringing, o);
	}
	log_info("dialog: %s/%s: %d %s%s", l->call_id, l->leg, code,
		 m->reason_phrase ? m->reason_phrase : "",
		 early ? " (early media)" : "");
}

/* Where in-dialog requests go: the first route, else the remote target. */
static int
leg_next_hop(struct sipd_leg *l, char *host, size_t hostlen, int *port)
{
	osip_route_t *rt = osip_list_get(&l->route_set, 0);
	osip_uri_t *u = NULL, *hop;
	int r = -EINVAL;

	if (rt && rt->url) {
		hop = rt->url;
	} else {
		if (osip_uri_init(&u) != 0 ||
		    osip_uri_parse(u, l->remote_target ? l->remote_target
				      : l->req_uri     ? l->req_uri
						       : l->uri) != 0)
			goto out;
		hop = u;
	}
	if (hop->host == NULL)
		goto out;
	snprintf(host, hostlen, "%s", hop->host);
	*port = hop->port ? atoi(hop->port) : 5060;
	r = 0;
out:
	osip_uri_free(u);
	return r;
}

static void
leg_send_ack(struct sipd_leg *l)
{
	char host[256];
	int port;

	if (l->ack == NULL || leg_next_hop(l, host, sizeof(host), &port) < 0)
		return;
	sipd_transport_send(l->sd, l->ack, host, port);
}

/* Records the dialog state of the first 2xx and builds its ACK. */
static int
leg_confirm_dialog(struct sipd_leg *l, osip_message_t *m)
{
	osip_generic_param_t *tag = NULL;
	osip_contact_t *ct = NULL;
	osip_record_route_t *rr;
	char *s = NULL;
	int cseq = atoi(l->invite->cseq->number);

	if (osip_to_get_tag(m->to, &tag) == 0 && tag && tag->gvalue)
		l->remote_tag = strdup(tag->gvalue);
	else
		l->remote_tag = strdup("");
	if (osip_message_get_contact(m, 0, &ct) >= 0 && ct && ct->url &&
	    osip_uri_to_str(ct->url, &s) == 0 && s) {
		l->remote_target = strdup(s);
		osip_free(s);
	}
	for (int i = 0; osip_message_get_record_route(m, i, &rr) >= 0; i++) {
		osip_route_t *c = NULL;
		if (rr && osip_from_clone(rr, &c) == 0)
			osip_list_add(&l->route_set, c, 0);
	}
	l->ack = leg_request(l, "ACK",
			     l->remote_target ? l->remote_target : l->uri,
			     cseq);
	return l->ack ? 0 : -ENOMEM;
}

static void
leg_answered(struct sipd_leg *l, osip_message_t *m)
{
	struct sipd_sdp_answer a;
	const char *body;
	size_t blen;
	char err[200];

	if (sipd_indialog_fork_2xx(l, m))
		return;
	if (l->ack == NULL && leg_confirm_dialog(l, m) < 0)
		log_warnx("dialog: %s/%s: cannot build the ACK", l->call_id,
			  l->leg);
	leg_send_ack(l);
	switch (l->state) {
	case SIPD_LEG_CALLING:
	case SIPD_LEG_EARLY:
		break;
	case SIPD_LEG_CANCELLING:
		/* The 2xx crossed our CANCEL: end the call we did not want. */
		log_info("dialog: %s/%s: answered after CANCEL; sending BYE",
			 l->call_id, l->leg);
		leg_send_bye(l);
		return;
	default:
		return; /* a repeat: the ACK above is all it needs */
	}
	leg_timer_clear(l);
	if (msg_sdp_body(m, &body, &blen) < 0) {
		snprintf(err, sizeof(err), "the 2xx carries no SDP answer");
		goto bad;
	}
	if (sipd_sdp_answer_parse(body, blen, &a, err, sizeof(err)) < 0)
		goto bad;
	sipd_media_remote(l, a.addr, a.port, a.pt, a.dtmf_pt);
	l->state = SIPD_LEG_CONFIRMED;
	sipd_indialog_connected(l, m, &a);
	log_info("dialog: %s/%s: connected to %s (RTP %s:%d pt %d dtmf %d)",
		 l->call_id, l->leg, l->uri, a.addr, a.port, a.pt, a.dtmf_pt);
	{
		json_object *o = json_object_new_object();
		json_object_object_add(o, "remote_uri",
				       json_object_new_string(l->uri));
		/* How digits reach this far end: RTP events when it took
		 * telephone-event, else sipd's INFO (info.c). */
		json_object_object_add(
		    o, "dtmf",
		    json_object_new_string(a.dtmf_pt >= 0 ? "rfc4733"
							  : "info"));
		leg_publish_simple(l, MSG_call_connected, o);
	}
	return;
bad:
	log_warnx("dialog: %s/%s: %s; hanging up", l->call_id, l->leg, err);
	leg_report(l, MSG_call_failed, 488, NULL, err);
	l->end_reason = "bad answer";
	leg_send_bye(l);
}

static void
leg_final_failure(struct sipd_leg *l, int code, const char *reason)
{
	leg_timer_clear(l);
	if (l->state == SIPD_LEG_CANCELLING)
		leg_report(l, MSG_call_ended, 0, "local",
			   l->end_reason ? l->end_reason : "cancelled");
	else if (l->state == SIPD_LEG_CALLING || l->state == SIPD_LEG_EARLY)
		leg_report(l, MSG_call_failed, code, NULL, reason);
	else
		return;
	leg_done(l);
}

void
sipd_dialog_stray_response(struct sipd *sd, osip_message_t *resp)
{
	osip_generic_param_t *tag = NULL;

	if (resp->cseq == NULL || resp->cseq->method == NULL ||
	    strcmp(resp->cseq->method, "INVITE") != 0 ||
	    !MSG_IS_STATUS_2XX(resp))
		return;
	if (osip_from_get_tag(resp->from, &tag) != 0 || tag == NULL ||
	    tag->gvalue == NULL)
		return;
	for (struct sipd_leg *l = sd->legs; l; l = l->next) {
		if (!sipd_call_id_match(resp->call_id, l->sip_call_id) ||
		    strcmp(l->local_tag, tag->gvalue) != 0)
			continue;
		if (sipd_indialog_response(l, NULL, resp))
			return;
		log_debug("dialog: %s/%s: 2xx again; ACK again", l->call_id,
			  l->leg);
		leg_answered(l, resp);
		return;
	}
	log_debug("dialog: 2xx for unknown Call-ID %s ignored",
		  resp->call_id->number);
}

struct sipd_leg *
sipd_leg_find_dialog(struct sipd *sd, const osip_call_id_t *sip_call_id,
		     const char *local_tag, const char *remote_tag)
{
	for (struct sipd_leg *l = sd->legs; l; l = l->next)
		if (l->remote_tag &&
		    sipd_call_id_match(sip_call_id, l->sip_call_id) &&
		    strcmp(l->local_tag, local_tag) == 0 &&
		    strcmp(l->remote_tag, remote_tag) == 0)
			return l;
	return NULL;
}

void
sipd_dialog_remote_bye(struct sipd_leg *l)
{
	if (l->state != SIPD_LEG_CONFIRMED)
		return;
	leg_report(l, MSG_call_ended, 0, "remote", "bye");
	leg_done(l);
}

/* ---- osip callbacks ---- */

static struct sipd_leg *
tr_leg(osip_transaction_t *tr)
{
	return osip_transaction_get_your_instance(tr);
}

static void
cb_ict_response(int type, osip_transaction_t *tr, osip_message_t *m)
{
	struct sipd_leg *l = tr_leg(tr);
	char err[300];
	int r;

	if (l == NULL || m == NULL || sipd_indialog_response(l, tr, m))
		return;
	switch (type) {
	case OSIP_ICT_STATUS_1XX_RECEIVED:
		leg_ringing(l, m);
		break;
	case OSIP_ICT_STATUS_2XX_RECEIVED:
	case OSIP_ICT_STATUS_2XX_RECEIVED_AGAIN:
		leg_answered(l, m);
		break;
	default:
		if (tr != l->ict)
			break; /* an INVITE we already moved on from */
		/* A 401/407 from the trunk: answered in a new INVITE. */
		r = sipd_auth_retry(l, tr, m, err, sizeof(err));
		if (r == 0)
			break;
		log_info("dialog: %s/%s: %d %s%s%s", l->call_id, l->leg,
			 m->status_code,
			 m->reason_phrase ? m->reason_phrase : "",
			 r != -ENOENT ? ": " : "", r != -ENOENT ? err : "");
		/* RFC 3263 4.3: a 503 means try the next server. */
		if (m->status_code == 503 && leg_try_next(l, "503"))
			break;
		if (m->status_code == 422 &&
		    sipd_timer_retry_422(l, tr, m) == 0)
			break;
		if (MSG_IS_STATUS_3XX(m) && (l->state == SIPD_LEG_CALLING ||
					     l->state == SIPD_LEG_EARLY)) {
			if (!leg_redirect(l, m, err, sizeof(err)))
				leg_final_failure(l, m->status_code, err);
			break;
		}
		leg_failed_or_next(l, m->status_code,
				  r == -EACCES ? "authentication rejected"
				  : r != -ENOENT ? err
				  : m->reason_phrase ? m->reason_phrase
						     : "");
		break;
	}
}

static void
cb_nict_response(int type, osip_transaction_t *tr, osip_message_t *m)
{
	struct sipd_leg *l = tr_leg(tr);

	char err[300];

	(void)type;
	if (l == NULL || m == NULL || sipd_indialog_response(l, tr, m) ||
	    m->status_code < 200 || sipd_info_response(l, tr, m))
		return;
	if (sipd_auth_retry(l, tr, m, err, sizeof(err)) == 0)
		return; /* a challenged BYE, re-sent with credentials */
	if (tr->orig_request && MSG_IS_BYE(tr->orig_request) &&
	    l->state == SIPD_LEG_BYE_SENT) {
		leg_report(l, MSG_call_ended, 0, "local",
			   l->end_reason ? l->end_reason : "bye");
		leg_done(l);
	}
}

/* Timer B/F or a transport error: the far end never answered. */
static void
tr_no_answer(osip_transaction_t *tr, const char *why)
{
	struct sipd_leg *l = tr_leg(tr);
	char reason[400];

	if (l == NULL)
		return;
	if (tr->ctx_type == ICT) {
		if (tr != l->ict || leg_try_next(l, why))
			return;
		snprintf(reason, sizeof(reason), "no answer from %s (%s)",
			 l->req_uri ? l->req_uri : l->uri, why);
		leg_failed_or_next(l, 408, reason);
	} else if (sipd_info_response(l, tr, NULL)) {
		return;
	} else if (tr->orig_request && MSG_IS_BYE(tr->orig_request) &&
		   l->state == SIPD_LEG_BYE_SENT) {
		log_warnx("dialog: %s/%s: BYE unanswered (%s)", l->call_id,
			  l->leg, why);
		leg_report(l, MSG_call_ended, 0, "local",
			   l->end_reason ? l->end_reason : "bye");
		leg_done(l);
	}
}

static void
cb_timeout(int type, osip_transaction_t *tr, osip_message_t *m)
{
	(void)type;
	(void)m;
	tr_no_answer(tr, "timeout");
}

static void
cb_transport_error(int type, osip_transaction_t *tr, int error)
{
	(void)type;
	(void)error;
	tr_no_answer(tr, "cannot send");
}

static void
cb_kill(int type, osip_transaction_t *tr)
{
	struct sipd *sd = osip_get_application_context(tr->config);
	struct sipd_leg *l = tr_leg(tr);

	(void)type;
	if (l) {
		osip_transaction_set_your_instance(tr, NULL);
		l->refs--;
		/* The current ICT ended without a final answer we saw. */
		if (tr == l->ict && (l->state == SIPD_LEG_CALLING ||
				     l->state == SIPD_LEG_EARLY))
			leg_final_failure(l, 408, "the INVITE transaction "
						  "ended without an answer");
		if (tr == l->ict)
			l->ict = NULL;
	}
	osip_remove_transaction(sd->osip, tr);
	osip_list_add(&sd->garbage, tr, -1);
}

void
sipd_dialog_set_callbacks(osip_t *osip)
{
	static const int ict[] = {
	    OSIP_ICT_STATUS_1XX_RECEIVED, OSIP_ICT_STATUS_2XX_RECEIVED,
	    OSIP_ICT_STATUS_2XX_RECEIVED_AGAIN, OSIP_ICT_STATUS_3XX_RECEIVED,
	    OSIP_ICT_STATUS_4XX_RECEIVED, OSIP_ICT_STATUS_5XX_RECEIVED,
	    OSIP_ICT_STATUS_6XX_RECEIVED};
	static const int nict[] = {
	    OSIP_NICT_STATUS_1XX_RECEIVED, OSIP_NICT_STATUS_2XX_RECEIVED,
	    OSIP_NICT_STATUS_3XX_RECEIVED, OSIP_NICT_STATUS_4XX_RECEIVED,
	    OSIP_NICT_STATUS_5XX_RECEIVED, OSIP_NICT_STATUS_6XX_RECEIVED};

	for (size_t i = 0; i < sizeof(ict) / sizeof(ict[0]); i++)
		osip_set_message_callback(osip, ict[i], cb_ict_response);
	for (size_t i = 0; i < sizeof(nict) / sizeof(nict[0]); i++)
		osip_set_message_callback(osip, nict[i], cb_nict_response);
	osip_set_message_callback(osip, OSIP_ICT_STATUS_TIMEOUT, cb_timeout);
	osip_set_message_callback(osip, OSIP_NICT_STATUS_TIMEOUT, cb_timeout);
	for (int t = 0; t < OSIP_TRANSPORT_ERROR_CALLBACK_COUNT; t++)
		osip_set_transport_error_callback(osip, t, cb_transport_error);
	for (int t = 0; t < OSIP_KILL_CALLBACK_COUNT; t++)
		osip_set_kill_transaction_callback(osip, t, cb_kill);
}

/* ---- for indialog.c and timer.c ---- */

osip_message_t *
sipd_leg_request(struct sipd_leg *l, const char *method, const char *ruri,
		 int cseq)
{
	if (ruri == NULL)
		ruri = l->remote_target ? l->remote_target : l->uri;
	return leg_request(l, method, ruri, cseq);
}

int
sipd_leg_next_hop(struct sipd_leg *l, char *host, size_t hostlen, int *port)
{
	return leg_next_hop(l, host, hostlen, port);
}

void
sipd_leg_bye(struct sipd_leg *l, const char *reason)
{
	if (l->state != SIPD_LEG_CONFIRMED)
		return;
	log_info("dialog: %s/%s: %s: BYE", l->call_id, l->leg, reason);
	l->end_reason = reason;
	leg_send_bye(l);
}

void
sipd_dialog_conn_failed(struct sipd *sd, const struct sipd_target *t, int tp,
			const char *why)
{
	for (struct sipd_leg *l = sd->legs; l; l = l->next) {
		if (l->tp != tp || l->ict == NULL ||
		    (l->state != SIPD_LEG_CALLING) ||
		    l->target >= l->targets.n ||
		    !sipd_target_same(&l->targets.t[l->target], t))
			continue;
		tr_no_answer(l->ict, why);
	}
	sipd_run(sd);
}
