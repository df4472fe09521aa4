/*
 * registrar: the user's own softphones REGISTER here (RFC 3261 section
 * 10.3).  Each phone of [phones] has a password (from a file only its
 * owner can read, or from an environment variable: never from the
 * configuration itself); a REGISTER without a good Authorization is
 * challenged with 401, offering SHA-256 and MD5 digests (RFC 7616, RFC
 * 8760) with qop "auth" and a nonce of OpenSSL's RAND_bytes that expires
 * after REG_NONCE_TTL_MS (a right answer to an expired or forgotten nonce
 * gets a new challenge with stale=true).  A wrong password, or a phone
 * registering another phone's address-of-record, gets 403.  Bindings live
 * in memory only, with their Contact, the address the REGISTER really
 * came from (RFC 3581's received and rport: a phone behind NAT is reached
 * there) and their expiry; each change is published as phone_registered
 * or phone_unregistered.  The password is only hashed: never logged,
 * published or put in an error string.
 */
#include "sipd.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define REG_NONCE_TTL_MS (300 * 1000)
#define REG_EXPIRES_DEFAULT 3600
#define REG_EXPIRES_MAX 3600

static struct sipd_phone *
reg_phone(struct sipd *sd, const char *name)
{
	for (int i = 0; i < sd->nphones; i++)
		if (strcmp(sd->phones[i].name, name) == 0)
			return &sd->phones[i];
	return NULL;
}

static void
reg_phones_free(struct sipd_phone *p, int n)
{
	for (int i = 0; i < n; i++)
		sipd_password_free(p[i].password);
	free(p);
}

