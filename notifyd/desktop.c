/*
 * desktop: the freedesktop notification channel.  notifyd calls
 * org.freedesktop.Notifications.Notify on a user's session bus ([notify]
 * desktop_bus: "session" for $DBUS_SESSION_BUS_ADDRESS, or an address such
 * as unix:path=/run/user/1000/bus) with sd-bus from libsystemd.  Calls are
 * asynchronous (sd_bus_call_method_async); the bus fd is watched by the
 * daemon loop and a timer honours sd-bus's own timeouts, so a stuck
 * notification server never blocks the loop.  The connection is made on
 * first use and again after it drops: a session that is not there yet is
 * a failed attempt, retried like any other.
 */
#include "notifyd.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "log.h"

/* How long the notification stays up, ms; urgent ones until dismissed. */
#define DESKTOP_EXPIRE_MS 60000
/* Upper bound between two looks at the bus while a call is in flight. */
#define DESKTOP_TICK_MS 1000

struct desktop {
	struct notifyd *n;
	sd_bus *bus;
	int fd;
	short events; /* what the daemon loop watches fd for */
	int64_t timer;
	int inflight;
};

static void desktop_arm(struct desktop *dk);

/*
 * Ends every call in flight as failed (to be retried): their replies
 * cannot come once the connection is gone.
 */
static void
desktop_fail_all(struct desktop *dk, const char *why)
{
	struct notify_result r = {0};
	struct notify_job *j;

	snprintf(r.why, sizeof(r.why), "%s", why);
	for (;;) {
		for (j = dk->n->jobs; j; j = j->next)
			if (j->ch == NOTIFY_DESKTOP && j->slot != NULL)
				break;
		if (j == NULL)
			return;
		notify_done(j, &r); /* frees j, drops its slot */
	}
}

static void
desktop_close(struct desktop *dk)
{
	if (dk->fd >= 0)
		daemon_unwatch(dk->n->d, dk->fd, NULL);
	dk->fd = -1;
	dk->events = 0;
	/* No flush: it would wait for the socket. */
	if (dk->bus)
		sd_bus_close_unref(dk->bus);
	dk->bus = NULL;
}

/* Runs sd-bus until it has nothing more to do, then re-arms the watch. */
static void
desktop_process(struct desktop *dk)
{
	int r;

	if (dk->bus == NULL)
		return;
	while ((r = sd_bus_process(dk->bus, NULL)) > 0)
		;
	if (r < 0) {
		log_warnx("desktop: session bus: %s", strerror(-r));
		desktop_fail_all(dk, "session bus connection lost");
		desktop_close(dk);
		return;
	}
	desktop_arm(dk);
}

static void
desktop_io_cb(struct daemon *d, void *arg, short revents)
{
	(void)d;
	(void)revents;
	desktop_process(arg);
}

static void
desktop_timer_cb(struct daemon *d, void *arg)
{
	struct desktop *dk = arg;

	(void)d;
	dk->timer = 0;
	desktop_process(dk);
}

static void
desktop_arm(struct desktop *dk)
{
	int ev;
	short want = ZMQ_POLLIN;

	if (dk->bus == NULL)
		return;
	ev = sd_bus_get_events(dk->bus);
	if (ev < 0) {
		/* closed under us: its calls will get no reply */
		desktop_fail_all(dk, "session bus connection lost");
		desktop_close(dk);
		return;
	}
	if (ev & POLLOUT)
		want |= ZMQ_POLLOUT;
	if (want != dk->events) {
		if (dk->events)
			daemon_unwatch(dk->n->d, dk->fd, NULL);
		if (daemon_watch_fd(dk->n->d, dk->fd, want, desktop_io_cb, dk) <
		    0) {
			log_warnx("desktop: cannot watch the bus fd");
			dk->events = 0;
		} else {
			dk->events = want;
		}
	}
	/* sd-bus times out calls itself, but only when processed. */
	if (dk->inflight > 0 && dk->timer == 0)
		dk->timer =
		    daemon_timer_add(dk->n->d, DESKTOP_TICK_MS, desktop_timer_cb,
				     dk);
}

