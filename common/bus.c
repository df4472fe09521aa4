/*
 * bus: ZeroMQ PUB/SUB events and ROUTER/DEALER control requests.  See bus.h
 * for the contract.  No sleeps paper over the slow-joiner problem: a
 * subscriber that needs current state asks for it with a control request.
 */
#include "bus.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "log.h"

static int
bus_mkdir_p(const char *dir)
{
	char tmp[4096];
	size_t len = strlen(dir);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Creates the directory of an ipc:// endpoint. */
static int
bus_prepare_endpoint(const char *ep)
{
	char dir[4096];
	const char *slash;

	if (strncmp(ep, "ipc://", 6) != 0)
		return 0;
	ep += 6;
	slash = strrchr(ep, '/');
	if (slash == NULL || slash == ep)
		return 0;
	if ((size_t)(slash - ep) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, ep, (size_t)(slash - ep));
	dir[slash - ep] = '\0';
	return bus_mkdir_p(dir);
}

int
bus_new(struct bus **out, const struct conf *conf, const char *daemon,
	char *err, size_t errlen)
{
	struct bus *b;
	const char *pub_ep = conf_endpoint(conf, daemon, "pub");
	const char *ctl_ep = conf_endpoint(conf, daemon, "ctl");
	int zero = 0, r = -EINVAL;

	*out = NULL;
	if (pub_ep == NULL || ctl_ep == NULL) {
		snprintf(err, errlen, "bus: unknown daemon '%s'", daemon);
		return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->conf = conf;
	snprintf(b->src, sizeof(b->src), "%s", daemon);
	b->zctx = zmq_ctx_new();
	if (b->zctx == NULL)
		goto fail_errno;
	b->pub = zmq_socket(b->zctx, ZMQ_PUB);
	b->ctl = zmq_socket(b->zctx, ZMQ_ROUTER);
	b->sub = zmq_socket(b->zctx, ZMQ_SUB);
	if (b->pub == NULL || b->ctl == NULL || b->sub == NULL)
		goto fail_errno;
	zmq_setsockopt(b->pub, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(b->ctl, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(b->sub, ZMQ_LINGER, &zero, sizeof(zero));
	if ((r = bus_prepare_endpoint(pub_ep)) < 0 ||
	    (r = bus_prepare_endpoint(ctl_ep)) < 0) {
		snprintf(err, errlen, "bus: cannot create the directory of %s: %s",
			 pub_ep, strerror(-r));
		goto fail;
	}
	if (zmq_bind(b->pub, pub_ep) < 0) {
		r = -errno;
		snprintf(err, errlen, "bus: cannot bind %s: %s", pub_ep,
			 zmq_strerror(errno));
		goto fail;
	}
	if (zmq_bind(b->ctl, ctl_ep) < 0) {
		r = -errno;
		snprintf(err, errlen, "bus: cannot bind %s: %s", ctl_ep,
			 zmq_strerror(errno));
		goto fail;
	}
	*out = b;
	return 0;
fail_errno:
	r = -errno;
	snprintf(err, errlen, "bus: %s", zmq_strerror(errno));
fail:
	bus_free(b);
	return r;
}

static void bus_async_drop_all(struct bus *b);

void
bus_free(struct bus *b)
{
	if (b == NULL)
		return;
	if (b->pub)
		zmq_close(b->pub);
	if (b->ctl)
		zmq_close(b->ctl);
	if (b->sub)
		zmq_close(b->sub);
	if (b->mon)
		zmq_close(b->mon);
	bus_async_drop_all(b);
	for (size_t i = 0; i < b->npeers; i++)
		zmq_close(b->peers[i].sock);
	if (b->zctx)
		zmq_ctx_term(b->zctx);
	free(b);
}

void
bus_set_conf(struct bus *b, const struct conf *conf)
{
	b->conf = conf;
}

int
bus_publish(struct bus *b, enum msg_type type, const char *call_id,
	    json_object *data)
{
	char *s = NULL;
	const char *topic = msg_type_name(type);
	int r;

	r = msg_event_encode(&s, type, call_id, b->src, ++b->seq, data);
	json_object_put(data);
	if (r < 0) {
		log_warnx("bus: cannot encode %s event", topic ? topic : "?");
		return r;
	}
	if (zmq_send(b->pub, topic, strlen(topic), ZMQ_SNDMORE) < 0 ||
	    zmq_send(b->pub, s, strlen(s), 0) < 0) {
		r = -errno;
		log_warnx("bus: publish %s: %s", topic, zmq_strerror(errno));
	}
	log_debug("bus: published %s", s);
	free(s);
	return r;
}

int
bus_publish_audio(struct bus *b, const char *call_id, int leg, uint32_t seq,
		  uint32_t rtp_ts, const int16_t *pcm, size_t n)
{
	unsigned char buf[sizeof(struct msg_audio_hdr) +
			  2 * MSG_AUDIO_MAX_SAMPLES];
	int len = msg_audio_encode(buf, sizeof(buf), call_id, leg, seq, rtp_ts,
				   pcm, n);

	if (len < 0)
		return len;
	if (zmq_send(b->pub, "audio", 5, ZMQ_SNDMORE) < 0 ||
	    zmq_send(b->pub, buf, (size_t)len, 0) < 0)
		return -errno;
	return 0;
}

/* Drains the remaining parts of a multipart message. */
static void
bus_drain(void *sock)
{
	int more = 0;
	size_t sz = sizeof(more);
	zmq_msg_t m;

	zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
	while (more) {
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, sock, 0) < 0) {
			zmq_msg_close(&m);
			return;
		}
		more = zmq_msg_more(&m);
		zmq_msg_close(&m);
	}
}

int
bus_sub_topic(struct bus *b, const char *topic)
{
	if (zmq_setsockopt(b->sub, ZMQ_SUBSCRIBE, topic, strlen(topic)) < 0)
		return -errno;
	return 0;
}

/* Remembers daemon and its endpoint for the subscription state. */
static int
bus_sub_src_add(struct bus *b, const char *daemon, const char *ep)
{
	struct bus_sub_src *s;

	for (size_t i = 0; i < b->nsubs; i++)
		if (strcmp(b->subs[i].daemon, daemon) == 0)
			return 0;
	if (b->nsubs == BUS_SUB_MAX) {
		log_warnx("bus: cannot subscribe to %s: more than %d sources",
			  daemon, BUS_SUB_MAX);
		return -ENOSPC;
	}
	if (strlen(daemon) >= sizeof(s->daemon) || strlen(ep) >= sizeof(s->ep)) {
		log_warnx("bus: cannot subscribe to %s: name or endpoint %s "
			  "too long",
			  daemon, ep);
		return -ENAMETOOLONG;
	}
	s = &b->subs[b->nsubs++];
	snprintf(s->daemon, sizeof(s->daemon), "%s", daemon);
	snprintf(s->ep, sizeof(s->ep), "%s", ep);
	s->connected = false;
	return 0;
}

/* The events that change a source's state. */
#define BUS_MON_UP ZMQ_EVENT_HANDSHAKE_SUCCEEDED
#define BUS_MON_DOWN                                                           \
	(ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED |                           \
	 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |                                \
	 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |                                 \
	 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_MONITOR_STOPPED)

int
bus_sub_monitor(struct bus *b)
{
	char ep[64];
	int zero = 0;

	if (b->mon != NULL || b->nsubs > 0)
		return -EALREADY;
	/* inproc names are per context, and each bus has its own. */
	snprintf(ep, sizeof(ep), "inproc://bus-sub-monitor-%p", (void *)b);
	if (zmq_socket_monitor(b->sub, ep, BUS_MON_UP | BUS_MON_DOWN) < 0) {
		log_warnx("bus: monitor of the SUB socket: %s",
			  zmq_strerror(errno));
		return -errno;
	}
	b->mon = zmq_socket(b->zctx, ZMQ_PAIR);
	if (b->mon == NULL) {
		int e = errno;
		log_warnx("bus: monitor socket: %s", zmq_strerror(e));
		zmq_socket_monitor(b->sub, NULL, 0);
		return -e;
	}
	zmq_setsockopt(b->mon, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(b->mon, ep) < 0) {
		int e = errno;
		log_warnx("bus: connect %s: %s", ep, zmq_strerror(e));
		zmq_close(b->mon);
		b->mon = NULL;
		zmq_socket_monitor(b->sub, NULL, 0);
		return -e;
	}
	return 0;
}

/*
 * Reads one monitor event: two frames, 16-bit event number and 32-bit value
 * in host byte order, then the endpoint.  Returns 0, -EAGAIN or -EINVAL.
 */
static int
bus_mon_read(void *mon, uint16_t *event, char *ep, size_t eplen)
{
	zmq_msg_t m;
	size_t n;

	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, mon, ZMQ_DONTWAIT) < 0) {
		int e = errno;
		zmq_msg_close(&m);
		return e == EAGAIN ? -EAGAIN : -e;
	}
	if (zmq_msg_size(&m) != 6 || !zmq_msg_more(&m)) {
		log_warnx("bus: dropped a malformed monitor event (%zu bytes)",
			  zmq_msg_size(&m));
		zmq_msg_close(&m);
		bus_drain(mon);
		return -EINVAL;
	}
	memcpy(event, zmq_msg_data(&m), sizeof(*event));
	zmq_msg_close(&m);
	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, mon, 0) < 0) {
		zmq_msg_close(&m);
		return -EINVAL;
	}
	n = zmq_msg_size(&m);
	if (n >= eplen)
		n = eplen - 1;
	memcpy(ep, zmq_msg_data(&m), n);
	ep[n] = '\0';
	if (zmq_msg_more(&m))
		bus_drain(mon);
	zmq_msg_close(&m);
	return 0;
}

