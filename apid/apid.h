/*
 * apid: the front door of Hold Slayer.  REST and a WebSocket event stream
 * over civetweb, call history in SQLite, and the bus glue that turns every
 * daemon's events into call status.  Prototypes are grouped by source file.
 *
 * Threads: civetweb runs its own worker threads for HTTP and WebSocket
 * connections.  The bus (struct bus, its ZeroMQ sockets) belongs to the
 * daemon's main loop thread only.  Workers reach other daemons with
 * bus_call() on the shared, thread-safe ZeroMQ context (each call makes its
 * own socket) and ask the main thread to publish through the outbox
 * (apid_outbox_push).  The SQLite handle and the WebSocket client list are
 * guarded by mutexes inside db.c and ws.c.  The main thread publishes the
 * state of its subscriptions to the workers through atomic flags.
 */
#ifndef HS_APID_H
#define HS_APID_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "conf.h"
#include "daemon.h"
#include "msg.h"

#define APID_BODY_MAX (64 * 1024)
#define APID_HISTORY_MAX 50	/* classification_history entries returned */
#define APID_LIST_DEFAULT 50
#define APID_LIST_MAX 1000

struct apid_db;
struct apid_ws;
struct apid_mcp;
struct mg_context;

/* One call_started waiting for the main thread to publish it. */
struct apid_outbox_item {
	char call_id[MSG_CALL_ID_MAX];
	json_object *data; /* owned */
	struct apid_outbox_item *next;
};

/* The daemons whose events apid subscribes to, apid itself included. */
#define APID_NSOURCES 6
extern const char *const apid_sources[APID_NSOURCES];

struct apid {
	struct daemon *d;
	void *zctx;	       /* the bus context: thread-safe, for bus_call */
	struct conf *wconf;    /* private copy read by worker threads */
	struct apid_db *db;
	struct apid_ws *ws;
	struct apid_mcp *mcp;
	struct mg_context *http;
	pthread_mutex_t out_mu;
	struct apid_outbox_item *out_head, *out_tail;
	int out_fd; /* eventfd: the outbox has items */
	/* Written by the main thread: the SUB socket's connection to
	 * apid_sources[i] is up (events from it are not lost). */
	atomic_bool subscribed[APID_NSOURCES];
	char token[129]; /* the bearer token; read-only once civetweb runs */
	/* The secret info values of recent calls (apid_secrets_*). */
	pthread_mutex_t sec_mu;
	struct apid_secret *secrets;
	size_t nsecrets;
};

/* apid.c */
/* One call's secret info values, newest first. */
struct apid_secret {
	char call_id[MSG_CALL_ID_MAX];
	json_object *values; /* owned; array of strings */
	struct apid_secret *next;
};
#define APID_SECRETS_MAX 512 /* calls remembered; the oldest is forgotten */
/* Remembers call_id's secrets (array, borrowed; nothing if empty). */
void apid_secrets_add(struct apid *a, const char *call_id,
		      json_object *values);
/* Masks call_id's secrets in data, in place. */
void apid_secrets_scrub(struct apid *a, const char *call_id,
			json_object *data);
/* Queues a call_started event for the main thread (data consumed). */
void apid_outbox_push(struct apid *a, const char *call_id, json_object *data);

/* auth.c: the bearer token, Origin and CORS checks. */
struct mg_connection;
/*
 * Reads the token from path, or makes a new random one there (mode 0600,
 * directories 0700).  -errno with err saying why.
 */
int apid_token_load(struct apid *a, const char *path, char *err,
		    size_t errlen);
/* origin (NULL: none sent, not a browser) may use the API. */
bool apid_origin_allowed(const struct conf *c, const char *origin);
/*
 * Checks the request's Origin and, if need_token, its bearer token.
 * Returns 0, or 401/403 with detail saying why.
 */
int apid_auth_check(struct apid *a, const struct mg_connection *conn,
		    bool need_token, char *detail, size_t len);
/* Adds Access-Control-Allow-Origin for an allowed Origin, else nothing. */
void apid_cors_headers(const struct mg_connection *conn, const struct conf *c);

/* request.c: pure request parsing, shared by http.c and ws.c. */
struct apid_call_req {
	char number[128];
	char uri[256];	    /* "" when unknown */
	char intent[1024];
	char flow_id[128];  /* "" for none */
	char device[256];   /* "" for none; a device name or a sip: URI */
	char mode[16];	    /* "hold_slayer" or "direct" */
	json_object *info;  /* owned; an object, never NULL after success */
	json_object *info_masked; /* owned; info with secrets masked */
	json_object *secrets;	  /* owned; array of the secret values */
};
/*
 * An info value is a scalar or {"value": scalar, "secret": true}; a secret
 * value reaches ivrd only: events, the history, API replies and logs show
 * APID_SECRET_MASK instead (a value shorter than APID_SECRET_MIN is masked
 * in info but not searched for elsewhere: it would mask every "1").
 */
