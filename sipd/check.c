/*
 * check: what a datagram must satisfy before sipd acts on it, and what to
 * answer when it does not.  osip's parser is lenient in some places and
 * gives up on a whole message in others; this adds the checks of RFC 3261
 * that a malformed or hostile packet would otherwise slip past, in this
 * order: a request line of exactly three parts (505 for another SIP
 * version, 501 for a method nobody knows, 416 for a Request-URI scheme
 * other than sip/sips that osip cannot parse), the
 * header fields read line by line (one of each single-valued field, a
 * numeric Content-Length no larger than the body, display names and
 * addr-specs as RFC 3261 25.1 writes them, a Date in GMT), then osip's
 * parse and the mandatory fields (8.1.1), a CSeq whose method matches the
 * request line and a branch with more than the magic cookie (8.1.1.7).
 * A refused request is answered (400 or the code above) when enough of it
 * can be read to address a response: sipd_packet_salvage() reads only the
 * fields a response copies.  A refused response is dropped.
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * The methods sipd recognises, whether or not it handles them: those of
 * RFC 3261 and of the extensions in common use.  A request with any other
 * method gets 501 (RFC 3261 21.5.2); server.c answers the recognised ones
 * it does not handle with 405.
 */
static const char *const check_methods[] = {
    "INVITE", "ACK",	 "CANCEL",  "BYE",  "OPTIONS", "REGISTER", "PRACK",
    "SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO", "REFER",   "MESSAGE",  "UPDATE",
};

int
sipd_method_known(const char *m)
{
	for (size_t i = 0; i < sizeof(check_methods) / sizeof(*check_methods);
	     i++)
		if (m && strcmp(m, check_methods[i]) == 0)
			return 1;
	return 0;
}

/* The header fields check.c reads itself; single ones may appear once. */
enum check_hdr_id {
	CH_OTHER,
	CH_VIA,
	CH_FROM,
	CH_TO,
	CH_CALL_ID,
	CH_CSEQ,
	CH_CLEN,
	CH_CTYPE,
	CH_MAXFWD,
	CH_CONTACT,
	CH_DATE,
};

static const struct {
	const char *name;
	char compact; /* RFC 3261 7.3.3, 0 if none */
	int single;   /* at most one per message (RFC 3261 7.3.1) */
} check_hdr_names[] = {
    [CH_OTHER] = {"", 0, 0},
    [CH_VIA] = {"Via", 'v', 0},
    [CH_FROM] = {"From", 'f', 1},
    [CH_TO] = {"To", 't', 1},
    [CH_CALL_ID] = {"Call-ID", 'i', 1},
    [CH_CSEQ] = {"CSeq", 0, 1},
    [CH_CLEN] = {"Content-Length", 'l', 1},
    [CH_CTYPE] = {"Content-Type", 'c', 1},
    [CH_MAXFWD] = {"Max-Forwards", 0, 1},
    [CH_CONTACT] = {"Contact", 'm', 0},
    [CH_DATE] = {"Date", 0, 1},
};
#define CH_COUNT (sizeof(check_hdr_names) / sizeof(*check_hdr_names))

/* One header field: name and value point into the datagram. */
struct check_hdr {
	enum check_hdr_id id;
	const char *name;
	size_t namelen;
	const char *val; /* folded lines included, CRLF and all */
	size_t vallen;
};

static int
check_is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 3261 25.1 token characters. */
static int
check_is_token(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("-.!%*_+`'~", c));
}

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

/* Offset just past the end of the line starting at pos (or end). */
static size_t
check_line_end(const char *buf, size_t end, size_t pos)
{
	const char *nl = memchr(buf + pos, '\n', end - pos);
	return nl ? (size_t)(nl - buf) + 1 : end;
}

/*
 * The next header field at *pos (before end, the blank line): 1 with h
 * filled, 0 when there are no more, -1 for a line that is not a field.
 */
static int
check_next_header(const char *buf, size_t end, size_t *pos,
		  struct check_hdr *h)
{
	size_t p = *pos, e, colon;
	const char *c;

