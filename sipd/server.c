/*
 * server: the requests sipd receives.  A calling-only agent still has to
 * answer: BYE in one of our dialogs (200, and the leg ends by remote), an
 * OPTIONS ping (200), a new INVITE (we take no incoming calls yet and relay
 * nothing: 403 unless it comes from a registered phone, then 404, 480 or
 * 486, see registrar.c), a REGISTER (registrar.c's), a CANCEL (200 for
 * an INVITE we have answered, else 481), anything in a dialog we do not
 * know (481); the other requests of a dialog we know
 * (re-INVITE, UPDATE, INFO, REFER, NOTIFY) are indialog.c's.  Each answer
 * goes through a server transaction so that retransmitted requests get the
 * same answer.
 *
 * Before any of that, server_validate() applies RFC 3261 8.2.1-8.2.3 to
 * every request in the order the RFC gives: a method nobody knows (501)
 * or one sipd does not serve (405), a Request-URI scheme other than
 * sip/sips (416), a Require naming an option sipd lacks (420), an
 * INVITE, UPDATE or PRACK body that is not plain SDP (415), an INVITE
 * whose Accept rules SDP out (406).  A request check.c refused as
 * malformed never reaches osip's transactions: sipd_server_reject()
 * answers it statelessly.
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* Recognised methods sipd does not serve at all: 405 (RFC 3261 8.2.1). */
static const char *const server_not_allowed[] = {
    "SUBSCRIBE",
    "PUBLISH",
    "MESSAGE",
};

/* Why server_validate() refuses a request, and what the answer carries. */
struct server_refusal {
	int code;
	char why[160];	      /* for a Warning, "" for none */
	char unsupported[256]; /* 420: the option tags, comma-separated */
};

/* 1 if tag (len bytes) is in SIPD_SUPPORTED. */
static int
server_supported(const char *tag, size_t len)
{
	const char *s = SIPD_SUPPORTED;

	while (*s) {
		size_t n;
		s += strspn(s, " ,");
		n = strcspn(s, " ,");
		if (n > 0 && n == len && strncasecmp(s, tag, len) == 0)
			return 1;
		s += n;
	}
	return 0;
}

/* Appends Require's option tags that sipd lacks to out; 0 if none. */
static int
server_require(const osip_message_t *req, char *out, size_t len)
{
	osip_header_t *h = NULL;
	size_t used = 0;
	int n = 0;

	out[0] = '\0';
	for (int pos = 0; (pos = osip_message_header_get_byname(
			       req, "require", pos, &h)) >= 0;
	     pos++) {
		const char *s = h && h->hvalue ? h->hvalue : "";
		while (*s) {
			size_t t;
			s += strspn(s, " \t,");
			t = strcspn(s, " \t,");
			if (t > 0 && !server_supported(s, t)) {
				int w = snprintf(out + used, len - used,
						 "%s%.*s", n ? ", " : "",
						 (int)t, s);
				if (w > 0 && (size_t)w < len - used)
					used += (size_t)w;
				n++;
			}
			s += t;
		}
	}
	return n;
}

/* 1 if an Accept or Content-Type names application/sdp (or a range
 * holding it). */
static int
server_is_sdp(const osip_content_type_t *ct, int range)
{
	if (ct == NULL || ct->type == NULL || ct->subtype == NULL)
		return 0;
	if (range && strcmp(ct->type, "*") == 0)
		return 1;
	if (strcasecmp(ct->type, "application") != 0)
		return 0;
	return strcasecmp(ct->subtype, "sdp") == 0 ||
	       (range && strcmp(ct->subtype, "*") == 0);
}

/*
 * RFC 3261 8.2.1 (method), 8.2.2 (Request-URI, Require) and 8.2.3
 * (content), in that order, for a request osip parsed.  0 to go on;
 * otherwise the status to answer with, and r says why.
 */
