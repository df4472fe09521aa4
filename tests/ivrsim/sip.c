/*
 * sip: the SIP side of ivrsim, a UAS over one UDP socket.  Messages are
 * parsed and built with libosip2's parser; the INVITE server transaction
 * and the dialog are kept here by hand because they are small: 100 Trying,
 * 180 Ringing (or 183 with SDP for early media), the 200 OK after
 * answer_after seconds, retransmitted (T1 doubling up to T2) until the ACK
 * or 32 s; retransmitted INVITEs get the last response again; CANCEL before
 * the answer gives 200 + 487; BYE from either side.  Anything unparseable
 * is logged and dropped; a parseable request missing a mandatory header
 * gets 400; an unknown method 501.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <osipparser2/sdp_message.h>

#include <json-c/json.h>

#include "audio.h"
#include "ivrsim.h"
#include "log.h"

#define T1 0.5
#define T2 4.0
#define TIMER_B 32.0

static void
send_to(struct ivrsim *ivr, const struct sockaddr_in *to, const char *msg)
{
	if (sendto(ivr->sipfd, msg, strlen(msg), 0, (const struct sockaddr *)to,
		   sizeof(*to)) < 0)
		log_warn("sip: sendto %s:%d", inet_ntoa(to->sin_addr),
			 ntohs(to->sin_port));
}

static char *
call_id_str(const osip_message_t *m)
{
	char *s = NULL;

	if (m->call_id == NULL || osip_call_id_to_str(m->call_id, &s) != 0)
		return NULL;
	return s;
}

static struct call *
call_find(struct ivrsim *ivr, const char *cid)
{
	for (struct call *c = ivr->calls; c != NULL; c = c->next)
		if (cid != NULL && strcmp(c->call_id, cid) == 0)
			return c;
	return NULL;
}

static void
sdp_answer(const struct call *c, char *buf, size_t len)
{
	const struct ivrsim *ivr = c->ivr;
	char tev[160] = "", pts[32];

	if (c->tev_pt >= 0) {
		snprintf(pts, sizeof(pts), " %d", c->tev_pt);
		snprintf(tev, sizeof(tev),
			 "a=rtpmap:%d telephone-event/8000\r\n"
			 "a=fmtp:%d 0-16\r\n",
			 c->tev_pt, c->tev_pt);
	} else
		pts[0] = '\0';
	snprintf(buf, len,
		 "v=0\r\n"
		 "o=ivrsim %d 1 IN IP4 %s\r\n"
		 "s=ivrsim\r\n"
		 "c=IN IP4 %s\r\n"
		 "t=0 0\r\n"
		 "m=audio %d RTP/AVP %d%s\r\n"
		 "a=rtpmap:%d %s/8000\r\n"
		 "%s"
		 "a=ptime:20\r\n"
		 "a=sendrecv\r\n",
		 c->seq, ivr->local_ip, ivr->local_ip, c->local_port, c->pt,
		 pts, c->pt, c->pt == 8 ? "PCMA" : "PCMU", tev);
}

/*
 * Builds a response to req (osip_free the result).  to_tag is added to To
 * for codes above 100 when To has none; sdp, when not NULL, is the body.
 */
