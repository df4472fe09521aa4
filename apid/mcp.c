/*
 * mcp: the Model Context Protocol server at /mcp, so that an AI assistant
 * can place, follow, transfer and hang up calls with the same operations
 * as the REST routes (http.c's apid_op_*; apid(8) lists the tools).
 *
 * Transport: MCP's Streamable HTTP.  A POST carries one JSON-RPC 2.0
 * message (or a batch of them, as protocol 2025-03-26 allows); requests
 * are answered with one application/json body, which the transport allows
 * instead of an SSE stream, and notifications or responses alone with 202.
 * The server never speaks unasked, so GET (the server-to-client stream) is
 * 405.  initialize opens a session: its reply carries Mcp-Session-Id, every
 * later request must send it back (400 without it, 404 once unknown), and
 * DELETE ends it.  A client names its protocol version in initialize and
 * then in MCP-Protocol-Version; an unsupported header is a 400.
 *
 * Every request passes apid_auth_check (Origin and bearer token) as /api
 * does.  A tool's bad arguments are a tool result with isError and a
 * message naming the argument; an unknown tool or method is a JSON-RPC
 * error.
 *
 * Threads: runs on civetweb workers; the session table has its own mutex.
 * wait_for_call_status holds its worker for at most MCP_WAIT_MAX_S.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <civetweb.h>

#include "apid.h"
#include "log.h"

#define MCP_SESSIONS_MAX 64 /* the least recently used one is forgotten */
/*
 * wait_for_call_status's longest wait: under the 60 s an MCP client
 * (the TypeScript SDK's default) waits for any answer, and short enough
 * that a few waiting assistants do not take every worker for long.
 */
#define MCP_WAIT_MAX_S 50
#define MCP_WAIT_DEFAULT_S 25
#define MCP_WAIT_POLL_MS 200

/* JSON-RPC 2.0 error codes. */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_SERVER_ERROR -32000

/* The protocol versions apid speaks, newest first. */
static const char *const mcp_versions[] = {"2025-11-25", "2025-06-18",
					   "2025-03-26", "2024-11-05", NULL};

struct mcp_session {
	char id[37];
	int64_t used_ms; /* 0: free */
};

struct apid_mcp {
	pthread_mutex_t mu;
	struct mcp_session s[MCP_SESSIONS_MAX];
	atomic_bool stopping; /* apid is stopping: waits end now */
};

int
apid_mcp_new(struct apid_mcp **out)
{
	struct apid_mcp *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (m == NULL)
		return -ENOMEM;
	pthread_mutex_init(&m->mu, NULL);
	atomic_init(&m->stopping, false);
	*out = m;
	return 0;
}

void
apid_mcp_stop(struct apid_mcp *m)
{
	if (m != NULL)
		atomic_store(&m->stopping, true);
}

void
apid_mcp_free(struct apid_mcp *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* A new session's id in out; the least recently used one makes room. */
static int
mcp_session_open(struct apid_mcp *m, char out[37])
{
	size_t pick = 0;

	if (msg_uuid(out) < 0)
		return -EIO;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 1; i < MCP_SESSIONS_MAX; i++)
		if (m->s[i].used_ms < m->s[pick].used_ms)
			pick = i;
	snprintf(m->s[pick].id, sizeof(m->s[pick].id), "%s", out);
	m->s[pick].used_ms = msg_mono_ms();
	if (m->s[pick].used_ms == 0)
		m->s[pick].used_ms = 1;
	pthread_mutex_unlock(&m->mu);
	return 0;
}

/* id is a live session: touch it (or, with end, end it). */
static bool
mcp_session_use(struct apid_mcp *m, const char *id, bool end)
{
	bool found = false;

	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < MCP_SESSIONS_MAX && !found; i++) {
		if (m->s[i].used_ms == 0 || strcmp(m->s[i].id, id) != 0)
			continue;
		found = true;
		m->s[i].used_ms = end ? 0 : msg_mono_ms();
	}
	pthread_mutex_unlock(&m->mu);
	return found;
}