int
sipd_registrar_load(struct sipd *sd, const struct conf *c, char *err,
		    size_t errlen)
{
	struct sipd_phone *p = NULL;
	int n = 0, r;

	if (c->nphones > 0 &&
	    (p = calloc(c->nphones, sizeof(*p))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->nphones; i++, n++) {
		const struct conf_phone *cp = &c->phones[i];
		struct sipd_phone *old = reg_phone(sd, cp->name);
		char what[96];

		snprintf(p[n].name, sizeof(p[n].name), "%s", cp->name);
		if (cp->password_file[0]) {
			snprintf(what, sizeof(what), "[phones] %s", cp->name);
			r = sipd_password_read(what, cp->password_file,
					       &p[n].password, err, errlen);
			if (r < 0)
				goto fail;
		} else {
			const char *e = getenv(cp->password_env);
			if (e == NULL || *e == '\0') {
				snprintf(err, errlen,
					 "[phones] %s: the environment "
					 "variable %s is not set",
					 cp->name, cp->password_env);
				r = -EINVAL;
				goto fail;
			}
			if ((p[n].password = strdup(e)) == NULL) {
				r = -ENOMEM;
				goto fail;
			}
		}
		/* A reload keeps the bindings of the phones that stay. */
		if (old != NULL)
			memcpy(p[n].b, old->b, sizeof(p[n].b));
	}
	reg_phones_free(sd->phones, sd->nphones);
	sd->phones = p;
	sd->nphones = n;
	return 0;
fail:
	reg_phones_free(p, n + 1);
	return r;
}

void
sipd_registrar_free(struct sipd *sd)
{
	reg_phones_free(sd->phones, sd->nphones);
	sd->phones = NULL;
	sd->nphones = 0;
}

static void
reg_publish(struct sipd *sd, const struct sipd_phone *p,
	    const struct sipd_binding *b, const char *reason)
{
	json_object *o = json_object_new_object();
	char addr[96];

	json_object_object_add(o, "phone", json_object_new_string(p->name));
	json_object_object_add(o, "contact",
			       json_object_new_string(b->contact));
	snprintf(addr, sizeof(addr), "%s:%d", b->addr, b->port);
	json_object_object_add(o, "address", json_object_new_string(addr));
	if (reason == NULL) {
		json_object_object_add(
		    o, "expires",
		    json_object_new_int((int)((b->until_ms - msg_mono_ms()) /
					      1000)));
		bus_publish(daemon_bus(sd->d), MSG_phone_registered, "", o);
	} else {
		json_object_object_add(o, "reason",
				       json_object_new_string(reason));
		bus_publish(daemon_bus(sd->d), MSG_phone_unregistered, "", o);
	}
	log_info("registrar: %s %s %s (from %s)%s%s", p->name,
		 reason ? "unbound" : "bound", b->contact, addr,
		 reason ? ": " : "", reason ? reason : "");
}

void
sipd_registrar_sweep(struct sipd *sd)
{
	int64_t now = msg_mono_ms();

	for (int i = 0; i < sd->nphones; i++)
		for (int j = 0; j < SIPD_BINDINGS_MAX; j++) {
			struct sipd_binding *b = &sd->phones[i].b[j];
			if (b->contact[0] && b->until_ms <= now) {
				reg_publish(sd, &sd->phones[i], b, "expired");
				memset(b, 0, sizeof(*b));
			}
		}
}

int
sipd_registrar_bound(const struct sipd_phone *p)
{
	int n = 0;

	for (int j = 0; j < SIPD_BINDINGS_MAX; j++)
		n += p->b[j].contact[0] != '\0';
	return n;
}

void
sipd_registrar_status(const struct sipd *sd, json_object *reply)
{
	json_object *arr = json_object_new_array();
	int64_t now = msg_mono_ms();

	for (int i = 0; i < sd->nphones; i++)
		for (int j = 0; j < SIPD_BINDINGS_MAX; j++) {
			const struct sipd_binding *b = &sd->phones[i].b[j];
			json_object *o;
			char addr[96];

			if (b->contact[0] == '\0')
				continue;
			o = json_object_new_object();
			json_object_object_add(
			    o, "phone",
			    json_object_new_string(sd->phones[i].name));
			json_object_object_add(
			    o, "contact", json_object_new_string(b->contact));
			snprintf(addr, sizeof(addr), "%s:%d", b->addr,
				 b->port);
			json_object_object_add(o, "address",
					       json_object_new_string(addr));
			json_object_object_add(
			    o, "expires_in_s",
			    json_object_new_int(
				(int)((b->until_ms - now + 999) / 1000)));
			json_object_array_add(arr, o);
		}
	json_object_object_add(reply, "registrations", arr);
}

/* 1 if host is the source address of a binding: a phone sipd knows. */
int
sipd_registrar_known_source(const struct sipd *sd, const char *host)
{
	for (int i = 0; i < sd->nphones; i++)
		for (int j = 0; j < SIPD_BINDINGS_MAX; j++)
			if (sd->phones[i].b[j].contact[0] &&
			    strcmp(sd->phones[i].b[j].addr, host) == 0)
				return 1;
	return 0;
}

/* s without its surrounding double quotes, into out. */
static const char *
reg_unquote(const char *s, char *out, size_t len)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	if (n >= len)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static void
reg_nonce_new(struct sipd *sd, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	struct sipd_nonce *slot = &sd->nonces[0];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		fatalx("registrar: RAND_bytes failed");
	for (size_t i = 0; i < sizeof(raw) && 2 * i + 2 < len; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
		out[2 * i + 2] = '\0';
	}
	/* The oldest slot makes room. */
	for (int i = 1; i < SIPD_NONCES_MAX; i++)
		if (sd->nonces[i].issued_ms < slot->issued_ms)
			slot = &sd->nonces[i];
	snprintf(slot->nonce, sizeof(slot->nonce), "%s", out);
	slot->issued_ms = msg_mono_ms();
}

/* 1 if nonce is one of ours and still young, else 0. */
static int
reg_nonce_fresh(const struct sipd *sd, const char *nonce)
{
	int64_t now = msg_mono_ms();

	for (int i = 0; i < SIPD_NONCES_MAX; i++)
		if (sd->nonces[i].nonce[0] &&
		    strcmp(sd->nonces[i].nonce, nonce) == 0)
			return now - sd->nonces[i].issued_ms < REG_NONCE_TTL_MS;
	return 0;
}

/* The challenges of a 401, in the order of [sip] phone_digests (SHA-256
 * first by default: RFC 8760 section 2.4; some phones answer only the
 * first challenge and know only MD5). */
static void
reg_challenge(struct sipd *sd, osip_message_t *resp, int stale)
{
	const char *p = daemon_conf(sd->d)->sip_phone_digests;
	char nonce[40], h[256];

	while (*p) {
		size_t l;
		p += strspn(p, " ,");
		l = strcspn(p, " ,");
		if (l == 0)
			break;
		reg_nonce_new(sd, nonce, sizeof(nonce));
		snprintf(h, sizeof(h),
			 "Digest realm=\"%s\", nonce=\"%s\", algorithm=%s, "
			 "qop=\"auth\"%s",
			 SIPD_REALM, nonce, l == 3 ? "MD5" : "SHA-256",
			 stale ? ", stale=true" : "");
		osip_message_set_header(resp, "WWW-Authenticate", h);
		p += l;
	}
}

/*
 * Checks req's Authorization.  0 with *phone set when it is right;
 * otherwise the status (401 with *stale, or 403) and why for the log.
 */
static int
reg_authenticate(struct sipd *sd, osip_message_t *req,
		 struct sipd_phone **phone, int *stale, const char **why)
{
	osip_authorization_t *a = NULL;
	char user[80], realm[160], nonce[300], uri[SIPD_URI_MAX];
	char resp[80], cnonce[160], nc[32], qop[32], want[80];
	const char *alg_s;
	enum sipd_auth_alg alg;
	struct sipd_phone *p;

	*stale = 0;
	for (int pos = 0; osip_message_get_authorization(req, pos, &a) == 0;
	     pos++) {
		if (a->auth_type && strcasecmp(a->auth_type, "Digest") == 0 &&
		    reg_unquote(a->realm, realm, sizeof(realm)) &&
		    strcmp(realm, SIPD_REALM) == 0)
			break;
		a = NULL;
	}
	if (a == NULL) {
		*why = "no credentials for our realm";
		return 401;
	}
	if (!reg_unquote(a->username, user, sizeof(user)) ||
	    !reg_unquote(a->nonce, nonce, sizeof(nonce)) ||
	    !reg_unquote(a->uri, uri, sizeof(uri)) ||
	    !reg_unquote(a->response, resp, sizeof(resp))) {
		*why = "incomplete credentials";
		return 401;
	}
	alg_s = a->algorithm ? a->algorithm : "MD5";
	if (strcasestr(daemon_conf(sd->d)->sip_phone_digests, alg_s) ==
		NULL ||
	    (strcasecmp(alg_s, "SHA-256") != 0 &&
	     strcasecmp(alg_s, "MD5") != 0)) {
		*why = "an algorithm not offered";
		return 401;
	}
	if (strcasecmp(alg_s, "SHA-256") == 0)
		alg = SIPD_AUTH_SHA256;
	else if (strcasecmp(alg_s, "MD5") == 0)
		alg = SIPD_AUTH_MD5;
	else {
		*why = "an algorithm not offered";
		return 401;
	}
	qop[0] = cnonce[0] = nc[0] = '\0';
	if (a->message_qop) {
		reg_unquote(a->message_qop, qop, sizeof(qop));
		if (strcasecmp(qop, "auth") != 0 ||
		    !reg_unquote(a->cnonce, cnonce, sizeof(cnonce)) ||
		    !reg_unquote(a->nonce_count, nc, sizeof(nc))) {
			*why = "a qop not offered";
			return 401;
		}
	}
	if ((p = reg_phone(sd, user)) == NULL) {
		*why = "not a phone of [phones]";
		return 403;
	}
	if (sipd_auth_response(alg, user, SIPD_REALM, p->password,
			       req->sip_method, uri, nonce,
			       qop[0] ? nc : NULL, qop[0] ? cnonce : NULL,
			       qop[0] ? qop : NULL, want, sizeof(want)) < 0) {
		*why = "cannot compute the digest";
		return 403;
	}
	if (strlen(want) != strlen(resp) ||
	    CRYPTO_memcmp(want, resp, strlen(want)) != 0) {
		*why = "wrong password";
		return 403;
	}
	if (!reg_nonce_fresh(sd, nonce)) {
		/* The password is right; the nonce is old or not ours. */
		*stale = 1;
		*why = "stale nonce";
		return 401;
	}
	*phone = p;
	return 0;
}

/* The Expires of one Contact: its parameter, else the header's, else
 * the default; -1 if unreadable. */
static int
reg_contact_expires(const osip_message_t *req, osip_contact_t *ct)
{
	osip_generic_param_t *e = NULL;
	osip_header_t *h = NULL;
	const char *s = NULL;
	char *end;
	long v;

	if (osip_contact_param_get_byname(ct, "expires", &e) == 0 && e &&
	    e->gvalue)
		s = e->gvalue;
	else if (osip_message_get_expires(req, 0, &h) >= 0 && h && h->hvalue)
		s = h->hvalue;
	if (s == NULL)
		return REG_EXPIRES_DEFAULT;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < 0)
		return -1;
	return v > REG_EXPIRES_MAX ? REG_EXPIRES_MAX : (int)v;
}