static int
server_validate(const osip_message_t *req, struct server_refusal *r)
{
	const char *m = req->sip_method, *scheme = req->req_uri->scheme;
	int has_body = osip_list_size(&req->bodies) > 0;

	memset(r, 0, sizeof(*r));
	if (strcmp(m, "ACK") == 0)
		return 0; /* never answered */
	if (!sipd_method_known(m)) {
		snprintf(r->why, sizeof(r->why), "Unknown method");
		return r->code = 501;
	}
	for (size_t i = 0;
	     i < sizeof(server_not_allowed) / sizeof(*server_not_allowed); i++)
		if (strcmp(m, server_not_allowed[i]) == 0) {
			snprintf(r->why, sizeof(r->why),
				 "Method not served by this agent");
			return r->code = 405;
		}
	if (strcasecmp(scheme, "sip") != 0 && strcasecmp(scheme, "sips") != 0) {
		snprintf(r->why, sizeof(r->why),
			 "Unsupported Request-URI scheme");
		return r->code = 416;
	}
	if (strcmp(m, "CANCEL") == 0)
		return 0; /* Require does not apply (8.2.2.3) */
	if (server_require(req, r->unsupported, sizeof(r->unsupported)) > 0)
		return r->code = 420;
	if (req->content_length && req->content_length->value &&
	    strtol(req->content_length->value, NULL, 10) > 0)
		has_body = 1;
	/* Only the bodies sipd reads are judged: an INVITE's, UPDATE's or
	 * PRACK's SDP.  A BYE with an ISUP or Reason body, or an INFO's
	 * DTMF, must not be refused for it (a refused BYE would leave the
	 * leg up while the far end has hung up). */
	if (strcmp(m, "INVITE") != 0 && strcmp(m, "UPDATE") != 0 &&
	    strcmp(m, "PRACK") != 0)
		return 0;
	if (has_body && !server_is_sdp(req->content_type, 0)) {
		snprintf(r->why, sizeof(r->why), "Unsupported Content-Type");
		return r->code = 415;
	}
	for (int i = 0; i < osip_list_size(&req->content_encodings); i++) {
		const osip_content_encoding_t *ce =
		    osip_list_get(&req->content_encodings, i);
		if (ce && ce->value && strcasecmp(ce->value, "identity") != 0) {
			snprintf(r->why, sizeof(r->why),
				 "Unsupported Content-Encoding");
			return r->code = 415;
		}
	}
	if (strcmp(m, "INVITE") == 0 && osip_list_size(&req->accepts) > 0) {
		int ok = 0;
		for (int i = 0; i < osip_list_size(&req->accepts); i++)
			ok |= server_is_sdp(osip_list_get(&req->accepts, i), 1);
		if (!ok) {
			/* RFC 4475 3.3.15: an answer would carry SDP. */
			snprintf(r->why, sizeof(r->why),
				 "Accept does not allow application/sdp");
			return r->code = 406;
		}
	}
	return 0;
}

