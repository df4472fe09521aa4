/*
 * request: the pure parts of apid's HTTP surface -- POST body validation,
 * path routing and WebSocket filters.  Nothing here touches the network,
 * the bus or the database, so the unit tests exercise it directly.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apid.h"

static int
req_copy_str(json_object *body, const char *key, bool required, char *dst,
	     size_t dstlen, char *err, size_t errlen)
{
	json_object *v;
	const char *s;

	dst[0] = '\0';
	if (!json_object_object_get_ex(body, key, &v) ||
	    json_object_is_type(v, json_type_null)) {
		if (required) {
			snprintf(err, errlen, "%s: required", key);
			return -EINVAL;
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "%s: must be a string", key);
		return -EINVAL;
	}
	s = json_object_get_string(v);
	if (strlen(s) >= dstlen) {
		snprintf(err, errlen, "%s: longer than %zu characters", key,
			 dstlen - 1);
		return -EINVAL;
	}
	if (required && s[0] == '\0') {
		snprintf(err, errlen, "%s: must not be empty", key);
		return -EINVAL;
	}
	snprintf(dst, dstlen, "%s", s);
	return 0;
}

/* Our field name or the seed API's (alias); both given must agree. */
static int
req_alias(json_object *body, const char *key, const char *alias, char *dst,
	  size_t dstlen, char *err, size_t errlen)
{
	char other[256];

	if (req_copy_str(body, key, false, dst, dstlen, err, errlen) < 0 ||
	    req_copy_str(body, alias, false, other,
			 dstlen < sizeof(other) ? dstlen : sizeof(other), err,
			 errlen) < 0)
		return -EINVAL;
	if (dst[0] != '\0' && other[0] != '\0' && strcmp(dst, other) != 0) {
		snprintf(err, errlen, "%s: differs from %s (give one)", alias,
			 key);
		return -EINVAL;
	}
	if (dst[0] == '\0')
		snprintf(dst, dstlen, "%s", other);
	return 0;
}

/*
 * A number is a SIP URI ("sip:..." / "sips:...") or digits with '+', '*',
 * '#'; the separators " -.()" are dropped.
 */
static int
req_number(char *number, char *err, size_t errlen)
{
	char *w = number;

	if (strncmp(number, "sip:", 4) == 0 || strncmp(number, "sips:", 5) == 0) {
		for (const char *p = number; *p; p++)
			if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p)) {
				snprintf(err, errlen,
					 "number: a SIP URI must not contain "
					 "spaces");
				return -EINVAL;
			}
		return 0;
	}
	for (const char *p = number; *p; p++) {
		if (isdigit((unsigned char)*p) || *p == '+' || *p == '*' ||
		    *p == '#')
			*w++ = *p;
		else if (strchr(" -.()", *p) == NULL) {
			snprintf(err, errlen,
				 "number: '%c' is not allowed (digits, '+', "
				 "'*', '#' or a sip: URI)",
				 isprint((unsigned char)*p) ? *p : '?');
			return -EINVAL;
		}
	}
	*w = '\0';
	if (number[0] == '\0') {
		snprintf(err, errlen, "number: has no digits");
		return -EINVAL;
	}
	return 0;
}

void
apid_number_uri(const char *number, const char *proxy, char *out,
		size_t outlen)
{
	char host[256];
	size_t n;

	if (strncmp(number, "sip:", 4) == 0 || strncmp(number, "sips:", 5) == 0) {
		snprintf(out, outlen, "%s", number);
		return;
	}
	out[0] = '\0';
	if (proxy == NULL || proxy[0] == '\0')
		return;
	if (strncmp(proxy, "sip:", 4) == 0)
		proxy += 4;
	n = strcspn(proxy, ";>");
	if (n >= sizeof(host))
		n = sizeof(host) - 1;
	memcpy(host, proxy, n);
	host[n] = '\0';
	if (strchr(host, '@') != NULL)
		memmove(host, strchr(host, '@') + 1, strlen(strchr(host, '@')));
	snprintf(out, outlen, "sip:%s@%s", number, host);
}

