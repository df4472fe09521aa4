/*
 * notifyd's pure parts: the webhook signature against a vector from
 * `openssl dgst -sha256 -hmac`, URL redaction, channel lists, the [notify]
 * check naming the bad key, the user's sentences, and the outbox's rows
 * across a close and reopen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../notifyd/notifyd.h"

static void
test_sign(void **state)
{
	char out[160];

	(void)state;
	/* printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_k */
	assert_int_equal(webhook_sign("whsec_k", 1700000000LL, "{\"a\":1}",
				      out, sizeof(out)),
			 0);
	assert_string_equal(out, "t=1700000000,v1=a252a4340d8bbbdbac8643a2812cc7"
				 "d628ad79bfba544bff054ac2fa10f795a2");
	assert_int_equal(webhook_sign("whsec_k", 1700000000LL, "{}", out, 20),
			 -EIO);
}

static void
test_redact(void **state)
{
	char out[128];

	(void)state;
	notify_redact("https://user:pw@hooks.example.net:8443/a/tok_1?k=2", out,
		      sizeof(out));
	assert_string_equal(out, "https://hooks.example.net/\u2026");
	notify_redact("smtp://127.0.0.1:2525", out, sizeof(out));
	assert_string_equal(out, "smtp://127.0.0.1/\u2026");
	notify_redact("not a url", out, sizeof(out));
	assert_null(strstr(out, "not a url"));
}

static void
test_channels(void **state)
{
	unsigned m;
	char bad[32];

	(void)state;
	assert_int_equal(notify_channels_parse("webhook, sms push", &m, bad,
					       sizeof(bad)),
			 0);
	assert_int_equal(m, (1u << NOTIFY_WEBHOOK) | (1u << NOTIFY_SMS) |
				(1u << NOTIFY_PUSH));
	assert_int_equal(notify_channels_parse("all", &m, bad, sizeof(bad)), 0);
	assert_int_equal(m, (1u << NOTIFY_NCHANNELS) - 1);
	assert_int_equal(notify_channels_parse("none", &m, bad, sizeof(bad)), 0);
	assert_int_equal(m, 0);
	assert_int_equal(notify_channels_parse("email pager", &m, bad,
					       sizeof(bad)),
			 -EINVAL);
	assert_string_equal(bad, "pager");
}

/* Loads text as a config file and runs the [notify] check. */
static int
check_text(const char *text, char *err, size_t errlen)
{
	char path[] = "/tmp/test_notify.XXXXXX";
	int fd = mkstemp(path), r;
	struct conf *c = NULL;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	r = conf_load(&c, path, err, errlen);
	unlink(path);
	assert_int_equal(r, 0);
	r = notify_check(c, err, errlen);
	conf_free(c);
	return r;
}

static void
test_check(void **state)
{
	char err[512] = "";

	(void)state;
	assert_int_equal(check_text("[notify]\n", err, sizeof(err)), 0);
	assert_int_equal(check_text("[notify]\nemail_url = smtp://h\n"
				    "email_to = a@b\n",
				    err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "[notify] email_from: required"));
	assert_int_equal(check_text("[notify]\nroute_hold_eta = sms\n", err,
				    sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "[notify] route_hold_eta: channel sms"));
	assert_int_equal(check_text("[notify]\nsms_provider = twilio\n"
				    "sms_account_sid = AC1\n"
				    "sms_token_file = /nonexistent/t\n"
				    "sms_from = +1\nsms_to = +2\n",
				    err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "[notify] sms_token_file: /nonexistent/t"));
}

static void
test_text(void **state)
{
	struct notifyd n = {0};
	json_object *started = json_tokener_parse(
	    "{\"number\":\"18005550100\",\"device\":\"phone\","
	    "\"info\":{\"company\":\"First\\r\\nNational Bank\"}}");
	json_object *retry = json_tokener_parse(
	    "{\"device\":\"phone\",\"attempt\":2,\"attempts\":3}");
	char *text, *subject;
	time_t when = 1700000000;
	char at[16];
	struct tm tm;

	(void)state;
	localtime_r(&when, &tm);
	strftime(at, sizeof(at), "%H:%M", &tm);
	assert_int_equal(notify_text(&n, "human_detected", "c1", NULL, when,
				     &text, &subject),
			 0);
	assert_non_null(strstr(text, "a person at the company picked up"));
	free(text);
	free(subject);
	notify_call_started(&n, "c1", started);
	assert_string_equal(notify_call_device(&n, "c1"), "phone");
	assert_int_equal(notify_text(&n, "human_detected", "c1", NULL, when,
				     &text, &subject),
			 0);
	/* The CR LF from the network became spaces. */
	{
		char want[160];
		snprintf(want, sizeof(want),
			 "a person at First  National Bank picked up at %s "
			 "\u2014 your phone is ringing",
			 at);
		assert_string_equal(text, want);
	}
	assert_string_equal(subject, "a person at First  National Bank picked up");
	free(text);
	free(subject);
	assert_int_equal(notify_text(&n, "transfer_retry", "c1", retry, when,
				     &text, &subject),
			 0);
	assert_non_null(strstr(text, "ringing again, ring 2 of 3"));
	free(text);
	free(subject);
	notify_call_forget(&n, "c1");
	assert_null(notify_call_device(&n, "c1"));
	notify_calls_free(&n);
	json_object_put(started);
	json_object_put(retry);
}