	while (p < end && (buf[p] == '\r' || buf[p] == '\n'))
		p++;
	if (p >= end)
		return 0;
	e = check_line_end(buf, end, p);
	/* Continuation lines start with whitespace (RFC 3261 7.3.1). */
	while (e < end && (buf[e] == ' ' || buf[e] == '\t'))
		e = check_line_end(buf, end, e);
	*pos = e;
	c = memchr(buf + p, ':', e - p);
	if (c == NULL)
		return -1;
	colon = (size_t)(c - buf);
	h->name = buf + p;
	h->namelen = colon - p;
	while (h->namelen > 0 && check_is_lws(h->name[h->namelen - 1]))
		h->namelen--;
	if (h->namelen == 0)
		return -1;
	for (size_t i = 0; i < h->namelen; i++)
		if (!check_is_token(h->name[i]))
			return -1;
	h->val = c + 1;
	h->vallen = e - colon - 1;
	while (h->vallen > 0 && check_is_lws(h->val[0])) {
		h->val++;
		h->vallen--;
	}
	while (h->vallen > 0 && check_is_lws(h->val[h->vallen - 1]))
		h->vallen--;
	h->id = CH_OTHER;
	for (size_t i = 1; i < CH_COUNT; i++) {
		const char *n = check_hdr_names[i].name;
		if ((h->namelen == strlen(n) &&
		     strncasecmp(h->name, n, h->namelen) == 0) ||
		    (h->namelen == 1 && check_hdr_names[i].compact &&
		     (h->name[0] | 0x20) == check_hdr_names[i].compact)) {
			h->id = (enum check_hdr_id)i;
			break;
		}
	}
	return 1;
}

/*
 * One name-addr or addr-spec (RFC 3261 25.1), s..s+len: 0 if it is
 * well-formed as far as sipd cares, -1 otherwise with what in why.
 */
static int
check_name_addr(const char *s, size_t len, const char **why)
{
	size_t i = 0, lt;

	while (i < len && check_is_lws(s[i]))
		i++;
	if (i < len && s[i] == '"') {
		for (i++; i < len && s[i] != '"'; i++)
			if (s[i] == '\\')
				i++;
		if (i >= len) {
			*why = "unterminated quoted display name";
			return -1;
		}
		for (i++; i < len && check_is_lws(s[i]); i++)
			;
		if (i >= len || s[i] != '<') {
			*why = "no <URI> after the display name";
			return -1;
		}
	} else {
		/* A display name holds no ';': a '<' after one is in a
		 * parameter's quoted value, not the start of a <URI>. */
		size_t semi = i;
		const char *l;
		while (semi < len && s[semi] != ';')
			semi++;
		l = memchr(s + i, '<', semi - i);
		if (l == NULL) {
			/* addr-spec: RFC 3261 20: a URI with a comma,
			 * question mark or semicolon must be in <>; a
			 * semicolon here starts the field's parameters. */
			for (; i < len && s[i] != ';'; i++) {
				if (check_is_lws(s[i])) {
					/* LWS may only lead to the ';'. */
					while (i < len && check_is_lws(s[i]))
						i++;
					if (i < len && s[i] != ';') {
						*why = "whitespace inside an "
						       "addr-spec";
						return -1;
					}
					break;
				}
				if (s[i] == '?' || s[i] == ',') {
					*why = "an addr-spec with '?' or ',' "
					       "outside <>";
					return -1;
				}
			}
			return 0;
		}
		for (; s + i < l; i++)
			if (!check_is_token(s[i]) && !check_is_lws(s[i])) {
				*why = "a display name that is neither tokens "
				       "nor a quoted string";
				return -1;
			}
	}
	lt = i;
	for (i = lt + 1; i < len && s[i] != '>'; i++)
		if (check_is_lws(s[i])) {
			*why = "whitespace inside <URI>";
			return -1;
		}
	if (i >= len) {
		*why = "unterminated <URI>";
		return -1;
	}
	/* Parameters: no empty ones (";;"). */
	for (i++; i < len; i++) {
		if (s[i] != ';')
			continue;
		size_t j = i + 1;
		while (j < len && check_is_lws(s[j]))
			j++;
		if (j >= len || s[j] == ';') {
			*why = "an empty parameter";
			return -1;
		}
	}
	return 0;
}

/* A Contact value: "*" or name-addrs separated by commas outside quotes
 * and angle brackets. */
