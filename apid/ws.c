/*
 * ws: the /ws/events WebSocket stream.  A client connects with optional
 * ?call_id=ID&types=a,b and receives every matching bus event as one text
 * message holding the bus envelope unchanged
 * ({"v":1,"type":...,"call_id":...,"ts":...,"src":...,"seq":...,"data":{}}).
 * Messages the client sends are ignored.  The upgrade needs the API token
 * (Authorization: Bearer, or ?token= from a browser) and an allowed Origin
 * (auth.c); a refusal is a plain 401 or 403 answer.
 *
 * Threads: civetweb calls the connect/ready/close handlers on its worker
 * threads (each WebSocket client holds one worker); apid_ws_broadcast runs
 * on the daemon's main loop thread and never touches a socket: it only
 * appends to each matching client's bounded queue.  Each client has its own
 * sender thread that writes its queue (mg_websocket_write, which frames the
 * messages), so a client that stops reading delays nobody but itself; when
 * its queue is full, new events for it are dropped and counted (the call
 * history in SQLite is complete regardless).  The client list is guarded by
 * ws->mu; a client is unlinked, its sender joined and then freed only in the
 * close handler.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>

#include "apid.h"
#include "log.h"

#define WS_QUEUE_MAX 1024 /* events buffered for one slow client */

struct ws_client {
	struct mg_connection *conn;
	struct apid_filter filter;
	bool ready;
	struct ws_client *next;
	/* the send queue, guarded by mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *q[WS_QUEUE_MAX];
	size_t qhead, qlen;
	bool closing, sender_started;
	unsigned long dropped;
	pthread_t sender;
};

/* Writes a client's queue until the client closes. */
static void *
ws_sender(void *arg)
{
	struct ws_client *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		char *m;

		while (c->qlen == 0 && !c->closing)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->closing)
			break;
		m = c->q[c->qhead];
		c->qhead = (c->qhead + 1) % WS_QUEUE_MAX;
		c->qlen--;
		pthread_mutex_unlock(&c->mu);
		if (mg_websocket_write(c->conn, MG_WEBSOCKET_OPCODE_TEXT, m,
				       strlen(m)) <= 0)
			log_debug("ws: write to a client failed; it is closing");
		free(m);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void
ws_client_free(struct ws_client *c)
{
	if (c == NULL)
		return;
	if (c->sender_started) {
		pthread_mutex_lock(&c->mu);
		c->closing = true;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->sender, NULL);
	}
	while (c->qlen > 0) {
		free(c->q[c->qhead]);
		c->qhead = (c->qhead + 1) % WS_QUEUE_MAX;
		c->qlen--;
	}
	if (c->dropped)
		log_warnx("ws: a client that did not keep up missed %lu events",
			  c->dropped);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

struct apid_ws {
	pthread_mutex_t mu;
	struct ws_client *clients;
	size_t nclients;
};

int
apid_ws_new(struct apid_ws **out)
{
	struct apid_ws *ws = calloc(1, sizeof(*ws));

	if (ws == NULL)
		return -ENOMEM;
	pthread_mutex_init(&ws->mu, NULL);
	*out = ws;
	return 0;
}

void
apid_ws_free(struct apid_ws *ws)
{
	if (ws == NULL)
		return;
	/* civetweb has stopped: every close handler has run. */
	while (ws->clients) {
		struct ws_client *c = ws->clients;
		ws->clients = c->next;
		ws_client_free(c);
	}
	pthread_mutex_destroy(&ws->mu);
	free(ws);
}

/*
 * Answers a refused upgrade with a plain HTTP status and {"detail"}.  In
 * the connect handler civetweb has sent nothing yet and its own error
 * reply would lack the status line, so the answer is written whole here.
 */
static void
ws_refuse(const struct mg_connection *conn, int status, const char *detail)
{
	json_object *o = json_object_new_object();
	const char *body;

	json_object_object_add(o, "detail", json_object_new_string(detail));
	body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	mg_printf((struct mg_connection *)conn,
		  "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		  "Content-Length: %zu\r\nCache-Control: no-store\r\n"
		  "%sConnection: close\r\n\r\n%s\n",
		  status, status == 401 ? "Unauthorized" : "Forbidden",
		  strlen(body) + 1,
		  status == 401 ? "WWW-Authenticate: Bearer "
				  "realm=\"holdslayer\"\r\n"
				: "",
		  body);
	json_object_put(o);
}

static int
ws_on_connect(const struct mg_connection *conn, void *cbdata)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	const char *qs = ri->query_string ? ri->query_string : "";
	char call_id[MSG_CALL_ID_MAX * 2] = "", types[1024] = "", err[320];
	struct apid *a = mg_get_user_data(mg_get_context(conn));
	struct ws_client *c;
	int st;

