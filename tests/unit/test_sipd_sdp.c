/*
 * Unit tests of sipd's SDP: the offer carries exactly PCMU, PCMA and
 * telephone-event 101 (0-16) at 20 ms, sendrecv, on the address and port
 * mediad gave; reading an answer picks the far end's address, port, first
 * common codec and DTMF payload type, and refuses answers we cannot use
 * with a reason a person can act on.  A mid-call offer's direction (hold
 * by a=sendonly, a=inactive or c=0.0.0.0) is read, mirrored in our answer,
 * and the answer carries the one codec chosen and our o= line.
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
offer_has_our_codecs(void **state)
{
	char buf[1024];
	int n;

	(void)state;
	n = sipd_sdp_offer(buf, sizeof(buf), "127.0.0.1", 40000, 42);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "v=0\r\n"));
	assert_non_null(strstr(buf, "c=IN IP4 127.0.0.1\r\n"));
	assert_non_null(strstr(buf, "m=audio 40000 RTP/AVP 0 8 101\r\n"));
	assert_non_null(strstr(buf, "a=rtpmap:0 PCMU/8000\r\n"));
	assert_non_null(strstr(buf, "a=rtpmap:8 PCMA/8000\r\n"));
	assert_non_null(strstr(buf, "a=rtpmap:101 telephone-event/8000\r\n"));
	assert_non_null(strstr(buf, "a=fmtp:101 0-16\r\n"));
	assert_non_null(strstr(buf, "a=ptime:20\r\n"));
	assert_non_null(strstr(buf, "a=sendrecv\r\n"));
}

static void
offer_parses_back(void **state)
{
	char buf[1024], err[128];
	struct sipd_sdp_answer a;
	int n;

	(void)state;
	n = sipd_sdp_offer(buf, sizeof(buf), "10.1.2.3", 16384, 1);
	assert_true(n > 0);
	assert_int_equal(sipd_sdp_answer_parse(buf, (size_t)n, &a, err,
					       sizeof(err)),
			 0);
	assert_string_equal(a.addr, "10.1.2.3");
	assert_int_equal(a.port, 16384);
	assert_int_equal(a.pt, 0);
	assert_int_equal(a.dtmf_pt, 101);
}

static void
offer_ipv6_and_errors(void **state)
{
	char buf[1024], tiny[32];

	(void)state;
	assert_true(sipd_sdp_offer(buf, sizeof(buf), "::1", 5000, 1) > 0);
	assert_non_null(strstr(buf, "c=IN IP6 ::1\r\n"));
	assert_int_equal(sipd_sdp_offer(tiny, sizeof(tiny), "127.0.0.1", 5000,
					1),
			 -ENOSPC);
	assert_int_equal(sipd_sdp_offer(buf, sizeof(buf), "127.0.0.1", 0, 1),
			 -EINVAL);
	assert_int_equal(sipd_sdp_offer(buf, sizeof(buf), "", 5000, 1),
			 -EINVAL);
}

static int
parse(const char *sdp, struct sipd_sdp_answer *a, char *err, size_t errlen)
{
	return sipd_sdp_answer_parse(sdp, strlen(sdp), a, err, errlen);
}

static void
answer_pcma_and_dynamic_dtmf(void **state)
{
	struct sipd_sdp_answer a;
	char err[128];

	(void)state;
	assert_int_equal(parse("v=0\r\no=x 1 1 IN IP4 192.0.2.9\r\ns=-\r\n"
			       "t=0 0\r\n"
			       "m=audio 30000 RTP/AVP 8 96\r\n"
			       "c=IN IP4 192.0.2.10\r\n"
			       "a=rtpmap:8 PCMA/8000\r\n"
			       "a=rtpmap:96 telephone-event/8000\r\n"
			       "a=fmtp:96 0-15\r\n",
			       &a, err, sizeof(err)),
			 0);
	assert_string_equal(a.addr, "192.0.2.10"); /* media-level c= wins */
	assert_int_equal(a.port, 30000);
	assert_int_equal(a.pt, 8);
	assert_int_equal(a.dtmf_pt, 96);
}

