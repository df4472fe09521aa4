/*
 * test_flow_cond: step conditions and placeholders of call flows
 * (ivrd/flow.c).  Every fault in a condition is reported with the file, the
 * step and the field; the decisions a running call takes (which condition
 * matches what was heard, where it leads once its retries are used up,
 * what a step with no match does) and the filling of {info.KEY}
 * placeholders are checked on their own.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../ivrd/ivrd.h"
#include "log.h"

#define HEAD                                                                   \
	"{\"id\":\"f\",\"name\":\"n\",\"phone_number\":\"1\",\"steps\":["

static struct flow *
parse_ok(const char *json)
{
	struct flow *f = NULL;
	char err[512] = "";

	if (flow_parse(&f, "c.json", json, strlen(json), err, sizeof(err)) < 0)
		fail_msg("rejected: %s\n  %s", err, json);
	return f;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

/* The shape a user writes: each test, with then, else, retries, dtmf. */
static void
test_parse_conditions(void **state)
{
	struct flow *f;
	const struct flow_step *s;

	(void)state;
	f = parse_ok(HEAD
		     "{\"id\":\"menu\",\"type\":\"LISTEN\",\"timeout\":20,"
		     "\"conditions\":["
		     "{\"if\":{\"transcript\":\"Billing|disputed charges\"},"
		     "\"then\":\"billing\"},"
		     "{\"if\":{\"regex\":\"for billing,? press ([0-9])\"},"
		     "\"dtmf\":\"{match.1}\",\"then\":\"hold\"},"
		     "{\"if\":{\"audio\":\"music\"},\"then\":\"hold\"},"
		     "{\"if\":{\"timeout\":true},\"then\":\"repeat\","
		     "\"retries\":2,\"else\":\"fail\"}]},"
		     "{\"id\":\"billing\",\"type\":\"DTMF\",\"dtmf\":\"2\"},"
		     "{\"id\":\"hold\",\"type\":\"HOLD\"},"
		     "{\"id\":\"x\",\"type\":\"TRANSFER\"}]}");
	s = &f->steps[0];
	assert_int_equal(s->nconds, 4);
	assert_int_equal(f->nconds, 4);
	assert_int_equal(s->conds[0].kind, FLOW_COND_TRANSCRIPT);
	assert_int_equal(s->conds[0].nwords, 2);
	assert_string_equal(s->conds[0].words[0], "billing");
	assert_string_equal(s->conds[0].words[1], "disputed charges");
	assert_int_equal(s->conds[0].then_to, 1);
	assert_int_equal(s->conds[0].retries, -1);
	assert_int_equal(s->conds[1].kind, FLOW_COND_REGEX);
	assert_string_equal(s->conds[1].dtmf, "{match.1}");
	assert_int_equal(s->conds[1].then_to, 2);
	assert_int_equal(s->conds[2].kind, FLOW_COND_AUDIO);
	assert_int_equal(s->conds[3].kind, FLOW_COND_TIMEOUT);
	assert_int_equal(s->conds[3].then_to, FLOW_GOTO_REPEAT);
	assert_int_equal(s->conds[3].else_to, FLOW_GOTO_FAIL);
	assert_int_equal(s->conds[3].retries, 2);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s->conds[i].slot, i);
	assert_string_equal(flow_goto_name(f, s->conds[0].then_to), "billing");
	assert_string_equal(flow_goto_name(f, FLOW_GOTO_EXPLORE), "explore");
	flow_unref(f);

	/* One condition may be written without the array; "repeat" gets
	 * two retries and then explores by default. */
	f = parse_ok(HEAD "{\"id\":\"w\",\"type\":\"WAIT\",\"timeout\":3,"
			  "\"conditions\":{\"if\":{\"timeout\":true},"
			  "\"then\":\"repeat\"}},"
			  "{\"id\":\"x\",\"type\":\"TRANSFER\"}]}");
	assert_int_equal(f->steps[0].nconds, 1);
	assert_int_equal(f->steps[0].conds[0].retries, 2);
	assert_int_equal(f->steps[0].conds[0].else_to, FLOW_GOTO_EXPLORE);
	flow_unref(f);
}

