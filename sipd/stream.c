/*
 * stream: sipd's TCP and TLS connections (RFC 3261 18.3, 26.2).  One
 * listening socket on the UDP socket's address and port takes TCP
 * connections in, another on [sip] tls_listen takes TLS ones; a message
 * for a peer with no connection opens one with a non-blocking connect()
 * and, for TLS, a handshake driven by the loop (SSL_ERROR_WANT_READ and
 * WANT_WRITE say which way to watch).  An outgoing TLS connection checks
 * the server's certificate against the system's CAs or [sip] tls_ca_file /
 * tls_ca_path and the name dialled (SNI carries it too), or, for the
 * [trunk] with tls_fingerprint, against that SHA-256 fingerprint alone; a
 * connection that fails before it is up fails the call waiting on it with
 * the reason (dialog.c).  Every connection is watched by the daemon loop;
 * nothing here ever waits.
 * Messages are framed by their Content-Length (mandatory on a stream): the
 * stream is split here and each whole message goes to transport.c as a
 * datagram would.  osip's send callback is synchronous, so a message is
 * appended to the connection's write buffer and written as the socket
 * accepts it.  Connections are reused per destination, both ways: a
 * response goes back on the connection its request came in on (RFC 5923's
 * reuse, found by the request's source address and port).  RFC 5626's
 * keepalive: a double CRLF ping is answered with a single CRLF pong, and a
 * connection we opened is pinged when quiet.  Buffers and the number of
 * connections are bounded; a peer sending garbage, a message over
 * SIPD_MAX_MESSAGE or more than it reads loses its connection, with a log
 * line saying why.
 */
#include "sipd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"

/* Tuning, each in the user's terms. */
enum {
	/* Connections open at once, both ways; the next is refused. */
	ST_CONNS_MAX = 64,
	/* Bytes queued for a peer that does not read; beyond: closed. */
	ST_WBUF_MAX = 256 * 1024,
	/* A connection with no traffic either way this long is closed. */
	ST_IDLE_MS = 600 * 1000,
	/* A connection we opened is pinged (CRLFCRLF) when this quiet. */
	ST_PING_MS = 90 * 1000,
	/* How often the idle and ping deadlines are looked at. */
	ST_SWEEP_MS = 1000,
	/* How long a closed TLS peer is remembered: a late response to it
	 * is dropped rather than sent in the clear (64*T1 covers any
	 * transaction). */
	ST_GONE_MS = 32000,
};
#define ST_GONE_MAX SIPD_TLS_GONE_MAX

struct sipd_conn {
	struct sipd_conn *next;
	struct sipd *sd;
	int fd;
	int tp;		/* enum sipd_tp */
	int outbound;	/* we opened it */
	int connecting; /* connect() not finished */
	int dead;	/* closed; freed by st_reap() */
	int watching;	/* events now watched */
	SSL *ssl;	/* TLS only */
	int handshaking; /* TLS handshake not finished */
	int want_write;	/* the last SSL call needs the socket writable */
	int pinned;	/* checked by fingerprint, not by the CAs */
	unsigned char pin[EVP_MAX_MD_SIZE];
	char name[256];	/* the name dialled (SNI, verification) */
	char fail[200];	/* why it closed before it was up */
	struct sipd_target peer;
	char host[INET6_ADDRSTRLEN];
	int port;
	int64_t last_rx, last_tx;
	size_t rlen;
	char rbuf[SIPD_MAX_MESSAGE + 1];
	char *wbuf;
	size_t wlen, woff, wcap;
};

static void st_on_io(struct daemon *d, void *arg, short revents);

static void
st_addr_str(const struct sockaddr_storage *ss, char *out, size_t len,
	    int *port)
{
	*port = 0;
	snprintf(out, len, "?");
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, out, (socklen_t)len);
		*port = ntohs(s->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, out, (socklen_t)len);
		*port = ntohs(s->sin6_port);
	}
}

int
sipd_target_same(const struct sipd_target *a, const struct sipd_target *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return 0;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)&a->ss;
		const struct sockaddr_in *y = (const struct sockaddr_in *)&b->ss;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *x =
		    (const struct sockaddr_in6 *)&a->ss;
		const struct sockaddr_in6 *y =
		    (const struct sockaddr_in6 *)&b->ss;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr,
			      sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

