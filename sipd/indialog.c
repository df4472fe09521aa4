/*
 * indialog: what happens inside an established dialog after the first 2xx.
 * The far end may offer again (re-INVITE or UPDATE, RFC 3261 14 and RFC
 * 3311): hold (sendonly, inactive, c=0.0.0.0), resume, a new codec or RTP
 * address, or only a session refresh (RFC 4028, timer.c); we answer with
 * the direction mirrored, tell mediad, and publish call_held/call_resumed.
 * Our 2xx to a re-INVITE is repeated until its ACK (RFC 3261 13.3.1.4).
 * INFO is taken (200, DTMF relay logged), REFER declined (603: a caller
 * does not let the company move it elsewhere), NOTIFY without a
 * subscription refused (481).  Our own mid-dialog requests (the session
 * refresh, by UPDATE or re-INVITE) get their answers here too, and a 2xx
 * from a second branch of a forked INVITE is ACKed and ended with BYE
 * (RFC 3261 13.2.2.4).
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define INDIALOG_T1_MS 500	    /* RFC 3261 T1: first 2xx repeat */
#define INDIALOG_T2_MS 4000	    /* RFC 3261 T2: the longest gap */
#define INDIALOG_ACK_WAIT_MS 32000  /* 64*T1: no ACK by then, BYE */
#define INDIALOG_PENDING_MS 32000   /* our re-INVITE counts as pending */
#define INDIALOG_GLARE_MIN_MS 2100  /* 491: retry after 2.1..4 s (14.1) */
#define INDIALOG_GLARE_SPAN_MS 1900

static const char *
ua(const struct sipd_leg *l)
{
	return daemon_conf(l->sd->d)->sip_user_agent;
}

static int
body_of(const osip_message_t *m, const char **body, size_t *len)
{
	osip_body_t *b = NULL;

	if (osip_message_get_body(m, 0, &b) < 0 || b == NULL ||
	    b->body == NULL || b->length == 0)
		return -ENOENT;
	*body = b->body;
	*len = b->length;
	return 0;
}

/* Replaces m's body by sdp (n bytes), with its Content-Type and -Length. */
static void
set_sdp_body(osip_message_t *m, const char *sdp, size_t n)
{
	char cl[24];

	osip_message_set_content_type(m, "application/sdp");
	osip_message_set_body(m, sdp, n);
	snprintf(cl, sizeof(cl), "%zu", n);
	osip_content_length_free(m->content_length);
	m->content_length = NULL;
	osip_message_set_content_length(m, cl);
}

/* The branch of m's top Via; borrowed, NULL when there is none. */
static const char *
via_branch(const osip_message_t *m)
{
	osip_via_t *v = osip_list_get(&m->vias, 0);
	osip_generic_param_t *b = NULL;

	if (v == NULL ||
	    osip_generic_param_get_byname(&v->via_params, "branch", &b) != 0 ||
	    b == NULL)
		return NULL;
	return b->gvalue;
}

static int
cseq_of(const osip_message_t *m)
{
	return m->cseq && m->cseq->number ? atoi(m->cseq->number) : -1;
}

/* Copies s into out with anything but printable ASCII shown as '?'. */
static const char *
safe(const char *s, size_t n, char *out, size_t len)
{
	size_t i = 0;

	for (; s && n > 0 && *s && i + 1 < len; s++, n--)
		out[i++] = (*s >= ' ' && *s < 0x7f) ? *s : '?';
	out[i] = '\0';
	return out;
}

/* Our first SDP (the INVITE's offer) is where the o= line starts. */
static int
local_sdp_init(struct sipd_leg *l)
{
	const char *b;
	size_t n;

	if (l->local_sdp)
		return 0;
	if (l->invite == NULL || body_of(l->invite, &b, &n) < 0)
		return -ENOENT;
	if ((l->local_sdp = strndup(b, n)) == NULL)
		return -ENOMEM;
	if (sipd_sdp_origin(b, n, &l->sdp_sess_id, &l->sdp_version) < 0)
		l->sdp_sess_id = l->sdp_version = 1;
	l->our_dir = SIPD_SDP_SENDRECV;
	return 0;
}

/*
 * Our answer to the far end's offer a, direction dir, into buf.  The o=
 * version goes up only when the SDP differs from the last one we sent
 * (RFC 3264 8).  Returns its length or a negative errno.
 */
