/*
 * uri: checks on the URIs sipd is asked to dial and on the [sip] listen
 * address.  A dial URI ends up in a request line and in a To header, so it
 * must parse as a sip: or sips: URI with a host and must not carry bytes
 * that could end a header (CR, LF, NUL) or whitespace.
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
sipd_uri_check(const char *uri, char *err, size_t errlen)
{
	osip_uri_t *u = NULL;
	int r = -EINVAL;

	if (uri == NULL || *uri == '\0') {
		snprintf(err, errlen, "missing uri");
		return -EINVAL;
	}
	if (strlen(uri) >= SIPD_URI_MAX) {
		snprintf(err, errlen, "uri is longer than %d bytes",
			 SIPD_URI_MAX - 1);
		return -EINVAL;
	}
	for (const unsigned char *p = (const unsigned char *)uri; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' ||
		    *p == '"') {
			/* Not echoed: it may hold line breaks. */
			snprintf(err, errlen,
				 "uri contains a forbidden character (0x%02x) "
				 "at offset %zu",
				 *p, (size_t)(p - (const unsigned char *)uri));
			return -EINVAL;
		}
	if (strncasecmp(uri, "sip:", 4) != 0 &&
	    strncasecmp(uri, "sips:", 5) != 0) {
		snprintf(err, errlen, "uri '%.64s' is not a sip: or sips: URI",
			 uri);
		return -EINVAL;
	}
	if (osip_uri_init(&u) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (osip_uri_parse(u, uri) != 0) {
		snprintf(err, errlen, "uri '%.64s' does not parse", uri);
		goto out;
	}
	if (u->host == NULL || u->host[0] == '\0') {
		snprintf(err, errlen, "uri '%.64s' has no host", uri);
		goto out;
	}
	if (u->port != NULL) {
		char *end;
		long p = strtol(u->port, &end, 10);
		if (*u->port == '\0' || *end != '\0' || p < 1 || p > 65535) {
			snprintf(err, errlen, "uri '%.64s' has a bad port", uri);
			goto out;
		}
	}
	r = 0;
out:
	osip_uri_free(u);
	return r;
}

int
sipd_hostport_parse(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon, *h = s;
	size_t hl;
	char *end;
	long p;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || strchr(s, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen)
		return -EINVAL;
	if (colon[1] == '\0')
		return -EINVAL;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end != '\0' || p < 0 || p > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
}

int
sipd_number_uri(const char *number, const char *domain, char *out,
		size_t outlen, char *err, size_t errlen)
{
	char digits[32];
	size_t n = 0, max;
	int plus = 0;
	const char *p = number;

	if (number == NULL || *number == '\0') {
		snprintf(err, errlen, "missing number");
		return -EINVAL;
	}
	if (*p == '+') {
		plus = 1;
		p++;
	}
	max = plus ? 15 : 20;
	for (; *p; p++) {
		if (*p == ' ' || *p == '-' || *p == '.' || *p == '(' ||
		    *p == ')')
			continue;
		if (*p < '0' || *p > '9') {
			snprintf(err, errlen,
				 "number '%.40s': '%c' is not a digit (a "
				 "number is '+' and 1 to 15 digits, E.164)",
				 number, (*p > ' ' && *p < 0x7f) ? *p : '?');
			return -EINVAL;
		}
		if (n >= max) {
			snprintf(err, errlen,
				 "number '%.40s' has more than %zu digits%s",
				 number, max,
				 plus ? " (E.164 allows 15)" : "");
			return -EINVAL;
		}
		digits[n++] = *p;
	}
	digits[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "number '%.40s' has no digits", number);
		return -EINVAL;
	}
	if (domain == NULL || *domain == '\0') {
		snprintf(err, errlen,
			 "cannot dial number '%.40s': no [trunk] proxy is "
			 "configured (or dial a sip: URI)",
			 number);
		return -EINVAL;
	}
	if ((size_t)snprintf(out, outlen, "sip:%s%s@%s", plus ? "+" : "",
			     digits, domain) >= outlen) {
		snprintf(err, errlen, "the URI for number '%.40s' is too long",
			 number);
		return -EINVAL;
	}
	return 0;
}

int
sipd_uri_hostport(const char *uri, char *out, size_t outlen)
{
	osip_uri_t *u = NULL;
	int r = -EINVAL;

	if (uri == NULL || osip_uri_init(&u) != 0)
		return -EINVAL;
	if (osip_uri_parse(u, uri) == 0 && u->host && u->host[0]) {
		int brackets = strchr(u->host, ':') && u->host[0] != '[';
		snprintf(out, outlen, "%s%s%s%s%s", brackets ? "[" : "",
			 u->host, brackets ? "]" : "", u->port ? ":" : "",
			 u->port ? u->port : "");
		r = 0;
	}
	osip_uri_free(u);
	return r;
}