	/* Before the handshake: a refusal is a plain HTTP answer. */
	if ((st = apid_auth_check(a, conn, true, err, sizeof(err))) != 0) {
		log_info("ws: %s: %s; refused", ri->remote_addr, err);
		ws_refuse(conn, st, err);
		return 1;
	}

	if (mg_get_var(qs, strlen(qs), "call_id", call_id, sizeof(call_id)) ==
	    -2)
		call_id[0] = '\1'; /* too long: invalid */
	if (mg_get_var(qs, strlen(qs), "types", types, sizeof(types)) == -2) {
		log_warnx("ws: %s: types= too long; refused", ri->remote_addr);
		return 1;
	}
	(void)cbdata;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return 1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (apid_filter_parse(&c->filter, call_id, types, err, sizeof(err)) <
	    0) {
		log_warnx("ws: %s: %s; refused", ri->remote_addr, err);
		ws_client_free(c);
		return 1;
	}
	c->conn = (struct mg_connection *)conn;
	mg_set_user_connection_data(conn, c);
	return 0;
}

static void
ws_on_ready(struct mg_connection *conn, void *cbdata)
{
	struct apid_ws *ws = cbdata;
	struct ws_client *c = mg_get_user_connection_data(conn);

	if (c == NULL)
		return;
	if (pthread_create(&c->sender, NULL, ws_sender, c) != 0) {
		log_warnx("ws: cannot start a sender thread; client ignored");
		return;
	}
	c->sender_started = true;
	pthread_mutex_lock(&ws->mu);
	c->ready = true;
	c->next = ws->clients;
	ws->clients = c;
	ws->nclients++;
	log_debug("ws: client %s subscribed (%zu clients)",
		  mg_get_request_info(conn)->remote_addr, ws->nclients);
	pthread_mutex_unlock(&ws->mu);
}

static int
ws_on_data(struct mg_connection *conn, int flags, char *data, size_t len,
	   void *cbdata)
{
	(void)conn, (void)data, (void)len, (void)cbdata;
	/* Close frames end the connection; everything else is ignored. */
	return (flags & 0x0f) == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE ? 0 : 1;
}

static void
ws_on_close(const struct mg_connection *conn, void *cbdata)
{
	struct apid_ws *ws = cbdata;
	struct ws_client *c = mg_get_user_connection_data(conn);

	if (c == NULL)
		return;
	pthread_mutex_lock(&ws->mu);
	for (struct ws_client **pp = &ws->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			ws->nclients--;
			break;
		}
	}
	pthread_mutex_unlock(&ws->mu);
	mg_set_user_connection_data(conn, NULL);
	ws_client_free(c);
}

void
apid_ws_register(struct apid_ws *ws, struct mg_context *ctx)
{
	mg_set_websocket_handler(ctx, "/ws/events", ws_on_connect, ws_on_ready,
				 ws_on_data, ws_on_close, ws);
}

json_object *
apid_event_envelope(const struct msg_event *ev)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "v", json_object_new_int(MSG_VERSION));
	json_object_object_add(o, "type",
			       json_object_new_string(msg_type_name(ev->type)));
	json_object_object_add(o, "call_id", json_object_new_string(ev->call_id));
	json_object_object_add(o, "ts", json_object_new_string(ev->ts));
	json_object_object_add(o, "src", json_object_new_string(ev->src));
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)ev->seq));
	json_object_object_add(o, "data", json_object_get(ev->data));
	return o;
}

void
apid_ws_broadcast(struct apid_ws *ws, const struct msg_event *ev)
{
	json_object *env = NULL;
	const char *s = NULL;
	size_t len = 0;

	pthread_mutex_lock(&ws->mu);
	for (struct ws_client *c = ws->clients; c; c = c->next) {
		if (!c->ready || !apid_filter_match(&c->filter, ev->type,
						    ev->call_id))
			continue;
		if (env == NULL) {
			env = apid_event_envelope(ev);
			s = json_object_to_json_string_ext(env,
							   JSON_C_TO_STRING_PLAIN);
			len = strlen(s);
		}
		pthread_mutex_lock(&c->mu);
		if (c->qlen >= WS_QUEUE_MAX) {
			if (c->dropped++ == 0)
				log_warnx("ws: a client is not reading; "
					  "dropping its events");
		} else {
			char *m = strndup(s, len);
			if (m != NULL) {
				c->q[(c->qhead + c->qlen) % WS_QUEUE_MAX] = m;
				c->qlen++;
				pthread_cond_signal(&c->cv);
			}
		}
		pthread_mutex_unlock(&c->mu);
	}
	pthread_mutex_unlock(&ws->mu);
	json_object_put(env);
}
