/*
 * Unit tests of the asynchronous control requests (bus_async_*): against a
 * real ROUTER on ipc://, a reply reaches its callback, replies that come
 * back in another order still reach the right callbacks, an error reply is
 * an error with the peer's text, a deadline fires a timeout naming the
 * daemon and a late reply is then dropped, cancelling an owner's requests
 * keeps their callbacks from running, and a peer that restarts answers a
 * request sent while it was away (and gets, too late, one that timed out
 * meanwhile, whose reply is dropped).
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
#include <unistd.h>
#include <zmq.h>

#include "bus.h"
#include "conf.h"
#include "log.h"
#include "msg.h"

static char tmpdir[64];

/* What one callback saw. */
struct seen {
	int calls;
	enum bus_reply_status st;
	long x;
	char err[512];
};

static void
seen_cb(void *arg, enum bus_reply_status st, json_object *reply,
	const char *err)
{
	struct seen *s = arg;

	s->calls++;
	s->st = st;
	s->x = bus_json_int(reply, "x", -1);
	snprintf(s->err, sizeof(s->err), "%s", err ? err : "");
}

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

/* Sends {cmd:"echo", x} from cli to mediad; returns the request number. */
static int64_t
send_x(struct bus *cli, long x, int timeout_ms, void *owner, struct seen *s)
{
	json_object *q = json_object_new_object();
	char err[256] = "";
	int64_t n;

	json_object_object_add(q, "cmd", json_object_new_string("echo"));
	json_object_object_add(q, "x", json_object_new_int64(x));
	n = bus_async_send(cli, "mediad", q, timeout_ms, owner, seen_cb, s,
			   NULL, err, sizeof(err));
	json_object_put(q);
	assert_true(n > 0);
	return n;
}

/* Reads up to want requests at srv within ms (into reqs); returns count. */
static int
srv_read(struct bus *srv, struct bus_ctl_req *reqs, int want, int ms)
{
	zmq_pollitem_t pi = {.socket = srv->ctl, .events = ZMQ_POLLIN};
	int64_t end = msg_mono_ms() + ms;
	int got = 0;

	while (got < want && msg_mono_ms() < end) {
		if (bus_ctl_recv(srv, &reqs[got]) == 0) {
			got++;
			continue;
		}
		zmq_poll(&pi, 1, 20);
	}
	return got;
}

static void
srv_echo(struct bus *srv, struct bus_ctl_req *req)
{
	json_object *b = json_object_new_object();

	json_object_object_add(
	    b, "x", json_object_new_int64(bus_json_int(req->req, "x", 0)));
	assert_int_equal(bus_ctl_reply_ok(srv, req, b), 0);
	bus_ctl_req_clear(req);
}

/* Runs cli's side (replies and deadlines) for ms or until cond is set. */
static void
cli_pump(struct bus *cli, int ms, const int *cond)
{
	int64_t end = msg_mono_ms() + ms;

	while (msg_mono_ms() < end && (cond == NULL || !*cond)) {
		zmq_pollitem_t pi = {.socket = cli->peers[0].sock,
				     .events = ZMQ_POLLIN};
		zmq_poll(&pi, 1, 10);
		if (pi.revents & ZMQ_POLLIN)
			bus_async_recv(cli, pi.socket);
		bus_async_expire(cli, msg_mono_ms());
	}
}

