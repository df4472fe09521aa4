/*
 * http: the REST routes, served by civetweb (apid(8) has every field).
 *
 *   POST /api/calls/hold-slayer   start a hold_slayer call      201
 *   POST /api/calls/outbound      start a direct call           201
 *   GET  /api/calls               {calls, total}: live calls, or
 *                                 ?status=all|S ?limit= ?offset= 200
 *   GET  /api/calls/{id}          one call, events included      200
 *   POST /api/calls/{id}/hangup   hang a live call up            200
 *   POST /api/calls/{id}/transfer ring a device for the call     200
 *   GET  /api/health              ping every daemon, say which
 *                                 subscriptions are live (open)  200
 *   GET  /api/call-flows          ivrd's flows (?company= ?tag=) 200
 *   POST /api/call-flows          a new flow                     201
 *   GET|PUT|DELETE /api/call-flows/{id}                 200|200|204
 *   POST /api/call-flows/learn    a flow from a finished call's
 *                                 exploration ({call_id, company}) 201
 *   GET|POST /api/devices         the devices (SQLite)       200|201
 *   GET|PUT|DELETE /api/devices/{id}                    200|200|204
 *   POST|GET|DELETE /mcp          the MCP endpoint (mcp.c)
 *
 * A call {id} may be a unique prefix (http_resolve).  Every request passes
 * auth.c first (token, Origin; OPTIONS is the CORS preflight) and a POST
 * or PUT must be application/json.  Bodies are UTF-8 JSON in and out;
 * every error is {"detail":"..."} with 400 (naming the field), 401, 403,
 * 404, 405, 409, 413, 415, 422, 500 or 503 (a daemon is unreachable).
 *
 * Threads: every handler here runs on a civetweb worker thread.  They
 * never touch the bus sockets: control requests go through bus_call() on
 * the shared context, the call_started event through the main thread's
 * outbox, and the database through db.c's mutex.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <civetweb.h>

#include "apid.h"
#include "log.h"

/*
 * The operations below also serve mcp.c's tools (apid_op_*), on the same
 * worker thread and without a connection: with conn NULL, http_reply
 * leaves its status and body here for the apid_op_* wrapper to take.
 */
static _Thread_local struct {
	int status;
	json_object *body;
} http_capture;

/* Sends o (consumed) with status. Returns status for civetweb. */
static int
http_reply(struct mg_connection *conn, int status, json_object *o)
{
	if (conn == NULL) {
		json_object_put(http_capture.body);
		http_capture.status = status;
		http_capture.body = o;
		return status;
	}
	const char *s = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s);
	char clen[32];

	snprintf(clen, sizeof(clen), "%zu", len + 1);
	mg_response_header_start(conn, status);
	mg_response_header_add(conn, "Content-Type", "application/json", -1);
	mg_response_header_add(conn, "Content-Length", clen, -1);
	mg_response_header_add(conn, "Cache-Control", "no-store", -1);
	apid_cors_headers(conn,
			  ((struct apid *)mg_get_user_data(mg_get_context(conn)))
			      ->wconf);
	if (status == 401)
		mg_response_header_add(conn, "WWW-Authenticate",
				       "Bearer realm=\"holdslayer\"", -1);
	mg_response_header_send(conn);
	mg_write(conn, s, len);
	mg_write(conn, "\n", 1);
	json_object_put(o);
	return status;
}

