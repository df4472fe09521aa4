/*
 * hsdial: places calls through sipd's control socket at a steady rate, for
 * the call setup benchmark (tests/bench/bench_sip_rate.sh).
 *
 *   hsdial -f conf -r rate -d seconds -h hold_s -u uri
 *
 * Every 1/rate s it sends dial {call_id "bench-N", leg "company", uri} on
 * one DEALER and listens to sipd's events on a SUB socket.  A call counts
 * as set up at its call_connected (setup time: from the dial to that
 * event); it is hung up hold_s later.  At the end (every call ended,
 * failed, or given 10 s more) it prints one JSON object: dials, ok (set
 * up), setup_ms p50/p95/max, and failures by kind (the dial refused, the
 * dial's own error, call_failed with its reason up to the first ':', no
 * event at all).  Exit 0 when every call was set up, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "conf.h"
#include "log.h"
#include "msg.h"

#define HSDIAL_GRACE_MS 10000 /* after the last dial, for the stragglers */

enum hsdial_state {
	HSDIAL_NEW,
	HSDIAL_DIALLED,	  /* dial sent */
	HSDIAL_UP,	  /* call_connected */
	HSDIAL_HUNG,	  /* hangup sent */
	HSDIAL_OVER,	  /* call_ended after being up */
	HSDIAL_FAILED,	  /* refused, or call_failed */
};

struct hsdial_call {
	enum hsdial_state state;
	int64_t dialled, up, hangup_at;
};

/* Failures by kind: a short text and how many. */
struct hsdial_kind {
	char what[96];
	int n;
};

static struct hsdial_kind kinds[32];
static int nkinds;

static void
kind_add(const char *prefix, const char *text)
{
	char k[96];
	const char *c;

	/* Keep "mediad is unreachable" and the like, not the details (a
	 * URI's "sip:" is not the end of the kind). */
	snprintf(k, sizeof(k), "%s%s", prefix, text ? text : "");
	c = strstr(k + strlen(prefix), ": ");
	if (c != NULL)
		k[c - k] = '\0';
	if ((c = strstr(k, " (")) != NULL && strstr(k, "no answer from"))
		k[c - k] = '\0';
	for (int i = 0; i < nkinds; i++)
		if (strcmp(kinds[i].what, k) == 0) {
			kinds[i].n++;
			return;
		}
	if (nkinds < (int)(sizeof(kinds) / sizeof(kinds[0]))) {
		snprintf(kinds[nkinds].what, sizeof(kinds[0].what), "%s", k);
		kinds[nkinds++].n = 1;
	}
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int
send_json(void *s, json_object *o)
{
	const char *p = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	int r = 0;

	if (zmq_send(s, "", 0, ZMQ_SNDMORE) < 0 ||
	    zmq_send(s, p, strlen(p), 0) < 0)
		r = -errno;
	json_object_put(o);
	return r;
}

static json_object *
req_new(const char *cmd, long n)
{
	json_object *o = json_object_new_object();
	char id[40];

	snprintf(id, sizeof(id), "bench-%ld", n);
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	json_object_object_add(o, "call_id", json_object_new_string(id));
	json_object_object_add(o, "leg", json_object_new_string("company"));
	/* The reply's id tells which call it is about. */
	snprintf(id, sizeof(id), "%s-%ld", cmd, n);
	json_object_object_add(o, "id", json_object_new_string(id));
	return o;
}

/* The call number of "bench-N", or -1. */
static long
call_num(const char *s, const char *prefix)
{
	size_t len = strlen(prefix);
	char *end;
	long n;

	if (s == NULL || strncmp(s, prefix, len) != 0)
		return -1;
	n = strtol(s + len, &end, 10);
	return *end == '\0' ? n : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: hsdial -f conf -r rate -d seconds -h hold_s "
			"-u uri\n");
}