static void
test_reply_and_order(void **st)
{
	struct conf *c = test_conf();
	struct bus *srv = NULL, *cli = NULL;
	struct bus_ctl_req reqs[3];
	struct seen s[3] = {{0}};
	char err[256];
	void *sock = NULL;
	json_object *q;

	(void)st;
	assert_int_equal(bus_new(&srv, c, "mediad", err, sizeof(err)), 0);
	assert_int_equal(bus_new(&cli, c, "sipd", err, sizeof(err)), 0);

	/* The first request makes the peer socket and hands it out once. */
	q = json_object_new_object();
	json_object_object_add(q, "cmd", json_object_new_string("echo"));
	json_object_object_add(q, "x", json_object_new_int(10));
	assert_true(bus_async_send(cli, "mediad", q, 3000, NULL, seen_cb, &s[0],
				   &sock, err, sizeof(err)) > 0);
	json_object_put(q);
	assert_non_null(sock);
	assert_ptr_equal(sock, cli->peers[0].sock);
	send_x(cli, 11, 3000, NULL, &s[1]);
	send_x(cli, 12, 3000, NULL, &s[2]);
	assert_int_equal(cli->npeers, 1);
	assert_int_equal(bus_async_pending(cli), 3);
	/* Nothing runs a callback before the loop reads a reply. */
	assert_int_equal(s[0].calls + s[1].calls + s[2].calls, 0);

	/* All three reach mediad with distinct ids; answered last first. */
	assert_int_equal(srv_read(srv, reqs, 3, 3000), 3);
	assert_string_not_equal(reqs[0].id, reqs[1].id);
	assert_string_not_equal(reqs[1].id, reqs[2].id);
	srv_echo(srv, &reqs[2]);
	srv_echo(srv, &reqs[0]);
	srv_echo(srv, &reqs[1]);
	for (int i = 0; i < 300 && bus_async_pending(cli) > 0; i++)
		cli_pump(cli, 10, NULL);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(s[i].calls, 1);
		assert_int_equal(s[i].st, BUS_REPLY_OK);
		assert_int_equal(s[i].x, 10 + i);
	}

	/* ok:false is an error with the peer's words, named after it. */
	memset(s, 0, sizeof(s));
	send_x(cli, 13, 3000, NULL, &s[0]);
	assert_int_equal(srv_read(srv, reqs, 1, 3000), 1);
	bus_ctl_reply_err(srv, &reqs[0], 404, "no leg %s", "x/company");
	bus_ctl_req_clear(&reqs[0]);
	cli_pump(cli, 3000, &s[0].calls);
	assert_int_equal(s[0].calls, 1);
	assert_int_equal(s[0].st, BUS_REPLY_ERROR);
	assert_string_equal(s[0].err, "mediad: no leg x/company");

	/* An unknown daemon fails at once, with no callback to come. */
	q = json_object_new_object();
	assert_int_equal(bus_async_send(cli, "nosuchd", q, 100, NULL, seen_cb,
					&s[1], NULL, err, sizeof(err)),
			 -EINVAL);
	json_object_put(q);
	assert_non_null(strstr(err, "nosuchd"));
	assert_int_equal(bus_async_pending(cli), 0);

	bus_free(cli);
	bus_free(srv);
	conf_free(c);
}

static void
test_timeout_and_late_reply(void **st)
{
	struct conf *c = test_conf();
	struct bus *srv = NULL, *cli = NULL;
	struct bus_ctl_req req;
	struct seen s = {0}, s2 = {0};
	char err[256];
	int64_t t0;

	(void)st;
	assert_int_equal(bus_new(&srv, c, "mediad", err, sizeof(err)), 0);
	assert_int_equal(bus_new(&cli, c, "sipd", err, sizeof(err)), 0);
	t0 = msg_mono_ms();
	send_x(cli, 1, 150, NULL, &s);
	/* Not before its deadline... */
	assert_true(bus_async_expire(cli, msg_mono_ms()) >= t0 + 150);
	assert_int_equal(s.calls, 0);
	/* ...and at it, whether or not mediad read the request. */
	assert_int_equal(srv_read(srv, &req, 1, 3000), 1);
	cli_pump(cli, 3000, &s.calls);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.st, BUS_REPLY_TIMEOUT);
	assert_true(msg_mono_ms() - t0 >= 150);
	assert_non_null(strstr(s.err, "mediad is unreachable: no reply on "));
	assert_non_null(strstr(s.err, "within 150 ms"));
	assert_int_equal(bus_async_pending(cli), 0);
	assert_int_equal(bus_async_expire(cli, msg_mono_ms()), -1);

	/* The reply comes after all: dropped, nothing is called again, and
	 * the next request still gets its own answer. */
	srv_echo(srv, &req);
	send_x(cli, 2, 3000, NULL, &s2);
	assert_int_equal(srv_read(srv, &req, 1, 3000), 1);
	srv_echo(srv, &req);
	cli_pump(cli, 3000, &s2.calls);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s2.calls, 1);
	assert_int_equal(s2.st, BUS_REPLY_OK);
	assert_int_equal(s2.x, 2);

	bus_free(cli);
	bus_free(srv);
	conf_free(c);
}

