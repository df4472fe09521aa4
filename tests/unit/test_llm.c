/*
 * test_llm: the LLM navigator's wire formats (ivrd/llm.c): the request
 * body of each provider (system prompt, messages, tools, tool_choice; the
 * info keys but no value unless the menu asks for it; earlier turns), and
 * decisions read from real response shapes: OpenAI tool_calls with JSON
 * arguments, Anthropic tool_use blocks; malformed answers are errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../ivrd/nav.h"

/* llm.c hands decisions to explore.c; not reached by these tests. */
void
explore_apply(struct explore *e, const struct menu *m, struct nav_decision *d)
{
	(void)e;
	(void)m;
	(void)d;
	fail();
}

static const char *
str_at(json_object *o, const char *path)
{
	json_object *v = o;
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(v, json_type_array))
			v = json_object_array_get_idx(v, (size_t)atoi(k));
		else if (!json_object_object_get_ex(v, k, &v))
			return NULL;
		if (v == NULL)
			return NULL;
	}
	return json_object_get_string(v);
}

static void
test_openai_request(void **state)
{
	struct menu m;
	json_object *info = json_tokener_parse(
	    "{\"account_number\":\"4455667\",\"zip\":\"94107\"}");
	json_object *b;
	const char *user;

	(void)state;
	menu_parse("for billing press 2 for sales press 3", &m);
	b = llm_request_body("openai", "gpt-x", "question about my bill", info,
			     "for billing press 2 for sales press 3", NULL, &m);
	assert_string_equal(str_at(b, "model"), "gpt-x");
	assert_string_equal(str_at(b, "messages.0.role"), "system");
	assert_string_equal(str_at(b, "messages.1.role"), "user");
	assert_string_equal(str_at(b, "tool_choice"), "required");
	assert_string_equal(str_at(b, "tools.0.type"), "function");
	assert_string_equal(str_at(b, "tools.0.function.name"), "press_digits");
	assert_string_equal(str_at(b, "tools.5.function.name"), "hang_up");
	assert_string_equal(
	    str_at(b, "tools.0.function.parameters.properties.digits.type"),
	    "string");
	user = str_at(b, "messages.1.content");
	assert_non_null(strstr(user, "question about my bill"));
	assert_non_null(strstr(user, "account_number"));
	/* Keys, not values, when no prompt asks. */
	assert_null(strstr(user, "4455667"));
	json_object_put(b);
	/* A prompt for the account number: its value, and only that one. */
	menu_parse("please enter your account number followed by pound", &m);
	b = llm_request_body("openai", "gpt-x", "bill", info, "", NULL, &m);
	user = str_at(b, "messages.1.content");
	assert_non_null(strstr(user, "4455667"));
	assert_null(strstr(user, "94107"));
	json_object_put(b);
	json_object_put(info);
}

static void
test_anthropic_request(void **state)
{
	struct menu m;
	json_object *hist = json_tokener_parse(
	    "[{\"role\":\"user\",\"content\":\"{}\"},"
	    "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\","
	    "\"id\":\"call_1\",\"name\":\"press_digits\",\"input\":"
	    "{\"digits\":\"2\",\"reason\":\"billing\"}}]},"
	    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
	    "\"tool_use_id\":\"call_1\",\"content\":\"done\"}]}]");
	json_object *b;

	(void)state;
	menu_parse("to dispute a charge press 1", &m);
	b = llm_request_body("anthropic", "claude-x", "dispute", NULL,
			     "to dispute a charge press 1", hist, &m);
	assert_non_null(str_at(b, "system"));
	assert_string_equal(str_at(b, "tool_choice.type"), "any");
	assert_string_equal(str_at(b, "tools.1.name"), "say");
	assert_string_equal(str_at(b, "tools.1.input_schema.type"), "object");
	/* The earlier turn, then the new user turn. */
	assert_string_equal(str_at(b, "messages.1.content.0.type"), "tool_use");
	assert_string_equal(str_at(b, "messages.2.content.0.type"),
			    "tool_result");
	assert_string_equal(str_at(b, "messages.3.role"), "user");
	assert_null(str_at(b, "messages.4"));
	json_object_put(b);
	json_object_put(hist);
}

static void
test_parse_answers(void **state)
{
	struct nav_decision d;
	char err[256];

	(void)state;
	assert_int_equal(
	    llm_parse("openai",
		      "{\"choices\":[{\"message\":{\"role\":\"assistant\","
		      "\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":"
		      "\"function\",\"function\":{\"name\":\"press_digits\","
		      "\"arguments\":\"{\\\"digits\\\":\\\"2\\\",\\\"reason\\\":"
		      "\\\"billing fits\\\"}\"}}]},\"finish_reason\":"
		      "\"tool_calls\"}]}",
		      &d, err, sizeof(err)),
	    0);
	assert_int_equal(d.act, NAV_PRESS);
	assert_string_equal(d.digits, "2");
	assert_non_null(strstr(d.reason, "billing fits"));
	assert_int_equal(
	    llm_parse("anthropic",
		      "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"},"
		      "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"say\","
		      "\"input\":{\"text\":\"billing\",\"reason\":\"r\"}}],"
		      "\"stop_reason\":\"tool_use\"}",
		      &d, err, sizeof(err)),
	    0);
	assert_int_equal(d.act, NAV_SAY);
	assert_string_equal(d.text, "billing");
	assert_int_equal(llm_parse("anthropic",
				   "{\"content\":[{\"type\":\"tool_use\","
				   "\"name\":\"mark_on_hold\",\"input\":{}}]}",
				   &d, err, sizeof(err)),
			 0);
	assert_int_equal(d.act, NAV_HOLD);
	/* Errors. */
	assert_int_equal(llm_parse("openai", "not json", &d, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(llm_parse("openai",
				   "{\"choices\":[{\"message\":{\"content\":"
				   "\"press 2\"}}]}",
				   &d, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "tool call"));
	assert_int_equal(
	    llm_parse("openai",
		      "{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":"
		      "{\"name\":\"press_digits\",\"arguments\":"
		      "\"{\\\"digits\\\":\\\"2x\\\"}\"}}]}}]}",
		      &d, err, sizeof(err)),
	    -EINVAL);
	assert_int_equal(llm_parse("anthropic",
				   "{\"content\":[{\"type\":\"tool_use\","
				   "\"name\":\"explode\",\"input\":{}}]}",
				   &d, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "explode"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_openai_request),
	    cmocka_unit_test(test_anthropic_request),
	    cmocka_unit_test(test_parse_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