/* Watches POLLIN, plus POLLOUT while connecting or while bytes wait. */
static void
st_watch(struct sipd_conn *c)
{
	short ev = ZMQ_POLLIN;

	if (c->connecting || c->want_write ||
	    (!c->handshaking && c->woff < c->wlen))
		ev |= ZMQ_POLLOUT;
	if (c->watching == ev)
		return;
	if (c->watching)
		daemon_unwatch(c->sd->d, c->fd, NULL);
	c->watching = 0;
	if (daemon_watch_fd(c->sd->d, c->fd, ev, st_on_io, c) == 0)
		c->watching = ev;
	else
		log_warnx("stream: cannot watch the connection with %s:%d",
			  c->host, c->port);
}

static const char *
st_tp_name(int tp)
{
	return tp == SIPD_TP_TLS ? "TLS" : "TCP";
}

/* Closes c now; the memory goes on the next st_reap(), which also tells
 * the dialog layer when c failed before it was up. */
static void
st_close(struct sipd_conn *c, const char *why)
{
	if (c->dead)
		return;
	if (why)
		log_info("stream: %s connection with %s:%d closed: %s",
			 st_tp_name(c->tp), c->host, c->port, why);
	if (c->outbound && (c->connecting || c->handshaking))
		snprintf(c->fail, sizeof(c->fail), "%s", why ? why : "closed");
	if (c->tp == SIPD_TP_TLS) {
		struct sipd *sd = c->sd;
		sd->tls_gone[sd->tls_gone_next % ST_GONE_MAX].peer = c->peer;
		sd->tls_gone[sd->tls_gone_next % ST_GONE_MAX].at =
		    msg_mono_ms();
		sd->tls_gone_next++;
	}
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->watching)
		daemon_unwatch(c->sd->d, c->fd, NULL);
	c->watching = 0;
	close(c->fd);
	c->fd = -1;
	c->dead = 1;
	c->sd->nconns--;
}

static void
st_reap(struct sipd *sd)
{
	struct sipd_conn **pp = &sd->conns;

	while (*pp) {
		struct sipd_conn *c = *pp;
		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		if (c->fail[0])
			sipd_dialog_conn_failed(sd, &c->peer, c->tp, c->fail);
		free(c->wbuf);
		free(c);
	}
}

/* Writes what the socket takes.  0, or -1 once c is closed. */
static int
st_flush(struct sipd_conn *c)
{
	while (!c->connecting && !c->handshaking && c->woff < c->wlen) {
		ssize_t n;
		if (c->ssl) {
			int w = SSL_write(c->ssl, c->wbuf + c->woff,
					  (int)(c->wlen - c->woff));
			if (w <= 0) {
				int e = SSL_get_error(c->ssl, w);
				char why[160];
				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ) {
					c->want_write =
					    e == SSL_ERROR_WANT_WRITE;
					break;
				}
				ERR_error_string_n(ERR_get_error(), why,
						   sizeof(why));
				st_close(c, why);
				return -1;
			}
			c->want_write = 0;
			c->woff += (size_t)w;
			c->last_tx = msg_mono_ms();
			continue;
		}
		n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
			 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			st_close(c, strerror(errno));
			return -1;
		}
		c->woff += (size_t)n;
		c->last_tx = msg_mono_ms();
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	st_watch(c);
	return 0;
}

/* Appends len bytes to c's write buffer and writes what it can. */
static int
st_queue(struct sipd_conn *c, const char *buf, size_t len)
{
	if (len == 0) /* only opening the connection */
		return st_flush(c) == 0 ? 0 : -EPIPE;
	if (c->woff > 0 && c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (c->wlen - c->woff + len > ST_WBUF_MAX) {
		st_close(c, "the peer does not read what is sent to it");
		return -ENOBUFS;
	}
	if (c->wlen + len > c->wcap) {
		size_t cap;
		char *nb;
		/* Slide what is left to the front before growing. */
		if (c->woff > 0) {
			memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
			c->wlen -= c->woff;
			c->woff = 0;
		}
		cap = c->wcap ? c->wcap : 4096;
		while (cap < c->wlen + len)
			cap *= 2;
		if (cap != c->wcap) {
			nb = realloc(c->wbuf, cap);
			if (nb == NULL)
				return -ENOMEM;
			c->wbuf = nb;
			c->wcap = cap;
		}
	}
	memcpy(c->wbuf + c->wlen, buf, len);
	c->wlen += len;
	return st_flush(c) == 0 ? 0 : -EPIPE;
}

static struct sipd_conn *
st_conn_new(struct sipd *sd, int fd, int tp, const struct sipd_target *t,
	    int outbound)
{
	struct sipd_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (tp == SIPD_TP_TLS) {
		c->ssl = SSL_new(outbound ? sd->tls_client : sd->tls_server);
		if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
			SSL_free(c->ssl);
			free(c);
			return NULL;
		}
		c->handshaking = 1;
		if (outbound)
			SSL_set_connect_state(c->ssl);
		else
			SSL_set_accept_state(c->ssl);
	}
	c->sd = sd;
	c->fd = fd;
	c->tp = tp;
	c->outbound = outbound;
	c->peer = *t;
	c->last_rx = c->last_tx = msg_mono_ms();
	st_addr_str(&t->ss, c->host, sizeof(c->host), &c->port);
	c->next = sd->conns;
	sd->conns = c;
	sd->nconns++;
	return c;
}

