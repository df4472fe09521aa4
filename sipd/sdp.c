/*
 * sdp: our SDP offer and the reading of the far end's answer (RFC 3264).
 * We always offer audio with PCMU (0), PCMA (8) and telephone-event (101,
 * events 0-16) at 20 ms; the answer tells mediad where to send RTP, which of
 * the two codecs to use and which payload type carries DTMF.  In an
 * established dialog the far end may offer again (re-INVITE, UPDATE): the
 * same reading gives its address, codec, DTMF type and direction (hold is
 * a=sendonly, a=inactive or the old c=0.0.0.0), and sipd_sdp_answer_build()
 * writes our answer with the direction mirrored (RFC 3264 sections 6.1 and
 * 8.4).  Pure functions: no I/O, no global state, so they are unit-tested
 * directly.
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

/* The direction attribute among the a= lines of media pos (-1: session),
 * or -1 when there is none. */
static int
sdp_direction(sdp_message_t *sdp, int pos)
{
	static const char *const names[] = {"sendrecv", "sendonly",
					    "recvonly", "inactive"};
	char *f;

	for (int i = 0; (f = sdp_message_a_att_field_get(sdp, pos, i)); i++)
		for (int d = 0; d < 4; d++)
			if (strcasecmp(f, names[d]) == 0)
				return d;
	return -1;
}

const char *
sipd_sdp_dir_name(int dir)
{
	static const char *const names[] = {"sendrecv", "sendonly",
					    "recvonly", "inactive"};
	return dir >= 0 && dir < 4 ? names[dir] : "sendrecv";
}

int
sipd_sdp_dir_mirror(int dir)
{
	switch (dir) {
	case SIPD_SDP_SENDONLY:
		return SIPD_SDP_RECVONLY;
	case SIPD_SDP_RECVONLY:
		return SIPD_SDP_SENDONLY;
	case SIPD_SDP_INACTIVE:
		return SIPD_SDP_INACTIVE;
	default:
		return SIPD_SDP_SENDRECV;
	}
}

int
sipd_sdp_answer_build(char *buf, size_t len, const char *addr, int port,
		      uint64_t sess_id, uint64_t version, int pt, int dtmf_pt,
		      int dir)
{
	const char *ipv;
	char dtmf[128] = "";
	int n;

	if (addr == NULL || *addr == '\0' || port <= 0 || port > 65535 ||
	    (pt != 0 && pt != 8) || dtmf_pt > 127)
		return -EINVAL;
	ipv = strchr(addr, ':') ? "IP6" : "IP4";
	if (dtmf_pt >= 96)
		snprintf(dtmf, sizeof(dtmf),
			 "a=rtpmap:%d telephone-event/8000\r\n"
			 "a=fmtp:%d 0-16\r\n",
			 dtmf_pt, dtmf_pt);
	n = snprintf(buf, len,
		     "v=0\r\n"
		     "o=holdslayer %llu %llu IN %s %s\r\n"
		     "s=Hold Slayer\r\n"
		     "c=IN %s %s\r\n"
		     "t=0 0\r\n"
		     "m=audio %d RTP/AVP %d%s%.0d\r\n"
		     "a=rtpmap:%d %s/8000\r\n"
		     "%s"
		     "a=ptime:20\r\n"
		     "a=%s\r\n",
		     (unsigned long long)sess_id, (unsigned long long)version,
		     ipv, addr, ipv, addr, port, pt, dtmf_pt >= 96 ? " " : "",
		     dtmf_pt >= 96 ? dtmf_pt : 0, pt, pt == 8 ? "PCMA" : "PCMU",
		     dtmf, sipd_sdp_dir_name(dir));
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

int
sipd_sdp_origin(const char *body, size_t len, uint64_t *sess_id,
		uint64_t *version)
{
	sdp_message_t *sdp = NULL;
	char *text = NULL, *id, *ver;
	int r = -EINVAL;

	if (body == NULL || len == 0 || memchr(body, '\0', len) != NULL)
		return -EINVAL;
	if ((text = strndup(body, len)) == NULL ||
	    sdp_message_init(&sdp) != 0) {
		r = -ENOMEM;
		goto out;
	}
	if (sdp_message_parse(sdp, text) != 0)
		goto out;
	id = sdp_message_o_sess_id_get(sdp);
	ver = sdp_message_o_sess_version_get(sdp);
	if (id == NULL || ver == NULL)
		goto out;
	*sess_id = strtoull(id, NULL, 10);
	*version = strtoull(ver, NULL, 10);
	r = 0;
out:
	sdp_message_free(sdp);
	free(text);
	return r;
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
	out->dir = SIPD_SDP_SENDRECV;
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
	{
		int d = sdp_direction(sdp, pos);
		if (d < 0)
			d = sdp_direction(sdp, -1);
		out->dir = d < 0 ? SIPD_SDP_SENDRECV : d;
	}
	/* RFC 2543 hold: "do not send to me", whatever a= says. */
	if (strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "::") == 0) {
		out->hold_addr = 1;
		if (out->dir == SIPD_SDP_SENDRECV)
			out->dir = SIPD_SDP_SENDONLY;
		else if (out->dir == SIPD_SDP_RECVONLY)
			out->dir = SIPD_SDP_INACTIVE;
	}
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