int
bus_sub_monitor_recv(struct bus *b)
{
	char ep[512];
	uint16_t event = 0;
	int r, changed = 0;

	if (b->mon == NULL)
		return -ENOTSUP;
	while ((r = bus_mon_read(b->mon, &event, ep, sizeof(ep))) != -EAGAIN) {
		struct bus_sub_src *s = NULL;
		bool up;

		if (r == -EINVAL)
			continue;
		if (r < 0)
			return r;
		if (!(event & (BUS_MON_UP | BUS_MON_DOWN)))
			continue;
		if (event == ZMQ_EVENT_MONITOR_STOPPED) {
			for (size_t i = 0; i < b->nsubs; i++)
				if (b->subs[i].connected) {
					b->subs[i].connected = false;
					changed++;
				}
			continue;
		}
		for (size_t i = 0; i < b->nsubs && s == NULL; i++)
			if (strcmp(b->subs[i].ep, ep) == 0)
				s = &b->subs[i];
		up = (event & BUS_MON_UP) != 0;
		if (s == NULL) {
			log_debug("bus: monitor event 0x%x for unknown "
				  "endpoint %s",
				  event, ep);
			continue;
		}
		if (s->connected == up)
			continue;
		s->connected = up;
		changed++;
		if (up)
			log_info("bus: subscribed to %s (%s)", s->daemon, ep);
		else
			log_notice("bus: lost the connection to %s (%s)",
				   s->daemon, ep);
	}
	return changed;
}