int
apid_call_req_parse(struct apid_call_req *r, const char *body, size_t len,
		    bool direct, char *err, size_t errlen)
{
	json_tokener *tok;
	json_object *o = NULL, *v;
	int rc = -EINVAL;

	memset(r, 0, sizeof(*r));
	while (len > 0 && isspace((unsigned char)body[len - 1]))
		len--;
	if (len == 0) {
		snprintf(err, errlen, "malformed JSON body: the body is empty");
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (tok == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (o == NULL) {
		enum json_tokener_error je = json_tokener_get_error(tok);
		if (je == json_tokener_continue)
			snprintf(err, errlen,
				 "malformed JSON body: unexpected end of input");
		else
			snprintf(err, errlen,
				 "malformed JSON body: %s at offset %zu",
				 json_tokener_error_desc(je),
				 json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		return -EINVAL;
	}
	if (json_tokener_get_parse_end(tok) < len) {
		snprintf(err, errlen,
			 "malformed JSON body: unexpected data at offset %zu",
			 json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		goto out;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the body must be a JSON object");
		goto out;
	}
	{
		static const char *const hs_keys[] = {
		    "number", "intent", "flow_id", "call_flow_id", "device",
		    "transfer_to", "info", "mode", NULL};
		static const char *const direct_keys[] = {
		    "number", "device", "transfer_to", "mode", NULL};
		const char *const *keys = direct ? direct_keys : hs_keys;

		json_object_object_foreach(o, key, val) {
			size_t i;
			(void)val;
			for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
				;
			if (keys[i] == NULL) {
				snprintf(err, errlen,
					 "%.64s: unknown field%s", key,
					 direct ? " (number, device, "
						  "transfer_to, mode)"
						: "");
				goto out;
			}
		}
	}
	if (req_copy_str(o, "mode", false, r->mode, sizeof(r->mode), err,
			 errlen) < 0)
		goto out;
	if (strcmp(r->mode, "ai_assisted") == 0) {
		snprintf(err, errlen,
			 "mode: ai_assisted is not implemented (use "
			 "/api/calls/hold-slayer or /api/calls/outbound)");
		goto out;
	}
	if (r->mode[0] != '\0' &&
	    strcmp(r->mode, direct ? "direct" : "hold_slayer") != 0) {
		snprintf(err, errlen, "mode: '%.32s' is not %s here%s",
			 r->mode, direct ? "direct" : "hold_slayer",
			 strcmp(r->mode, "direct") == 0 ||
				 strcmp(r->mode, "hold_slayer") == 0
			     ? (direct ? " (POST /api/calls/hold-slayer)"
				       : " (POST /api/calls/outbound)")
			     : "");
		goto out;
	}
	snprintf(r->mode, sizeof(r->mode), "%s",
		 direct ? "direct" : "hold_slayer");
	if (req_copy_str(o, "number", true, r->number, sizeof(r->number), err,
			 errlen) < 0 ||
	    req_number(r->number, err, errlen) < 0)
		goto out;
	if (req_alias(o, "device", "transfer_to", r->device, sizeof(r->device),
		      err, errlen) < 0)
		goto out;
	if (!direct) {
		if (req_copy_str(o, "intent", false, r->intent,
				 sizeof(r->intent), err, errlen) < 0 ||
		    req_alias(o, "flow_id", "call_flow_id", r->flow_id,
			      sizeof(r->flow_id), err, errlen) < 0)
			goto out;
		if (json_object_object_get_ex(o, "info", &v) &&
		    !json_object_is_type(v, json_type_null)) {
			if (!json_object_is_type(v, json_type_object)) {
				snprintf(err, errlen, "info: must be an object");
				goto out;
			}
			r->info = json_object_new_object();
			r->info_masked = json_object_new_object();
			r->secrets = json_object_new_array();
			json_object_object_foreach(v, key, val) {
				json_object *sv = NULL, *sec = NULL;
				bool secret = false;

				if (json_object_is_type(val, json_type_object)) {
					/* {"value": ..., "secret": true} */
					json_object_object_foreach(val, k2, v2) {
						(void)v2;
						if (strcmp(k2, "value") != 0 &&
						    strcmp(k2, "secret") != 0) {
							snprintf(err, errlen,
								 "info.%s.%s: unknown "
								 "field (value, secret)",
								 key, k2);
							goto out;
						}
					}
					if (!json_object_object_get_ex(val, "value",
								       &sv)) {
						snprintf(err, errlen,
							 "info.%s: an object needs "
							 "\"value\"",
							 key);
						goto out;
					}
					if (json_object_object_get_ex(val, "secret",
								      &sec) &&
					    !json_object_is_type(
						sec, json_type_boolean)) {
						snprintf(err, errlen,
							 "info.%s.secret: must be "
							 "true or false",
							 key);
						goto out;
					}
					secret = sec && json_object_get_boolean(sec);
					val = sv;
				}
				if (json_object_is_type(val, json_type_object) ||
				    json_object_is_type(val, json_type_array) ||
				    json_object_is_type(val, json_type_null)) {
					snprintf(err, errlen,
						 "info.%s: must be a string, "
						 "number or boolean (or "
						 "{\"value\", \"secret\"})",
						 key);
					goto out;
				}
				json_object_object_add(r->info, key,
						       json_object_get(val));
				if (secret) {
					const char *txt = json_object_get_string(val);
					json_object_object_add(
					    r->info_masked, key,
					    json_object_new_string(APID_SECRET_MASK));
					if (strlen(txt) >= APID_SECRET_MIN)
						json_object_array_add(
						    r->secrets,
						    json_object_new_string(txt));
				} else {
					json_object_object_add(r->info_masked, key,
							       json_object_get(val));
				}
			}
		}
	}
	if (r->info == NULL)
		r->info = json_object_new_object();
	if (r->info_masked == NULL)
		r->info_masked = json_object_new_object();
	if (r->secrets == NULL)
		r->secrets = json_object_new_array();
	rc = 0;
out:
	json_object_put(o);
	if (rc < 0)
		apid_call_req_clear(r);
	return rc;
}

void
apid_call_req_clear(struct apid_call_req *r)
{
	json_object_put(r->info);
	json_object_put(r->info_masked);
	json_object_put(r->secrets);
	r->info = r->info_masked = r->secrets = NULL;
}

/* Replaces each secret found in s (a copy) with the mask. */
static char *
req_scrub_str(const char *s, json_object *secrets)
{
	char *out = strdup(s);

	for (size_t i = 0; out && i < json_object_array_length(secrets); i++) {
		const char *sec =
		    json_object_get_string(json_object_array_get_idx(secrets, i));
		size_t sl = strlen(sec), ml = strlen(APID_SECRET_MASK);
		char *p;

		while (sl > 0 && (p = strstr(out, sec)) != NULL) {
			size_t head = (size_t)(p - out), tail = strlen(p + sl);
			char *n = malloc(head + ml + tail + 1);
			if (n == NULL) {
				free(out);
				return NULL;
			}
			memcpy(n, out, head);
			memcpy(n + head, APID_SECRET_MASK, ml);
			memcpy(n + head + ml, p + sl, tail + 1);
			free(out);
			out = n;
		}
	}
	return out;
}

int
apid_scrub(json_object *o, json_object *secrets)
{
	int n = 0;

	if (o == NULL || secrets == NULL || json_object_array_length(secrets) == 0)
		return 0;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			if (json_object_is_type(v, json_type_string)) {
				char *s = req_scrub_str(json_object_get_string(v),
							secrets);
				if (s != NULL &&
				    strcmp(s, json_object_get_string(v)) != 0) {
					json_object_object_add(
					    o, k, json_object_new_string(s));
					n++;
				}
				free(s);
			} else if (json_object_is_type(v, json_type_int) ||
				   json_object_is_type(v, json_type_double)) {
				/* A secret account number sent as a number. */
				char *s = req_scrub_str(json_object_get_string(v),
							secrets);
				if (s != NULL &&
				    strcmp(s, json_object_get_string(v)) != 0) {
					json_object_object_add(
					    o, k, json_object_new_string(s));
					n++;
				}
				free(s);
			} else {
				n += apid_scrub(v, secrets);
			}
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			json_object *v = json_object_array_get_idx(o, i);
			if (json_object_is_type(v, json_type_string)) {
				char *s = req_scrub_str(json_object_get_string(v),
							secrets);
				if (s != NULL &&
				    strcmp(s, json_object_get_string(v)) != 0) {
					json_object_array_put_idx(
					    o, i, json_object_new_string(s));
					n++;
				}
				free(s);
			} else {
				n += apid_scrub(v, secrets);
			}
		}
	}
	return n;
}

bool
apid_call_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= MSG_CALL_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && strchr("._-", id[i]) == NULL)
			return false;
	return true;
}