/*
 * The length of the message at the start of buf[0..len) (headers up to the
 * blank line plus Content-Length), 0 if more bytes are needed, or -1 with
 * why set if the stream cannot hold a SIP message there.
 */
static long
st_frame(const char *buf, size_t len, const char **why)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	const char *p, *line;
	long cl = -1;

	if (end == NULL) {
		if (len >= SIPD_MAX_MESSAGE) {
			*why = "a header section over the largest message "
			       "allowed";
			return -1;
		}
		return 0;
	}
	/* Each header line after the start line: Content-Length or l. */
	for (line = memchr(buf, '\n', (size_t)(end - buf)); line && line < end;
	     line = memchr(line, '\n', (size_t)(end + 2 - line))) {
		size_t nl;
		line++;
		p = line;
		if (strncasecmp(p, "content-length", 14) == 0)
			nl = 14;
		else if ((*p == 'l' || *p == 'L') &&
			 (p[1] == ':' || p[1] == ' ' || p[1] == '\t'))
			nl = 1;
		else
			continue;
		p += nl;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ':')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9') {
			*why = "a Content-Length that is not a number";
			return -1;
		}
		cl = 0;
		while (*p >= '0' && *p <= '9' && cl <= SIPD_MAX_MESSAGE)
			cl = cl * 10 + (*p++ - '0');
		break;
	}
	if (cl < 0) {
		*why = "a message without Content-Length (RFC 3261 18.3)";
		return -1;
	}
	if ((end - buf) + 4 + cl > SIPD_MAX_MESSAGE) {
		*why = "a message over the largest allowed";
		return -1;
	}
	if ((size_t)((end - buf) + 4 + cl) > len)
		return 0;
	return (end - buf) + 4 + cl;
}

/* Splits c->rbuf into messages and hands each to transport.c. */
static void
st_split(struct sipd_conn *c)
{
	struct sipd *sd = c->sd;
	char msg[SIPD_MAX_MESSAGE + 1];

	while (!c->dead && c->rlen > 0) {
		const char *why = NULL;
		long n;

		/* RFC 5626 4.4.1: CRLFCRLF is a ping (answered CRLF), a lone
		 * CRLF a pong or padding between messages. */
		if (c->rbuf[0] == '\r') {
			if (c->rlen >= 4 && memcmp(c->rbuf, "\r\n\r\n", 4) == 0) {
				log_debug("stream: ping from %s:%d", c->host,
					  c->port);
				memmove(c->rbuf, c->rbuf + 4, c->rlen - 4);
				c->rlen -= 4;
				st_queue(c, "\r\n", 2);
				continue;
			}
			if (c->rlen < 4 &&
			    memcmp(c->rbuf, "\r\n\r\n", c->rlen) == 0)
				break; /* maybe a ping, not whole yet */
			if (c->rlen >= 2 && c->rbuf[1] == '\n') {
				memmove(c->rbuf, c->rbuf + 2, c->rlen - 2);
				c->rlen -= 2;
				continue;
			}
		}
		n = st_frame(c->rbuf, c->rlen, &why);
		if (n < 0) {
			log_warnx("stream: %s:%d sent %s; closing its "
				  "connection",
				  c->host, c->port, why);
			st_close(c, NULL);
			return;
		}
		if (n == 0)
			break;
		memcpy(msg, c->rbuf, (size_t)n);
		msg[n] = '\0';
		memmove(c->rbuf, c->rbuf + n, c->rlen - (size_t)n);
		c->rlen -= (size_t)n;
		sipd_transport_input(sd, msg, (size_t)n, c->host, c->port,
				     c->tp);
	}
}

