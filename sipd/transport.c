/*
 * transport: sipd's one UDP socket, and the way in and out for all three
 * transports (stream.c splits TCP and TLS streams into messages and holds
 * their connections; the Via of a message says which it takes, and a
 * request too large for UDP moves to TCP, RFC 3261 18.1.1).  Datagrams of
 * up to 64 KB and the messages of a stream are checked (check.c; a
 * refused request is answered statelessly by sipd_server_reject() when it
 * can be), parsed into osip events and
 * handed to the matching transaction, to the dialog layer (a 2xx repeated
 * after its transaction ended) or to the server side (a new request).
 * osip sends through sipd_transport_send_cb().  A response goes where RFC
 * 3261 18.2.2 and RFC 3581 say, worked out from the packet's own source
 * and never from a name or an maddr in the Via (so a forged Via can
 * neither make sipd look up a name nor turn it into a reflector).  A
 * request to a numeric address goes out at once; one to a name goes
 * through resolve.c, which sends it now from its cache or queues it until
 * the lookup ends: nothing here ever waits for DNS.
 */
#include "sipd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void
transport_addr_str(const struct sockaddr_storage *ss, char *out, size_t len,
		   int *port)
{
	char host[INET6_ADDRSTRLEN] = "?";
	*port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		*port = ntohs(s->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
		*port = ntohs(s->sin6_port);
	}
	snprintf(out, len, "%s", host);
}

/* 1 and *t filled if host ("1.2.3.4", "::1" or "[::1]") is numeric. */
static int
transport_numeric(struct sipd *sd, const char *host, int port,
		  struct sipd_target *t)
{
	struct addrinfo hints = {0}, *res = NULL;
	char portstr[16], h[INET6_ADDRSTRLEN + 2];
	size_t hl;

	if (host == NULL || *host == '\0')
		return 0;
	/* osip may hand us "[::1]" for an IPv6 Via or URI host. */
	hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']')
		snprintf(h, sizeof(h), "%.*s", (int)(hl - 2), host + 1);
	else
		snprintf(h, sizeof(h), "%s", host);
	snprintf(portstr, sizeof(portstr), "%d", port > 0 ? port : 5060);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_family = sd->bound.ss_family;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(h, portstr, &hints, &res) != 0 || res == NULL)
		return 0;
	memcpy(&t->ss, res->ai_addr, res->ai_addrlen);
	t->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 1;
}

int
sipd_transport_local_ip(struct sipd *sd, const struct sipd_target *dst,
			char *out, size_t outlen)
{
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	int s, port, r;

	if (sd->bound_ip[0]) {
		snprintf(out, outlen, "%s", sd->bound_ip);
		return 0;
	}
	/* Bound to a wildcard: ask the kernel which address routes there
	 * (connect() on UDP only picks a route; nothing is sent). */
	s = socket(dst->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (const struct sockaddr *)&dst->ss, dst->len) < 0 ||
	    getsockname(s, (struct sockaddr *)&me, &ml) < 0) {
		r = -errno;
		close(s);
		return r;
	}
	close(s);
	transport_addr_str(&me, out, outlen, &port);
	return 0;
}

int
sipd_transport_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	if (osip_strcasecmp(name, "UDP") == 0)
		return SIPD_TP_UDP;
	if (osip_strcasecmp(name, "TCP") == 0)
		return SIPD_TP_TCP;
	if (osip_strcasecmp(name, "TLS") == 0)
		return SIPD_TP_TLS;
	return -1;
}

/* The transport of m's top Via (a response's is its request's). */
static int
transport_of(const osip_message_t *m)
{
	osip_via_t *via = osip_list_get(&m->vias, 0);
	int tp = via ? sipd_transport_from_name(via->protocol) : -1;

	return tp < 0 ? SIPD_TP_UDP : tp;
}

/*
 * The transport a response to t takes: its Via's when a connection of
 * that transport to t is open (the one its request came in on).  A request
 * that came over UDP with a TCP or TLS Via (RFC 4475 has many) is answered
 * over UDP; so is one whose TCP connection has closed since.  One whose
 * TLS connection has closed is never answered in the clear: -1.
 */
static int
transport_response_tp(struct sipd *sd, const osip_message_t *m,
		      const struct sipd_target *t)
{
	int tp = transport_of(m);

	if (tp == SIPD_TP_UDP || sipd_stream_has(sd, tp, t))
		return tp;
	return tp == SIPD_TP_TLS && sipd_stream_tls_gone(sd, t) ? -1 : SIPD_TP_UDP;
}