static int
check_contact(const char *s, size_t len, const char **why)
{
	size_t start = 0;
	int quoted = 0, angle = 0;

	if (len == 1 && s[0] == '*')
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len) {
			if (quoted && s[i] == '\\') {
				i++;
				continue;
			}
			if (s[i] == '"')
				quoted = !quoted;
			else if (!quoted && s[i] == '<')
				angle = 1;
			else if (!quoted && s[i] == '>')
				angle = 0;
			if (quoted || angle || s[i] != ',')
				continue;
		}
		if (check_name_addr(s + start, i - start, why) < 0)
			return -1;
		start = i + 1;
	}
	return 0;
}

/* Copies a header value into a NUL-terminated string with folding turned
 * into spaces; NULL if it holds a NUL byte or is too long.  Caller frees. */
static char *
check_value_dup(const char *v, size_t len)
{
	char *s;

	if (len > SIPD_SALVAGE_FIELD_MAX || memchr(v, '\0', len))
		return NULL;
	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		s[i] = (v[i] == '\r' || v[i] == '\n') ? ' ' : v[i];
	s[len] = '\0';
	return s;
}

/*
 * The request line: exactly "Method SP Request-URI SP SIP-Version" (RFC
 * 3261 7.1, no extra or trailing whitespace).  0 if it is, with the
 * method copied out; -1 with why otherwise.  *code is raised to 505, 501
 * or 416 for a version, method or scheme sipd cannot serve even if the
 * rest were well-formed.
 */