/* The peer's certificate against c's pin.  0 if it matches. */
static int
st_pin_check(struct sipd_conn *c, char *why, size_t whylen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	X509 *peer = SSL_get1_peer_certificate(c->ssl);
	int ok;

	if (peer == NULL) {
		snprintf(why, whylen, "the server sent no certificate");
		return -1;
	}
	ok = X509_digest(peer, EVP_sha256(), md, &mdlen) == 1 &&
	     mdlen == 32 && memcmp(md, c->pin, 32) == 0;
	X509_free(peer);
	if (!ok) {
		snprintf(why, whylen, "the server's certificate does not "
				      "match [trunk] tls_fingerprint");
		return -1;
	}
	return 0;
}

/* One step of c's TLS handshake.  0 (done or waiting: c->handshaking
 * says), or -1 once c is closed with the reason. */
static int
st_handshake(struct sipd_conn *c)
{
	char why[200], err[160];
	int r = SSL_do_handshake(c->ssl), e;

	if (r == 1) {
		if (c->pinned && st_pin_check(c, err, sizeof(err)) < 0) {
			snprintf(why, sizeof(why), "TLS with %.64s failed: %.100s",
				 c->name, err);
			log_warnx("stream: %s:%d: %s", c->host, c->port, why);
			st_close(c, why);
			return -1;
		}
		c->handshaking = 0;
		c->want_write = 0;
		log_info("stream: TLS connection %s %s:%d is up (%s, %s)",
			 c->outbound ? "to" : "from", c->host, c->port,
			 SSL_get_version(c->ssl),
			 !c->outbound ? "client not verified"
			 : c->pinned  ? "fingerprint matched"
				      : "certificate verified");
		return 0;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->want_write = e == SSL_ERROR_WANT_WRITE;
		return 0;
	}
	if (SSL_get_verify_result(c->ssl) != X509_V_OK)
		snprintf(err, sizeof(err), "certificate verify failed: %s",
			 X509_verify_cert_error_string(
			     SSL_get_verify_result(c->ssl)));
	else if (ERR_peek_error() != 0)
		ERR_error_string_n(ERR_get_error(), err, sizeof(err));
	else
		snprintf(err, sizeof(err), "the connection was closed");
	ERR_clear_error();
	snprintf(why, sizeof(why), "TLS handshake with %.64s failed: %.100s",
		 c->name[0] ? c->name : c->host, err);
	log_warnx("stream: %s:%d: %s", c->host, c->port, why);
	st_close(c, why);
	return -1;
}

/* Reads into c->rbuf: bytes read, 0 at the peer's close, -1 on an error
 * (errno set), -2 when TLS waits for more from the socket. */
static ssize_t
st_tls_read(struct sipd_conn *c)
{
	int n = SSL_read(c->ssl, c->rbuf + c->rlen,
			 (int)(SIPD_MAX_MESSAGE - c->rlen)),
	    e;

	if (n > 0)
		return n;
	e = SSL_get_error(c->ssl, n);
	if (e == SSL_ERROR_WANT_READ)
		return -2;
	if (e == SSL_ERROR_WANT_WRITE) {
		c->want_write = 1;
		st_watch(c);
		return -2;
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	ERR_clear_error();
	errno = ECONNRESET;
	return -1;
}

/* What the socket of c is ready for (ZMQ_POLL* bits): one step of its
 * connect, handshake, writes and reads.  c may be closed on return, never
 * freed. */
static void
st_io(struct sipd_conn *c, short revents)
{
	if (c->dead)
		return;
	if (c->connecting) {
		int e = 0;
		socklen_t el = sizeof(e);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e == EINPROGRESS || e == EALREADY ||
		    (e == 0 && !(revents & (ZMQ_POLLOUT | ZMQ_POLLERR))))
			return;
		if (e != 0) {
			char why[160];
			snprintf(why, sizeof(why), "cannot connect over %s: %s",
				 st_tp_name(c->tp), strerror(e));
			log_warnx("stream: %s:%d: %s; %zu bytes dropped",
				  c->host, c->port, why, c->wlen - c->woff);
			st_close(c, why);
			return;
		}
		c->connecting = 0;
		if (c->ssl == NULL)
			log_info("stream: TCP connection to %s:%d is up",
				 c->host, c->port);
	}
	if (c->handshaking) {
		if (st_handshake(c) < 0 || c->handshaking) {
			if (!c->dead)
				st_watch(c);
			return;
		}
		revents |= ZMQ_POLLOUT | ZMQ_POLLIN;
	}
	if ((revents & ZMQ_POLLOUT || c->want_write) && st_flush(c) < 0)
		return;
	if (revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
		for (int i = 0; i < 64 && !c->dead; i++) {
			ssize_t n;
			if (c->ssl) {
				n = st_tls_read(c);
				if (n == -2)
					break;
			} else {
				n = recv(c->fd, c->rbuf + c->rlen,
					 SIPD_MAX_MESSAGE - c->rlen, 0);
			}
			if (n == 0) {
				st_close(c, "closed by the peer");
				break;
			}
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN && errno != EWOULDBLOCK)
					st_close(c, strerror(errno));
				break;
			}
			c->rlen += (size_t)n;
			c->last_rx = msg_mono_ms();
			st_split(c);
			/* TLS may hold decrypted bytes the socket no longer
			 * signals: read until it says WANT_READ. */
			if (c->ssl == NULL &&
			    (size_t)n < SIPD_MAX_MESSAGE - c->rlen)
				break;
		}
	}
}