struct due_rows {
	int n;
	int64_t id[8];
	char key[8][48];
};

static void
due_cb(void *arg, int64_t id, const char *key, enum notify_channel ch,
       const char *event, const char *call_id, const char *body, int tries,
       int64_t deadline_ms, const char *last_error)
{
	struct due_rows *d = arg;

	(void)ch;
	(void)event;
	(void)call_id;
	(void)body;
	(void)tries;
	(void)deadline_ms;
	(void)last_error;
	d->id[d->n] = id;
	snprintf(d->key[d->n], sizeof(d->key[0]), "%s", key);
	d->n++;
}

static void
call_cb(void *arg, const char *call_id, const char *who, const char *device)
{
	char *out = arg;

	snprintf(out + strlen(out), 128, "%s=%s@%s;", call_id, who, device);
}

static void
test_outbox(void **state)
{
	char dir[] = "/tmp/test_outbox.XXXXXX", path[64], err[256];
	struct outbox *ob;
	struct due_rows d = {0};
	struct stat st;
	int64_t next;
	char calls[256] = "";
	/* now, as the failed rows' 30 days are counted from the clock */
	int64_t t0 = (int64_t)time(NULL) * 1000;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/o.db", dir);
	assert_int_equal(outbox_open(&ob, path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(outbox_add(ob, "k1", NOTIFY_WEBHOOK, "human_detected",
				    "c1", "{}", t0, t0 + 5000),
			 0);
	assert_int_equal(outbox_add(ob, "k2", NOTIFY_SMS, "human_detected",
				    "c1", "{}", t0 + 1, t0 + 5000),
			 0);
	/* the key is unique: a second row under it is refused */
	assert_true(outbox_add(ob, "k1", NOTIFY_SMS, "x", "c1", "{}", 1, 2) < 0);
	assert_int_equal(outbox_due(ob, t0 - 1, 10, due_cb, &d), 0);
	assert_int_equal(outbox_due(ob, t0 + 1000, 10, due_cb, &d), 2);
	assert_string_equal(d.key[0], "k1");
	assert_int_equal(outbox_defer(ob, d.id[0], t0 + 3000, 1, "HTTP status 500"),
			 0);
	assert_int_equal(outbox_next(ob, &next), 0);
	assert_int_equal(next, t0 + 1);
	assert_int_equal(outbox_sent(ob, d.id[1]), 0);
	assert_int_equal(outbox_next(ob, &next), 0);
	assert_int_equal(next, t0 + 3000);
	assert_int_equal(outbox_failed(ob, d.id[0], "deadline passed"), 0);
	assert_int_equal(outbox_next(ob, &next), -ENOENT);
	assert_int_equal(outbox_count(ob, 0), 0);
	assert_int_equal(outbox_count(ob, 2), 1);
	assert_int_equal(outbox_call_put(ob, "c1", "First National Bank",
					 "phone"),
			 0);
	assert_int_equal(outbox_call_put(ob, "c2", "18005550100", ""), 0);
	assert_int_equal(outbox_call_del(ob, "c2"), 0);
	outbox_close(ob);
	/* what a restart reads back */
	assert_int_equal(outbox_open(&ob, path, err, sizeof(err)), 0);
	assert_int_equal(outbox_count(ob, 2), 1);
	assert_int_equal(outbox_calls(ob, 10, call_cb, calls), 1);
	assert_string_equal(calls, "c1=First National Bank@phone;");
	outbox_close(ob);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign),     cmocka_unit_test(test_redact),
	    cmocka_unit_test(test_channels), cmocka_unit_test(test_check),
	    cmocka_unit_test(test_text),     cmocka_unit_test(test_outbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
