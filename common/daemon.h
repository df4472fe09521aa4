/*
 * daemon: the lifecycle shared by every Hold Slayer daemon.
 *
 * daemon_main() parses the standard options (-f FILE, -n, -v, -h, -V),
 * loads the configuration, binds the bus, blocks SIGTERM/SIGINT/SIGHUP into
 * a signalfd and runs one single-threaded event loop on zmq_poll() over the
 * bus sockets, the signalfd and whatever fds and sockets the daemon adds.
 * It tells systemd READY=1 after init, WATCHDOG=1 at half the watchdog
 * interval, STOPPING=1 on the way out.  SIGHUP parses a fresh config,
 * validates it and swaps it in (a bad file keeps the old one and says why);
 * SIGTERM and SIGINT stop cleanly.  Every daemon answers the control
 * commands "ping" and "status" without extra code.
 */
#ifndef HS_DAEMON_H
#define HS_DAEMON_H

#include <json-c/json.h>
#include <stdint.h>

#include "bus.h"
#include "conf.h"

struct daemon;

struct daemon_ops {
	const char *name;	/* "sipd"; also the bus name */
	const char *summary;	/* one line for --help */
	/* Extra getopt letters (e.g. "x:") and their usage text. */
	const char *optstring;
	const char *usage;	/* e.g. "[-x FILE]"; NULL if none */
	const char *options_help; /* lines appended to --help */
	/* Called for each extra option; return <0 to fail with usage. */
	int (*option)(void *state, int c, const char *arg);
	/*
	 * Checks the daemon's own part of a loaded config beyond the key
	 * table (a key that needs another, a file that must be readable):
	 * run by -n, at start-up and before a reload is swapped in.  On error
	 * returns <0 with one line naming the file, section and key in err.
	 */
	int (*check)(const struct conf *c, char *err, size_t errlen);
	/* After the bus is up and before READY=1.  <0 aborts start-up. */
	int (*init)(struct daemon *d, void *state);
	/*
	 * A control request other than ping.  Reply through bus_ctl_reply_ok
	 * or bus_ctl_reply_err; return -ENOENT for an unknown command (the
	 * caller replies with an error naming it).
	 */
	int (*ctl)(struct daemon *d, void *state, struct bus_ctl_req *req);
	/* One message from the SUB socket. */
	void (*event)(struct daemon *d, void *state, struct bus_in *in);
	/* Fills the "status" reply with daemon-specific members. */
	void (*status)(struct daemon *d, void *state, json_object *reply);
	/* After a successful reload; old is freed when this returns. */
	void (*reload)(struct daemon *d, void *state, const struct conf *old);
	/* On the way out, before the bus is closed. */
	void (*fini)(struct daemon *d, void *state);
};

/* Runs the daemon; returns the process exit status. */
int daemon_main(int argc, char **argv, const struct daemon_ops *ops,
		void *state);

/* Borrowed: valid until the next reload (re-read it after one). */
const struct conf *daemon_conf(struct daemon *d);
struct bus *daemon_bus(struct daemon *d);

typedef void (*daemon_io_cb)(struct daemon *d, void *arg, short revents);
typedef void (*daemon_timer_cb)(struct daemon *d, void *arg);

/* Watches a file descriptor (ZMQ_POLLIN / ZMQ_POLLOUT). */
int daemon_watch_fd(struct daemon *d, int fd, short events, daemon_io_cb cb,
		    void *arg);
/* Watches a ZeroMQ socket. */
int daemon_watch_socket(struct daemon *d, void *zsock, short events,
			daemon_io_cb cb, void *arg);
/* Stops watching fd (or socket when fd < 0). */
void daemon_unwatch(struct daemon *d, int fd, void *zsock);

/*
 * Runs cb once after delay_ms (monotonic).  Returns a timer id > 0, or a
 * negative errno.  daemon_timer_cancel() accepts ids that already fired.
 */
int64_t daemon_timer_add(struct daemon *d, int64_t delay_ms,
			 daemon_timer_cb cb, void *arg);
void daemon_timer_cancel(struct daemon *d, int64_t id);

/*
 * A control request to another daemon from the loop, without waiting
 * (bus.h, "Asynchronous control requests", has the whole contract).  The
 * loop watches the peer's socket and runs cb(arg, ...) from a later turn
 * with the reply, the peer's error or a timeout after timeout_ms (<= 0: the
 * configured ctl_timeout_ms).  req is borrowed.  Returns a request number
 * (> 0), or a negative errno with err set and no callback to come.
 * daemon_request_cancel() forgets every pending request of owner without
 * calling back: call it before freeing what the callbacks would touch.
 * Requests still pending when the loop stops get up to ctl_timeout_ms,
 * after the fini hook, to be answered.
 */
int64_t daemon_request(struct daemon *d, const char *daemon, json_object *req,
		       int timeout_ms, void *owner, bus_reply_cb cb, void *arg,
		       char *err, size_t errlen);
void daemon_request_cancel(struct daemon *d, const void *owner);

/*
 * The longest time, in ms, between two consecutive polls of the loop (the
 * work of one turn, callbacks and timers included): how long a datagram or
 * a request may have waited for the daemon.
 */
int64_t daemon_loop_max_gap_ms(const struct daemon *d);

/* Asks the loop to stop after the current turn. */
void daemon_stop(struct daemon *d);

#ifndef HS_VERSION
#define HS_VERSION "0.1.0"
#endif

#endif