static char *
make_response(struct ivrsim *ivr, const osip_message_t *req, int code,
	      const char *to_tag, const char *sdp)
{
	osip_message_t *r;
	osip_generic_param_t *tag = NULL;
	const char *reason = osip_message_get_reason(code);
	char *s = NULL, contact[160];
	size_t len;
	bool invite = MSG_IS_INVITE(req);

	if (osip_message_init(&r) != 0)
		return NULL;
	osip_message_set_version(r, osip_strdup("SIP/2.0"));
	osip_message_set_status_code(r, code);
	osip_message_set_reason_phrase(r, osip_strdup(reason != NULL ? reason
								      : "Unknown"));
	osip_list_clone(&req->vias, &r->vias,
			(int (*)(void *, void **))osip_via_clone);
	if (req->from != NULL)
		osip_from_clone(req->from, &r->from);
	if (req->to != NULL) {
		osip_to_clone(req->to, &r->to);
		if (to_tag != NULL && code > 100 &&
		    osip_to_get_tag(r->to, &tag) != 0)
			osip_to_set_tag(r->to, osip_strdup(to_tag));
	}
	if (req->call_id != NULL)
		osip_call_id_clone(req->call_id, &r->call_id);
	if (req->cseq != NULL)
		osip_cseq_clone(req->cseq, &r->cseq);
	if (invite && code > 100 && code < 300) {
		osip_list_clone(&req->record_routes, &r->record_routes,
				(int (*)(void *, void **))osip_record_route_clone);
		snprintf(contact, sizeof(contact), "<sip:ivrsim@%s:%d>",
			 ivr->local_ip, ivr->local_port);
		osip_message_set_contact(r, contact);
	}
	if (code == 200 && (invite || MSG_IS_OPTIONS(req))) {
		osip_message_set_allow(r, "INVITE, ACK, CANCEL, BYE, OPTIONS");
		osip_message_set_header(r, "Accept", "application/sdp");
	}
	if (code == 501)
		osip_message_set_allow(r, "INVITE, ACK, CANCEL, BYE, OPTIONS");
	osip_message_set_header(r, "Server", "ivrsim/" HS_VERSION);
	if (sdp != NULL) {
		osip_message_set_content_type(r, "application/sdp");
		osip_message_set_body(r, sdp, strlen(sdp));
	} else
		osip_message_set_content_length(r, "0");
	if (osip_message_to_str(r, &s, &len) != 0)
		s = NULL;
	osip_message_free(r);
	return s;
}

static void
respond(struct ivrsim *ivr, const osip_message_t *req,
	const struct sockaddr_in *to, int code, const char *to_tag)
{
	char *s = make_response(ivr, req, code, to_tag, NULL);

	if (s == NULL) {
		log_warnx("sip: cannot build a %d response", code);
		return;
	}
	send_to(ivr, to, s);
	osip_free(s);
}

/* Sends (and remembers, for retransmissions) a response to the INVITE. */
static void
invite_respond(struct call *c, int code, bool with_sdp)
{
	char sdp[1024];

	if (with_sdp)
		sdp_answer(c, sdp, sizeof(sdp));
	if (c->last_invite_resp != NULL)
		osip_free(c->last_invite_resp);
	c->last_invite_resp = make_response(c->ivr, c->invite, code,
					    c->local_tag, with_sdp ? sdp : NULL);
	if (c->last_invite_resp != NULL)
		send_to(c->ivr, &c->peer, c->last_invite_resp);
	log_debug("sip: call %d: sent %d", c->seq, code);
}

/*
 * Reads the SDP offer: the first audio stream's address and port, the
 * first of PCMU/PCMA in the caller's order, and telephone-event's payload
 * type (-1 if not offered).  Returns 0, or -1 with err.
 */