/* Sends o (consumed, may be NULL for no body) with status. */
static int
mcp_send(struct mg_connection *conn, struct apid *a, int status,
	 json_object *o, const char *session)
{
	const char *s = o ? json_object_to_json_string_ext(
				o, JSON_C_TO_STRING_PLAIN |
				       JSON_C_TO_STRING_NOSLASHESCAPE)
			  : "";
	size_t len = strlen(s);
	char clen[32];

	snprintf(clen, sizeof(clen), "%zu", len);
	mg_response_header_start(conn, status);
	if (o != NULL)
		mg_response_header_add(conn, "Content-Type", "application/json",
				       -1);
	mg_response_header_add(conn, "Content-Length", clen, -1);
	mg_response_header_add(conn, "Cache-Control", "no-store", -1);
	if (session != NULL)
		mg_response_header_add(conn, "Mcp-Session-Id", session, -1);
	apid_cors_headers(conn, a->wconf);
	if (mg_get_header(conn, "Origin") != NULL &&
	    apid_origin_allowed(a->wconf, mg_get_header(conn, "Origin")))
		mg_response_header_add(conn, "Access-Control-Expose-Headers",
				       "Mcp-Session-Id", -1);
	if (status == 401)
		mg_response_header_add(conn, "WWW-Authenticate",
				       "Bearer realm=\"holdslayer\"", -1);
	if (status == 405)
		mg_response_header_add(conn, "Allow", "POST, DELETE, OPTIONS",
				       -1);
	mg_response_header_send(conn);
	if (len > 0)
		mg_write(conn, s, len);
	json_object_put(o);
	return status;
}

/* A JSON-RPC error response for id (borrowed, NULL for null). */
static json_object *
mcp_rpc_error(json_object *id, int code, const char *msg)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", msg);
	apid_utf8_sanitize(buf);
	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(buf));
	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", json_object_get(id));
	json_object_object_add(o, "error", e);
	return o;
}

/* An HTTP-level refusal: status with a JSON-RPC error body. */
static int
mcp_refuse(struct mg_connection *conn, struct apid *a, int status,
	   const char *msg)
{
	log_debug("mcp: %d %s", status, msg);
	return mcp_send(conn, a, status,
			mcp_rpc_error(NULL, RPC_SERVER_ERROR, msg), NULL);
}

/*
 * The tools' arguments.  One table gives both the inputSchema a client
 * sees and the checks apid makes, so that they cannot disagree.
 */
enum mcp_type { MT_STRING, MT_INTEGER, MT_OBJECT };
struct mcp_arg {
	const char *name;
	enum mcp_type type;
	bool required;
	const char *desc;
};
#define MCP_ARGS_MAX 8

struct mcp_tool;
typedef int (*mcp_tool_fn)(struct apid *a, json_object *args,
			   json_object **out);
struct mcp_tool {
	const char *name, *title, *desc;
	bool read_only;
	struct mcp_arg args[MCP_ARGS_MAX];
	mcp_tool_fn run;
};

/* A string argument, or def. */
static const char *
mcp_str(json_object *args, const char *name, const char *def)
{
	json_object *v;

	return json_object_object_get_ex(args, name, &v) &&
		       json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : def;
}

static long
mcp_long(json_object *args, const char *name, long def)
{
	json_object *v;

	return json_object_object_get_ex(args, name, &v)
		   ? (long)json_object_get_int64(v)
		   : def;
}

