/*
 * notifyd: the daemon that tells the user.  It subscribes to the events a
 * user cares about (a person picked up or may have, a false alarm, the
 * phone rung again, a value the company asked for, the expected wait, the
 * end or failure of the call) and to apid's call_started, whose company
 * name and device it remembers per call.  Each event is routed ([notify]
 * route_EVENT, narrowed by [notify_devices]) to the channels set up, stored
 * in the outbox, one row per channel, and sent by the pump below: due rows
 * are leased, started on their channel, and on the channel's answer
 * removed, retried with backoff and jitter, or failed at the event's
 * deadline.  See notifyd(8).
 */
#include "notifyd.h"

#include <errno.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

/* Events that need the user within minutes: [notify] urgent_deadline_s. */
static const char *const notifyd_urgent[] = {
    "human_suspected", "human_detected", "human_retracted", "transfer_retry",
    "info_missing", NULL};

static int64_t
notifyd_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
notifyd_is_urgent(const char *event)
{
	for (int i = 0; notifyd_urgent[i]; i++)
		if (strcmp(notifyd_urgent[i], event) == 0)
			return 1;
	return 0;
}

const char *
notify_env_str(const struct notify_job *j, const char *key)
{
	json_object *v;

	if (j->env == NULL || !json_object_object_get_ex(j->env, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/* Where a channel sends, redacted, for logs and events. */
static void
notifyd_target(const struct conf *c, enum notify_channel ch, char *out,
	       size_t outlen)
{
	const char *url = NULL;

	switch (ch) {
	case NOTIFY_WEBHOOK:
		url = c->notify_webhook_url;
		break;
	case NOTIFY_EMAIL:
		url = c->notify_email_url;
		break;
	case NOTIFY_SMS:
		url = c->notify_sms_url[0] ? c->notify_sms_url
					   : "https://api.twilio.com";
		break;
	case NOTIFY_PUSH:
		url = c->notify_push_url;
		break;
	default:
		snprintf(out, outlen, "d-bus session");
		return;
	}
	notify_redact(url, out, outlen);
}

static void notifyd_pump_soon(struct notifyd *n, int64_t delay_ms);

static void
notifyd_job_free(struct notify_job *j)
{
	if (j == NULL)
		return;
	xfer_job_clear(j);
	if (j->slot)
		desktop_job_clear(j);
	json_object_put(j->env);
	free(j->event);
	free(j->call_id);
	free(j->body);
	free(j);
}

static void
notifyd_unlink(struct notifyd *n, struct notify_job *j)
{
	for (struct notify_job **p = &n->jobs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			n->njobs--;
			return;
		}
	}
}

/* Publishes notify_failed and marks the row. */
static void
notifyd_give_up(struct notifyd *n, int64_t id, const char *key,
		enum notify_channel ch, const char *event, const char *call_id,
		long status, int tries, const char *why)
{
	char target[256];
	json_object *o = json_object_new_object();

	notifyd_target(daemon_conf(n->d), ch, target, sizeof(target));
	outbox_failed(n->ob, id, why);
	n->failed++;
	log_warnx("%s: %s for call %s to %s failed after %d tr%s: %s",
		  notify_channel_name(ch), event, call_id, target, tries,
		  tries == 1 ? "y" : "ies", why);
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "channel",
			       json_object_new_string(notify_channel_name(ch)));
	json_object_object_add(o, "url", json_object_new_string(target));
	json_object_object_add(o, "id", json_object_new_string(key));
	json_object_object_add(o, "status", json_object_new_int((int)status));
	json_object_object_add(o, "tries", json_object_new_int(tries));
	json_object_object_add(o, "error", json_object_new_string(why));
	bus_publish(daemon_bus(n->d), MSG_notify_failed, call_id, o);
}

/*
 * The wait before try number tries+1: exponential from retry_min_ms,
 * capped at retry_max_ms, with "equal jitter" (half fixed, half random) so
 * a receiver coming back is not hit by every queued row at once.
 */
static int64_t
notifyd_backoff(const struct conf *c, int tries)
{
	int64_t d = c->notify_retry_min_ms;

	for (int i = 1; i < tries && d < c->notify_retry_max_ms; i++)
		d *= 2;
	if (d > c->notify_retry_max_ms)
		d = c->notify_retry_max_ms;
	return d / 2 + (int64_t)(arc4random_uniform((uint32_t)(d / 2 + 1)));
}

void
notify_done(struct notify_job *j, const struct notify_result *r)
{
	struct notifyd *n = j->n;
	const struct conf *c = daemon_conf(n->d);
	int tries = j->tries + 1;
	char target[256], why[320];
	json_object *o;

	notifyd_target(c, j->ch, target, sizeof(target));
	if (r->ok) {
		outbox_sent(n->ob, j->id);
		n->sent++;
		log_info("%s: %s for call %s delivered to %s (%ld)",
			 notify_channel_name(j->ch), j->event, j->call_id,
			 target, r->status);
		o = json_object_new_object();
		json_object_object_add(o, "event",
				       json_object_new_string(j->event));
		json_object_object_add(
		    o, "channel",
		    json_object_new_string(notify_channel_name(j->ch)));
		json_object_object_add(o, "url", json_object_new_string(target));
		json_object_object_add(o, "id", json_object_new_string(j->key));
		json_object_object_add(o, "status",
				       json_object_new_int((int)r->status));
		json_object_object_add(o, "tries", json_object_new_int(tries));
		bus_publish(daemon_bus(n->d), MSG_notify_sent, j->call_id, o);
	} else if (r->final) {
		notifyd_give_up(n, j->id, j->key, j->ch, j->event, j->call_id,
				r->status, tries, r->why);
	} else {
		int64_t now = notifyd_wall_ms(), wait = notifyd_backoff(c, tries);
		if (now + wait >= j->deadline_ms) {
			snprintf(why, sizeof(why), "deadline passed; last: %.256s",
				 r->why);
			notifyd_give_up(n, j->id, j->key, j->ch, j->event,
					j->call_id, r->status, tries, why);
		} else {
			log_warnx("%s: %s for call %s to %s failed (%s); try "
				  "%d in %lld ms",
				  notify_channel_name(j->ch), j->event,
				  j->call_id, target, r->why, tries + 1,
				  (long long)wait);
			outbox_defer(n->ob, j->id, now + wait, tries, r->why);
		}
	}
	notifyd_unlink(n, j);
	notifyd_job_free(j);
	notifyd_pump_soon(n, 0);
}

void
notify_xfer_done(struct notify_job *j, CURLcode res)
{
	struct notify_result r = {0};

	switch (j->ch) {
	case NOTIFY_EMAIL:
		curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &r.status);
		if (res == CURLE_OK) {
			r.ok = 1;
			break;
		}
		if (r.status > 0)
			snprintf(r.why, sizeof(r.why), "SMTP server replied %ld",
				 r.status);
		else
			snprintf(r.why, sizeof(r.why), "%s",
				 curl_easy_strerror(res));
		/* 5xx (and a refused login) is permanent in SMTP. */
		if (res == CURLE_LOGIN_DENIED || (r.status >= 500 && r.status < 600))
			r.final = 1;
		break;
	case NOTIFY_SMS:
		sms_result(j, res, &r);
		break;
	default:
		xfer_http_result(j, res, &r);
		break;
	}
	notify_done(j, &r);
}

