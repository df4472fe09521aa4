/*
 * Unit tests of sipd's URI and listen-address checks: a dial URI must be a
 * sip:/sips: URI with a host and no byte that could break a header (the
 * request line and To header are built from it); [sip] listen must be
 * ADDRESS:PORT; a dialled number becomes sip:NUMBER@trunk only when it is
 * E.164 ("+" and 1 to 15 digits) or national digits.
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

static void
numbers(void **state)
{
	char out[128], err[160];

	(void)state;
	assert_int_equal(sipd_number_uri("+14155551234", "t.example", out,
					 sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "sip:+14155551234@t.example");
	assert_int_equal(sipd_number_uri("+1 (415) 555-1234", "127.0.0.1:5070",
					 out, sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "sip:+14155551234@127.0.0.1:5070");
	assert_int_equal(sipd_number_uri("0301234567", "t.example", out,
					 sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "sip:0301234567@t.example");
	assert_int_equal(sipd_number_uri("+1234567890123456", "t.example", out,
					 sizeof(out), err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "more than 15 digits (E.164 allows 15)"));
	assert_int_equal(sipd_number_uri("+1415x", "t.example", out,
					 sizeof(out), err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'x' is not a digit"));
	assert_int_equal(sipd_number_uri("+", "t.example", out, sizeof(out),
					 err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "has no digits"));
	assert_int_equal(sipd_number_uri("+14155551234", "", out, sizeof(out),
					 err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "no [trunk] proxy is configured"));
	assert_int_equal(sipd_uri_hostport("sip:sip.telnyx.com", out,
					   sizeof(out)),
			 0);
	assert_string_equal(out, "sip.telnyx.com");
	assert_int_equal(sipd_uri_hostport("sip:u@127.0.0.1:5090;lr", out,
					   sizeof(out)),
			 0);
	assert_string_equal(out, "127.0.0.1:5090");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_uris),
	    cmocka_unit_test(bad_uris),
	    cmocka_unit_test(hostport),
	    cmocka_unit_test(numbers),
	};
	parser_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
