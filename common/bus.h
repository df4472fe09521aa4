/*
 * bus: the ZeroMQ seams between daemons (DESIGN.md section 4).
 *
 * Every daemon owns one struct bus: a bound PUB socket for its events, a
 * bound ROUTER socket for control requests, and one SUB socket that it
 * connects to the PUB endpoints of the daemons it listens to.  Control
 * requests are JSON objects {"cmd":"...","id":"...",...}; replies are
 * {"id":...,"ok":true,...} or {"id":...,"ok":false,"error":"clear text"}.
 * Callers always time out ([general] ctl_timeout_ms, default 2000) and say
 * which daemon did not answer; they never hang.
 */
#ifndef HS_BUS_H
#define HS_BUS_H

#include <json-c/json.h>
#include <zmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "msg.h"

#define BUS_SUB_MAX 16 /* daemons one SUB socket can be connected to */
#define BUS_PEER_MAX 8 /* daemons one bus sends asynchronous requests to */

/* One daemon the SUB socket was connected to by bus_sub_connect(). */
struct bus_sub_src {
	char daemon[16];
	char ep[256];	/* its PUB endpoint */
	bool connected; /* valid only with the monitor (bus_sub_monitor) */
};

/* One daemon asked with bus_async_send(): a DEALER kept for its life. */
struct bus_peer {
	char daemon[16];
	char ep[256]; /* its ROUTER endpoint */
	void *sock;   /* DEALER connected to ep */
};

struct bus_pending; /* one request in flight (bus.c) */

struct bus {
	void *zctx;
	void *pub;  /* bound PUB */
	void *ctl;  /* bound ROUTER */
	void *sub;  /* SUB, connected with bus_sub_connect() */
	void *mon;  /* PAIR reading the SUB socket's monitor, or NULL */
	const struct conf *conf; /* borrowed; updated by bus_set_conf() */
	char src[16];
	uint64_t seq;
	struct bus_sub_src subs[BUS_SUB_MAX];
	size_t nsubs;
	struct bus_peer peers[BUS_PEER_MAX];
	size_t npeers;
	struct bus_pending *pending; /* requests in flight, oldest first */
	struct bus_pending *pending_tail;
	size_t npending;
	uint64_t next_req; /* last correlation number used */
};

/*
 * Creates the context and binds daemon's PUB and ROUTER endpoints from conf
 * (creating the run directory for ipc:// endpoints).  conf is borrowed and
 * must outlive the bus.  Returns 0 or a negative errno; on error, err says
 * which endpoint failed.
 */
int bus_new(struct bus **out, const struct conf *conf, const char *daemon,
	    char *err, size_t errlen);
void bus_free(struct bus *b);
void bus_set_conf(struct bus *b, const struct conf *conf);

/* Publishes an event.  data is consumed (json_object_put), may be NULL. */
int bus_publish(struct bus *b, enum msg_type type, const char *call_id,
		json_object *data);
/* Publishes one audio frame (topic "audio"). */
int bus_publish_audio(struct bus *b, const char *call_id, int leg,
		      uint32_t seq, uint32_t rtp_ts, const int16_t *pcm,
		      size_t n);

/*
 * Connects the SUB socket to daemon's PUB endpoint and subscribes to the
 * given topics (NULL-terminated; NULL or an empty list subscribes to every
 * event type of the table, never to audio).  Safe to call before the other
 * daemon runs: ZeroMQ connects when it appears and reconnects after a
 * restart.
 */
int bus_sub_connect(struct bus *b, const char *daemon,
		    const char *const *topics);
/* Adds one more topic prefix to the SUB socket (e.g. "audio"). */
int bus_sub_topic(struct bus *b, const char *topic);

/*
 * Subscription state (opt-in).  ZeroMQ drops whatever a PUB sends before
 * the subscriber's connection to it is up, so a daemon that must not miss
 * the first events of a call can tell when each source is live.
 * bus_sub_monitor() starts a monitor on the SUB socket; call it before the
 * first bus_sub_connect() (-EALREADY after).  b->mon then becomes readable
 * (ZMQ_POLLIN; watch it with daemon_watch_socket) whenever the connection
 * to a source changes; bus_sub_monitor_recv() reads what is queued without
 * blocking and returns how many sources changed state (>= 0) or a negative
 * errno.  A source counts as connected once the ZeroMQ handshake with its
 * PUB succeeded: the subscriptions are then on their way, and the PUB
 * applies them when it next sends (within a millisecond or so).  It counts
 * as not connected again when that connection drops or closes.  Like every
 * bus socket, b->mon belongs to the thread that polls the bus.
 */
int bus_sub_monitor(struct bus *b);
int bus_sub_monitor_recv(struct bus *b);
/*
 * 1 if the SUB socket's connection to daemon's PUB is established, 0 if
 * not, -ENOENT if bus_sub_connect() never connected to daemon, -ENOTSUP
 * without the monitor.
 */
int bus_sub_connected(const struct bus *b, const char *daemon);

enum bus_in_kind { BUS_IN_EVENT, BUS_IN_AUDIO };

struct bus_in {
	enum bus_in_kind kind;
	struct msg_event ev;	    /* kind == BUS_IN_EVENT */
	struct msg_audio_hdr audio; /* kind == BUS_IN_AUDIO */
	int16_t pcm[MSG_AUDIO_MAX_SAMPLES];
};

/*
 * Receives one message from the SUB socket without blocking.  Returns 0 with
 * *in filled (release with bus_in_clear()), -EAGAIN when nothing is queued,
 * or -EINVAL for a malformed message, which is logged and dropped.
 */
int bus_sub_recv(struct bus *b, struct bus_in *in);
void bus_in_clear(struct bus_in *in);