static int
check_request_line(const char *buf, size_t len, char *method, size_t mlen,
		   int *code, char *why, size_t whylen)
{
	size_t e = check_line_end(buf, len, 0), n, sp1, sp2;
	const char *uri, *ver, *colon;
	size_t urilen, verlen;

	n = e;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	for (sp1 = 0; sp1 < n && buf[sp1] != ' '; sp1++)
		;
	for (sp2 = sp1 + 1; sp2 < n && buf[sp2] != ' '; sp2++)
		;
	if (sp1 == 0 || sp1 >= n || sp2 >= n || sp2 == sp1 + 1 ||
	    sp2 + 1 >= n || memchr(buf + sp2 + 1, ' ', n - sp2 - 1)) {
		snprintf(why, whylen,
			 "Malformed request line (not three parts separated "
			 "by single spaces)");
		return -1;
	}
	ver = buf + sp2 + 1;
	verlen = n - sp2 - 1;
	if (verlen != 7 || strncasecmp(ver, "SIP/2.0", 7) != 0) {
		if (verlen > 4 && strncasecmp(ver, "SIP/", 4) == 0)
			*code = 505;
		snprintf(why, whylen, "Unsupported SIP version %.*s",
			 (int)(verlen < 16 ? verlen : 16), ver);
		return -1;
	}
	for (size_t i = 0; i < sp1; i++)
		if (!check_is_token(buf[i])) {
			snprintf(why, whylen, "Malformed method");
			return -1;
		}
	snprintf(method, mlen, "%.*s", (int)sp1, buf);
	if (!sipd_method_known(method))
		*code = 501;
	uri = buf + sp1 + 1;
	urilen = sp2 - sp1 - 1;
	colon = memchr(uri, ':', urilen);
	if (colon == NULL || colon == uri ||
	    !((*uri | 0x20) >= 'a' && (*uri | 0x20) <= 'z')) {
		snprintf(why, whylen, "Malformed Request-URI");
		return -1;
	}
	for (const char *c = uri; c < colon; c++)
		if (!((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z') &&
		    !(*c >= '0' && *c <= '9') && *c != '+' && *c != '-' &&
		    *c != '.') {
			snprintf(why, whylen, "Malformed Request-URI scheme");
			return -1;
		}
	if (!((colon - uri == 3 && strncasecmp(uri, "sip", 3) == 0) ||
	      (colon - uri == 4 && strncasecmp(uri, "sips", 4) == 0)) &&
	    *code == 0)
		*code = 416;
	return 0;
}

/*
 * The header fields, read line by line: one of each single-valued field,
 * Content-Length numeric and within the body, From/To/Contact well-formed,
 * Date in GMT.  0 or -1 with why.
 */
static int
check_headers(const char *buf, size_t hstart, size_t hend, size_t bodylen,
	      char *why, size_t whylen)
{
	int seen[CH_COUNT] = {0};
	struct check_hdr h;
	size_t pos = hstart;
	const char *w;
	int r;

	while ((r = check_next_header(buf, hend, &pos, &h)) != 0) {
		if (r < 0) {
			snprintf(why, whylen, "Malformed header line");
			return -1;
		}
		if (h.id == CH_OTHER)
			continue;
		if (check_hdr_names[h.id].single && seen[h.id]++) {
			snprintf(why, whylen, "More than one %s header",
				 check_hdr_names[h.id].name);
			return -1;
		}
		switch (h.id) {
		case CH_CLEN: {
			unsigned long long cl = 0;
			if (h.vallen == 0 || h.vallen > 10) {
				snprintf(why, whylen,
					 "Malformed Content-Length");
				return -1;
			}
			for (size_t i = 0; i < h.vallen; i++) {
				if (h.val[i] < '0' || h.val[i] > '9') {
					snprintf(why, whylen,
						 "Malformed Content-Length");
					return -1;
				}
				cl = cl * 10 + (unsigned)(h.val[i] - '0');
			}
			if (cl > bodylen) {
				snprintf(why, whylen,
					 "Content-Length %llu but only %zu "
					 "body bytes",
					 cl, bodylen);
				return -1;
			}
			break;
		}
		case CH_FROM:
		case CH_TO:
			if (check_name_addr(h.val, h.vallen, &w) < 0) {
				snprintf(why, whylen, "Malformed %s: %s",
					 check_hdr_names[h.id].name, w);
				return -1;
			}
			break;
		case CH_CONTACT:
			if (check_contact(h.val, h.vallen, &w) < 0) {
				snprintf(why, whylen, "Malformed Contact: %s",
					 w);
				return -1;
			}
			break;
		case CH_DATE:
			/* RFC 3261 20.17: rfc1123-date, always GMT. */
			if (h.vallen < 4 ||
			    memcmp(h.val + h.vallen - 4, " GMT", 4) != 0) {
				snprintf(why, whylen,
					 "Malformed Date (not in GMT)");
				return -1;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

/* The checks on what osip parsed of a request or response. */
static int
check_parsed(const osip_message_t *m, char *why, size_t whylen)
{
	osip_generic_param_t *br = NULL;
	osip_via_t *via;
	unsigned long long n;
	char *end;

	if (MSG_IS_RESPONSE(m) &&
	    (m->status_code < 100 || m->status_code > 699)) {
		snprintf(why, whylen, "status code %d is out of range",
			 m->status_code);
		return -1;
	}
	if (MSG_IS_REQUEST(m) && (m->sip_method == NULL || m->req_uri == NULL ||
				  m->req_uri->scheme == NULL)) {
		snprintf(why, whylen, "Malformed request line");
		return -1;
	}
	if (osip_list_size(&m->vias) < 1) {
		snprintf(why, whylen, "Missing Via header");
		return -1;
	}
	{
		/* Name every one missing (RFC 4475 3.3.1 lacks three). */
		int nf = m->from == NULL || m->from->url == NULL;
		int nt = m->to == NULL || m->to->url == NULL;
		int nc = m->call_id == NULL || m->call_id->number == NULL;
		if (nf || nt || nc) {
			snprintf(why, whylen, "Missing or unusable%s%s%s",
				 nf ? " From" : "", nt ? " To" : "",
				 nc ? " Call-ID" : "");
			return -1;
		}
	}
	if (m->cseq == NULL || m->cseq->number == NULL ||
	    m->cseq->method == NULL) {
		snprintf(why, whylen, "Missing or unusable CSeq header");
		return -1;
	}
	n = strtoull(m->cseq->number, &end, 10);
	if (*m->cseq->number == '\0' || *end != '\0' || n > 0x7fffffffULL) {
		snprintf(why, whylen, "CSeq number '%.16s' is invalid",
			 m->cseq->number);
		return -1;
	}
	if (MSG_IS_RESPONSE(m))
		return 0;
	if (strcmp(m->sip_method, m->cseq->method) != 0) {
		snprintf(why, whylen,
			 "CSeq method '%.16s' does not match request '%.16s'",
			 m->cseq->method, m->sip_method);
		return -1;
	}
	via = osip_list_get(&m->vias, 0);
	if (osip_via_param_get_byname(via, "branch", &br) == 0 && br &&
	    br->gvalue && strcmp(br->gvalue, "z9hG4bK") == 0) {
		snprintf(why, whylen,
			 "Via branch is the magic cookie alone (RFC 3261 "
			 "8.1.1.7)");
		return -1;
	}
	if (osip_list_size(&m->req_uri->url_headers) > 0) {
		snprintf(why, whylen, "Request-URI carries headers");
		return -1;
	}
	return 0;
}

static int check_salvage_set(osip_message_t *m, enum check_hdr_id id,
			     const char *s);
static int check_salvage_vias(osip_message_t *m, char *s);

/* Names, in why, the first field osip cannot parse on its own. */
static void
check_parse_fault(const char *buf, size_t hstart, size_t hend, char *why,
		  size_t whylen)
{
	struct check_hdr h;
	size_t pos = hstart;
	int r;

	snprintf(why, whylen, "Malformed message (the parser gave up)");
	while ((r = check_next_header(buf, hend, &pos, &h)) > 0) {
		osip_message_t *m = NULL;
		char *s;
		int bad;

		if (h.id == CH_OTHER || h.id > CH_CSEQ)
			continue;
		s = check_value_dup(h.val, h.vallen);
		if (s == NULL || osip_message_init(&m) != 0) {
			free(s);
			continue;
		}
		bad = h.id == CH_VIA ? check_salvage_vias(m, s)
				     : check_salvage_set(m, h.id, s) < 0;
		osip_message_free(m);
		free(s);
		if (bad) {
			snprintf(why, whylen, "Malformed %s header",
				 check_hdr_names[h.id].name);
			return;
		}
	}
}

int
sipd_packet_check(const char *buf, size_t len, struct sipd_verdict *v)
{
	osip_message_t *m = NULL;
	char method[32] = "";
	long body;
	size_t hstart;
	int request, parse_failed = 0, r = -EINVAL;

	v->keepalive = 0;
	v->code = 0;
	v->why[0] = '\0';
	if (len <= 4 && strspn(buf, "\r\n") == len) {
		v->keepalive = 1;
		return -EINVAL;
	}
	if (len < 16) {
		snprintf(v->why, sizeof(v->why),
			 "too short to be SIP (%zu bytes)", len);
		return -EINVAL;
	}
	request = strncasecmp(buf, "SIP/", 4) != 0;
	if (request && len > SIPD_MAX_MESSAGE) {
		v->code = 513;
		snprintf(v->why, sizeof(v->why),
			 "Message of %zu bytes is larger than %d", len,
			 SIPD_MAX_MESSAGE);
		return -EINVAL;
	}
	if (len > SIPD_MAX_MESSAGE) {
		snprintf(v->why, sizeof(v->why),
			 "%zu bytes is larger than %d", len, SIPD_MAX_MESSAGE);
		return -EINVAL;
	}
	if (!request &&
	    (strncasecmp(buf, "SIP/2.0 ", 8) != 0 || buf[8] < '1' ||
	     buf[8] > '6' || buf[9] < '0' || buf[9] > '9' || buf[10] < '0' ||
	     buf[10] > '9' || buf[11] != ' ')) {
		/* RFC 3261 7.2: SIP-Version SP 3DIGIT SP Reason-Phrase
		 * (len >= 16 here); osip would wrap an overlong code into
		 * range. */
		snprintf(v->why, sizeof(v->why),
			 "status line is not SIP/2.0 SP 3DIGIT SP");
		return -EINVAL;
	}
	if (request) {
		if (check_request_line(buf, len, method, sizeof(method),
				       &v->code, v->why, sizeof(v->why)) < 0)
			goto refuse;
	}
	hstart = check_line_end(buf, len, 0);
	body = check_body_offset(buf, len);
	if (body < 0) {
		snprintf(v->why, sizeof(v->why),
			 "No blank line ends the header");
		goto refuse;
	}
	if (check_headers(buf, hstart, (size_t)body, len - (size_t)body, v->why,
			  sizeof(v->why)) < 0)
		goto refuse;
	if (osip_message_init(&m) != 0) {
		snprintf(v->why, sizeof(v->why), "out of memory");
		v->code = 0;
		return -ENOMEM;
	}
	if (osip_message_parse(m, buf, len) != 0) {
		check_parse_fault(buf, hstart, (size_t)body, v->why,
				  sizeof(v->why));
		/* Most likely on the URI itself: a 416 stands. */
		parse_failed = 1;
		goto refuse;
	}
	if (check_parsed(m, v->why, sizeof(v->why)) < 0)
		goto refuse;
	/* Well-formed: a 501 or 416 is server.c's to send, in a
	 * transaction. */
	v->code = 0;
	r = 0;
	goto out;
refuse:
	if (!request)
		v->code = 0;
	else if (v->code == 0 || (v->code == 416 && !parse_failed))
		v->code = 400; /* a syntax fault outranks the scheme */
	else if (v->code == 501)
		snprintf(v->why, sizeof(v->why), "Unknown method %.24s", method);
	else if (v->code == 416)
		snprintf(v->why, sizeof(v->why),
			 "Unsupported Request-URI scheme");
out:
	osip_message_free(m);
	return r;
}

/* Sets one field of m from a header value; 0 or -1. */
static int
check_salvage_set(osip_message_t *m, enum check_hdr_id id, const char *s)
{
	switch (id) {
	case CH_VIA:
		return osip_message_set_via(m, s) == 0 ? 0 : -1;
	case CH_FROM:
		return osip_message_set_from(m, s) == 0 ? 0 : -1;
	case CH_TO:
		return osip_message_set_to(m, s) == 0 ? 0 : -1;
	case CH_CALL_ID:
		return osip_message_set_call_id(m, s) == 0 ? 0 : -1;
	case CH_CSEQ:
		return osip_message_set_cseq(m, s) == 0 ? 0 : -1;
	default:
		return -1;
	}
}

/*
 * Adds the vias of one Via value (comma-separated) to m, in order.  One
 * that does not parse is cut to its protocol and sent-by, which is where
 * the answer goes, and ends the list.  1 when the list ended so, else 0.
 */
static int
check_salvage_vias(osip_message_t *m, char *s)
{
	while (*s) {
		size_t n = strcspn(s, ",");
		int last = s[n] == '\0';

		s[n] = '\0';
		if (check_salvage_set(m, CH_VIA, s) < 0) {
			s[strcspn(s, ";")] = '\0';
			check_salvage_set(m, CH_VIA, s);
			return 1;
		}
		if (last)
			break;
		s += n + 1;
	}
	return 0;
}

osip_message_t *
sipd_packet_salvage(const char *buf, size_t len, char *why, size_t whylen)
{
	osip_message_t *m = NULL;
	struct check_hdr h;
	size_t pos, hend, e;
	long body;
	int via_done = 0, r;
	char method[32];

	if (len < 4 || strncasecmp(buf, "SIP/", 4) == 0) {
		snprintf(why, whylen, "not a request");
		return NULL;
	}
	if (osip_message_init(&m) != 0) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	/* The method, for the log and the CSeq check of the client. */
	e = strcspn(buf, " \r\n");
	snprintf(method, sizeof(method), "%.*s", (int)(e < 31 ? e : 31), buf);
	for (char *c = method; *c; c++)
		if (!check_is_token(*c))
			*c = '?';
	osip_message_set_method(m, osip_strdup(method));
	osip_message_set_version(m, osip_strdup("SIP/2.0"));
	body = check_body_offset(buf, len);
	hend = body < 0 ? len : (size_t)body;
	pos = check_line_end(buf, hend, 0);
	while ((r = check_next_header(buf, hend, &pos, &h)) != 0) {
		char *s;
		if (r < 0 || h.id == CH_OTHER || h.id > CH_CSEQ)
			continue;
		if (h.id == CH_VIA ? via_done
				   : (h.id == CH_FROM	 ? m->from != NULL
				      : h.id == CH_TO	 ? m->to != NULL
				      : h.id == CH_CALL_ID ? m->call_id != NULL
							 : m->cseq != NULL))
			continue;
		s = check_value_dup(h.val, h.vallen);
		if (s == NULL) {
			if (h.id == CH_VIA)
				via_done = 1;
			continue;
		}
		if (h.id == CH_VIA)
			via_done = check_salvage_vias(m, s);
		else
			check_salvage_set(m, h.id, s);
		free(s);
	}
	if (osip_list_size(&m->vias) < 1) {
		snprintf(why, whylen, "no usable Via to answer to");
		goto fail;
	}
	if (m->cseq == NULL || m->cseq->number == NULL ||
	    m->cseq->method == NULL) {
		snprintf(why, whylen, "no usable CSeq to answer with");
		goto fail;
	}
	return m;
fail:
	osip_message_free(m);
	return NULL;
}