int
sipd_transport_sendto(struct sipd *sd, const char *buf, size_t len,
		      const struct sipd_target *t, int tp, const char *name)
{
	char to[80];

	if (tp != SIPD_TP_UDP)
		return sipd_stream_send(sd, tp, t, name, buf, len);
	sipd_target_str(t, to, sizeof(to));
	if (sendto(sd->fd, buf, len, 0, (const struct sockaddr *)&t->ss,
		   t->len) < 0) {
		int r = -errno;
		log_warn("transport: sendto %s", to);
		return r;
	}
	log_debug("transport: sent %zu bytes to %s:\n%.*s", len, to,
		  (int)len, buf);
	return 0;
}

int
sipd_transport_send(struct sipd *sd, osip_message_t *m, const char *host,
		    int port)
{
	struct sipd_target t;
	char *buf = NULL, *copy;
	size_t len = 0;
	int tp = transport_of(m), r;

	if (osip_message_to_str(m, &buf, &len) != 0 || buf == NULL) {
		log_warnx("transport: cannot serialise a message for %s:%d",
			  host ? host : "?", port);
		return -EINVAL;
	}
	/* RFC 3261 18.1.1: a request too large for UDP goes over TCP, its
	 * Via saying so. */
	if (MSG_IS_REQUEST(m) && tp == SIPD_TP_UDP &&
	    len > SIPD_UDP_MAX_REQUEST) {
		osip_via_t *via = osip_list_get(&m->vias, 0);
		if (via != NULL) {
			osip_free(via->protocol);
			via->protocol = osip_strdup("TCP");
			osip_free(buf);
			buf = NULL;
			if (osip_message_to_str(m, &buf, &len) != 0 ||
			    buf == NULL)
				return -EINVAL;
			tp = SIPD_TP_TCP;
			log_info("transport: a %zu-byte %s goes over TCP "
				 "(RFC 3261 18.1.1)",
				 len, m->sip_method);
		}
	}
	if (transport_numeric(sd, host, port, &t)) {
		if (MSG_IS_RESPONSE(m))
			tp = transport_response_tp(sd, m, &t);
		if (tp < 0) {
			log_warnx("transport: a %d response was not sent: the "
				  "TLS connection of its request is gone",
				  m->status_code);
			osip_free(buf);
			return -ENOTCONN;
		}
		r = sipd_transport_sendto(sd, buf, len, &t, tp, host);
		osip_free(buf);
		return r;
	}
	/* A name: resolve.c owns a malloc'ed copy until it can be sent. */
	copy = malloc(len);
	if (copy == NULL) {
		osip_free(buf);
		return -ENOMEM;
	}
	memcpy(copy, buf, len);
	osip_free(buf);
	return sipd_resolve_send(sd, host, port, copy, len, tp);
}

/*
 * Where a response to a request received over UDP goes (RFC 3261 18.2.2,
 * RFC 3581 4): the packet's source address, which transport_via_mark()
 * left as the Via's "received" (or as its host when the two were equal),
 * and the source port when the request asked for rport, else the sent-by
 * port.  maddr is ignored: honouring it would let anyone aim our answers
 * at a third party.  A sent-by that is a name is never looked up.
 */
static int
transport_response_dest(struct sipd *sd, osip_message_t *m,
			struct sipd_target *t)
{
	osip_via_t *via = osip_list_get(&m->vias, 0);
	osip_generic_param_t *rec = NULL, *rport = NULL;
	const char *host;
	int port;

	if (via == NULL || via->host == NULL)
		return -EINVAL;
	osip_via_param_get_byname(via, "received", &rec);
	osip_via_param_get_byname(via, "rport", &rport);
	host = rec && rec->gvalue ? rec->gvalue : via->host;
	if (rport && rport->gvalue && atoi(rport->gvalue) > 0)
		port = atoi(rport->gvalue);
	else if (via->port && atoi(via->port) > 0)
		port = atoi(via->port);
	else
		port = 5060;
	if (port > 65535 || !transport_numeric(sd, host, port, t))
		return -EINVAL;
	return 0;
}