static void
st_on_io(struct daemon *d, void *arg, short revents)
{
	struct sipd_conn *c = arg;
	struct sipd *sd = c->sd;

	(void)d;
	st_io(c, revents);
	st_reap(sd);
	sipd_run(sd);
}

int
sipd_stream_poll(struct sipd *sd, int udp_fd, int timeout_ms)
{
	struct pollfd p[ST_CONNS_MAX + 1];
	struct sipd_conn *cs[ST_CONNS_MAX + 1];
	int n = 0, r;

	p[n++] = (struct pollfd){.fd = udp_fd, .events = POLLIN};
	for (struct sipd_conn *c = sd->conns; c && n <= ST_CONNS_MAX;
	     c = c->next) {
		if (c->dead)
			continue;
		cs[n] = c;
		p[n++] = (struct pollfd){
		    .fd = c->fd,
		    .events = (short)(POLLIN | (c->watching & ZMQ_POLLOUT
						    ? POLLOUT
						    : 0))};
	}
	r = poll(p, (nfds_t)n, timeout_ms);
	if (r <= 0)
		return 0;
	for (int i = 1; i < n; i++) {
		short ev = 0;
		if (p[i].revents & POLLIN)
			ev |= ZMQ_POLLIN;
		if (p[i].revents & POLLOUT)
			ev |= ZMQ_POLLOUT;
		if (p[i].revents & (POLLERR | POLLHUP))
			ev |= ZMQ_POLLERR | ZMQ_POLLIN;
		if (ev)
			st_io(cs[i], ev);
	}
	st_reap(sd);
	return udp_fd >= 0 && (p[0].revents & POLLIN);
}

/* Takes the connections waiting on a listening socket of transport tp. */
static void
st_accept(struct sipd *sd, int lfd, int tp)
{
	for (int i = 0; i < 16; i++) {
		struct sipd_target t = {0};
		struct sipd_conn *c;
		char host[INET6_ADDRSTRLEN];
		int port, fd;

		t.len = sizeof(t.ss);
		fd = accept4(lfd, (struct sockaddr *)&t.ss, &t.len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("stream: accept");
			break;
		}
		st_addr_str(&t.ss, host, sizeof(host), &port);
		if (sd->nconns >= ST_CONNS_MAX) {
			log_warnx("stream: %s connection from %s:%d refused: "
				  "%d connections are open already",
				  st_tp_name(tp), host, port, sd->nconns);
			close(fd);
			continue;
		}
		c = st_conn_new(sd, fd, tp, &t, 0);
		if (c == NULL) {
			close(fd);
			continue;
		}
		log_info("stream: %s connection from %s:%d", st_tp_name(tp),
			 host, port);
		st_watch(c);
	}
}

static void
st_on_accept_tcp(struct daemon *d, void *arg, short revents)
{
	struct sipd *sd = arg;

	(void)d;
	(void)revents;
	st_accept(sd, sd->stream_fd, SIPD_TP_TCP);
}

static void
st_on_accept_tls(struct daemon *d, void *arg, short revents)
{
	struct sipd *sd = arg;

	(void)d;
	(void)revents;
	st_accept(sd, sd->tls_fd, SIPD_TP_TLS);
}

/* 1 if hostport ("host[:port]", "[v6]:port") names name at port (no port
 * given: any). */