static int
http_error(struct mg_connection *conn, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
http_error(struct mg_connection *conn, int status, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	json_object *o = json_object_new_object();

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* It may quote the request (a path): keep the reply valid JSON. */
	apid_utf8_sanitize(buf);
	json_object_object_add(o, "detail", json_object_new_string(buf));
	if (status >= 500)
		log_warnx("http: %d %s", status, buf);
	else
		log_debug("http: %d %s", status, buf);
	return http_reply(conn, status, o);
}

/* Reads the body into a malloc'd NUL-terminated buffer. */
static int
http_read_body(struct mg_connection *conn, char **out, size_t *outlen)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	size_t cap = APID_BODY_MAX + 1, len = 0;
	char *buf;
	int n;

	*out = NULL;
	if (ri->content_length > APID_BODY_MAX)
		return -E2BIG;
	buf = malloc(cap + 1);
	if (buf == NULL)
		return -ENOMEM;
	while (len < cap && (n = mg_read(conn, buf + len, cap - len)) > 0)
		len += (size_t)n;
	if (len > APID_BODY_MAX) {
		free(buf);
		return -E2BIG;
	}
	buf[len] = '\0';
	if (!apid_utf8_valid(buf, len)) {
		free(buf);
		return -EILSEQ;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* Answers a failed http_read_body. */
static int
http_body_error(struct mg_connection *conn, int rc)
{
	if (rc == -E2BIG)
		return http_error(conn, 413, "the body is larger than %d bytes",
				  APID_BODY_MAX);
	if (rc == -EILSEQ)
		return http_error(conn, 400,
				  "the body is not valid UTF-8 text");
	return http_error(conn, 500, "out of memory");
}

/*
 * Pings run in parallel so that the whole check takes one timeout.  A ping
 * is a liveness check, not work: it waits at most PING_TIMEOUT_MS (or the
 * configured control timeout, if shorter), so a client learns which daemon
 * is down well within 2 s.
 */
#define PING_TIMEOUT_MS 1500
struct ping_job {
	struct apid *a;
	const char *daemon;
	int rc;
	char err[384];
	pthread_t th;
	bool threaded;
};

static void *
ping_run(void *arg)
{
	struct ping_job *j = arg;
	json_object *req = json_object_new_object(), *reply = NULL;

	json_object_object_add(req, "cmd", json_object_new_string("ping"));
	j->rc = bus_call(j->a->zctx, j->a->wconf, j->daemon, req,
			 j->a->wconf->ctl_timeout_ms < PING_TIMEOUT_MS
			     ? (int)j->a->wconf->ctl_timeout_ms
			     : PING_TIMEOUT_MS,
			 &reply,
			 j->err, sizeof(j->err));
	json_object_put(req);
	json_object_put(reply);
	return NULL;
}

static void
ping_all(struct apid *a, struct ping_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		jobs[i].a = a;
		jobs[i].rc = 0;
		jobs[i].err[0] = '\0';
		jobs[i].threaded =
		    pthread_create(&jobs[i].th, NULL, ping_run, &jobs[i]) == 0;
		if (!jobs[i].threaded)
			ping_run(&jobs[i]);
	}
	for (size_t i = 0; i < n; i++)
		if (jobs[i].threaded)
			pthread_join(jobs[i].th, NULL);
}

/* Maps a failed bus_call to an HTTP error. */
static int
http_bus_error(struct mg_connection *conn, int r, json_object *reply,
	       const char *err)
{
	if (r == -EREMOTEIO) {
		long code = bus_json_int(reply, "code", 0);
		return http_error(conn,
				  code == 400 || code == 404 || code == 409 ||
					  code == 422
				      ? (int)code
				      : 500,
				  "%s", err);
	}
	if (r == -ETIMEDOUT)
		return http_error(conn, 503, "%s", err);
	return http_error(conn, 500, "%s", err);
}

/*
 * Waits (at most ctl_timeout_ms) until the main thread's subscriptions to
 * the n daemons and to apid itself are live: a daemon that answers ping is
 * up, but the events it publishes before apid's connection to it is
 * established are lost, and with them the call's record.  On a timeout
 * detail names the daemons still missing; otherwise it is left empty.
 */
static void
http_wait_subscribed(struct apid *a, const char *const *names, size_t n,
		     char *detail, size_t len)
{
	int64_t deadline = msg_mono_ms() + (int64_t)a->wconf->ctl_timeout_ms;
	bool waited = false;

	for (;;) {
		size_t dl = 0;
		detail[0] = '\0';
		for (size_t i = 0; i < APID_NSOURCES; i++) {
			bool want = strcmp(apid_sources[i], "apid") == 0;
			for (size_t j = 0; j < n && !want; j++)
				want = strcmp(apid_sources[i], names[j]) == 0;
			if (!want || atomic_load(&a->subscribed[i]))
				continue;
			snprintf(detail + dl, len - dl, "%s%s", dl ? ", " : "",
				 apid_sources[i]);
			dl = strlen(detail);
		}
		if (dl == 0) {
			/* Just connected: let the publishers take in the
			 * subscriptions (they do when they next send). */
			if (waited)
				usleep(20 * 1000);
			return;
		}
		if (msg_mono_ms() >= deadline)
			break;
		usleep(10 * 1000);
		waited = true;
	}
	{
		char who[256];
		snprintf(who, sizeof(who), "%s", detail);
		snprintf(detail, len,
			 "apid is not subscribed to the events of %s yet "
			 "(its bus connection is not up); try again",
			 who);
	}
}

/*
 * Finds the device a call or transfer names (field names it in errors):
 * a device of /api/devices by id or name (a pstn device through the
 * trunk), or a sip: URI apid may call.  Returns 0 with the device's name
 * and URI, or the status of the error it sent.
 */
static int
http_device_resolve(struct mg_connection *conn, struct apid *a,
		    const char *want, const char *field, char *name,
		    size_t namelen, char *uri, size_t urilen)
{
	json_object *d = NULL, *v;
	const char *type, *su;
	int r;

	if (strncmp(want, "sip:", 4) == 0 || strncmp(want, "sips:", 5) == 0) {
		if (!apid_sip_host_allowed(a->wconf, want))
			return http_error(conn, 400,
					  "%s: the host of '%s' is not one apid "
					  "may call ([api] allowed_sip_hosts)",
					  field, want);
		snprintf(name, namelen, "%s", want);
		snprintf(uri, urilen, "%s", want);
		return 0;
	}
	r = apid_db_device_get(a->db, want, &d);
	if (r == -ENOENT) {
		/* A [devices] entry removed through the API is still in the
		 * file ivrd reads. */
		if (conf_device_uri(a->wconf, want) != NULL) {
			snprintf(name, namelen, "%s", want);
			snprintf(uri, urilen, "%s",
				 conf_device_uri(a->wconf, want));
			return 0;
		}
		return http_error(conn, 400,
				  "%s: unknown device '%s' (see GET "
				  "/api/devices)",
				  field, want);
	}
	if (r < 0)
		return http_error(conn, 500, "cannot read the devices");
	type = json_object_object_get_ex(d, "type", &v)
		   ? json_object_get_string(v)
		   : "sip";
	su = json_object_object_get_ex(d, "sip_uri", &v)
		 ? json_object_get_string(v)
		 : "";
	snprintf(name, namelen, "%s", want);
	if (strcmp(type, "pstn") == 0) {
		apid_number_uri(su, a->wconf->trunk_proxy, uri, urilen);
		if (uri[0] == '\0') {
			json_object_put(d);
			return http_error(conn, 400,
					  "%s: device '%s' is a phone number and "
					  "[trunk] proxy is not set",
					  field, want);
		}
	} else {
		snprintf(uri, urilen, "%s", su);
	}
	json_object_put(d);
	return 0;
}

static int
http_start_call_body(struct mg_connection *conn, struct apid *a, bool direct,
		     const char *body, size_t len);

static int
http_start_call(struct mg_connection *conn, struct apid *a, bool direct)
{
	char *body = NULL;
	size_t len = 0;
	int rc;

	if ((rc = http_read_body(conn, &body, &len)) < 0)
		return http_body_error(conn, rc);
	rc = http_start_call_body(conn, a, direct, body, len);
	free(body);
	return rc;
}

/* Starts the call a POST body (len bytes of UTF-8) asks for. */
static int
http_start_call_body(struct mg_connection *conn, struct apid *a, bool direct,
		     const char *body, size_t len)
{
	enum { NNEEDED = 4 };
	static const char *needed[NNEEDED] = {"sipd", "mediad", "classifyd",
					      "ivrd"};
	struct ping_job jobs[NNEEDED] = {0};
	struct apid_call_req r;
	char err[512], id[37], detail[1600] = "";
	const char *mode = direct ? "direct" : "hold_slayer";
	json_object *req = NULL, *reply = NULL, *call = NULL, *data;
	int rc;

	rc = apid_call_req_parse(&r, body, len, direct, err, sizeof(err));
	if (rc < 0)
		return http_error(conn, 400, "%s", err);
	if (strncmp(r.number, "sip", 3) == 0 &&
	    !apid_sip_host_allowed(a->wconf, r.number)) {
		rc = http_error(conn, 400,
				"number: the host of '%s' is not one apid "
				"may call ([api] allowed_sip_hosts)",
				r.number);
		goto out;
	}
	if (r.device[0] != '\0') {
		char dname[256], duri[256];
		if ((rc = http_device_resolve(conn, a, r.device, "device", dname,
					      sizeof(dname), duri,
					      sizeof(duri))) != 0)
			goto out;
		/* ivrd knows the [devices] of the file by name; any other
		 * device goes to it as its URI. */
		if (conf_device_uri(a->wconf, r.device) == NULL)
			snprintf(r.device, sizeof(r.device), "%s", duri);
	}
	for (size_t i = 0; i < NNEEDED; i++)
		jobs[i].daemon = needed[i];
	ping_all(a, jobs, NNEEDED);
	for (size_t i = 0; i < NNEEDED; i++) {
		if (jobs[i].rc == 0)
			continue;
		size_t dl = strlen(detail);
		snprintf(detail + dl, sizeof(detail) - dl, "%s%s",
			 dl ? "; " : "", jobs[i].err);
	}
	if (detail[0] == '\0')
		http_wait_subscribed(a, needed, NNEEDED, detail,
				     sizeof(detail));
	if (detail[0] != '\0') {
		rc = http_error(conn, 503, "%s", detail);
		goto out;
	}
	msg_uuid(id);
	apid_number_uri(r.number, a->wconf->trunk_proxy, r.uri, sizeof(r.uri));
	{
		struct apid_call c = {
		    .call_id = id,
		    .number = r.number,
		    .uri = r.uri,
		    .mode = mode,
		    .intent = r.intent,
		    .flow_id = r.flow_id,
		    .device = r.device,
		    .info = r.info_masked,
		};
		/* Before ivrd starts: its first events must find the row. */
		if (apid_db_call_insert(a->db, &c) < 0) {
			rc = http_error(conn, 500, "cannot store call %s", id);
			goto out;
		}
	}
	data = json_object_new_object();
#define STR_OR_NULL(s) ((s)[0] ? json_object_new_string(s) : NULL)
	json_object_object_add(data, "number", json_object_new_string(r.number));
	json_object_object_add(data, "uri", STR_OR_NULL(r.uri));
	json_object_object_add(data, "mode", json_object_new_string(mode));
	json_object_object_add(data, "intent", json_object_new_string(r.intent));
	json_object_object_add(data, "flow_id", STR_OR_NULL(r.flow_id));
	json_object_object_add(data, "device", STR_OR_NULL(r.device));
	json_object_object_add(data, "info", json_object_get(r.info_masked));
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("start"));
	json_object_object_add(req, "call_id", json_object_new_string(id));
	json_object_object_foreach(data, k, v)
	    json_object_object_add(req, k, json_object_get(v));
	/* Only ivrd sees the secrets; apid masks them in what follows. */
	json_object_object_add(req, "info", json_object_get(r.info));
	apid_secrets_add(a, id, r.secrets);
	rc = bus_call(a->zctx, a->wconf, "ivrd", req, 0, &reply, err,
		      sizeof(err));
	if (rc < 0) {
		apid_db_call_delete(a->db, id);
		json_object_put(data);
		rc = http_bus_error(conn, rc, reply, err);
		goto out;
	}
	{
		const char *flow = bus_json_str(reply, "flow_id");
		if (flow != NULL && strcmp(flow, r.flow_id) != 0) {
			apid_db_call_set_flow(a->db, id, flow);
			json_object_object_add(data, "flow_id",
					       json_object_new_string(flow));
		}
	}
	apid_outbox_push(a, id, data);
	log_info("call %s: %s call to %s started", id, mode, r.number);
	if (apid_db_call_get(a->db, id, false, &call) < 0) {
		rc = http_error(conn, 500, "cannot read call %s back", id);
		goto out;
	}
	json_object_object_add(call, "status", json_object_new_string("trying"));
	rc = http_reply(conn, 201, call);
out:
	json_object_put(req);
	json_object_put(reply);
	apid_call_req_clear(&r);
	return rc;
}