static int
desktop_connect(struct desktop *dk, char *why, size_t whylen)
{
	const char *addr = daemon_conf(dk->n->d)->notify_desktop_bus;
	int r;

	if (dk->bus)
		return 0;
	if (strcmp(addr, "session") == 0) {
		addr = getenv("DBUS_SESSION_BUS_ADDRESS");
		if (addr == NULL || *addr == '\0') {
			snprintf(why, whylen, "no session bus: "
					      "DBUS_SESSION_BUS_ADDRESS is unset");
			return -ENOENT;
		}
	}
	if ((r = sd_bus_new(&dk->bus)) < 0 ||
	    (r = sd_bus_set_address(dk->bus, addr)) < 0 ||
	    (r = sd_bus_set_bus_client(dk->bus, 1)) < 0 ||
	    (r = sd_bus_set_method_call_timeout(
		 dk->bus,
		 (uint64_t)daemon_conf(dk->n->d)->notify_webhook_timeout_ms *
		     1000)) < 0 ||
	    (r = sd_bus_start(dk->bus)) < 0) {
		snprintf(why, whylen, "session bus: %s", strerror(-r));
		if (dk->bus)
			sd_bus_unref(dk->bus);
		dk->bus = NULL;
		return r;
	}
	dk->fd = sd_bus_get_fd(dk->bus);
	dk->events = 0;
	desktop_arm(dk);
	if (dk->bus == NULL) {
		snprintf(why, whylen, "session bus closed at once");
		return -ECONNRESET;
	}
	return 0;
}

int
desktop_new(struct desktop **out, struct notifyd *n)
{
	struct desktop *dk = calloc(1, sizeof(*dk));

	*out = NULL;
	if (dk == NULL)
		return -ENOMEM;
	dk->n = n;
	dk->fd = -1;
	*out = dk;
	return 0;
}

void
desktop_free(struct desktop *dk)
{
	if (dk == NULL)
		return;
	if (dk->timer)
		daemon_timer_cancel(dk->n->d, dk->timer);
	desktop_close(dk);
	free(dk);
}

static int
desktop_reply_cb(sd_bus_message *m, void *ud, sd_bus_error *ret_error)
{
	struct notify_job *j = ud;
	struct desktop *dk = j->n->desk;
	struct notify_result r = {0};
	const sd_bus_error *e;
	uint32_t id = 0;

	(void)ret_error;
	sd_bus_slot_unref(j->slot);
	j->slot = NULL;
	dk->inflight--;
	if ((e = sd_bus_message_get_error(m)) != NULL) {
		snprintf(r.why, sizeof(r.why), "%s: %s", e->name,
			 e->message ? e->message : "");
		/* A call the server refuses as malformed will be refused
		 * again; no server yet, or a timeout, may pass. */
		if (strcmp(e->name, SD_BUS_ERROR_INVALID_ARGS) == 0)
			r.final = 1;
	} else if (sd_bus_message_read(m, "u", &id) < 0) {
		snprintf(r.why, sizeof(r.why), "Notify reply has no id");
	} else {
		r.ok = 1;
		r.status = id;
	}
	notify_done(j, &r);
	return 0;
}

int
desktop_start(struct notify_job *j)
{
	struct desktop *dk = j->n->desk;
	struct notify_result res = {0};
	sd_bus_slot *slot = NULL;
	int urgent = strcmp(j->event, "human_detected") == 0 ||
		     strcmp(j->event, "transfer_retry") == 0;
	char summary[300];
	int r;

	if (desktop_connect(dk, res.why, sizeof(res.why)) < 0) {
		notify_done(j, &res);
		return 0;
	}
	snprintf(summary, sizeof(summary), "Hold Slayer: %s",
		 notify_env_str(j, "subject"));
	/* app_name, replaces_id, app_icon, summary, body, actions, hints
	 * (urgency: 2 critical, 1 normal), expire_timeout */
	r = sd_bus_call_method_async(
	    dk->bus, &slot, "org.freedesktop.Notifications",
	    "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
	    "Notify", desktop_reply_cb, j, "susssasa{sv}i", "Hold Slayer", 0u,
	    "call-start", summary, notify_env_str(j, "text"), 0, 2, "urgency",
	    "y", (uint8_t)(urgent ? 2 : 1), "x-holdslayer-id", "s", j->key,
	    (int32_t)(urgent ? 0 : DESKTOP_EXPIRE_MS));
	if (r < 0) {
		snprintf(res.why, sizeof(res.why), "Notify: %s", strerror(-r));
		notify_done(j, &res);
		if (r == -ENOTCONN || r == -ECONNRESET || r == -EPIPE) {
			/* Gone: connect afresh on the next attempt. */
			desktop_fail_all(dk, "session bus connection lost");
			desktop_close(dk);
		}
		return 0;
	}
	j->slot = slot;
	dk->inflight++;
	desktop_arm(dk);
	return 0;
}

void
desktop_reload(struct desktop *dk)
{
	/* A new desktop_bus takes effect on the next connection; one with
	 * calls in flight is left to finish them. */
	if (dk->inflight == 0)
		desktop_close(dk);
}

void
desktop_job_clear(struct notify_job *j)
{
	if (j->slot == NULL)
		return;
	sd_bus_slot_unref(j->slot);
	j->slot = NULL;
	j->n->desk->inflight--;
}