struct notifyd_due {
	struct notify_job *list;
	struct notifyd *n;
};

static void
notifyd_due_cb(void *arg, int64_t id, const char *key, enum notify_channel ch,
	       const char *event, const char *call_id, const char *body,
	       int tries, int64_t deadline_ms, const char *last_error)
{
	struct notifyd_due *due = arg;
	struct notify_job *j;

	for (j = due->n->jobs; j; j = j->next)
		if (j->id == id)
			return; /* still in flight past its lease */
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->n = due->n;
	j->id = id;
	snprintf(j->key, sizeof(j->key), "%s", key);
	j->ch = ch;
	j->event = strdup(event);
	j->call_id = strdup(call_id);
	j->body = strdup(body);
	snprintf(j->last_error, sizeof(j->last_error), "%s",
		 last_error ? last_error : "");
	j->tries = tries;
	j->deadline_ms = deadline_ms;
	if (j->event == NULL || j->call_id == NULL || j->body == NULL) {
		notifyd_job_free(j);
		return;
	}
	j->next = due->list;
	due->list = j;
}

/* Starts every due row there is room for, then sets the next look. */
static void
notifyd_pump(struct daemon *d, void *arg)
{
	struct notifyd *n = arg;
	const struct conf *c = daemon_conf(d);
	struct notifyd_due due = {NULL, n};
	int64_t now = notifyd_wall_ms(), next;
	struct notify_job *j;
	char why[320];
	int r;

	n->pump = 0;
	if (n->njobs < NOTIFY_MAX_INFLIGHT)
		outbox_due(n->ob, now, NOTIFY_MAX_INFLIGHT - n->njobs,
			   notifyd_due_cb, &due);
	while ((j = due.list) != NULL) {
		due.list = j->next;
		if (now >= j->deadline_ms) {
			snprintf(why, sizeof(why), "deadline passed; last: %s",
				 j->last_error[0] ? j->last_error
				 : j->tries	  ? "none recorded"
						  : "never tried");
			notifyd_give_up(n, j->id, j->key, j->ch, j->event,
					j->call_id, 0, j->tries, why);
			notifyd_job_free(j);
			continue;
		}
		j->env = json_tokener_parse(j->body);
		/* Lease the row past this attempt's timeout: after a crash
		 * it is retried, with the same key, once the lease ends. */
		outbox_defer(n->ob, j->id,
			     now + c->notify_webhook_timeout_ms + NOTIFY_LEASE_MS,
			     j->tries + 1, NULL);
		j->next = n->jobs;
		n->jobs = j;
		n->njobs++;
		switch (j->ch) {
		case NOTIFY_WEBHOOK:
			r = webhook_start(j);
			break;
		case NOTIFY_EMAIL:
			r = smtp_start(j);
			break;
		case NOTIFY_SMS:
			r = sms_start(j);
			break;
		case NOTIFY_PUSH:
			r = push_start(j);
			break;
		case NOTIFY_DESKTOP:
			r = desktop_start(j); /* may finish j at once */
			break;
		default:
			r = -EINVAL;
		}
		if (r < 0) {
			struct notify_result res = {0};
			snprintf(res.why, sizeof(res.why),
				 "cannot start: %s", strerror(-r));
			notify_done(j, &res);
		}
	}
	if (n->pump == 0 && outbox_next(n->ob, &next) == 0) {
		next -= notifyd_wall_ms();
		/* Due rows left are in flight past their lease (or wait for
		 * room): look again later, not at once. */
		notifyd_pump_soon(n, next > 0 ? next : NOTIFY_LEASE_MS);
	} else if (n->pump == 0) {
		notifyd_pump_soon(n, NOTIFY_PUMP_MAX_MS);
	}
}

