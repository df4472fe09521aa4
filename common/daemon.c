/*
 * daemon: option parsing, signals, systemd notification and the zmq_poll()
 * event loop shared by every daemon.  See daemon.h.
 */
#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"

#define DAEMON_MAX_WATCH 256
#define DAEMON_MAX_TIMERS 16384 /* sipd: a few per call leg */

struct daemon_watch {
	int fd;
	void *zsock;
	short events;
	daemon_io_cb cb;
	void *arg;
};

struct daemon_timer {
	int64_t id;
	int64_t when;
	daemon_timer_cb cb;
	void *arg;
};

struct daemon {
	const struct daemon_ops *ops;
	void *state;
	struct conf *conf;
	struct bus *bus;
	const char *conf_path;
	int verbose;
	int sigfd;
	int stop;
	int64_t started_ms;
	struct daemon_watch watch[DAEMON_MAX_WATCH];
	int nwatch;
	struct daemon_timer timers[DAEMON_MAX_TIMERS];
	int ntimers;
	int64_t next_timer_id;
	uint64_t watchdog_usec;
	int64_t next_watchdog;
	int64_t req_timer;	/* fires at the earliest request deadline */
	int64_t req_timer_when;
	int64_t loop_max_gap;	/* ms: the longest turn between two polls */
};

const struct conf *
daemon_conf(struct daemon *d)
{
	return d->conf;
}

struct bus *
daemon_bus(struct daemon *d)
{
	return d->bus;
}

void
daemon_stop(struct daemon *d)
{
	d->stop = 1;
}

static int
daemon_add_watch(struct daemon *d, int fd, void *zsock, short events,
		 daemon_io_cb cb, void *arg)
{
	if (d->nwatch >= DAEMON_MAX_WATCH)
		return -ENOSPC;
	d->watch[d->nwatch++] = (struct daemon_watch){fd, zsock, events, cb, arg};
	return 0;
}

int
daemon_watch_fd(struct daemon *d, int fd, short events, daemon_io_cb cb,
		void *arg)
{
	return daemon_add_watch(d, fd, NULL, events, cb, arg);
}

int
daemon_watch_socket(struct daemon *d, void *zsock, short events,
		    daemon_io_cb cb, void *arg)
{
	return daemon_add_watch(d, -1, zsock, events, cb, arg);
}

void
daemon_unwatch(struct daemon *d, int fd, void *zsock)
{
	for (int i = 0; i < d->nwatch; i++) {
		if ((zsock != NULL && d->watch[i].zsock == zsock) ||
		    (zsock == NULL && fd >= 0 && d->watch[i].fd == fd &&
		     d->watch[i].zsock == NULL)) {
			d->watch[i] = d->watch[--d->nwatch];
			i--;
		}
	}
}

int64_t
daemon_timer_add(struct daemon *d, int64_t delay_ms, daemon_timer_cb cb,
		 void *arg)
{
	if (d->ntimers >= DAEMON_MAX_TIMERS)
		return -ENOSPC;
	d->timers[d->ntimers] = (struct daemon_timer){
	    ++d->next_timer_id, msg_mono_ms() + (delay_ms > 0 ? delay_ms : 0),
	    cb, arg};
	d->ntimers++;
	return d->next_timer_id;
}

void
daemon_timer_cancel(struct daemon *d, int64_t id)
{
	for (int i = 0; i < d->ntimers; i++) {
		if (d->timers[i].id == id) {
			d->timers[i] = d->timers[--d->ntimers];
			return;
		}
	}
}

static void daemon_req_arm(struct daemon *d, int64_t when);

static void
daemon_req_timer_cb(struct daemon *d, void *arg)
{
	(void)arg;
	d->req_timer = 0;
	d->req_timer_when = 0;
	daemon_req_arm(d, bus_async_expire(d->bus, msg_mono_ms()));
}