static void
answer_session_level_c_no_dtmf(void **state)
{
	struct sipd_sdp_answer a;
	char err[128];

	(void)state;
	/* sipp's default answer: PCMU only, no telephone-event. */
	assert_int_equal(parse("v=0\r\no=user1 53655765 2353687637 IN IP4 "
			       "127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			       "t=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"
			       "a=rtpmap:0 PCMU/8000\r\n",
			       &a, err, sizeof(err)),
			 0);
	assert_string_equal(a.addr, "127.0.0.1");
	assert_int_equal(a.port, 6000);
	assert_int_equal(a.pt, 0);
	assert_int_equal(a.dtmf_pt, -1);
}

static void
answer_skips_rejected_stream(void **state)
{
	struct sipd_sdp_answer a;
	char err[128];

	(void)state;
	assert_int_equal(parse("v=0\r\no=x 1 1 IN IP4 1.1.1.1\r\ns=-\r\n"
			       "c=IN IP4 1.1.1.1\r\nt=0 0\r\n"
			       "m=audio 0 RTP/AVP 0\r\n"
			       "m=audio 7000 RTP/AVP 18 8\r\n",
			       &a, err, sizeof(err)),
			 0);
	assert_int_equal(a.port, 7000);
	assert_int_equal(a.pt, 8);
}

static void
expect_refused(const char *sdp, const char *needle)
{
	struct sipd_sdp_answer a;
	char err[128] = "";

	assert_int_equal(parse(sdp, &a, err, sizeof(err)), -EINVAL);
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err, needle);
}

static void
answer_refusals(void **state)
{
	(void)state;
	expect_refused("v=0\r\no=x 1 1 IN IP4 1.1.1.1\r\ns=-\r\n"
		       "c=IN IP4 1.1.1.1\r\nt=0 0\r\n"
		       "m=audio 7000 RTP/AVP 18 9\r\n",
		       "no common codec");
	expect_refused("v=0\r\no=x 1 1 IN IP4 1.1.1.1\r\ns=-\r\n"
		       "c=IN IP4 1.1.1.1\r\nt=0 0\r\n"
		       "m=audio 0 RTP/AVP 0\r\n",
		       "no active audio");
	expect_refused("v=0\r\no=x 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n"
		       "m=audio 7000 RTP/AVP 0\r\n",
		       "no connection address");
	expect_refused("v=0\r\no=x 1 1 IN IP4 1.1.1.1\r\ns=-\r\n"
		       "c=IN IP4 1.1.1.1\r\nt=0 0\r\n"
		       "m=video 7000 RTP/AVP 31\r\n",
		       "no active audio");
	expect_refused("this is not SDP at all", "");
	expect_refused("", "no SDP body");
}

static void
answer_with_nul_refused(void **state)
{
	static const char sdp[] = "v=0\r\n\0c=IN IP4 1.1.1.1\r\n";
	struct sipd_sdp_answer a;
	char err[128];

	(void)state;
	assert_int_equal(sipd_sdp_answer_parse(sdp, sizeof(sdp) - 1, &a, err,
					       sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "NUL"));
}

static int
offer_read(const char *sdp, struct sipd_sdp_answer *a)
{
	char err[128];
	return sipd_sdp_answer_parse(sdp, strlen(sdp), a, err, sizeof(err));
}

