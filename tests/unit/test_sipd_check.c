/*
 * Unit tests of the checks sipd makes on every datagram before acting on
 * it: a well-formed request and response pass; a wrong SIP version, a
 * missing mandatory header, a CSeq method that does not match, an
 * out-of-range status code and a Content-Length larger than the body are
 * refused with a reason; a CRLF keep-alive is recognised as such.  Also
 * the Call-ID comparison used to match in-dialog requests and responses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../sipd/sipd.h"

#define HDRS                                                                   \
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK77\r\n"                 \
	"From: <sip:a@127.0.0.1>;tag=1\r\n"                                    \
	"To: <sip:b@127.0.0.1>\r\n"                                            \
	"Call-ID: abc@127.0.0.1\r\n"

static int
check(const char *msg, char *err, size_t errlen, int *ka)
{
	return sipd_packet_check(msg, strlen(msg), ka, err, errlen);
}

static void
good_messages(void **state)
{
	char err[160] = "";
	int ka;

	(void)state;
	assert_int_equal(check("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" HDRS
			       "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
			       err, sizeof(err), &ka),
			 0);
	assert_int_equal(check("SIP/2.0 200 OK\r\n" HDRS
			       "CSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\n"
			       "v=0\n",
			       err, sizeof(err), &ka),
			 0);
	/* Fewer bytes promised than sent is legal over UDP (RFC 3261 18.3). */
	assert_int_equal(check("SIP/2.0 200 OK\r\n" HDRS
			       "CSeq: 1 INVITE\r\nContent-Length: 2\r\n\r\n"
			       "v=0\n",
			       err, sizeof(err), &ka),
			 0);
}

static void
expect_bad(const char *msg, const char *needle)
{
	char err[160] = "";
	int ka = 1;

	assert_int_equal(check(msg, err, sizeof(err), &ka), -EINVAL);
	assert_int_equal(ka, 0);
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err, needle);
}

static void
bad_messages(void **state)
{
	(void)state;
	expect_bad("hello", "too short");
	expect_bad("INVITE sip:x@y SIP/2.0\r\nVia: x\r\n", "no blank line");
	expect_bad("OPTIONS sip:b@127.0.0.1 SIP/7.0\r\n" HDRS
		   "CSeq: 1 OPTIONS\r\n\r\n",
		   "unsupported SIP version");
	expect_bad("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" HDRS
		   "CSeq: 1 INVITE\r\n\r\n",
		   "does not match");
	expect_bad("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n"
		   "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\n"
		   "Call-ID: abc\r\nCSeq: 1 OPTIONS\r\n\r\n",
		   "no Via");
	expect_bad("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK77\r\n"
		   "To: <sip:b@127.0.0.1>\r\nCall-ID: abc\r\n"
		   "CSeq: 1 OPTIONS\r\n\r\n",
		   "From");
	expect_bad("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n"
		   "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK77\r\n"
		   "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\n"
		   "CSeq: 1 OPTIONS\r\n\r\n",
		   "Call-ID");
	expect_bad("SIP/2.0 4294967301 Better Answer\r\n" HDRS
		   "CSeq: 1 INVITE\r\n\r\n",
		   "");
	expect_bad("SIP/2.0 200 OK\r\n" HDRS
		   "CSeq: 1 INVITE\r\nContent-Length: 900\r\n\r\nv=0\r\n",
		   "Content-Length 900 but only 5 body bytes");
	expect_bad("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" HDRS
		   "CSeq: 99999999999 OPTIONS\r\n\r\n",
		   "");
}

static void
keepalive(void **state)
{
	char err[160];
	int ka = 0;

	(void)state;
	assert_int_equal(sipd_packet_check("\r\n\r\n", 4, &ka, err,
					   sizeof(err)),
			 -EINVAL);
	assert_int_equal(ka, 1);
}

static void
call_id_match(void **state)
{
	osip_call_id_t *c = NULL;

	(void)state;
	assert_int_equal(osip_call_id_init(&c), 0);
	assert_int_equal(osip_call_id_parse(c, "abc123@holdslayer"), 0);
	assert_true(sipd_call_id_match(c, "abc123@holdslayer"));
	assert_false(sipd_call_id_match(c, "abc123"));
	assert_false(sipd_call_id_match(c, "abc123@other"));
	assert_false(sipd_call_id_match(c, "abc12@holdslayer"));
	osip_call_id_free(c);
	assert_int_equal(osip_call_id_init(&c), 0);
	assert_int_equal(osip_call_id_parse(c, "plain-id"), 0);
	assert_true(sipd_call_id_match(c, "plain-id"));
	assert_false(sipd_call_id_match(c, "plain-id@x"));
	assert_false(sipd_call_id_match(NULL, "plain-id"));
	osip_call_id_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_messages),
	    cmocka_unit_test(bad_messages),
	    cmocka_unit_test(keepalive),
	    cmocka_unit_test(call_id_match),
	};
	parser_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