/* Runs the pump within delay_ms (sooner if it is already due sooner). */
static void
notifyd_pump_soon(struct notifyd *n, int64_t delay_ms)
{
	if (delay_ms > NOTIFY_PUMP_MAX_MS)
		delay_ms = NOTIFY_PUMP_MAX_MS;
	if (n->pump) {
		if (delay_ms > 0)
			return;
		daemon_timer_cancel(n->d, n->pump);
	}
	n->pump = daemon_timer_add(n->d, delay_ms, notifyd_pump, n);
}

/* The bus envelope as receivers see it, plus the notification's id and
 * sentence.  Caller frees. */
static char *
notifyd_envelope(const struct msg_event *ev, const char *id, const char *text,
		 const char *subject)
{
	json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "v", json_object_new_int(MSG_VERSION));
	json_object_object_add(o, "type",
			       json_object_new_string(msg_type_name(ev->type)));
	json_object_object_add(o, "call_id", json_object_new_string(ev->call_id));
	json_object_object_add(o, "ts", json_object_new_string(ev->ts));
	json_object_object_add(o, "src", json_object_new_string(ev->src));
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)ev->seq));
	json_object_object_add(o, "data", ev->data ? json_object_get(ev->data)
						   : json_object_new_object());
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_object_add(o, "subject", json_object_new_string(subject));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/* The channels an event goes to: its route, those set up, the device's. */
static unsigned
notifyd_route(struct notifyd *n, const struct msg_event *ev)
{
	const struct conf *c = daemon_conf(n->d);
	const char *route = NULL, *dev, *list;
	unsigned mask = 0, dmask;
	char bad[32];

	switch (ev->type) {
#define R(ev_)                                                                 \
	case MSG_##ev_:                                                        \
		route = c->notify_route_##ev_;                                 \
		break;
		R(human_suspected)
		R(human_detected)
		R(human_retracted)
		R(transfer_retry)
		R(info_missing)
		R(hold_eta)
		R(call_ended)
		R(call_failed)
#undef R
	default:
		return 0;
	}
	if (notify_channels_parse(route, &mask, bad, sizeof(bad)) < 0)
		return 0; /* notify_check refused it already */
	mask &= notify_channels_configured(c);
	dev = bus_json_str(ev->data, "device");
	if (dev == NULL)
		dev = notify_call_device(n, ev->call_id);
	if (dev && (list = conf_notify_device(c, dev)) != NULL &&
	    notify_channels_parse(list, &dmask, bad, sizeof(bad)) == 0)
		mask &= dmask;
	return mask;
}