static int
parse_offer(struct call *c, const char *body, char *err, size_t errlen)
{
	sdp_message_t *sdp = NULL;
	const char *addr, *media;
	int pos, rc = -1;

	c->pt = -1;
	c->tev_pt = -1;
	if (sdp_message_init(&sdp) != 0 || sdp_message_parse(sdp, body) != 0) {
		snprintf(err, errlen, "SDP offer does not parse");
		goto out;
	}
	for (pos = 0; (media = sdp_message_m_media_get(sdp, pos)) != NULL; pos++)
		if (strcmp(media, "audio") == 0)
			break;
	if (media == NULL) {
		snprintf(err, errlen, "SDP offer has no audio stream");
		goto out;
	}
	addr = sdp_message_c_addr_get(sdp, pos, 0);
	if (addr == NULL)
		addr = sdp_message_c_addr_get(sdp, -1, 0);
	if (addr == NULL || strlen(addr) >= sizeof(c->remote_addr)) {
		snprintf(err, errlen, "SDP offer has no connection address");
		goto out;
	}
	snprintf(c->remote_addr, sizeof(c->remote_addr), "%s", addr);
	c->remote_port = sdp_message_m_port_get(sdp, pos) != NULL
			     ? atoi(sdp_message_m_port_get(sdp, pos))
			     : 0;
	if (c->remote_port <= 0 || c->remote_port > 65535) {
		snprintf(err, errlen, "SDP offer has a bad audio port");
		goto out;
	}
	for (int i = 0; sdp_message_m_payload_get(sdp, pos, i) != NULL; i++) {
		int pt = atoi(sdp_message_m_payload_get(sdp, pos, i));

		if (c->pt < 0 && (pt == 0 || pt == 8))
			c->pt = pt;
	}
	for (int i = 0;; i++) {
		sdp_attribute_t *a = sdp_message_attribute_get(sdp, pos, i);
		int pt;
		char name[64];

		if (a == NULL)
			break;
		if (a->a_att_field == NULL || a->a_att_value == NULL ||
		    strcmp(a->a_att_field, "rtpmap") != 0)
			continue;
		if (sscanf(a->a_att_value, "%d %63[^/]", &pt, name) == 2 &&
		    strcasecmp(name, "telephone-event") == 0 && pt > 95 &&
		    pt < 128)
			c->tev_pt = pt;
	}
	if (c->pt < 0) {
		snprintf(err, errlen, "SDP offer has neither PCMU nor PCMA");
		goto out;
	}
	rc = 0;
out:
	sdp_message_free(sdp);
	return rc;
}

void
call_free(struct call *c)
{
	if (c == NULL)
		return;
	media_close(c);
	if (c->listen_wav != NULL)
		audio_wav_close(c->listen_wav);
	osip_message_free(c->invite);
	osip_free(c->call_id);
	osip_free(c->last_invite_resp);
	osip_free(c->from_str);
	osip_free(c->to_str);
	free(c->local_tag);
	free(c->remote_target);
	free(c->route_str);
	free(c->bye_branch);
	free(c->bye_str);
	free(c->listen_path);
	json_object_put(c->nodes);
	json_object_put(c->collected);
	json_object_put(c->speech);
	free(c);
}