static int
local_answer(struct sipd_leg *l, const struct sipd_sdp_answer *a, int dir,
	     char *buf, size_t len)
{
	int n;
	char *copy;

	n = sipd_sdp_answer_build(buf, len, l->rtp_addr, l->rtp_port,
				  l->sdp_sess_id, l->sdp_version, a->pt,
				  a->dtmf_pt, dir);
	if (n < 0 || (l->local_sdp && strcmp(buf, l->local_sdp) == 0))
		return n;
	n = sipd_sdp_answer_build(buf, len, l->rtp_addr, l->rtp_port,
				  l->sdp_sess_id, ++l->sdp_version, a->pt,
				  a->dtmf_pt, dir);
	if (n < 0 || (copy = strdup(buf)) == NULL)
		return n < 0 ? n : -ENOMEM;
	free(l->local_sdp);
	l->local_sdp = copy;
	return n;
}

static void
publish_hold(struct sipd_leg *l, int held)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "leg", json_object_new_string(l->leg));
	json_object_object_add(o, "by", json_object_new_string("remote"));
	bus_publish(daemon_bus(l->sd->d), held ? MSG_call_held
					       : MSG_call_resumed,
		    l->call_id, o);
}

/*
 * The far end's media is now a, ours our_dir: tells mediad what changed
 * and publishes a change of hold.  With c=0.0.0.0 the old address stays.
 */
static void
media_apply(struct sipd_leg *l, const struct sipd_sdp_answer *a, int our_dir)
{
	struct sipd_sdp_answer m = *a;
	int held = a->dir == SIPD_SDP_SENDONLY || a->dir == SIPD_SDP_INACTIVE;

	if (a->hold_addr && l->media_known) {
		snprintf(m.addr, sizeof(m.addr), "%s", l->media.addr);
		m.port = l->media.port;
	}
	if (!l->media_known || strcmp(m.addr, l->media.addr) != 0 ||
	    m.port != l->media.port || m.pt != l->media.pt ||
	    m.dtmf_pt != l->media.dtmf_pt || our_dir != l->our_dir) {
		log_info("indialog: %s/%s: media now RTP %s:%d pt %d dtmf %d, "
			 "we are %s",
			 l->call_id, l->leg, m.addr, m.port, m.pt, m.dtmf_pt,
			 sipd_sdp_dir_name(our_dir));
		sipd_media_update(l, &m, our_dir);
	}
	l->media = m;
	l->media_known = 1;
	l->our_dir = our_dir;
	if (held != l->held) {
		log_info("indialog: %s/%s: the far end %s the call", l->call_id,
			 l->leg, held ? "holds" : "resumes");
		l->held = held;
		publish_hold(l, held);
	}
}

/* ---- our 2xx to a re-INVITE, until its ACK ---- */

static void
uas_2xx_stop(struct sipd_leg *l)
{
	if (l->uas_2xx_timer > 0)
		daemon_timer_cancel(l->sd->d, l->uas_2xx_timer);
	l->uas_2xx_timer = 0;
	osip_message_free(l->uas_2xx);
	l->uas_2xx = NULL;
}

static void
uas_2xx_cb(struct daemon *d, void *arg)
{
	struct sipd_leg *l = arg;

	l->uas_2xx_timer = 0;
	if (l->uas_2xx == NULL || l->state != SIPD_LEG_CONFIRMED)
		return;
	if (l->uas_2xx_ms >= INDIALOG_ACK_WAIT_MS) {
		log_warnx("indialog: %s/%s: no ACK for our 2xx to the "
			  "re-INVITE",
			  l->call_id, l->leg);
		uas_2xx_stop(l);
		sipd_leg_bye(l, "no ACK for our answer");
		sipd_run(l->sd);
		return;
	}
	sipd_transport_send(l->sd, l->uas_2xx, l->uas_2xx_host,
			    l->uas_2xx_port);
	{
		int gap = l->uas_2xx_ms < INDIALOG_T2_MS ? l->uas_2xx_ms
							 : INDIALOG_T2_MS;
		/* uas_2xx_ms holds the time waited so far. */
		gap = gap * 2 > INDIALOG_T2_MS ? INDIALOG_T2_MS : gap * 2;
		l->uas_2xx_ms += gap;
		l->uas_2xx_timer = daemon_timer_add(d, gap, uas_2xx_cb, l);
	}
}

