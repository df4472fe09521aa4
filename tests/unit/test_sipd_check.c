/*
 * Unit tests of the checks sipd makes on every datagram before acting on
 * it: a well-formed request and response pass; a wrong SIP version, a
 * missing mandatory header, a CSeq method that does not match, an
 * out-of-range status code and a Content-Length larger than the body are
 * refused with a reason, and a refused request with the status to answer
 * it with (a refused response with none); a CRLF keep-alive is recognised
 * as such.  What a malformed request's answer is addressed with is
 * salvaged field by field.  Also the Call-ID comparison used to match
 * in-dialog requests and responses.
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

static int last_code;

static int
check(const char *msg, char *err, size_t errlen, int *ka)
{
	struct sipd_verdict v;
	int r = sipd_packet_check(msg, strlen(msg), &v);

	*ka = v.keepalive;
	last_code = v.code;
	snprintf(err, errlen, "%s", v.why);
	return r;
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
expect_code(const char *msg, const char *needle, int code)
{
	char err[160] = "";
	int ka = 1;

	assert_int_equal(check(msg, err, sizeof(err), &ka), -EINVAL);
	assert_int_equal(ka, 0);
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err, needle);
	if (code >= 0)
		assert_int_equal(last_code, code);
}

static void
expect_bad(const char *msg, const char *needle)
{
	expect_code(msg, needle, -1);
}

static void
bad_messages(void **state)
{
	(void)state;
	expect_bad("hello", "too short");
	expect_bad("INVITE sip:x@y SIP/2.0\r\nVia: x\r\n", "No blank line");
	expect_bad("OPTIONS sip:b@127.0.0.1 SIP/7.0\r\n" HDRS
		   "CSeq: 1 OPTIONS\r\n\r\n",
		   "Unsupported SIP version");
	expect_bad("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" HDRS
		   "CSeq: 1 INVITE\r\n\r\n",
		   "does not match");
	expect_bad("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n"
		   "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\n"
		   "Call-ID: abc\r\nCSeq: 1 OPTIONS\r\n\r\n",
		   "Missing Via");
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

/* The status a refused request is answered with; responses get none. */
static void
answer_codes(void **state)
{
	(void)state;
	expect_code("OPTIONS sip:b@127.0.0.1 SIP/7.0\r\n" HDRS
		    "CSeq: 1 OPTIONS\r\n\r\n",
		    "SIP/7.0", 505);
	expect_code("FOO sip:b@127.0.0.1 SIP/2.0\r\n" HDRS
		    "CSeq: 1 OPTIONS\r\n\r\n",
		    "Unknown method FOO", 501);
	expect_code("OPTIONS  sip:b@127.0.0.1 SIP/2.0\r\n" HDRS
		    "CSeq: 1 OPTIONS\r\n\r\n",
		    "request line", 400);
	expect_code("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" HDRS
		    "CSeq: 1 OPTIONS\r\nl: 5\r\nContent-Length: 5\r\n\r\n"
		    "12345",
		    "More than one Content-Length", 400);
	expect_code("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" HDRS
		    "CSeq: 1 OPTIONS\r\nContent-Length: -1\r\n\r\n",
		    "Malformed Content-Length", 400);
	expect_code("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK77\r\n"
		    "From: Bell, Alexander <sip:a@127.0.0.1>;tag=1\r\n"
		    "To: <sip:b@127.0.0.1>\r\nCall-ID: abc\r\n"
		    "CSeq: 1 OPTIONS\r\n\r\n",
		    "Malformed From", 400);
	expect_code("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK\r\n"
		    "From: <sip:a@127.0.0.1>;tag=1\r\n"
		    "To: <sip:b@127.0.0.1>\r\nCall-ID: abc\r\n"
		    "CSeq: 1 OPTIONS\r\n\r\n",
		    "magic cookie", 400);
	/* What osip alone rejects is named too. */
	expect_code("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP\r\n"
		    "From: <sip:a@127.0.0.1>;tag=1\r\n"
		    "To: <sip:b@127.0.0.1>\r\nCall-ID: abc\r\n"
		    "CSeq: 1 OPTIONS\r\n\r\n",
		    "Malformed Via header", 400);
	expect_code("SIP/2.0 4294967301 Big\r\n" HDRS
		    "CSeq: 1 INVITE\r\n\r\n",
		    "3DIGIT", 0);
	/* A quoted parameter value may hold <, > and commas. */
	{
		struct sipd_verdict v;
		const char *m =
		    "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n" HDRS
		    "CSeq: 1 OPTIONS\r\n"
		    "Contact: sip:a@127.0.0.1;+sip.instance=\"<urn:uuid:1>\", "
		    "\"A, B\" <sip:c@127.0.0.1>;expires=60\r\n\r\n";
		assert_int_equal(sipd_packet_check(m, strlen(m), &v), 0);
	}
	/* Well-formed but for a scheme sipd does not serve: server.c's. */
	{
		struct sipd_verdict v;
		const char *m = "OPTIONS tel:+15550100 SIP/2.0\r\n" HDRS
				"CSeq: 1 OPTIONS\r\n\r\n";
		assert_int_equal(sipd_packet_check(m, strlen(m), &v), 0);
	}
}

