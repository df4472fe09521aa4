/*
 * stream: sipd's TCP connections (RFC 3261 18.3).  One listening socket on
 * the UDP socket's address and port takes connections in; a message for a
 * peer with no connection opens one with a non-blocking connect().  Every
 * connection is watched by the daemon loop; nothing here ever waits.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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
};

struct sipd_conn {
	struct sipd_conn *next;
	struct sipd *sd;
	int fd;
	int tp;		/* enum sipd_tp */
	int outbound;	/* we opened it */
	int connecting; /* connect() not finished */
	int dead;	/* closed; freed by st_reap() */
	int watching;	/* events now watched */
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

static int
st_same_addr(const struct sipd_target *a, const struct sipd_target *b)
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

	if (c->connecting || c->woff < c->wlen)
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

/* Closes c now; the memory goes on the next st_reap(). */
static void
st_close(struct sipd_conn *c, const char *why)
{
	if (c->dead)
		return;
	if (why)
		log_info("stream: TCP connection with %s:%d closed: %s",
			 c->host, c->port, why);
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
		free(c->wbuf);
		free(c);
	}
}

/* Writes what the socket takes.  0, or -1 once c is closed. */
static int
st_flush(struct sipd_conn *c)
{
	while (!c->connecting && c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
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

static void
st_on_io(struct daemon *d, void *arg, short revents)
{
	struct sipd_conn *c = arg;
	struct sipd *sd = c->sd;

	(void)d;
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
			log_warnx("stream: cannot connect to %s:%d over TCP: "
				  "%s; %zu bytes dropped",
				  c->host, c->port, strerror(e),
				  c->wlen - c->woff);
			st_close(c, NULL);
			goto out;
		}
		c->connecting = 0;
		log_info("stream: TCP connection to %s:%d is up", c->host,
			 c->port);
	}
	if ((revents & ZMQ_POLLOUT) && st_flush(c) < 0)
		goto out;
	if (revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
		for (int i = 0; i < 16 && !c->dead; i++) {
			ssize_t n = recv(c->fd, c->rbuf + c->rlen,
					 SIPD_MAX_MESSAGE - c->rlen, 0);
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
			if ((size_t)n < SIPD_MAX_MESSAGE - c->rlen)
				break;
		}
	}
out:
	st_reap(sd);
	sipd_run(sd);
}

static void
st_on_accept(struct daemon *d, void *arg, short revents)
{
	struct sipd *sd = arg;

	(void)d;
	(void)revents;
	for (int i = 0; i < 16; i++) {
		struct sipd_target t = {0};
		struct sipd_conn *c;
		char host[INET6_ADDRSTRLEN];
		int port, fd;

		t.len = sizeof(t.ss);
		fd = accept4(sd->stream_fd, (struct sockaddr *)&t.ss, &t.len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("stream: accept");
			break;
		}
		st_addr_str(&t.ss, host, sizeof(host), &port);
		if (sd->nconns >= ST_CONNS_MAX) {
			log_warnx("stream: TCP connection from %s:%d refused: "
				  "%d connections are open already",
				  host, port, sd->nconns);
			close(fd);
			continue;
		}
		c = st_conn_new(sd, fd, SIPD_TP_TCP, &t, 0);
		if (c == NULL) {
			close(fd);
			continue;
		}
		log_info("stream: TCP connection from %s:%d", host, port);
		st_watch(c);
	}
}

int
sipd_stream_send(struct sipd *sd, int tp, const struct sipd_target *t,
		 const char *buf, size_t len)
{
	struct sipd_conn *c;
	char to[80];
	int fd, r;

	if (tp != SIPD_TP_TCP)
		return -EPROTONOSUPPORT;
	for (c = sd->conns; c; c = c->next)
		if (!c->dead && c->tp == tp && st_same_addr(&c->peer, t))
			break;
	sipd_target_str(t, to, sizeof(to));
	if (c == NULL) {
		if (sd->nconns >= ST_CONNS_MAX) {
			log_warnx("stream: no TCP connection to %s: %d "
				  "connections are open already",
				  to, sd->nconns);
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
			log_warnx("stream: cannot connect to %s over TCP: %s",
				  to, strerror(errno));
			close(fd);
			return r;
		}
		c = st_conn_new(sd, fd, tp, t, 1);
		if (c == NULL) {
			close(fd);
			return -ENOMEM;
		}
		/* Done or not, POLLOUT says when: the loop finishes it. */
		c->connecting = 1;
		log_debug("stream: connecting to %s over TCP", to);
		st_watch(c);
	}
	r = st_queue(c, buf, len);
	if (r < 0)
		return r;
	log_debug("transport: sent %zu bytes to %s over TCP:\n%.*s", len, to,
		  (int)len, buf);
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
		else if (c->outbound && !c->connecting &&
			 now - c->last_tx > ST_PING_MS)
			st_queue(c, "\r\n\r\n", 4);
	}
	st_reap(sd);
	sd->stream_timer = daemon_timer_add(d, ST_SWEEP_MS, st_sweep_cb, sd);
}

int
sipd_stream_open(struct sipd *sd, char *err, size_t errlen)
{
	int one = 1, r;

	sd->stream_fd = socket(sd->bound.ss_family,
			       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sd->stream_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return r;
	}
	/* SO_REUSEADDR lets a restart bind past TIME_WAIT; on Linux it never
	 * lets two listeners share the port. */
	setsockopt(sd->stream_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(sd->stream_fd, (const struct sockaddr *)&sd->bound,
		 sd->boundlen) < 0 ||
	    listen(sd->stream_fd, 16) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot bind TCP %s port %d: %s%s",
			 sd->listen_host, sd->port, strerror(errno),
			 errno == EADDRINUSE ? " (is another sipd or SIP "
					       "agent running?)"
					     : "");
		close(sd->stream_fd);
		sd->stream_fd = -1;
		return r;
	}
	r = daemon_watch_fd(sd->d, sd->stream_fd, ZMQ_POLLIN, st_on_accept,
			    sd);
	if (r < 0) {
		snprintf(err, errlen, "cannot watch the TCP socket");
		close(sd->stream_fd);
		sd->stream_fd = -1;
		return r;
	}
	sd->stream_timer = daemon_timer_add(sd->d, ST_SWEEP_MS, st_sweep_cb,
					    sd);
	log_info("transport: listening on TCP %s port %d", sd->listen_host,
		 sd->port);
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
}
