/*
 * transport: sipd's one UDP socket.  Datagrams are checked (check.c),
 * parsed into osip events and handed to the matching transaction, to the
 * dialog layer (a 2xx repeated after its transaction ended) or to the
 * server side (a new request).  osip sends through
 * sipd_transport_send_cb(), which resolves the destination and calls
 * sendto().  Destinations are numeric on loopback; a host name is resolved
 * with a blocking getaddrinfo() (fast from /etc/hosts, slow with DNS).
 */
#include "sipd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
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

static int
transport_resolve(struct sipd *sd, const char *host, int port,
		  struct sockaddr_storage *out, socklen_t *outlen)
{
	struct addrinfo hints = {0}, *res = NULL;
	char portstr[16], h[256];
	size_t hl;
	int r;

	if (host == NULL || *host == '\0')
		return -EINVAL;
	/* osip may hand us "[::1]" for an IPv6 Via or URI host. */
	hl = strlen(host);
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		snprintf(h, sizeof(h), "%.*s", (int)(hl - 2), host + 1);
	} else {
		snprintf(h, sizeof(h), "%s", host);
	}
	snprintf(portstr, sizeof(portstr), "%d", port > 0 ? port : 5060);
	hints.ai_family = sd->bound.ss_family;
	hints.ai_socktype = SOCK_DGRAM;
	r = getaddrinfo(h, portstr, &hints, &res);
	if (r != 0 || res == NULL) {
		log_warnx("transport: cannot resolve '%s': %s", h,
			  gai_strerror(r));
		return -EHOSTUNREACH;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*outlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
sipd_transport_local_ip(struct sipd *sd, const char *host, char *out,
			size_t outlen)
{
	struct sockaddr_storage dst, me;
	socklen_t dl, ml = sizeof(me);
	int s, port, r;

	if (sd->bound_ip[0]) {
		snprintf(out, outlen, "%s", sd->bound_ip);
		return 0;
	}
	/* Bound to a wildcard: ask the kernel which address routes there. */
	r = transport_resolve(sd, host, 5060, &dst, &dl);
	if (r < 0)
		return r;
	s = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&dst, dl) < 0 ||
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
sipd_transport_send(struct sipd *sd, osip_message_t *m, const char *host,
		    int port)
{
	struct sockaddr_storage dst;
	socklen_t dl;
	char *buf = NULL;
	size_t len = 0;
	int r;

	r = transport_resolve(sd, host, port, &dst, &dl);
	if (r < 0)
		return r;
	if (osip_message_to_str(m, &buf, &len) != 0 || buf == NULL) {
		log_warnx("transport: cannot serialise a message for %s:%d",
			  host, port);
		return -EINVAL;
	}
	if (sendto(sd->fd, buf, len, 0, (struct sockaddr *)&dst, dl) < 0) {
		r = -errno;
		log_warn("transport: sendto %s:%d", host, port);
	} else {
		log_debug("transport: sent %zu bytes to %s:%d:\n%s", len, host,
			  port, buf);
	}
	osip_free(buf);
	return r;
}

int
sipd_transport_send_cb(osip_transaction_t *tr, osip_message_t *m, char *host,
		       int port, int out_socket)
{
	struct sipd *sd = osip_get_application_context(tr->config);

	(void)out_socket;
	if (sd == NULL)
		return -1;
	return sipd_transport_send(sd, m, host, port) == 0 ? 0 : -1;
}

/* One datagram from from:fromport, NUL-terminated at buf[len]. */
static void
transport_packet(struct sipd *sd, char *buf, size_t len, const char *from,
		 int fromport)
{
	char err[160];
	int keepalive;
	osip_event_t *evt;

	if (sipd_packet_check(buf, len, &keepalive, err, sizeof(err)) < 0) {
		if (!keepalive)
			log_warnx("transport: dropped a malformed packet from "
				  "%s:%d (%zu bytes): %s",
				  from, fromport, len, err);
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
	osip_message_fix_last_via_header(evt->sip, from, fromport);
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
	char buf[SIPD_MAX_PACKET + 1];

	(void)d;
	(void)revents;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		char host[INET6_ADDRSTRLEN];
		int port;
		ssize_t n = recvfrom(sd->fd, buf, SIPD_MAX_PACKET, MSG_TRUNC,
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
		transport_packet(sd, buf, (size_t)n, host, port);
	}
	sipd_run(sd);
}

int
sipd_transport_open(struct sipd *sd, const char *listen, char *err,
		    size_t errlen)
{
	struct addrinfo hints = {0}, *res = NULL;
	char host[64], portstr[16];
	int port, r, one = 1;

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
	setsockopt(sd->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(sd->fd, res->ai_addr, res->ai_addrlen) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot bind UDP %s: %s", listen,
			 strerror(errno));
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
	r = 0;
out:
	if (r < 0 && sd->fd >= 0) {
		close(sd->fd);
		sd->fd = -1;
	}
	freeaddrinfo(res);
	return r;
}

void
sipd_transport_close(struct sipd *sd)
{
	if (sd->fd < 0)
		return;
	daemon_unwatch(sd->d, sd->fd, NULL);
	close(sd->fd);
	sd->fd = -1;
}