/* What an answer is addressed with: the Via and CSeq at least. */
static void
salvage(void **state)
{
	char why[80];
	osip_message_t *m;
	const char *insuf = "INVITE sip:user@example.com SIP/2.0\r\n"
			    "CSeq: 193942 INVITE\r\n"
			    "Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj\r\n"
			    "l: 0\r\n\r\n";
	const char *novia = "INVITE sip:user@example.com SIP/2.0\r\n"
			    "CSeq: 193942 INVITE\r\n\r\n";
	const char *badvia = "INVITE sip:user@example.com SIP/2.0\r\n"
			     "From: \"Mr. J <sip:a@b>;tag=1\r\n"
			     "CSeq: 8 INVITE\r\n"
			     "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n\r\n";
	const char *twovias = "BYE sip:user@example.com SIP/2.0\r\n"
			      "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa, "
			      "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKb\r\n"
			      "From: Bell, A <sip:a@b>;tag=1\r\n"
			      "CSeq: 8 BYE\r\n\r\n";

	(void)state;
	m = sipd_packet_salvage(insuf, strlen(insuf), why, sizeof(why));
	assert_non_null(m);
	assert_int_equal(osip_list_size(&m->vias), 1);
	assert_string_equal(m->cseq->number, "193942");
	assert_null(m->from);
	osip_message_free(m);
	assert_null(sipd_packet_salvage(novia, strlen(novia), why,
					sizeof(why)));
	assert_non_null(strstr(why, "Via"));
	/* A Via with junk after its sent-by still says where to answer. */
	m = sipd_packet_salvage(badvia, strlen(badvia), why, sizeof(why));
	assert_non_null(m);
	assert_string_equal(((osip_via_t *)osip_list_get(&m->vias, 0))->host,
			    "192.0.2.15");
	osip_message_free(m);
	/* Two vias in one header line keep their branches. */
	m = sipd_packet_salvage(twovias, strlen(twovias), why, sizeof(why));
	assert_non_null(m);
	assert_int_equal(osip_list_size(&m->vias), 2);
	{
		osip_generic_param_t *br = NULL;
		osip_via_t *v = osip_list_get(&m->vias, 1);
		assert_string_equal(v->host, "10.0.0.2");
		assert_int_equal(osip_via_param_get_byname(v, "branch", &br),
				 0);
		assert_string_equal(br->gvalue, "z9hG4bKb");
	}
	osip_message_free(m);
}

static void
keepalive(void **state)
{
	char err[160];
	int ka = 0;

	(void)state;
	assert_int_equal(check("\r\n\r\n", err, sizeof(err), &ka), -EINVAL);
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
	    cmocka_unit_test(answer_codes),
	    cmocka_unit_test(salvage),
	    cmocka_unit_test(keepalive),
	    cmocka_unit_test(call_id_match),
	};
	parser_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