static struct sipd_binding *
reg_binding(struct sipd_phone *p, const char *contact, int add)
{
	struct sipd_binding *free_b = NULL, *soonest = NULL;

	for (int j = 0; j < SIPD_BINDINGS_MAX; j++) {
		struct sipd_binding *b = &p->b[j];
		if (b->contact[0] == '\0') {
			if (free_b == NULL)
				free_b = b;
			continue;
		}
		if (strcmp(b->contact, contact) == 0)
			return b;
		if (soonest == NULL || b->until_ms < soonest->until_ms)
			soonest = b;
	}
	if (!add)
		return NULL;
	return free_b ? free_b : soonest; /* a full table drops its oldest */
}

/* Updates p's bindings from req's Contacts; 0 or the status to answer. */
static int
reg_update(struct sipd *sd, struct sipd_phone *p, osip_message_t *req,
	   const char *from, int fromport, const char **why)
{
	osip_contact_t *ct = NULL;
	int n = osip_list_size(&req->contacts);

	if (n == 0)
		return 0; /* a query: the bindings as they are */
	ct = osip_list_get(&req->contacts, 0);
	if (ct && ct->displayname && strcmp(ct->displayname, "*") == 0) {
		osip_header_t *h = NULL;
		if (n != 1 || osip_message_get_expires(req, 0, &h) < 0 ||
		    h == NULL || h->hvalue == NULL ||
		    strcmp(h->hvalue, "0") != 0) {
			*why = "Contact: * needs Expires: 0 and no other "
			       "Contact";
			return 400;
		}
		for (int j = 0; j < SIPD_BINDINGS_MAX; j++)
			if (p->b[j].contact[0]) {
				reg_publish(sd, p, &p->b[j], "unregistered");
				memset(&p->b[j], 0, sizeof(p->b[j]));
			}
		return 0;
	}
	for (int i = 0; i < n; i++) {
		char *s = NULL;
		int e;

		ct = osip_list_get(&req->contacts, i);
		if (ct == NULL || ct->url == NULL ||
		    osip_uri_to_str(ct->url, &s) != 0 || s == NULL) {
			*why = "a Contact without a URI";
			return 400;
		}
		e = reg_contact_expires(req, ct);
		if (e < 0 || strlen(s) >= SIPD_URI_MAX ||
		    (strcasecmp(ct->url->scheme, "sip") != 0 &&
		     strcasecmp(ct->url->scheme, "sips") != 0)) {
			osip_free(s);
			*why = "a Contact sipd cannot use";
			return 400;
		}
		if (e == 0) {
			struct sipd_binding *b = reg_binding(p, s, 0);
			if (b != NULL) {
				reg_publish(sd, p, b, "unregistered");
				memset(b, 0, sizeof(*b));
			}
		} else {
			struct sipd_binding *b = reg_binding(p, s, 1);
			if (b->contact[0] && strcmp(b->contact, s) != 0) {
				reg_publish(sd, p, b, "replaced");
				memset(b, 0, sizeof(*b));
			}
			snprintf(b->contact, sizeof(b->contact), "%s", s);
			snprintf(b->addr, sizeof(b->addr), "%s", from);
			b->port = fromport;
			b->until_ms = msg_mono_ms() + (int64_t)e * 1000;
			reg_publish(sd, p, b, NULL);
		}
		osip_free(s);
	}
	return 0;
}