/* The headers a refusal carries (RFC 3261 8.2.1-8.2.3, 20.43). */
static void
server_refusal_headers(struct sipd *sd, osip_message_t *resp,
		       const struct server_refusal *r, const char *from)
{
	struct sipd_target t;
	char host[64];

	if (r->code == 405 || r->code == 501)
		osip_message_set_header(resp, "Allow", SIPD_ALLOW);
	if (r->code == 415) {
		osip_message_set_header(resp, "Accept", "application/sdp");
		osip_message_set_header(resp, "Accept-Encoding", "identity");
	}
	if (r->code == 420)
		osip_message_set_header(resp, "Unsupported", r->unsupported);
	if (r->why[0] == '\0')
		return;
	if (!sipd_target_numeric(sd, from, 5060, &t) ||
	    sipd_transport_local_ip(sd, &t, host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "%s", sd->listen_host);
	sipd_add_warning(resp, host, r->why);
}

int
sipd_dialog_cseq_check(struct sipd_leg *l, const osip_message_t *req)
{
	unsigned long n;

	if (l == NULL || req->cseq == NULL || req->cseq->number == NULL ||
	    MSG_IS_ACK(req) || MSG_IS_CANCEL(req))
		return 0;
	n = strtoul(req->cseq->number, NULL, 10); /* checked by check.c */
	if (l->remote_cseq_set && n < l->remote_cseq)
		return 500;
	l->remote_cseq = (uint32_t)n;
	l->remote_cseq_set = 1;
	return 0;
}

/* The status to answer req with; *leg is set for a BYE in one of ours. */
static int
server_decide(struct sipd *sd, osip_message_t *req, struct sipd_leg **leg)
{
	osip_generic_param_t *tt = NULL, *ft = NULL;
	const char *m = req->sip_method;
	int in_dialog;

	*leg = NULL;
	in_dialog = osip_to_get_tag(req->to, &tt) == 0 && tt && tt->gvalue;
	if (in_dialog) {
		if (osip_from_get_tag(req->from, &ft) == 0 && ft && ft->gvalue)
			*leg = sipd_leg_find_dialog(sd, req->call_id,
						    tt->gvalue, ft->gvalue);
		if (*leg == NULL)
			return 481;
		if (sipd_dialog_cseq_check(*leg, req) != 0)
			return 500;
		if (strcmp(m, "BYE") == 0 || strcmp(m, "OPTIONS") == 0)
			return 200;
		if (strcmp(m, "INVITE") == 0)
			return 488;
		return 501;
	}
	if (strcmp(m, "OPTIONS") == 0)
		return 200;
	if (strcmp(m, "INVITE") == 0)
		return 486; /* sipd_server_request() refines it */
	if (strcmp(m, "BYE") == 0 || strcmp(m, "CANCEL") == 0 ||
	    strcmp(m, "INFO") == 0 || strcmp(m, "UPDATE") == 0 ||
	    strcmp(m, "PRACK") == 0 || strcmp(m, "NOTIFY") == 0 ||
	    strcmp(m, "REFER") == 0)
		return 481;
	return 405;
}

/* Copies s into out with anything but printable ASCII shown as '?'. */
static const char *
server_safe(const char *s, char *out, size_t len)
{
	size_t i = 0;

	for (; s && *s && i + 1 < len; s++)
		out[i++] = (*s > ' ' && *s < 0x7f) ? *s : '?';
	out[i] = '\0';
	return out;
}

void
sipd_server_request(struct sipd *sd, osip_event_t *evt, const char *from,
		    int fromport)
{
	osip_message_t *req = evt->sip, *resp;
	osip_transaction_t *tr;
	struct sipd_leg *leg = NULL;
	struct server_refusal refusal;
	char mb[32], cb[80];
	int code;

	tr = osip_create_transaction(sd->osip, evt);
	if (tr == NULL) {
		log_warnx("server: %s from %s:%d: cannot create a transaction; "
			  "dropped",
			  server_safe(req->sip_method, mb, sizeof(mb)), from,
			  fromport);
		osip_event_free(evt);
		return;
	}
	osip_transaction_add_event(tr, evt);
	code = server_validate(req, &refusal);
	if (code == 0 && strcmp(req->sip_method, "REGISTER") == 0) {
		if (sipd_registrar_request(sd, tr, req, from, fromport) < 0)
			log_warnx("server: REGISTER from %s:%d unanswered",
				  from, fromport);
		return;
	}
	if (code == 0)
		code = server_decide(sd, req, &leg);
	if (code == 486 && leg == NULL &&
	    strcmp(req->sip_method, "INVITE") == 0) {
		const char *why = "";
		code = sipd_registrar_invite_code(sd, req, from, &why);
		refusal.code = code;
		snprintf(refusal.why, sizeof(refusal.why), "%s", why);
	}
	/* A request of a known dialog that passed the checks (CSeq in order
	 * included) and that server_decide() does not answer itself. */
	if (refusal.code == 0 && leg && code != 200 && code != 500 &&
	    sipd_indialog_request(leg, tr, req, from, fromport) == 0)
		return;
	if (refusal.code == 0 && strcmp(req->sip_method, "CANCEL") == 0 &&
	    code == 481 && !leg)
		code = sipd_indialog_cancel_code(sd, req);
	resp = sipd_response_new(req, code,
				 daemon_conf(sd->d)->sip_user_agent);
	if (resp == NULL) {
		log_warnx("server: cannot build a %d response", code);
		return;
	}
	if (refusal.code)
		server_refusal_headers(sd, resp, &refusal, from);
	if (code == 200 && strcmp(req->sip_method, "OPTIONS") == 0) {
		osip_message_set_header(resp, "Allow", SIPD_ALLOW);
		osip_message_set_header(resp, "Accept", "application/sdp");
		osip_message_set_header(resp, "Supported", SIPD_SUPPORTED);
	} else if (code == 405 && refusal.code == 0) {
		osip_message_set_header(resp, "Allow", SIPD_ALLOW);
	}
	log_info("server: %s from %s:%d (Call-ID %s): %d%s%s%s",
		 server_safe(req->sip_method, mb, sizeof(mb)), from, fromport,
		 server_safe(req->call_id->number, cb, sizeof(cb)), code,
		 refusal.code ? " (" : "",
		 refusal.code == 420 ? refusal.unsupported : refusal.why,
		 refusal.code ? ")" : "");
	osip_transaction_add_event(tr, osip_new_outgoing_sipmessage(resp));
	if (leg && code == 200 && strcmp(req->sip_method, "BYE") == 0)
		sipd_dialog_remote_bye(leg);
}

/* Where a response to req goes: RFC 3261 18.2.2 over UDP with RFC 3581's
 * rport, from the packet's own source only (never a name, a received or an
 * maddr the sender wrote): the source address, and the source port when
 * the Via asked for rport, else its numeric sent-by port. */
static void
server_response_dest(const osip_message_t *req, const char *from,
		     int fromport, char *host, size_t hostlen, int *port)
{
	osip_via_t *via = osip_list_get(&req->vias, 0);
	osip_generic_param_t *rport = NULL;

	snprintf(host, hostlen, "%s", from);
	*port = 0;
	if (via != NULL)
		osip_via_param_get_byname(via, "rport", &rport);
	if (rport != NULL || via == NULL)
		*port = fromport;
	else if (via->port)
		*port = atoi(via->port);
	if (*port <= 0 || *port > 65535)
		*port = 5060;
}

void
sipd_server_reject(struct sipd *sd, osip_message_t *req, int code,
		   const char *why, const char *from, int fromport)
{
	struct server_refusal r = {.code = code};
	osip_message_t *resp;
	char mb[32], host[256];
	int port;

	server_safe(req->sip_method, mb, sizeof(mb));
	if (req->cseq && req->cseq->method &&
	    strcmp(req->cseq->method, "ACK") == 0) {
		log_info("server: malformed ACK from %s:%d ignored: %s", from,
			 fromport, why);
		return;
	}
	osip_message_fix_last_via_header(req, from, fromport);
	resp = sipd_response_new(req, code,
				 daemon_conf(sd->d)->sip_user_agent);
	if (resp == NULL) {
		log_warnx("server: %s from %s:%d (%s): cannot build a %d; "
			  "dropped",
			  mb, from, fromport, why, code);
		return;
	}
	snprintf(r.why, sizeof(r.why), "%s", why);
	server_refusal_headers(sd, resp, &r, from);
	server_response_dest(req, from, fromport, host, sizeof(host), &port);
	log_info("server: malformed %s from %s:%d: %d (%s)", mb, from,
		 fromport, code, why);
	sipd_transport_send(sd, resp, host, port);
	osip_message_free(resp);
}