enum apid_route
apid_route_parse(const char *path, char *id, size_t idlen)
{
	static const char calls[] = "/api/calls";
	const char *p, *slash;
	size_t n;

	id[0] = '\0';
	if (strcmp(path, "/api/health") == 0 || strcmp(path, "/api/health/") == 0)
		return APID_R_HEALTH;
	if (strncmp(path, calls, sizeof(calls) - 1) != 0)
		return APID_R_NONE;
	p = path + sizeof(calls) - 1;
	if (*p == '\0' || strcmp(p, "/") == 0)
		return APID_R_CALLS;
	if (*p != '/')
		return APID_R_NONE;
	p++;
	if (strcmp(p, "hold-slayer") == 0)
		return APID_R_HOLD_SLAYER;
	if (strcmp(p, "outbound") == 0)
		return APID_R_OUTBOUND;
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n >= idlen)
		return APID_R_NONE;
	memcpy(id, p, n);
	id[n] = '\0';
	if (!apid_call_id_valid(id)) {
		id[0] = '\0';
		return APID_R_NONE;
	}
	if (slash == NULL || strcmp(slash, "/") == 0)
		return APID_R_CALL;
	if (strcmp(slash, "/hangup") == 0)
		return APID_R_HANGUP;
	if (strcmp(slash, "/transfer") == 0)
		return APID_R_TRANSFER;
	id[0] = '\0';
	return APID_R_NONE;
}