#define APID_SECRET_MASK "********"
#define APID_SECRET_MIN 2
/*
 * Replaces every occurrence of a string of secrets (array) inside the
 * string and number values of o, recursively.  Returns how many values
 * changed.
 */
int apid_scrub(json_object *o, json_object *secrets);
/*
 * Parses and checks a POST body for mode "hold_slayer" (direct false) or
 * "direct".  Returns 0, or -EINVAL with err naming the problem ("malformed
 * JSON body: ...", "number: required", "intent: must be a string").
 * Release with apid_call_req_clear().
 */
int apid_call_req_parse(struct apid_call_req *r, const char *body,
			size_t len, bool direct, char *err, size_t errlen);
void apid_call_req_clear(struct apid_call_req *r);
/* The SIP URI for number given [trunk] proxy (may be NULL or ""). */
void apid_number_uri(const char *number, const char *proxy, char *out,
		     size_t outlen);

enum apid_route {
	APID_R_NONE = 0,   /* no such path */
	APID_R_HOLD_SLAYER,/* /api/calls/hold-slayer */
	APID_R_OUTBOUND,   /* /api/calls/outbound */
	APID_R_CALLS,	   /* /api/calls */
	APID_R_CALL,	   /* /api/calls/{id} */
	APID_R_HANGUP,	   /* /api/calls/{id}/hangup */
	APID_R_TRANSFER,   /* /api/calls/{id}/transfer */
	APID_R_HEALTH,	   /* /api/health */
};
/* Maps a path to a route; id receives {id} for the per-call routes. */
enum apid_route apid_route_parse(const char *path, char *id, size_t idlen);
/* item is in list (separated by spaces or commas), ignoring case. */
bool apid_list_has(const char *list, const char *item);
/* s[0..len) is well-formed UTF-8 (no overlongs, surrogates). */
bool apid_utf8_valid(const char *s, size_t len);
/* Replaces each byte of s that is not part of valid UTF-8 with '?'. */
void apid_utf8_sanitize(char *s);
/* The host of a sip:/sips: URI (IPv6 without brackets); -EINVAL if none. */
int apid_sip_host(const char *uri, char *host, size_t hostlen);
/*
 * uri's host is one apid may dial: [api] allowed_sip_hosts, or by default
 * loopback, the [trunk] proxy's host and [sip] listen's host.
 */
bool apid_sip_host_allowed(const struct conf *c, const char *uri);
/* s is 1..max characters of [A-Za-z0-9._-] (a flow or device name). */
bool apid_name_valid(const char *s, size_t max);
/*
 * Checks a device body (POST, or PUT with id from the path) and returns a
 * new normalised device {name, type, sip_uri, priority, capabilities} in
 * *out.  -EINVAL with err naming the field.  The sip_uri host is not
 * checked here (see apid_sip_host_allowed).
 */
int apid_device_parse(json_object *body, const char *id, json_object **out,
		      char *err, size_t errlen);
/* A call id is 1..39 characters of [A-Za-z0-9._-]. */
bool apid_call_id_valid(const char *id);

/* A WebSocket subscription filter. */
struct apid_filter {
	char call_id[MSG_CALL_ID_MAX]; /* "" for every call */
	bool any_type;
	bool types[MSG_TYPE_COUNT];
};
/*
 * Fills f from call_id (NULL or "" for all) and a comma-separated list of
 * type names (NULL or "" for all).  -EINVAL with err naming an unknown type.
 */
int apid_filter_parse(struct apid_filter *f, const char *call_id,
		      const char *types, char *err, size_t errlen);
bool apid_filter_match(const struct apid_filter *f, enum msg_type type,
		       const char *call_id);

/* status.c: call status from bus events (pure). */
/* What one event changes in a call row. */
struct apid_change {
	const char *status;	   /* new status, or NULL to keep it */
	bool hold_start;	   /* the hold starts now (if not started) */
	bool hold_stop;		   /* hold_time = now - hold start */
	bool hold_resume;	   /* a retracted human: hold_time unset */
	bool ended;		   /* ended_at = now, duration */
	bool failure;		   /* failure_code/_reason are set */
	long failure_code;
	const char *failure_reason; /* borrowed from data */
	const char *audio_type;	   /* borrowed from data, or NULL */
	const char *recording;	   /* borrowed from data, or NULL */
};
/*
 * Computes what event type with data (borrowed) does to a call whose status
 * is cur (NULL for a call that has no row yet) in mode ("hold_slayer" or
 * "direct").  Pointers in *ch borrow from data.
 */
void apid_status_apply(const char *cur, const char *mode, enum msg_type type,
		       json_object *data, struct apid_change *ch);
bool apid_status_terminal(const char *status);
bool apid_status_known(const char *status);

/* db.c: SQLite history.  Every function is thread-safe. */
struct apid_call {
	const char *call_id, *number, *uri, *mode, *intent, *flow_id, *device;
	json_object *info; /* borrowed; NULL for {} */
};
int apid_db_open(struct apid_db **out, const char *path, char *err,
		 size_t errlen);