/* A control request received on the ROUTER socket. */
struct bus_ctl_req {
	unsigned char ident[256];
	size_t identlen;
	int delim;	   /* the client sent an empty delimiter frame */
	char id[64];	   /* correlation id ("" if none) */
	char cmd[64];	   /* the command */
	json_object *req;  /* owned: the whole request object */
};

/*
 * Receives one control request without blocking.  Returns 0 with *req
 * filled, -EAGAIN when none is queued, or -EINVAL when the request was
 * malformed (already answered with an error).  Release with
 * bus_ctl_req_clear().
 */
int bus_ctl_recv(struct bus *b, struct bus_ctl_req *req);
void bus_ctl_req_clear(struct bus_ctl_req *req);
/* Replies ok:true with the members of body (consumed, may be NULL). */
int bus_ctl_reply_ok(struct bus *b, const struct bus_ctl_req *req,
		     json_object *body);
/* Replies ok:false with error text.  code (0: none) is added as "code". */
int bus_ctl_reply_err(struct bus *b, const struct bus_ctl_req *req, int code,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Sends req (borrowed; an "id" is added when missing) to daemon's control
 * endpoint and waits at most timeout_ms (<= 0: the configured
 * ctl_timeout_ms) for the reply.
 *   0           *reply is the reply object with ok:true (caller puts it)
 *   -EREMOTEIO  the daemon answered ok:false; *reply is set, err holds its
 *               error text
 *   -ETIMEDOUT  no answer: err says "<daemon> is unreachable: no reply on
 *               <endpoint> within N ms"
 * Usable from any thread with its own zctx (it makes a DEALER socket per
 * call).
 */
int bus_call(void *zctx, const struct conf *conf, const char *daemon,
	     json_object *req, int timeout_ms, json_object **reply, char *err,
	     size_t errlen);
/* bus_call on b's context and conf. */
int bus_request(struct bus *b, const char *daemon, json_object *req,
		json_object **reply, char *err, size_t errlen);

/*
 * Asynchronous control requests, for code on a daemon's loop (the model is
 * libre's sip_request(..., resph, arg)).  The bus keeps one DEALER per peer
 * daemon, made on the first request and reused: ZeroMQ connects it in the
 * background and reconnects it after the peer restarts; a request sent
 * while the peer is down waits in the socket's queue and is answered when
 * the peer is back, unless its deadline passes first (it is then still
 * delivered when the peer is back, and its reply dropped: a caller whose
 * request has an effect undoes it, as sipd follows a timed-out leg_open
 * with a leg_close).  Each request gets a
 * correlation id ("<daemon>-<n>", replacing any "id" of req), a callback,
 * an owner pointer and a deadline.  The loop reads replies with
 * bus_async_recv() when a peer socket is readable and fires deadlines with
 * bus_async_expire(); daemon.h wraps both (daemon_request), so a daemon
 * never calls these four directly.
 *
 * The callback runs exactly once per request, never from inside
 * bus_async_send(), unless the request is cancelled first:
 *   BUS_REPLY_OK       reply (borrowed, valid during the call) has ok:true
 *   BUS_REPLY_ERROR    the peer answered ok:false (err: "<daemon>: <its
 *                      error>") or sent something that is not a JSON
 *                      object (reply NULL)
 *   BUS_REPLY_TIMEOUT  no reply by the deadline: err is "<daemon> is
 *                      unreachable: no reply on <endpoint> within N ms";
 *                      reply NULL.  A reply that arrives later is dropped.
 * The callback may send new requests and cancel others.
 */
enum bus_reply_status { BUS_REPLY_OK, BUS_REPLY_ERROR, BUS_REPLY_TIMEOUT };
typedef void (*bus_reply_cb)(void *arg, enum bus_reply_status st,
			     json_object *reply, const char *err);

/*
 * Sends req (borrowed; its "id" is set) to daemon without waiting.
 * timeout_ms <= 0 means the configured ctl_timeout_ms.  owner (may be
 * NULL) groups requests for bus_async_cancel(); cb may be NULL for a
 * request whose answer nobody needs.  Returns the request's number (> 0),
 * or a negative errno with err set and no callback to come: -EINVAL for an
 * unknown daemon, -EAGAIN when the queue to a peer that has been away for a
 * while is full ("mediad is unreachable: ..."), -ENOMEM.  *newsock (may be
 * NULL) is set to the peer's socket when this call created it, so that the
 * loop can start watching it (ZMQ_POLLIN), else to NULL.
 */
int64_t bus_async_send(struct bus *b, const char *daemon, json_object *req,
		       int timeout_ms, void *owner, bus_reply_cb cb, void *arg,
		       void **newsock, char *err, size_t errlen);
/* Reads every reply queued on a peer socket and runs their callbacks. */
void bus_async_recv(struct bus *b, void *sock);
/*
 * Fails every request whose deadline is at or before now (msg_mono_ms())
 * with BUS_REPLY_TIMEOUT.  Returns the earliest deadline still pending, or
 * -1 when nothing is.
 */
int64_t bus_async_expire(struct bus *b, int64_t now);
/*
 * Forgets every pending request of owner (not NULL) without running its
 * callback: call it before freeing what the callbacks' args point to.
 */
void bus_async_cancel(struct bus *b, const void *owner);
/* How many requests are in flight. */
size_t bus_async_pending(const struct bus *b);
/*
 * Blocks until no request is in flight, each having been answered or timed
 * out, or max_ms passed (what is left is then dropped without callbacks).
 * Only for the way out of a daemon, after its loop stopped.
 */
void bus_async_flush(struct bus *b, int max_ms);

/* Helpers for reading request fields: NULL / def when missing or mistyped. */
const char *bus_json_str(json_object *o, const char *key);
long bus_json_int(json_object *o, const char *key, long def);

#endif
