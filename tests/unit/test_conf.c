/*
 * Unit tests of holdslayer.conf loading: defaults, derived endpoints,
 * devices, and the errors a user sees for unknown keys, bad values, syntax
 * errors and a missing file (each naming the file, the line and the key).
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

#include "conf.h"
#include "log.h"

static char dir[64];
static char path[128];

static int
load_text(const char *text, struct conf **c, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	*c = NULL;
	err[0] = '\0';
	return conf_load(c, path, err, errlen);
}

static void
expect_error(const char *text, const char *needle)
{
	struct conf *c;
	char err[512], want[600];

	assert_true(load_text(text, &c, err, sizeof(err)) < 0);
	assert_null(c);
	snprintf(want, sizeof(want), "%s", needle);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
	/* Every error names the file. */
	assert_true(strncmp(err, path, strlen(path)) == 0);
}

static void
test_defaults(void **st)
{
	struct conf *c = NULL;
	char err[256], ep[256];

	(void)st;
	assert_int_equal(load_text("[general]\nrundir = /tmp/hs-x\n", &c, err,
				   sizeof(err)),
			 0);
	assert_string_equal(c->rundir, "/tmp/hs-x");
	assert_int_equal(c->ctl_timeout_ms, 2000);
	assert_string_equal(c->sip_listen, "127.0.0.1:5060");
	assert_true(c->record);
	assert_int_equal(c->classify_hop_ms, 500);
	snprintf(ep, sizeof(ep), "ipc:///tmp/hs-x/sipd.pub");
	assert_string_equal(conf_endpoint(c, "sipd", "pub"), ep);
	assert_string_equal(conf_endpoint(c, "apid", "ctl"),
			    "ipc:///tmp/hs-x/apid.ctl");
	assert_null(conf_endpoint(c, "nosuchd", "pub"));
	assert_non_null(strstr(c->recordings_dir, "/recordings"));
	conf_free(c);
	/* No file at all: defaults only. */
	assert_int_equal(conf_load(&c, NULL, err, sizeof(err)), 0);
	assert_non_null(c->rundir);
	conf_free(c);
}

static void
test_values_and_devices(void **st)
{
	struct conf *c = NULL;
	char err[256];

	(void)st;
	assert_int_equal(
	    load_text("; comment\n[media]\nrecord = no\nrtp_port_min = 20000\n"
		      "rtp_port_max = 20100\n[bus]\nsipd_pub = tcp://127.0.0.1:7000\n"
		      "[classify]\nhold_music_s = 2.5\n[devices]\n"
		      "desk = sip:desk@127.0.0.1:5070\n"
		      "cell = sip:cell@127.0.0.1:5072\n",
		      &c, err, sizeof(err)),
	    0);
	assert_false(c->record);
	assert_int_equal(c->rtp_port_min, 20000);
	assert_string_equal(conf_endpoint(c, "sipd", "pub"),
			    "tcp://127.0.0.1:7000");
	assert_true(c->classify_hold_music_s > 2.49 &&
		    c->classify_hold_music_s < 2.51);
	assert_string_equal(conf_device_uri(c, "cell"),
			    "sip:cell@127.0.0.1:5072");
	assert_null(conf_device_uri(c, "pager"));
	conf_free(c);
}