/* Keeps one timer at the earliest request deadline (when, or -1: none). */
static void
daemon_req_arm(struct daemon *d, int64_t when)
{
	int64_t id;

	if (when < 0 || (d->req_timer > 0 && d->req_timer_when <= when))
		return;
	if (d->req_timer > 0)
		daemon_timer_cancel(d, d->req_timer);
	d->req_timer = 0;
	id = daemon_timer_add(d, when - msg_mono_ms(), daemon_req_timer_cb,
			      NULL);
	if (id < 0) {
		log_warnx("loop: no timer left for request deadlines");
		return;
	}
	d->req_timer = id;
	d->req_timer_when = when;
}

static void
daemon_on_peer(struct daemon *d, void *arg, short revents)
{
	(void)revents;
	bus_async_recv(d->bus, arg);
}

int64_t
daemon_request(struct daemon *d, const char *daemon, json_object *req,
	       int timeout_ms, void *owner, bus_reply_cb cb, void *arg,
	       char *err, size_t errlen)
{
	void *sock = NULL;
	int64_t n;

	if (timeout_ms <= 0)
		timeout_ms = (int)d->conf->ctl_timeout_ms;
	n = bus_async_send(d->bus, daemon, req, timeout_ms, owner, cb, arg,
			   &sock, err, errlen);
	if (sock != NULL && daemon_watch_socket(d, sock, ZMQ_POLLIN,
						daemon_on_peer, sock) < 0)
		log_warnx("loop: cannot watch the socket to %s", daemon);
	if (n > 0)
		daemon_req_arm(d, msg_mono_ms() + timeout_ms);
	return n;
}

void
daemon_request_cancel(struct daemon *d, const void *owner)
{
	bus_async_cancel(d->bus, owner);
}

int64_t
daemon_loop_max_gap_ms(const struct daemon *d)
{
	return d->loop_max_gap;
}

/* Runs due timers; returns ms until the next one (or -1 for none). */
static long
daemon_run_timers(struct daemon *d)
{
	int64_t now = msg_mono_ms(), next = -1;

	for (int i = 0; i < d->ntimers;) {
		if (d->timers[i].when <= now) {
			struct daemon_timer t = d->timers[i];
			d->timers[i] = d->timers[--d->ntimers];
			t.cb(d, t.arg);
			now = msg_mono_ms();
			/* Slot i now holds another timer; one the callback
			 * moved behind i waits for the next turn. */
			continue;
		}
		i++;
	}
	for (int i = 0; i < d->ntimers; i++)
		if (next < 0 || d->timers[i].when < next)
			next = d->timers[i].when;
	if (d->watchdog_usec) {
		if (now >= d->next_watchdog) {
			sd_notify(0, "WATCHDOG=1");
			d->next_watchdog =
			    now + (int64_t)(d->watchdog_usec / 2000);
		}
		if (next < 0 || d->next_watchdog < next)
			next = d->next_watchdog;
	}
	return next < 0 ? -1 : (long)(next > now ? next - now : 0);
}

static void
daemon_usage(const struct daemon_ops *ops, FILE *fp)
{
	fprintf(fp, "usage: %s [-hnVv] [-f file]%s%s\n", ops->name,
		ops->usage ? " " : "", ops->usage ? ops->usage : "");
}

static void
daemon_help(const struct daemon_ops *ops)
{
	daemon_usage(ops, stdout);
	printf("%s\n\n", ops->summary);
	printf("  -f file  read this configuration file (default %s)\n",
	       conf_default_path());
	printf("  -h       show this help and exit\n");
	printf("  -n       check the configuration and exit\n");
	printf("  -V       show the version and exit\n");
	printf("  -v       log more (repeat for debug)\n");
	if (ops->options_help)
		printf("%s", ops->options_help);
	printf("\nSee %s(8) and holdslayer.conf(5).\n", ops->name);
}

