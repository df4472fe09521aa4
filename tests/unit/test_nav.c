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
#include <stdio.h>
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
	/* Neither: hear the menu again once, then 0. */
	decide("my flight was cancelled",
	       "for sales press 1 for returns press 2", NULL, 0);
	assert_int_equal(d.act, NAV_WAIT);
	menu_parse("for sales press 1 for returns press 2", &m);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.loop, 0);
	assert_string_equal(d.digits, "0");
	/* Then the repeat option, then waiting. */
	menu_parse("for sales press 1 for returns press 2 to hear these "
		   "options again press 9",
		   &m);
	nav_init(&n, "my flight was cancelled");
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.act, NAV_WAIT);
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
	assert_int_equal(d.act, NAV_WAIT);
	menu_parse("thank you for calling acme", &m);
	nav_decide(&n, &m, NULL, 1, &d);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "0");
	decide("billing", "please hold while we connect your call", NULL, 0);
	assert_int_equal(d.act, NAV_HOLD);
}

/*
 * Transcripts as an offline recogniser gives them: "press" lost or heard
 * as "to", labels with words missing, whole options missing.
 */
static void
test_noisy_verbless(void **state)
{
	(void)state;
	/* "press" lost everywhere; the card option has no number at all
	 * (between 1 and 3, so 2). */
	decide("dispute a charge on my credit card",
	       "thank you for calling our bank for savings and checking the "
	       "we could not to one for credit cart service return to for "
	       "home loans and new three the we m to two zero",
	       NULL, 0);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "2");
	decide("question about my bill",
	       "welcome to city gas if you smell gas leave the building and "
	       "call to one for payments and bills not to two for new "
	       "service not to three",
	       NULL, 0);
	assert_string_equal(d.digits, "2");
	/* A count is no key. */
	menu_parse("your estimated wait time is two minutes thank you for "
		   "your patience",
		   &m);
	assert_int_equal(m.nopts, 0);
	assert_int_equal(m.hold, 1);
	menu_parse("for emergencies hang up and dial nine one one", &m);
	assert_int_equal(m.nopts, 0);
}

static void
test_noisy_heard_twice(void **state)
{
	(void)state;
	/* The first hearing loses the option that fits; nothing is pressed
	 * blind, and the second hearing's options join the first's. */
	decide("I need to refill my prescription",
	       "you have reached valley clinic for appointments press one "
	       "for test results press three",
	       NULL, 0);
	assert_int_equal(d.act, NAV_WAIT);
	menu_parse("you have reached valley clinic for a point men's press "
		   "one for prescription refill press to",
		   &m);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "2");
	/* A label misheard as "return to" still counts when it plainly
	 * names the intent. */
	decide("dispute a charge on my credit card",
	       "for balances press 1 for credit card return to press 2 for "
	       "loans press 3",
	       NULL, 0);
	assert_string_equal(d.digits, "2");
}

static void
test_noisy_speech_prompt(void **state)
{
	(void)state;
	/* "in a few words tell me why you are calling", badly heard. */
	decide("change my flight reservation",
	       "i'm currently enter the you entered due like are calling",
	       NULL, 1);
	assert_int_equal(d.act, NAV_SAY);
	assert_string_equal(d.text, "change my flight reservation");
	decide("lost card", "welcome please tell me what you need help with",
	       NULL, 0);
	assert_int_equal(d.act, NAV_SAY);
	/* A keyed menu that mentions calling is not a speech prompt. */
	menu_parse("if you are calling about an outage press 1 for billing "
		   "press 2",
		   &m);
	assert_int_equal(m.speech, 0);
	/*
	 * Misheard words read as a key, beside the words of a speech
	 * prompt: the intent is said once before anything else.
	 */
	decide("change my flight reservation",
	       "enter nine in a few entered can we like are calling", NULL, 0);
	assert_int_equal(d.act, NAV_SAY);
	assert_string_equal(d.text, "change my flight reservation");
	/* A keyed menu whose key fits still gets the key. */
	decide("report an outage",
	       "if you are calling about an outage press 1 for billing press 2",
	       NULL, 0);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "1");
}

static void
test_rejected_key_recovers(void **state)
{
	(void)state;
	/* The first choice is not taken (the menu comes back): another
	 * choice, never the same key again, then the operator. */
	decide("my order never arrived",
	       "for order status press 1 for returns press 2", NULL, 0);
	assert_string_equal(d.digits, "1");
	menu_parse("sorry that is not a valid choice for order status press "
		   "1 for returns press 2",
		   &m);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.loop, 1);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_not_equal(d.digits, "1");
	menu_parse("for order status press 1 for returns press 2", &m);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_not_equal(d.digits, "1");
}

/* info_missing: once per key per call, whichever path found it first. */
static void
test_missing_once(void **state)
{
	char seen[40] = "";

	(void)state;
	assert_int_equal(nav_missing_once(seen, sizeof(seen),
					  "info.account_number"), 1);
	assert_string_equal(seen, "account_number");
	/* The exploration finds the same key after the flow did. */
	assert_int_equal(nav_missing_once(seen, sizeof(seen),
					  "account_number"), 0);
	/* A key that is a part of one told is another key. */
	assert_int_equal(nav_missing_once(seen, sizeof(seen), "account"), 1);
	assert_int_equal(nav_missing_once(seen, sizeof(seen), "number"), 1);
	assert_int_equal(nav_missing_once(seen, sizeof(seen), "account"), 0);
	assert_string_equal(seen, "account_number account number");
	assert_int_equal(nav_missing_once(seen, sizeof(seen), ""), 0);
	assert_int_equal(nav_missing_once(seen, sizeof(seen), "info."), 0);
	assert_int_equal(nav_missing_once(seen, sizeof(seen), NULL), 0);
	/* Full: nothing more is recorded, nothing overflows. */
	assert_int_equal(nav_missing_once(seen, sizeof(seen),
					  "a_key_much_too_long"), 0);
	assert_string_equal(seen, "account_number account number");
	assert_int_equal(nav_missing_once(seen, sizeof(seen), "zip"), 1);
	assert_string_equal(seen, "account_number account number zip");

	/* The action reported: the operator key the navigator pressed. */
	decide("billing", "please enter your account number followed by the "
			  "pound key",
	       "{}", 0);
	assert_string_equal(d.missing, "account_number");
	assert_string_equal(nav_act_action(&d), "0");
	d.act = NAV_WAIT;
	assert_string_equal(nav_act_action(&d), "wait");
	d.act = NAV_NONE;
	assert_string_equal(nav_act_action(&d), "listen");
}

