/*
 * resolve: where a SIP URI's requests go (RFC 3263), looked up with c-ares
 * on sipd's own loop so that a DNS server that never answers stalls one
 * call, not the daemon.  c-ares's sockets are watched with
 * daemon_watch_fd() (its socket-state callback says which and when) and its
 * retransmission deadlines run as one daemon timer set from ares_timeout().
 *
 * The procedure, for host and port of a URI: a numeric address is used as
 * it is; a name in the hosts file is used as it is (/etc/hosts overrides
 * DNS, as the system resolver does); with an explicit port only A/AAAA is
 * asked; otherwise NAPTR picks a transport we speak (SIP+D2U, SIP+D2T, or
 * SIPS+D2T for sips:; the rs_transports table; the choice is returned in
 * sipd_targets.tp and the call uses it unless told otherwise), its SRV
 * records are ordered by priority and weight (RFC 2782) and each target's
 * A/AAAA becomes one or more addresses; with no usable NAPTR the SRV names
 * of each supported transport are tried; with no SRV either, A/AAAA of the
 * host on port 5060.  The result is an ordered list of addresses
 * (struct sipd_targets): the dial path tries them in turn (dialog.c moves
 * to the next one on a 503, a transaction timeout or a send error).
 *
 * Results are cached by the smallest TTL seen along the chain, in a table
 * of RS_CACHE_MAX entries; NXDOMAIN is remembered for RS_NEGATIVE_TTL_S.
 * Lookups of the same destination are shared.
 *
 * Two ways in, because osip's send callback must answer at once:
 *  - sipd_resolve() for the dial path: the leg asks before it builds its
 *    INVITE, and either gets the targets now (numeric, hosts file, cache)
 *    or a callback later; the INVITE transaction is then created with a
 *    numeric destination, so osip never hands a name to the callback for
 *    it, and a failed lookup fails the call with the reason.
 *  - sipd_resolve_send() for everything else sent to a name (an ACK or a
 *    BYE to a Contact or Route host): sent now if the name is known,
 *    otherwise the serialised message waits (at most RS_WAITERS_MAX per
 *    destination) and goes to the first address when the lookup ends, or
 *    is dropped with a log line when it fails.  osip's retransmissions go
 *    the same way and find the cache filled.
 * Responses never come here: transport.c sends them to the address the
 * request came from (RFC 3261 18.2.2, RFC 3581).
 */
#include "sipd.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"

/* Tuning, each in the user's terms. */
enum {
	/* A DNS server gets this long per try before c-ares retries (doubling
	 * per round); with RS_TRIES a dead server fails a lookup in ~6 s. */
	RS_TIMEOUT_MS = 2000,
	RS_TRIES = 2,
	/* Destinations remembered; the entry nearest expiry goes first. */
	RS_CACHE_MAX = 64,
	/* How long "no such name" is believed before asking again. */
	RS_NEGATIVE_TTL_S = 30,
	/* An answer is never kept longer than a day, whatever its TTL. */
	RS_MAX_TTL_S = 86400,
	/* Lookups in flight at once, and what may wait on each. */
	RS_LOOKUPS_MAX = 32,
	RS_WAITERS_MAX = 16,
	/* SRV targets followed per lookup, addresses kept per target. */
	RS_SRV_MAX = 8,
	RS_ADDRS_PER_TARGET = 4,
	/* DNS sockets watched at once (c-ares: about one per server). */
	RS_FDWATCH_MAX = 16,
};

/*
 * The transports of RFC 3263 section 4.1, in our order of preference.
 * Only supported rows are selected.
 */
static const struct rs_transport {
	const char *naptr;	/* NAPTR service field */
	const char *srv;	/* SRV prefix */
	int secure;		/* usable for sips: URIs */
	int supported;
	int tp;			/* enum sipd_tp */
} rs_transports[] = {
    {"SIP+D2U", "_sip._udp.", 0, 1, SIPD_TP_UDP},
    {"SIP+D2T", "_sip._tcp.", 0, 1, SIPD_TP_TCP},
    {"SIPS+D2T", "_sips._tcp.", 1, 1, SIPD_TP_TLS},
};
#define RS_NTRANSPORTS (sizeof(rs_transports) / sizeof(rs_transports[0]))

struct rs_waiter {
	struct rs_waiter *next;
	sipd_resolve_cb cb; /* set for the dial path */
	void *arg;
	char *buf; /* else a serialised message to send (owned) */
	size_t len;
	int tp;	   /* over this transport (enum sipd_tp) */
};

struct rs_lookup;