static int
tool_place_call(struct apid *a, json_object *args, json_object **out)
{
	const char *body = json_object_to_json_string_ext(
	    args, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	bool direct = strcmp(mcp_str(args, "mode", ""), "direct") == 0;

	return apid_op_call_start(a, direct, body, strlen(body), out);
}

static int
tool_get_call(struct apid *a, json_object *args, json_object **out)
{
	return apid_op_call_get(a, mcp_str(args, "id", ""), out);
}

static int
tool_list_calls(struct apid *a, json_object *args, json_object **out)
{
	long limit = mcp_long(args, "limit", -1),
	     offset = mcp_long(args, "offset", -1);
	char detail[96];

	if (limit != -1 && (limit < 1 || limit > APID_LIST_MAX)) {
		snprintf(detail, sizeof(detail),
			 "limit: must be an integer from 1 to %d",
			 APID_LIST_MAX);
		goto bad;
	}
	if (offset != -1 && offset < 0) {
		snprintf(detail, sizeof(detail),
			 "offset: must be a non-negative integer");
		goto bad;
	}
	return apid_op_call_list(a, mcp_str(args, "status", ""), limit, offset,
				 out);
bad:
	*out = json_object_new_object();
	json_object_object_add(*out, "detail", json_object_new_string(detail));
	return 400;
}

static int
tool_hangup_call(struct apid *a, json_object *args, json_object **out)
{
	return apid_op_call_hangup(a, mcp_str(args, "id", ""), out);
}

static int
tool_transfer_call(struct apid *a, json_object *args, json_object **out)
{
	return apid_op_call_transfer(a, mcp_str(args, "id", ""),
				     mcp_str(args, "transfer_to", ""), out);
}

static int
tool_list_call_flows(struct apid *a, json_object *args, json_object **out)
{
	return apid_op_flow_list(a, mcp_str(args, "company", ""),
				 mcp_str(args, "tag", ""), out);
}

static int
tool_get_call_flow(struct apid *a, json_object *args, json_object **out)
{
	return apid_op_flow_get(a, mcp_str(args, "id", ""), out);
}

static int
tool_list_devices(struct apid *a, json_object *args, json_object **out)
{
	json_object *list;

	(void)args;
	*out = json_object_new_object();
	if (apid_db_device_list(a->db, &list) < 0) {
		json_object_object_add(
		    *out, "detail",
		    json_object_new_string("cannot read the devices"));
		return 500;
	}
	json_object_object_add(*out, "devices", list);
	json_object_object_add(
	    *out, "total",
	    json_object_new_int64((int64_t)json_object_array_length(list)));
	return 200;
}

/*
 * Waits until the call has the status asked for or has ended, or until
 * timeout_s; then answers the call (full) with "reached" and "timed_out".
 */
static int
tool_wait_for_call_status(struct apid *a, json_object *args,
			  json_object **out)
{
	const char *want = mcp_str(args, "status", "");
	long timeout = mcp_long(args, "timeout_s", MCP_WAIT_DEFAULT_S);
	char full[MSG_CALL_ID_MAX], status[32] = "";
	int64_t deadline;
	bool reached = false, ended = false;
	int r;

	if (!apid_status_known(want) || timeout < 0 ||
	    timeout > MCP_WAIT_MAX_S) {
		*out = json_object_new_object();
		json_object_object_add(
		    *out, "detail",
		    json_object_new_string(
			!apid_status_known(want)
			    ? "status: unknown status (trying, ringing, ivr, "
			      "connected, on_hold, human_detected, "
			      "transferring, bridged, completed, failed)"
			    : "timeout_s: must be an integer from 0 to 50"));
		return 400;
	}
	/* Resolve the prefix once: get_call's answer names the call. */
	if ((r = apid_op_call_get(a, mcp_str(args, "id", ""), out)) != 200)
		return r;
	snprintf(full, sizeof(full), "%s", mcp_str(*out, "call_id", ""));
	json_object_put(*out);
	*out = NULL;
	deadline = msg_mono_ms() + timeout * 1000;
	for (;;) {
		if (apid_db_call_status(a->db, full, status, sizeof(status)) < 0)
			break;
		reached = strcmp(status, want) == 0;
		ended = apid_status_terminal(status);
		if (reached || ended || msg_mono_ms() >= deadline ||
		    atomic_load(&a->mcp->stopping))
			break;
		usleep(MCP_WAIT_POLL_MS * 1000);
	}
	if ((r = apid_op_call_get(a, full, out)) != 200)
		return r;
	json_object_object_add(*out, "reached", json_object_new_boolean(reached));
	json_object_object_add(*out, "timed_out",
			       json_object_new_boolean(!reached && !ended));
	return 200;
}

#define A_ID(what)                                                          \
	{"id", MT_STRING, true,                                             \
	 "the " what " id (a call id may be a unique prefix of one)"}
static const struct mcp_tool mcp_tools[] = {
    {"place_call", "Place a call",
     "Calls a phone number. In hold_slayer mode (the default) Hold Slayer "
     "navigates the company's phone menu towards the intent, waits on hold, "
     "and rings the device (or transfer_to) once a person answers. In direct "
     "mode it only calls the number and bridges it to the device. Returns "
     "the new call; follow it with get_call or wait_for_call_status.",
     false,
     {{"number", MT_STRING, true,
       "the number to call: digits (with an optional +) or a sip: URI"},
      {"intent", MT_STRING, false,
       "why you are calling, in words (hold_slayer mode), e.g. 'dispute a "
       "charge on my card'"},
      {"info", MT_OBJECT, false,
       "facts the menu may ask for, e.g. {\"account_number\": \"1234\"}; a "
       "value {\"value\": V, \"secret\": true} is never shown back"},
      {"device", MT_STRING, false,
       "the device to ring when a person answers (a device name, see "
       "list_devices, or a sip: URI)"},
      {"transfer_to", MT_STRING, false, "the same as device"},
      {"call_flow_id", MT_STRING, false,
       "a known call flow to follow (see list_call_flows)"},
      {"mode", MT_STRING, false, "hold_slayer (the default) or direct"}},
     tool_place_call},
    {"get_call", "Get a call",
     "A call with its status, hold time, events and audio classification "
     "history.",
     true,
     {A_ID("call")},
     tool_get_call},
    {"list_calls", "List calls",
     "Calls newest first: the live ones by default, or status 'all' or one "
     "status for the history.",
     true,
     {{"status", MT_STRING, false,
       "active (the default), all, or one status: trying, ringing, ivr, "
       "connected, on_hold, human_detected, transferring, bridged, "
       "completed, failed"},
      {"limit", MT_INTEGER, false, "at most this many calls (1 to 1000)"},
      {"offset", MT_INTEGER, false, "skip this many calls first"}},
     tool_list_calls},
    {"hangup_call", "Hang up a call", "Hangs up a live call.", false,
     {A_ID("call")},
     tool_hangup_call},
    {"transfer_call", "Transfer a call",
     "Rings a device and bridges the call to it when it answers.", false,
     {A_ID("call"),
      {"transfer_to", MT_STRING, true,
       "a device name (see list_devices) or a sip: URI"}},
     tool_transfer_call},
    {"list_call_flows", "List call flows",
     "The known phone menus (call flows), optionally of one company or with "
     "one tag.",
     true,
     {{"company", MT_STRING, false, "only this company's flows"},
      {"tag", MT_STRING, false, "only flows with this tag"}},
     tool_list_call_flows},
    {"get_call_flow", "Get a call flow",
     "One call flow: its menu steps and statistics.", true,
     {A_ID("flow")},
     tool_get_call_flow},
    {"list_devices", "List devices",
     "The devices a call can ring when a person answers.", true,
     {{NULL, MT_STRING, false, NULL}},
     tool_list_devices},
    {"wait_for_call_status", "Wait for a call status",
     "Waits until the call reaches status or ends, or until timeout_s "
     "(at most 50) passes; returns the call with reached and timed_out.",
     true,
     {A_ID("call"),
      {"status", MT_STRING, true,
       "the status to wait for, e.g. human_detected or bridged"},
      {"timeout_s", MT_INTEGER, false,
       "seconds to wait at most (0 to 50, default 25)"}},
     tool_wait_for_call_status},
};
#define MCP_NTOOLS (sizeof(mcp_tools) / sizeof(mcp_tools[0]))

static json_object *
mcp_tool_schema(const struct mcp_tool *t)
{
	static const char *const types[] = {"string", "integer", "object"};
	json_object *s = json_object_new_object(), *props = json_object_new_object();
	json_object *req = json_object_new_array();

	for (size_t i = 0; i < MCP_ARGS_MAX && t->args[i].name; i++) {
		const struct mcp_arg *g = &t->args[i];
		json_object *p = json_object_new_object();
		json_object_object_add(p, "type",
				       json_object_new_string(types[g->type]));
		json_object_object_add(p, "description",
				       json_object_new_string(g->desc));
		if (strcmp(g->name, "mode") == 0) {
			json_object *e = json_object_new_array();
			json_object_array_add(e,
					      json_object_new_string("hold_slayer"));
			json_object_array_add(e, json_object_new_string("direct"));
			json_object_object_add(p, "enum", e);
		}
		json_object_object_add(props, g->name, p);
		if (g->required)
			json_object_array_add(req, json_object_new_string(g->name));
	}
	json_object_object_add(s, "type", json_object_new_string("object"));
	json_object_object_add(s, "properties", props);
	if (json_object_array_length(req) > 0)
		json_object_object_add(s, "required", req);
	else
		json_object_put(req);
	json_object_object_add(s, "additionalProperties",
			       json_object_new_boolean(0));
	return s;
}

static json_object *
mcp_tools_list(void)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();

	for (size_t i = 0; i < MCP_NTOOLS; i++) {
		const struct mcp_tool *t = &mcp_tools[i];
		json_object *d = json_object_new_object(),
			    *ann = json_object_new_object();
		json_object_object_add(d, "name", json_object_new_string(t->name));
		json_object_object_add(d, "title",
				       json_object_new_string(t->title));
		json_object_object_add(d, "description",
				       json_object_new_string(t->desc));
		json_object_object_add(d, "inputSchema", mcp_tool_schema(t));
		json_object_object_add(ann, "readOnlyHint",
				       json_object_new_boolean(t->read_only));
		json_object_object_add(d, "annotations", ann);
		json_object_array_add(list, d);
	}
	json_object_object_add(o, "tools", list);
	return o;
}