int
bus_sub_connected(const struct bus *b, const char *daemon)
{
	if (b->mon == NULL)
		return -ENOTSUP;
	for (size_t i = 0; i < b->nsubs; i++)
		if (strcmp(b->subs[i].daemon, daemon) == 0)
			return b->subs[i].connected ? 1 : 0;
	return -ENOENT;
}

int
bus_sub_connect(struct bus *b, const char *daemon, const char *const *topics)
{
	const char *ep = conf_endpoint(b->conf, daemon, "pub");
	int r;

	if (ep == NULL)
		return -EINVAL;
	if ((r = bus_sub_src_add(b, daemon, ep)) < 0)
		return r;
	if (zmq_connect(b->sub, ep) < 0) {
		log_warnx("bus: connect %s: %s", ep, zmq_strerror(errno));
		return -errno;
	}
	if (topics == NULL || topics[0] == NULL) {
		for (int t = 0; t < MSG_TYPE_COUNT; t++)
			if ((r = bus_sub_topic(b, msg_type_name(t))) < 0)
				return r;
		return 0;
	}
	for (size_t i = 0; topics[i] != NULL; i++)
		if ((r = bus_sub_topic(b, topics[i])) < 0)
			return r;
	return 0;
}

int
bus_sub_recv(struct bus *b, struct bus_in *in)
{
	char topic[64];
	zmq_msg_t m;
	int n, r = -EINVAL;
	char err[256];

	memset(&in->ev, 0, sizeof(in->ev));
	n = zmq_recv(b->sub, topic, sizeof(topic) - 1, ZMQ_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	if (n >= (int)sizeof(topic)) {
		log_warnx("bus: dropped a message with an oversized topic");
		bus_drain(b->sub);
		return -EINVAL;
	}
	topic[n] = '\0';
	zmq_msg_init(&m);
	{
		int more = 0;
		size_t sz = sizeof(more);
		zmq_getsockopt(b->sub, ZMQ_RCVMORE, &more, &sz);
		if (!more) {
			log_warnx("bus: dropped '%s' message with no payload",
				  topic);
			zmq_msg_close(&m);
			return -EINVAL;
		}
	}
	if (zmq_msg_recv(&m, b->sub, 0) < 0) {
		zmq_msg_close(&m);
		return -errno;
	}
	if (zmq_msg_more(&m)) {
		log_warnx("bus: dropped '%s' message with extra frames", topic);
		zmq_msg_close(&m);
		bus_drain(b->sub);
		return -EINVAL;
	}
	if (strcmp(topic, "audio") == 0) {
		const uint8_t *pcm;
		if (msg_audio_decode(zmq_msg_data(&m), zmq_msg_size(&m),
				     &in->audio, &pcm) < 0) {
			log_warnx("bus: dropped a malformed audio frame (%zu "
				  "bytes)",
				  zmq_msg_size(&m));
			goto out;
		}
		memcpy(in->pcm, pcm, 2u * in->audio.samples);
		for (unsigned i = 0; i < in->audio.samples; i++)
			in->pcm[i] = (int16_t)le16toh((uint16_t)in->pcm[i]);
		in->kind = BUS_IN_AUDIO;
		r = 0;
		goto out;
	}
	if (msg_event_decode(&in->ev, zmq_msg_data(&m), zmq_msg_size(&m), err,
			     sizeof(err)) < 0) {
		log_warnx("bus: dropped '%s' message: %s", topic, err);
		goto out;
	}
	if (strcmp(topic, msg_type_name(in->ev.type)) != 0) {
		log_warnx("bus: dropped message: topic '%s' but type '%s'",
			  topic, msg_type_name(in->ev.type));
		msg_event_clear(&in->ev);
		goto out;
	}
	in->kind = BUS_IN_EVENT;
	r = 0;
out:
	zmq_msg_close(&m);
	return r;
}

void
bus_in_clear(struct bus_in *in)
{
	if (in != NULL && in->kind == BUS_IN_EVENT)
		msg_event_clear(&in->ev);
}

static int
bus_ctl_send(void *sock, const struct bus_ctl_req *req, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	if (zmq_send(sock, req->ident, req->identlen, ZMQ_SNDMORE) < 0)
		return -errno;
	if (req->delim && zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0)
		return -errno;
	if (zmq_send(sock, s, strlen(s), 0) < 0)
		return -errno;
	return 0;
}

int
bus_ctl_reply_ok(struct bus *b, const struct bus_ctl_req *req,
		 json_object *body)
{
	json_object *o = body ? body : json_object_new_object();
	int r;

	json_object_object_add(o, "id", json_object_new_string(req->id));
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	r = bus_ctl_send(b->ctl, req, o);
	json_object_put(o);
	return r;
}

int
bus_ctl_reply_err(struct bus *b, const struct bus_ctl_req *req, int code,
		  const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "id", json_object_new_string(req->id));
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	if (code != 0)
		json_object_object_add(o, "code", json_object_new_int(code));
	r = bus_ctl_send(b->ctl, req, o);
	json_object_put(o);
	return r;
}