static void
notifyd_enqueue(struct notifyd *n, const struct msg_event *ev)
{
	const struct conf *c = daemon_conf(n->d);
	const char *type = msg_type_name(ev->type);
	unsigned mask = notifyd_route(n, ev);
	unsigned char rnd[16];
	char id[40], key[48];
	char *text = NULL, *subject = NULL, *body = NULL;
	int64_t now = notifyd_wall_ms(), deadline;

	if (mask == 0) {
		log_debug("notify: %s for call %s goes to no channel", type,
			  ev->call_id);
		return;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		log_warnx("notify: no random bytes; %s for call %s lost", type,
			  ev->call_id);
		return;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	if (notify_text(n, type, ev->call_id, ev->data, time(NULL), &text,
			&subject) < 0 ||
	    (body = notifyd_envelope(ev, id, text, subject)) == NULL) {
		log_warnx("notify: out of memory; %s for call %s lost", type,
			  ev->call_id);
		goto out;
	}
	deadline = now + 1000LL * (notifyd_is_urgent(type)
				       ? c->notify_urgent_deadline_s
				       : c->notify_deadline_s);
	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++) {
		if (!(mask & (1u << ch)))
			continue;
		snprintf(key, sizeof(key), "%s-%s", id,
			 notify_channel_name((enum notify_channel)ch));
		if (outbox_add(n->ob, key, (enum notify_channel)ch, type,
			       ev->call_id, body, now, deadline) < 0)
			log_warnx("%s: cannot store %s for call %s",
				  notify_channel_name((enum notify_channel)ch),
				  type, ev->call_id);
	}
	notifyd_pump_soon(n, 0);
out:
	free(text);
	free(subject);
	free(body);
}

static void
notifyd_secrets_free(struct notify_secrets *s)
{
	char **all[] = {&s->webhook, &s->email, &s->sms, &s->push};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (*all[i]) {
			explicit_bzero(*all[i], strlen(*all[i]));
			free(*all[i]);
		}
		*all[i] = NULL;
	}
}

/* Reads the secret files (notify_check found them readable). */
static int
notifyd_secrets_load(struct notifyd *n, const struct conf *c)
{
	struct {
		const char *path, *key;
		char **out;
	} f[] = {
	    {c->notify_webhook_secret_file, "webhook_secret_file",
	     &n->sec.webhook},
	    {c->notify_email_password_file, "email_password_file",
	     &n->sec.email},
	    {c->notify_sms_token_file, "sms_token_file", &n->sec.sms},
	    {c->notify_push_token_file, "push_token_file", &n->sec.push},
	};

	notifyd_secrets_free(&n->sec);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i].path[0] == '\0')
			continue;
		if (notify_secret_read(f[i].path, f[i].out) < 0) {
			log_warnx("[notify] %s: cannot read %s", f[i].key,
				  f[i].path);
			return -EINVAL;
		}
	}
	return 0;
}

static int
notifyd_init(struct daemon *d, void *state)
{
	struct notifyd *n = state;
	const struct conf *c = daemon_conf(d);
	struct bus *b = daemon_bus(d);
	static const char *const api[] = {"call_started", NULL};
	static const char *const cls[] = {"human_suspected", "human_detected",
					  "human_retracted", "hold_eta", NULL};
	static const char *const sip[] = {"call_ended", "call_failed", NULL};
	static const char *const ivr[] = {"transfer_retry", "info_missing",
					  "call_failed", NULL};
	char path[PATH_MAX], err[512];
	unsigned have = notify_channels_configured(c);
	int r;

	n->d = d;
	if ((r = notifyd_secrets_load(n, c)) < 0)
		return r;
	if (c->notify_outbox[0] != '\0') {
		snprintf(path, sizeof(path), "%s", c->notify_outbox);
	} else {
		if (mkdir(c->datadir, 0700) < 0 && errno != EEXIST) {
			log_warn("outbox: mkdir %s", c->datadir);
			return -errno;
		}
		snprintf(path, sizeof(path), "%s/notify-outbox.db", c->datadir);
	}
	if ((r = outbox_open(&n->ob, path, err, sizeof(err))) < 0) {
		log_warnx("%s", err);
		return r;
	}
	if ((r = xfer_init(n)) < 0) {
		log_warnx("notify: cannot initialise libcurl");
		return r;
	}
	if ((r = desktop_new(&n->desk, n)) < 0)
		return r;
	if ((r = bus_sub_connect(b, "apid", api)) < 0 ||
	    (r = bus_sub_connect(b, "classifyd", cls)) < 0 ||
	    (r = bus_sub_connect(b, "sipd", sip)) < 0 ||
	    (r = bus_sub_connect(b, "ivrd", ivr)) < 0)
		return r;
	if (have == 0)
		log_notice("notify: no channel is set up in [notify]; events "
			   "will not be sent");
	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++) {
		char target[256];
		if (!(have & (1u << ch)))
			continue;
		notifyd_target(c, (enum notify_channel)ch, target,
			       sizeof(target));
		log_info("%s: sending to %s",
			 notify_channel_name((enum notify_channel)ch), target);
	}
	notify_calls_load(n);
	log_info("outbox: %s, %ld pending, %ld failed", path,
		 outbox_count(n->ob, 0), outbox_count(n->ob, 2));
	notifyd_pump_soon(n, 0);
	return 0;
}