int
main(int argc, char **argv)
{
	const char *path = NULL, *uri = NULL;
	double rate = 0, secs = 0, hold = 2;
	struct conf *c = NULL;
	struct hsdial_call *calls;
	void *ctx, *dealer, *sub;
	char err[512];
	long ncalls, sent = 0, done = 0, ok = 0;
	int64_t t0, last_dial_end, *setups;
	int ch, zero = 0;

	log_init("hsdial", LOG_LVL_WARNING);
	while ((ch = getopt(argc, argv, "f:r:d:h:u:")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		case 'h':
			hold = atof(optarg);
			break;
		case 'u':
			uri = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (path == NULL || uri == NULL || rate <= 0 || secs <= 0 ||
	    hold < 0 || rate * secs > 1e6) {
		usage();
		return 2;
	}
	if (conf_load(&c, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "hsdial: %s\n", err);
		return 2;
	}
	ncalls = (long)(rate * secs + 0.5);
	calls = calloc((size_t)ncalls, sizeof(*calls));
	setups = calloc((size_t)ncalls, sizeof(*setups));
	ctx = zmq_ctx_new();
	dealer = zmq_socket(ctx, ZMQ_DEALER);
	sub = zmq_socket(ctx, ZMQ_SUB);
	if (calls == NULL || setups == NULL || dealer == NULL || sub == NULL) {
		fprintf(stderr, "hsdial: out of memory\n");
		return 2;
	}
	zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof(zero));
	{
		int hwm = 0; /* no silent drops of events or requests */
		zmq_setsockopt(dealer, ZMQ_SNDHWM, &hwm, sizeof(hwm));
		zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	}
	zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "call_", 5);
	if (zmq_connect(dealer, conf_endpoint(c, "sipd", "ctl")) < 0 ||
	    zmq_connect(sub, conf_endpoint(c, "sipd", "pub")) < 0) {
		fprintf(stderr, "hsdial: connect: %s\n", zmq_strerror(errno));
		return 2;
	}
	/* A subscriber misses what is published before it is connected: a
	 * ping round trip, then a moment for the subscription. */
	{
		json_object *p = json_object_new_object();
		zmq_pollitem_t pi = {dealer, 0, ZMQ_POLLIN, 0};
		char buf[512];
		json_object_object_add(p, "cmd", json_object_new_string("ping"));
		send_json(dealer, p);
		if (zmq_poll(&pi, 1, 5000) <= 0) {
			fprintf(stderr, "hsdial: sipd does not answer ping\n");
			return 2;
		}
		while (zmq_recv(dealer, buf, sizeof(buf), ZMQ_DONTWAIT) >= 0)
			;
		usleep(300000);
	}
	t0 = msg_mono_ms();
	last_dial_end = t0 + (int64_t)(secs * 1000);
	for (;;) {
		int64_t now = msg_mono_ms(), wait = 50;
		zmq_pollitem_t items[2] = {{dealer, 0, ZMQ_POLLIN, 0},
					   {sub, 0, ZMQ_POLLIN, 0}};

		/* Dials due by now (rate * elapsed). */
		while (sent < ncalls &&
		       (double)(now - t0) * rate / 1000.0 >= (double)sent) {
			json_object *o = req_new("dial", sent);
			json_object_object_add(o, "uri",
					       json_object_new_string(uri));
			calls[sent].state = HSDIAL_DIALLED;
			calls[sent].dialled = now;
			send_json(dealer, o);
			sent++;
		}
		/* Hangups due. */
		for (long i = 0; i < sent; i++) {
			if (calls[i].state != HSDIAL_UP ||
			    calls[i].hangup_at > now)
				continue;
			calls[i].state = HSDIAL_HUNG;
			send_json(dealer, req_new("hangup", i));
		}
		if (sent == ncalls && (done == ncalls ||
				       now > last_dial_end + (int64_t)(hold *
								       1000) +
						 HSDIAL_GRACE_MS))
			break;
		if (sent < ncalls)
			wait = 1;
		zmq_poll(items, 2, (long)wait);
		/* Replies to dial and hangup. */
		for (int n = 0; n < 1000; n++) {
			zmq_msg_t m;
			json_object *o;
			long k;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, dealer, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&m);
				break;
			}
			if (zmq_msg_size(&m) == 0) {
				zmq_msg_close(&m);
				continue;
			}
			{
				json_tokener *tok = json_tokener_new();
				o = json_tokener_parse_ex(
				    tok, zmq_msg_data(&m),
				    (int)zmq_msg_size(&m));
				json_tokener_free(tok);
			}
			zmq_msg_close(&m);
			k = call_num(bus_json_str(o, "id"), "dial-");
			if (k >= 0 && k < ncalls &&
			    calls[k].state == HSDIAL_DIALLED &&
			    !json_object_get_boolean(
				json_object_object_get(o, "ok"))) {
				const char *e = bus_json_str(o, "error");
				kind_add("dial: ",
					 e && strstr(e, "overloaded")
					     ? "refused (overloaded)"
					     : e);
				calls[k].state = HSDIAL_FAILED;
				done++;
			}
			json_object_put(o);
		}
		/* Events. */
		for (int n = 0; n < 1000; n++) {
			char topic[64], buf[4096];
			struct msg_event ev;
			int len;
			long k;
			if (zmq_recv(sub, topic, sizeof(topic), ZMQ_DONTWAIT) < 0)
				break;
			len = zmq_recv(sub, buf, sizeof(buf) - 1, 0);
			if (len < 0 || len >= (int)sizeof(buf))
				continue;
			if (msg_event_decode(&ev, buf, (size_t)len, err,
					     sizeof(err)) < 0)
				continue;
			k = call_num(ev.call_id, "bench-");
			now = msg_mono_ms();
			if (k < 0 || k >= ncalls) {
				msg_event_clear(&ev);
				continue;
			}
			if (ev.type == MSG_call_connected &&
			    calls[k].state == HSDIAL_DIALLED) {
				calls[k].state = HSDIAL_UP;
				calls[k].up = now;
				calls[k].hangup_at = now + (int64_t)(hold * 1000);
				setups[ok++] = now - calls[k].dialled;
			} else if (ev.type == MSG_call_failed &&
				   calls[k].state != HSDIAL_FAILED &&
				   calls[k].state != HSDIAL_OVER) {
				kind_add("failed: ",
					 bus_json_str(ev.data, "reason"));
				calls[k].state = HSDIAL_FAILED;
				done++;
			} else if (ev.type == MSG_call_ended &&
				   (calls[k].state == HSDIAL_UP ||
				    calls[k].state == HSDIAL_HUNG)) {
				calls[k].state = HSDIAL_OVER;
				done++;
			}
			msg_event_clear(&ev);
		}
	}
	for (long i = 0; i < ncalls; i++)
		if (calls[i].state == HSDIAL_DIALLED)
			kind_add("no answer within the run", "");
		else if (calls[i].state == HSDIAL_UP ||
			 calls[i].state == HSDIAL_HUNG)
			kind_add("not ended within the run", "");
	qsort(setups, (size_t)ok, sizeof(*setups), cmp_i64);
	{
		json_object *o = json_object_new_object(), *f;
		double span = (double)(last_dial_end - t0) / 1000.0;
		f = json_object_new_object();
		json_object_object_add(o, "rate", json_object_new_double(rate));
		json_object_object_add(o, "dials", json_object_new_int64(ncalls));
		json_object_object_add(o, "ok", json_object_new_int64(ok));
		json_object_object_add(o, "ok_per_s",
				       json_object_new_double(
					   (double)ok / (span > 0 ? span : 1)));
		json_object_object_add(
		    o, "setup_ms_p50",
		    json_object_new_int64(ok ? setups[ok / 2] : -1));
		json_object_object_add(
		    o, "setup_ms_p95",
		    json_object_new_int64(ok ? setups[(ok * 95) / 100] : -1));
		json_object_object_add(
		    o, "setup_ms_max",
		    json_object_new_int64(ok ? setups[ok - 1] : -1));
		for (int i = 0; i < nkinds; i++)
			json_object_object_add(f, kinds[i].what,
					       json_object_new_int(kinds[i].n));
		json_object_object_add(o, "failures", f);
		printf("%s\n",
		       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	zmq_close(dealer);
	zmq_close(sub);
	zmq_ctx_term(ctx);
	conf_free(c);
	return ok == ncalls ? 0 : 1;
}