static int
st_hostport_is(const char *hostport, const char *name, int port)
{
	char host[256];
	const char *e, *pp;
	size_t n;

	if (hostport[0] == '[' && (e = strchr(hostport, ']')) != NULL) {
		n = (size_t)(e - hostport - 1);
		pp = e[1] == ':' ? e + 2 : NULL;
	} else {
		e = strchr(hostport, ':');
		n = e ? (size_t)(e - hostport) : strlen(hostport);
		pp = e ? e + 1 : NULL;
	}
	if (n >= sizeof(host))
		return 0;
	memcpy(host, hostport[0] == '[' ? hostport + 1 : hostport, n);
	host[n] = '\0';
	return strcasecmp(host, name) == 0 && (pp == NULL || atoi(pp) == port);
}

/*
 * [trunk] tls_fingerprint ("AB:CD:..." or plain hex, SHA-256) into out[32]
 * when name:port is the trunk's proxy or outbound proxy.  1 if c is to be
 * pinned, 0 if not, -1 if the fingerprint is malformed.
 */
static int
st_trunk_pin(struct sipd *sd, const char *name, int port, unsigned char *out)
{
	const struct conf *cf = daemon_conf(sd->d);
	const char *f = cf->trunk_tls_fingerprint;
	char ob[256];
	size_t n = 0;

	if (f[0] == '\0')
		return 0;
	if (!(sd->trunk.domain[0] &&
	      st_hostport_is(sd->trunk.domain, name, port)) &&
	    !(cf->trunk_outbound_proxy[0] &&
	      sipd_uri_hostport(cf->trunk_outbound_proxy, ob, sizeof(ob)) ==
		  0 &&
	      st_hostport_is(ob, name, port)))
		return 0;
	for (; *f && n < 32; f++) {
		unsigned v;
		if (*f == ':')
			continue;
		if (sscanf(f, "%2x", &v) != 1 || f[1] == '\0')
			return -1;
		out[n++] = (unsigned char)v;
		f++;
	}
	return n == 32 && *f == '\0' ? 1 : -1;
}

/* Sets up c's TLS client side: SNI and the name (or address) checked. */
static int
st_tls_client(struct sipd *sd, struct sipd_conn *c, const char *name)
{
	struct in6_addr a6;
	struct in_addr a4;
	int numeric, pin;

	snprintf(c->name, sizeof(c->name), "%s", name && *name ? name : c->host);
	numeric = inet_pton(AF_INET, c->name, &a4) == 1 ||
		  inet_pton(AF_INET6, c->name, &a6) == 1;
	pin = st_trunk_pin(sd, c->name, c->port, c->pin);
	if (pin < 0) {
		log_warnx("stream: [trunk] tls_fingerprint is not a SHA-256 "
			  "fingerprint (32 hex bytes)");
		return -EINVAL;
	}
	if (pin) {
		/* The pin alone decides: a trunk's self-signed
		 * certificate is fine when its fingerprint matches. */
		c->pinned = 1;
		SSL_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
	} else if (numeric) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
						  c->name) != 1)
			return -EINVAL;
	} else if (SSL_set1_host(c->ssl, c->name) != 1) {
		return -EINVAL;
	}
	/* RFC 6066 3: no address literal in SNI. */
	if (!numeric && SSL_set_tlsext_host_name(c->ssl, c->name) != 1)
		return -EINVAL;
	return 0;
}

int
sipd_stream_tls_gone(const struct sipd *sd, const struct sipd_target *t)
{
	int64_t now = msg_mono_ms();

	for (size_t i = 0; i < ST_GONE_MAX; i++)
		if (sd->tls_gone[i].at > 0 &&
		    now - sd->tls_gone[i].at < ST_GONE_MS &&
		    sipd_target_same(&sd->tls_gone[i].peer, t))
			return 1;
	return 0;
}

int
sipd_stream_has(struct sipd *sd, int tp, const struct sipd_target *t)
{
	for (struct sipd_conn *c = sd->conns; c; c = c->next)
		if (!c->dead && c->tp == tp && sipd_target_same(&c->peer, t))
			return 1;
	return 0;
}