void apid_db_close(struct apid_db *db);
/* Inserts a new call with status "trying". -EEXIST if the id is taken. */
int apid_db_call_insert(struct apid_db *db, const struct apid_call *c);
int apid_db_call_delete(struct apid_db *db, const char *call_id);
int apid_db_call_set_flow(struct apid_db *db, const char *call_id,
			  const char *flow_id);
/*
 * Stores an event and applies it to its call (apid_status_apply).  A
 * call_started for an unknown id creates the call from its data; other
 * events for unknown ids are stored and change nothing.
 */
int apid_db_event_store(struct apid_db *db, const struct msg_event *ev);
/* The call as JSON (full: with events and classification history). */
int apid_db_call_get(struct apid_db *db, const char *call_id, bool full,
		     json_object **out);
/*
 * Calls newest first: every call (status NULL), the live ones ("active")
 * or those with one status; limit and offset page them, *total counts
 * them all.
 */
int apid_db_call_list(struct apid_db *db, const char *status, int limit,
		      int offset, json_object **out, long *total);
/*
 * The call whose id is prefix, or the one call whose id starts with it.
 * 0 with the id in out, -ENOENT for none, -EEXIST when several match.
 */
int apid_db_call_resolve(struct apid_db *db, const char *prefix, char *out,
			 size_t outlen);
/* Copies the call's status; -ENOENT for an unknown call. */
int apid_db_call_status(struct apid_db *db, const char *call_id, char *out,
			size_t outlen);
/*
 * Devices ({id, name, type, sip_uri, priority, capabilities, is_online,
 * source, created_at}; id is the name).  get finds by id or name, -ENOENT
 * for none.  put inserts (create; -EEXIST if the name is taken) or updates
 * (-ENOENT) a device checked by apid_device_parse.  seed adds the
 * [devices] of c (source "config"; their URIs follow the file).
 */
int apid_db_device_list(struct apid_db *db, json_object **out);
int apid_db_device_get(struct apid_db *db, const char *id, json_object **out);
int apid_db_device_put(struct apid_db *db, json_object *dev, bool create,
		       const char *source);
int apid_db_device_delete(struct apid_db *db, const char *id);
void apid_db_devices_seed(struct apid_db *db, const struct conf *c);
/* The call's number and start (ms since the epoch); -ENOENT for none. */
int apid_db_call_brief(struct apid_db *db, const char *call_id, char *number,
		       size_t numlen, int64_t *started_ms);
/* The data of the call's latest event of type (caller puts it), or NULL. */
json_object *apid_db_last_data(struct apid_db *db, const char *call_id,
			       const char *type);
/* Wall-clock milliseconds since the epoch. */
int64_t apid_now_ms(void);

/* ws.c: the /ws/events stream. */
int apid_ws_new(struct apid_ws **out);
void apid_ws_free(struct apid_ws *ws);
void apid_ws_register(struct apid_ws *ws, struct mg_context *ctx);
/* Sends the event (as its bus envelope) to every matching client. */
void apid_ws_broadcast(struct apid_ws *ws, const struct msg_event *ev);
/* The bus envelope of ev as a new JSON object (caller puts it). */
json_object *apid_event_envelope(const struct msg_event *ev);

/* seed.c: the seed API's event field names, added beside ours. */
void apid_seed_fields(struct apid *a, struct msg_event *ev);

/* http.c: civetweb and the REST routes. */
int apid_http_start(struct apid *a, const char *listen, long threads);
void apid_http_stop(struct apid *a);
/*
 * The REST operations for mcp.c, on a civetweb worker thread.  Each returns
 * the HTTP status the route would answer and in *out its body (a new
 * object, {"detail": ...} for an error; caller puts it).  An id may be a
 * unique prefix; status "" lists the live calls; limit and offset are -1
 * for their defaults.
 */
int apid_op_call_start(struct apid *a, bool direct, const char *body,
		       size_t len, json_object **out);
int apid_op_call_get(struct apid *a, const char *id, json_object **out);
int apid_op_call_list(struct apid *a, const char *status, long limit,
		      long offset, json_object **out);
int apid_op_call_hangup(struct apid *a, const char *id, json_object **out);
int apid_op_call_transfer(struct apid *a, const char *id, const char *to,
			  json_object **out);
int apid_op_flow_list(struct apid *a, const char *company, const char *tag,
		      json_object **out);
int apid_op_flow_get(struct apid *a, const char *id, json_object **out);

/* mcp.c: the MCP server at /mcp (a civetweb request handler). */
int apid_mcp_new(struct apid_mcp **out);
/* Ends the tools' waits now (before apid_http_stop joins the workers). */
void apid_mcp_stop(struct apid_mcp *m);
void apid_mcp_free(struct apid_mcp *m);
int apid_mcp_on_request(struct mg_connection *conn, void *cbdata);

/* www.c */
/* Serves the dashboard: / and /static/ from [api] www_dir. */
void apid_www_register(struct apid *a);

#endif