static void
uas_2xx_start(struct sipd_leg *l, const osip_message_t *resp,
	      const osip_message_t *req, const char *host, int port)
{
	const char *br = via_branch(req);

	uas_2xx_stop(l);
	free(l->uas_2xx_branch);
	l->uas_2xx_branch = br ? strdup(br) : NULL;
	if (osip_message_clone(resp, &l->uas_2xx) != 0) {
		l->uas_2xx = NULL;
		return;
	}
	/* RFC 3261 18.2.2 and RFC 3581: to the source address, at the
	 * source port only if the Via asked for rport. */
	{
		osip_via_t *v = osip_list_get(&req->vias, 0);
		osip_generic_param_t *rp = NULL;
		if (v && osip_generic_param_get_byname(&v->via_params, "rport",
						       &rp) != 0)
			port = v->port ? atoi(v->port) : 5060;
	}
	snprintf(l->uas_2xx_host, sizeof(l->uas_2xx_host), "%s", host);
	l->uas_2xx_port = port;
	l->uas_2xx_ms = INDIALOG_T1_MS;
	l->uas_2xx_timer =
	    daemon_timer_add(l->sd->d, INDIALOG_T1_MS, uas_2xx_cb, l);
}

int
sipd_indialog_ack(struct sipd *sd, osip_message_t *ack)
{
	osip_generic_param_t *tt = NULL, *ft = NULL;
	struct sipd_leg *l;
	struct sipd_sdp_answer a;
	const char *body;
	size_t blen;
	char err[160];

	if (osip_to_get_tag(ack->to, &tt) != 0 || tt == NULL ||
	    tt->gvalue == NULL || osip_from_get_tag(ack->from, &ft) != 0 ||
	    ft == NULL || ft->gvalue == NULL)
		return -ENOENT;
	l = sipd_leg_find_dialog(sd, ack->call_id, tt->gvalue, ft->gvalue);
	if (l == NULL)
		return -ENOENT;
	if (l->uas_2xx && cseq_of(ack) == cseq_of(l->uas_2xx))
		uas_2xx_stop(l);
	/* The answer to the offer of our 2xx (a re-INVITE without SDP). */
	if (l->state == SIPD_LEG_CONFIRMED && body_of(ack, &body, &blen) == 0) {
		if (sipd_sdp_answer_parse(body, blen, &a, err, sizeof(err)) ==
		    0)
			media_apply(l, &a, l->our_dir);
		else
			log_warnx("indialog: %s/%s: ACK with unusable SDP: %s",
				  l->call_id, l->leg, err);
	}
	return 0;
}

int
sipd_indialog_cancel_code(struct sipd *sd, osip_message_t *cancel)
{
	const char *br = via_branch(cancel), *b2;
	osip_transaction_t *tr;

	if (br == NULL)
		return 481;
	for (int i = 0;
	     (tr = osip_list_get(&sd->osip->osip_ist_transactions, i)); i++)
		if (tr->orig_request && (b2 = via_branch(tr->orig_request)) &&
		    strcmp(b2, br) == 0)
			return 200; /* answered at once: nothing to stop */
	for (struct sipd_leg *l = sd->legs; l; l = l->next)
		if (l->uas_2xx_branch && strcmp(l->uas_2xx_branch, br) == 0 &&
		    sipd_call_id_match(cancel->call_id, l->sip_call_id))
			return 200;
	return 481;
}

/* ---- requests from the far end ---- */

/* Contact of a target refresh request becomes the remote target. */
static void
target_refresh(struct sipd_leg *l, const osip_message_t *req)
{
	osip_contact_t *ct = NULL;
	char *s = NULL, *copy;

	if (osip_message_get_contact(req, 0, &ct) < 0 || ct == NULL ||
	    ct->url == NULL || osip_uri_to_str(ct->url, &s) != 0 || s == NULL)
		return;
	if (strlen(s) >= SIPD_URI_MAX) {
		log_warnx("indialog: %s/%s: a Contact of %zu bytes ignored",
			  l->call_id, l->leg, strlen(s));
		osip_free(s);
		return;
	}
	if (l->remote_target == NULL || strcmp(l->remote_target, s) != 0) {
		if ((copy = strdup(s)) != NULL) {
			log_info("indialog: %s/%s: remote target now %s",
				 l->call_id, l->leg, copy);
			free(l->remote_target);
			l->remote_target = copy;
		}
	}
	osip_free(s);
}