static void
notifyd_event(struct daemon *d, void *state, struct bus_in *in)
{
	struct notifyd *n = state;
	const char *leg;

	(void)d;
	if (in->kind != BUS_IN_EVENT)
		return;
	switch (in->ev.type) {
	case MSG_call_started:
		notify_call_started(n, in->ev.call_id, in->ev.data);
		return;
	case MSG_call_ended:
	case MSG_call_failed:
		leg = bus_json_str(in->ev.data, "leg");
		/* The call is over when the company leg ends; a user leg
		 * that fails is ivrd's to retry. */
		if (leg != NULL && strcmp(leg, "company") != 0)
			return;
		notifyd_enqueue(n, &in->ev);
		notify_call_forget(n, in->ev.call_id);
		return;
	case MSG_human_suspected:
	case MSG_human_detected:
	case MSG_human_retracted:
	case MSG_transfer_retry:
	case MSG_info_missing:
	case MSG_hold_eta:
		notifyd_enqueue(n, &in->ev);
		return;
	default:
		return;
	}
}

static void
notifyd_status(struct daemon *d, void *state, json_object *reply)
{
	struct notifyd *n = state;
	const struct conf *c = daemon_conf(d);
	unsigned have = notify_channels_configured(c);
	json_object *chans = json_object_new_object();

	json_object_object_add(reply, "pending",
			       json_object_new_int64(outbox_count(n->ob, 0)));
	json_object_object_add(reply, "failed_total",
			       json_object_new_int64(outbox_count(n->ob, 2)));
	json_object_object_add(reply, "in_flight",
			       json_object_new_int(n->njobs));
	json_object_object_add(reply, "sent", json_object_new_int64(n->sent));
	json_object_object_add(reply, "failed",
			       json_object_new_int64(n->failed));
	for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++) {
		char target[256];
		if (!(have & (1u << ch)))
			continue;
		notifyd_target(c, (enum notify_channel)ch, target,
			       sizeof(target));
		json_object_object_add(
		    chans, notify_channel_name((enum notify_channel)ch),
		    json_object_new_string(target));
	}
	json_object_object_add(reply, "channels", chans);
}

static void
notifyd_reload(struct daemon *d, void *state, const struct conf *old)
{
	struct notifyd *n = state;

	(void)old;
	desktop_reload(n->desk);
	if (notifyd_secrets_load(n, daemon_conf(d)) < 0)
		log_warnx("reload: a secret file went away; its channel "
			  "sends without it");
}

static void
notifyd_fini(struct daemon *d, void *state)
{
	struct notifyd *n = state;

	(void)d;
	if (n->njobs > 0)
		log_notice("outbox: %d sends in flight stay queued for the next "
			   "start",
			   n->njobs);
	while (n->jobs) {
		struct notify_job *j = n->jobs;
		n->jobs = j->next;
		notifyd_job_free(j);
	}
	n->njobs = 0;
	if (n->pump)
		daemon_timer_cancel(n->d, n->pump);
	n->pump = 0;
	desktop_free(n->desk);
	n->desk = NULL;
	xfer_fini(n);
	outbox_close(n->ob);
	n->ob = NULL;
	notify_calls_free(n);
	notifyd_secrets_free(&n->sec);
}

int
main(int argc, char **argv)
{
	static struct notifyd n;
	static const struct daemon_ops ops = {
	    .name = "notifyd",
	    .summary = "notifyd tells the user what Hold Slayer did (webhook, "
		       "e-mail, SMS, desktop, push).",
	    .check = notify_check,
	    .init = notifyd_init,
	    .event = notifyd_event,
	    .status = notifyd_status,
	    .reload = notifyd_reload,
	    .fini = notifyd_fini,
	};

	return daemon_main(argc, argv, &ops, &n);
}