int
sipd_transport_send_cb(osip_transaction_t *tr, osip_message_t *m, char *host,
		       int port, int out_socket)
{
	struct sipd *sd = osip_get_application_context(tr->config);
	struct sipd_target t;
	char *buf = NULL;
	size_t len = 0;
	int r, tp;

	(void)out_socket;
	if (sd == NULL)
		return -1;
	if (!MSG_IS_RESPONSE(m))
		return sipd_transport_send(sd, m, host, port) == 0 ? 0 : -1;
	/* osip's host and port honour maddr: not ours to follow. */
	if (transport_response_dest(sd, m, &t) < 0) {
		log_warnx("transport: a %d response has no usable source "
			  "address in its Via; not sent",
			  m->status_code);
		return -1;
	}
	tp = transport_response_tp(sd, m, &t);
	if (tp < 0) {
		log_warnx("transport: a %d response was not sent: the TLS "
			  "connection of its request is gone",
			  m->status_code);
		return -1;
	}
	if (osip_message_to_str(m, &buf, &len) != 0 || buf == NULL)
		return -1;
	r = sipd_transport_sendto(sd, buf, len, &t, tp, NULL);
	osip_free(buf);
	return r == 0 ? 0 : -1;
}

/*
 * Records the source of a request in its top Via (RFC 3261 18.2.1, RFC
 * 3581 4): "received" is always the source address, whatever the sender
 * wrote there, and "rport" gets the source port.  The response address is
 * taken from these two alone (transport_response_dest).
 */
static void
transport_via_mark(osip_message_t *req, const char *from, int fromport,
		   int tp)
{
	osip_via_t *via = osip_list_get(&req->vias, 0);
	osip_generic_param_t *p = NULL;

	if (via == NULL)
		return;
	osip_via_param_get_byname(via, "received", &p);
	if (p) {
		osip_free(p->gvalue);
		p->gvalue = osip_strdup(from);
	} else {
		osip_via_set_received(via, osip_strdup(from));
	}
	p = NULL;
	osip_via_param_get_byname(via, "rport", &p);
	/* Over a connection the answer goes back on it (RFC 3261 18.2.2):
	 * the source port is the one to find it by, asked for or not. */
	if (p == NULL && tp != SIPD_TP_UDP) {
		char b[16];
		snprintf(b, sizeof(b), "%d", fromport);
		osip_via_param_add(via, osip_strdup("rport"), osip_strdup(b));
	} else if (p) {
		char b[16];
		snprintf(b, sizeof(b), "%d", fromport);
		osip_free(p->gvalue);
		p->gvalue = osip_strdup(b);
	}
}

/*
 * A datagram check.c refused: a request with enough in it to address an
 * answer is answered (400, 416, 501, 505, 513); anything else is dropped
 * with a line saying why.
 */
static void
transport_refused(struct sipd *sd, const char *buf, size_t len,
		  const struct sipd_verdict *v, const char *from, int fromport,
		  int tp)
{
	osip_message_t *req;
	char why[80];

	if (v->code == 0) {
		log_warnx("transport: dropped a malformed packet from %s:%d "
			  "(%zu bytes): %s",
			  from, fromport, len, v->why);
		return;
	}
	req = sipd_packet_salvage(buf, len, why, sizeof(why));
	if (req == NULL) {
		log_warnx("transport: dropped a malformed packet from %s:%d "
			  "(%zu bytes): %s; unanswerable: %s",
			  from, fromport, len, v->why, why);
		return;
	}
	/* Over a connection the answer goes back on it: to the source
	 * port, as rport asks. */
	if (tp != SIPD_TP_UDP) {
		osip_via_t *via = osip_list_get(&req->vias, 0);
		osip_generic_param_t *p = NULL;
		if (via && osip_via_param_get_byname(via, "rport", &p) != 0)
			osip_via_param_add(via, osip_strdup("rport"), NULL);
	}
	sipd_server_reject(sd, req, v->code, v->why, from, fromport);
	osip_message_free(req);
}

void
sipd_transport_input(struct sipd *sd, char *buf, size_t len,
		     const char *from, int fromport, int tp)
{
	struct sipd_verdict v;
	osip_event_t *evt;

	if (sipd_packet_check(buf, len, &v) < 0) {
		if (!v.keepalive)
			transport_refused(sd, buf, len, &v, from, fromport,
					  tp);
		return;
	}
	log_debug("transport: received %zu bytes from %s:%d:\n%s", len, from,
		  fromport, buf);
	evt = osip_parse(buf, len);
	if (evt == NULL || evt->sip == NULL) {
		log_warnx("transport: dropped a packet from %s:%d: osip could "
			  "not make an event of it",
			  from, fromport);
		if (evt)
			osip_event_free(evt);
		return;
	}
	if (MSG_IS_RESPONSE(evt->sip)) {
		if (osip_find_transaction_and_add_event(sd->osip, evt) != 0) {
			sipd_dialog_stray_response(sd, evt->sip);
			osip_event_free(evt);
		}
		return;
	}
	transport_via_mark(evt->sip, from, fromport, tp);
	if (osip_find_transaction_and_add_event(sd->osip, evt) == 0)
		return; /* a retransmission, or the ACK of our non-2xx */
	if (MSG_IS_ACK(evt->sip) && sipd_indialog_ack(sd, evt->sip) == 0) {
		osip_event_free(evt);
		return; /* the ACK of our 2xx to a re-INVITE */
	}
	if (MSG_IS_ACK(evt->sip)) {
		log_debug("transport: ACK from %s:%d matches nothing; ignored",
			  from, fromport);
		osip_event_free(evt);
		return;
	}
	sipd_server_request(sd, evt, from, fromport);
}