static void
handle_invite(struct ivrsim *ivr, osip_message_t *m,
	      const struct sockaddr_in *from, char *cid)
{
	struct call *c = call_find(ivr, cid);
	osip_body_t *body = NULL;
	osip_to_t *to;
	osip_contact_t *ct = NULL;
	char err[256], *s;
	double now = now_mono();

	if (c != NULL) {
		osip_generic_param_t *tag = NULL;

		if (osip_to_get_tag(m->to, &tag) == 0 && tag != NULL &&
		    c->state != CS_DONE && c->state != CS_EARLY) {
			/* re-INVITE in the dialog: keep the media, answer
			 * with the same SDP. */
			char sdp[1024], *r;

			sdp_answer(c, sdp, sizeof(sdp));
			r = make_response(ivr, m, 200, c->local_tag, sdp);
			if (r != NULL) {
				send_to(ivr, from, r);
				osip_free(r);
			}
			log_info("sip: call %d: re-INVITE answered", c->seq);
		} else if (c->last_invite_resp != NULL) {
			log_debug("sip: call %d: INVITE retransmission", c->seq);
			send_to(ivr, &c->peer, c->last_invite_resp);
		}
		osip_free(cid);
		return;
	}
	if (ivr->maxcalls > 0 && ivr->ncalls >= ivr->maxcalls) {
		log_warnx("sip: INVITE %s refused: already took %d calls (-n)",
			  cid, ivr->maxcalls);
		respond(ivr, m, from, 503, NULL);
		osip_free(cid);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		fatal("calloc");
	c->ivr = ivr;
	c->seq = ++ivr->ncalls;
	c->call_id = cid;
	c->peer = *from;
	c->local_tag = random_token();
	c->local_cseq = 1;
	c->t_invite = now;
	report_init(c);
	if (osip_message_clone(m, &c->invite) != 0)
		fatalx("sip: cannot clone the INVITE");
	osip_from_to_str(m->from, &c->from_str);
	osip_to_clone(m->to, &to);
	osip_to_set_tag(to, osip_strdup(c->local_tag));
	osip_to_to_str(to, &c->to_str);
	osip_to_free(to);
	osip_message_get_contact(m, 0, &ct);
	if (ct != NULL && ct->url != NULL && osip_uri_to_str(ct->url, &s) == 0) {
		c->remote_target = xstrdup(s);
		osip_free(s);
	} else if (m->from->url != NULL && osip_uri_to_str(m->from->url, &s) == 0) {
		c->remote_target = xstrdup(s);
		osip_free(s);
	}
	{
		char routes[2048] = "";
		osip_record_route_t *rr;

		for (int i = 0; osip_message_get_record_route(m, i, &rr) >= 0;
		     i++) {
			if (osip_record_route_to_str(rr, &s) != 0)
				continue;
			if (routes[0] != '\0')
				strncat(routes, ", ",
					sizeof(routes) - strlen(routes) - 1);
			strncat(routes, s, sizeof(routes) - strlen(routes) - 1);
			osip_free(s);
		}
		if (routes[0] != '\0')
			c->route_str = xstrdup(routes);
	}
	c->next = ivr->calls;
	ivr->calls = c;
	log_info("sip: call %d: INVITE %s from %s", c->seq, cid, c->from_str);

	osip_message_get_body(m, 0, &body);
	if (body == NULL || body->body == NULL) {
		log_warnx("sip: call %d: INVITE without an SDP offer, 488", c->seq);
		invite_respond(c, 488, false);
		call_end(c, "ivrsim");
		return;
	}
	if (parse_offer(c, body->body, err, sizeof(err)) < 0) {
		log_warnx("sip: call %d: %s, 488", c->seq, err);
		invite_respond(c, 488, false);
		call_end(c, "ivrsim");
		return;
	}
	c->codec = c->pt == 8 ? "PCMA" : "PCMU";
	if (media_open(c, err, sizeof(err)) < 0) {
		log_warnx("sip: call %d: %s, 500", c->seq, err);
		invite_respond(c, 500, false);
		call_end(c, "ivrsim");
		return;
	}
	invite_respond(c, 100, false);
	c->state = CS_EARLY;
	c->t_answer_due = now + ivr->sc->answer_after;
	if (ivr->sc->early_media) {
		invite_respond(c, 183, true);
		c->t_ringback_start = now;
	} else
		invite_respond(c, 180, false);
	sip_tick(ivr, c, now);
}

static void
handle_cancel(struct ivrsim *ivr, osip_message_t *m,
	      const struct sockaddr_in *from, const char *cid)
{
	struct call *c = call_find(ivr, cid);

	if (c == NULL) {
		log_info("sip: CANCEL for unknown call %s, 481", cid);
		respond(ivr, m, from, 481, NULL);
		return;
	}
	respond(ivr, m, from, 200, c->local_tag);
	if (c->state != CS_EARLY) {
		log_info("sip: call %d: CANCEL after the answer ignored", c->seq);
		return;
	}
	log_info("sip: call %d: cancelled by the caller", c->seq);
	invite_respond(c, 487, false);
	call_end(c, "caller");
}

static void
handle_bye(struct ivrsim *ivr, osip_message_t *m,
	   const struct sockaddr_in *from, const char *cid)
{
	struct call *c = call_find(ivr, cid);

	if (c == NULL || c->state == CS_EARLY) {
		log_info("sip: BYE for unknown dialog %s, 481", cid);
		respond(ivr, m, from, 481, NULL);
		return;
	}
	respond(ivr, m, from, 200, NULL);
	if (c->state == CS_DONE)
		return;
	log_info("sip: call %d: BYE from the caller", c->seq);
	call_end(c, "caller");
}

static void
handle_response(struct ivrsim *ivr, osip_message_t *m, const char *cid)
{
	struct call *c = call_find(ivr, cid);
	int code = osip_message_get_status_code(m);

	if (c == NULL || m->cseq == NULL || m->cseq->method == NULL ||
	    strcmp(m->cseq->method, "BYE") != 0 || c->state != CS_BYE_SENT) {
		log_debug("sip: stray %d response ignored", code);
		return;
	}
	if (code < 200)
		return;
	if (code != 200)
		log_warnx("sip: call %d: BYE answered %d", c->seq, code);
	call_end(c, "ivrsim");
}

void
sip_input(struct ivrsim *ivr)
{
	char buf[65536];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		osip_message_t *m = NULL;
		char *cid;
		bool blank = true;

		fl = sizeof(from);
		n = recvfrom(ivr->sipfd, buf, sizeof(buf) - 1, MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("sip: recvfrom");
			return;
		}
		buf[n] = '\0';
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != '\r' && buf[i] != '\n' && buf[i] != ' ')
				blank = false;
		if (blank)
			continue;	/* keep-alive */
		if (osip_message_init(&m) != 0)
			fatalx("sip: out of memory");
		if (osip_message_parse(m, buf, (size_t)n) != 0 ||
		    (!MSG_IS_REQUEST(m) && !MSG_IS_RESPONSE(m))) {
			log_warnx("sip: malformed message (%zd bytes) from "
				  "%s:%d ignored",
				  n, inet_ntoa(from.sin_addr),
				  ntohs(from.sin_port));
			osip_message_free(m);
			continue;
		}
		cid = call_id_str(m);
		if (MSG_IS_RESPONSE(m)) {
			if (cid != NULL)
				handle_response(ivr, m, cid);
			osip_free(cid);
			osip_message_free(m);
			continue;
		}
		if (cid == NULL || m->from == NULL || m->to == NULL ||
		    m->cseq == NULL || m->cseq->method == NULL ||
		    osip_list_size(&m->vias) == 0 ||
		    strcmp(m->cseq->method, m->sip_method) != 0) {
			log_warnx("sip: %s from %s:%d lacks Via, From, To, "
				  "Call-ID or a matching CSeq, 400",
				  m->sip_method, inet_ntoa(from.sin_addr),
				  ntohs(from.sin_port));
			if (!MSG_IS_ACK(m))
				respond(ivr, m, &from, 400, NULL);
			osip_free(cid);
			osip_message_free(m);
			continue;
		}
		if (MSG_IS_INVITE(m)) {
			handle_invite(ivr, m, &from, cid);	/* takes cid */
			cid = NULL;
		} else if (MSG_IS_ACK(m)) {
			struct call *c = call_find(ivr, cid);

			if (c != NULL && c->state == CS_ANSWERED) {
				c->state = CS_CONFIRMED;
				log_debug("sip: call %d: ACK", c->seq);
			}
		} else if (MSG_IS_CANCEL(m))
			handle_cancel(ivr, m, &from, cid);
		else if (MSG_IS_BYE(m))
			handle_bye(ivr, m, &from, cid);
		else if (MSG_IS_OPTIONS(m))
			respond(ivr, m, &from, 200, NULL);
		else {
			log_warnx("sip: method %s not implemented, 501",
				  m->sip_method);
			respond(ivr, m, &from, 501, NULL);
		}
		osip_free(cid);
		osip_message_free(m);
	}
}