static void
test_cancel(void **st)
{
	struct conf *c = test_conf();
	struct bus *srv = NULL, *cli = NULL;
	struct bus_ctl_req reqs[3];
	struct seen a1 = {0}, a2 = {0}, b1 = {0};
	int owner_a, owner_b;
	char err[256];

	(void)st;
	assert_int_equal(bus_new(&srv, c, "mediad", err, sizeof(err)), 0);
	assert_int_equal(bus_new(&cli, c, "sipd", err, sizeof(err)), 0);
	send_x(cli, 1, 3000, &owner_a, &a1);
	send_x(cli, 2, 3000, &owner_b, &b1);
	send_x(cli, 3, 200, &owner_a, &a2);
	bus_async_cancel(cli, &owner_a);
	bus_async_cancel(cli, NULL); /* no owner: touches nothing */
	assert_int_equal(bus_async_pending(cli), 1);
	/* Every reply comes back, and a2's deadline passes: only b1 hears. */
	assert_int_equal(srv_read(srv, reqs, 3, 3000), 3);
	for (int i = 0; i < 3; i++)
		srv_echo(srv, &reqs[i]);
	cli_pump(cli, 3000, &b1.calls);
	cli_pump(cli, 300, NULL);
	assert_int_equal(a1.calls, 0);
	assert_int_equal(a2.calls, 0);
	assert_int_equal(b1.calls, 1);
	assert_int_equal(b1.x, 2);
	assert_int_equal(bus_async_pending(cli), 0);
	bus_free(cli);
	bus_free(srv);
	conf_free(c);
}

static void
test_peer_restart(void **st)
{
	struct conf *c = test_conf();
	struct bus *srv = NULL, *cli = NULL;
	struct bus_ctl_req req, reqs[2];
	struct seen s = {0}, down = {0}, back = {0};
	char err[256];

	(void)st;
	assert_int_equal(bus_new(&srv, c, "mediad", err, sizeof(err)), 0);
	assert_int_equal(bus_new(&cli, c, "sipd", err, sizeof(err)), 0);
	send_x(cli, 1, 3000, NULL, &s);
	assert_int_equal(srv_read(srv, &req, 1, 3000), 1);
	srv_echo(srv, &req);
	cli_pump(cli, 3000, &s.calls);
	assert_int_equal(s.st, BUS_REPLY_OK);

	/* mediad goes away: a request with a short deadline times out. */
	bus_free(srv);
	srv = NULL;
	send_x(cli, 2, 200, NULL, &down);
	cli_pump(cli, 3000, &down.calls);
	assert_int_equal(down.calls, 1);
	assert_int_equal(down.st, BUS_REPLY_TIMEOUT);

	/* One sent while it is still away is answered once it is back, on
	 * the same socket.  The one that timed out waited in the same queue:
	 * mediad gets it too (bus.h says so), and its reply is dropped. */
	send_x(cli, 3, 5000, NULL, &back);
	usleep(100000);
	assert_int_equal(bus_new(&srv, c, "mediad", err, sizeof(err)), 0);
	assert_int_equal(srv_read(srv, reqs, 2, 5000), 2);
	assert_int_equal(bus_json_int(reqs[0].req, "x", 0), 2);
	assert_int_equal(bus_json_int(reqs[1].req, "x", 0), 3);
	srv_echo(srv, &reqs[0]);
	srv_echo(srv, &reqs[1]);
	cli_pump(cli, 5000, &back.calls);
	assert_int_equal(down.calls, 1);
	assert_int_equal(back.calls, 1);
	assert_int_equal(back.st, BUS_REPLY_OK);
	assert_int_equal(back.x, 3);
	assert_int_equal(cli->npeers, 1);
	bus_free(cli);
	bus_free(srv);
	conf_free(c);
}

static int
setup(void **st)
{
	(void)st;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hsbus-async.XXXXXX");
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
	    cmocka_unit_test(test_reply_and_order),
	    cmocka_unit_test(test_timeout_and_late_reply),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_peer_restart),
	};

	log_init("test_bus_async", LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