static void
test_condition_faults(void **state)
{
	static const struct {
		const char *steps, *want;
	} cases[] = {
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":5}",
	     "c.json: step 'm': conditions: must be an array of conditions, "
	     "not a number"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[7]}",
	     "c.json: step 'm': conditions[0]: must be an object, not a "
	     "number"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"then\":"
	     "\"next\"}]}",
	     "c.json: step 'm': conditions[0].if: missing"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":"
	     "\"billing\",\"then\":\"next\"}]}",
	     "c.json: step 'm': conditions[0].if: must be an object, not a "
	     "string"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"words\":\"billing\"},\"then\":\"next\"}]}",
	     "c.json: step 'm': conditions[0].if.words: unknown test"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{},"
	     "\"then\":\"next\"}]}",
	     "c.json: step 'm': conditions[0].if: needs exactly one test"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"audio\":\"music\",\"timeout\":true},\"then\":\"next\"}]}",
	     "conditions[0].if: needs exactly one test (transcript, regex, "
	     "audio or timeout), not 2"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"regex\":\"press ([0-9]\"},\"then\":\"next\"}]}",
	     "c.json: step 'm': conditions[0].if.regex: 'press ([0-9]' is not "
	     "a valid extended regular expression"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"transcript\":\"billing||x\"},\"then\":\"next\"}]}",
	     "conditions[0].if.transcript: 'billing||x' has an empty "
	     "alternative"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"audio\":\"jazz\"},\"then\":\"next\"}]}",
	     "c.json: step 'm': conditions[0].if.audio: 'jazz' is not an "
	     "audio class"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"timeout\":false},\"then\":\"next\"}]}",
	     "conditions[0].if.timeout: must be true"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"timeout\":true}}]}",
	     "c.json: step 'm': conditions[0].then: missing"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"timeout\":true},\"then\":\"billing\"}]}",
	     "c.json: step 'm': conditions[0].then: 'billing' is not a step "
	     "of this flow, nor next, repeat, explore or fail"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"timeout\":true},\"then\":\"next\",\"retries\":1,"
	     "\"else\":\"nowhere\"}]}",
	     "c.json: step 'm': conditions[0].else: 'nowhere' is not a step"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"timeout\":true},\"then\":\"next\",\"else\":\"fail\"}]}",
	     "conditions[0].retries: missing: an else applies once the "
	     "retries are used up"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"timeout\":true},\"then\":\"repeat\",\"retries\":\"2\"}]}",
	     "conditions[0].retries: must be an integer, not a string"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"timeout\":true},\"then\":\"repeat\",\"retries\":-1}]}",
	     "conditions[0].retries: -1 is not in 0..100"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"transcript\":\"x\"},\"then\":\"next\",\"dtmf\":\"1x\"}]}",
	     "c.json: step 'm': conditions[0].dtmf: '1x' has a character "
	     "that is not a DTMF digit"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"transcript\":\"x\"},\"then\":\"next\",\"dtmf\":\"{match.1}\"}"
	     "]}",
	     "conditions[0].dtmf: '{match.1}' is not a placeholder (use "
	     "{info.KEY}, {intent})"},
	    {"{\"id\":\"m\",\"type\":\"LISTEN\",\"conditions\":[{\"if\":{"
	     "\"transcript\":\"x\"},\"then\":\"next\",\"goto\":\"y\"}]}",
	     "c.json: step 'm': conditions[0].goto: unknown field"},
	    {"{\"id\":\"m\",\"type\":\"DTMF\",\"dtmf\":\"1\",\"conditions\":[{"
	     "\"if\":{\"timeout\":true},\"then\":\"next\"}]}",
	     "c.json: step 'm': conditions: a DTMF step does not wait"},
	    /* placeholders */
	    {"{\"id\":\"m\",\"type\":\"DTMF\",\"dtmf\":\"{info.acct}#x\"}",
	     "c.json: step 'm': dtmf: '{info.acct}#x' has a character that "
	     "is not a DTMF digit"},
	    {"{\"id\":\"m\",\"type\":\"DTMF\",\"dtmf\":\"{account}#\"}",
	     "c.json: step 'm': dtmf: '{account}' is not a placeholder"},
	    {"{\"id\":\"m\",\"type\":\"DTMF\",\"dtmf\":\"{info.acct#\"}",
	     "c.json: step 'm': dtmf: a '{' without its '}'"},
	    {"{\"id\":\"m\",\"type\":\"DTMF\",\"dtmf\":\"{intent}\"}",
	     "c.json: step 'm': dtmf: {intent} is words, not digits"},
	    {"{\"id\":\"m\",\"type\":\"SPEAK\",\"metadata\":{\"text\":"
	     "\"my number is {info.}\"}}",
	     "c.json: step 'm': metadata.text: '{info.}' is not a "
	     "placeholder"},
	    {"{\"id\":\"m\",\"type\":\"SPEAK\",\"metadata\":{\"text\":\"hi\","
	     "\"voice\":\"en us\"}}",
	     "c.json: step 'm': metadata.voice: 'en us' is not an espeak-ng "
	     "voice name"},
	};
	char json[2048], err[512];
	struct flow *f;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(json, sizeof(json), "%s%s]}", HEAD, cases[i].steps);
		err[0] = '\0';
		if (flow_parse(&f, "c.json", json, strlen(json), err,
			       sizeof(err)) == 0)
			fail_msg("case %zu was accepted: %s", i, json);
		print_message("  %s\n", err);
		assert_contains(err, cases[i].want);
	}
}

