/*
 * Unit tests of sipd's URI and listen-address checks: a dial URI must be a
 * sip:/sips: URI with a host and no byte that could break a header (the
 * request line and To header are built from it); [sip] listen must be
 * ADDRESS:PORT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "../../sipd/sipd.h"

static void
good_uris(void **state)
{
	static const char *ok[] = {
	    "sip:+18005551234@trunk.example.com",
	    "sip:service@127.0.0.1:5062",
	    "sips:bob@example.org",
	    "sip:alice@[::1]:5070",
	    "SIP:upper@example.com",
	    "sip:127.0.0.1",
	    "sip:bob@example.com;transport=udp",
	};
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (sipd_uri_check(ok[i], err, sizeof(err)) != 0)
			fail_msg("'%s' refused: %s", ok[i], err);
}

static void
expect_bad(const char *uri, const char *needle)
{
	char err[128] = "";

	assert_int_equal(sipd_uri_check(uri, err, sizeof(err)), -EINVAL);
	if (strstr(err, needle) == NULL)
		fail_msg("error for '%s' is '%s', lacks '%s'", uri ? uri : "",
			 err, needle);
	/* The error never carries line breaks into a log or a reply. */
	assert_null(strpbrk(err, "\r\n"));
}

static void
bad_uris(void **state)
{
	char longuri[600];

	(void)state;
	expect_bad(NULL, "missing");
	expect_bad("", "missing");
	expect_bad("tel:+18005551234", "not a sip: or sips: URI");
	expect_bad("http://example.com", "not a sip: or sips: URI");
	expect_bad("sip:", "does not parse");
	expect_bad("sip:bob@", "");
	expect_bad("sip:a@b\r\nX-Evil: 1", "forbidden character (0x0d)");
	expect_bad("sip:a@b c", "forbidden character (0x20)");
	expect_bad("sip:a@b>;x", "forbidden character");
	expect_bad("sip:bob@example.com:99999", "bad port");
	expect_bad("sip:bob@example.com:0", "bad port");
	memset(longuri, 'a', sizeof(longuri) - 1);
	memcpy(longuri, "sip:", 4);
	longuri[sizeof(longuri) - 1] = '\0';
	expect_bad(longuri, "longer than");
}

static void
hostport(void **state)
{
	char h[64];
	int p;

	(void)state;
	assert_int_equal(sipd_hostport_parse("127.0.0.1:5060", h, sizeof(h),
					     &p),
			 0);
	assert_string_equal(h, "127.0.0.1");
	assert_int_equal(p, 5060);
	assert_int_equal(sipd_hostport_parse("0.0.0.0:0", h, sizeof(h), &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(sipd_hostport_parse("[::1]:5070", h, sizeof(h), &p),
			 0);
	assert_string_equal(h, "::1");
	assert_int_equal(p, 5070);
	assert_int_equal(sipd_hostport_parse("127.0.0.1", h, sizeof(h), &p),
			 -EINVAL);
	assert_int_equal(sipd_hostport_parse("127.0.0.1:", h, sizeof(h), &p),
			 -EINVAL);
	assert_int_equal(sipd_hostport_parse(":5060", h, sizeof(h), &p),
			 -EINVAL);
	assert_int_equal(sipd_hostport_parse("1.2.3.4:70000", h, sizeof(h),
					     &p),
			 -EINVAL);
	assert_int_equal(sipd_hostport_parse("1.2.3.4:50x", h, sizeof(h), &p),
			 -EINVAL);
	assert_int_equal(sipd_hostport_parse("::1:5060", h, sizeof(h), &p),
			 -EINVAL);
	assert_int_equal(sipd_hostport_parse("", h, sizeof(h), &p), -EINVAL);
	assert_int_equal(sipd_hostport_parse("[::1]5060", h, sizeof(h), &p),
			 -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_uris),
	    cmocka_unit_test(bad_uris),
	    cmocka_unit_test(hostport),
	};
	parser_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
