/*
 * trunk: sipd's side of the [trunk] of holdslayer.conf.  It reads the
 * password (from a file only its owner can read, or from an environment
 * variable; never from the command line), turns dialled numbers into
 * sip:NUMBER@DOMAIN, gives requests to the trunk the From of [trunk] and a
 * Route to the outbound proxy, keeps an OPTIONS keepalive running, and
 * routes the events of transactions that belong to no call leg (REGISTER,
 * OPTIONS) to their owner: the dialog layer's callbacks are kept and
 * called for every other transaction, so dialog.c need not know.
 */
#include "sipd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define TRUNK_PASSWORD_MAX 512

/* Reads the first line of path into a new string (*out, owned). */
int
sipd_password_read(const char *what, const char *path, char **out,
		   char *err, size_t errlen)
{
	char buf[TRUNK_PASSWORD_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s password_file %s: %s", what, path,
			 strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen,
			 "%s password_file %s: not a regular file", what, path);
		r = -EINVAL;
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
			 "%s password_file %s: readable or writable by "
			 "group or others (mode %04o); run chmod 600 on it",
			 what, path, (unsigned)(st.st_mode & 07777));
		r = -EPERM;
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		snprintf(err, errlen, "%s password_file %s: %s", what, path,
			 strerror(errno));
		r = -EIO;
		goto out;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) > TRUNK_PASSWORD_MAX) {
		snprintf(err, errlen,
			 "%s password_file %s: the password is longer "
			 "than %d bytes",
			 what, path, TRUNK_PASSWORD_MAX);
		r = -EINVAL;
		goto out;
	}
	if (buf[0] == '\0') {
		snprintf(err, errlen, "%s password_file %s is empty",
			 what, path);
		r = -EINVAL;
		goto out;
	}
	if ((*out = strdup(buf)) == NULL)
		r = -ENOMEM;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return r;
}

void
sipd_password_free(char *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, strlen(p));
	free(p);
}

int
sipd_trunk_load(struct sipd *sd, const struct conf *c, char *err,
		size_t errlen)
{
	char domain[sizeof(sd->trunk.domain)] = "", *pw = NULL;
	int r;

	if (c->trunk_proxy[0] &&
	    sipd_uri_hostport(c->trunk_proxy, domain, sizeof(domain)) < 0) {
		snprintf(err, errlen, "[trunk] proxy '%s' has no host",
			 c->trunk_proxy);
		return -EINVAL;
	}
	if (c->trunk_password_file[0]) {
		r = sipd_password_read("[trunk]", c->trunk_password_file, &pw, err,
					errlen);
		if (r < 0)
			return r;
	} else if (c->trunk_password_env[0]) {
		const char *e = getenv(c->trunk_password_env);
		if (e == NULL || *e == '\0') {
			snprintf(err, errlen,
				 "[trunk] password_env: the environment "
				 "variable %s is not set",
				 c->trunk_password_env);
			return -EINVAL;
		}
		if ((pw = strdup(e)) == NULL)
			return -ENOMEM;
	}
	sipd_password_free(sd->trunk.password);
	sd->trunk.password = pw;
	snprintf(sd->trunk.domain, sizeof(sd->trunk.domain), "%s", domain);
	sd->trunk.tp = sipd_transport_from_name(c->trunk_transport);
	if (sd->trunk.tp < 0)
		sd->trunk.tp = SIPD_TP_UDP;
	return 0;
}

void
sipd_trunk_free(struct sipd *sd)
{
	sipd_resolve_cancel(sd, &sd->trunk);
	sipd_password_free(sd->trunk.password);
	sd->trunk.password = NULL;
}

void
sipd_trunk_cred(struct sipd *sd, struct sipd_cred *out)
{
	const struct conf *c = daemon_conf(sd->d);

	out->username = c->trunk_auth_username[0] ? c->trunk_auth_username
						  : c->trunk_username;
	out->password = sd->trunk.password;
	out->realm = c->trunk_realm;
}