int
sipd_stream_send(struct sipd *sd, int tp, const struct sipd_target *t,
		 const char *name, const char *buf, size_t len)
{
	struct sipd_conn *c;
	char to[80];
	int fd, r;

	if (tp != SIPD_TP_TCP && tp != SIPD_TP_TLS)
		return -EPROTONOSUPPORT;
	for (c = sd->conns; c; c = c->next)
		if (!c->dead && c->tp == tp && sipd_target_same(&c->peer, t))
			break;
	sipd_target_str(t, to, sizeof(to));
	if (c == NULL) {
		if (sd->nconns >= ST_CONNS_MAX) {
			log_warnx("stream: no %s connection to %s: %d "
				  "connections are open already",
				  st_tp_name(tp), to, sd->nconns);
			return -ENOBUFS;
		}
		fd = socket(t->ss.ss_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			r = -errno;
			log_warn("stream: socket");
			return r;
		}
		if (connect(fd, (const struct sockaddr *)&t->ss, t->len) < 0 &&
		    errno != EINPROGRESS) {
			r = -errno;
			log_warnx("stream: cannot connect to %s over %s: %s",
				  to, st_tp_name(tp), strerror(errno));
			close(fd);
			return r;
		}
		c = st_conn_new(sd, fd, tp, t, 1);
		if (c == NULL) {
			close(fd);
			return -ENOMEM;
		}
		if (c->ssl && st_tls_client(sd, c, name) < 0) {
			log_warnx("stream: cannot set up TLS to %s", to);
			st_close(c, NULL);
			return -EINVAL;
		}
		/* Done or not, POLLOUT says when: the loop finishes it. */
		c->connecting = 1;
		log_debug("stream: connecting to %s over %s", to,
			  st_tp_name(tp));
		st_watch(c);
	}
	r = st_queue(c, buf, len);
	if (r < 0)
		return r;
	log_debug("transport: sent %zu bytes to %s over %s:\n%.*s", len, to,
		  st_tp_name(tp), (int)len, buf);
	return 0;
}

static void
st_sweep_cb(struct daemon *d, void *arg)
{
	struct sipd *sd = arg;
	int64_t now = msg_mono_ms();

	for (struct sipd_conn *c = sd->conns; c; c = c->next) {
		int64_t last = c->last_rx > c->last_tx ? c->last_rx : c->last_tx;
		if (c->dead)
			continue;
		if (now - last > ST_IDLE_MS)
			st_close(c, "idle");
		else if (c->outbound && !c->connecting && !c->handshaking &&
			 now - c->last_tx > ST_PING_MS)
			st_queue(c, "\r\n\r\n", 4);
	}
	st_reap(sd);
	sd->stream_timer = daemon_timer_add(d, ST_SWEEP_MS, st_sweep_cb, sd);
}

/* A listening socket on ss for what (TCP or TLS), watched with cb. */
static int
st_listen(struct sipd *sd, const struct sockaddr *sa, socklen_t salen,
	  const char *what, const char *host, int port, daemon_io_cb cb,
	  int *out, char *err, size_t errlen)
{
	int one = 1, r, fd;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return r;
	}
	/* SO_REUSEADDR lets a restart bind past TIME_WAIT; on Linux it never
	 * lets two listeners share the port. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, sa, salen) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot bind %s %s port %d: %s%s", what,
			 host, port, strerror(errno),
			 errno == EADDRINUSE ? " (is another sipd or SIP "
					       "agent running?)"
					     : "");
		close(fd);
		return r;
	}
	r = daemon_watch_fd(sd->d, fd, ZMQ_POLLIN, cb, sd);
	if (r < 0) {
		snprintf(err, errlen, "cannot watch the %s socket", what);
		close(fd);
		return r;
	}
	*out = fd;
	log_info("transport: listening on %s %s port %d", what, host, port);
	return 0;
}

/* The client context (always: sips: may be dialled) and, with [sip]
 * tls_listen, the server one with its certificate and key. */