/* Checks args against the tool's table; 0, or -EINVAL with err. */
static int
mcp_args_check(const struct mcp_tool *t, json_object *args, char *err,
	       size_t errlen)
{
	static const json_type want[] = {json_type_string, json_type_int,
					 json_type_object};
	static const char *const names[] = {"a string", "an integer",
					    "an object"};

	json_object_object_foreach(args, k, v) {
		size_t i;
		for (i = 0; i < MCP_ARGS_MAX && t->args[i].name &&
			    strcmp(t->args[i].name, k) != 0;
		     i++)
			;
		if (i == MCP_ARGS_MAX || t->args[i].name == NULL) {
			snprintf(err, errlen, "%.64s: unknown argument of %s",
				 k, t->name);
			return -EINVAL;
		}
		if (!json_object_is_type(v, want[t->args[i].type])) {
			snprintf(err, errlen, "%s: must be %s", k,
				 names[t->args[i].type]);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < MCP_ARGS_MAX && t->args[i].name; i++)
		if (t->args[i].required &&
		    !json_object_object_get_ex(args, t->args[i].name, NULL)) {
			snprintf(err, errlen, "%s: required", t->args[i].name);
			return -EINVAL;
		}
	return 0;
}

/* A tools/call result: the body as text and, when it worked, as data. */
static json_object *
mcp_tool_result(int status, json_object *body)
{
	json_object *o = json_object_new_object(), *c = json_object_new_array();
	json_object *item = json_object_new_object(), *v;
	bool bad = status >= 400;

	json_object_object_add(item, "type", json_object_new_string("text"));
	if (bad && json_object_object_get_ex(body, "detail", &v))
		json_object_object_add(item, "text", json_object_get(v));
	else
		json_object_object_add(
		    item, "text",
		    json_object_new_string(json_object_to_json_string_ext(
			body, JSON_C_TO_STRING_PLAIN |
				  JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_array_add(c, item);
	json_object_object_add(o, "content", c);
	if (!bad)
		json_object_object_add(o, "structuredContent",
				       json_object_get(body));
	json_object_object_add(o, "isError", json_object_new_boolean(bad));
	json_object_put(body);
	return o;
}

/* tools/call: a result, or NULL with *code and err for a JSON-RPC error. */
static json_object *
mcp_tools_call(struct apid *a, json_object *params, int *code, char *err,
	       size_t errlen)
{
	json_object *v, *args = NULL, *body;
	const struct mcp_tool *t = NULL;
	const char *name;
	int status;

	if (!json_object_object_get_ex(params, "name", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		*code = RPC_INVALID_PARAMS;
		snprintf(err, errlen, "params.name: the tool's name is required");
		return NULL;
	}
	name = json_object_get_string(v);
	for (size_t i = 0; i < MCP_NTOOLS && t == NULL; i++)
		if (strcmp(mcp_tools[i].name, name) == 0)
			t = &mcp_tools[i];
	if (t == NULL) {
		*code = RPC_INVALID_PARAMS;
		snprintf(err, errlen, "unknown tool '%.64s'", name);
		return NULL;
	}
	if (json_object_object_get_ex(params, "arguments", &args) &&
	    args != NULL && !json_object_is_type(args, json_type_object)) {
		body = json_object_new_object();
		json_object_object_add(
		    body, "detail",
		    json_object_new_string("arguments: must be an object"));
		return mcp_tool_result(400, body);
	}
	args = args ? json_object_get(args) : json_object_new_object();
	if (mcp_args_check(t, args, err, errlen) < 0) {
		body = json_object_new_object();
		json_object_object_add(body, "detail",
				       json_object_new_string(err));
		json_object_put(args);
		return mcp_tool_result(400, body);
	}
	status = t->run(a, args, &body);
	json_object_put(args);
	log_debug("mcp: %s: %d", t->name, status);
	return mcp_tool_result(status, body);
}

static const char *
mcp_version_pick(const char *asked)
{
	for (size_t i = 0; asked != NULL && mcp_versions[i]; i++)
		if (strcmp(asked, mcp_versions[i]) == 0)
			return mcp_versions[i];
	return mcp_versions[0];
}

static json_object *
mcp_initialize(json_object *params)
{
	json_object *o = json_object_new_object(), *caps = json_object_new_object();
	json_object *tools = json_object_new_object(), *info, *v;
	const char *asked = NULL;

	if (json_object_object_get_ex(params, "protocolVersion", &v) &&
	    json_object_is_type(v, json_type_string))
		asked = json_object_get_string(v);
	json_object_object_add(o, "protocolVersion",
			       json_object_new_string(mcp_version_pick(asked)));
	json_object_object_add(tools, "listChanged", json_object_new_boolean(0));
	json_object_object_add(caps, "tools", tools);
	json_object_object_add(o, "capabilities", caps);
	info = json_object_new_object();
	json_object_object_add(info, "name", json_object_new_string("holdslayer"));
	json_object_object_add(info, "title",
			       json_object_new_string("Hold Slayer"));
	json_object_object_add(info, "version",
			       json_object_new_string(HS_VERSION));
	json_object_object_add(o, "serverInfo", info);
	json_object_object_add(
	    o, "instructions",
	    json_object_new_string(
		"Hold Slayer places phone calls for the user, navigates phone "
		"menus, waits on hold, and rings the user's device when a "
		"person answers. Use place_call, then wait_for_call_status or "
		"get_call to follow the call."));
	return o;
}

/*
 * Handles one JSON-RPC message.  Returns the response (NULL for a
 * notification or a response, which need none).  *init is set when the
 * message is an initialize request.
 */
static json_object *
mcp_handle(struct apid *a, json_object *msg, bool in_batch, bool *init)
{
	json_object *id = NULL, *v, *params = NULL, *res = NULL, *o;
	const char *method;
	char err[512];
	int code = RPC_METHOD_NOT_FOUND;
	bool has_id;

	if (!json_object_is_type(msg, json_type_object))
		return mcp_rpc_error(NULL, RPC_INVALID_REQUEST,
				     "a JSON-RPC message must be an object");
	has_id = json_object_object_get_ex(msg, "id", &id);
	if (has_id && id != NULL && !json_object_is_type(id, json_type_string) &&
	    !json_object_is_type(id, json_type_int))
		return mcp_rpc_error(NULL, RPC_INVALID_REQUEST,
				     "id: must be a string or an integer");
	if (!json_object_object_get_ex(msg, "jsonrpc", &v) ||
	    strcmp(json_object_get_string(v), "2.0") != 0)
		return has_id ? mcp_rpc_error(id, RPC_INVALID_REQUEST,
					      "jsonrpc: must be \"2.0\"")
			      : NULL;
	if (!json_object_object_get_ex(msg, "method", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL; /* a response (to nothing apid asked): ignored */
	method = json_object_get_string(v);
	if (!has_id)
		return NULL; /* notifications/initialized, cancelled... */
	if (json_object_object_get_ex(msg, "params", &params) &&
	    params != NULL && !json_object_is_type(params, json_type_object))
		return mcp_rpc_error(id, RPC_INVALID_PARAMS,
				     "params: must be an object");
	if (strcmp(method, "initialize") == 0) {
		if (in_batch)
			return mcp_rpc_error(id, RPC_INVALID_REQUEST,
					     "initialize cannot be batched");
		*init = true;
		res = mcp_initialize(params);
	} else if (strcmp(method, "ping") == 0) {
		res = json_object_new_object();
	} else if (strcmp(method, "tools/list") == 0) {
		res = mcp_tools_list();
	} else if (strcmp(method, "tools/call") == 0) {
		res = mcp_tools_call(a, params, &code, err, sizeof(err));
		if (res == NULL)
			return mcp_rpc_error(id, code, err);
	} else {
		snprintf(err, sizeof(err), "method not found: %.64s", method);
		return mcp_rpc_error(id, RPC_METHOD_NOT_FOUND, err);
	}
	o = json_object_new_object();
	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", json_object_get(id));
	json_object_object_add(o, "result", res);
	return o;
}

/* Reads the body (NUL-terminated, malloc'd); -E2BIG, -EILSEQ, -ENOMEM. */
static int
mcp_read_body(struct mg_connection *conn, char **out)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	size_t cap = APID_BODY_MAX + 1, len = 0;
	char *buf;
	int n;

	*out = NULL;
	if (ri->content_length > APID_BODY_MAX)
		return -E2BIG;
	if ((buf = malloc(cap + 1)) == NULL)
		return -ENOMEM;
	while (len < cap && (n = mg_read(conn, buf + len, cap - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	if (len > APID_BODY_MAX || !apid_utf8_valid(buf, len)) {
		free(buf);
		return len > APID_BODY_MAX ? -E2BIG : -EILSEQ;
	}
	*out = buf;
	return 0;
}

static int
mcp_post(struct mg_connection *conn, struct apid *a)
{
	const char *ct = mg_get_header(conn, "Content-Type");
	const char *sid = mg_get_header(conn, "Mcp-Session-Id");
	const char *ver = mg_get_header(conn, "MCP-Protocol-Version");
	json_object *msg, *reply = NULL;
	char *text, session[37];
	bool init = false;
	int r;

	if (ct == NULL || strcspn(ct, "; ") != 16 ||
	    strncasecmp(ct, "application/json", 16) != 0)
		return mcp_refuse(conn, a, 415,
				  "Content-Type must be application/json");
	if ((r = mcp_read_body(conn, &text)) < 0)
		return mcp_refuse(conn, a, r == -E2BIG ? 413 : 400,
				  r == -E2BIG	  ? "the body is too large"
				  : r == -EILSEQ ? "the body is not UTF-8 text"
						  : "out of memory");
	msg = json_tokener_parse(text);
	free(text);
	if (msg == NULL)
		return mcp_send(conn, a, 400,
				mcp_rpc_error(NULL, RPC_PARSE_ERROR,
					      "parse error: the body is not "
					      "JSON"),
				NULL);
	if (json_object_is_type(msg, json_type_object) &&
	    json_object_object_get_ex(msg, "method", NULL) &&
	    strcmp(mcp_str(msg, "method", ""), "initialize") == 0) {
		reply = mcp_handle(a, msg, false, &init);
		json_object_put(msg);
		if (!init || json_object_object_get_ex(reply, "error", NULL))
			return mcp_send(conn, a, 200, reply, NULL);
		if (mcp_session_open(a->mcp, session) < 0) {
			json_object_put(reply);
			return mcp_refuse(conn, a, 500,
					  "cannot make a session id");
		}
		log_info("mcp: session %s opened from %s", session,
			 mg_get_request_info(conn)->remote_addr);
		return mcp_send(conn, a, 200, reply, session);
	}
	if (ver != NULL && strcmp(mcp_version_pick(ver), ver) != 0) {
		json_object_put(msg);
		return mcp_refuse(conn, a, 400,
				  "unsupported MCP-Protocol-Version");
	}
	if (sid == NULL || !mcp_session_use(a->mcp, sid, false)) {
		json_object_put(msg);
		return sid == NULL
			   ? mcp_refuse(conn, a, 400,
					"Mcp-Session-Id is required (initialize "
					"first)")
			   : mcp_refuse(conn, a, 404,
					"unknown or ended session: initialize "
					"again");
	}
	if (json_object_is_type(msg, json_type_array)) {
		size_t n = json_object_array_length(msg);
		reply = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			json_object *one = mcp_handle(
			    a, json_object_array_get_idx(msg, i), true, &init);
			if (one != NULL)
				json_object_array_add(reply, one);
		}
		if (n == 0)
			json_object_array_add(
			    reply, mcp_rpc_error(NULL, RPC_INVALID_REQUEST,
						 "an empty batch"));
		if (json_object_array_length(reply) == 0) {
			json_object_put(reply);
			reply = NULL;
		}
	} else {
		reply = mcp_handle(a, msg, false, &init);
	}
	json_object_put(msg);
	return mcp_send(conn, a, reply ? 200 : 202, reply, NULL);
}

/* The CORS preflight, as /api's with MCP's own headers. */
static int
mcp_preflight(struct mg_connection *conn, struct apid *a)
{
	const char *origin = mg_get_header(conn, "Origin");

	if (origin != NULL && !apid_origin_allowed(a->wconf, origin))
		return mcp_refuse(conn, a, 403,
				  "origin is not allowed ([api] "
				  "allowed_origins)");
	mg_response_header_start(conn, 204);
	apid_cors_headers(conn, a->wconf);
	mg_response_header_add(conn, "Access-Control-Allow-Methods",
			       "GET, POST, DELETE", -1);
	mg_response_header_add(conn, "Access-Control-Allow-Headers",
			       "Authorization, Content-Type, Mcp-Session-Id, "
			       "MCP-Protocol-Version, Last-Event-ID",
			       -1);
	mg_response_header_add(conn, "Access-Control-Max-Age", "600", -1);
	mg_response_header_add(conn, "Content-Length", "0", -1);
	mg_response_header_send(conn);
	return 204;
}

int
apid_mcp_on_request(struct mg_connection *conn, void *cbdata)
{
	struct apid *a = cbdata;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *m = ri->request_method, *sid;
	char detail[320];
	int r;

	if (strcmp(ri->local_uri, "/mcp") != 0)
		return mcp_refuse(conn, a, 404, "no such resource");
	if (strcmp(m, "OPTIONS") == 0)
		return mcp_preflight(conn, a);
	if ((r = apid_auth_check(a, conn, true, detail, sizeof(detail))) != 0) {
		log_info("mcp: %s %s from %s", m,
			 r == 401 ? "unauthenticated" : "refused",
			 ri->remote_addr);
		return mcp_refuse(conn, a, r, detail);
	}
	if (strcmp(m, "POST") == 0)
		return mcp_post(conn, a);
	if (strcmp(m, "DELETE") == 0) {
		sid = mg_get_header(conn, "Mcp-Session-Id");
		if (sid == NULL)
			return mcp_refuse(conn, a, 400,
					  "Mcp-Session-Id is required");
		if (!mcp_session_use(a->mcp, sid, true))
			return mcp_refuse(conn, a, 404, "unknown session");
		log_info("mcp: session %s ended", sid);
		return mcp_send(conn, a, 204, NULL, NULL);
	}
	/* GET would open the server's own stream: apid has nothing to say
	 * unasked. */
	return mcp_refuse(conn, a, 405,
			  "method not allowed: POST JSON-RPC messages here");
}