/* Splits host[:port]; a missing port is 5060. */
static void
trunk_split(const char *hp, char *host, size_t hostlen, int *port)
{
	const char *colon = hp[0] == '[' ? strstr(hp, "]:") : strrchr(hp, ':');
	size_t n;

	if (colon && hp[0] == '[')
		colon++;
	if (colon && hp[0] != '[' && strchr(hp, ':') != colon)
		colon = NULL; /* a bare IPv6 address */
	n = colon ? (size_t)(colon - hp) : strlen(hp);
	if (n >= hostlen)
		n = hostlen - 1;
	memcpy(host, hp, n);
	host[n] = '\0';
	*port = colon ? atoi(colon + 1) : 5060;
}

int
sipd_trunk_match(struct sipd *sd, const char *uri)
{
	char hp[300], h1[256], h2[256];
	int p1, p2;

	if (sd->trunk.domain[0] == '\0' ||
	    sipd_uri_hostport(uri, hp, sizeof(hp)) < 0)
		return 0;
	trunk_split(hp, h1, sizeof(h1), &p1);
	trunk_split(sd->trunk.domain, h2, sizeof(h2), &p2);
	return strcasecmp(h1, h2) == 0 && p1 == p2;
}

/*
 * "Display" <sip:user@domain>;tag=TAG into buf; user is the given one (a
 * REGISTER's address of record), else [trunk] from_number, else username.
 */
static void
trunk_from(struct sipd *sd, const char *user, const char *tag, char *buf,
	   size_t len)
{
	const struct conf *c = daemon_conf(sd->d);

	if (user == NULL || *user == '\0')
		user = c->trunk_from_number[0] ? c->trunk_from_number
		       : c->trunk_username[0]  ? c->trunk_username
					       : c->sip_contact_user;

	if (c->trunk_display_name[0])
		snprintf(buf, len, "\"%s\" <sip:%s@%s>;tag=%s",
			 c->trunk_display_name, user, sd->trunk.domain, tag);
	else
		snprintf(buf, len, "<sip:%s@%s>;tag=%s", user,
			 sd->trunk.domain, tag);
}

static void
trunk_route(struct sipd *sd, osip_message_t *m)
{
	const char *ob = daemon_conf(sd->d)->trunk_outbound_proxy;
	char buf[300];

	if (ob[0] == '\0')
		return;
	snprintf(buf, sizeof(buf), "<%s;lr>", ob);
	osip_message_set_route(m, buf);
}

void
sipd_trunk_request(struct sipd *sd, osip_message_t *m, const char *uri,
		   const char *tag, int in_dialog)
{
	char buf[600];

	if (m == NULL || !sipd_trunk_match(sd, uri))
		return;
	trunk_from(sd, NULL, tag, buf, sizeof(buf));
	osip_from_free(m->from);
	m->from = NULL;
	if (osip_message_set_from(m, buf) != 0)
		log_warnx("trunk: cannot set From '%s'", buf);
	if (!in_dialog)
		trunk_route(sd, m);
}

int
sipd_trunk_dial_uri(struct sipd *sd, const char *in, char *out,
		    size_t outlen, char *err, size_t errlen)
{
	if (in == NULL || *in == '\0') {
		snprintf(err, errlen, "missing uri");
		return -EINVAL;
	}
	/* Only what starts like a number is one; the rest is checked as a
	 * URI (sipd_uri_check says what is wrong with it). */
	if (in[0] != '+' && (in[0] < '0' || in[0] > '9')) {
		snprintf(out, outlen, "%s", in);
		return 0;
	}
	return sipd_number_uri(in, sd->trunk.domain, out, outlen, err, errlen);
}

/* The trunk's host name was looked up: the registration goes on. */
static void
trunk_resolved(struct sipd *sd, void *arg, const struct sipd_targets *t,
	       const char *err)
{
	(void)arg;
	sipd_register_resolved(sd, t != NULL && t->n > 0 ? NULL : err);
}