int
bus_ctl_recv(struct bus *b, struct bus_ctl_req *req)
{
	zmq_msg_t m;
	int n, r = -EINVAL;
	json_object *o = NULL, *v;

	memset(req, 0, sizeof(*req));
	n = zmq_recv(b->ctl, req->ident, sizeof(req->ident), ZMQ_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	if (n > (int)sizeof(req->ident)) {
		bus_drain(b->ctl);
		return -EINVAL;
	}
	req->identlen = (size_t)n;
	zmq_msg_init(&m);
	for (;;) {
		int more = 0;
		size_t sz = sizeof(more);
		zmq_getsockopt(b->ctl, ZMQ_RCVMORE, &more, &sz);
		if (!more) {
			log_warnx("ctl: dropped a request with no body");
			zmq_msg_close(&m);
			return -EINVAL;
		}
		if (zmq_msg_recv(&m, b->ctl, 0) < 0) {
			zmq_msg_close(&m);
			return -errno;
		}
		if (zmq_msg_size(&m) == 0 && !req->delim) {
			req->delim = 1; /* REQ-style empty delimiter */
			continue;
		}
		break;
	}
	if (zmq_msg_more(&m)) {
		bus_drain(b->ctl);
		bus_ctl_reply_err(b, req, 400, "request has extra frames");
		goto out;
	}
	{
		json_tokener *tok = json_tokener_new();
		o = json_tokener_parse_ex(tok, zmq_msg_data(&m),
					  (int)zmq_msg_size(&m));
		if (o != NULL &&
		    json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(o);
			o = NULL;
		}
		json_tokener_free(tok);
	}
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		bus_ctl_reply_err(b, req, 400, "request is not a JSON object");
		goto out;
	}
	if (json_object_object_get_ex(o, "id", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(req->id, sizeof(req->id), "%s",
			 json_object_get_string(v));
	if (!json_object_object_get_ex(o, "cmd", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) >= sizeof(req->cmd)) {
		bus_ctl_reply_err(b, req, 400,
				  "request has no 'cmd' string");
		goto out;
	}
	snprintf(req->cmd, sizeof(req->cmd), "%s", json_object_get_string(v));
	req->req = o;
	o = NULL;
	r = 0;
out:
	json_object_put(o);
	zmq_msg_close(&m);
	return r;
}

void
bus_ctl_req_clear(struct bus_ctl_req *req)
{
	if (req == NULL)
		return;
	json_object_put(req->req);
	req->req = NULL;
}

int
bus_call(void *zctx, const struct conf *conf, const char *daemon,
	 json_object *req, int timeout_ms, json_object **reply, char *err,
	 size_t errlen)
{
	const char *ep = conf_endpoint(conf, daemon, "ctl");
	void *s = NULL;
	int zero = 0, r = 0;
	json_object *id, *ok, *o = NULL;
	char idbuf[40];
	const char *payload;
	zmq_pollitem_t pi;
	zmq_msg_t m;

	*reply = NULL;
	if (ep == NULL) {
		snprintf(err, errlen, "unknown daemon '%s'", daemon);
		return -EINVAL;
	}
	if (timeout_ms <= 0)
		timeout_ms = (int)conf->ctl_timeout_ms;
	if (!json_object_object_get_ex(req, "id", &id)) {
		msg_uuid(idbuf);
		json_object_object_add(req, "id", json_object_new_string(idbuf));
	}
	s = zmq_socket(zctx, ZMQ_DEALER);
	if (s == NULL) {
		snprintf(err, errlen, "%s: %s", daemon, zmq_strerror(errno));
		return -errno;
	}
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(s, ep) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s is unreachable: cannot connect %s: %s",
			 daemon, ep, zmq_strerror(errno));
		goto out;
	}
	payload = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (zmq_send(s, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(s, payload, strlen(payload), ZMQ_DONTWAIT) < 0) {
		/* DEALER with no connected peer would block: unreachable. */
		r = -ETIMEDOUT;
		snprintf(err, errlen, "%s is unreachable: cannot send on %s",
			 daemon, ep);
		goto out;
	}
	pi.socket = s;
	pi.fd = 0;
	pi.events = ZMQ_POLLIN;
	{
		int64_t deadline = msg_mono_ms() + timeout_ms;
		for (;;) {
			int64_t left = deadline - msg_mono_ms();
			if (left <= 0 || zmq_poll(&pi, 1, (long)left) == 0) {
				r = -ETIMEDOUT;
				snprintf(err, errlen,
					 "%s is unreachable: no reply on %s "
					 "within %d ms",
					 daemon, ep, timeout_ms);
				goto out;
			}
			if (pi.revents & ZMQ_POLLIN)
				break;
		}
	}
	zmq_msg_init(&m);
	/* Skip the empty delimiter, then read the body. */
	do {
		zmq_msg_close(&m);
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, 0) < 0) {
			r = -errno;
			zmq_msg_close(&m);
			snprintf(err, errlen, "%s: receive failed", daemon);
			goto out;
		}
	} while (zmq_msg_size(&m) == 0 && zmq_msg_more(&m));
	{
		json_tokener *tok = json_tokener_new();
		o = json_tokener_parse_ex(tok, zmq_msg_data(&m),
					  (int)zmq_msg_size(&m));
		json_tokener_free(tok);
	}
	zmq_msg_close(&m);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		r = -EPROTO;
		snprintf(err, errlen, "%s sent a reply that is not a JSON object",
			 daemon);
		json_object_put(o);
		goto out;
	}
	if (!json_object_object_get_ex(o, "ok", &ok) ||
	    !json_object_get_boolean(ok)) {
		const char *e = bus_json_str(o, "error");
		snprintf(err, errlen, "%s: %s", daemon,
			 e ? e : "request failed");
		r = -EREMOTEIO;
	}
	*reply = o;
