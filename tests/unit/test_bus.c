/*
 * Unit tests of the bus seams: the event envelope round-trips and rejects
 * malformed input, audio frames round-trip, a published event reaches a
 * subscriber, a control request gets its reply, and a control request to an
 * absent daemon times out with an error naming it; the SUB socket's
 * monitor reports a source connected only while its PUB is up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "conf.h"
#include "log.h"
#include "msg.h"

static void
test_envelope_roundtrip(void **st)
{
	json_object *data = json_object_new_object();
	struct msg_event ev;
	char *s = NULL, err[256];

	(void)st;
	json_object_object_add(data, "leg", json_object_new_string("company"));
	json_object_object_add(data, "code", json_object_new_int(180));
	assert_int_equal(msg_event_encode(&s, MSG_call_ringing, "abc-123",
					  "sipd", 42, data),
			 0);
	assert_non_null(strstr(s, "\"v\":1"));
	assert_int_equal(msg_event_decode(&ev, s, strlen(s), err, sizeof(err)),
			 0);
	assert_int_equal(ev.type, MSG_call_ringing);
	assert_string_equal(ev.call_id, "abc-123");
	assert_string_equal(ev.src, "sipd");
	assert_int_equal(ev.seq, 42);
	assert_string_equal(bus_json_str(ev.data, "leg"), "company");
	assert_int_equal(bus_json_int(ev.data, "code", 0), 180);
	/* RFC 3339 UTC with milliseconds: 2026-11-21T10:00:00.123Z */
	assert_int_equal(strlen(ev.ts), 24);
	assert_int_equal(ev.ts[10], 'T');
	assert_int_equal(ev.ts[19], '.');
	assert_int_equal(ev.ts[23], 'Z');
	msg_event_clear(&ev);
	json_object_put(data);
	free(s);
}

static void
test_envelope_rejects(void **st)
{
	static const struct {
		const char *json;
		const char *why;
	} bad[] = {
	    {"not json", "not valid JSON"},
	    {"[1,2]", "not a JSON object"},
	    {"{\"v\":2,\"type\":\"call_started\",\"call_id\":\"\",\"ts\":\"t\","
	     "\"src\":\"apid\",\"seq\":1,\"data\":{}}",
	     "version 2"},
	    {"{\"v\":1,\"type\":\"no_such_type\",\"call_id\":\"\",\"ts\":\"t\","
	     "\"src\":\"apid\",\"seq\":1,\"data\":{}}",
	     "unknown type 'no_such_type'"},
	    {"{\"v\":1,\"type\":\"call_started\",\"call_id\":\"\",\"ts\":\"t\","
	     "\"src\":\"apid\",\"seq\":1,\"data\":[]}",
	     "'data'"},
	    {"{\"v\":1,\"type\":\"call_started\",\"ts\":\"t\",\"src\":\"apid\","
	     "\"seq\":1,\"data\":{}}",
	     "'call_id'"},
	    {"{\"v\":1,\"type\":\"call_started\",\"call_id\":\"\",\"ts\":\"t\","
	     "\"src\":\"apid\",\"seq\":-4,\"data\":{}}",
	     "'seq'"},
	    {"{\"v\":1,\"type\":\"call_started\",\"call_id\":\"\",\"ts\":\"t\","
	     "\"src\":\"apid\",\"seq\":1,\"data\":{}} trailing",
	     "not valid JSON"},
	};
	struct msg_event ev;
	char err[256];

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_true(msg_event_decode(&ev, bad[i].json,
					     strlen(bad[i].json), err,
					     sizeof(err)) < 0);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("case %zu: error '%s' lacks '%s'", i, err,
				 bad[i].why);
		msg_event_clear(&ev);
	}
}

static void
test_type_table(void **st)
{
	enum msg_type t;

	(void)st;
	for (int i = 0; i < MSG_TYPE_COUNT; i++) {
		assert_int_equal(msg_type_from_name(msg_type_name(i), &t), 0);
		assert_int_equal(t, i);
	}
	assert_int_equal(msg_type_from_name("audio", &t), -ENOENT);
	assert_int_equal(msg_type_from_name("human_detected", &t), 0);
	assert_int_equal(t, MSG_human_detected);
}