static void
add_contact(struct sipd_leg *l, osip_message_t *resp)
{
	const char *user = daemon_conf(l->sd->d)->sip_contact_user;
	char buf[200];

	if (strchr(l->local_ip, ':'))
		snprintf(buf, sizeof(buf), "<sip:%s@[%s]:%d>", user,
			 l->local_ip, l->sd->port);
	else
		snprintf(buf, sizeof(buf), "<sip:%s@%s:%d>", user, l->local_ip,
			 l->sd->port);
	osip_message_set_contact(resp, buf);
}

/* The response to a re-INVITE or UPDATE; *code is set to its status. */
static osip_message_t *
reoffer(struct sipd_leg *l, osip_message_t *req, int *code)
{
	int invite = MSG_IS_INVITE(req), have_offer, n = 0, our_dir;
	struct sipd_sdp_answer a;
	osip_message_t *resp;
	const char *body;
	size_t blen;
	char err[200], sdp[1024];

	*code = 200;
	have_offer = body_of(req, &body, &blen) == 0;
	if (have_offer && l->offer_pending &&
	    msg_mono_ms() - l->offer_pending < INDIALOG_PENDING_MS) {
		log_info("indialog: %s/%s: %s crosses our re-INVITE: 491",
			 l->call_id, l->leg, req->sip_method);
		*code = 491;
	} else if (have_offer &&
		   sipd_sdp_answer_parse(body, blen, &a, err, sizeof(err)) <
		       0) {
		log_warnx("indialog: %s/%s: %s offer refused: %s", l->call_id,
			  l->leg, req->sip_method, err);
		*code = 488;
	} else if (local_sdp_init(l) < 0) {
		*code = 500;
	}
	if (*code == 200) {
		resp = sipd_response_new(req, 200, ua(l));
		if (resp == NULL)
			return NULL;
		if (sipd_timer_request(l, req, resp) == 422) {
			osip_message_free(resp);
			*code = 422;
			resp = sipd_response_new(req, 422, ua(l));
			if (resp)
				sipd_timer_min_se_header(l, resp);
			return resp;
		}
	} else {
		resp = sipd_response_new(req, *code, ua(l));
		if (resp && *code == 488)
			osip_message_set_header(
			    resp, "Warning",
			    "305 holdslayer \"Incompatible media format\"");
		return resp;
	}
	if (have_offer) {
		our_dir = sipd_sdp_dir_mirror(a.dir);
		n = local_answer(l, &a, our_dir, sdp, sizeof(sdp));
		if (n > 0)
			media_apply(l, &a, our_dir);
	} else if (invite) {
		/* No offer: ours goes in the 2xx, the answer in the ACK. */
		n = snprintf(sdp, sizeof(sdp), "%s", l->local_sdp);
	}
	if (n < 0 || (size_t)n >= sizeof(sdp)) {
		osip_message_free(resp);
		*code = 500;
		return sipd_response_new(req, 500, ua(l));
	}
	target_refresh(l, req);
	add_contact(l, resp);
	osip_message_set_header(resp, "Allow", SIPD_ALLOW);
	osip_message_set_header(resp, "Supported", SIPD_SUPPORTED);
	if (n > 0)
		set_sdp_body(resp, sdp, (size_t)n);
	sipd_timer_arm(l);
	log_info("indialog: %s/%s: %s (%s): 200%s", l->call_id, l->leg,
		 req->sip_method,
		 have_offer ? sipd_sdp_dir_name(a.dir) : "no SDP",
		 l->se ? ", session timer on" : "");
	return resp;
}