out:
	zmq_close(s);
	return r;
}

int
bus_request(struct bus *b, const char *daemon, json_object *req,
	    json_object **reply, char *err, size_t errlen)
{
	return bus_call(b->zctx, b->conf, daemon, req, 0, reply, err, errlen);
}

/* ---- asynchronous requests ---- */

struct bus_pending {
	struct bus_pending *prev, *next;
	uint64_t n;	   /* correlation number: id is "<src>-<n>" */
	int64_t deadline;  /* msg_mono_ms() */
	int timeout_ms;	   /* as asked, for the error text */
	struct bus_peer *peer;
	void *owner;
	bus_reply_cb cb;
	void *arg;
};

static void
bus_pending_unlink(struct bus *b, struct bus_pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		b->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		b->pending_tail = p->prev;
	b->npending--;
}

static void
bus_async_drop_all(struct bus *b)
{
	while (b->pending) {
		struct bus_pending *p = b->pending;
		bus_pending_unlink(b, p);
		free(p);
	}
}

/* The peer for daemon, connecting its DEALER on first use. */
static struct bus_peer *
bus_peer_get(struct bus *b, const char *daemon, int *created, char *err,
	     size_t errlen)
{
	const char *ep = conf_endpoint(b->conf, daemon, "ctl");
	struct bus_peer *p;
	int zero = 0;

	*created = 0;
	for (size_t i = 0; i < b->npeers; i++)
		if (strcmp(b->peers[i].daemon, daemon) == 0)
			return &b->peers[i];
	if (ep == NULL) {
		snprintf(err, errlen, "unknown daemon '%s'", daemon);
		return NULL;
	}
	if (b->npeers == BUS_PEER_MAX || strlen(daemon) >= sizeof(p->daemon) ||
	    strlen(ep) >= sizeof(p->ep)) {
		snprintf(err, errlen, "%s: too many peers or overlong endpoint",
			 daemon);
		return NULL;
	}
	p = &b->peers[b->npeers];
	p->sock = zmq_socket(b->zctx, ZMQ_DEALER);
	if (p->sock == NULL) {
		snprintf(err, errlen, "%s: %s", daemon, zmq_strerror(errno));
		return NULL;
	}
	zmq_setsockopt(p->sock, ZMQ_LINGER, &zero, sizeof(zero));
	if (zmq_connect(p->sock, ep) < 0) {
		snprintf(err, errlen, "%s is unreachable: cannot connect %s: %s",
			 daemon, ep, zmq_strerror(errno));
		zmq_close(p->sock);
		p->sock = NULL;
		return NULL;
	}
	snprintf(p->daemon, sizeof(p->daemon), "%s", daemon);
	snprintf(p->ep, sizeof(p->ep), "%s", ep);
	b->npeers++;
	*created = 1;
	return p;
}