/* What a running step decides from what it hears. */
static void
test_decisions(void **state)
{
	struct flow *f;
	const struct flow_step *s;
	struct flow_match m;
	int ex;

	(void)state;
	f = parse_ok(HEAD
		     "{\"id\":\"menu\",\"type\":\"LISTEN\",\"conditions\":["
		     "{\"if\":{\"transcript\":\"billing|charges\"},"
		     "\"then\":\"billing\"},"
		     "{\"if\":{\"regex\":\"for (an )?agent,? press ([0-9*#])\"},"
		     "\"dtmf\":\"{match.2}\",\"then\":\"hold\"},"
		     "{\"if\":{\"audio\":\"music\"},\"then\":\"hold\"},"
		     "{\"if\":{\"timeout\":true},\"then\":\"repeat\","
		     "\"retries\":2}]},"
		     "{\"id\":\"billing\",\"type\":\"DTMF\",\"dtmf\":\"2\"},"
		     "{\"id\":\"hold\",\"type\":\"HOLD\"},"
		     "{\"id\":\"x\",\"type\":\"TRANSFER\"}]}");
	s = &f->steps[0];

	/* Whole words, any case and punctuation; not inside other words. */
	assert_int_equal(flow_conds_first(s, FLOW_COND_TRANSCRIPT,
					  "For BILLING, press two.", &m),
			 0);
	assert_int_equal(flow_conds_first(s, FLOW_COND_TRANSCRIPT,
					  "questions about charges?", &m),
			 0);
	assert_int_equal(flow_conds_first(s, FLOW_COND_TRANSCRIPT,
					  "rebilling is closed", &m),
			 -1);
	/* The regex gives the key to press. */
	assert_int_equal(flow_conds_first(s, FLOW_COND_TRANSCRIPT,
					  "To speak to an agent, press 7.", &m),
			 -1);
	assert_int_equal(flow_conds_first(s, FLOW_COND_TRANSCRIPT,
					  "For an Agent press 7 now", &m),
			 1);
	assert_string_equal(m.group[2], "7");
	/* Sounds and the end of the step only match their own kind. */
	assert_int_equal(flow_conds_first(s, FLOW_COND_AUDIO, "speech", NULL),
			 -1);
	assert_int_equal(flow_conds_first(s, FLOW_COND_AUDIO, "music", NULL),
			 2);
	assert_int_equal(flow_conds_first(s, FLOW_COND_TIMEOUT, NULL, NULL), 3);
	assert_int_equal(flow_conds_first(s, FLOW_COND_TRANSCRIPT, "music",
					  NULL),
			 -1);

	/* Retries: repeat twice, then the default, exploration. */
	assert_int_equal(flow_cond_target(&s->conds[3], 0, &ex),
			 FLOW_GOTO_REPEAT);
	assert_false(ex);
	assert_int_equal(flow_cond_target(&s->conds[3], 1, &ex),
			 FLOW_GOTO_REPEAT);
	assert_int_equal(flow_cond_target(&s->conds[3], 2, &ex),
			 FLOW_GOTO_EXPLORE);
	assert_true(ex);
	/* No limit without retries. */
	assert_int_equal(flow_cond_target(&s->conds[0], 1000, &ex), 1);
	assert_false(ex);

	/* A step that listens for words and hears none of them explores; a
	 * step with only sounds to watch goes on. */
	assert_int_equal(flow_step_unmatched(s), FLOW_GOTO_EXPLORE);
	flow_unref(f);
	f = parse_ok(HEAD "{\"id\":\"w\",\"type\":\"WAIT\",\"timeout\":5,"
			  "\"conditions\":[{\"if\":{\"audio\":\"busy\"},"
			  "\"then\":\"fail\"}]},"
			  "{\"id\":\"x\",\"type\":\"TRANSFER\"}]}");
	assert_int_equal(flow_step_unmatched(&f->steps[0]), FLOW_GOTO_NEXT);
	flow_unref(f);
}

