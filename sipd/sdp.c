/*
 * sdp: our SDP offer and the reading of the far end's answer (RFC 3264).
 * We always offer audio with PCMU (0), PCMA (8) and telephone-event (101,
 * events 0-16) at 20 ms; the answer tells mediad where to send RTP, which of
 * the two codecs to use and which payload type carries DTMF.  Pure
 * functions: no I/O, no global state, so they are unit-tested directly.
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIPD_DTMF_PT 101

int
sipd_sdp_offer(char *buf, size_t len, const char *addr, int port,
	       uint64_t sess_id)
{
	const char *ipv;
	int n;

	if (addr == NULL || *addr == '\0' || port <= 0 || port > 65535)
		return -EINVAL;
	ipv = strchr(addr, ':') ? "IP6" : "IP4";
	n = snprintf(buf, len,
		     "v=0\r\n"
		     "o=holdslayer %llu %llu IN %s %s\r\n"
		     "s=Hold Slayer\r\n"
		     "c=IN %s %s\r\n"
		     "t=0 0\r\n"
		     "m=audio %d RTP/AVP 0 8 %d\r\n"
		     "a=rtpmap:0 PCMU/8000\r\n"
		     "a=rtpmap:8 PCMA/8000\r\n"
		     "a=rtpmap:%d telephone-event/8000\r\n"
		     "a=fmtp:%d 0-16\r\n"
		     "a=ptime:20\r\n"
		     "a=sendrecv\r\n",
		     (unsigned long long)sess_id, (unsigned long long)sess_id,
		     ipv, addr, ipv, addr, port, SIPD_DTMF_PT, SIPD_DTMF_PT,
		     SIPD_DTMF_PT);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

/* The rtpmap encoding of payload pt in media pos ("PCMU/8000"), or NULL. */
static const char *
sdp_rtpmap(sdp_message_t *sdp, int pos, int pt, char *enc, size_t enclen)
{
	char *f, *v;

	for (int i = 0; (f = sdp_message_a_att_field_get(sdp, pos, i)); i++) {
		char *end;
		long n;

		if (strcasecmp(f, "rtpmap") != 0)
			continue;
		v = sdp_message_a_att_value_get(sdp, pos, i);
		if (v == NULL)
			continue;
		n = strtol(v, &end, 10);
		if (end == v || n != pt)
			continue;
		while (*end == ' ' || *end == '\t')
			end++;
		snprintf(enc, enclen, "%s", end);
		return enc;
	}
	return NULL;
}

int
sipd_sdp_answer_parse(const char *body, size_t len,
		      struct sipd_sdp_answer *out, char *err, size_t errlen)
{
	sdp_message_t *sdp = NULL;
	char *text = NULL, *m, *addr = NULL;
	int r = -EINVAL, pos = -1;

	memset(out, 0, sizeof(*out));
	out->pt = -1;
	out->dtmf_pt = -1;
	if (body == NULL || len == 0) {
		snprintf(err, errlen, "no SDP body");
		return -EINVAL;
	}
	if (memchr(body, '\0', len) != NULL) {
		snprintf(err, errlen, "SDP contains a NUL byte");
		return -EINVAL;
	}
	text = strndup(body, len);
	if (text == NULL || sdp_message_init(&sdp) != 0) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	if (sdp_message_parse(sdp, text) != 0) {
		snprintf(err, errlen, "SDP does not parse");
		goto out;
	}
	for (int i = 0; !sdp_message_endof_media(sdp, i); i++) {
		char *port;
		m = sdp_message_m_media_get(sdp, i);
		port = sdp_message_m_port_get(sdp, i);
		if (m && strcasecmp(m, "audio") == 0 && port &&
		    atoi(port) > 0) {
			pos = i;
			break;
		}
	}
	if (pos < 0) {
		snprintf(err, errlen, "SDP has no active audio stream");
		goto out;
	}
	{
		char *end, *port = sdp_message_m_port_get(sdp, pos);
		long p = strtol(port, &end, 10);
		if (*end != '\0' || p <= 0 || p > 65535) {
			snprintf(err, errlen, "SDP audio port '%.16s' is invalid",
				 port);
			goto out;
		}
		out->port = (int)p;
	}
	addr = sdp_message_c_addr_get(sdp, pos, 0);
	if (addr == NULL)
		addr = sdp_message_c_addr_get(sdp, -1, 0);
	if (addr == NULL || *addr == '\0') {
		snprintf(err, errlen, "SDP has no connection address");
		goto out;
	}
	if (strlen(addr) >= sizeof(out->addr)) {
		snprintf(err, errlen, "SDP connection address is too long");
		goto out;
	}
	snprintf(out->addr, sizeof(out->addr), "%s", addr);
	for (int i = 0; (m = sdp_message_m_payload_get(sdp, pos, i)); i++) {
		char enc[64], *end;
		long pt = strtol(m, &end, 10);

		if (end == m || *end != '\0' || pt < 0 || pt > 127)
			continue;
		if ((pt == 0 || pt == 8) && out->pt < 0)
			out->pt = (int)pt;
		if (pt >= 96 && out->dtmf_pt < 0 &&
		    sdp_rtpmap(sdp, pos, (int)pt, enc, sizeof(enc)) &&
		    strncasecmp(enc, "telephone-event/8000", 20) == 0)
			out->dtmf_pt = (int)pt;
	}
	if (out->pt < 0) {
		snprintf(err, errlen,
			 "no common codec: the answer has neither PCMU nor PCMA");
		goto out;
	}
	r = 0;
out:
	sdp_message_free(sdp);
	free(text);
	return r;
}