int64_t
bus_async_send(struct bus *b, const char *daemon, json_object *req,
	       int timeout_ms, void *owner, bus_reply_cb cb, void *arg,
	       void **newsock, char *err, size_t errlen)
{
	struct bus_peer *peer;
	struct bus_pending *p;
	const char *payload;
	char id[48];
	int created;

	if (newsock)
		*newsock = NULL;
	peer = bus_peer_get(b, daemon, &created, err, errlen);
	if (peer == NULL)
		return -EINVAL;
	if (created && newsock)
		*newsock = peer->sock;
	if (timeout_ms <= 0)
		timeout_ms = (int)b->conf->ctl_timeout_ms;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->n = ++b->next_req;
	snprintf(id, sizeof(id), "%s-%llu", b->src, (unsigned long long)p->n);
	json_object_object_add(req, "id", json_object_new_string(id));
	payload = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	/* The empty delimiter makes the peer's ROUTER answer as to REQ, the
	 * same frames as bus_call(). */
	if (zmq_send(peer->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(peer->sock, payload, strlen(payload), ZMQ_DONTWAIT) < 0) {
		/* Only when the queue to an absent peer is full (the high
		 * water mark): it has been away for a while. */
		snprintf(err, errlen, "%s is unreachable: cannot send on %s (%s)",
			 daemon, peer->ep, zmq_strerror(errno));
		free(p);
		return -EAGAIN;
	}
	p->deadline = msg_mono_ms() + timeout_ms;
	p->timeout_ms = timeout_ms;
	p->peer = peer;
	p->owner = owner;
	p->cb = cb;
	p->arg = arg;
	p->prev = b->pending_tail;
	if (b->pending_tail)
		b->pending_tail->next = p;
	else
		b->pending = p;
	b->pending_tail = p;
	b->npending++;
	return (int64_t)p->n;
}

/* Finds the request a reply's id names; NULL for one no longer pending. */
static struct bus_pending *
bus_pending_find(struct bus *b, struct bus_peer *peer, const char *id)
{
	size_t len = strlen(b->src);
	char *end;
	unsigned long long n;

	if (id == NULL || strncmp(id, b->src, len) != 0 || id[len] != '-')
		return NULL;
	errno = 0;
	n = strtoull(id + len + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return NULL;
	/* Newest first: replies mostly come in the order of the requests,
	 * and the list is short next to the rate of replies. */
	for (struct bus_pending *p = b->pending_tail; p; p = p->prev)
		if (p->n == n)
			return p->peer == peer ? p : NULL;
	return NULL;
}

/* Reads one reply from peer: 0, -EAGAIN when none is queued, -EINVAL. */
static int
bus_async_recv_one(struct bus *b, struct bus_peer *peer)
{
	struct bus_pending *p;
	json_object *o = NULL, *ok;
	zmq_msg_t m;
	char err[1024];
	int r = -EINVAL;

	zmq_msg_init(&m);
	/* Skip the empty delimiter, then read the body. */
	if (zmq_msg_recv(&m, peer->sock, ZMQ_DONTWAIT) < 0) {
		r = errno == EAGAIN ? -EAGAIN : -errno;
		zmq_msg_close(&m);
		return r;
	}
	while (zmq_msg_size(&m) == 0 && zmq_msg_more(&m)) {
		zmq_msg_close(&m);
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, peer->sock, 0) < 0) {
			zmq_msg_close(&m);
			return -EINVAL;
		}
	}
	if (zmq_msg_more(&m))
		bus_drain(peer->sock);
	{
		json_tokener *tok = json_tokener_new();
		o = json_tokener_parse_ex(tok, zmq_msg_data(&m),
					  (int)zmq_msg_size(&m));
		if (o != NULL &&
		    json_tokener_get_error(tok) != json_tokener_success) {
			json_object_put(o);
			o = NULL;
		}
		json_tokener_free(tok);
	}
	zmq_msg_close(&m);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		/* Without an id it matches no request: the deadline will say
		 * what went wrong. */
		log_warnx("bus: dropped a reply from %s that is not a JSON "
			  "object",
			  peer->daemon);
		goto out;
	}
	p = bus_pending_find(b, peer, bus_json_str(o, "id"));
	if (p == NULL) {
		log_debug("bus: dropped a late or unknown reply from %s "
			  "(id %s)",
			  peer->daemon,
			  bus_json_str(o, "id") ? bus_json_str(o, "id") : "none");
		r = 0;
		goto out;
	}
	bus_pending_unlink(b, p);
	if (json_object_object_get_ex(o, "ok", &ok) &&
	    json_object_is_type(ok, json_type_boolean) &&
	    json_object_get_boolean(ok)) {
		if (p->cb)
			p->cb(p->arg, BUS_REPLY_OK, o, "");
	} else {
		const char *e = bus_json_str(o, "error");
		snprintf(err, sizeof(err), "%s: %s", peer->daemon,
			 e ? e : "request failed");
		if (p->cb)
			p->cb(p->arg, BUS_REPLY_ERROR, o, err);
	}
	free(p);
	r = 0;
