/*
 * xfer: the libcurl multi driver under the webhook, e-mail, SMS and push
 * channels.  Transfers are stepped by a daemon timer while any is in
 * flight, so the loop never waits on a slow or dead receiver or SMTP
 * server; each finished transfer goes back to its channel through
 * notify_xfer_done().
 */
#include "notifyd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* How often a transfer in flight is stepped. */
#define XFER_TICK_MS 20

int
xfer_init(struct notifyd *n)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	n->multi = curl_multi_init();
	return n->multi ? 0 : -ENOMEM;
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

static void xfer_kick(struct notifyd *n);

/* Steps curl; re-arms itself while a transfer is in flight. */
static void
xfer_tick_cb(struct daemon *d, void *arg)
{
	struct notifyd *n = arg;
	int running = 0, left;
	CURLMsg *m;

	(void)d;
	n->tick = 0;
	curl_multi_perform(n->multi, &running);
	while ((m = curl_multi_info_read(n->multi, &left)) != NULL) {
		struct notify_job *j = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		if (j != NULL)
			notify_xfer_done(j, m->data.result);
	}
	if (running > 0)
		xfer_kick(n);
}

static void
xfer_kick(struct notifyd *n)
{
	if (n->tick == 0)
		n->tick = daemon_timer_add(n->d, XFER_TICK_MS, xfer_tick_cb, n);
}

int
xfer_go(struct notify_job *j)
{
	if (j->hdrs)
		curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->hdrs);
	if (curl_multi_add_handle(j->n->multi, j->easy) != CURLM_OK)
		return -EIO;
	xfer_kick(j->n);
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