static void
direction_of_offers(void **state)
{
	struct sipd_sdp_answer a;
	const char *base = "v=0\r\no=x 1 2 IN IP4 10.0.0.9\r\ns=-\r\n"
			   "c=IN IP4 10.0.0.9\r\nt=0 0\r\n"
			   "m=audio 7000 RTP/AVP 8 0\r\n";
	char buf[512];

	(void)state;
	assert_int_equal(offer_read(base, &a), 0);
	assert_int_equal(a.dir, SIPD_SDP_SENDRECV);
	assert_int_equal(a.pt, 8); /* the offerer's first choice */
	snprintf(buf, sizeof(buf), "%sa=sendonly\r\n", base);
	assert_int_equal(offer_read(buf, &a), 0);
	assert_int_equal(a.dir, SIPD_SDP_SENDONLY);
	assert_int_equal(a.hold_addr, 0);
	snprintf(buf, sizeof(buf), "%sa=inactive\r\n", base);
	assert_int_equal(offer_read(buf, &a), 0);
	assert_int_equal(a.dir, SIPD_SDP_INACTIVE);
	/* Session-level direction, overridden by the media's own. */
	snprintf(buf, sizeof(buf),
		 "v=0\r\no=x 1 2 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 "
		 "10.0.0.9\r\nt=0 0\r\na=recvonly\r\nm=audio 7000 RTP/AVP "
		 "0\r\n");
	assert_int_equal(offer_read(buf, &a), 0);
	assert_int_equal(a.dir, SIPD_SDP_RECVONLY);
	snprintf(buf, sizeof(buf),
		 "v=0\r\no=x 1 2 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 "
		 "10.0.0.9\r\nt=0 0\r\na=sendonly\r\nm=audio 7000 RTP/AVP "
		 "0\r\na=sendrecv\r\n");
	assert_int_equal(offer_read(buf, &a), 0);
	assert_int_equal(a.dir, SIPD_SDP_SENDRECV);
	/* RFC 2543 hold. */
	assert_int_equal(offer_read("v=0\r\no=x 1 3 IN IP4 10.0.0.9\r\ns=-\r\n"
			       "c=IN IP4 0.0.0.0\r\nt=0 0\r\n"
			       "m=audio 7000 RTP/AVP 0\r\n",
			       &a),
			 0);
	assert_int_equal(a.hold_addr, 1);
	assert_int_equal(a.dir, SIPD_SDP_SENDONLY);
	assert_int_equal(sipd_sdp_dir_mirror(SIPD_SDP_SENDONLY),
			 SIPD_SDP_RECVONLY);
	assert_int_equal(sipd_sdp_dir_mirror(SIPD_SDP_RECVONLY),
			 SIPD_SDP_SENDONLY);
	assert_int_equal(sipd_sdp_dir_mirror(SIPD_SDP_INACTIVE),
			 SIPD_SDP_INACTIVE);
	assert_int_equal(sipd_sdp_dir_mirror(SIPD_SDP_SENDRECV),
			 SIPD_SDP_SENDRECV);
}

static void
answer_build_mirrors(void **state)
{
	struct sipd_sdp_answer a;
	char buf[1024];
	uint64_t id = 0, ver = 0;
	int n;

	(void)state;
	n = sipd_sdp_answer_build(buf, sizeof(buf), "127.0.0.1", 40000, 77, 78,
				  8, 101, SIPD_SDP_RECVONLY);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "o=holdslayer 77 78 IN IP4 127.0.0.1\r\n"));
	assert_non_null(strstr(buf, "m=audio 40000 RTP/AVP 8 101\r\n"));
	assert_non_null(strstr(buf, "a=rtpmap:8 PCMA/8000\r\n"));
	assert_non_null(strstr(buf, "a=rtpmap:101 telephone-event/8000\r\n"));
	assert_non_null(strstr(buf, "a=recvonly\r\n"));
	assert_null(strstr(buf, "PCMU"));
	assert_int_equal(sipd_sdp_origin(buf, (size_t)n, &id, &ver), 0);
	assert_int_equal(id, 77);
	assert_int_equal(ver, 78);
	/* It reads back as what it says. */
	assert_int_equal(offer_read(buf, &a), 0);
	assert_int_equal(a.pt, 8);
	assert_int_equal(a.dtmf_pt, 101);
	assert_int_equal(a.dir, SIPD_SDP_RECVONLY);
	/* No telephone-event offered: none answered. */
	n = sipd_sdp_answer_build(buf, sizeof(buf), "127.0.0.1", 40000, 1, 1,
				  0, -1, SIPD_SDP_SENDRECV);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "m=audio 40000 RTP/AVP 0\r\n"));
	assert_null(strstr(buf, "telephone-event"));
	assert_int_equal(sipd_sdp_answer_build(buf, sizeof(buf), "127.0.0.1",
					       40000, 1, 1, 18, -1, 0),
			 -EINVAL);
	assert_int_equal(sipd_sdp_answer_build(buf, 40, "127.0.0.1", 40000, 1,
					       1, 0, -1, 0),
			 -ENOSPC);
	assert_int_equal(sipd_sdp_origin("garbage", 7, &id, &ver), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(offer_has_our_codecs),
	    cmocka_unit_test(offer_parses_back),
	    cmocka_unit_test(offer_ipv6_and_errors),
	    cmocka_unit_test(answer_pcma_and_dynamic_dtmf),
	    cmocka_unit_test(answer_session_level_c_no_dtmf),
	    cmocka_unit_test(answer_skips_rejected_stream),
	    cmocka_unit_test(answer_refusals),
	    cmocka_unit_test(answer_with_nul_refused),
	    cmocka_unit_test(direction_of_offers),
	    cmocka_unit_test(answer_build_mirrors),
	};
	parser_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