/* INFO: DTMF relay (application/dtmf-relay "Signal=5") is logged. */
static void
info_log(struct sipd_leg *l, osip_message_t *req)
{
	osip_content_type_t *ct = osip_message_get_content_type(req);
	const char *body, *sig;
	size_t blen;
	char buf[64];

	if (body_of(req, &body, &blen) < 0 || ct == NULL || ct->type == NULL ||
	    ct->subtype == NULL) {
		log_info("indialog: %s/%s: INFO without a body", l->call_id,
			 l->leg);
		return;
	}
	if (strcasecmp(ct->subtype, "dtmf-relay") == 0 &&
	    (sig = strcasestr(body, "Signal=")) != NULL &&
	    (size_t)(sig - body) < blen) {
		sig += 7;
		while (*sig == ' ')
			sig++;
		log_info("indialog: %s/%s: INFO DTMF relay digit %s",
			 l->call_id, l->leg,
			 safe(sig, strcspn(sig, "\r\n"), buf, sizeof(buf)));
		return;
	}
	{
		char sub[32];
		log_info("indialog: %s/%s: INFO %s/%s (%zu bytes) taken",
			 l->call_id, l->leg, safe(ct->type, 32, buf, 32),
			 safe(ct->subtype, 31, sub, sizeof(sub)), blen);
	}
}

int
sipd_indialog_request(struct sipd_leg *l, osip_transaction_t *tr,
		      osip_message_t *req, const char *from, int fromport)
{
	const char *m = req->sip_method;
	int cseq = cseq_of(req), code = 0;
	osip_message_t *resp = NULL;
	char buf[200];

	if (strcmp(m, "CANCEL") == 0) {
		code = sipd_indialog_cancel_code(l->sd, req);
	} else if (strcmp(m, "INVITE") != 0 && strcmp(m, "UPDATE") != 0 &&
		   strcmp(m, "INFO") != 0 && strcmp(m, "REFER") != 0 &&
		   strcmp(m, "NOTIFY") != 0) {
		return -ENOENT;
	} else if (l->state != SIPD_LEG_CONFIRMED) {
		code = 481;
	} else if (l->indialog_cseq > 0 && cseq <= l->indialog_cseq) {
		const char *br = via_branch(req);
		if (MSG_IS_INVITE(req) && l->uas_2xx && br &&
		    l->uas_2xx_branch && strcmp(br, l->uas_2xx_branch) == 0 &&
		    osip_message_clone(l->uas_2xx, &resp) == 0) {
			/* Our 2xx was lost: the re-INVITE came again. */
			osip_transaction_add_event(
			    tr, osip_new_outgoing_sipmessage(resp));
			return 0;
		}
		log_warnx("indialog: %s/%s: %s with CSeq %d after %d: 500",
			  l->call_id, l->leg, m, cseq, l->indialog_cseq);
		code = 500;
	}
	if (code == 0 && cseq > 0)
		l->indialog_cseq = cseq;
	if (code != 0) {
		resp = sipd_response_new(req, code, ua(l));
	} else if (strcmp(m, "INVITE") == 0 || strcmp(m, "UPDATE") == 0) {
		resp = reoffer(l, req, &code);
	} else if (strcmp(m, "INFO") == 0) {
		info_log(l, req);
		resp = sipd_response_new(req, code = 200, ua(l));
	} else if (strcmp(m, "REFER") == 0) {
		osip_header_t *h = NULL;
		osip_message_header_get_byname(req, "refer-to", 0, &h);
		if (h == NULL)
			osip_message_header_get_byname(req, "r", 0, &h);
		log_info("indialog: %s/%s: the far end asks to transfer us to "
			 "%s: declined (603)",
			 l->call_id, l->leg,
			 safe(h && h->hvalue ? h->hvalue : "?", 120, buf,
			      sizeof(buf)));
		resp = sipd_response_new(req, code = 603, ua(l));
	} else { /* NOTIFY: we hold no subscription (RFC 6665 4.1.3) */
		resp = sipd_response_new(req, code = 481, ua(l));
	}
	if (resp == NULL) {
		log_warnx("indialog: cannot build a %d response", code);
		return 0;
	}
	if (code >= 200 && code < 300 && MSG_IS_INVITE(req))
		uas_2xx_start(l, resp, req, from, fromport);
	log_info("indialog: %s/%s: %s CSeq %d from %s:%d: %d", l->call_id,
		 l->leg, m, cseq, from, fromport, code);
	osip_transaction_add_event(tr, osip_new_outgoing_sipmessage(resp));
	return 0;
}

/* ---- our own requests in the dialog ---- */

static void
retry_cb(struct daemon *d, void *arg)
{
	struct sipd_leg *l = arg;

	(void)d;
	l->se_retry_timer = 0;
	if (l->state == SIPD_LEG_CONFIRMED && sipd_indialog_refresh(l) == 0)
		sipd_run(l->sd);
}