struct rs_srv {
	struct rs_lookup *lk;
	char name[NS_MAXDNAME];
	int port, priority, weight;
	int status; /* ares status of its address lookup */
	int n;
	struct sipd_target a[RS_ADDRS_PER_TARGET];
};

struct rs_lookup {
	struct rs_lookup *next;
	struct sipd_resolver *r;
	char key[NS_MAXDNAME + 32];
	char host[NS_MAXDNAME];
	int port;		/* 0: none in the URI */
	int secure;		/* sips: */
	size_t next_transport;	/* SRV names not yet tried */
	int pending;		/* c-ares queries outstanding */
	int done;
	int nxdomain;
	long ttl;		/* smallest TTL seen, seconds */
	char err[300];
	int nsrv;
	struct rs_srv srv[RS_SRV_MAX];
	struct sipd_targets out;
	struct rs_waiter *waiters;
	int nwaiters;
};

struct rs_cache {
	char key[NS_MAXDNAME + 32];
	int64_t expires; /* msg_mono_ms(); 0: free slot */
	int negative;
	char err[300];
	struct sipd_targets t;
};

/* One watched c-ares socket; the daemon's callback gets this as arg. */
struct rs_fdwatch {
	struct sipd_resolver *r; /* NULL: free slot */
	int fd;
};

struct sipd_resolver {
	struct sipd *sd;
	struct rs_fdwatch fdw[RS_FDWATCH_MAX];
	ares_channel ch;
	int ch_ok;
	int dying;
	int64_t timer;	 /* c-ares timeouts */
	int64_t deliver; /* finished lookups to hand out */
	struct rs_lookup *lookups;
	int nlookups;
	struct rs_cache cache[RS_CACHE_MAX];
};

static void rs_timer_update(struct sipd_resolver *r);
static void rs_lookup_srv_next(struct rs_lookup *lk);
static void rs_lookup_addr(struct rs_lookup *lk, struct rs_srv *s,
			   const char *name, int port);

/* ---- the loop glue ---- */

static void
rs_on_sock(struct daemon *d, void *arg, short revents)
{
	struct rs_fdwatch *w = arg;
	struct sipd_resolver *r = w->r;
	int fd = w->fd;

	(void)d;
	ares_process_fd(r->ch, (revents & ZMQ_POLLIN) ? fd : ARES_SOCKET_BAD,
			(revents & ZMQ_POLLOUT) ? fd : ARES_SOCKET_BAD);
	rs_timer_update(r);
}

/* The watch slot of fd; a free one if create and fd has none. */
static struct rs_fdwatch *
rs_fdwatch_get(struct sipd_resolver *r, int fd, int create)
{
	for (int i = 0; i < RS_FDWATCH_MAX; i++)
		if (r->fdw[i].r == r && r->fdw[i].fd == fd)
			return &r->fdw[i];
	if (!create)
		return NULL;
	for (int i = 0; i < RS_FDWATCH_MAX; i++)
		if (r->fdw[i].r == NULL) {
			r->fdw[i] = (struct rs_fdwatch){r, fd};
			return &r->fdw[i];
		}
	return NULL;
}

static void
rs_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct sipd_resolver *r = data;
	struct rs_fdwatch *w = rs_fdwatch_get(r, fd, readable || writable);
	struct daemon *d = r->sd->d;

	if (w)
		daemon_unwatch(d, fd, NULL);
	if (!readable && !writable) {
		if (w)
			*w = (struct rs_fdwatch){NULL, -1};
		return;
	}
	if (w == NULL) {
		/* c-ares opens one socket per server in use: cannot happen
		 * with fewer servers than slots.  Its timeouts still end the
		 * lookups that socket carried. */
		log_warnx("resolve: too many DNS sockets; fd %d not watched",
			  fd);
		return;
	}
	if (daemon_watch_fd(d, fd,
			    (short)((readable ? ZMQ_POLLIN : 0) |
				    (writable ? ZMQ_POLLOUT : 0)),
			    rs_on_sock, w) < 0)
		log_warnx("resolve: cannot watch DNS socket %d", fd);
}

static void
rs_timer_cb(struct daemon *d, void *arg)
{
	struct sipd_resolver *r = arg;

	(void)d;
	r->timer = 0;
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rs_timer_update(r);
}

/* Sets the one timer to c-ares's next deadline, if it has one. */
static void
rs_timer_update(struct sipd_resolver *r)
{
	struct timeval tv, *tvp;
	int64_t ms;

	if (r->dying)
		return;
	if (r->timer > 0)
		daemon_timer_cancel(r->sd->d, r->timer);
	r->timer = 0;
	tvp = ares_timeout(r->ch, NULL, &tv);
	if (tvp == NULL)
		return;
	ms = (int64_t)tvp->tv_sec * 1000 + tvp->tv_usec / 1000 + 1;
	r->timer = daemon_timer_add(r->sd->d, ms, rs_timer_cb, r);
	if (r->timer < 0)
		r->timer = 0;
}