int
apid_filter_parse(struct apid_filter *f, const char *call_id,
		  const char *types, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->any_type = true;
	if (call_id != NULL && call_id[0] != '\0') {
		if (!apid_call_id_valid(call_id)) {
			snprintf(err, errlen, "call_id: not a valid call id");
			return -EINVAL;
		}
		snprintf(f->call_id, sizeof(f->call_id), "%s", call_id);
	}
	if (types == NULL || types[0] == '\0')
		return 0;
	f->any_type = false;
	for (const char *p = types; *p;) {
		size_t n = strcspn(p, ",");
		char name[64];
		enum msg_type t;

		while (n > 0 && *p == ' ')
			p++, n--;
		if (n > 0) {
			if (n >= sizeof(name)) {
				snprintf(err, errlen, "types: unknown type '%.*s'",
					 20, p);
				return -EINVAL;
			}
			memcpy(name, p, n);
			name[n] = '\0';
			while (n > 0 && name[n - 1] == ' ')
				name[--n] = '\0';
			if (msg_type_from_name(name, &t) < 0) {
				snprintf(err, errlen, "types: unknown type '%s'",
					 name);
				return -EINVAL;
			}
			f->types[t] = true;
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return 0;
}

bool
apid_filter_match(const struct apid_filter *f, enum msg_type type,
		  const char *call_id)
{
	if (f->call_id[0] != '\0' &&
	    (call_id == NULL || strcmp(f->call_id, call_id) != 0))
		return false;
	if (f->any_type)
		return true;
	return (int)type >= 0 && type < MSG_TYPE_COUNT && f->types[type];
}

bool
apid_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; *p;) {
		size_t w;

		p += strspn(p, " ,\t");
		w = strcspn(p, " ,\t");
		if (w == n && n > 0 && strncasecmp(p, item, n) == 0)
			return true;
		p += w;
	}
	return false;
}

