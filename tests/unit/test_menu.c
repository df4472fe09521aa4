/*
 * test_menu: reading phone menus (ivrd/menu.c) in many wordings: "for X,
 * press N" and "press N for X", with and without punctuation (an offline
 * recogniser gives none), digits as numerals, words and misheard words,
 * the agent, catch-all, repeat and back options, data prompts, speech
 * prompts, hold announcements, keys lost by the recogniser (no label
 * shifts onto a neighbour's key), and the intent matching by meaning
 * (WordNet).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>

#include <cmocka.h>

#include "../../ivrd/nav.h"

static struct menu m;

/* The label of digit d, or NULL. */
static const char *
label_of(const char *d)
{
	for (size_t i = 0; i < m.nopts; i++)
		if (strcmp(m.opts[i].digit, d) == 0)
			return m.opts[i].label;
	return NULL;
}

static enum menu_opt_kind
kind_of(const char *d)
{
	for (size_t i = 0; i < m.nopts; i++)
		if (strcmp(m.opts[i].digit, d) == 0)
			return m.opts[i].kind;
	return (enum menu_opt_kind)-1;
}

static void
assert_label_has(const char *d, const char *word)
{
	const char *l = label_of(d);
	if (l == NULL || strstr(l, word) == NULL)
		fail_msg("digit %s: label '%s' lacks '%s'", d, l ? l : "(none)",
			 word);
}

static void
test_for_x_press_n(void **state)
{
	(void)state;
	menu_parse("Thank you for calling First National Bank. For billing, "
		   "press 2. To report a lost card, press 3. For anything "
		   "else, press 0.",
		   &m);
	assert_int_equal(m.nopts, 3);
	assert_string_equal(label_of("2"), "billing");
	assert_label_has("3", "lost card");
	assert_int_equal(kind_of("0"), MENU_OPT_OTHER);
}

static void
test_for_x_press_n_no_punct(void **state)
{
	(void)state;
	menu_parse("thank you for calling first national bank for billing "
		   "press two to report a lost card press three for anything "
		   "else press zero",
		   &m);
	assert_int_equal(m.nopts, 3);
	assert_string_equal(label_of("2"), "billing");
	assert_label_has("3", "lost card");
	assert_label_has("0", "anything else");
}

static void
test_press_n_for_x(void **state)
{
	(void)state;
	menu_parse("Press 1 for sales. Press 2 for technical support. Press 0 "
		   "for an operator.",
		   &m);
	assert_int_equal(m.nopts, 3);
	assert_string_equal(label_of("1"), "sales");
	assert_string_equal(label_of("2"), "technical support");
	assert_int_equal(kind_of("0"), MENU_OPT_AGENT);
	menu_parse("press one for sales press two for technical support press "
		   "zero for an operator",
		   &m);
	assert_string_equal(label_of("1"), "sales");
	assert_string_equal(label_of("2"), "technical support");
	assert_int_equal(kind_of("0"), MENU_OPT_AGENT);
}

static void
test_mixed_styles(void **state)
{
	(void)state;
	menu_parse("For billing, press 1. Press 2 for sales. If you are "
		   "calling about an order, press 3.",
		   &m);
	assert_string_equal(label_of("1"), "billing");
	assert_string_equal(label_of("2"), "sales");
	assert_label_has("3", "order");
}

static void
test_misheard_digits(void **state)
{
	(void)state;
	/* "press to" is two, "press for" is four, "press won" is one. */
	menu_parse("for payments press won for billing press to for repairs "
		   "press for",
		   &m);
	assert_string_equal(label_of("1"), "payments");
	assert_string_equal(label_of("2"), "billing");
	assert_string_equal(label_of("4"), "repairs");
}

static void
test_star_pound_and_keys(void **state)
{
	(void)state;
	menu_parse("To repeat these options, press the star key. To return to "
		   "the main menu, press pound.",
		   &m);
	assert_int_equal(kind_of("*"), MENU_OPT_REPEAT);
	assert_int_equal(kind_of("#"), MENU_OPT_BACK);
	menu_parse("For English, press *. Para espanol, oprima dos.", &m);
	assert_string_equal(label_of("*"), "english");
	assert_int_equal(m.nopts, 1);
}

static void
test_dial_and_option(void **state)
{
	(void)state;
	menu_parse("For claims, dial 4. For policy changes, select option 5. "
		   "If this is an emergency, hang up and dial 9 1 1.",
		   &m);
	assert_string_equal(label_of("4"), "claims");
	assert_label_has("5", "policy changes");
	assert_null(label_of("9"));
}