/* Where an in-dialog request goes: the first route, else the target. */
static void
bye_destination(struct call *c, struct sockaddr_in *dst)
{
	osip_uri_t *u = NULL;
	char *target = c->remote_target;
	char first[1024];

	*dst = c->peer;
	if (c->route_str != NULL) {
		const char *lt = strchr(c->route_str, '<');
		const char *gt = lt != NULL ? strchr(lt, '>') : NULL;

		if (lt != NULL && gt != NULL && (size_t)(gt - lt) < sizeof(first)) {
			memcpy(first, lt + 1, (size_t)(gt - lt - 1));
			first[gt - lt - 1] = '\0';
			target = first;
		}
	}
	if (target == NULL || osip_uri_init(&u) != 0)
		return;
	if (osip_uri_parse(u, target) == 0 && u->host != NULL) {
		struct in_addr a;

		if (inet_pton(AF_INET, u->host, &a) == 1) {
			dst->sin_addr = a;
			dst->sin_port = htons(u->port != NULL ? atoi(u->port)
							      : 5060);
		}
	}
	osip_uri_free(u);
}

void
sip_hangup(struct call *c)
{
	struct ivrsim *ivr = c->ivr;
	char msg[4096], route[2200] = "";
	struct sockaddr_in dst;

	if (c->state == CS_EARLY) {
		/* Not answered yet: refuse the INVITE instead. */
		invite_respond(c, 480, false);
		call_end(c, "ivrsim");
		return;
	}
	if (c->state != CS_ANSWERED && c->state != CS_CONFIRMED)
		return;
	c->local_cseq++;
	free(c->bye_branch);
	{
		char *t = random_token();
		size_t l = strlen(t) + 8;

		c->bye_branch = malloc(l);
		if (c->bye_branch == NULL)
			fatal("malloc");
		snprintf(c->bye_branch, l, "z9hG4bK%s", t);
		free(t);
	}
	if (c->route_str != NULL)
		snprintf(route, sizeof(route), "Route: %s\r\n", c->route_str);
	snprintf(msg, sizeof(msg),
		 "BYE %s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP %s:%d;branch=%s;rport\r\n"
		 "Max-Forwards: 70\r\n"
		 "%s"
		 "From: %s\r\n"
		 "To: %s\r\n"
		 "Call-ID: %s\r\n"
		 "CSeq: %d BYE\r\n"
		 "User-Agent: ivrsim/" HS_VERSION "\r\n"
		 "Content-Length: 0\r\n\r\n",
		 c->remote_target != NULL ? c->remote_target : "sip:unknown",
		 ivr->local_ip, ivr->local_port, c->bye_branch, route,
		 c->to_str, c->from_str, c->call_id, c->local_cseq);
	free(c->bye_str);
	c->bye_str = xstrdup(msg);
	bye_destination(c, &dst);
	send_to(ivr, &dst, c->bye_str);
	c->state = CS_BYE_SENT;
	c->retx_interval = T1;
	c->retx_next = now_mono() + T1;
	c->retx_deadline = now_mono() + TIMER_B;
	log_info("sip: call %d: BYE sent to %s:%d", c->seq,
		 inet_ntoa(dst.sin_addr), ntohs(dst.sin_port));
}