bool
apid_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p++;
		size_t more;
		unsigned cp, min;

		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0)
			more = 1, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			more = 2, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			more = 3, cp = c & 0x07, min = 0x10000;
		else
			return false;
		if ((size_t)(end - p) < more)
			return false;
		for (size_t i = 0; i < more; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*p & 0x3f);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF. */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
	}
	return true;
}

void
apid_utf8_sanitize(char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		size_t n = 1;
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80)
			n = (c & 0xe0) == 0xc0   ? 2
			    : (c & 0xf0) == 0xe0 ? 3
			    : (c & 0xf8) == 0xf0 ? 4
						 : 1;
		if (i + n > len || !apid_utf8_valid(s + i, n)) {
			s[i++] = '?';
			continue;
		}
		i += n;
	}
}

int
apid_sip_host(const char *uri, char *host, size_t hostlen)
{
	const char *p, *at, *end;
	size_t n;

	if (strncasecmp(uri, "sip:", 4) == 0)
		p = uri + 4;
	else if (strncasecmp(uri, "sips:", 5) == 0)
		p = uri + 5;
	else
		return -EINVAL;
	/* The host part ends the user part (the last '@' before params). */
	end = p + strcspn(p, ";?>");
	at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL)
		p = at + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (close == NULL)
			return -EINVAL;
		p++;
		n = (size_t)(close - p);
	} else {
		n = strcspn(p, ":;?>");
		if (p + n > end)
			n = (size_t)(end - p);
	}
	if (n == 0 || n >= hostlen)
		return -EINVAL;
	memcpy(host, p, n);
	host[n] = '\0';
	return 0;
}

bool
apid_sip_host_allowed(const struct conf *c, const char *uri)
{
	char host[256], h2[256];

	if (apid_sip_host(uri, host, sizeof(host)) < 0)
		return false;
	if (c->api_allowed_sip_hosts[0] != '\0')
		return apid_list_has(c->api_allowed_sip_hosts, host);
	/* The default: loopback, the trunk and sipd's own address. */
	{
		struct in_addr in;
		if ((inet_pton(AF_INET, host, &in) == 1 &&
		     (ntohl(in.s_addr) >> 24) == 127) ||
		    strcmp(host, "::1") == 0 || strcasecmp(host, "localhost") == 0)
			return true;
	}
	if (c->trunk_proxy[0] != '\0' &&
	    apid_sip_host(c->trunk_proxy, h2, sizeof(h2)) == 0 &&
	    strcasecmp(host, h2) == 0)
		return true;
	{
		char lbuf[300];
		snprintf(lbuf, sizeof(lbuf), "sip:%s", c->sip_listen);
		if (apid_sip_host(lbuf, h2, sizeof(h2)) == 0 &&
		    strcasecmp(host, h2) == 0)
			return true;
	}
	/* The user's own phones, as the file names them. */
	for (size_t i = 0; i < c->ndevices; i++)
		if (apid_sip_host(c->devices[i].uri, h2, sizeof(h2)) == 0 &&
		    strcasecmp(host, h2) == 0)
			return true;
	return false;
}

bool
apid_name_valid(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._-", s[i]) == NULL)
			return false;
	return true;
}

