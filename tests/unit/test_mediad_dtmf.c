/*
 * Unit tests for mediad's RFC 4733 sender state machine (mediad/dtmf.c):
 * one packet per 20 ms tick while the tone is on with a growing duration
 * and the start timestamp, the marker on the first, three end packets,
 * then audio for the rest of the gap; and the in-band fallback, checked
 * with spandsp's DTMF detector.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <stdlib.h>
#include <spandsp/telephony.h>
#include <spandsp/complex.h>
#include <spandsp/logging.h>
#include <spandsp/tone_detect.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>

#include "../../mediad/mediad.h"

/* Runs ticks from ts until the machine is idle; records what it did. */
struct step {
	bool event;
	struct tev_pkt pkt;
	uint32_t ts;
};

static int
run(struct tev_tx *t, uint32_t ts, struct step *out, int max)
{
	int n = 0;

	while (n < max) {
		out[n].ts = ts;
		out[n].event = tev_tx_tick(t, ts, &out[n].pkt);
		n++;
		ts += MEDIAD_FRAME;
		if (tev_tx_pending(t) == 0 && !out[n - 1].event)
			break;
	}
	return n;
}

static void
test_codes(void **state)
{
	(void)state;
	assert_int_equal(tev_code('0'), 0);
	assert_int_equal(tev_code('9'), 9);
	assert_int_equal(tev_code('*'), 10);
	assert_int_equal(tev_code('#'), 11);
	assert_int_equal(tev_code('A'), 12);
	assert_int_equal(tev_code('d'), 15);
	assert_true(tev_code('E') < 0);
	assert_true(tev_code(' ') < 0);
	assert_true(tev_code('\0') < 0);
	assert_int_equal(tev_char(11), '#');
	assert_int_equal(tev_char(16), 0);
	assert_int_equal(tev_char(-1), 0);
}

static void
test_one_digit_paced(void **state)
{
	struct tev_tx t;
	struct step s[64];
	int n;

	(void)state;
	tev_tx_init(&t);
	assert_false(tev_tx_tick(&t, 1000, &s[0].pkt)); /* idle: audio */
	assert_int_equal(tev_tx_push(&t, "5", 100, 100), 0);
	assert_int_equal(tev_tx_pending(&t), 1);
	n = run(&t, 5000, s, 64);
	/* 5 tone packets, 3 end packets, then audio. */
	for (int i = 0; i < 5; i++) {
		assert_true(s[i].event);
		assert_int_equal(s[i].pkt.event, 5);
		assert_int_equal(s[i].pkt.marker, i == 0);
		assert_false(s[i].pkt.end);
		assert_int_equal(s[i].pkt.duration, 160 * (i + 1));
		assert_int_equal(s[i].pkt.ts, 5000);
	}
	for (int i = 5; i < 8; i++) {
		assert_true(s[i].event);
		assert_true(s[i].pkt.end);
		assert_false(s[i].pkt.marker);
		assert_int_equal(s[i].pkt.duration, 800);
		assert_int_equal(s[i].pkt.ts, 5000);
	}
	assert_false(s[8].event);
	assert_true(n >= 9);
}

static void
test_gap_between_digits(void **state)
{
	struct tev_tx t;
	struct step s[128];
	int n, starts[4], ns = 0;

	(void)state;
	tev_tx_init(&t);
	assert_int_equal(tev_tx_push(&t, "12", 100, 200), 0);
	assert_int_equal(tev_tx_pending(&t), 2);
	n = run(&t, 0, s, 128);
	for (int i = 0; i < n; i++)
		if (s[i].event && s[i].pkt.marker)
			starts[ns++] = i;
	assert_int_equal(ns, 2);
	assert_int_equal(s[starts[0]].pkt.event, 1);
	assert_int_equal(s[starts[1]].pkt.event, 2);
	/* tone 5 ticks + gap 10 ticks (3 of them end packets) */
	assert_int_equal(starts[1] - starts[0], 15);
	for (int i = 8; i < 15; i++)
		assert_false(s[i].event);
	/* the second event carries its own start timestamp */
	assert_int_equal(s[starts[1]].pkt.ts, 15 * 160);
	assert_int_equal(tev_tx_pending(&t), 0);
}

