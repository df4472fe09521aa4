/*
 * test_nav: the offline navigator's decisions (ivrd/nav.c): the option
 * that fits the intent, data prompts answered from info (and never
 * guessed), speech prompts, the representative route when nothing fits
 * (agent option, catch-all, 0, repeat), and loops: a menu heard again
 * after a key gets another choice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../ivrd/nav.h"

static struct nav n;
static struct menu m;
static struct nav_decision d;

static void
decide(const char *intent, const char *text, const char *info, int quiet)
{
	json_object *i = info ? json_tokener_parse(info) : NULL;

	if (intent)
		nav_init(&n, intent);
	menu_parse(text, &m);
	nav_decide(&n, &m, i, quiet, &d);
	json_object_put(i);
}

static const char bank[] =
    "thank you for calling acme bank for account balances press one for "
    "credit card services press two for loans press three to speak with "
    "a representative press zero";

static void
test_fit(void **state)
{
	(void)state;
	decide("dispute a charge on my credit card", bank, NULL, 0);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "2");
	assert_non_null(strstr(d.reason, "credit card services"));
	decide("I want a mortgage", bank, NULL, 0);
	assert_string_equal(d.digits, "3");
	decide("I want to talk to a person", bank, NULL, 0);
	assert_string_equal(d.digits, "0");
}

static void
test_no_fit_agent_route(void **state)
{
	(void)state;
	/* The representative option. */
	decide("my flight was cancelled", bank, NULL, 0);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "0");
	/* No agent option: the catch-all. */
	decide("my flight was cancelled",
	       "for sales press 1 for all other questions press 5", NULL, 0);
	assert_string_equal(d.digits, "5");
	/* Neither: 0. */
	decide("my flight was cancelled",
	       "for sales press 1 for returns press 2", NULL, 0);
	assert_string_equal(d.digits, "0");
	/* Then the repeat option, then waiting. */
	menu_parse("for sales press 1 for returns press 2 to hear these "
		   "options again press 9",
		   &m);
	nav_init(&n, "my flight was cancelled");
	nav_decide(&n, &m, NULL, 0, &d);
	assert_string_equal(d.digits, "0");
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.loop, 1);
	assert_string_equal(d.digits, "9");
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.act, NAV_WAIT);
}

static void
test_loop_other_choice(void **state)
{
	(void)state;
	/* The best fit leads back to the same menu: take another choice. */
	decide("my internet is not working",
	       "press 1 for new service press 2 for billing press 3 for "
	       "technical support press 4 for internet outages in your area",
	       NULL, 0);
	assert_string_equal(d.digits, "4");
	/* Heard again, a little differently (recognition). */
	menu_parse("press one for new service press to for billing press "
		   "three for technical support press for for internet "
		   "outages",
		   &m);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.loop, 1);
	assert_string_equal(d.digits, "3");
	/* A different menu in between is not a loop. */
	menu_parse("technical support. for internet press 1 for tv press 2",
		   &m);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.loop, 0);
	assert_string_equal(d.digits, "1");
}

static void
test_waiting_is_not_a_loop(void **state)
{
	(void)state;
	/* Nothing pressed: the menu repeating is no reason to change. */
	nav_init(&n, "billing question");
	menu_parse("for billing press 1 for sales press 2", &m);
	nav_note(&n, &m, NULL);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_string_equal(d.digits, "1");
}

static void
test_data_prompt(void **state)
{
	(void)state;
	decide("billing", "please enter your account number followed by the "
			  "pound key",
	       "{\"account_number\":\"4455-667\"}", 0);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "4455667#");
	assert_string_equal(d.info_key, "account_number");
	/* Missing: no guess, the representative route, and say so. */
	decide("billing", "please enter your account number followed by the "
			  "pound key",
	       "{\"zip\":\"94107\"}", 0);
	assert_string_equal(d.missing, "account_number");
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "0");
	assert_null(strstr(d.digits, "94107"));
	decide("billing", "enter your account number. to speak with an agent "
			  "press 8",
	       NULL, 0);
	assert_string_equal(d.digits, "8");
	decide("billing", "enter your zip code. if you don't have it press star",
	       "{}", 0);
	assert_string_equal(d.digits, "*");
	/* Rejected once: not entered again. */
	decide("billing", "please enter your zip code", "{\"zip\":\"94107\"}",
	       0);
	assert_string_equal(d.digits, "94107");
	{
		json_object *zip = json_tokener_parse("{\"zip\":\"94107\"}");
		menu_parse("please enter your zip code", &m);
		nav_decide(&n, &m, zip, 0, &d);
		json_object_put(zip);
	}
	assert_string_equal(d.digits, "0");
}

static void
test_speech(void **state)
{
	(void)state;
	decide("change my flight", "in a few words tell me why you are calling",
	       NULL, 0);
	assert_int_equal(d.act, NAV_SAY);
	assert_string_equal(d.text, "change my flight");
	/* Asked again: "representative". */
	menu_parse("sorry i didn't get that in a few words tell me why you are "
		   "calling",
		   &m);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.act, NAV_SAY);
	assert_string_equal(d.text, "representative");
	/* A list of things to say: the one that fits. */
	decide("pay my bill", "you can say payments, outages, or new service",
	       NULL, 0);
	assert_int_equal(d.act, NAV_SAY);
	assert_string_equal(d.text, "payments");
}

static void
test_listen_more(void **state)
{
	(void)state;
	/* A greeting alone: keep listening, unless the company waits. */
	decide("billing", "thank you for calling acme", NULL, 0);
	assert_int_equal(d.act, NAV_NONE);
	decide("billing", "thank you for calling acme", NULL, 1);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "0");
	decide("billing", "please hold while we connect your call", NULL, 0);
	assert_int_equal(d.act, NAV_HOLD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fit),
	    cmocka_unit_test(test_no_fit_agent_route),
	    cmocka_unit_test(test_loop_other_choice),
	    cmocka_unit_test(test_waiting_is_not_a_loop),
	    cmocka_unit_test(test_data_prompt),
	    cmocka_unit_test(test_speech),
	    cmocka_unit_test(test_listen_more),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