/* ---- cache ---- */

static void
rs_key(char *out, size_t len, const char *host, int port, int secure)
{
	size_t i;

	snprintf(out, len, "%s:%d:%s", secure ? "sips" : "sip", port, host);
	for (i = 0; out[i]; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
}

static struct rs_cache *
rs_cache_find(struct sipd_resolver *r, const char *key)
{
	int64_t now = msg_mono_ms();

	for (int i = 0; i < RS_CACHE_MAX; i++) {
		struct rs_cache *c = &r->cache[i];
		if (c->expires > now && strcmp(c->key, key) == 0)
			return c;
	}
	return NULL;
}

static void
rs_cache_put(struct sipd_resolver *r, const struct rs_lookup *lk)
{
	struct rs_cache *c = NULL;
	long ttl = lk->nxdomain ? RS_NEGATIVE_TTL_S : lk->ttl;

	if (lk->out.n == 0 && !lk->nxdomain)
		return; /* a timeout or a server failure: ask again next time */
	if (ttl <= 0)
		return;
	if (ttl > RS_MAX_TTL_S)
		ttl = RS_MAX_TTL_S;
	for (int i = 0; i < RS_CACHE_MAX; i++) {
		struct rs_cache *e = &r->cache[i];
		if (strcmp(e->key, lk->key) == 0) {
			c = e;
			break;
		}
		if (c == NULL || e->expires < c->expires)
			c = e;
	}
	snprintf(c->key, sizeof(c->key), "%s", lk->key);
	c->expires = msg_mono_ms() + ttl * 1000;
	c->negative = lk->out.n == 0;
	snprintf(c->err, sizeof(c->err), "%s", lk->err);
	c->t = lk->out;
}

/* ---- answers ---- */

static const char *
rs_status_str(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
		return "NXDOMAIN";
	case ARES_ENODATA:
		return "no address";
	case ARES_ETIMEOUT:
		return "timed out";
	case ARES_ECONNREFUSED:
		return "DNS server unreachable";
	case ARES_ESERVFAIL:
		return "DNS server failure";
	default:
		return ares_strerror(status);
	}
}

/* Notes a failure: the first definite one wins over a later "no data". */
static void
rs_fail(struct rs_lookup *lk, int status)
{
	if (status == ARES_ENOTFOUND)
		lk->nxdomain = 1;
	if (lk->err[0] == '\0' || status == ARES_ETIMEOUT)
		snprintf(lk->err, sizeof(lk->err), "cannot resolve %.200s: %s",
			 lk->host, rs_status_str(status));
}

static void
rs_ttl(struct rs_lookup *lk, long ttl)
{
	if (ttl < 0)
		ttl = 0;
	if (lk->ttl < 0 || ttl < lk->ttl)
		lk->ttl = ttl;
}

/*
 * The smallest TTL of the answer records of a DNS reply (c-ares's NAPTR and
 * SRV parsers drop them).  -1 if the reply cannot be walked.
 */
static long
rs_answer_ttl(const unsigned char *abuf, int alen)
{
	const unsigned char *p = abuf + NS_HFIXEDSZ, *end = abuf + alen;
	int qd, an;
	long ttl = -1;
	char *name;
	long nl;

	if (alen < NS_HFIXEDSZ)
		return -1;
	qd = abuf[4] << 8 | abuf[5];
	an = abuf[6] << 8 | abuf[7];
	for (int i = 0; i < qd; i++) {
		if (ares_expand_name(p, abuf, alen, &name, &nl) != ARES_SUCCESS)
			return -1;
		ares_free_string(name);
		p += nl + NS_QFIXEDSZ;
		if (p > end)
			return -1;
	}
	for (int i = 0; i < an; i++) {
		unsigned long t;
		int rdlen;
		if (ares_expand_name(p, abuf, alen, &name, &nl) != ARES_SUCCESS)
			return ttl;
		ares_free_string(name);
		p += nl;
		if (p + NS_RRFIXEDSZ > end)
			return ttl;
		t = (unsigned long)p[4] << 24 | (unsigned long)p[5] << 16 |
		    (unsigned long)p[6] << 8 | p[7];
		rdlen = p[8] << 8 | p[9];
		p += NS_RRFIXEDSZ + rdlen;
		if (t > RS_MAX_TTL_S)
			t = RS_MAX_TTL_S;
		if (ttl < 0 || (long)t < ttl)
			ttl = (long)t;
	}
	return ttl;
}