static void
test_agent_wordings(void **state)
{
	static const char *const t[] = {
	    "To speak with a representative, press 0.",
	    "To talk to an agent, press 0.",
	    "For an operator, press 0.",
	    "To reach a customer service associate, press 0.",
	    "To speak to a live person, press 0.",
	    "For customer care, press 0.",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		menu_parse(t[i], &m);
		if (kind_of("0") != MENU_OPT_AGENT)
			fail_msg("not an agent option: %s", t[i]);
	}
	menu_parse("For all other questions, press 9.", &m);
	assert_int_equal(kind_of("9"), MENU_OPT_OTHER);
	menu_parse("Or stay on the line to speak with a representative.", &m);
	assert_int_equal(m.wait_agent, 1);
}

static void
test_data_prompts(void **state)
{
	(void)state;
	menu_parse("Please enter your account number, followed by the pound "
		   "key.",
		   &m);
	assert_string_equal(m.data_key, "account_number");
	assert_int_equal(m.data_pound, 1);
	menu_parse("please enter your five digit zip code", &m);
	assert_string_equal(m.data_key, "zip");
	assert_int_equal(m.data_pound, 0);
	menu_parse("Using your keypad, enter your date of birth as month, day "
		   "and year, then press pound.",
		   &m);
	assert_string_equal(m.data_key, "dob");
	assert_int_equal(m.data_pound, 1);
	menu_parse("enter the last four digits of your social security number "
		   "followed by the hash key",
		   &m);
	assert_string_equal(m.data_key, "ssn_last4");
	assert_int_equal(m.data_pound, 1);
	menu_parse("please say or enter your phone number", &m);
	assert_string_equal(m.data_key, "phone");
	/* An option about the data is not the prompt. */
	menu_parse("To update your phone number, press 3. To enter your "
		   "account number, press 4.",
		   &m);
	assert_string_equal(m.data_key, "");
	assert_int_equal(m.nopts, 2);
	/* "If you don't have it" is a way out. */
	menu_parse("Enter your account number followed by pound. If you do "
		   "not have your account number, press star.",
		   &m);
	assert_string_equal(m.data_key, "account_number");
	assert_int_equal(kind_of("*"), MENU_OPT_SKIP);
}

static void
test_speech_and_hold(void **state)
{
	static const char *const speech[] = {
	    "In a few words, tell me why you are calling.",
	    "briefly tell me the reason for your call",
	    "how can i help you today",
	    "please describe in your own words what you are calling about",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(speech) / sizeof(speech[0]); i++) {
		menu_parse(speech[i], &m);
		if (!m.speech)
			fail_msg("not a speech prompt: %s", speech[i]);
	}
	menu_parse("You can say billing, payments, or technical support.", &m);
	assert_int_equal(m.nopts, 3);
	assert_int_equal(m.opts[2].say, 1);
	assert_string_equal(m.opts[2].label, "technical support");
	menu_parse("Please hold while I transfer your call.", &m);
	assert_int_equal(m.hold, 1);
	menu_parse("All of our agents are currently assisting other callers. "
		   "Your estimated wait time is 5 minutes.",
		   &m);
	assert_int_equal(m.hold, 1);
	menu_parse("For billing press 1", &m);
	assert_int_equal(m.hold, 0);
}

static void
test_match(void **state)
{
	(void)state;
	/* Synonyms: the intent's words are not the label's. */
	assert_true(menu_match("dispute a charge on my card", "billing") >= 0.7);
	assert_true(menu_match("I need more of my medication",
			       "prescription refills") >= 0.7);
	assert_true(menu_match("my internet is not working",
			       "technical support") >= 0.7);
	assert_true(menu_match("pay my bill", "make a payment") >= 0.7);
	assert_true(menu_match("speak to a human", "a representative") >= 0.7);
	assert_true(menu_match("my card was stolen",
			       "report a lost or stolen card") >= 1.0);
	/* Nothing shared. */
	assert_true(menu_match("dispute a charge", "new service") < 0.3);
	assert_true(menu_match("change my flight", "for english") < 0.3);
	/* The better of two. */
	assert_true(menu_match("dispute a charge on my card", "billing") >
		    menu_match("dispute a charge on my card",
			       "card activation"));
}