static void
retry_later(struct sipd_leg *l, int ms)
{
	if (l->se_retry_timer > 0)
		daemon_timer_cancel(l->sd->d, l->se_retry_timer);
	l->se_retry_timer = daemon_timer_add(l->sd->d, ms, retry_cb, l);
}

int
sipd_indialog_refresh(struct sipd_leg *l)
{
	osip_message_t *req;
	int update = l->peer_update;

	if (l->state != SIPD_LEG_CONFIRMED)
		return -ESRCH;
	if (l->offer_pending &&
	    msg_mono_ms() - l->offer_pending < INDIALOG_PENDING_MS) {
		retry_later(l, INDIALOG_GLARE_MIN_MS);
		return -EBUSY;
	}
	if (!update && local_sdp_init(l) < 0)
		return -ENOENT;
	req = sipd_leg_request(l, update ? "UPDATE" : "INVITE", NULL,
			       ++l->cseq);
	if (req == NULL)
		return -ENOMEM;
	if (!update) {
		set_sdp_body(req, l->local_sdp, strlen(l->local_sdp));
		l->offer_pending = msg_mono_ms();
	}
	log_info("indialog: %s/%s: session refresh by %s (Session-Expires "
		 "%d)",
		 l->call_id, l->leg, update ? "UPDATE" : "re-INVITE", l->se);
	return sipd_leg_send(l, update ? NICT : ICT, req);
}

/* A final answer other than 2xx to our refresh. */
static void
refresh_failed(struct sipd_leg *l, const osip_message_t *m, int update)
{
	int code = m->status_code, min;

	log_warnx("indialog: %s/%s: our %s got %d %s", l->call_id, l->leg,
		  update ? "UPDATE" : "re-INVITE", code,
		  m->reason_phrase ? m->reason_phrase : "");
	switch (code) {
	case 422:
		min = sipd_timer_min_se_of(m);
		if (min > l->se) {
			l->se = l->se_want = l->min_se = min;
			sipd_indialog_refresh(l);
		}
		break;
	case 491:
		retry_later(l, INDIALOG_GLARE_MIN_MS +
				   (int)(msg_mono_ms() %
					 INDIALOG_GLARE_SPAN_MS));
		break;
	case 405:
	case 501:
		if (update) { /* the Allow lied: refresh by re-INVITE */
			l->peer_update = 0;
			sipd_indialog_refresh(l);
		}
		break;
	case 408:
	case 481:
		/* RFC 3261 12.2.1.2: the dialog is gone. */
		sipd_leg_bye(l, "the far end lost the dialog");
		break;
	default:
		break; /* the session timer decides */
	}
}

/* A response to our re-INVITE of CSeq cseq (tr NULL: a repeated 2xx). */
static void
reinvite_response(struct sipd_leg *l, osip_message_t *m, int cseq)
{
	struct sipd_sdp_answer a;
	const char *body;
	size_t blen;
	char host[256], err[160];
	int port;

	if (m->status_code < 200)
		return;
	if (m->status_code >= 300) {
		l->offer_pending = 0;
		refresh_failed(l, m, 0);
		return;
	}
	if (l->reinv_ack == NULL || l->reinv_cseq != cseq) {
		osip_message_free(l->reinv_ack);
		l->reinv_ack = sipd_leg_request(l, "ACK", NULL, cseq);
		l->reinv_cseq = cseq;
		l->offer_pending = 0;
		if (body_of(m, &body, &blen) == 0) {
			if (sipd_sdp_answer_parse(body, blen, &a, err,
						  sizeof(err)) == 0)
				media_apply(l, &a, l->our_dir);
			else
				log_warnx("indialog: %s/%s: 2xx to our "
					  "re-INVITE with unusable SDP: %s",
					  l->call_id, l->leg, err);
		}
		sipd_timer_response(l, m);
	}
	if (l->reinv_ack &&
	    sipd_leg_next_hop(l, host, sizeof(host), &port) == 0)
		sipd_transport_send(l->sd, l->reinv_ack, host, port);
}

int
sipd_indialog_response(struct sipd_leg *l, osip_transaction_t *tr,
		       osip_message_t *m)
{
	const char *method = m->cseq ? m->cseq->method : NULL;
	int cseq = cseq_of(m);

	(void)tr;
	if (method == NULL)
		return 0;
	if (strcmp(method, "INVITE") == 0) {
		if (l->invite == NULL || cseq == cseq_of(l->invite))
			return 0;
		reinvite_response(l, m, cseq);
		return 1;
	}
	if (strcmp(method, "UPDATE") == 0) {
		if (m->status_code >= 300)
			refresh_failed(l, m, 1);
		else if (m->status_code >= 200)
			sipd_timer_response(l, m);
		return 1;
	}
	return 0;
}

