/*
 * auth: HTTP digest authentication for SIP (RFC 3261 section 22, RFC 2617,
 * RFC 7616).  A 401 or 407 carries one or more WWW-Authenticate /
 * Proxy-Authenticate challenges (parsed by libosip2); sipd picks the
 * strongest one it can answer (SHA-256, SHA-256-sess, MD5, MD5-sess; qop
 * "auth" or the legacy form without qop), computes the response with
 * OpenSSL's EVP digests and adds Authorization / Proxy-Authorization to the
 * request it re-sends.  struct sipd_auth remembers, per requester (a call
 * leg, the registration), the realm and nonce it last answered, so that a
 * second challenge for the same realm that is not "stale" is recognised as
 * a rejection instead of being answered forever.  sipd_auth_retry() is the
 * one hook the dialog layer calls when a request of a leg is challenged.
 * The password is only ever hashed: it is not logged, published or put in
 * an error string.
 */
#include "sipd.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* Challenges answered in a row for one request before giving up, even if
 * each one looks new (a server that never accepts). */
#define AUTH_MAX_ROUNDS 4

static const struct {
	const char *name;
	enum sipd_auth_alg alg;
	int strength; /* higher is preferred when several are offered */
} auth_algs[] = {
    {"MD5", SIPD_AUTH_MD5, 1},
    {"MD5-sess", SIPD_AUTH_MD5_SESS, 2},
    {"SHA-256", SIPD_AUTH_SHA256, 4},
    {"SHA-256-sess", SIPD_AUTH_SHA256_SESS, 3},
};

const char *
sipd_auth_alg_name(enum sipd_auth_alg alg)
{
	for (size_t i = 0; i < sizeof(auth_algs) / sizeof(auth_algs[0]); i++)
		if (auth_algs[i].alg == alg)
			return auth_algs[i].name;
	return "?";
}

static int
auth_alg_parse(const char *s, enum sipd_auth_alg *alg, int *strength)
{
	for (size_t i = 0; i < sizeof(auth_algs) / sizeof(auth_algs[0]); i++)
		if (strcasecmp(s, auth_algs[i].name) == 0) {
			*alg = auth_algs[i].alg;
			*strength = auth_algs[i].strength;
			return 0;
		}
	return -ENOTSUP;
}

/* H(data) as lower-case hex into out (65 bytes for SHA-256). */
static int
auth_hash(enum sipd_auth_alg alg, const char *data, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const EVP_MD *md = (alg == SIPD_AUTH_SHA256 ||
			    alg == SIPD_AUTH_SHA256_SESS)
			       ? EVP_sha256()
			       : EVP_md5();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(data, strlen(data), d, &n, md, NULL) != 1)
		return -EIO;
	if (outlen < 2 * (size_t)n + 1)
		return -ENOSPC;
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
	return 0;
}

/* H(a:b[:c...]) of up to six parts (NULL ends the list). */
static int
auth_hash_parts(enum sipd_auth_alg alg, char *out, size_t outlen,
		const char *const *parts)
{
	char buf[2048];
	size_t n = 0;
	int r;

	for (int i = 0; parts[i]; i++) {
		int w = snprintf(buf + n, sizeof(buf) - n, "%s%s",
				 i ? ":" : "", parts[i]);
		if (w < 0 || (size_t)w >= sizeof(buf) - n) {
			explicit_bzero(buf, sizeof(buf));
			return -ENOSPC;
		}
		n += (size_t)w;
	}
	r = auth_hash(alg, buf, out, outlen);
	explicit_bzero(buf, sizeof(buf)); /* it may hold the password */
	return r;
}

int
sipd_auth_response(enum sipd_auth_alg alg, const char *user,
		   const char *realm, const char *password, const char *method,
		   const char *uri, const char *nonce, const char *nc,
		   const char *cnonce, const char *qop, char *out,
		   size_t outlen)
{
	char ha1[65], ha2[65], tmp[65];
	int r;

	r = auth_hash_parts(alg, ha1, sizeof(ha1),
			    (const char *[]){user, realm, password, NULL});
	if (r == 0 && (alg == SIPD_AUTH_MD5_SESS ||
		       alg == SIPD_AUTH_SHA256_SESS)) {
		if (cnonce == NULL)
			return -EINVAL;
		memcpy(tmp, ha1, sizeof(tmp));
		r = auth_hash_parts(alg, ha1, sizeof(ha1),
				    (const char *[]){tmp, nonce, cnonce, NULL});
	}
	if (r == 0)
		r = auth_hash_parts(alg, ha2, sizeof(ha2),
				    (const char *[]){method, uri, NULL});
	if (r < 0)
		goto out;
	if (qop != NULL && *qop != '\0') {
		if (nc == NULL || cnonce == NULL) {
			r = -EINVAL;
			goto out;
		}
		r = auth_hash_parts(alg, out, outlen,
				    (const char *[]){ha1, nonce, nc, cnonce,
						     qop, ha2, NULL});
	} else {
		r = auth_hash_parts(alg, out, outlen,
				    (const char *[]){ha1, nonce, ha2, NULL});
	}
out:
	explicit_bzero(ha1, sizeof(ha1));
	explicit_bzero(tmp, sizeof(tmp));
	return r;
}