static void
rs_add_target(struct sipd_targets *t, const struct sockaddr *sa,
	      socklen_t len)
{
	if (t->n >= SIPD_TARGETS_MAX || len > sizeof(t->t[0].ss))
		return;
	for (int i = 0; i < t->n; i++)
		if (t->t[i].len == len && memcmp(&t->t[i].ss, sa, len) == 0)
			return;
	memcpy(&t->t[t->n].ss, sa, len);
	t->t[t->n].len = len;
	t->n++;
}

static void rs_deliver_cb(struct daemon *d, void *arg);

/* All queries of lk are answered: build the result and hand it out. */
static void
rs_lookup_finish(struct rs_lookup *lk)
{
	struct sipd_resolver *r = lk->r;

	if (lk->done)
		return;
	lk->done = 1;
	for (int i = 0; i < lk->nsrv; i++)
		for (int j = 0; j < lk->srv[i].n; j++)
			rs_add_target(&lk->out,
				      (struct sockaddr *)&lk->srv[i].a[j].ss,
				      lk->srv[i].a[j].len);
	if (lk->out.n > 0) {
		lk->err[0] = '\0';
		lk->nxdomain = 0;
	} else if (lk->err[0] == '\0') {
		snprintf(lk->err, sizeof(lk->err), "cannot resolve %.200s: %s",
			 lk->host, "no address");
	}
	if (lk->ttl < 0)
		lk->ttl = 0;
	rs_cache_put(r, lk);
	if (lk->out.n > 0)
		log_info("resolve: %s: %d address(es), first %s, cached %ld s",
			 lk->key, lk->out.n,
			 sipd_target_str(&lk->out.t[0], (char[80]){0}, 80),
			 lk->ttl);
	else
		log_warnx("resolve: %s", lk->err);
	/* Waiters are called from a fresh loop turn, never from inside
	 * c-ares's own processing or from the caller of sipd_resolve(). */
	if (r->deliver <= 0) {
		r->deliver = daemon_timer_add(r->sd->d, 0, rs_deliver_cb, r);
		if (r->deliver < 0)
			r->deliver = 0;
	}
}

static void
rs_query_done(struct rs_lookup *lk)
{
	if (--lk->pending == 0 && !lk->done)
		rs_lookup_finish(lk);
}

static void
rs_addr_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct rs_srv *s = arg;
	struct rs_lookup *lk = s->lk;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION || lk->r->dying) {
		ares_freeaddrinfo(res);
		return;
	}
	s->status = status;
	if (status == ARES_SUCCESS && res) {
		for (struct ares_addrinfo_node *n = res->nodes;
		     n && s->n < RS_ADDRS_PER_TARGET; n = n->ai_next) {
			if (n->ai_addrlen > sizeof(s->a[0].ss))
				continue;
			memcpy(&s->a[s->n].ss, n->ai_addr, n->ai_addrlen);
			s->a[s->n].len = n->ai_addrlen;
			s->n++;
			rs_ttl(lk, n->ai_ttl);
		}
	} else {
		rs_fail(lk, status);
	}
	ares_freeaddrinfo(res);
	rs_query_done(lk);
}

/* Asks A/AAAA of name; the addresses land in slot s with port. */
static void
rs_lookup_addr(struct rs_lookup *lk, struct rs_srv *s, const char *name,
	       int port)
{
	struct ares_addrinfo_hints h = {0};
	char ps[16];

	s->lk = lk;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->port = port;
	snprintf(ps, sizeof(ps), "%d", port);
	h.ai_family = lk->r->sd->bound.ss_family;
	h.ai_socktype = SOCK_DGRAM;
	h.ai_flags = ARES_AI_NUMERICSERV | ARES_AI_NOSORT;
	lk->pending++;
	ares_getaddrinfo(lk->r->ch, name, ps, &h, rs_addr_cb, s);
}

/*
 * Orders SRV records by priority, then within a priority by weighted
 * chance (RFC 2782): each place goes to one of the records left, drawn
 * with a chance proportional to its weight (zero weights first, so that
 * they are picked only when the draw is 0).
 */