static void
test_info_values(void **state)
{
	json_object *info = json_tokener_parse(
	    "{\"account\":\"12-34 56\",\"date_of_birth\":\"1980-04-15\","
	    "\"ssn\":\"123-45-6789\",\"zip_code\":94107}");
	char v[64], used[32];

	(void)state;
	assert_int_equal(menu_info_value(info, "account_number", v, sizeof(v),
					 used, sizeof(used)),
			 0);
	assert_string_equal(v, "123456");
	assert_string_equal(used, "account");
	assert_int_equal(
	    menu_info_value(info, "dob", v, sizeof(v), NULL, 0), 0);
	assert_string_equal(v, "04151980");
	assert_int_equal(
	    menu_info_value(info, "ssn_last4", v, sizeof(v), NULL, 0), 0);
	assert_string_equal(v, "6789");
	assert_int_equal(menu_info_value(info, "zip", v, sizeof(v), NULL, 0),
			 0);
	assert_string_equal(v, "94107");
	assert_int_equal(menu_info_value(info, "pin", v, sizeof(v), NULL, 0),
			 -ENOENT);
	assert_int_equal(menu_info_value(NULL, "pin", v, sizeof(v), NULL, 0),
			 -ENOENT);
	json_object_put(info);
}

static void
test_garbage(void **state)
{
	(void)state;
	menu_parse("", &m);
	assert_int_equal(m.nopts, 0);
	menu_parse("press press press for for to", &m);
	assert_true(m.nopts <= MENU_OPT_MAX);
	menu_parse(NULL, &m);
	assert_int_equal(m.nopts, 0);
	{
		static char big[20000];
		for (size_t i = 0; i + 1 < sizeof(big); i++)
			big[i] = "press 1 for x "[i % 14];
		menu_parse(big, &m);
		assert_true(m.nopts <= MENU_OPT_MAX);
	}
}

/* An option whose key was lost: digit "", lost set, label kept. */
static const struct menu_opt *
lost_opt(void)
{
	for (size_t i = 0; i < m.nopts; i++)
		if (m.opts[i].lost)
			return &m.opts[i];
	return NULL;
}

/*
 * The key of a label is read from the structure of the whole prompt, so
 * that a "press N" lost or misheard by the recogniser shifts no label onto
 * a neighbour's key.  Both orders, lost keys at the end, in the middle and
 * at the start, and a whole "press N" lost (a gap in the count).
 */
static void
test_lost_keys(void **state)
{
	(void)state;
	/* An Asterisk menu: "press 0" heard as "press there". */
	menu_parse("for billing press one for technical support press two for "
		   "everything else press there",
		   &m);
	assert_string_equal(label_of("1"), "billing");
	assert_string_equal(label_of("2"), "technical support");
	assert_null(label_of("3"));
	assert_non_null(lost_opt());
	assert_string_equal(lost_opt()->label, "everything else");
	assert_string_equal(lost_opt()->digit, "");
	/* The same menu, "press N for X". */
	menu_parse("press one for billing press two for technical support "
		   "press there for everything else",
		   &m);
	assert_string_equal(label_of("1"), "billing");
	assert_string_equal(label_of("2"), "technical support");
	assert_non_null(lost_opt());
	assert_string_equal(lost_opt()->label, "everything else");
	/* The transcript stops on the lost key: the start says the order. */
	menu_parse("press one for billing press two for technical support "
		   "press",
		   &m);
	assert_string_equal(label_of("1"), "billing");
	assert_string_equal(label_of("2"), "technical support");
	menu_parse("thank you for calling for billing press one for technical "
		   "support press two for everything else press",
		   &m);
	assert_string_equal(label_of("1"), "billing");
	assert_string_equal(label_of("2"), "technical support");
	assert_string_equal(lost_opt()->label, "everything else");
	/* Between 1 and 3 a lost key is 2, in either order. */
	menu_parse("for billing press one for payments press tree for "
		   "technical support press three",
		   &m);
	assert_string_equal(label_of("1"), "billing");
	assert_string_equal(label_of("2"), "payments");
	assert_string_equal(label_of("3"), "technical support");
	assert_null(lost_opt());
	menu_parse("press one for billing press there for payments press "
		   "three for technical support",
		   &m);
	assert_string_equal(label_of("2"), "payments");
	assert_string_equal(label_of("3"), "technical support");
	/* A lost first key before 2 is 1. */
	menu_parse("for billing press there for payments press two", &m);
	assert_string_equal(label_of("1"), "billing");
	assert_string_equal(label_of("2"), "payments");
	/* A whole "press 2" lost: the label before 3 holds two clauses. */
	menu_parse("for billing press one for payments for technical support "
		   "press three",
		   &m);
	assert_string_equal(label_of("1"), "billing");
	assert_string_equal(label_of("2"), "payments");
	assert_string_equal(label_of("3"), "technical support");
	menu_parse("press one for billing for payments press three for "
		   "technical support",
		   &m);
	assert_string_equal(label_of("1"), "billing");
	assert_string_equal(label_of("2"), "payments");
	assert_string_equal(label_of("3"), "technical support");
	/* Consecutive keys: two clauses are one label. */
	menu_parse("for billing or to make a payment press one for technical "
		   "support press two",
		   &m);
	assert_label_has("1", "billing");
	assert_label_has("1", "payment");
	assert_string_equal(label_of("2"), "technical support");
	/* Sound-alikes already read as keys stay keys. */
	menu_parse("for payments press won for billing press to", &m);
	assert_string_equal(label_of("1"), "payments");
	assert_string_equal(label_of("2"), "billing");
	assert_null(lost_opt());
}