osip_message_t *
sipd_trunk_request_new(struct sipd *sd, const char *method,
		       const char *to_user, const char *call_id,
		       const char *from_tag, int cseq)
{
	const struct conf *c = daemon_conf(sd->d);
	osip_message_t *m = NULL;
	osip_uri_t *u = NULL;
	char buf[600], ip[64], host[256], rerr[256] = "";
	struct sipd_targets tg;
	int port, r;

	if (osip_message_init(&m) != 0)
		return NULL;
	osip_message_set_method(m, osip_strdup(method));
	osip_message_set_version(m, osip_strdup("SIP/2.0"));
	/* Over TLS the registrar is a sips: URI (RFC 3261 26.2.2). */
	snprintf(buf, sizeof(buf), "%s:%s%s",
		 sd->trunk.tp == SIPD_TP_TLS ? "sips" : "sip", sd->trunk.domain,
		 sd->trunk.tp == SIPD_TP_TCP ? ";transport=tcp" : "");
	if (osip_uri_init(&u) != 0 || osip_uri_parse(u, buf) != 0) {
		osip_uri_free(u);
		goto fail;
	}
	osip_message_set_uri(m, u);
	trunk_split(sd->trunk.domain, host, sizeof(host), &port);
	if (c->trunk_outbound_proxy[0] &&
	    sipd_uri_hostport(c->trunk_outbound_proxy, buf, sizeof(buf)) == 0)
		trunk_split(buf, host, sizeof(host), &port);
	if (host[0] == '[') { /* "[v6]" to "v6" */
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	/* Our address as the trunk sees it needs the trunk's address: from
	 * the resolver's cache, or later (the REGISTER is sent again once the
	 * lookup ends; errno EINPROGRESS tells the caller). */
	r = sipd_resolve(sd, host, port, 0, &tg, trunk_resolved, &sd->trunk,
			 rerr, sizeof(rerr));
	if (r == -EINPROGRESS) {
		osip_message_free(m);
		errno = EINPROGRESS;
		return NULL;
	}
	if (r < 0 || tg.n < 1) {
		log_warnx("trunk: %s", rerr);
		goto fail;
	}
	if (sipd_transport_local_ip(sd, &tg.t[0], ip, sizeof(ip)) < 0 ||
	    sipd_add_via(m, ip, sipd_transport_port(sd, sd->trunk.tp),
			 sd->trunk.tp) < 0)
		goto fail;
	trunk_from(sd, to_user, from_tag, buf, sizeof(buf));
	if (osip_message_set_from(m, buf) != 0)
		goto fail;
	if (to_user)
		snprintf(buf, sizeof(buf), "<sip:%s@%s>", to_user,
			 sd->trunk.domain);
	else
		snprintf(buf, sizeof(buf), "<sip:%s>", sd->trunk.domain);
	if (osip_message_set_to(m, buf) != 0 ||
	    osip_message_set_call_id(m, call_id) != 0)
		goto fail;
	snprintf(buf, sizeof(buf), "%d %s", cseq, method);
	if (osip_message_set_cseq(m, buf) != 0)
		goto fail;
	osip_message_set_header(m, "Max-Forwards", "70");
	if (strcmp(method, "REGISTER") == 0) {
		const char *sch = sd->trunk.tp == SIPD_TP_TLS ? "sips" : "sip";
		const char *tpp =
		    sd->trunk.tp == SIPD_TP_TCP ? ";transport=tcp" : "";
		int cport = sipd_transport_port(sd, sd->trunk.tp);
		if (strchr(ip, ':'))
			snprintf(buf, sizeof(buf), "<%s:%s@[%s]:%d%s>", sch,
				 c->sip_contact_user, ip, cport, tpp);
		else
			snprintf(buf, sizeof(buf), "<%s:%s@%s:%d%s>", sch,
				 c->sip_contact_user, ip, cport, tpp);
		osip_message_set_contact(m, buf);
	}
	trunk_route(sd, m);
	if (c->sip_user_agent[0])
		osip_message_set_header(m, "User-Agent", c->sip_user_agent);
	osip_message_set_content_length(m, "0");
	return m;
fail:
	log_warnx("trunk: cannot build %s for %s", method, sd->trunk.domain);
	osip_message_free(m);
	return NULL;
}

/* ---- transactions outside call legs ---- */

static struct sipd_nict_owner *
trunk_owner(struct sipd *sd, osip_transaction_t *tr)
{
	for (size_t i = 0; i < sizeof(sd->trunk.owned) / sizeof(sd->trunk.owned[0]);
	     i++)
		if (sd->trunk.owned[i].tr == tr)
			return sd->trunk.owned[i].o;
	return NULL;
}

/* Sets tr's owner (NULL: forget tr).  -ENOSPC when all slots are used. */
static int
trunk_owner_set(struct sipd *sd, osip_transaction_t *tr,
		struct sipd_nict_owner *o)
{
	size_t n = sizeof(sd->trunk.owned) / sizeof(sd->trunk.owned[0]);

	for (size_t i = 0; i < n; i++)
		if (sd->trunk.owned[i].tr == tr) {
			if (o == NULL)
				sd->trunk.owned[i].tr = NULL;
			sd->trunk.owned[i].o = o;
			return 0;
		}
	if (o == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (sd->trunk.owned[i].tr == NULL) {
			sd->trunk.owned[i].tr = tr;
			sd->trunk.owned[i].o = o;
			return 0;
		}
	return -ENOSPC;
}

void
sipd_trunk_disown(struct sipd *sd, osip_transaction_t *tr)
{
	if (tr != NULL)
		trunk_owner_set(sd, tr, NULL);
}

static void
trunk_cb_msg(int type, osip_transaction_t *tr, osip_message_t *m)
{
	struct sipd *sd = osip_get_application_context(tr->config);
	struct sipd_nict_owner *o = trunk_owner(sd, tr);

	if (o == NULL) {
		if (sd->trunk.chain_msg[type])
			sd->trunk.chain_msg[type](type, tr, m);
		return;
	}
	if (type == OSIP_NICT_STATUS_TIMEOUT) {
		if (o->failed)
			o->failed(o->arg, tr, "timeout");
	} else if (m != NULL && o->response) {
		o->response(o->arg, tr, m);
	}
}

static void
trunk_cb_tperr(int type, osip_transaction_t *tr, int error)
{
	struct sipd *sd = osip_get_application_context(tr->config);
	struct sipd_nict_owner *o = trunk_owner(sd, tr);

	if (o == NULL) {
		if (sd->trunk.chain_tperr[type])
			sd->trunk.chain_tperr[type](type, tr, error);
		return;
	}
	if (o->failed)
		o->failed(o->arg, tr, "cannot send");
}

static void
trunk_cb_kill(int type, osip_transaction_t *tr)
{
	struct sipd *sd = osip_get_application_context(tr->config);
	struct sipd_nict_owner *o = trunk_owner(sd, tr);

	if (o != NULL) {
		trunk_owner_set(sd, tr, NULL);
		if (o->killed)
			o->killed(o->arg, tr);
	}
	/* The dialog's kill frees the transaction after the turn. */
	if (sd->trunk.chain_kill[type])
		sd->trunk.chain_kill[type](type, tr);
}

void
sipd_trunk_set_callbacks(struct sipd *sd)
{
	static const int nict[] = {
	    OSIP_NICT_STATUS_1XX_RECEIVED, OSIP_NICT_STATUS_2XX_RECEIVED,
	    OSIP_NICT_STATUS_2XX_RECEIVED_AGAIN,
	    OSIP_NICT_STATUS_3XX_RECEIVED, OSIP_NICT_STATUS_4XX_RECEIVED,
	    OSIP_NICT_STATUS_5XX_RECEIVED, OSIP_NICT_STATUS_6XX_RECEIVED,
	    OSIP_NICT_STATUS_TIMEOUT};
	osip_t *osip = sd->osip;

	for (size_t i = 0; i < sizeof(nict) / sizeof(nict[0]); i++) {
		sd->trunk.chain_msg[nict[i]] = osip->msg_callbacks[nict[i]];
		osip_set_message_callback(osip, nict[i], trunk_cb_msg);
	}
	for (int t = 0; t < OSIP_KILL_CALLBACK_COUNT; t++) {
		sd->trunk.chain_kill[t] = osip->kill_callbacks[t];
		osip_set_kill_transaction_callback(osip, t, trunk_cb_kill);
	}
	for (int t = 0; t < OSIP_TRANSPORT_ERROR_CALLBACK_COUNT; t++) {
		sd->trunk.chain_tperr[t] = osip->tp_error_callbacks[t];
		osip_set_transport_error_callback(osip, t, trunk_cb_tperr);
	}
}

int
sipd_trunk_send(struct sipd *sd, osip_message_t *req,
		struct sipd_nict_owner *o, osip_transaction_t **out)
{
	osip_transaction_t *tr = NULL;

	if (out)
		*out = NULL;
	if (req == NULL)
		return -ENOMEM;
	if (osip_transaction_init(&tr, NICT, sd->osip, req) != 0) {
		log_warnx("trunk: cannot start a transaction for %s",
			  req->sip_method);
		osip_message_free(req);
		return -EIO;
	}
	if (trunk_owner_set(sd, tr, o) < 0) {
		log_warnx("trunk: too many %s transactions at once",
			  req->sip_method);
		osip_transaction_free(tr); /* req is not yet its own */
		osip_message_free(req);
		return -ENOSPC;
	}
	if (out)
		*out = tr;
	osip_transaction_add_event(tr, osip_new_outgoing_sipmessage(req));
	return 0;
}

/* ---- OPTIONS keepalive ---- */

static void trunk_ka_cb(struct daemon *d, void *arg);

static void
trunk_ka_state(struct sipd *sd, int up, const char *why)
{
	if (sd->trunk.reachable == up)
		return;
	sd->trunk.reachable = up;
	if (up)
		log_info("trunk: %s answers OPTIONS (%s)", sd->trunk.domain,
			 why);
	else
		log_warnx("trunk: %s does not answer OPTIONS (%s)",
			  sd->trunk.domain, why);
}

static void
trunk_ka_response(void *arg, osip_transaction_t *tr, osip_message_t *m)
{
	struct sipd *sd = arg;
	char why[64];

	(void)tr;
	if (m->status_code < 200)
		return;
	/* Any final answer, even 401 or 404, shows the trunk is there. */
	snprintf(why, sizeof(why), "%d", m->status_code);
	trunk_ka_state(sd, 1, why);
}

static void
trunk_ka_failed(void *arg, osip_transaction_t *tr, const char *why)
{
	(void)tr;
	trunk_ka_state(arg, 0, why);
}

static void
trunk_ka_killed(void *arg, osip_transaction_t *tr)
{
	struct sipd *sd = arg;

	if (sd->trunk.ka_tr == tr)
		sd->trunk.ka_tr = NULL;
}

static void
trunk_ka_cb(struct daemon *d, void *arg)
{
	struct sipd *sd = arg;
	char hex[25], id[64], tag[17];
	long every = daemon_conf(d)->trunk_keepalive_s;

	sd->trunk.ka_timer = 0;
	if (every <= 0 || sd->trunk.domain[0] == '\0')
		return;
	if (sd->trunk.ka_tr == NULL) {
		sipd_random_hex(hex, 24);
		sipd_random_hex(tag, 16);
		snprintf(id, sizeof(id), "%s@holdslayer", hex);
		sipd_trunk_send(sd,
				sipd_trunk_request_new(sd, "OPTIONS", NULL, id,
						       tag, 1),
				&sd->trunk.ka_owner, &sd->trunk.ka_tr);
		sipd_run(sd);
	}
	sd->trunk.ka_timer = daemon_timer_add(d, every * 1000, trunk_ka_cb, sd);
}

void
sipd_trunk_keepalive_start(struct sipd *sd)
{
	sd->trunk.reachable = -1;
	sd->trunk.ka_owner = (struct sipd_nict_owner){
	    .response = trunk_ka_response,
	    .failed = trunk_ka_failed,
	    .killed = trunk_ka_killed,
	    .arg = sd,
	};
	if (sd->trunk.domain[0] == '\0' ||
	    daemon_conf(sd->d)->trunk_keepalive_s <= 0)
		return;
	sd->trunk.ka_timer = daemon_timer_add(sd->d, 0, trunk_ka_cb, sd);
}

void
sipd_trunk_keepalive_stop(struct sipd *sd)
{
	if (sd->trunk.ka_timer > 0)
		daemon_timer_cancel(sd->d, sd->trunk.ka_timer);
	sd->trunk.ka_timer = 0;
	sipd_trunk_disown(sd, sd->trunk.ka_tr);
	sd->trunk.ka_tr = NULL;
}