/*
 * Copies a parsed parameter (osip keeps the quotes) without its quotes and
 * backslash escapes.  -ENOSPC if it does not fit.
 */
static int
auth_unquote(const char *s, char *out, size_t outlen)
{
	size_t n = 0, len;

	if (s == NULL) {
		out[0] = '\0';
		return 0;
	}
	len = strlen(s);
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		if (n + 1 >= outlen)
			return -ENOSPC;
		out[n++] = s[i];
	}
	out[n] = '\0';
	return 0;
}

/* 1 if the comma-separated list (quotes allowed) holds word. */
static int
auth_list_has(const char *list, const char *word)
{
	char buf[128];
	size_t wl = strlen(word);
	const char *p;

	if (list == NULL || auth_unquote(list, buf, sizeof(buf)) < 0)
		return 0;
	for (p = buf; *p;) {
		size_t n;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, ", \t");
		if (n == wl && strncasecmp(p, word, wl) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* Reads one challenge; -ENOTSUP (why in err) when sipd cannot answer it. */
static int
auth_challenge_read(const osip_www_authenticate_t *w, int proxy,
		    struct sipd_auth_challenge *ch, int *strength, char *err,
		    size_t errlen)
{
	char alg[32];

	memset(ch, 0, sizeof(*ch));
	ch->proxy = proxy;
	if (w->auth_type == NULL || strcasecmp(w->auth_type, "Digest") != 0) {
		snprintf(err, errlen, "a %.16s challenge (only Digest is "
				      "supported)",
			 w->auth_type ? w->auth_type : "typeless");
		return -ENOTSUP;
	}
	if (w->nonce == NULL || w->realm == NULL) {
		snprintf(err, errlen, "a Digest challenge without %s",
			 w->nonce ? "realm" : "nonce");
		return -ENOTSUP;
	}
	if (auth_unquote(w->realm, ch->realm, sizeof(ch->realm)) < 0 ||
	    auth_unquote(w->nonce, ch->nonce, sizeof(ch->nonce)) < 0 ||
	    auth_unquote(w->opaque, ch->opaque, sizeof(ch->opaque)) < 0 ||
	    auth_unquote(w->algorithm ? w->algorithm : "MD5", alg,
			 sizeof(alg)) < 0) {
		snprintf(err, errlen, "a Digest challenge with an overlong "
				      "parameter");
		return -ENOTSUP;
	}
	/* They go back in a quoted string: refuse what would break it. */
	if (strpbrk(ch->realm, "\"\\\r\n") || strpbrk(ch->nonce, "\"\\\r\n") ||
	    strpbrk(ch->opaque, "\"\\\r\n")) {
		snprintf(err, errlen, "a Digest challenge with quotes or "
				      "line breaks in realm, nonce or opaque");
		return -ENOTSUP;
	}
	ch->has_opaque = w->opaque != NULL;
	if (auth_alg_parse(alg, &ch->alg, strength) < 0) {
		snprintf(err, errlen, "algorithm %.24s is not supported", alg);
		return -ENOTSUP;
	}
	if (w->qop_options != NULL) {
		if (!auth_list_has(w->qop_options, "auth")) {
			snprintf(err, errlen,
				 "qop %.32s is not supported (only auth)",
				 w->qop_options);
			return -ENOTSUP;
		}
		ch->qop_auth = 1;
	}
	ch->stale = w->stale != NULL && auth_list_has(w->stale, "true");
	return 0;
}

int
sipd_auth_challenge_pick(const osip_message_t *resp, const char *realm_only,
			 struct sipd_auth_challenge *out, char *err,
			 size_t errlen)
{
	const osip_list_t *lists[2] = {&resp->www_authenticates,
				       &resp->proxy_authenticates};
	char other_realm[128] = "";
	int best = 0, found = 0;

	snprintf(err, errlen, "the %d carries no challenge",
		 resp->status_code);
	for (int k = 0; k < 2; k++) {
		for (int i = 0; !osip_list_eol(lists[k], i); i++) {
			osip_www_authenticate_t *w = osip_list_get(lists[k], i);
			struct sipd_auth_challenge ch;
			int strength = 0;

			if (w == NULL || auth_challenge_read(w, k, &ch,
							     &strength, err,
							     errlen) < 0)
				continue;
			if (realm_only && *realm_only &&
			    strcmp(ch.realm, realm_only) != 0) {
				snprintf(other_realm, sizeof(other_realm),
					 "%s", ch.realm);
				continue;
			}
			if (strength > best) {
				best = strength;
				*out = ch;
				found = 1;
			}
		}
	}
	if (!found && other_realm[0])
		snprintf(err, errlen,
			 "realm \"%.64s\" is not the configured [trunk] "
			 "realm",
			 other_realm);
	return found ? 0 : -ENOTSUP;
}

/* Adds a quoted copy of s: osip's authorization setters take ownership. */
static char *
auth_quoted(const char *s)
{
	size_t n = strlen(s);
	char *q = osip_malloc(n + 3);

	if (q == NULL)
		return NULL;
	q[0] = '"';
	memcpy(q + 1, s, n);
	q[n + 1] = '"';
	q[n + 2] = '\0';
	return q;
}

/* Drops earlier credentials of the same kind from req. */
static void
auth_drop(osip_message_t *req, int proxy)
{
	osip_list_t *l = proxy ? &req->proxy_authorizations
			       : &req->authorizations;
	osip_list_special_free(l, (void (*)(void *))osip_authorization_free);
	osip_list_init(l);
}

int
sipd_auth_answer(struct sipd_auth *st, const struct sipd_cred *cred,
		 const osip_message_t *resp, osip_message_t *req, char *err,
		 size_t errlen)
{
	struct sipd_auth_challenge ch;
	osip_authorization_t *a = NULL;
	char response[65], cnonce[17], nc[9], *uri = NULL;
	int r;

	if (cred == NULL || cred->password == NULL || cred->username == NULL ||
	    cred->username[0] == '\0') {
		snprintf(err, errlen, "challenged (%d) but no credentials are "
				      "configured ([trunk] username, password)",
			 resp->status_code);
		return -ENOKEY;
	}
	if (sipd_auth_challenge_pick(resp, cred->realm, &ch, err, errlen) < 0)
		return -ENOTSUP;
	/* Our last answer was for this realm: a new challenge means it was
	 * refused, unless the server says the nonce had merely gone stale. */
	if (st->answered && strcmp(st->realm, ch.realm) == 0 && !ch.stale) {
		snprintf(err, errlen, "authentication rejected (%d for realm "
				      "\"%.64s\")",
			 resp->status_code, ch.realm);
		return -EACCES;
	}
	if (++st->rounds > AUTH_MAX_ROUNDS) {
		snprintf(err, errlen, "authentication rejected (challenged %d "
				      "times)",
			 AUTH_MAX_ROUNDS);
		return -EACCES;
	}
	if (strcmp(st->nonce, ch.nonce) == 0)
		st->nc++;
	else
		st->nc = 1;
	snprintf(st->realm, sizeof(st->realm), "%s", ch.realm);
	snprintf(st->nonce, sizeof(st->nonce), "%s", ch.nonce);
	snprintf(nc, sizeof(nc), "%08x", st->nc);
	sipd_random_hex(cnonce, 16);
	if (osip_uri_to_str(req->req_uri, &uri) != 0 || uri == NULL) {
		snprintf(err, errlen, "cannot print the request URI");
		return -EINVAL;
	}
	r = sipd_auth_response(ch.alg, cred->username, ch.realm, cred->password,
			       req->sip_method, uri, ch.nonce, nc, cnonce,
			       ch.qop_auth ? "auth" : NULL, response,
			       sizeof(response));
	if (r < 0) {
		snprintf(err, errlen, "cannot compute the digest");
		goto out;
	}
	if (osip_authorization_init(&a) != 0) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	osip_authorization_set_auth_type(a, osip_strdup("Digest"));
	osip_authorization_set_username(a, auth_quoted(cred->username));
	osip_authorization_set_realm(a, auth_quoted(ch.realm));
	osip_authorization_set_nonce(a, auth_quoted(ch.nonce));
	osip_authorization_set_uri(a, auth_quoted(uri));
	osip_authorization_set_response(a, auth_quoted(response));
	osip_authorization_set_algorithm(a,
					 osip_strdup(sipd_auth_alg_name(ch.alg)));
	if (ch.has_opaque)
		osip_authorization_set_opaque(a, auth_quoted(ch.opaque));
	if (ch.qop_auth) {
		osip_authorization_set_cnonce(a, auth_quoted(cnonce));
		osip_authorization_set_message_qop(a, osip_strdup("auth"));
		osip_authorization_set_nonce_count(a, osip_strdup(nc));
	} else if (ch.alg == SIPD_AUTH_MD5_SESS ||
		   ch.alg == SIPD_AUTH_SHA256_SESS) {
		osip_authorization_set_cnonce(a, auth_quoted(cnonce));
	}
	auth_drop(req, ch.proxy);
	osip_list_add(ch.proxy ? &req->proxy_authorizations
			       : &req->authorizations,
		      a, -1);
	st->answered = 1;
	log_info("auth: %d for realm \"%s\" (%s%s%s): answering as %s",
		 resp->status_code, ch.realm, sipd_auth_alg_name(ch.alg),
		 ch.qop_auth ? ", qop auth" : "", ch.stale ? ", stale" : "",
		 cred->username);
	r = 0;
out:
	osip_free(uri);
	explicit_bzero(response, sizeof(response));
	return r;
}

void
sipd_auth_accepted(struct sipd_auth *st)
{
	st->answered = 0;
	st->rounds = 0;
}

int
sipd_auth_retry(struct sipd_leg *l, osip_transaction_t *tr,
		osip_message_t *resp, char *err, size_t errlen)
{
	struct sipd *sd = l->sd;
	osip_message_t *orig = tr->orig_request, *req = NULL;
	osip_via_t *via;
	struct sipd_cred cred;
	char cseq[16];
	int invite, r;

	if (resp->status_code != 401 && resp->status_code != 407)
		return -ENOENT;
	if (orig == NULL || orig->sip_method == NULL)
		return -ENOENT;
	invite = MSG_IS_INVITE(orig);
	if (invite ? (l->state != SIPD_LEG_CALLING &&
		      l->state != SIPD_LEG_EARLY)
		   : (!MSG_IS_BYE(orig) || l->state != SIPD_LEG_BYE_SENT))
		return -ENOENT;
	if (!sipd_trunk_match(sd, l->uri)) {
		snprintf(err, errlen,
			 "challenged (%d) by a peer that is not the [trunk]",
			 resp->status_code);
		return -ENOKEY;
	}
	if (l->auth == NULL && (l->auth = calloc(1, sizeof(*l->auth))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (osip_message_clone(orig, &req) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* A new transaction: a new branch and the next CSeq number. */
	while ((via = osip_list_get(&req->vias, 0)) != NULL) {
		osip_list_remove(&req->vias, 0);
		osip_via_free(via);
	}
	snprintf(cseq, sizeof(cseq), "%d", ++l->cseq);
	osip_free(req->cseq->number);
	req->cseq->number = osip_strdup(cseq);
	if (sipd_add_via(req, l->local_ip, sipd_transport_port(sd, l->tp),
			 l->tp) < 0) {
		snprintf(err, errlen, "cannot build the Via");
		r = -EINVAL;
		goto fail;
	}
	/* A request that carried no answer of ours starts afresh: only a
	 * challenge to our answer can mean the answer was refused. */
	if (osip_list_size(&orig->authorizations) <= 0 &&
	    osip_list_size(&orig->proxy_authorizations) <= 0)
		sipd_auth_accepted(l->auth);
	sipd_trunk_cred(sd, &cred);
	r = sipd_auth_answer(l->auth, &cred, resp, req, err, errlen);
	if (r < 0)
		goto fail;
	if (invite) {
		osip_message_t *copy = NULL;
		if (osip_message_clone(req, &copy) != 0) {
			snprintf(err, errlen, "out of memory");
			r = -ENOMEM;
			goto fail;
		}
		osip_message_free(l->invite);
		l->invite = copy; /* CANCEL and ACK follow the new INVITE */
	}
	/* The old transaction ACKs the challenge and dies on its own. */
	osip_transaction_set_your_instance(tr, NULL);
	l->refs--;
	r = sipd_leg_send(l, invite ? ICT : NICT, req);
	req = NULL; /* consumed */
	if (r < 0) {
		snprintf(err, errlen, "cannot start a transaction");
		goto fail;
	}
	log_info("dialog: %s/%s: %s re-sent with credentials (CSeq %d)",
		 l->call_id, l->leg, orig->sip_method, l->cseq);
	return 0;
fail:
	osip_message_free(req);
	return r;
}