/* A model's decision about a data prompt whose value info lacks. */
static void
llm_says(const char *digits, const char *info)
{
	json_object *i = info ? json_tokener_parse(info) : NULL;

	nav_init(&n, "billing");
	menu_parse("please enter your account number followed by the pound "
		   "key",
		   &m);
	memset(&d, 0, sizeof(d));
	d.act = NAV_PRESS;
	snprintf(d.digits, sizeof(d.digits), "%s", digits);
	nav_note(&n, &m, digits);
	nav_check_missing(&n, &m, i, &d);
	json_object_put(i);
}

static void
test_check_missing(void **state)
{
	(void)state;
	/* A made-up account number is replaced by the representative route. */
	llm_says("12345678#", "{\"zip\":\"94107\"}");
	assert_string_equal(d.missing, "account_number");
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "0");
	assert_non_null(strstr(d.reason, "not sent"));
	/* The operator key of the model is kept; the value is still missing. */
	llm_says("0", "{}");
	assert_string_equal(d.missing, "account_number");
	assert_string_equal(d.digits, "0");
	assert_null(strstr(d.reason, "not sent"));
	/* With the value in info, the model's keys are its own business. */
	llm_says("4455667#", "{\"account_number\":\"4455667\"}");
	assert_string_equal(d.missing, "");
	assert_string_equal(d.digits, "4455667#");
	/* Not a data prompt: nothing to check. */
	nav_init(&n, "billing");
	menu_parse("for billing press 2", &m);
	memset(&d, 0, sizeof(d));
	d.act = NAV_PRESS;
	snprintf(d.digits, sizeof(d.digits), "22");
	assert_int_equal(nav_check_missing(&n, &m, NULL, &d), 0);
	assert_string_equal(d.missing, "");
}

/*
 * The unseen company menus that went wrong: a suitcase is baggage, a
 * retention menu's offers are not the intent, and a lost "press 0" shifts
 * no label onto the next key.
 */
static void
test_unseen_menus(void **state)
{
	static const char asterisk[] =
	    "for billing press one for technical support press two for "
	    "everything else press there";

	(void)state;
	decide("my suitcase did not arrive on my flight yesterday",
	       "thank you for calling skyway airlines for an existing "
	       "reservation press 1 to make a new reservation press 2 for "
	       "baggage services press 3 for all other questions press 0",
	       NULL, 0);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "3");
	/* Retention: the offers (heard right or as "agents benefits") are
	 * not the representative. */
	decide("cancel my service",
	       "before you go to hear our special offers press 1 to speak "
	       "with an account specialist press 2",
	       NULL, 0);
	assert_string_equal(d.digits, "2");
	decide("cancel my service",
	       "before you go to hear agents benefits press 1 to speak with "
	       "an account specialist press 2",
	       NULL, 0);
	assert_string_equal(d.digits, "2");
	/* Unless the intent asks for them. */
	decide("I want to hear your special offers",
	       "before you go to hear our special offers press 1 to speak "
	       "with an account specialist press 2",
	       NULL, 0);
	assert_string_equal(d.digits, "1");
	/* A deferring option is never the blind choice. */
	decide("cancel my service",
	       "to hear our special offers press 1 for new service press 2",
	       NULL, 0);
	assert_int_equal(d.act, NAV_WAIT);
	menu_parse("to hear our special offers press 1 for new service press 2",
		   &m);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_string_not_equal(d.digits, "1");
	/* Asterisk, "press 0" lost: billing is 1, never 3. */
	decide("dispute a charge", asterisk, NULL, 0);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "1");
	decide("I have a question about my bill", asterisk, NULL, 0);
	assert_string_equal(d.digits, "1");
	decide("my internet is not working", asterisk, NULL, 0);
	assert_string_equal(d.digits, "2");
	/* The option that fits has no key heard: hear the menu again, and
	 * press what the second hearing says. */
	decide("something else entirely", asterisk, NULL, 0);
	assert_int_equal(d.act, NAV_WAIT);
	menu_parse("for billing press one for technical support press two for "
		   "everything else press zero",
		   &m);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "0");
	/* Heard lost again: no guess at its key. */
	decide("something else entirely", asterisk, NULL, 0);
	assert_int_equal(d.act, NAV_WAIT);
	menu_parse(asterisk, &m);
	nav_decide(&n, &m, NULL, 0, &d);
	assert_true(d.act != NAV_PRESS || strcmp(d.digits, "3") != 0);
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
	    cmocka_unit_test(test_noisy_verbless),
	    cmocka_unit_test(test_noisy_heard_twice),
	    cmocka_unit_test(test_noisy_speech_prompt),
	    cmocka_unit_test(test_rejected_key_recovers),
	    cmocka_unit_test(test_missing_once),
	    cmocka_unit_test(test_check_missing),
	    cmocka_unit_test(test_unseen_menus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
