/*
 * test_flow_listen: the end-of-prompt detector of LISTEN steps
 * (ivrd/listen.c), fed with the classes classifyd publishes every 0.5 s.
 * A prompt ends after speech followed by about one second of non-speech;
 * silence before any speech, or a short pause inside a sentence, does not
 * end it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../ivrd/ivrd.h"

/* Feeds classes (one per 0.5 s hop from t0); returns the index of the hop
 * at which the detector said "ended", or -1. */
static int
run(const char *const *classes, double t0)
{
	struct listen_det l;

	listen_init(&l, 1.0);
	for (int i = 0; classes[i] != NULL; i++)
		if (listen_feed(&l, classes[i], t0 + 0.5 * i))
			return i;
	return -1;
}

static void
test_prompt_then_quiet(void **state)
{
	static const char *const c[] = {"silence", "speech", "speech",
					"speech",  "silence", "silence",
					"silence", NULL};
	(void)state;
	/* Last speech at hop 3; one second later is hop 5. */
	assert_int_equal(run(c, 10.0), 5);
}

static void
test_silence_alone_never_ends(void **state)
{
	static const char *const c[] = {"silence", "silence", "ringback",
					"silence", "music",   "silence",
					"silence", NULL};
	(void)state;
	assert_int_equal(run(c, 0.0), -1);
}

static void
test_short_pause_inside_prompt(void **state)
{
	static const char *const c[] = {"speech",  "speech", "silence",
					"speech",  "speech", "silence",
					"speech",  "silence", "dtmf",
					"silence", NULL};
	(void)state;
	/* Half-second pauses at hops 2 and 5 do not end it; hop 8 does. */
	assert_int_equal(run(c, 3.25), 8);
}

static void
test_music_counts_as_quiet(void **state)
{
	static const char *const c[] = {"speech", "music", "music", "music",
					NULL};
	(void)state;
	assert_int_equal(run(c, 0.0), 2);
}

static void
test_latched_and_unknown(void **state)
{
	struct listen_det l;

	(void)state;
	listen_init(&l, 1.0);
	assert_int_equal(listen_feed(&l, NULL, 0.0), 0);
	assert_int_equal(listen_feed(&l, "speech", 1.0), 0);
	assert_int_equal(listen_feed(&l, "silence", 1.5), 0);
	assert_int_equal(listen_feed(&l, "silence", 2.0), 1);
	/* Stays ended, even if speech comes back. */
	assert_int_equal(listen_feed(&l, "speech", 2.5), 1);
	assert_true(l.speech_s >= 0.0);
}

static void
test_quiet_threshold(void **state)
{
	struct listen_det l;

	(void)state;
	listen_init(&l, 2.0);
	listen_feed(&l, "speech", 5.0);
	assert_int_equal(listen_feed(&l, "silence", 6.0), 0);
	assert_int_equal(listen_feed(&l, "silence", 6.5), 0);
	assert_int_equal(listen_feed(&l, "silence", 7.0), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prompt_then_quiet),
	    cmocka_unit_test(test_silence_alone_never_ends),
	    cmocka_unit_test(test_short_pause_inside_prompt),
	    cmocka_unit_test(test_music_counts_as_quiet),
	    cmocka_unit_test(test_latched_and_unknown),
	    cmocka_unit_test(test_quiet_threshold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
