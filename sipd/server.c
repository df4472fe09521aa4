/*
 * server: the requests sipd receives.  A calling-only agent still has to
 * answer: BYE in one of our dialogs (200, and the leg ends by remote), an
 * OPTIONS ping (200), a new INVITE (486: we take no incoming calls yet), a
 * CANCEL (200 for an INVITE we have answered, else 481), anything in a
 * dialog we do not know (481); the other requests of a dialog we know
 * (re-INVITE, UPDATE, INFO, REFER, NOTIFY) are indialog.c's.  Each answer
 * goes through a server transaction so that retransmitted requests get the
 * same answer.
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

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
		if (strcmp(m, "BYE") == 0 || strcmp(m, "OPTIONS") == 0)
			return 200;
		if (strcmp(m, "INVITE") == 0)
			return 488;
		return 501;
	}
	if (strcmp(m, "OPTIONS") == 0)
		return 200;
	if (strcmp(m, "INVITE") == 0)
		return 486;
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
	struct sipd_leg *leg;
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
	code = server_decide(sd, req, &leg);
	if (leg && code != 200 &&
	    sipd_indialog_request(leg, tr, req, from, fromport) == 0)
		return;
	if (strcmp(req->sip_method, "CANCEL") == 0 && code == 481 && !leg)
		code = sipd_indialog_cancel_code(sd, req);
	resp = sipd_response_new(req, code,
				 daemon_conf(sd->d)->sip_user_agent);
	if (resp == NULL) {
		log_warnx("server: cannot build a %d response", code);
		return;
	}
	if (code == 200 && strcmp(req->sip_method, "OPTIONS") == 0) {
		osip_message_set_header(resp, "Allow", SIPD_ALLOW);
		osip_message_set_header(resp, "Accept", "application/sdp");
		osip_message_set_header(resp, "Supported", SIPD_SUPPORTED);
	} else if (code == 405) {
		osip_message_set_header(resp, "Allow", SIPD_ALLOW);
	}
	log_info("server: %s from %s:%d (Call-ID %s): %d",
		 server_safe(req->sip_method, mb, sizeof(mb)), from, fromport,
		 server_safe(req->call_id->number, cb, sizeof(cb)), code);
	osip_transaction_add_event(tr, osip_new_outgoing_sipmessage(resp));
	if (leg && code == 200 && strcmp(req->sip_method, "BYE") == 0)
		sipd_dialog_remote_bye(leg);
}