static void
test_short_gap_keeps_end_packets(void **state)
{
	struct tev_tx t;
	struct step s[64];
	int ends = 0;

	(void)state;
	tev_tx_init(&t);
	assert_int_equal(tev_tx_push(&t, "#*", 40, 0), 0);
	run(&t, 0, s, 64);
	/* 2 tone ticks, 3 ends, then straight to the next digit */
	for (int i = 0; i < 5; i++)
		ends += s[i].pkt.end;
	assert_int_equal(ends, 3);
	assert_true(s[5].event);
	assert_true(s[5].pkt.marker);
	assert_int_equal(s[5].pkt.event, 10);
	assert_int_equal(s[5].pkt.ts, 5 * 160);
}

static void
test_rounding_and_limits(void **state)
{
	struct tev_tx t;
	struct step s[64];
	char err[128];

	(void)state;
	tev_tx_init(&t);
	/* 50 ms rounds up to 3 packets */
	assert_int_equal(tev_tx_push(&t, "0", 50, 0), 0);
	run(&t, 0, s, 64);
	assert_false(s[2].pkt.end);
	assert_int_equal(s[2].pkt.duration, 480);
	assert_true(s[3].pkt.end);
	assert_int_equal(s[3].pkt.duration, 480);

	assert_int_equal(tev_check_params(100, 100, err, sizeof(err)), 0);
	assert_true(tev_check_params(10, 100, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "duration_ms"));
	assert_true(tev_check_params(9000, 100, err, sizeof(err)) < 0);
	assert_true(tev_check_params(100, -1, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "gap_ms"));
	/* the longest tone still fits the 16-bit duration field */
	tev_tx_init(&t);
	assert_int_equal(tev_tx_push(&t, "1", TEV_DURATION_MAX_MS, 0), 0);
	{
		struct tev_pkt p;
		uint16_t last = 0;
		while (tev_tx_tick(&t, 0, &p) && !p.end) {
			assert_true(p.duration > last);
			last = p.duration;
		}
		assert_int_equal(p.duration, last);
	}
}

static void
test_push_rejects(void **state)
{
	struct tev_tx t;
	char many[TEV_QUEUE_MAX + 2];

	(void)state;
	tev_tx_init(&t);
	assert_int_equal(tev_tx_push(&t, "12x", 100, 100), -EINVAL);
	assert_int_equal(tev_tx_pending(&t), 0); /* nothing queued */
	assert_int_equal(tev_tx_push(&t, "1", 5, 100), -EINVAL);
	memset(many, '1', sizeof(many) - 1);
	many[sizeof(many) - 1] = '\0';
	assert_int_equal(tev_tx_push(&t, many, 100, 100), -ENOSPC);
	assert_int_equal(tev_tx_pending(&t), 0);
	many[TEV_QUEUE_MAX] = '\0';
	assert_int_equal(tev_tx_push(&t, many, 100, 100), 0);
	assert_int_equal(tev_tx_push(&t, "2", 100, 100), -ENOSPC);
}

static void
test_inband(void **state)
{
	int16_t *pcm;
	size_t n;
	char got[32];
	dtmf_rx_state_t *rx;

	(void)state;
	assert_int_equal(tev_inband("159#a", 100, 100, &pcm, &n), 0);
	/* five tones and five gaps of 100 ms */
	assert_true(n >= 5 * 1600 && n <= 5 * 1600 + 800);
	rx = dtmf_rx_init(NULL, NULL, NULL);
	assert_non_null(rx);
	dtmf_rx(rx, pcm, (int)n);
	got[dtmf_rx_get(rx, got, sizeof(got) - 1)] = '\0';
	assert_string_equal(got, "159#A");
	dtmf_rx_free(rx);
	free(pcm);
	assert_int_equal(tev_inband("1x", 100, 100, &pcm, &n), -EINVAL);
	assert_null(pcm);
	assert_int_equal(tev_inband("1", 10, 100, &pcm, &n), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codes),
	    cmocka_unit_test(test_one_digit_paced),
	    cmocka_unit_test(test_gap_between_digits),
	    cmocka_unit_test(test_short_gap_keeps_end_packets),
	    cmocka_unit_test(test_rounding_and_limits),
	    cmocka_unit_test(test_push_rejects),
	    cmocka_unit_test(test_inband),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