static void
daemon_reload(struct daemon *d)
{
	struct conf *nc;
	char err[512] = "";
	int lvl;

	if (conf_load(&nc, d->conf_path, err, sizeof(err)) < 0) {
		log_warnx("reload: %s; keeping the old configuration", err);
		return;
	}
	if (d->ops->check && d->ops->check(nc, err, sizeof(err)) < 0) {
		log_warnx("reload: %s; keeping the old configuration", err);
		conf_free(nc);
		return;
	}
	{
		/* Bus endpoints are bound once; say so if they changed. */
		static const char *names[] = {"sipd",	   "mediad", "classifyd",
					      "ivrd",	   "apid",   "notifyd"};
		for (size_t i = 0; i < 6; i++)
			for (int k = 0; k < 2; k++) {
				const char *kind = k ? "ctl" : "pub";
				if (strcmp(conf_endpoint(d->conf, names[i], kind),
					   conf_endpoint(nc, names[i], kind)))
					log_notice("reload: [bus] %s_%s changed; "
						   "it takes effect on restart",
						   names[i], kind);
			}
	}
	struct conf *old = d->conf;
	d->conf = nc;
	bus_set_conf(d->bus, nc);
	if (log_level_parse(nc->log_level, &lvl) == 0)
		log_set_level(d->verbose ? LOG_LVL_DEBUG : lvl);
	if (d->ops->reload)
		d->ops->reload(d, d->state, old);
	conf_free(old);
	log_info("reloaded %s", d->conf_path ? d->conf_path : "(defaults)");
}

static void
daemon_on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			sd_notify(0, "RELOADING=1");
			daemon_reload(d);
			sd_notify(0, "READY=1");
			break;
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: stopping", (int)si.ssi_signo);
			d->stop = 1;
			break;
		}
	}
}

static void
daemon_on_ctl(struct daemon *d)
{
	struct bus_ctl_req req;
	int r;

	for (int n = 0; n < 64; n++) {
		r = bus_ctl_recv(d->bus, &req);
		if (r == -EAGAIN)
			return;
		if (r < 0)
			continue;
		log_debug("ctl: %s", json_object_to_json_string(req.req));
		if (strcmp(req.cmd, "ping") == 0) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "daemon",
					       json_object_new_string(d->ops->name));
			json_object_object_add(o, "version",
					       json_object_new_string(HS_VERSION));
			bus_ctl_reply_ok(d->bus, &req, o);
		} else if (strcmp(req.cmd, "status") == 0 && d->ops->status) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "daemon",
					       json_object_new_string(d->ops->name));
			json_object_object_add(
			    o, "uptime_s",
			    json_object_new_int64((msg_mono_ms() - d->started_ms) /
						  1000));
			d->ops->status(d, d->state, o);
			bus_ctl_reply_ok(d->bus, &req, o);
		} else if (d->ops->ctl == NULL ||
			   (r = d->ops->ctl(d, d->state, &req)) == -ENOENT) {
			bus_ctl_reply_err(d->bus, &req, 400,
					  "%s: unknown command '%s'",
					  d->ops->name, req.cmd);
		}
		bus_ctl_req_clear(&req);
	}
}

static void
daemon_on_sub(struct daemon *d)
{
	static struct bus_in in; /* large; one loop per process */
	int r;

	for (int n = 0; n < 256; n++) {
		r = bus_sub_recv(d->bus, &in);
		if (r == -EAGAIN)
			return;
		if (r < 0)
			continue;
		if (d->ops->event)
			d->ops->event(d, d->state, &in);
		bus_in_clear(&in);
	}
}

static int
daemon_loop(struct daemon *d)
{
	zmq_pollitem_t items[DAEMON_MAX_WATCH + 3];
	struct daemon_watch snap[DAEMON_MAX_WATCH];

	int64_t woke = 0;

	while (!d->stop) {
		long timeout = daemon_run_timers(d);
		int n = 0, nw = d->nwatch;

		if (d->stop)
			break;
		items[n++] = (zmq_pollitem_t){d->bus->ctl, 0, ZMQ_POLLIN, 0};
		items[n++] = (zmq_pollitem_t){d->bus->sub, 0, ZMQ_POLLIN, 0};
		items[n++] = (zmq_pollitem_t){NULL, d->sigfd, ZMQ_POLLIN, 0};
		memcpy(snap, d->watch, sizeof(snap[0]) * (size_t)nw);
		for (int i = 0; i < nw; i++)
			items[n++] = (zmq_pollitem_t){snap[i].zsock, snap[i].fd,
						      snap[i].events, 0};
		if (woke > 0 && msg_mono_ms() - woke > d->loop_max_gap)
			d->loop_max_gap = msg_mono_ms() - woke;
		if (zmq_poll(items, n, timeout) < 0) {
			woke = 0;
			if (errno == EINTR)
				continue;
			log_warnx("loop: zmq_poll: %s", zmq_strerror(errno));
			return -errno;
		}
		woke = msg_mono_ms();
		if (items[2].revents)
			daemon_on_signal(d);
		if (items[0].revents)
			daemon_on_ctl(d);
		if (items[1].revents)
			daemon_on_sub(d);
		for (int i = 0; i < nw; i++) {
			if (!items[3 + i].revents)
				continue;
			/* Skip watches removed by an earlier callback. */
			int live = 0;
			for (int j = 0; j < d->nwatch; j++)
				if (d->watch[j].cb == snap[i].cb &&
				    d->watch[j].arg == snap[i].arg &&
				    d->watch[j].fd == snap[i].fd &&
				    d->watch[j].zsock == snap[i].zsock)
					live = 1;
			if (live)
				snap[i].cb(d, snap[i].arg, items[3 + i].revents);
		}
	}
	return 0;
}

