/*
 * xfer: the libcurl multi driver under the webhook, e-mail, SMS and push
 * channels.  curl tells us which sockets to watch and when to wake it
 * (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION); the daemon loop
 * watches them and calls curl_multi_socket_action(), so the loop never
 * waits on a slow or dead receiver or SMTP server.  Each finished transfer
 * goes back to its channel through notify_xfer_done().
 */
#include "notifyd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* One socket curl asked us to watch (its socketp). */
struct xfer_sock {
	struct notifyd *n;
	curl_socket_t fd;
};

/* Hands each finished transfer to its channel. */
static void
xfer_reap(struct notifyd *n)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(n->multi, &left)) != NULL) {
		struct notify_job *j = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		if (j != NULL)
			notify_xfer_done(j, m->data.result);
	}
}

static void
xfer_io_cb(struct daemon *d, void *arg, short revents)
{
	struct xfer_sock *xs = arg;
	struct notifyd *n = xs->n;
	int flags = 0, running;

	(void)d;
	if (revents & ZMQ_POLLIN)
		flags |= CURL_CSELECT_IN;
	if (revents & ZMQ_POLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (revents & ZMQ_POLLERR)
		flags |= CURL_CSELECT_ERR;
	/* xs may be freed inside (CURL_POLL_REMOVE): read it first. */
	curl_multi_socket_action(n->multi, xs->fd, flags, &running);
	xfer_reap(n);
}

static int
xfer_socket_cb(CURL *e, curl_socket_t fd, int what, void *userp,
	       void *socketp)
{
	struct notifyd *n = userp;
	struct xfer_sock *xs = socketp;
	short ev = 0;

	(void)e;
	if (xs != NULL)
		daemon_unwatch(n->d, fd, NULL);
	if (what == CURL_POLL_REMOVE) {
		free(xs);
		curl_multi_assign(n->multi, fd, NULL);
		return 0;
	}
	if (xs == NULL) {
		xs = calloc(1, sizeof(*xs));
		if (xs == NULL)
			return -1;
		xs->n = n;
		xs->fd = fd;
		curl_multi_assign(n->multi, fd, xs);
	}
	if (what & CURL_POLL_IN)
		ev |= ZMQ_POLLIN;
	if (what & CURL_POLL_OUT)
		ev |= ZMQ_POLLOUT;
	if (daemon_watch_fd(n->d, fd, ev, xfer_io_cb, xs) < 0) {
		log_warnx("xfer: cannot watch a socket");
		return -1;
	}
	return 0;
}

static void
xfer_timer_fire(struct daemon *d, void *arg)
{
	struct notifyd *n = arg;
	int running;

	(void)d;
	n->tick = 0;
	curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	xfer_reap(n);
}

/* curl's one timer: -1 cancels it; it must not run curl from here. */
static int
xfer_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct notifyd *n = userp;

	(void)multi;
	if (n->tick)
		daemon_timer_cancel(n->d, n->tick);
	n->tick = 0;
	if (timeout_ms >= 0)
		n->tick = daemon_timer_add(n->d, timeout_ms, xfer_timer_fire, n);
	return 0;
}

int
xfer_init(struct notifyd *n)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	n->multi = curl_multi_init();
	if (n->multi == NULL)
		return -ENOMEM;
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, xfer_socket_cb);
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, xfer_timer_cb);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
	return 0;
}

void
xfer_fini(struct notifyd *n)
{
	if (n->tick)
		daemon_timer_cancel(n->d, n->tick);
	n->tick = 0;
	if (n->multi)
		curl_multi_cleanup(n->multi);
	n->multi = NULL;
	curl_global_cleanup();
}

void
xfer_job_clear(struct notify_job *j)
{
	if (j->easy) {
		curl_multi_remove_handle(j->n->multi, j->easy);
		curl_easy_cleanup(j->easy);
		j->easy = NULL;
	}
	curl_slist_free_all(j->hdrs);
	curl_slist_free_all(j->rcpt);
	j->hdrs = j->rcpt = NULL;
	free(j->upload);
	j->upload = NULL;
	j->upload_len = j->upload_off = 0;
}

static size_t
xfer_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct notify_job *j = ud;
	size_t len = size * nmemb, room = sizeof(j->resp) - 1 - j->resp_len;

	if (len < room)
		room = len;
	memcpy(j->resp + j->resp_len, ptr, room);
	j->resp_len += room;
	j->resp[j->resp_len] = '\0';
	return len;
}

int
xfer_easy(struct notify_job *j, const char *url)
{
	const struct conf *c = daemon_conf(j->n->d);
	char hdr[96];

	j->resp_len = 0;
	j->resp[0] = '\0';
	j->easy = curl_easy_init();
	if (j->easy == NULL)
		return -ENOMEM;
	curl_easy_setopt(j->easy, CURLOPT_URL, url);
	curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS,
			 c->notify_webhook_timeout_ms);
	curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS,
			 c->notify_webhook_timeout_ms);
	curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "HoldSlayer/" HS_VERSION);
	curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
	if (c->notify_ca_file[0] != '\0')
		curl_easy_setopt(j->easy, CURLOPT_CAINFO, c->notify_ca_file);
	snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", j->key);
	j->hdrs = curl_slist_append(j->hdrs, hdr);
	snprintf(hdr, sizeof(hdr), "X-HoldSlayer-Event: %s", j->event);
	j->hdrs = curl_slist_append(j->hdrs, hdr);
	return j->hdrs ? 0 : -ENOMEM;
}

int
xfer_go(struct notify_job *j)
{
	if (j->hdrs)
		curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->hdrs);
	/* curl sets its timer from here; the transfer starts there. */
	if (curl_multi_add_handle(j->n->multi, j->easy) != CURLM_OK)
		return -EIO;
	return 0;
}

void
xfer_http_result(struct notify_job *j, CURLcode res, struct notify_result *r)
{
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (res != CURLE_OK) {
		snprintf(r->why, sizeof(r->why), "%s", curl_easy_strerror(res));
		return;
	}
	if (r->status >= 200 && r->status < 300) {
		r->ok = 1;
		return;
	}
	snprintf(r->why, sizeof(r->why), "HTTP status %ld", r->status);
	/* A request the receiver refuses will be refused again; a timeout
	 * (408), a rate limit (429) or a server fault may pass later. */
	if (r->status >= 400 && r->status < 500 && r->status != 408 &&
	    r->status != 429)
		r->final = 1;
}