static void
test_audio_roundtrip(void **st)
{
	int16_t pcm[160], out[160];
	unsigned char buf[sizeof(struct msg_audio_hdr) + 320];
	struct msg_audio_hdr h;
	const uint8_t *p;
	int n;

	(void)st;
	for (int i = 0; i < 160; i++)
		pcm[i] = (int16_t)(i * 200 - 16000);
	n = msg_audio_encode(buf, sizeof(buf), "call-x", MSG_LEG_USER, 7, 1120,
			     pcm, 160);
	assert_int_equal(n, (int)sizeof(buf));
	assert_int_equal(msg_audio_decode(buf, (size_t)n, &h, &p), 0);
	assert_int_equal(h.leg, MSG_LEG_USER);
	assert_int_equal(h.seq, 7);
	assert_int_equal(h.rtp_ts, 1120);
	assert_int_equal(h.samples, 160);
	assert_string_equal(h.call_id, "call-x");
	memcpy(out, p, sizeof(out));
	assert_memory_equal(out, pcm, sizeof(pcm));
	/* Truncated and oversized frames are refused. */
	assert_true(msg_audio_decode(buf, (size_t)n - 1, &h, &p) < 0);
	assert_true(msg_audio_decode(buf, 10, &h, &p) < 0);
	buf[1] = 9; /* no such leg */
	assert_true(msg_audio_decode(buf, (size_t)n, &h, &p) < 0);
}

static char tmpdir[64];

static struct conf *
test_conf(void)
{
	char path[128], err[256];
	FILE *fp;
	struct conf *c = NULL;

	snprintf(path, sizeof(path), "%s/hs.conf", tmpdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "[general]\nrundir = %s/run\ndatadir = %s/data\n"
		    "ctl_timeout_ms = 300\n",
		tmpdir, tmpdir);
	fclose(fp);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), 0);
	return c;
}

static void
test_pubsub_and_control(void **st)
{
	struct conf *c = test_conf();
	struct bus *srv = NULL, *cli = NULL;
	static struct bus_in in;
	struct bus_ctl_req req;
	json_object *rq, *reply = NULL;
	char err[256];
	int got = 0;

	(void)st;
	assert_int_equal(bus_new(&srv, c, "sipd", err, sizeof(err)), 0);
	assert_int_equal(bus_new(&cli, c, "ivrd", err, sizeof(err)), 0);
	assert_int_equal(bus_sub_connect(cli, "sipd", NULL), 0);
	/* Publish until the subscription is live (slow joiner), then check
	 * that what arrives is exactly what was sent. */
	for (int i = 0; i < 200 && !got; i++) {
		json_object *d = json_object_new_object();
		json_object_object_add(d, "leg",
				       json_object_new_string("company"));
		bus_publish(srv, MSG_call_connected, "call-7", d);
		usleep(10000);
		if (bus_sub_recv(cli, &in) == 0) {
			assert_int_equal(in.kind, BUS_IN_EVENT);
			assert_int_equal(in.ev.type, MSG_call_connected);
			assert_string_equal(in.ev.call_id, "call-7");
			assert_string_equal(in.ev.src, "sipd");
			assert_string_equal(bus_json_str(in.ev.data, "leg"),
					    "company");
			bus_in_clear(&in);
			got = 1;
		}
	}
	assert_true(got);
	/* Audio is not part of the default subscription. */
	{
		int16_t z[160] = {0};
		bus_publish_audio(srv, "call-7", MSG_LEG_COMPANY, 1, 160, z, 160);
		usleep(20000);
		assert_int_equal(bus_sub_recv(cli, &in), -EAGAIN);
	}

	/* A control request from a client is answered. */
	{
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			/* Child: a client with its own context. */
			void *ctx = zmq_ctx_new();
			json_object *r2 = NULL;
			json_object *q = json_object_new_object();
			char e2[256];
			int rc;
			json_object_object_add(q, "cmd",
					       json_object_new_string("echo"));
			json_object_object_add(q, "x", json_object_new_int(5));
			rc = bus_call(ctx, c, "sipd", q, 2000, &r2, e2, sizeof(e2));
			_exit(rc == 0 && bus_json_int(r2, "x", 0) == 5 ? 0 : 1);
		}
		int answered = 0;
		for (int i = 0; i < 300 && !answered; i++) {
			usleep(10000);
			if (bus_ctl_recv(srv, &req) == 0) {
				json_object *b = json_object_new_object();
				assert_string_equal(req.cmd, "echo");
				json_object_object_add(
				    b, "x",
				    json_object_new_int((int)bus_json_int(
					req.req, "x", 0)));
				bus_ctl_reply_ok(srv, &req, b);
				bus_ctl_req_clear(&req);
				answered = 1;
			}
		}
		assert_true(answered);
		int status = 0;
		waitpid(pid, &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}

	/* A request to a daemon that is not running times out, naming it. */
	rq = json_object_new_object();
	json_object_object_add(rq, "cmd", json_object_new_string("ping"));
	{
		int64_t t0 = msg_mono_ms();
		assert_int_equal(bus_request(cli, "mediad", rq, &reply, err,
					     sizeof(err)),
				 -ETIMEDOUT);
		assert_true(msg_mono_ms() - t0 < 5000);
	}
	assert_null(reply);
	assert_non_null(strstr(err, "mediad is unreachable"));
	assert_non_null(strstr(err, "mediad.ctl"));
	json_object_put(rq);
	bus_free(cli);
	bus_free(srv);
	conf_free(c);
}