void
sip_tick(struct ivrsim *ivr, struct call *c, double now)
{
	struct sockaddr_in dst;

	(void)ivr;
	switch (c->state) {
	case CS_EARLY:
		if (now < c->t_answer_due)
			break;
		invite_respond(c, 200, true);
		c->state = CS_ANSWERED;
		c->retx_interval = T1;
		c->retx_next = now + T1;
		c->retx_deadline = now + TIMER_B;
		now_rfc3339(c->answered_at, sizeof(c->answered_at));
		log_info("sip: call %d: answered (%s)", c->seq, c->codec);
		engine_start(c, now);
		break;
	case CS_ANSWERED:
		if (now >= c->retx_deadline) {
			log_warnx("sip: call %d: no ACK for the 200 within "
				  "%.0f s, hanging up",
				  c->seq, TIMER_B);
			sip_hangup(c);
			break;
		}
		if (now >= c->retx_next && c->last_invite_resp != NULL) {
			send_to(ivr, &c->peer, c->last_invite_resp);
			c->retx_interval *= 2;
			if (c->retx_interval > T2)
				c->retx_interval = T2;
			c->retx_next = now + c->retx_interval;
		}
		break;
	case CS_BYE_SENT:
		if (now >= c->retx_deadline) {
			log_warnx("sip: call %d: no answer to BYE within %.0f s",
				  c->seq, TIMER_B);
			call_end(c, "ivrsim");
			break;
		}
		if (now >= c->retx_next && c->bye_str != NULL) {
			bye_destination(c, &dst);
			send_to(ivr, &dst, c->bye_str);
			c->retx_interval *= 2;
			if (c->retx_interval > T2)
				c->retx_interval = T2;
			c->retx_next = now + c->retx_interval;
		}
		break;
	default:
		break;
	}
}