void
sipd_indialog_connected(struct sipd_leg *l, osip_message_t *m,
			const struct sipd_sdp_answer *a)
{
	local_sdp_init(l);
	l->media = *a;
	l->media_known = 1;
	l->our_dir = SIPD_SDP_SENDRECV;
	sipd_timer_response(l, m);
}

/* ---- forks ---- */

int
sipd_indialog_fork_2xx(struct sipd_leg *l, osip_message_t *m)
{
	osip_generic_param_t *tag = NULL;
	osip_contact_t *ct = NULL;
	osip_record_route_t *rr;
	osip_transaction_t *tr = NULL;
	struct sipd_leg tmp;
	osip_message_t *ack = NULL, *bye;
	char host[256], *target = NULL;
	int cseq = cseq_of(m), port, slot = -1;

	if (l->remote_tag == NULL || l->invite == NULL ||
	    cseq != cseq_of(l->invite) ||
	    osip_to_get_tag(m->to, &tag) != 0 || tag == NULL ||
	    tag->gvalue == NULL || strcmp(tag->gvalue, l->remote_tag) == 0)
		return 0;
	tmp = *l;
	tmp.remote_tag = tag->gvalue;
	tmp.remote_target = NULL;
	osip_list_init(&tmp.route_set);
	if (osip_message_get_contact(m, 0, &ct) >= 0 && ct && ct->url &&
	    osip_uri_to_str(ct->url, &target) == 0)
		tmp.remote_target = target;
	for (int i = 0; osip_message_get_record_route(m, i, &rr) >= 0; i++) {
		osip_route_t *c = NULL;
		if (rr && osip_from_clone(rr, &c) == 0)
			osip_list_add(&tmp.route_set, c, 0);
	}
	for (int i = 0; i < SIPD_FORKS_MAX; i++) {
		if (l->fork_tag[i] && strcmp(l->fork_tag[i], tag->gvalue) == 0) {
			/* That fork's 2xx again: its ACK again. */
			if (l->fork_ack[i] &&
			    sipd_leg_next_hop(&tmp, host, sizeof(host),
					      &port) == 0)
				sipd_transport_send(l->sd, l->fork_ack[i], host,
						    port);
			goto out;
		}
		if (l->fork_tag[i] == NULL && slot < 0)
			slot = i;
	}
	log_info("dialog: %s/%s: a 2xx from another fork (To tag %s): ACK "
		 "and BYE",
		 l->call_id, l->leg, tag->gvalue);
	ack = sipd_leg_request(&tmp, "ACK", NULL, cseq);
	if (ack && sipd_leg_next_hop(&tmp, host, sizeof(host), &port) == 0)
		sipd_transport_send(l->sd, ack, host, port);
	bye = sipd_leg_request(&tmp, "BYE", NULL, cseq + 1);
	if (bye && osip_transaction_init(&tr, NICT, l->sd->osip, bye) == 0)
		osip_transaction_add_event(tr,
					   osip_new_outgoing_sipmessage(bye));
	else
		osip_message_free(bye);
	if (slot >= 0 && ack) {
		l->fork_tag[slot] = strdup(tag->gvalue);
		l->fork_ack[slot] = ack;
		ack = NULL;
	}
out:
	osip_message_free(ack);
	osip_list_special_free(&tmp.route_set,
			       (void (*)(void *))osip_route_free);
	osip_free(target);
	return 1;
}

void
sipd_indialog_free(struct sipd_leg *l)
{
	uas_2xx_stop(l);
	sipd_timer_stop(l);
	if (l->se_retry_timer > 0)
		daemon_timer_cancel(l->sd->d, l->se_retry_timer);
	l->se_retry_timer = 0;
	free(l->uas_2xx_branch);
	free(l->local_sdp);
	osip_message_free(l->reinv_ack);
	for (int i = 0; i < SIPD_FORKS_MAX; i++) {
		free(l->fork_tag[i]);
		osip_message_free(l->fork_ack[i]);
	}
}
