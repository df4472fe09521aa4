/*
 * webhook: JSON POSTs through libcurl's multi interface, stepped by daemon
 * timers so the loop never blocks on a slow or dead receiver.  A failed POST
 * (connection error or a non-2xx status) is retried with a growing delay,
 * WEBHOOK_MAX_TRIES times in all, then reported as notify_failed.
 */
#include "notifyd.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct webhook_job {
	struct webhook_job *next;
	struct webhook *w;
	CURL *easy;
	struct curl_slist *hdrs;
	char *url, *event, *call_id, *body;
	long timeout_ms;
	int tries;
	int active;
};

struct webhook {
	struct daemon *d;
	CURLM *multi;
	struct webhook_job *jobs;
	int64_t tick;
};

static void webhook_kick(struct webhook *w);

char *
webhook_body(const char *type, const char *call_id, const char *ts,
	     const char *src, uint64_t seq, json_object *data)
{
	json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "v", json_object_new_int(MSG_VERSION));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "call_id", json_object_new_string(call_id));
	json_object_object_add(o, "ts", json_object_new_string(ts));
	json_object_object_add(o, "src", json_object_new_string(src));
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(o, "data", data ? json_object_get(data)
					       : json_object_new_object());
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

int
webhook_new(struct webhook **out, struct daemon *d)
{
	struct webhook *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return -ENOMEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(w);
		return -EIO;
	}
	w->d = d;
	w->multi = curl_multi_init();
	if (w->multi == NULL) {
		free(w);
		return -ENOMEM;
	}
	*out = w;
	return 0;
}

static void
webhook_job_free(struct webhook_job *j)
{
	if (j->easy) {
		curl_multi_remove_handle(j->w->multi, j->easy);
		curl_easy_cleanup(j->easy);
	}
	curl_slist_free_all(j->hdrs);
	free(j->url);
	free(j->event);
	free(j->call_id);
	free(j->body);
	free(j);
}

void
webhook_free(struct webhook *w)
{
	if (w == NULL)
		return;
	while (w->jobs) {
		struct webhook_job *j = w->jobs;
		w->jobs = j->next;
		if (j->active)
			log_warnx("webhook: %s for call %s not delivered: "
				  "shutting down",
				  j->event, j->call_id);
		webhook_job_free(j);
	}
	if (w->tick)
		daemon_timer_cancel(w->d, w->tick);
	curl_multi_cleanup(w->multi);
	curl_global_cleanup();
	free(w);
}

int
webhook_pending(const struct webhook *w)
{
	int n = 0;

	for (struct webhook_job *j = w->jobs; j; j = j->next)
		n++;
	return n;
}

static size_t
webhook_discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
}

static int
webhook_start(struct webhook_job *j)
{
	char hdr[128];

	j->easy = curl_easy_init();
	if (j->easy == NULL)
		return -ENOMEM;
	j->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	snprintf(hdr, sizeof(hdr), "X-HoldSlayer-Event: %s", j->event);
	j->hdrs = curl_slist_append(j->hdrs, hdr);
	curl_easy_setopt(j->easy, CURLOPT_URL, j->url);
	curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->hdrs);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, j->timeout_ms);
	curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS, j->timeout_ms);
	curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "HoldSlayer/" HS_VERSION);
	curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, webhook_discard);
	curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
	curl_multi_add_handle(j->w->multi, j->easy);
	j->active = 1;
	j->tries++;
	return 0;
}

static void
webhook_unlink(struct webhook *w, struct webhook_job *j)
{
	for (struct webhook_job **p = &w->jobs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			return;
		}
	}
}

static void
webhook_retry_cb(struct daemon *d, void *arg)
{
	struct webhook_job *j = arg;

	(void)d;
	if (webhook_start(j) < 0) {
		log_warnx("webhook: cannot start a transfer");
		return;
	}
	webhook_kick(j->w);
}

static void
webhook_done(struct webhook *w, struct webhook_job *j, CURLcode res)
{
	long status = 0;
	char why[256];
	json_object *o;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(w->multi, j->easy);
	curl_easy_cleanup(j->easy);
	j->easy = NULL;
	curl_slist_free_all(j->hdrs);
	j->hdrs = NULL;
	j->active = 0;
	if (res == CURLE_OK && status >= 200 && status < 300) {
		log_info("webhook: %s for call %s delivered to %s (%ld)",
			 j->event, j->call_id, j->url, status);
		o = json_object_new_object();
		json_object_object_add(o, "event",
				       json_object_new_string(j->event));
		json_object_object_add(o, "url", json_object_new_string(j->url));
		json_object_object_add(o, "status",
				       json_object_new_int((int)status));
		bus_publish(daemon_bus(w->d), MSG_notify_sent, j->call_id, o);
		webhook_unlink(w, j);
		webhook_job_free(j);
		return;
	}
	if (res != CURLE_OK)
		snprintf(why, sizeof(why), "%s", curl_easy_strerror(res));
	else
		snprintf(why, sizeof(why), "HTTP status %ld", status);
	if (j->tries < WEBHOOK_MAX_TRIES) {
		int64_t delay = 500LL << (j->tries - 1);
		log_warnx("webhook: %s for call %s to %s failed (%s); try %d of "
			  "%d in %lld ms",
			  j->event, j->call_id, j->url, why, j->tries + 1,
			  WEBHOOK_MAX_TRIES, (long long)delay);
		daemon_timer_add(w->d, delay, webhook_retry_cb, j);
		return;
	}
	log_warnx("webhook: %s for call %s to %s failed after %d tries: %s",
		  j->event, j->call_id, j->url, j->tries, why);
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string(j->event));
	json_object_object_add(o, "url", json_object_new_string(j->url));
	json_object_object_add(o, "status", json_object_new_int((int)status));
	json_object_object_add(o, "error", json_object_new_string(why));
	bus_publish(daemon_bus(w->d), MSG_notify_failed, j->call_id, o);
	webhook_unlink(w, j);
	webhook_job_free(j);
}

/* Steps curl; re-arms itself every 20 ms while a transfer is in flight. */
static void
webhook_tick_cb(struct daemon *d, void *arg)
{
	struct webhook *w = arg;
	int running = 0, left;
	CURLMsg *m;

	(void)d;
	w->tick = 0;
	curl_multi_perform(w->multi, &running);
	while ((m = curl_multi_info_read(w->multi, &left)) != NULL) {
		struct webhook_job *j = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		if (j != NULL)
			webhook_done(w, j, m->data.result);
	}
	if (running > 0)
		webhook_kick(w);
}

static void
webhook_kick(struct webhook *w)
{
	if (w->tick == 0)
		w->tick = daemon_timer_add(w->d, 20, webhook_tick_cb, w);
}

int
webhook_post(struct webhook *w, const char *url, const char *event,
	     const char *call_id, const char *body, long timeout_ms)
{
	struct webhook_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return -ENOMEM;
	j->w = w;
	j->url = strdup(url);
	j->event = strdup(event);
	j->call_id = strdup(call_id);
	j->body = strdup(body);
	j->timeout_ms = timeout_ms;
	if (!j->url || !j->event || !j->call_id || !j->body ||
	    webhook_start(j) < 0) {
		webhook_job_free(j);
		return -ENOMEM;
	}
	j->next = w->jobs;
	w->jobs = j;
	webhook_kick(w);
	return 0;
}