static void
rs_srv_order(struct ares_srv_reply **v, int n)
{
	/* Insertion sort by priority: n is at most a few dozen. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j]->priority < v[j - 1]->priority;
		     j--) {
			struct ares_srv_reply *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	for (int i = 0; i < n;) {
		int end = i;
		while (end < n && v[end]->priority == v[i]->priority)
			end++;
		/* Zero weights first, as RFC 2782 asks, then draw. */
		for (int k = i; k < end; k++) {
			unsigned sum = 0, pick, run = 0;
			uint32_t rnd = 0;
			int j, z = k;
			for (j = k; j < end; j++)
				if (v[j]->weight == 0) {
					struct ares_srv_reply *t = v[j];
					v[j] = v[z];
					v[z++] = t;
				}
			for (j = k; j < end; j++)
				sum += v[j]->weight;
			if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
				rnd = (uint32_t)rand();
			pick = sum ? rnd % (sum + 1) : 0;
			for (j = k; j < end; j++) {
				run += v[j]->weight;
				if (run >= pick)
					break;
			}
			if (j == end)
				j = end - 1;
			struct ares_srv_reply *t = v[j];
			v[j] = v[k];
			v[k] = t;
		}
		i = end;
	}
}

static void
rs_srv_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct rs_lookup *lk = arg;
	struct ares_srv_reply *srv = NULL, *v[64];
	int n = 0;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION || lk->r->dying)
		return;
	if (status == ARES_SUCCESS &&
	    ares_parse_srv_reply(abuf, alen, &srv) == ARES_SUCCESS) {
		for (struct ares_srv_reply *s = srv; s && n < 64; s = s->next)
			v[n++] = s;
	}
	if (n == 0) {
		ares_free_data(srv);
		if (status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED) {
			rs_fail(lk, status);
			rs_query_done(lk);
			return;
		}
		/* None under this name: the next transport, then A/AAAA. */
		rs_lookup_srv_next(lk);
		rs_query_done(lk);
		return;
	}
	rs_ttl(lk, rs_answer_ttl(abuf, alen));
	rs_srv_order(v, n);
	if (n == 1 && strcmp(v[0]->host, ".") == 0) {
		snprintf(lk->err, sizeof(lk->err),
			 "cannot resolve %.200s: SRV says no SIP service there",
			 lk->host);
	} else {
		for (int i = 0; i < n && lk->nsrv < RS_SRV_MAX; i++) {
			if (v[i]->host[0] == '\0' ||
			    strcmp(v[i]->host, ".") == 0)
				continue;
			rs_lookup_addr(lk, &lk->srv[lk->nsrv++], v[i]->host,
				       v[i]->port);
		}
	}
	ares_free_data(srv);
	rs_query_done(lk);
}

static void
rs_query_srv(struct rs_lookup *lk, const char *name)
{
	lk->pending++;
	ares_query(lk->r->ch, name, ns_c_in, ns_t_srv, rs_srv_cb, lk);
}

/* The SRV name of the next supported transport, else A/AAAA on 5060. */
static void
rs_lookup_srv_next(struct rs_lookup *lk)
{
	char name[NS_MAXDNAME + 16];

	while (lk->next_transport < RS_NTRANSPORTS) {
		const struct rs_transport *t =
		    &rs_transports[lk->next_transport++];
		if (!t->supported || t->secure != lk->secure)
			continue;
		lk->out.tp = t->tp;
		snprintf(name, sizeof(name), "%s%s", t->srv, lk->host);
		rs_query_srv(lk, name);
		return;
	}
	/* RFC 3263 4.2: no SRV, the host itself on the transport's port. */
	lk->out.tp = lk->secure ? SIPD_TP_TLS : SIPD_TP_UDP;
	rs_lookup_addr(lk, &lk->srv[lk->nsrv++], lk->host,
		       lk->secure ? 5061 : 5060);
}