/* Reads ?name= as an integer in [min, max]; -1 if absent, -2 if bad. */
static long
http_query_long(const char *qs, const char *name, long min, long max)
{
	char buf[32], *end;
	long v;
	int n = mg_get_var(qs, strlen(qs), name, buf, sizeof(buf));

	if (n == -1)
		return -1;
	if (n < 0)
		return -2;
	v = strtol(buf, &end, 10);
	if (buf[0] == '\0' || *end != '\0' || v < min || v > max)
		return -2;
	return v;
}

/*
 * GET /api/calls: {"calls":[...],"total":N,"limit":L,"offset":O}, the live
 * calls by default; ?status=all for the whole history, or one status.
 */
static int
http_calls_page(struct mg_connection *conn, struct apid *a, const char *st,
		long limit, long offset);

static int
http_list_calls(struct mg_connection *conn, struct apid *a)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *qs = ri->query_string ? ri->query_string : "";
	char status[32] = "";
	long limit, offset;

	if (mg_get_var(qs, strlen(qs), "status", status, sizeof(status)) == -2)
		return http_calls_page(conn, a, "?", 0, 0);
	if ((limit = http_query_long(qs, "limit", 1, APID_LIST_MAX)) == -2)
		return http_error(conn, 400,
				  "limit: must be an integer from 1 to %d",
				  APID_LIST_MAX);
	if ((offset = http_query_long(qs, "offset", 0, 1L << 30)) == -2)
		return http_error(conn, 400,
				  "offset: must be a non-negative integer");
	return http_calls_page(conn, a, status, limit, offset);
}

/* One page of calls with status st ("" for the live ones); limit and
 * offset are checked, or -1 for their defaults. */
static int
http_calls_page(struct mg_connection *conn, struct apid *a, const char *st,
		long limit, long offset)
{
	char status[32];
	long total = 0;
	json_object *list, *o;

	snprintf(status, sizeof(status), "%s", st);
	if (strlen(st) >= sizeof(status) ||
	    (status[0] && !apid_status_known(status) &&
	     strcmp(status, "active") != 0 && strcmp(status, "all") != 0))
		return http_error(conn, 400,
				  "status: unknown status (active, all, or one "
				  "of trying, ringing, ivr, connected, "
				  "on_hold, human_detected, transferring, "
				  "bridged, completed, failed)");
	if (limit < 0)
		limit = APID_LIST_DEFAULT;
	if (offset < 0)
		offset = 0;
	if (status[0] == '\0')
		snprintf(status, sizeof(status), "active");
	if (apid_db_call_list(a->db, strcmp(status, "all") == 0 ? NULL : status,
			      (int)limit, (int)offset, &list, &total) < 0)
		return http_error(conn, 500, "cannot read the call history");
	o = json_object_new_object();
	json_object_object_add(o, "calls", list);
	json_object_object_add(o, "total", json_object_new_int64(total));
	json_object_object_add(o, "limit", json_object_new_int64(limit));
	json_object_object_add(o, "offset", json_object_new_int64(offset));
	return http_reply(conn, 200, o);
}

/*
 * Resolves {id} (a whole call id or a unique prefix of one) in place.
 * Returns 0, or the status of the error it sent (404, 409 when ambiguous).
 */