out:
	json_object_put(o);
	return r;
}

void
bus_async_recv(struct bus *b, void *sock)
{
	struct bus_peer *peer = NULL;

	for (size_t i = 0; i < b->npeers && peer == NULL; i++)
		if (b->peers[i].sock == sock)
			peer = &b->peers[i];
	if (peer == NULL)
		return;
	/* Bounded, so that a flood of replies cannot starve the loop. */
	for (int n = 0; n < 256; n++)
		if (bus_async_recv_one(b, peer) == -EAGAIN)
			return;
}

int64_t
bus_async_expire(struct bus *b, int64_t now)
{
	struct bus_pending *p;
	int64_t next = -1;
	char err[512];

again:
	for (p = b->pending; p; p = p->next) {
		if (p->deadline > now)
			continue;
		bus_pending_unlink(b, p);
		snprintf(err, sizeof(err),
			 "%s is unreachable: no reply on %s within %d ms",
			 p->peer->daemon, p->peer->ep, p->timeout_ms);
		if (p->cb)
			p->cb(p->arg, BUS_REPLY_TIMEOUT, NULL, err);
		else
			log_warnx("bus: %s", err);
		free(p);
		/* The callback may have sent or cancelled requests. */
		goto again;
	}
	for (p = b->pending; p; p = p->next)
		if (next < 0 || p->deadline < next)
			next = p->deadline;
	return next;
}