static void
test_errors(void **st)
{
	(void)st;
	expect_error("[sip]\nlisen = 1.2.3.4:5\n", ":2: [sip] lisen: unknown key");
	expect_error("[nosuch]\nkey = 1\n", ":2: [nosuch] key: unknown key");
	expect_error("[general]\n\nctl_timeout_ms = fast\n",
		     ":3: [general] ctl_timeout_ms: 'fast' is not a whole number");
	expect_error("[general]\nctl_timeout_ms = 1\n",
		     ":2: [general] ctl_timeout_ms: 1 is out of range");
	expect_error("[media]\nrecord = maybe\n",
		     ":2: [media] record: 'maybe' is not yes or no");
	expect_error("[classify]\nhold_music_s = 1e999\n",
		     "[classify] hold_music_s:");
	expect_error("[devices]\nphone = tel:+1555\n",
		     ":2: [devices] phone: 'tel:+1555' is not a sip: URI");
	expect_error("[general]\nthis line has no equals sign\n",
		     ":2: syntax error");
	expect_error("[general]\nlog_level = loud\n",
		     "[general] log_level: 'loud'");
	expect_error("[media]\nrtp_port_min = 30000\nrtp_port_max = 20000\n",
		     "rtp_port_min: 30000 is not below rtp_port_max");
	expect_error("[trunk]\nproxy = 10.0.0.1\n",
		     "[trunk] proxy: '10.0.0.1' is not a sip: URI");
	expect_error("[trunk]\ntls_fingerprint = AB:CD\n",
		     "[trunk] tls_fingerprint: not a SHA-256 fingerprint");
	expect_error("[trunk]\ntransport = sctp\n",
		     "[trunk] transport: 'sctp' is not udp, tcp or tls");
	expect_error("[trunk]\nproxy = sip:t.example\nusername = u\n"
		     "register = yes\n",
		     "register = yes needs [trunk] password_file or "
		     "password_env");
	expect_error("[trunk]\npassword_file = /x\npassword_env = P\n",
		     "password_file and password_env are both set");
	expect_error("[trunk]\nfrom_number = 555-1234\n",
		     "[trunk] from_number: '555-1234' is not digits");
	expect_error("[trunk]\nexpires = 10\n",
		     "[trunk] expires: 10 is out of range 60..86400");
	expect_error("[phones]\nalice = hunter2\n",
		     ":2: [phones] alice: the value is file:/PATH or "
		     "env:VARIABLE");
	expect_error("[phones]\nal ice = env:P\n",
		     "[phones] al ice: a phone name is 1 to 64");
	expect_error("[phones]\nalice = env:P\nalice = env:Q\n",
		     ":3: [phones] alice: named twice");
	expect_error("[phones]\nalice = file:relative\n",
		     "[phones] alice: the value is file:/PATH");
	expect_error("[sip]\nphone_digests = SHA-512\n",
		     "[sip] phone_digests: 'SHA-512' is not");
	expect_error("[sip]\nphone_digests = ,\n",
		     "[sip] phone_digests: name SHA-256, MD5 or both");
}

static void
test_phones(void **st)
{
	struct conf *c = NULL;
	char err[256];

	(void)st;
	assert_int_equal(load_text("[sip]\nphone_digests = MD5, SHA-256\n"
				   "[phones]\nalice = file:/etc/a.pass\n"
				   "bob = env:BOB_PW\n",
				   &c, err, sizeof(err)),
			 0);
	assert_int_equal(c->nphones, 2);
	assert_string_equal(c->phones[0].name, "alice");
	assert_string_equal(c->phones[0].password_file, "/etc/a.pass");
	assert_string_equal(c->phones[0].password_env, "");
	assert_string_equal(c->phones[1].password_env, "BOB_PW");
	assert_string_equal(c->phones[1].password_file, "");
	conf_free(c);
}

static void
test_missing_file(void **st)
{
	struct conf *c = NULL;
	char err[256];

	(void)st;
	assert_int_equal(conf_load(&c, "/nonexistent/holdslayer.conf", err,
				   sizeof(err)),
			 -ENOENT);
	assert_null(c);
	assert_non_null(strstr(err, "/nonexistent/holdslayer.conf"));
	assert_non_null(strstr(err, "No such file"));
}

static int
setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/hsconf-unit.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/holdslayer.conf", dir);
	return 0;
}

static int
teardown(void **st)
{
	(void)st;
	unlink(path);
	rmdir(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_values_and_devices),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_phones),
	    cmocka_unit_test(test_missing_file),
	};

	log_init("test_conf", LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