static int
http_resolve(struct mg_connection *conn, struct apid *a, char *id,
	     size_t idlen)
{
	char full[MSG_CALL_ID_MAX];
	int r = apid_db_call_resolve(a->db, id, full, sizeof(full));

	if (r == -ENOENT)
		return http_error(conn, 404, "unknown call '%s'", id);
	if (r == -EEXIST)
		return http_error(conn, 409,
				  "call id prefix '%s' is ambiguous: give more "
				  "of it",
				  id);
	if (r < 0)
		return http_error(conn, 500, "cannot read call '%s'", id);
	snprintf(id, idlen, "%s", full);
	return 0;
}

static int
http_get_call(struct mg_connection *conn, struct apid *a, const char *id)
{
	json_object *call;
	int r = apid_db_call_get(a->db, id, true, &call);

	if (r == -ENOENT)
		return http_error(conn, 404, "unknown call '%s'", id);
	if (r < 0)
		return http_error(conn, 500, "cannot read call '%s'", id);
	return http_reply(conn, 200, call);
}

static int
http_hangup(struct mg_connection *conn, struct apid *a, const char *id)
{
	char status[32], err[512];
	json_object *req, *reply = NULL, *call;
	int r = apid_db_call_status(a->db, id, status, sizeof(status));

	if (r == -ENOENT)
		return http_error(conn, 404, "unknown call '%s'", id);
	if (r < 0)
		return http_error(conn, 500, "cannot read call '%s'", id);
	if (apid_status_terminal(status))
		return http_error(conn, 409, "call '%s' has already ended (%s)",
				  id, status);
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("hangup"));
	json_object_object_add(req, "call_id", json_object_new_string(id));
	r = bus_call(a->zctx, a->wconf, "ivrd", req, 0, &reply, err,
		     sizeof(err));
	json_object_put(req);
	if (r < 0) {
		r = http_bus_error(conn, r, reply, err);
		json_object_put(reply);
		return r;
	}
	json_object_put(reply);
	log_info("call %s: hangup requested", id);
	if (apid_db_call_get(a->db, id, false, &call) < 0)
		return http_error(conn, 500, "cannot read call '%s'", id);
	return http_reply(conn, 200, call);
}

static int
http_health(struct mg_connection *conn, struct apid *a)
{
	struct ping_job jobs[APID_NSOURCES] = {0};
	json_object *o = json_object_new_object(), *ds = json_object_new_object();
	json_object *sub = json_object_new_object();
	bool all = true;
	size_t n = 0;

	/* Every daemon apid takes events from, but itself. */
	for (size_t i = 0; i < APID_NSOURCES; i++)
		if (strcmp(apid_sources[i], "apid") != 0)
			jobs[n++].daemon = apid_sources[i];
	ping_all(a, jobs, n);
	json_object_object_add(ds, "apid", json_object_new_string("ok"));
	for (size_t i = 0; i < n; i++) {
		const char *name = jobs[i].daemon, *e = jobs[i].err;
		char buf[400];

		if (jobs[i].rc == 0) {
			json_object_object_add(ds, name,
					       json_object_new_string("ok"));
			continue;
		}
		all = false;
		/* "ivrd is unreachable: x" -> "unreachable: x" */
		if (strncmp(e, name, strlen(name)) == 0 &&
		    strncmp(e + strlen(name), " is ", 4) == 0)
			e += strlen(name) + 4;
		snprintf(buf, sizeof(buf), "%s", e);
		json_object_object_add(ds, name, json_object_new_string(buf));
	}
	/* A daemon whose events apid would lose is not healthy either. */
	for (size_t i = 0; i < APID_NSOURCES; i++) {
		bool up = atomic_load(&a->subscribed[i]);
		json_object_object_add(sub, apid_sources[i],
				       json_object_new_boolean(up));
		all = all && up;
	}
	json_object_object_add(o, "status",
			       json_object_new_string(all ? "ok" : "degraded"));
	json_object_object_add(o, "daemons", ds);
	json_object_object_add(o, "subscribed", sub);
	/* The trunk registration, as sipd's status reports it. */
	if (json_object_object_get_ex(ds, "sipd", NULL) &&
	    strcmp(json_object_get_string(
		       json_object_object_get(ds, "sipd")),
		   "ok") == 0) {
		json_object *req = json_object_new_object(), *reply = NULL, *reg;
		char err[256];
		json_object_object_add(req, "cmd",
				       json_object_new_string("status"));
		if (bus_call(a->zctx, a->wconf, "sipd", req, 0, &reply, err,
			     sizeof(err)) == 0 &&
		    json_object_object_get_ex(reply, "registration", &reg))
			json_object_object_add(o, "registration",
					       json_object_get(reg));
		json_object_put(req);
		json_object_put(reply);
	}
	return http_reply(conn, 200, o);
}

/* GET /api/call-flows: ivrd's flows {flows:[{id, name, company,
 * phone_number}]}. */
static int
http_flows_filtered(struct mg_connection *conn, struct apid *a,
		    const char *company, const char *tag);

static int
http_list_flows(struct mg_connection *conn, struct apid *a)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *qs = ri->query_string ? ri->query_string : "";
	char company[256] = "", tag[128] = "";

	if (mg_get_var(qs, strlen(qs), "company", company, sizeof(company)) ==
		-2 ||
	    mg_get_var(qs, strlen(qs), "tag", tag, sizeof(tag)) == -2)
		return http_error(conn, 400, "company or tag: too long");
	return http_flows_filtered(conn, a, company, tag);
}

/* ivrd's flows of company and with tag ("" for any). */
static int
http_flows_filtered(struct mg_connection *conn, struct apid *a,
		    const char *company, const char *tag)
{
	json_object *req, *reply = NULL, *o, *v, *list;
	char err[512];
	int r;

	req = json_object_new_object();

	json_object_object_add(req, "cmd", json_object_new_string("flows"));
	r = bus_call(a->zctx, a->wconf, "ivrd", req, 0, &reply, err,
		     sizeof(err));
	json_object_put(req);
	if (r < 0) {
		r = http_bus_error(conn, r, reply, err);
		json_object_put(reply);
		return r;
	}
	o = json_object_new_object();
	list = json_object_new_array();
	if (json_object_object_get_ex(reply, "flows", &v) &&
	    json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *f = json_object_array_get_idx(v, i), *x;
			bool keep = true;
			if (company[0] != '\0')
				keep = json_object_object_get_ex(f, "company",
								 &x) &&
				       strcasecmp(json_object_get_string(x),
						  company) == 0;
			if (keep && tag[0] != '\0') {
				keep = false;
				if (json_object_object_get_ex(f, "tags", &x) &&
				    json_object_is_type(x, json_type_array))
					for (size_t j = 0;
					     j < json_object_array_length(x); j++)
						keep = keep ||
						       strcmp(json_object_get_string(
								  json_object_array_get_idx(
								      x, j)),
							      tag) == 0;
			}
			if (keep)
				json_object_array_add(list, json_object_get(f));
		}
	json_object_object_add(o, "flows", list);
	json_object_object_add(
	    o, "total",
	    json_object_new_int64((int64_t)json_object_array_length(list)));
	json_object_put(reply);
	return http_reply(conn, 200, o);
}