static int
st_tls_init(struct sipd *sd, char *err, size_t errlen)
{
	const struct conf *cf = daemon_conf(sd->d);
	char e[160];

	sd->tls_client = SSL_CTX_new(TLS_client_method());
	if (sd->tls_client == NULL) {
		snprintf(err, errlen, "cannot make a TLS context");
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(sd->tls_client, TLS1_2_VERSION);
	SSL_CTX_set_mode(sd->tls_client, SSL_MODE_ENABLE_PARTIAL_WRITE |
				       SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(sd->tls_client, SSL_VERIFY_PEER, NULL);
	if (cf->sip_tls_ca_file[0] || cf->sip_tls_ca_path[0]) {
		if (SSL_CTX_load_verify_locations(
			sd->tls_client,
			cf->sip_tls_ca_file[0] ? cf->sip_tls_ca_file : NULL,
			cf->sip_tls_ca_path[0] ? cf->sip_tls_ca_path : NULL) !=
		    1) {
			ERR_error_string_n(ERR_get_error(), e, sizeof(e));
			snprintf(err, errlen,
				 "[sip] tls_ca_file '%s' / tls_ca_path '%s': "
				 "%s",
				 cf->sip_tls_ca_file, cf->sip_tls_ca_path, e);
			return -EINVAL;
		}
	} else if (SSL_CTX_set_default_verify_paths(sd->tls_client) != 1) {
		log_warnx("stream: the system's CA certificates cannot be "
			  "loaded; sips: calls will fail verification");
	}
	if (cf->sip_tls_listen[0] == '\0')
		return 0;
	if (cf->sip_tls_cert[0] == '\0' || cf->sip_tls_key[0] == '\0') {
		snprintf(err, errlen,
			 "[sip] tls_listen needs tls_cert and tls_key");
		return -EINVAL;
	}
	sd->tls_server = SSL_CTX_new(TLS_server_method());
	if (sd->tls_server == NULL) {
		snprintf(err, errlen, "cannot make a TLS context");
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(sd->tls_server, TLS1_2_VERSION);
	SSL_CTX_set_mode(sd->tls_server, SSL_MODE_ENABLE_PARTIAL_WRITE |
				       SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(sd->tls_server,
					       cf->sip_tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sd->tls_server, cf->sip_tls_key,
					SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(sd->tls_server) != 1) {
		ERR_error_string_n(ERR_get_error(), e, sizeof(e));
		snprintf(err, errlen, "[sip] tls_cert '%s' / tls_key '%s': %s",
			 cf->sip_tls_cert, cf->sip_tls_key, e);
		return -EINVAL;
	}
	return 0;
}

int
sipd_stream_open(struct sipd *sd, char *err, size_t errlen)
{
	const struct conf *cf = daemon_conf(sd->d);
	int r;

	r = st_tls_init(sd, err, errlen);
	if (r < 0)
		return r;
	r = st_listen(sd, (const struct sockaddr *)&sd->bound, sd->boundlen,
		      "TCP", sd->listen_host, sd->port, st_on_accept_tcp,
		      &sd->stream_fd, err, errlen);
	if (r < 0)
		return r;
	if (cf->sip_tls_listen[0]) {
		struct addrinfo hints = {0}, *res = NULL;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[64], portstr[16];
		int port;

		if (sipd_hostport_parse(cf->sip_tls_listen, host, sizeof(host),
					&port) < 0) {
			snprintf(err, errlen,
				 "[sip] tls_listen '%s' is not ADDRESS:PORT",
				 cf->sip_tls_listen);
			return -EINVAL;
		}
		snprintf(portstr, sizeof(portstr), "%d", port);
		hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, portstr, &hints, &res) != 0 ||
		    res == NULL) {
			snprintf(err, errlen,
				 "[sip] tls_listen '%s': '%s' is not a numeric "
				 "address",
				 cf->sip_tls_listen, host);
			return -EINVAL;
		}
		r = st_listen(sd, res->ai_addr, res->ai_addrlen, "TLS", host,
			      port, st_on_accept_tls, &sd->tls_fd, err,
			      errlen);
		freeaddrinfo(res);
		if (r < 0)
			return r;
		if (getsockname(sd->tls_fd, (struct sockaddr *)&ss, &sl) == 0)
			st_addr_str(&ss, host, sizeof(host), &sd->tls_port);
	}
	sd->stream_timer = daemon_timer_add(sd->d, ST_SWEEP_MS, st_sweep_cb,
					    sd);
	return 0;
}

void
sipd_stream_close(struct sipd *sd)
{
	for (struct sipd_conn *c = sd->conns; c; c = c->next) {
		/* What is queued gets one last chance, without waiting. */
		if (!c->dead && !c->connecting)
			st_flush(c);
		st_close(c, NULL);
		c->fail[0] = '\0';
	}
	st_reap(sd);
	if (sd->stream_timer > 0)
		daemon_timer_cancel(sd->d, sd->stream_timer);
	sd->stream_timer = 0;
	if (sd->stream_fd >= 0) {
		daemon_unwatch(sd->d, sd->stream_fd, NULL);
		close(sd->stream_fd);
	}
	sd->stream_fd = -1;
	if (sd->tls_fd >= 0) {
		daemon_unwatch(sd->d, sd->tls_fd, NULL);
		close(sd->tls_fd);
	}
	sd->tls_fd = -1;
	SSL_CTX_free(sd->tls_client);
	SSL_CTX_free(sd->tls_server);
	sd->tls_client = sd->tls_server = NULL;
}