void
bus_async_cancel(struct bus *b, const void *owner)
{
	struct bus_pending *p = b->pending, *nx;

	if (owner == NULL)
		return;
	for (; p; p = nx) {
		nx = p->next;
		if (p->owner != owner)
			continue;
		bus_pending_unlink(b, p);
		free(p);
	}
}

size_t
bus_async_pending(const struct bus *b)
{
	return b->npending;
}

void
bus_async_flush(struct bus *b, int max_ms)
{
	zmq_pollitem_t items[BUS_PEER_MAX];
	int64_t end = msg_mono_ms() + max_ms;

	for (size_t i = 0; i < b->npeers; i++)
		items[i] = (zmq_pollitem_t){b->peers[i].sock, 0, ZMQ_POLLIN, 0};
	while (b->npending > 0) {
		int64_t now = msg_mono_ms(), next = bus_async_expire(b, now);
		if (next < 0)
			break;
		if (now >= end) {
			log_notice("bus: %zu requests still unanswered; "
				   "dropping them",
				   b->npending);
			break;
		}
		if (next > end)
			next = end;
		if (zmq_poll(items, (int)b->npeers, (long)(next - now)) < 0 &&
		    errno != EINTR)
			break;
		for (size_t i = 0; i < b->npeers; i++)
			if (items[i].revents & ZMQ_POLLIN)
				bus_async_recv(b, items[i].socket);
	}
	bus_async_drop_all(b);
}

const char *
bus_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

long
bus_json_int(json_object *o, const char *key, long def)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return def;
	return (long)json_object_get_int64(v);
}
