/*
 * apid: main() and the bus glue.
 *
 * Threads: civetweb forces worker threads on this daemon (HTTP and
 * WebSocket handlers run on them; see http.c and ws.c).  The bus stays on
 * the main loop thread: ZeroMQ sockets are not thread-safe.  This file is
 * the main thread's side: it subscribes to every daemon's events (never
 * audio), stores each one in SQLite and updates its call (db.c), forwards
 * it to WebSocket clients (ws.c), and publishes the call_started events
 * that workers queue in the outbox (an eventfd wakes the loop).  It also
 * reads the SUB socket's monitor and tells the workers which subscriptions
 * are live (GET /api/health): events a daemon publishes before apid's
 * connection to it is up are lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apid.h"
#include "log.h"

const char *const apid_sources[APID_NSOURCES] = {
    "sipd", "mediad", "classifyd", "ivrd", "notifyd", "apid"};

void
apid_outbox_push(struct apid *a, const char *call_id, json_object *data)
{
	struct apid_outbox_item *it = calloc(1, sizeof(*it));
	uint64_t one = 1;

	if (it == NULL) {
		log_warnx("outbox: out of memory; call_started for %s lost",
			  call_id);
		json_object_put(data);
		return;
	}
	snprintf(it->call_id, sizeof(it->call_id), "%s", call_id);
	it->data = data;
	pthread_mutex_lock(&a->out_mu);
	if (a->out_tail)
		a->out_tail->next = it;
	else
		a->out_head = it;
	a->out_tail = it;
	pthread_mutex_unlock(&a->out_mu);
	if (write(a->out_fd, &one, sizeof(one)) < 0)
		log_warn("outbox: eventfd");
}

void
apid_secrets_add(struct apid *a, const char *call_id, json_object *values)
{
	struct apid_secret *s, **pp;

	if (values == NULL || json_object_array_length(values) == 0)
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warnx("secrets: out of memory");
		return;
	}
	snprintf(s->call_id, sizeof(s->call_id), "%s", call_id);
	s->values = json_object_get(values);
	pthread_mutex_lock(&a->sec_mu);
	s->next = a->secrets;
	a->secrets = s;
	if (++a->nsecrets > APID_SECRETS_MAX) {
		for (pp = &a->secrets; (*pp)->next; pp = &(*pp)->next)
			;
		json_object_put((*pp)->values);
		free(*pp);
		*pp = NULL;
		a->nsecrets--;
	}
	pthread_mutex_unlock(&a->sec_mu);
}

void
apid_secrets_scrub(struct apid *a, const char *call_id, json_object *data)
{
	pthread_mutex_lock(&a->sec_mu);
	for (struct apid_secret *s = a->secrets; s; s = s->next)
		if (strcmp(s->call_id, call_id) == 0) {
			apid_scrub(data, s->values);
			break;
		}
	pthread_mutex_unlock(&a->sec_mu);
}

/* Main thread: publishes what the workers queued. */
static void
apid_on_outbox(struct daemon *d, void *arg, short revents)
{
	struct apid *a = arg;
	struct apid_outbox_item *it;
	uint64_t n;

	(void)revents;
	if (read(a->out_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("outbox: eventfd");
	for (;;) {
		pthread_mutex_lock(&a->out_mu);
		it = a->out_head;
		if (it) {
			a->out_head = it->next;
			if (a->out_head == NULL)
				a->out_tail = NULL;
		}
		pthread_mutex_unlock(&a->out_mu);
		if (it == NULL)
			break;
		bus_publish(daemon_bus(d), MSG_call_started, it->call_id,
			    it->data);
		free(it);
	}
}

/* Main thread: the SUB socket's connections changed. */
static void
apid_on_monitor(struct daemon *d, void *arg, short revents)
{
	struct apid *a = arg;
	struct bus *bus = daemon_bus(d);
	int r;

	(void)revents;
	if ((r = bus_sub_monitor_recv(bus)) < 0) {
		log_warnx("bus: monitor: %s", zmq_strerror(-r));
		return;
	}
	for (size_t i = 0; i < APID_NSOURCES; i++)
		atomic_store(&a->subscribed[i],
			     bus_sub_connected(bus, apid_sources[i]) == 1);
}

static int
apid_init(struct daemon *d, void *state)
{
	struct apid *a = state;
	const struct conf *conf = daemon_conf(d);
	struct bus *bus = daemon_bus(d);
	char err[512];
	int r;

	a->d = d;
	a->zctx = bus->zctx;
	/* Workers read their own copy: a reload never frees it under them. */
	if (conf_load(&a->wconf, conf->path, err, sizeof(err)) < 0) {
		log_warnx("config: %s", err);
		return -EINVAL;
	}
	/* Everything apid writes (history, token) is the user's alone. */
	umask(077);
	if ((r = apid_token_load(a, a->wconf->api_token_file, err,
				 sizeof(err))) < 0) {
		log_warnx("%s", err);
		return r;
	}
	if ((r = apid_db_open(&a->db, a->wconf->api_db, err, sizeof(err))) < 0) {
		log_warnx("%s", err);
		return r;
	}
	log_info("db: %s", a->wconf->api_db);
	apid_db_devices_seed(a->db, a->wconf);
	if ((r = apid_ws_new(&a->ws)) < 0)
		return r;
	if ((r = apid_mcp_new(&a->mcp)) < 0)
		return r;
	pthread_mutex_init(&a->out_mu, NULL);
	pthread_mutex_init(&a->sec_mu, NULL);
	a->out_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->out_fd < 0) {
		log_warn("eventfd");
		return -errno;
	}
	daemon_watch_fd(d, a->out_fd, ZMQ_POLLIN, apid_on_outbox, a);
	if ((r = bus_sub_monitor(bus)) < 0)
		return r;
	daemon_watch_socket(d, bus->mon, ZMQ_POLLIN, apid_on_monitor, a);
	/* Every event type of every daemon, including our own call_started. */
	for (size_t i = 0; i < APID_NSOURCES; i++)
		if ((r = bus_sub_connect(bus, apid_sources[i], NULL)) < 0) {
			log_warnx("bus: cannot subscribe to %s", apid_sources[i]);
			return r;
		}
	return apid_http_start(a, a->wconf->api_listen, a->wconf->api_threads);
}

static void
apid_event(struct daemon *d, void *state, struct bus_in *in)
{
	struct apid *a = state;

	(void)d;
	if (in->kind != BUS_IN_EVENT)
		return;
	log_debug("event: %s %s from %s", msg_type_name(in->ev.type),
		  in->ev.call_id, in->ev.src);
	apid_seed_fields(a, &in->ev);
	/* ivrd's events may repeat a secret (the digits it pressed). */
	apid_secrets_scrub(a, in->ev.call_id, in->ev.data);
	if (apid_db_event_store(a->db, &in->ev) < 0)
		log_warnx("db: %s event for %s not stored",
			  msg_type_name(in->ev.type), in->ev.call_id);
	apid_ws_broadcast(a->ws, &in->ev);
}

static void
apid_status(struct daemon *d, void *state, json_object *reply)
{
	struct apid *a = state;

	(void)d;
	json_object_object_add(reply, "listen",
			       json_object_new_string(a->wconf->api_listen));
	json_object_object_add(reply, "db",
			       json_object_new_string(a->wconf->api_db));
}

static void
apid_reload(struct daemon *d, void *state, const struct conf *old)
{
	const struct conf *nc = daemon_conf(d);

	(void)state;
	if (strcmp(old->api_listen, nc->api_listen) != 0 ||
	    strcmp(old->api_db, nc->api_db) != 0 ||
	    strcmp(old->api_token_file, nc->api_token_file) != 0 ||
	    strcmp(old->api_allowed_origins, nc->api_allowed_origins) != 0 ||
	    strcmp(old->api_allowed_sip_hosts, nc->api_allowed_sip_hosts) != 0 ||
	    strcmp(old->api_www_dir, nc->api_www_dir) != 0 ||
	    old->api_loopback_trusted != nc->api_loopback_trusted ||
	    old->api_request_timeout_ms != nc->api_request_timeout_ms ||
	    old->api_threads != nc->api_threads)
		log_notice("reload: [api] changes take effect on restart");
}

static void
apid_fini(struct daemon *d, void *state)
{
	struct apid *a = state;

	apid_mcp_stop(a->mcp);
	apid_http_stop(a); /* joins every worker first */
	daemon_unwatch(d, -1, daemon_bus(d)->mon);
	daemon_unwatch(d, a->out_fd, NULL);
	apid_on_outbox(d, a, 0);
	close(a->out_fd);
	apid_ws_free(a->ws);
	apid_mcp_free(a->mcp);
	apid_db_close(a->db);
	conf_free(a->wconf);
	pthread_mutex_destroy(&a->out_mu);
	while (a->secrets) {
		struct apid_secret *s = a->secrets;
		a->secrets = s->next;
		json_object_put(s->values);
		free(s);
	}
	pthread_mutex_destroy(&a->sec_mu);
}

int
main(int argc, char **argv)
{
	static struct apid a = {.out_fd = -1};
	static const struct daemon_ops ops = {
	    .name = "apid",
	    .summary = "Hold Slayer REST API, WebSocket event stream and call "
		       "history",
	    .init = apid_init,
	    .event = apid_event,
	    .status = apid_status,
	    .reload = apid_reload,
	    .fini = apid_fini,
	};

	return daemon_main(argc, argv, &ops, &a);
}