static void
rs_naptr_cb(void *arg, int status, int timeouts, unsigned char *abuf,
	    int alen)
{
	struct rs_lookup *lk = arg;
	struct ares_naptr_reply *nr = NULL, *best = NULL;
	int best_tp = SIPD_TP_UDP;

	(void)timeouts;
	if (status == ARES_EDESTRUCTION || lk->r->dying)
		return;
	if (status == ARES_ETIMEOUT || status == ARES_ECONNREFUSED) {
		/* A server that does not answer would not answer SRV or A
		 * either.  NXDOMAIN goes on: _sip._udp.host may exist where
		 * host itself has no record. */
		rs_fail(lk, status);
		rs_query_done(lk);
		return;
	}
	if (status == ARES_SUCCESS &&
	    ares_parse_naptr_reply(abuf, alen, &nr) == ARES_SUCCESS) {
		for (struct ares_naptr_reply *p = nr; p; p = p->next) {
			int ok = 0;
			if (p->flags == NULL ||
			    strcasecmp((const char *)p->flags, "s") != 0 ||
			    p->replacement == NULL || !p->replacement[0])
				continue;
			for (size_t i = 0; i < RS_NTRANSPORTS; i++)
				if (rs_transports[i].supported &&
				    rs_transports[i].secure == lk->secure &&
				    strcasecmp((const char *)p->service,
					       rs_transports[i].naptr) == 0)
					ok = 1 + (int)i;
			if (!ok)
				continue;
			if (best == NULL || p->order < best->order ||
			    (p->order == best->order &&
			     p->preference < best->preference)) {
				best = p;
				best_tp = rs_transports[ok - 1].tp;
			}
		}
	}
	if (best) {
		rs_ttl(lk, rs_answer_ttl(abuf, alen));
		log_debug("resolve: %s: NAPTR %s -> %s", lk->host,
			  (const char *)best->service, best->replacement);
		/* The SRV names of the other transports are not tried after
		 * a NAPTR choice (RFC 3263 4.1): an empty SRV answer there
		 * falls back to A/AAAA of the host only. */
		lk->next_transport = RS_NTRANSPORTS;
		lk->out.tp = best_tp;
		rs_query_srv(lk, best->replacement);
	} else {
		rs_lookup_srv_next(lk);
	}
	ares_free_data(nr);
	rs_query_done(lk);
}

/* ---- delivery ---- */

static void
rs_waiter_free(struct rs_waiter *w)
{
	free(w->buf);
	free(w);
}

static void
rs_lookup_free(struct rs_lookup *lk)
{
	while (lk->waiters) {
		struct rs_waiter *w = lk->waiters;
		lk->waiters = w->next;
		rs_waiter_free(w);
	}
	free(lk);
}

static void
rs_deliver_cb(struct daemon *d, void *arg)
{
	struct sipd_resolver *r = arg;
	struct rs_lookup **pp = &r->lookups;

	(void)d;
	r->deliver = 0;
	while (*pp) {
		struct rs_lookup *lk = *pp;
		if (!lk->done) {
			pp = &lk->next;
			continue;
		}
		*pp = lk->next;
		r->nlookups--;
		while (lk->waiters) {
			struct rs_waiter *w = lk->waiters;
			lk->waiters = w->next;
			if (w->cb) {
				w->cb(r->sd, w->arg, lk->out.n ? &lk->out : NULL,
				      lk->out.n ? NULL : lk->err);
			} else if (lk->out.n) {
				sipd_transport_sendto(r->sd, w->buf, w->len,
						      &lk->out.t[0], w->tp,
						      lk->host);
			} else {
				log_warnx("transport: a message for %s was "
					  "dropped: %s",
					  lk->host, lk->err);
			}
			rs_waiter_free(w);
		}
		rs_lookup_free(lk);
	}
	sipd_run(r->sd);
}

/* ---- entry points ---- */

const char *
sipd_target_str(const struct sipd_target *t, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (t->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)&t->ss;
		inet_ntop(AF_INET, &s->sin_addr, h, sizeof(h));
		port = ntohs(s->sin_port);
		snprintf(buf, len, "%s:%d", h, port);
	} else if (t->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s =
		    (const struct sockaddr_in6 *)&t->ss;
		inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof(h));
		port = ntohs(s->sin6_port);
		snprintf(buf, len, "[%s]:%d", h, port);
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}

/* 1 and *t filled if host is a numeric address of the socket's family. */
static int
rs_numeric(struct sipd *sd, const char *host, int port,
	   struct sipd_target *t)
{
	struct addrinfo hints = {0}, *res = NULL;
	char ps[16];

	snprintf(ps, sizeof(ps), "%d", port);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_family = sd->bound.ss_family;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, ps, &hints, &res) != 0 || res == NULL)
		return 0;
	memcpy(&t->ss, res->ai_addr, res->ai_addrlen);
	t->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 1;
}

int
sipd_target_numeric(struct sipd *sd, const char *host, int port,
		    struct sipd_target *t)
{
	return rs_numeric(sd, host, port, t);
}

/* 1 and *t filled from the hosts file (c-ares reads it, no DNS). */
static int
rs_hosts(struct sipd_resolver *r, const char *host, int port,
	 struct sipd_targets *t)
{
	struct hostent *he = NULL;
	int fam = r->sd->bound.ss_family;