/* The 200's Contacts: every binding with what is left of it. */
static void
reg_contacts(const struct sipd_phone *p, osip_message_t *resp)
{
	int64_t now = msg_mono_ms();
	char h[SIPD_URI_MAX + 32];

	for (int j = 0; j < SIPD_BINDINGS_MAX; j++) {
		const struct sipd_binding *b = &p->b[j];
		if (b->contact[0] == '\0')
			continue;
		snprintf(h, sizeof(h), "<%s>;expires=%d", b->contact,
			 (int)((b->until_ms - now + 999) / 1000));
		osip_message_set_contact(resp, h);
	}
}

int
sipd_registrar_request(struct sipd *sd, osip_transaction_t *tr,
		       osip_message_t *req, const char *from, int fromport)
{
	struct sipd_phone *p = NULL;
	const char *why = "";
	char *aor_user = NULL;
	osip_message_t *resp;
	int code, stale = 0;

	/* Without [phones] every answer to the challenge gets 403. */
	code = reg_authenticate(sd, req, &p, &stale, &why);
	if (code == 0) {
		aor_user = req->to && req->to->url ? req->to->url->username
						   : NULL;
		if (aor_user == NULL || strcmp(aor_user, p->name) != 0) {
			code = 403;
			why = "To names another address-of-record";
		}
	}
	if (code == 0)
		code = reg_update(sd, p, req, from, fromport, &why);
	if (code == 0)
		code = 200;
	resp = sipd_response_new(req, code,
				 daemon_conf(sd->d)->sip_user_agent);
	if (resp == NULL) {
		log_warnx("registrar: cannot build a %d response", code);
		return -ENOMEM;
	}
	if (code == 401)
		reg_challenge(sd, resp, stale);
	else if (code == 200)
		reg_contacts(p, resp);
	log_info("registrar: REGISTER from %s:%d: %d%s%s%s", from, fromport,
		 code, why[0] ? " (" : "", why, why[0] ? ")" : "");
	osip_transaction_add_event(tr, osip_new_outgoing_sipmessage(resp));
	return 0;
}

