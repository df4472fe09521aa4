/*
 * test_stt_text: the transcript readers of classifyd.  The hold-time parser
 * must find the minutes an announcement states, in digits or in words, and
 * must not invent one from menu prompts or account numbers; the word error
 * rate must count substitutions, insertions and deletions over normalised
 * words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../classifyd/stt.h"

static void
expect_eta(const char *text, int minutes)
{
	int m = -1;

	if (stt_eta_parse(text, &m) != 1)
		fail_msg("no wait time found in \"%s\"", text);
	if (m != minutes)
		fail_msg("\"%s\": %d minutes, expected %d", text, m, minutes);
}

static void
expect_no_eta(const char *text)
{
	int m = -1;

	if (stt_eta_parse(text, &m) != 0)
		fail_msg("\"%s\": found %d minutes where none is stated", text,
			 m);
}

static void
test_eta_digits(void **state)
{
	(void)state;
	expect_eta("Your estimated wait time is 12 minutes.", 12);
	expect_eta("Less than 2 minutes", 2);
	expect_eta("hold time 6 minutes, thank you", 6);
	expect_eta("your wait is 1 minute", 1);
	expect_eta("The current wait is about 2 hours.", 120);
	expect_eta("a 15-minute wait", 15);
}

static void
test_eta_words(void **state)
{
	(void)state;
	expect_eta("approximately five minutes", 5);
	expect_eta("your estimated wait time is seven minutes", 7);
	expect_eta("YOUR APPROXIMATE WAIT TIME IS TWENTY FIVE MINUTES", 25);
	expect_eta("a wait of twenty-five minutes", 25);
	expect_eta("you will be answered within one hundred and twenty minutes",
		   120);
	expect_eta("less than a minute", 1);
	expect_eta("about an hour", 60);
	expect_eta("about half an hour", 30);
	expect_eta("between five and ten minutes", 10);
}

static void
test_eta_none(void **state)
{
	(void)state;
	expect_no_eta("For billing, press 2. For technical support, press 3.");
	expect_no_eta("Please enter your 10 digit account number");
	expect_no_eta("please hold for the next available representative");
	expect_no_eta("in a few minutes");
	expect_no_eta("");
	expect_no_eta("minutes");
	expect_no_eta("0 minutes");
	/* a duration with no word of waiting near it */
	expect_no_eta("if you are calling regarding an hour outage press one");
	expect_no_eta("we are open twenty four hours a day");
	expect_no_eta("twenty-five minutes");
	expect_no_eta("our offices are open from eight to five, call back in "
		      "a minute");
}

static void
test_words(void **state)
{
	char **w;
	int n;

	(void)state;
	n = stt_words("Press 2, or say \"Billing\"! Didn't 24", &w);
	assert_int_equal(n, 8);
	assert_string_equal(w[0], "press");
	assert_string_equal(w[1], "two");
	assert_string_equal(w[4], "billing");
	assert_string_equal(w[5], "didn't");
	assert_string_equal(w[6], "twenty");
	assert_string_equal(w[7], "four");
	stt_words_free(w, n);
	assert_int_equal(stt_words("  ...  ", &w), 0);
	stt_words_free(w, 0);
}

static void
test_wer(void **state)
{
	int nref;

	(void)state;
	assert_int_equal(stt_wer_count("For billing, press 2.",
				       "for billing press two", &nref),
			 0);
	assert_int_equal(nref, 4);
	/* one substitution, one deletion */
	assert_int_equal(stt_wer_count("please hold for the operator",
				       "please old for operator", &nref),
			 2);
	assert_int_equal(nref, 5);
	/* insertions count: WER can pass 1 */
	assert_int_equal(stt_wer_count("hello", "oh well hello there you",
				       &nref),
			 4);
	assert_int_equal(stt_wer_count("one two three", "", &nref), 3);
	assert_int_equal(stt_wer_count("", "noise", &nref), 1);
	assert_int_equal(nref, 0);
}


/* Menu options: both word orders, spelled keys, Spanish, data prompts. */
static void
test_options(void **state)
{
	struct stt_option o[STT_OPT_MAX];
	int n;

	(void)state;
	n = stt_options("For billing, press 2. For technical support, press "
			"3. To hear these options again, press star.",
			o, STT_OPT_MAX);
	assert_int_equal(n, 3);
	assert_int_equal(o[0].key, '2');
	assert_string_equal(o[0].label, "billing");
	assert_int_equal(o[1].key, '3');
	assert_string_equal(o[1].label, "technical support");
	assert_int_equal(o[2].key, '*');
	assert_string_equal(o[2].label, "hear these options");

	n = stt_options("press one for pharmacy press two for appointments",
			o, STT_OPT_MAX);
	assert_int_equal(n, 2);
	assert_int_equal(o[0].key, '1');
	assert_string_equal(o[0].label, "pharmacy");
	assert_int_equal(o[1].key, '2');
	assert_string_equal(o[1].label, "appointments");

	n = stt_options("Para espanol, oprima el numero 2.", o, STT_OPT_MAX);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].key, '2');
	assert_string_equal(o[0].label, "espanol");

	/* "followed by the pound key" is not an option; "press 0" alone is */
	n = stt_options("Please enter your account number followed by the "
			"pound key. Or press 0.",
			o, STT_OPT_MAX);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].key, '0');
	assert_string_equal(o[0].label, "");
	assert_int_equal(stt_options("your call is important to us", o,
				     STT_OPT_MAX),
			 0);
}

/* Recovered options: same key and a shared description word. */
static void
test_options_match(void **state)
{
	struct stt_option r[STT_OPT_MAX], h[STT_OPT_MAX];
	unsigned m;
	int nr, nh;

	(void)state;
	nr = stt_options("For billing, press 2. For technical support, press "
			 "3. To hear these options again, press star.",
			 r, STT_OPT_MAX);
	nh = stt_options("for hearing you for technical or press three to "
			 "hear these options again press star press two",
			 h, STT_OPT_MAX);
	assert_int_equal(stt_options_match(r, nr, h, nh, &m), 2);
	assert_int_equal(m, 6u); /* billing (2) was not recovered */
	/* a wrong key is no match, even with the right words */
	nh = stt_options("for billing press three", h, STT_OPT_MAX);
	assert_int_equal(stt_options_match(r, nr, h, nh, &m), 0);
	assert_int_equal(m, 0u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_eta_digits),
	    cmocka_unit_test(test_eta_words),
	    cmocka_unit_test(test_eta_none),
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_wer),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_options_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