/* Meaning from WordNet, not shared words. */
static void
test_match_meaning(void **state)
{
	const char *bag = "my suitcase did not arrive on my flight yesterday";

	(void)state;
	if (!sense_ready())
		skip();
	/* A suitcase is baggage; a reservation is not. */
	assert_true(menu_match(bag, "baggage services") >= 0.7);
	assert_true(menu_match(bag, "baggage services") >
		    menu_match(bag, "an existing reservation"));
	assert_true(menu_match(bag, "an existing reservation") < 0.5);
	assert_true(menu_match("my luggage is lost", "baggage claim") >= 0.7);
	/* A charge is billed. */
	assert_true(menu_match("dispute a charge", "billing") >= 0.7);
	assert_true(menu_match("dispute a charge", "billing") >
		    menu_match("dispute a charge", "technical support"));
	assert_true(menu_match("I was charged twice", "billing questions") >=
		    0.5);
	/* Cancelling is disconnecting, not hearing offers. */
	assert_true(menu_match("cancel my service", "disconnect service") >=
		    0.7);
	assert_true(menu_match("cancel my service", "cancel service") >
		    menu_match("cancel my service", "hear our special offers"));
	assert_true(menu_match("cancel my service", "disconnect service") >
		    menu_match("cancel my service", "hear our special offers"));
	/* Inflections through WordNet's morphology. */
	assert_true(menu_match("my medications", "prescription refills") >=
		    0.5);
	assert_true(menu_match("pay my bill", "payments") >= 0.7);
	/* Unrelated words stay apart. */
	assert_true(menu_match("my flight was cancelled", "account balances") <
		    0.5);
	assert_true(menu_match("change my flight", "hear our special offers") <
		    0.5);
}

/* Options that put the intent off. */
static void
test_defer_kind(void **state)
{
	(void)state;
	menu_parse("to hear our special offers press 1 to take a short survey "
		   "press 2 to visit our website press 3 to speak with an "
		   "account specialist press 4",
		   &m);
	assert_int_equal(kind_of("1"), MENU_OPT_DEFER);
	assert_int_equal(kind_of("2"), MENU_OPT_DEFER);
	assert_int_equal(kind_of("3"), MENU_OPT_DEFER);
	assert_int_equal(kind_of("4"), MENU_OPT_AGENT);
	assert_true(menu_defers("tell me about your special offers"));
	assert_false(menu_defers("cancel my service"));
	assert_true(menu_agent_fit("speak with an account specialist") >
		    menu_agent_fit("agents benefits"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_for_x_press_n),
	    cmocka_unit_test(test_for_x_press_n_no_punct),
	    cmocka_unit_test(test_press_n_for_x),
	    cmocka_unit_test(test_mixed_styles),
	    cmocka_unit_test(test_misheard_digits),
	    cmocka_unit_test(test_star_pound_and_keys),
	    cmocka_unit_test(test_dial_and_option),
	    cmocka_unit_test(test_agent_wordings),
	    cmocka_unit_test(test_data_prompts),
	    cmocka_unit_test(test_speech_and_hold),
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_info_values),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_lost_keys),
	    cmocka_unit_test(test_match_meaning),
	    cmocka_unit_test(test_defer_kind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