static int
http_transfer_to(struct mg_connection *conn, struct apid *a, const char *id,
		 const char *to);

/* POST /api/calls/{id}/transfer {transfer_to | device}: ring a device. */
static int
http_transfer(struct mg_connection *conn, struct apid *a, const char *id)
{
	char *text = NULL;
	char to[256] = "";
	json_object *body = NULL, *v;
	size_t len;
	int r;

	if ((r = http_read_body(conn, &text, &len)) < 0)
		return http_body_error(conn, r);
	body = json_tokener_parse(text);
	free(text);
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		json_object_put(body);
		return http_error(conn, 400,
				  "the body must be a JSON object "
				  "{\"transfer_to\": DEVICE}");
	}
	{
		json_object_object_foreach(body, k, val) {
			(void)val;
			if (strcmp(k, "transfer_to") != 0 &&
			    strcmp(k, "device") != 0) {
				r = http_error(conn, 400,
					       "%.64s: unknown field "
					       "(transfer_to or device)",
					       k);
				json_object_put(body);
				return r;
			}
		}
	}
	if ((json_object_object_get_ex(body, "transfer_to", &v) ||
	     json_object_object_get_ex(body, "device", &v)) &&
	    json_object_is_type(v, json_type_string))
		snprintf(to, sizeof(to), "%s", json_object_get_string(v));
	json_object_put(body);
	return http_transfer_to(conn, a, id, to);
}

/* Rings device to (a name or sip: URI) for the call id. */
static int
http_transfer_to(struct mg_connection *conn, struct apid *a, const char *id,
		 const char *to)
{
	char err[512], status[32], dname[256], duri[256];
	json_object *req, *reply = NULL, *v, *o;
	int r;

	if (to[0] == '\0')
		return http_error(conn, 400,
				  "transfer_to: a device name or sip: URI is "
				  "required");
	r = apid_db_call_status(a->db, id, status, sizeof(status));
	if (r < 0)
		return http_error(conn, r == -ENOENT ? 404 : 500,
				  "unknown call '%s'", id);
	if (apid_status_terminal(status))
		return http_error(conn, 409, "call '%s' has already ended (%s)",
				  id, status);
	if ((r = http_device_resolve(conn, a, to, "transfer_to", dname,
				     sizeof(dname), duri, sizeof(duri))) != 0)
		return r;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("transfer"));
	json_object_object_add(req, "call_id", json_object_new_string(id));
	json_object_object_add(req, "device", json_object_new_string(dname));
	json_object_object_add(req, "device_uri", json_object_new_string(duri));
	r = bus_call(a->zctx, a->wconf, "ivrd", req, 0, &reply, err,
		     sizeof(err));
	json_object_put(req);
	if (r < 0) {
		r = http_bus_error(conn, r, reply, err);
		json_object_put(reply);
		return r;
	}
	log_info("call %s: transfer to %s requested", id, dname);
	if (apid_db_call_get(a->db, id, false, &o) < 0) {
		json_object_put(reply);
		return http_error(conn, 500, "cannot read call '%s'", id);
	}
	json_object_object_add(o, "transfer_to", json_object_new_string(dname));
	json_object_object_add(o, "ringing",
			       json_object_object_get_ex(reply, "ringing", &v)
				   ? json_object_get(v)
				   : json_object_new_boolean(0));
	json_object_put(reply);
	return http_reply(conn, 200, o);
}

/* Reads and parses a JSON object body; 0, or the status of the error sent. */
static int
http_json_body(struct mg_connection *conn, json_object **out)
{
	char *text = NULL;
	size_t len;
	int r;

	*out = NULL;
	if ((r = http_read_body(conn, &text, &len)) < 0)
		return http_body_error(conn, r);
	*out = json_tokener_parse(text);
	free(text);
	if (*out == NULL || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return http_error(conn, 400, "the body must be a JSON object");
	}
	return 0;
}

/*
 * is_online for each device of arr whose sip_uri is a phone of [phones]
 * at sipd's own address (sip:NAME@[sip] listen): true while sipd has a
 * binding for it.  Left out when sipd cannot be asked.
 */
static void
http_devices_online(struct apid *a, json_object *arr)
{
	json_object *req, *reply = NULL, *regs = NULL;
	const struct conf *c = a->wconf;
	char err[256], want[512];

	if (c->nphones == 0 || arr == NULL)
		return;
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	if (bus_call(a->zctx, c, "sipd", req, 0, &reply, err, sizeof(err)) !=
		0 ||
	    !json_object_object_get_ex(reply, "registrations", &regs))
		goto out;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *d = json_object_array_get_idx(arr, i), *u;
		const char *uri;
		int online = 0, phone = 0;

		if (!json_object_object_get_ex(d, "sip_uri", &u) ||
		    (uri = json_object_get_string(u)) == NULL)
			continue;
		for (size_t k = 0; k < c->nphones && !phone; k++) {
			snprintf(want, sizeof(want), "sip:%s@%s",
				 c->phones[k].name, c->sip_listen);
			if (strcmp(uri, want) != 0)
				continue;
			phone = 1;
			for (size_t j = 0; j < json_object_array_length(regs);
			     j++) {
				json_object *r = json_object_array_get_idx(regs,
									   j),
					    *n;
				if (json_object_object_get_ex(r, "phone", &n) &&
				    strcmp(json_object_get_string(n),
					   c->phones[k].name) == 0)
					online = 1;
			}
		}
		if (phone)
			json_object_object_add(d, "is_online",
					       json_object_new_boolean(online));
	}
out:
	json_object_put(req);
	json_object_put(reply);
}

/*
 * /api/devices[/{id}]: GET lists or shows, POST adds (201, 409 if the name
 * is taken), PUT changes (404), DELETE removes (204).
 */