/* RFC 3261 8.2: what an INVITE outside any dialog gets (sipd never
 * forwards one, and takes no incoming call yet). */
int
sipd_registrar_invite_code(const struct sipd *sd, const osip_message_t *req,
			   const char *from, const char **why)
{
	const char *user = req->req_uri ? req->req_uri->username : NULL;

	if (!sipd_registrar_known_source(sd, from)) {
		*why = "Not from a registered phone";
		return 403;
	}
	for (int i = 0; i < sd->nphones; i++)
		if (user && strcmp(sd->phones[i].name, user) == 0) {
			if (sipd_registrar_bound(&sd->phones[i]) == 0) {
				*why = "Phone not registered";
				return 480;
			}
			*why = "No incoming calls";
			return 486;
		}
	*why = "No such user";
	return 404;
}

int
sipd_registrar_route(struct sipd *sd, const char *uri, char *contact,
		     size_t contactlen, char *addr, size_t addrlen, int *port,
		     char *err, size_t errlen)
{
	const struct sipd_binding *best = NULL;
	struct sipd_phone *p;
	osip_uri_t *u = NULL;
	int ours, uport;

	if (osip_uri_init(&u) != 0)
		return 0;
	if (osip_uri_parse(u, uri) != 0 || u->host == NULL ||
	    u->username == NULL) {
		osip_uri_free(u);
		return 0;
	}
	uport = u->port ? atoi(u->port) : 5060;
	ours = uport == sd->port &&
	       (strcmp(u->host, sd->listen_host) == 0 ||
		(sd->bound_ip[0] && strcmp(u->host, sd->bound_ip) == 0));
	p = ours ? reg_phone(sd, u->username) : NULL;
	if (ours && p == NULL)
		snprintf(err, errlen, "dial: %s is sipd itself, and %s is no "
			 "phone of [phones]", uri, u->username);
	osip_uri_free(u);
	if (!ours)
		return 0;
	if (p == NULL)
		return -ENOENT;
	for (int j = 0; j < SIPD_BINDINGS_MAX; j++)
		if (p->b[j].contact[0] &&
		    (best == NULL || p->b[j].until_ms > best->until_ms))
			best = &p->b[j];
	if (best == NULL) {
		snprintf(err, errlen, "dial: phone %s is not registered",
			 p->name);
		return -EHOSTUNREACH;
	}
	snprintf(contact, contactlen, "%s", best->contact);
	snprintf(addr, addrlen, "%s", best->addr);
	*port = best->port;
	return 1;
}