int
daemon_main(int argc, char **argv, const struct daemon_ops *ops, void *state)
{
	struct daemon *d;
	char optstring[128];
	char err[512] = "";
	int c, check = 0, lvl, rc = 1;
	sigset_t mask;
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		fatalx("out of memory");
	d->ops = ops;
	d->state = state;
	d->sigfd = -1;
	d->started_ms = msg_mono_ms();
	log_init(ops->name, LOG_LVL_INFO);
	snprintf(optstring, sizeof(optstring), "f:hnVv%s",
		 ops->optstring ? ops->optstring : "");
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			d->conf_path = optarg;
			break;
		case 'h':
			daemon_help(ops);
			rc = 0;
			goto out;
		case 'n':
			check = 1;
			break;
		case 'V':
			printf("%s %s\n", ops->name, HS_VERSION);
			rc = 0;
			goto out;
		case 'v':
			d->verbose++;
			break;
		default:
			if (ops->option && c != '?' &&
			    ops->option(state, c, optarg) == 0)
				break;
			daemon_usage(ops, stderr);
			goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", ops->name,
			argv[optind]);
		daemon_usage(ops, stderr);
		goto out;
	}
	if (d->conf_path == NULL && access(conf_default_path(), F_OK) == 0)
		d->conf_path = conf_default_path();
	if (conf_load(&d->conf, d->conf_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "<3>%s: config: %s\n", ops->name, err);
		goto out;
	}
	if (ops->check && ops->check(d->conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "<3>%s: config: %s\n", ops->name, err);
		goto out;
	}
	if (check) {
		printf("%s: configuration OK\n",
		       d->conf_path ? d->conf_path : "(built-in defaults)");
		rc = 0;
		goto out;
	}
	log_level_parse(d->conf->log_level, &lvl);
	log_init(ops->name, d->verbose ? LOG_LVL_DEBUG : lvl);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		fatal("sigprocmask");
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		fatal("signalfd");
	if (bus_new(&d->bus, d->conf, ops->name, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		goto out;
	}
	if (ops->init && ops->init(d, state) < 0) {
		log_warnx("start-up failed");
		goto out;
	}
	if (sd_watchdog_enabled(0, &d->watchdog_usec) <= 0)
		d->watchdog_usec = 0;
	sd_notify(0, "READY=1");
	log_info("%s %s ready (pub %s, ctl %s)", ops->name, HS_VERSION,
		 conf_endpoint(d->conf, ops->name, "pub"),
		 conf_endpoint(d->conf, ops->name, "ctl"));
	rc = daemon_loop(d) < 0 ? 1 : 0;
	sd_notify(0, "STOPPING=1");
	if (ops->fini)
		ops->fini(d, state);
	/* What fini asked (sipd's leg_close) gets its answer, briefly. */
	bus_async_flush(d->bus, (int)d->conf->ctl_timeout_ms);
	log_info("stopped");
out:
	bus_free(d->bus);
	conf_free(d->conf);
	if (d->sigfd >= 0)
		close(d->sigfd);
	free(d);
	return rc;
}