static int
http_devices(struct mg_connection *conn, struct apid *a, const char *m,
	     const char *id)
{
	json_object *body = NULL, *dev = NULL, *o, *host;
	char err[512];
	int r;

	if (id != NULL && !apid_name_valid(id, 63))
		return http_error(conn, 404, "unknown device '%.64s'", id);
	if (strcmp(m, "GET") == 0) {
		if (id == NULL) {
			if (apid_db_device_list(a->db, &o) < 0)
				return http_error(conn, 500,
						  "cannot read the devices");
			http_devices_online(a, o);
			body = json_object_new_object();
			json_object_object_add(body, "devices", o);
			json_object_object_add(
			    body, "total",
			    json_object_new_int64(
				(int64_t)json_object_array_length(o)));
			return http_reply(conn, 200, body);
		}
		r = apid_db_device_get(a->db, id, &o);
		if (r < 0)
			return http_error(conn, r == -ENOENT ? 404 : 500,
					  "unknown device '%s'", id);
		return http_reply(conn, 200, o);
	}
	if (strcmp(m, "DELETE") == 0) {
		if (id == NULL)
			return http_error(conn, 405,
					  "method DELETE not allowed here (use "
					  "/api/devices/{id})");
		r = apid_db_device_delete(a->db, id);
		if (r < 0)
			return http_error(conn, r == -ENOENT ? 404 : 500,
					  "unknown device '%s'", id);
		log_info("devices: %s removed", id);
		mg_response_header_start(conn, 204);
		apid_cors_headers(conn, a->wconf);
		mg_response_header_send(conn);
		return 204;
	}
	if ((strcmp(m, "POST") != 0 || id != NULL) &&
	    (strcmp(m, "PUT") != 0 || id == NULL))
		return http_error(conn, 405,
				  "method %s not allowed here (GET, POST "
				  "/api/devices; GET, PUT, DELETE "
				  "/api/devices/{id})",
				  m);
	if ((r = http_json_body(conn, &body)) != 0)
		return r;
	r = apid_device_parse(body, id, &dev, err, sizeof(err));
	json_object_put(body);
	if (r < 0)
		return http_error(conn, 400, "%s", err);
	if (json_object_object_get_ex(dev, "sip_uri", &host) &&
	    strncmp(json_object_get_string(host), "sip", 3) == 0 &&
	    !apid_sip_host_allowed(a->wconf, json_object_get_string(host))) {
		r = http_error(conn, 400,
			       "sip_uri: the host of '%s' is not one apid may "
			       "call ([api] allowed_sip_hosts)",
			       json_object_get_string(host));
		json_object_put(dev);
		return r;
	}
	r = apid_db_device_put(a->db, dev, id == NULL, "api");
	if (r < 0) {
		json_object_put(dev);
		return r == -EEXIST
			   ? http_error(conn, 409, "device '%s' exists",
					id ? id : "(name)")
		       : r == -ENOENT ? http_error(conn, 404,
						   "unknown device '%s'", id)
				      : http_error(conn, 500,
						   "cannot store the device");
	}
	if (json_object_object_get_ex(dev, "name", &host))
		id = json_object_get_string(host);
	log_info("devices: %s %s", id, strcmp(m, "POST") == 0 ? "added"
							       : "changed");
	r = apid_db_device_get(a->db, id, &o);
	json_object_put(dev);
	if (r < 0)
		return http_error(conn, 500, "cannot read the device back");
	return http_reply(conn, strcmp(m, "POST") == 0 ? 201 : 200, o);
}

/* One ivrd request {cmd, key: val}; 0 with *reply, or the error's status. */
static int
http_ivrd(struct mg_connection *conn, struct apid *a, json_object *req,
	  json_object **reply)
{
	char err[512];
	int r;

	*reply = NULL;
	r = bus_call(a->zctx, a->wconf, "ivrd", req, 0, reply, err,
		     sizeof(err));
	json_object_put(req);
	if (r < 0) {
		r = http_bus_error(conn, r, *reply, err);
		json_object_put(*reply);
		*reply = NULL;
		return r;
	}
	return 0;
}

static json_object *
http_ivrd_req(const char *cmd, const char *key, json_object *val)
{
	json_object *req = json_object_new_object();

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	if (key != NULL)
		json_object_object_add(req, key, val);
	return req;
}

/* The flow {id} as ivrd has it file, with its source; 0 or error status. */
static int
http_flow_get(struct mg_connection *conn, struct apid *a, const char *id,
	      int status)
{
	json_object *reply, *flow, *v;
	int r;

	if ((r = http_ivrd(conn, a,
			   http_ivrd_req("flow_get", "id",
					 json_object_new_string(id)),
			   &reply)) != 0)
		return r;
	if (!json_object_object_get_ex(reply, "flow", &flow)) {
		json_object_put(reply);
		return http_error(conn, 500, "ivrd sent no flow");
	}
	flow = json_object_get(flow);
	if (json_object_object_get_ex(reply, "source", &v))
		json_object_object_add(flow, "source", json_object_get(v));
	json_object_put(reply);
	return http_reply(conn, status, flow);
}

/*
 * /api/call-flows/{id}: GET the flow, PUT replaces it (200), DELETE
 * removes it (204); POST /api/call-flows creates one (201).
 */
static int
http_flow(struct mg_connection *conn, struct apid *a, const char *m,
	  const char *id)
{
	json_object *body = NULL, *reply, *v, *req;
	int r;

	if (id != NULL && !apid_name_valid(id, 127))
		return http_error(conn, 404, "unknown flow '%.64s'", id);
	if (id != NULL && strcmp(m, "GET") == 0)
		return http_flow_get(conn, a, id, 200);
	if (id != NULL && strcmp(m, "DELETE") == 0) {
		if ((r = http_ivrd(conn, a,
				   http_ivrd_req("flow_delete", "id",
						 json_object_new_string(id)),
				   &reply)) != 0)
			return r;
		json_object_put(reply);
		mg_response_header_start(conn, 204);
		apid_cors_headers(conn, a->wconf);
		mg_response_header_send(conn);
		return 204;
	}
	if ((id == NULL && strcmp(m, "POST") != 0) ||
	    (id != NULL && strcmp(m, "PUT") != 0))
		return http_error(conn, 405,
				  "method %s not allowed here (GET, POST "
				  "/api/call-flows; GET, PUT, DELETE "
				  "/api/call-flows/{id})",
				  m);
	if ((r = http_json_body(conn, &body)) != 0)
		return r;
	if (id != NULL) {
		if (json_object_object_get_ex(body, "id", &v) &&
		    (!json_object_is_type(v, json_type_string) ||
		     strcmp(json_object_get_string(v), id) != 0)) {
			json_object_put(body);
			return http_error(conn, 400,
					  "id: differs from the path's '%s'",
					  id);
		}
		json_object_object_add(body, "id", json_object_new_string(id));
	}
	/* What apid adds when it serves a flow is not part of the file. */
	json_object_object_del(body, "source");
	req = http_ivrd_req("flow_put", "flow", body);
	json_object_object_add(req, "create", json_object_new_boolean(id == NULL));
	if ((r = http_ivrd(conn, a, req, &reply)) != 0)
		return r;
	{
		char fid[256];
		snprintf(fid, sizeof(fid), "%s",
			 json_object_object_get_ex(reply, "flow_id", &v)
			     ? json_object_get_string(v)
			     : "");
		json_object_put(reply);
		return http_flow_get(conn, a, fid, id == NULL ? 201 : 200);
	}
}