static void
test_expand(void **state)
{
	json_object *info = json_tokener_parse(
	    "{\"account_number\":\"1234-5678\",\"zip\":90210,"
	    "\"dob\":\"01/02/1980\",\"name\":\"Ada\",\"empty\":\"\","
	    "\"bad\":\"12ab\"}");
	struct flow_match m;
	char out[64], err[128];

	(void)state;
	memset(&m, 0, sizeof(m));
	snprintf(m.group[1], sizeof(m.group[1]), "4");

	assert_int_equal(flow_expand("Hi, I'm {info.name}, about {intent}.",
				     info, "a charge", NULL, out, sizeof(out),
				     err, sizeof(err)),
			 0);
	assert_string_equal(out, "Hi, I'm Ada, about a charge.");
	assert_int_equal(flow_expand("zip {info.zip}", info, NULL, NULL, out,
				     sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "zip 90210");
	/* Missing or empty: named, never guessed. */
	assert_int_equal(flow_expand("{info.account}", info, NULL, NULL, out,
				     sizeof(out), err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "info.account");
	assert_int_equal(flow_expand("{info.empty}", info, NULL, NULL, out,
				     sizeof(out), err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "info.empty");
	assert_int_equal(flow_expand("{intent}", NULL, "", NULL, out,
				     sizeof(out), err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(flow_expand("{info.name}", NULL, NULL, NULL, out,
				     sizeof(out), err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(flow_expand("{info.name}", info, NULL, NULL, out, 3,
				     err, sizeof(err)),
			 -ENOSPC);

	/* Digits: separators dropped, then only DTMF digits. */
	assert_int_equal(flow_dtmf_expand("{info.account_number}#", info, NULL,
					  out, sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "12345678#");
	assert_int_equal(flow_dtmf_expand("{info.dob}", info, NULL, out,
					  sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "01021980");
	assert_int_equal(flow_dtmf_expand("9{match.1}", NULL, &m, out,
					  sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "94");
	assert_int_equal(flow_dtmf_expand("{info.account}#", info, NULL, out,
					  sizeof(out), err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "info.account");
	assert_int_equal(flow_dtmf_expand("{info.bad}", info, NULL, out,
					  sizeof(out), err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "info.bad: '12ab' is not DTMF digits");

	assert_true(flow_has_placeholder("{info.a}#"));
	assert_false(flow_has_placeholder("12#"));
	json_object_put(info);
}

/* A DTMF step with a placeholder keeps it until the call fills it. */
static void
test_dtmf_placeholder_step(void **state)
{
	struct flow *f;

	(void)state;
	f = parse_ok(HEAD "{\"id\":\"acct\",\"type\":\"DTMF\","
			  "\"dtmf\":\"{info.account_number}#\"},"
			  "{\"id\":\"menu\",\"type\":\"DTMF\",\"dtmf\":\"*a\"},"
			  "{\"id\":\"say\",\"type\":\"SPEAK\",\"description\":"
			  "\"{intent}\",\"metadata\":{\"voice\":\"en-us+f3\"}},"
			  "{\"id\":\"x\",\"type\":\"TRANSFER\"}]}");
	assert_string_equal(f->steps[0].dtmf, "{info.account_number}#");
	assert_true(f->steps[0].dtmf_tmpl);
	assert_string_equal(f->steps[1].dtmf, "*A");
	assert_false(f->steps[1].dtmf_tmpl);
	assert_string_equal(f->steps[2].text, "{intent}");
	assert_string_equal(f->steps[2].voice, "en-us+f3");
	flow_unref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_conditions),
	    cmocka_unit_test(test_condition_faults),
	    cmocka_unit_test(test_decisions),
	    cmocka_unit_test(test_expand),
	    cmocka_unit_test(test_dtmf_placeholder_step),
	};

	log_init("test_flow_cond", LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