	if (ares_gethostbyname_file(r->ch, host, fam, &he) != ARES_SUCCESS ||
	    he == NULL)
		return 0;
	t->n = 0;
	for (char **a = he->h_addr_list; a && *a; a++) {
		struct sockaddr_storage ss = {0};
		socklen_t len;
		if (fam == AF_INET) {
			struct sockaddr_in *s = (struct sockaddr_in *)&ss;
			s->sin_family = AF_INET;
			s->sin_port = htons((uint16_t)port);
			memcpy(&s->sin_addr, *a, sizeof(s->sin_addr));
			len = sizeof(*s);
		} else {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
			s->sin6_family = AF_INET6;
			s->sin6_port = htons((uint16_t)port);
			memcpy(&s->sin6_addr, *a, sizeof(s->sin6_addr));
			len = sizeof(*s);
		}
		rs_add_target(t, (struct sockaddr *)&ss, len);
	}
	ares_free_hostent(he);
	return t->n > 0;
}

/*
 * Finds or starts the lookup of key; adds w to it.  0, or -ENOSPC when too
 * many lookups or waiters are outstanding (w is then not taken).
 */
static int
rs_lookup_join(struct sipd_resolver *r, const char *key, const char *host,
	       int port, int secure, struct rs_waiter *w)
{
	struct rs_lookup *lk;

	for (lk = r->lookups; lk; lk = lk->next)
		if (!lk->done && strcmp(lk->key, key) == 0)
			break;
	if (lk == NULL) {
		if (r->nlookups >= RS_LOOKUPS_MAX)
			return -ENOSPC;
		lk = calloc(1, sizeof(*lk));
		if (lk == NULL)
			return -ENOMEM;
		lk->r = r;
		lk->ttl = -1;
		lk->port = port;
		lk->secure = secure;
		snprintf(lk->key, sizeof(lk->key), "%s", key);
		snprintf(lk->host, sizeof(lk->host), "%s", host);
		lk->next = r->lookups;
		r->lookups = lk;
		r->nlookups++;
		log_debug("resolve: looking up %s", key);
		/* Held by a fake query so that an answer given at once
		 * cannot finish the lookup before all of it is asked. */
		lk->pending = 1;
		if (port > 0) {
			rs_lookup_addr(lk, &lk->srv[lk->nsrv++], host, port);
		} else {
			lk->pending++;
			ares_query(r->ch, host, ns_c_in, ns_t_naptr,
				   rs_naptr_cb, lk);
		}
		rs_query_done(lk);
		rs_timer_update(r);
	} else if (lk->nwaiters >= RS_WAITERS_MAX) {
		return -ENOSPC;
	}
	w->next = lk->waiters;
	lk->waiters = w;
	lk->nwaiters++;
	return 0;
}

/* Splits "[v6]" brackets off host into out. */
static void
rs_host_plain(const char *host, char *out, size_t len)
{
	size_t hl = strlen(host);

	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']')
		snprintf(out, len, "%.*s", (int)(hl - 2), host + 1);
	else
		snprintf(out, len, "%s", host);
}

/*
 * The common part of both entry points: 0 with out filled when the answer
 * is known now; -EINPROGRESS when w (owned from then on) waits for a
 * lookup; another negative errno with why in err (w not taken).
 */
static int
rs_resolve(struct sipd *sd, const char *host, int port, int secure,
	   struct sipd_targets *out, struct rs_waiter *w, char *err,
	   size_t errlen)
{
	struct sipd_resolver *r = sd->resolver;
	char h[NS_MAXDNAME], key[sizeof(((struct rs_lookup *)0)->key)];
	struct rs_cache *c;
	int rc, dport;

	if (host == NULL || *host == '\0' || strlen(host) >= sizeof(h)) {
		snprintf(err, errlen, "no usable host to resolve");
		return -EINVAL;
	}
	rs_host_plain(host, h, sizeof(h));
	out->n = 0;
	out->tp = secure ? SIPD_TP_TLS : SIPD_TP_UDP;
	/* RFC 3263 4.2: without a port, 5061 for TLS, else 5060. */
	dport = port > 0 ? port : secure ? 5061 : 5060;
	if (rs_numeric(sd, h, dport, &out->t[0])) {
		out->n = 1;
		return 0;
	}
	if (r == NULL) {
		snprintf(err, errlen, "cannot resolve %.200s: no resolver", h);
		return -EHOSTUNREACH;
	}
	if (rs_hosts(r, h, dport, out))
		return 0;
	rs_key(key, sizeof(key), h, port, secure);
	c = rs_cache_find(r, key);
	if (c && !c->negative) {
		*out = c->t;
		return 0;
	}
	if (c) {
		snprintf(err, errlen, "%s", c->err);
		return -EHOSTUNREACH;
	}
	rc = rs_lookup_join(r, key, h, port, secure, w);
	if (rc < 0) {
		snprintf(err, errlen,
			 "cannot resolve %.200s: too many lookups in progress", h);
		return rc;
	}
	return -EINPROGRESS;
}

