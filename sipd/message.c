/*
 * message: building SIP messages.  Requests start from a skeleton with our
 * Via (a fresh RFC 3261 branch), Max-Forwards and User-Agent; a response
 * copies Via, From, To, Call-ID and CSeq from its request (RFC 3261 8.2.6)
 * and adds a To tag when the request had none; a Warning says in words why
 * a request was refused (RFC 3261 20.43).
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void
sipd_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];
	size_t got = 0;

	if (n > sizeof(b))
		n = sizeof(b);
	while (got < n) {
		ssize_t r = getrandom(b + got, n - got, 0);
		if (r <= 0) {
			/* getrandom cannot fail on Linux >= 3.17 short of
			 * EINTR; fall back to rand() rather than loop. */
			for (; got < n; got++)
				b[got] = (unsigned char)rand();
			break;
		}
		got += (size_t)r;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = hex[b[i] & 15];
	out[n] = '\0';
}

int
sipd_add_via(osip_message_t *m, const char *ip, int port, int tp)
{
	const char *proto = tp == SIPD_TP_TCP ? "TCP"
			    : tp == SIPD_TP_TLS ? "TLS"
						: "UDP";
	char via[256], branch[25];

	sipd_random_hex(branch, 24);
	if (strchr(ip, ':'))
		snprintf(via, sizeof(via),
			 "SIP/2.0/%s [%s]:%d;rport;branch=z9hG4bK%s", proto, ip, port,
			 branch);
	else
		snprintf(via, sizeof(via),
			 "SIP/2.0/%s %s:%d;rport;branch=z9hG4bK%s", proto, ip, port,
			 branch);
	return osip_message_set_via(m, via) == 0 ? 0 : -EINVAL;
}

osip_message_t *
sipd_response_new(const osip_message_t *req, int code, const char *user_agent)
{
	osip_message_t *resp = NULL;
	const char *reason = osip_message_get_reason(code);

	if (osip_message_init(&resp) != 0)
		return NULL;
	osip_message_set_version(resp, osip_strdup("SIP/2.0"));
	osip_message_set_status_code(resp, code);
	osip_message_set_reason_phrase(resp,
				       osip_strdup(reason ? reason : "Unknown"));
	/* A request refused as malformed may lack From, To or Call-ID
	 * (RFC 4475 3.3.1 still wants it answered): copy what there is. */
	if (osip_list_clone(&req->vias, &resp->vias,
			    (int (*)(void *, void **))osip_via_clone) != 0 ||
	    (req->from && osip_from_clone(req->from, &resp->from) != 0) ||
	    (req->to && osip_to_clone(req->to, &resp->to) != 0) ||
	    (req->call_id &&
	     osip_call_id_clone(req->call_id, &resp->call_id) != 0) ||
	    osip_cseq_clone(req->cseq, &resp->cseq) != 0)
		goto fail;
	if (code > 100 && resp->to) {
		osip_generic_param_t *tag = NULL;
		if (osip_to_get_tag(resp->to, &tag) != 0 || tag == NULL) {
			char t[17];
			sipd_random_hex(t, 16);
			osip_to_set_tag(resp->to, osip_strdup(t));
		}
	}
	if (user_agent && *user_agent)
		osip_message_set_user_agent(resp, user_agent);
	osip_message_set_content_length(resp, "0");
	return resp;
fail:
	osip_message_free(resp);
	return NULL;
}

int
sipd_add_warning(osip_message_t *m, const char *host, const char *text)
{
	char v[300];
	size_t n;

	/* warn-text is a quoted-string: no quote, backslash or control
	 * character from the reason may break it. */
	if (strchr(host, ':'))
		n = (size_t)snprintf(v, sizeof(v), "399 [%.64s] \"", host);
	else
		n = (size_t)snprintf(v, sizeof(v), "399 %.64s \"", host);
	for (; text && *text && n + 2 < sizeof(v); text++)
		v[n++] = (*text >= ' ' && *text < 0x7f && *text != '"' &&
			  *text != '\\')
				 ? *text
				 : '?';
	v[n++] = '"';
	v[n] = '\0';
	return osip_message_set_header(m, "Warning", v) == 0 ? 0 : -EINVAL;
}

int
sipd_call_id_match(const osip_call_id_t *c, const char *full)
{
	size_t n;

	if (c == NULL || c->number == NULL || full == NULL)
		return 0;
	/* osip splits "number@host" in two. */
	n = strlen(c->number);
	if (strncmp(full, c->number, n) != 0)
		return 0;
	if (c->host == NULL)
		return full[n] == '\0';
	return full[n] == '@' && strcmp(full + n + 1, c->host) == 0;
}