/*
 * POST /api/call-flows/learn {call_id, company?}: ivrd builds the learned
 * flow of a finished call's exploration.  ivrd already counted a call that
 * reached a person when it ended (and counts it again on every learn), so
 * apid takes that one back; company, when given, is set on the flow.
 */
static int
http_learn_flow(struct mg_connection *conn, struct apid *a)
{
	json_object *body = NULL, *reply = NULL, *flow, *v, *req;
	char call_id[MSG_CALL_ID_MAX] = "", company[256] = "", status[32] = "";
	bool fix;
	int r;

	if ((r = http_json_body(conn, &body)) != 0)
		return r;
	{
		json_object_object_foreach(body, k, val) {
			if (strcmp(k, "call_id") != 0 && strcmp(k, "company") != 0) {
				r = http_error(conn, 400,
					       "%.64s: unknown field (call_id, "
					       "company)",
					       k);
				json_object_put(body);
				return r;
			}
			if (!json_object_is_type(val, json_type_string) ||
			    json_object_get_string_len(val) >= 255) {
				r = http_error(conn, 400, "%s: must be a string",
					       k);
				json_object_put(body);
				return r;
			}
		}
	}
	if (json_object_object_get_ex(body, "call_id", &v))
		snprintf(call_id, sizeof(call_id), "%s",
			 json_object_get_string(v));
	if (json_object_object_get_ex(body, "company", &v))
		snprintf(company, sizeof(company), "%s",
			 json_object_get_string(v));
	json_object_put(body);
	if (!apid_call_id_valid(call_id))
		return http_error(conn, 400,
				  "call_id: a call id string is required");
	if ((r = http_resolve(conn, a, call_id, sizeof(call_id))) != 0)
		return r;
	apid_db_call_status(a->db, call_id, status, sizeof(status));
	req = http_ivrd_req("learn", "call_id", json_object_new_string(call_id));
	if ((r = http_ivrd(conn, a, req, &reply)) != 0)
		return r;
	json_object_object_del(reply, "ok");
	fix = company[0] != '\0' || strcmp(status, "completed") == 0;
	if (fix && json_object_object_get_ex(reply, "flow", &flow) &&
	    json_object_is_type(flow, json_type_object)) {
		json_object *copy = NULL, *put_reply = NULL;
		int64_t n;

		if (json_object_deep_copy(flow, &copy, NULL) != 0) {
			json_object_put(reply);
			return http_error(conn, 500, "out of memory");
		}
		if (company[0] != '\0')
			json_object_object_add(copy, "company",
					       json_object_new_string(company));
		if (strcmp(status, "completed") == 0 &&
		    json_object_object_get_ex(copy, "success_count", &v) &&
		    (n = json_object_get_int64(v)) > 0)
			json_object_object_add(copy, "success_count",
					       json_object_new_int64(n - 1));
		req = http_ivrd_req("flow_put", "flow", json_object_get(copy));
		json_object_object_add(req, "create", json_object_new_boolean(0));
		if ((r = http_ivrd(conn, a, req, &put_reply)) != 0) {
			json_object_put(copy);
			json_object_put(reply);
			return r;
		}
		json_object_put(put_reply);
		json_object_object_add(reply, "flow", copy);
	}
	log_info("call %s: flow learned%s%s", call_id,
		 company[0] ? " for " : "", company);
	return http_reply(conn, 201, reply);
}

static int
http_method(struct mg_connection *conn, const char *method,
	    const char *want)
{
	if (strcmp(method, want) == 0)
		return 0;
	return http_error(conn, 405, "method %s not allowed here (use %s)",
			  method, want);
}

/*
 * A CORS preflight: an allowed Origin learns what it may send; any other
 * gets a 403 without an Access-Control-Allow-Origin header, so the browser
 * refuses the request itself.
 */
static int
http_preflight(struct mg_connection *conn, struct apid *a)
{
	const char *origin = mg_get_header(conn, "Origin");

	if (origin != NULL && !apid_origin_allowed(a->wconf, origin))
		return http_error(conn, 403,
				  "origin '%.200s' is not allowed ([api] "
				  "allowed_origins)",
				  origin);
	mg_response_header_start(conn, 204);
	apid_cors_headers(conn, a->wconf);
	mg_response_header_add(conn, "Access-Control-Allow-Methods",
			       "GET, POST, PUT, DELETE", -1);
	mg_response_header_add(conn, "Access-Control-Allow-Headers",
			       "Authorization, Content-Type", -1);
	mg_response_header_add(conn, "Access-Control-Max-Age", "600", -1);
	mg_response_header_add(conn, "Content-Length", "0", -1);
	mg_response_header_send(conn);
	return 204;
}