/* Reads the SUB socket's monitor for up to ms until daemon's state is want. */
static int
wait_connected(struct bus *b, const char *daemon, int want, int ms)
{
	zmq_pollitem_t pi = {.socket = b->mon, .events = ZMQ_POLLIN};
	int64_t deadline = msg_mono_ms() + ms;
	int r;

	for (;;) {
		assert_true(bus_sub_monitor_recv(b) >= 0);
		r = bus_sub_connected(b, daemon);
		if (r == want || msg_mono_ms() >= deadline)
			return r;
		zmq_poll(&pi, 1, 50);
	}
}

static void
test_sub_monitor(void **st)
{
	struct conf *c = test_conf();
	struct bus *cli = NULL, *srv = NULL, *plain = NULL;
	static struct bus_in in;
	char err[256];
	int got = 0;

	(void)st;
	assert_int_equal(bus_new(&cli, c, "apid", err, sizeof(err)), 0);
	/* Without the monitor nothing is claimed. */
	assert_int_equal(bus_new(&plain, c, "ivrd", err, sizeof(err)), 0);
	assert_int_equal(bus_sub_connect(plain, "sipd", NULL), 0);
	assert_int_equal(bus_sub_connected(plain, "sipd"), -ENOTSUP);
	assert_int_equal(bus_sub_monitor(plain), -EALREADY);
	bus_free(plain);

	assert_int_equal(bus_sub_monitor(cli), 0);
	assert_non_null(cli->mon);
	assert_int_equal(bus_sub_connect(cli, "sipd", NULL), 0);
	assert_int_equal(bus_sub_connect(cli, "mediad", NULL), 0);
	assert_int_equal(bus_sub_connected(cli, "ivrd"), -ENOENT);
	/* Nobody has bound sipd's PUB endpoint: not connected, and it stays
	 * so while ZeroMQ retries. */
	assert_int_equal(wait_connected(cli, "sipd", 1, 300), 0);
	assert_int_equal(bus_sub_connected(cli, "mediad"), 0);

	/* sipd appears: its source turns connected within a bounded wait,
	 * mediad's does not. */
	assert_int_equal(bus_new(&srv, c, "sipd", err, sizeof(err)), 0);
	assert_int_equal(wait_connected(cli, "sipd", 1, 3000), 1);
	assert_int_equal(bus_sub_connected(cli, "mediad"), 0);
	/* Connected means the subscriptions are on their way: the PUB
	 * applies them when it next sends, a moment later.  One event
	 * published then arrives; no retry loop papers over a miss. */
	usleep(10000);
	bus_publish(srv, MSG_call_connected, "first", json_object_new_object());
	for (int i = 0; i < 100 && !got; i++) {
		usleep(10000);
		if (bus_sub_recv(cli, &in) == 0) {
			assert_string_equal(in.ev.call_id, "first");
			bus_in_clear(&in);
			got = 1;
		}
	}
	assert_true(got);

	/* sipd goes away: not connected again; it comes back: connected. */
	bus_free(srv);
	srv = NULL;
	assert_int_equal(wait_connected(cli, "sipd", 0, 3000), 0);
	assert_int_equal(bus_new(&srv, c, "sipd", err, sizeof(err)), 0);
	assert_int_equal(wait_connected(cli, "sipd", 1, 3000), 1);
	bus_free(srv);
	bus_free(cli);
	conf_free(c);
}

static int
setup(void **st)
{
	(void)st;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hsbus-unit.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_envelope_roundtrip),
	    cmocka_unit_test(test_envelope_rejects),
	    cmocka_unit_test(test_type_table),
	    cmocka_unit_test(test_audio_roundtrip),
	    cmocka_unit_test(test_pubsub_and_control),
	    cmocka_unit_test(test_sub_monitor),
	};

	log_init("test_bus", LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