static void
transport_on_read(struct daemon *d, void *arg, short revents)
{
	struct sipd *sd = arg;
	char buf[SIPD_MAX_PACKET + 2];

	(void)d;
	(void)revents;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		char host[INET6_ADDRSTRLEN];
		int port;
		/* One byte more than a datagram may carry, so that MSG_TRUNC
		 * tells a larger one (IPv6 jumbogram) apart. */
		ssize_t n = recvfrom(sd->fd, buf, SIPD_MAX_PACKET + 1, MSG_TRUNC,
				     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("transport: recvfrom");
			break;
		}
		transport_addr_str(&from, host, sizeof(host), &port);
		if (n > SIPD_MAX_PACKET) {
			log_warnx("transport: dropped a %zd-byte packet from "
				  "%s:%d: larger than %d bytes",
				  n, host, port, SIPD_MAX_PACKET);
			continue;
		}
		buf[n] = '\0';
		sipd_transport_input(sd, buf, (size_t)n, host, port,
				     SIPD_TP_UDP);
	}
	sipd_run(sd);
}

void
sipd_transport_poll(struct sipd *sd, int timeout_ms)
{
	/* The stop path: TCP and TLS connections are served too. */
	if (sipd_stream_poll(sd, sd->fd, timeout_ms) > 0)
		transport_on_read(sd->d, sd, 0);
	else
		sipd_run(sd);
}

int
sipd_transport_open(struct sipd *sd, const char *listen, char *err,
		    size_t errlen)
{
	struct addrinfo hints = {0}, *res = NULL;
	char host[64], portstr[16];
	int port, r;

	if (sipd_hostport_parse(listen, host, sizeof(host), &port) < 0) {
		snprintf(err, errlen,
			 "[sip] listen '%s' is not ADDRESS:PORT", listen);
		return -EINVAL;
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	hints.ai_socktype = SOCK_DGRAM;
	r = getaddrinfo(host, portstr, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen,
			 "[sip] listen '%s': '%s' is not a numeric address: %s",
			 listen, host, gai_strerror(r));
		return -EINVAL;
	}
	sd->fd = socket(res->ai_family,
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sd->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	/* No SO_REUSEADDR: a second sipd on the same address must fail
	 * here, not share the port and lose half the datagrams. */
	if (bind(sd->fd, res->ai_addr, res->ai_addrlen) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot bind UDP %s port %d: %s%s", host,
			 port, strerror(errno),
			 errno == EADDRINUSE ? " (is another sipd or SIP "
					       "agent running?)"
					     : "");
		goto out;
	}
	sd->boundlen = sizeof(sd->bound);
	if (getsockname(sd->fd, (struct sockaddr *)&sd->bound,
			&sd->boundlen) < 0) {
		r = -errno;
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		goto out;
	}
	transport_addr_str(&sd->bound, sd->bound_ip, sizeof(sd->bound_ip),
			   &sd->port);
	snprintf(sd->listen_host, sizeof(sd->listen_host), "%s", host);
	if (strcmp(sd->bound_ip, "0.0.0.0") == 0 ||
	    strcmp(sd->bound_ip, "::") == 0)
		sd->bound_ip[0] = '\0';
	r = daemon_watch_fd(sd->d, sd->fd, ZMQ_POLLIN, transport_on_read, sd);
	if (r < 0) {
		snprintf(err, errlen, "cannot watch the SIP socket");
		goto out;
	}
	log_info("transport: listening on UDP %s port %d", host, sd->port);
	r = sipd_stream_open(sd, err, errlen);
out:
	if (r < 0 && sd->fd >= 0) {
		daemon_unwatch(sd->d, sd->fd, NULL);
		close(sd->fd);
		sd->fd = -1;
	}
	freeaddrinfo(res);
	return r;
}

void
sipd_transport_close(struct sipd *sd)
{
	sipd_stream_close(sd);
	if (sd->fd < 0)
		return;
	daemon_unwatch(sd->d, sd->fd, NULL);
	close(sd->fd);
	sd->fd = -1;
}