static int
http_on_api(struct mg_connection *conn, void *cbdata)
{
	struct apid *a = cbdata;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *m = ri->request_method;
	char id[MSG_CALL_ID_MAX], detail[320];
	bool health;
	int r;

	if (strcmp(m, "OPTIONS") == 0)
		return http_preflight(conn, a);
	health = strcmp(m, "GET") == 0 &&
		 apid_route_parse(ri->local_uri, id, sizeof(id)) ==
		     APID_R_HEALTH;
	if ((r = apid_auth_check(a, conn, !health, detail, sizeof(detail))) !=
	    0) {
		log_info("http: %s %s %s from %s", m, ri->local_uri,
			 r == 401 ? "unauthenticated" : "refused",
			 ri->remote_addr);
		return http_error(conn, r, "%s", detail);
	}
	if (strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
	    strcmp(m, "PATCH") == 0) {
		const char *ct = mg_get_header(conn, "Content-Type");
		size_t n = ct ? strcspn(ct, "; ") : 0;
		if (ct == NULL || n != 16 ||
		    strncasecmp(ct, "application/json", 16) != 0)
			return http_error(conn, 415,
					  "Content-Type must be "
					  "application/json");
	}
	if (strcmp(ri->local_uri, "/api/call-flows") == 0)
		return strcmp(m, "GET") == 0 ? http_list_flows(conn, a)
					     : http_flow(conn, a, m, NULL);
	if (strcmp(ri->local_uri, "/api/call-flows/learn") == 0)
		return (r = http_method(conn, m, "POST")) ? r
							  : http_learn_flow(conn, a);
	if (strncmp(ri->local_uri, "/api/call-flows/", 16) == 0)
		return http_flow(conn, a, m, ri->local_uri + 16);
	if (strcmp(ri->local_uri, "/api/devices") == 0)
		return http_devices(conn, a, m, NULL);
	if (strncmp(ri->local_uri, "/api/devices/", 13) == 0)
		return http_devices(conn, a, m, ri->local_uri + 13);
	switch (apid_route_parse(ri->local_uri, id, sizeof(id))) {
	case APID_R_HOLD_SLAYER:
		return (r = http_method(conn, m, "POST")) ? r
							  : http_start_call(conn, a, false);
	case APID_R_OUTBOUND:
		return (r = http_method(conn, m, "POST")) ? r
							  : http_start_call(conn, a, true);
	case APID_R_CALLS:
		return (r = http_method(conn, m, "GET")) ? r
							 : http_list_calls(conn, a);
	case APID_R_CALL:
		return (r = http_method(conn, m, "GET")) ? r
		       : (r = http_resolve(conn, a, id, sizeof(id))) ? r
								     : http_get_call(conn, a, id);
	case APID_R_HANGUP:
		return (r = http_method(conn, m, "POST")) ? r
		       : (r = http_resolve(conn, a, id, sizeof(id))) ? r
								     : http_hangup(conn, a, id);
	case APID_R_TRANSFER:
		return (r = http_method(conn, m, "POST")) ? r
		       : (r = http_resolve(conn, a, id, sizeof(id))) ? r
								     : http_transfer(conn, a, id);
	case APID_R_HEALTH:
		return (r = http_method(conn, m, "GET")) ? r
							 : http_health(conn, a);
	case APID_R_NONE:
		break;
	}
	return http_error(conn, 404, "no such resource: %s", ri->local_uri);
}

/*
 * The apid_op_* wrappers: run one operation without a connection and take
 * what it would have sent.
 */
static int
http_capture_take(json_object **out)
{
	int status = http_capture.status;

	*out = http_capture.body;
	http_capture.body = NULL;
	http_capture.status = 0;
	if (*out == NULL) { /* a 204: nothing sent */
		*out = json_object_new_object();
		status = status ? status : 500;
	}
	return status;
}

int
apid_op_call_start(struct apid *a, bool direct, const char *body, size_t len,
		   json_object **out)
{
	http_start_call_body(NULL, a, direct, body, len);
	return http_capture_take(out);
}

/* Resolves id (a prefix) into full; 0, or the status of the error kept. */
static int
http_op_resolve(struct apid *a, const char *id, char *full, size_t len)
{
	if (!apid_call_id_valid(id))
		return http_error(NULL, 404, "unknown call '%.64s'", id);
	snprintf(full, len, "%s", id);
	return http_resolve(NULL, a, full, len);
}

int
apid_op_call_get(struct apid *a, const char *id, json_object **out)
{
	char full[MSG_CALL_ID_MAX];

	if (http_op_resolve(a, id, full, sizeof(full)) == 0)
		http_get_call(NULL, a, full);
	return http_capture_take(out);
}

int
apid_op_call_list(struct apid *a, const char *status, long limit,
		  long offset, json_object **out)
{
	http_calls_page(NULL, a, status, limit, offset);
	return http_capture_take(out);
}

int
apid_op_call_hangup(struct apid *a, const char *id, json_object **out)
{
	char full[MSG_CALL_ID_MAX];

	if (http_op_resolve(a, id, full, sizeof(full)) == 0)
		http_hangup(NULL, a, full);
	return http_capture_take(out);
}

int
apid_op_call_transfer(struct apid *a, const char *id, const char *to,
		      json_object **out)
{
	char full[MSG_CALL_ID_MAX];

	if (http_op_resolve(a, id, full, sizeof(full)) == 0)
		http_transfer_to(NULL, a, full, to);
	return http_capture_take(out);
}

int
apid_op_flow_list(struct apid *a, const char *company, const char *tag,
		  json_object **out)
{
	http_flows_filtered(NULL, a, company, tag);
	return http_capture_take(out);
}

int
apid_op_flow_get(struct apid *a, const char *id, json_object **out)
{
	if (!apid_name_valid(id, 127))
		http_error(NULL, 404, "unknown flow '%.64s'", id);
	else
		http_flow_get(NULL, a, id, 200);
	return http_capture_take(out);
}

static int
http_log_message(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	log_warnx("http: %s", message);
	return 1;
}

int
apid_http_start(struct apid *a, const char *listen, long threads)
{
	char nthreads[16], rto[16];
	const char *options[] = {"listening_ports",
				 listen,
				 "num_threads",
				 nthreads,
				 "request_timeout_ms",
				 rto,
				 /* civetweb's own preflight answer is "*":
				  * off, apid answers (http_preflight). */
				 "access_control_allow_origin",
				 "",
				 "enable_websocket_ping_pong",
				 "yes",
				 "websocket_timeout_ms",
				 "30000",
				 /* the dashboard's files (www.c): always
				  * revalidated, so an upgrade shows at once */
				 "static_file_max_age",
				 "0",
				 NULL};
	struct mg_callbacks cb;

	snprintf(nthreads, sizeof(nthreads), "%ld", threads);
	snprintf(rto, sizeof(rto), "%ld", a->wconf->api_request_timeout_ms);
	memset(&cb, 0, sizeof(cb));
	cb.log_message = http_log_message;
	mg_init_library(0);
	a->http = mg_start(&cb, a, options);
	if (a->http == NULL) {
		log_warnx("http: cannot listen on %s ([api] listen)", listen);
		return -EADDRINUSE;
	}
	mg_set_request_handler(a->http, "/api", http_on_api, a);
	mg_set_request_handler(a->http, "/mcp", apid_mcp_on_request, a);
	apid_ws_register(a->ws, a->http);
	apid_www_register(a);
	log_info("http: listening on %s (%ld threads)", listen, threads);
	return 0;
}

void
apid_http_stop(struct apid *a)
{
	if (a->http == NULL)
		return;
	mg_stop(a->http);
	a->http = NULL;
	mg_exit_library();
}