int
sipd_resolve(struct sipd *sd, const char *host, int port, int secure,
	     struct sipd_targets *out, sipd_resolve_cb cb, void *arg,
	     char *err, size_t errlen)
{
	struct rs_waiter *w = calloc(1, sizeof(*w));
	int r;

	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->cb = cb;
	w->arg = arg;
	r = rs_resolve(sd, host, port, secure, out, w, err, errlen);
	if (r != -EINPROGRESS)
		free(w);
	return r;
}

int
sipd_resolve_send(struct sipd *sd, const char *host, int port, char *buf,
		  size_t len, int tp)
{
	struct sipd_targets t;
	struct rs_waiter *w = calloc(1, sizeof(*w));
	char err[200];
	int r;

	if (w == NULL) {
		free(buf);
		return -ENOMEM;
	}
	w->buf = buf;
	w->len = len;
	w->tp = tp;
	r = rs_resolve(sd, host, port, 0, &t, w, err, sizeof(err));
	if (r == -EINPROGRESS) {
		log_debug("transport: %zu bytes for %s wait for its address",
			  len, host);
		return 0;
	}
	if (r == 0)
		r = sipd_transport_sendto(sd, buf, len, &t.t[0], tp, host);
	else
		log_warnx("transport: a message for %s was dropped: %s", host,
			  err);
	rs_waiter_free(w);
	return r;
}

void
sipd_resolve_cancel(struct sipd *sd, void *arg)
{
	struct sipd_resolver *r = sd->resolver;

	if (r == NULL || arg == NULL)
		return;
	for (struct rs_lookup *lk = r->lookups; lk; lk = lk->next) {
		struct rs_waiter **pp = &lk->waiters;
		while (*pp) {
			struct rs_waiter *w = *pp;
			if (w->cb && w->arg == arg) {
				*pp = w->next;
				lk->nwaiters--;
				rs_waiter_free(w);
			} else {
				pp = &w->next;
			}
		}
	}
}

int
sipd_resolve_servers(struct sipd *sd, const char *servers, char *err,
		     size_t errlen)
{
	struct sipd_resolver *r = sd->resolver;
	int rc;

	if (r == NULL || servers == NULL || servers[0] == '\0')
		return 0;
	rc = ares_set_servers_ports_csv(r->ch, servers);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen,
			 "[sip] dns_servers '%s': %s (want ADDRESS[:PORT], "
			 "comma-separated)",
			 servers, ares_strerror(rc));
		return -EINVAL;
	}
	/* Answers from the old servers no longer hold. */
	for (int i = 0; i < RS_CACHE_MAX; i++)
		r->cache[i].expires = 0;
	log_info("resolve: DNS servers %s", servers);
	return 0;
}

int
sipd_resolve_init(struct sipd *sd, const char *servers, char *err,
		  size_t errlen)
{
	struct sipd_resolver *r;
	struct ares_options o = {0};
	int rc;

	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return -EIO;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->sd = sd;
	o.timeout = RS_TIMEOUT_MS;
	o.tries = RS_TRIES;
	o.sock_state_cb = rs_sock_state;
	o.sock_state_cb_data = r;
	rc = ares_init_options(&r->ch, &o,
			       ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
				   ARES_OPT_SOCK_STATE_CB);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(r);
		return -EIO;
	}
	r->ch_ok = 1;
	sd->resolver = r;
	if (sipd_resolve_servers(sd, servers, err, errlen) < 0) {
		sipd_resolve_fini(sd);
		return -EINVAL;
	}
	return 0;
}

void
sipd_resolve_fini(struct sipd *sd)
{
	struct sipd_resolver *r = sd->resolver;

	if (r == NULL)
		return;
	r->dying = 1;
	if (r->timer > 0)
		daemon_timer_cancel(sd->d, r->timer);
	if (r->deliver > 0)
		daemon_timer_cancel(sd->d, r->deliver);
	if (r->ch_ok)
		ares_destroy(r->ch);
	while (r->lookups) {
		struct rs_lookup *lk = r->lookups;
		r->lookups = lk->next;
		rs_lookup_free(lk);
	}
	for (int i = 0; i < RS_FDWATCH_MAX; i++)
		if (r->fdw[i].r == r) {
			daemon_unwatch(sd->d, r->fdw[i].fd, NULL);
			r->fdw[i] = (struct rs_fdwatch){NULL, -1};
		}
	free(r);
	sd->resolver = NULL;
	ares_library_cleanup();
}