int
apid_device_parse(json_object *body, const char *id, json_object **out,
		  char *err, size_t errlen)
{
	static const char *const keys[] = {"name",     "type",
					   "sip_uri",  "priority",
					   "capabilities", "id", NULL};
	static const char *const types[] = {"sip", "registered", "pstn", NULL};
	json_object *d, *v;
	const char *name = NULL, *type = "sip", *uri = NULL;
	int64_t prio = 0;
	size_t i;

	*out = NULL;
	if (!json_object_is_type(body, json_type_object)) {
		snprintf(err, errlen, "the body must be a JSON object");
		return -EINVAL;
	}
	json_object_object_foreach(body, key, val) {
		(void)val;
		for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
			;
		if (keys[i] == NULL) {
			snprintf(err, errlen,
				 "%.64s: unknown field (name, type, sip_uri, "
				 "priority, capabilities)",
				 key);
			return -EINVAL;
		}
	}
#define DEV_STRING(k, dst)                                                     \
	if (json_object_object_get_ex(body, k, &v) &&                          \
	    !json_object_is_type(v, json_type_null)) {                         \
		if (!json_object_is_type(v, json_type_string)) {               \
			snprintf(err, errlen, "%s: must be a string", k);      \
			return -EINVAL;                                        \
		}                                                              \
		dst = json_object_get_string(v);                               \
	}
	DEV_STRING("name", name)
	DEV_STRING("type", type)
	DEV_STRING("sip_uri", uri)
#undef DEV_STRING
	if (json_object_object_get_ex(body, "id", &v) && id != NULL &&
	    (!json_object_is_type(v, json_type_string) ||
	     strcmp(json_object_get_string(v), id) != 0)) {
		snprintf(err, errlen, "id: differs from the path's '%s'", id);
		return -EINVAL;
	}
	if (id != NULL) {
		if (name != NULL && strcmp(name, id) != 0) {
			snprintf(err, errlen,
				 "name: a device is renamed by adding it "
				 "anew and removing '%s'",
				 id);
			return -EINVAL;
		}
		name = id;
	}
	if (name == NULL || !apid_name_valid(name, 63)) {
		snprintf(err, errlen,
			 "name: required, 1 to 63 of A-Z a-z 0-9 . _ -");
		return -EINVAL;
	}
	for (i = 0; types[i] && strcmp(types[i], type) != 0; i++)
		;
	if (types[i] == NULL) {
		snprintf(err, errlen,
			 "type: '%.32s' is not sip, registered or pstn", type);
		return -EINVAL;
	}
	if (uri == NULL || uri[0] == '\0' || strlen(uri) > 255) {
		snprintf(err, errlen, "sip_uri: required (at most 255 "
				      "characters)");
		return -EINVAL;
	}
	if (strcmp(type, "pstn") == 0) {
		char num[256];
		snprintf(num, sizeof(num), "%s", uri);
		if (strncmp(num, "sip", 3) == 0 ||
		    req_number(num, err, errlen) < 0) {
			snprintf(err, errlen,
				 "sip_uri: a pstn device is a phone number "
				 "(digits, '+', '*', '#')");
			return -EINVAL;
		}
	} else {
		char host[256];
		if (apid_sip_host(uri, host, sizeof(host)) < 0) {
			snprintf(err, errlen, "sip_uri: '%.64s' is not a sip: "
					      "URI",
				 uri);
			return -EINVAL;
		}
		for (const char *p = uri; *p; p++)
			if (isspace((unsigned char)*p) ||
			    iscntrl((unsigned char)*p)) {
				snprintf(err, errlen, "sip_uri: must not "
						      "contain spaces");
				return -EINVAL;
			}
	}
	if (json_object_object_get_ex(body, "priority", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_int) ||
		    (prio = json_object_get_int64(v)) < 0 || prio > 1000) {
			snprintf(err, errlen,
				 "priority: an integer from 0 to 1000");
			return -EINVAL;
		}
	}
	if (json_object_object_get_ex(body, "capabilities", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_array)) {
			snprintf(err, errlen,
				 "capabilities: an array of strings");
			return -EINVAL;
		}
		for (i = 0; i < json_object_array_length(v); i++)
			if (!json_object_is_type(json_object_array_get_idx(v, i),
						 json_type_string)) {
				snprintf(err, errlen,
					 "capabilities: an array of strings");
				return -EINVAL;
			}
	} else {
		v = NULL;
	}
	d = json_object_new_object();
	json_object_object_add(d, "name", json_object_new_string(name));
	json_object_object_add(d, "type", json_object_new_string(type));
	json_object_object_add(d, "sip_uri", json_object_new_string(uri));
	json_object_object_add(d, "priority", json_object_new_int64(prio));
	json_object_object_add(d, "capabilities",
			       v ? json_object_get(v) : json_object_new_array());
	*out = d;
	return 0;
}
