/*
 * check: what a datagram must satisfy before sipd acts on it.  osip's
 * parser is lenient; this adds the checks of RFC 3261 that a malformed or
 * hostile packet would otherwise slip past: SIP/2.0 only, the mandatory
 * header fields (8.1.1), a CSeq whose method matches the request line, a
 * status code in 100..699, and a Content-Length that does not promise more
 * bytes than the datagram holds (18.3; fewer is allowed and the rest is
 * ignored).
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Offset of the body (after the blank line), or -1 if there is none. */
static long
check_body_offset(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return (long)(i + 2);
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return (long)(i + 3);
	}
	return -1;
}

int
sipd_packet_check(const char *buf, size_t len, int *keepalive, char *err,
		  size_t errlen)
{
	osip_message_t *m = NULL;
	long body, cl = -1;
	int r = -EINVAL;

	*keepalive = 0;
	if (len <= 4 && strspn(buf, "\r\n") == len) {
		*keepalive = 1;
		return -EINVAL;
	}
	if (len < 16) {
		snprintf(err, errlen, "too short to be SIP (%zu bytes)", len);
		return -EINVAL;
	}
	body = check_body_offset(buf, len);
	if (body < 0) {
		snprintf(err, errlen, "no blank line ends the header");
		return -EINVAL;
	}
	if (osip_message_init(&m) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (osip_message_parse(m, buf, len) != 0) {
		snprintf(err, errlen, "not a parseable SIP message");
		goto out;
	}
	if (m->sip_version == NULL || strcmp(m->sip_version, "SIP/2.0") != 0) {
		snprintf(err, errlen, "unsupported SIP version '%.16s'",
			 m->sip_version ? m->sip_version : "");
		goto out;
	}
	if (MSG_IS_RESPONSE(m) &&
	    (m->status_code < 100 || m->status_code > 699)) {
		snprintf(err, errlen, "status code %d is out of range",
			 m->status_code);
		goto out;
	}
	if (MSG_IS_REQUEST(m) && (m->sip_method == NULL || m->req_uri == NULL ||
				  m->req_uri->scheme == NULL)) {
		snprintf(err, errlen, "bad request line");
		goto out;
	}
	if (osip_list_size(&m->vias) < 1) {
		snprintf(err, errlen, "no Via header");
		goto out;
	}
	if (m->from == NULL || m->from->url == NULL) {
		snprintf(err, errlen, "no usable From header");
		goto out;
	}
	if (m->to == NULL || m->to->url == NULL) {
		snprintf(err, errlen, "no usable To header");
		goto out;
	}
	if (m->call_id == NULL || m->call_id->number == NULL) {
		snprintf(err, errlen, "no Call-ID header");
		goto out;
	}
	if (m->cseq == NULL || m->cseq->number == NULL ||
	    m->cseq->method == NULL) {
		snprintf(err, errlen, "no usable CSeq header");
		goto out;
	}
	{
		char *end;
		unsigned long long n = strtoull(m->cseq->number, &end, 10);
		if (*m->cseq->number == '\0' || *end != '\0' ||
		    n > 0x7fffffffULL) {
			snprintf(err, errlen, "CSeq number '%.16s' is invalid",
				 m->cseq->number);
			goto out;
		}
	}
	if (MSG_IS_REQUEST(m) && strcmp(m->sip_method, m->cseq->method) != 0) {
		snprintf(err, errlen,
			 "CSeq method '%.16s' does not match request '%.16s'",
			 m->cseq->method, m->sip_method);
		goto out;
	}
	if (m->content_length && m->content_length->value) {
		char *end;
		errno = 0;
		cl = strtol(m->content_length->value, &end, 10);
		if (errno || end == m->content_length->value || *end != '\0' ||
		    cl < 0) {
			snprintf(err, errlen, "Content-Length '%.16s' is invalid",
				 m->content_length->value);
			goto out;
		}
		if ((size_t)cl > len - (size_t)body) {
			snprintf(err, errlen,
				 "Content-Length %ld but only %zu body bytes",
				 cl, len - (size_t)body);
			goto out;
		}
	}
	r = 0;
out:
	osip_message_free(m);
	return r;
}
