/*
 * test_flow: loading and validating call flows (ivrd/flow.c).  A valid file
 * gives the steps a user wrote, in order, with next_step resolved; each kind
 * of fault gives one line naming the file, the step and the field.
 * Fixtures: tests/data/flows/.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../ivrd/ivrd.h"
#include "log.h"

static char fixtures[PATH_MAX + 64];

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* tests/data/flows from $HS_TOP, the current directory or the binary's. */
static int
find_fixtures(void **state)
{
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	const char *top = getenv("HS_TOP");
	ssize_t n;

	(void)state;
	log_init("test_flow", LOG_LVL_ERR);
	if (top) {
		snprintf(cand, sizeof(cand), "%s/tests/data/flows", top);
		if (is_dir(cand))
			goto found;
	}
	snprintf(cand, sizeof(cand), "tests/data/flows");
	if (is_dir(cand))
		goto found;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (int up = 0; up < 5; up++) {
			char *slash = strrchr(exe, '/');
			if (slash == NULL)
				break;
			*slash = '\0';
			snprintf(cand, sizeof(cand), "%s/tests/data/flows", exe);
			if (is_dir(cand))
				goto found;
		}
	}
	fprintf(stderr, "test_flow: cannot find tests/data/flows (set HS_TOP)\n");
	return -1;
found:
	snprintf(fixtures, sizeof(fixtures), "%s", cand);
	return 0;
}

static const char *
fixture(const char *name)
{
	static char p[PATH_MAX + 128];

	snprintf(p, sizeof(p), "%s/%s", fixtures, name);
	return p;
}

/* Loads a fixture that must be rejected; returns the error text. */
static const char *
load_bad(const char *name)
{
	static char err[1024];
	struct flow *f = (struct flow *)1;
	int r;

	err[0] = '\0';
	r = flow_load_file(&f, fixture(name), err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	assert_null(f);
	print_message("  %s\n", err);
	/* Always names the file. */
	assert_non_null(strstr(err, fixture(name)));
	return err;
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

static void
test_valid(void **state)
{
	struct flow *f;
	char err[512] = "";

	(void)state;
	assert_int_equal(flow_load_file(&f, fixture("valid.json"), err,
					sizeof(err)),
			 0);
	assert_string_equal(f->id, "test-bank");
	assert_string_equal(f->name, "Test Bank");
	assert_string_equal(f->company, "Test Bank Inc.");
	assert_string_equal(f->phone_number, "+1 (800) 555-0199");
	assert_int_equal(f->version, 3);
	assert_int_equal(f->success_count, 4);
	assert_int_equal(f->fail_count, 1);
	assert_null(f->updated_at);
	assert_string_equal(f->created_at, "2026-01-01T00:00:00Z");
	assert_int_equal(json_object_array_length(f->tags), 2);
	assert_int_equal(f->nsteps, 7);

	assert_string_equal(f->steps[0].id, "menu");
	assert_int_equal(f->steps[0].type, FLOW_STEP_LISTEN);
	assert_string_equal(f->steps[0].description, "main menu");
	assert_true(f->steps[0].timeout == 12.5);
	assert_int_equal(f->steps[0].next, -1);

	assert_int_equal(f->steps[1].type, FLOW_STEP_DTMF);
	assert_string_equal(f->steps[1].dtmf, "2#");
	assert_string_equal(f->steps[1].next_step, "pause");
	assert_int_equal(f->steps[1].next, 3);
	assert_string_equal(f->steps[1].description, "");

	/* SPEAK falls back to its description for the text. */
	assert_int_equal(f->steps[2].type, FLOW_STEP_SPEAK);
	assert_string_equal(f->steps[2].text, "never reached");

	/* Type names are case-insensitive. */
	assert_int_equal(f->steps[3].type, FLOW_STEP_WAIT);
	assert_true(f->steps[3].timeout == 2.0);
	assert_non_null(f->steps[3].conditions);

	assert_string_equal(f->steps[4].text, "One moment please");
	assert_int_equal(f->steps[5].type, FLOW_STEP_HOLD);
	assert_null(f->steps[5].next_step);
	assert_int_equal(f->steps[6].type, FLOW_STEP_TRANSFER);
	assert_string_equal(f->steps[6].device, "desk");
	assert_string_equal(flow_step_type_name(f->steps[6].type), "TRANSFER");
	flow_unref(f);
}

static void
test_shipped_sandbox_flow(void **state)
{
	char p[PATH_MAX + 128], err[512] = "";
	struct flow *f;
	static const enum flow_step_type want[] = {
	    FLOW_STEP_LISTEN, FLOW_STEP_DTMF, FLOW_STEP_LISTEN,
	    FLOW_STEP_DTMF,   FLOW_STEP_HOLD, FLOW_STEP_TRANSFER};

	(void)state;
	snprintf(p, sizeof(p), "%s/../../../flows/sandbox-bank.json",
		 fixtures);
	if (flow_load_file(&f, p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_string_equal(f->phone_number, "18005550100");
	assert_int_equal(f->nsteps, 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(f->steps[i].type, want[i]);
	assert_string_equal(f->steps[1].dtmf, "2");
	assert_string_equal(f->steps[3].dtmf, "1");
	flow_unref(f);
}

static void
test_bad_json(void **state)
{
	(void)state;
	const char *e = load_bad("bad-json.json");
	/* The missing ',' before line 4, column 3. */
	assert_contains(e, "bad-json.json:4:3: JSON syntax error");
}

static void
test_truncated_and_trailing_json(void **state)
{
	char err[512];
	struct flow *f;
	const char *trunc = "{\"id\": \"x\",\n \"steps\": [";
	const char *trail = "{\"id\":\"x\"} {}";

	(void)state;
	assert_int_equal(flow_parse(&f, "t.json", trunc, strlen(trunc), err,
				    sizeof(err)),
			 -EINVAL);
	assert_contains(err, "t.json:2:12: JSON syntax error: unexpected end");
	assert_int_equal(flow_parse(&f, "t.json", trail, strlen(trail), err,
				    sizeof(err)),
			 -EINVAL);
	assert_contains(err, "t.json:1:12: JSON syntax error: text after");
	assert_int_equal(flow_parse(&f, "t.json", "[1]", 3, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "t.json: a flow must be a JSON object, not an array");
	assert_int_equal(flow_parse(&f, "t.json", "", 0, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "t.json:1:1: JSON syntax error");
}

static void
test_missing_id(void **state)
{
	(void)state;
	assert_contains(load_bad("missing-id.json"),
			"missing-id.json: id: missing");
	assert_contains(load_bad("step-missing-id.json"),
			"step-missing-id.json: step #2: id: missing");
}

static void
test_duplicate_step(void **state)
{
	(void)state;
	assert_contains(load_bad("dup-step.json"),
			"dup-step.json: step 'menu': id: duplicate: steps #1 "
			"and #3");
}

static void
test_bad_dtmf(void **state)
{
	(void)state;
	assert_contains(load_bad("bad-dtmf.json"),
			"bad-dtmf.json: step 'menu2': dtmf: '12x' has a "
			"character that is not a DTMF digit");
}

static void
test_dangling_next(void **state)
{
	(void)state;
	assert_contains(load_bad("dangling-next.json"),
			"dangling-next.json: step 'menu': next_step: 'billing' "
			"is not a step of this flow");
}

static void
test_unknown_type(void **state)
{
	(void)state;
	assert_contains(load_bad("unknown-type.json"),
			"unknown-type.json: step 'talk': type: 'CHAT' is not a "
			"step type");
}

static void
test_wrong_field_type(void **state)
{
	(void)state;
	assert_contains(load_bad("wrong-type.json"),
			"wrong-type.json: step 'wait': timeout: must be a "
			"number of seconds, not a string");
}

static void
test_speak_needs_text(void **state)
{
	(void)state;
	assert_contains(load_bad("speak-no-text.json"),
			"speak-no-text.json: step 'say': metadata.text: missing");
}

static void
test_timeout_bounds(void **state)
{
	(void)state;
	assert_contains(load_bad("bad-timeout.json"),
			"bad-timeout.json: step 'hold': timeout: 100000 s is "
			"longer than the limit");
}

static void
test_unknown_field(void **state)
{
	(void)state;
	assert_contains(load_bad("unknown-field.json"),
			"unknown-field.json: step 'menu': next: unknown field");
}

/* Faults written inline, each with the message a user would see. */
static void
test_inline_faults(void **state)
{
	static const struct {
		const char *json, *want;
	} cases[] = {
	    {"{\"id\":\"a b\",\"name\":\"n\",\"phone_number\":\"1\",\"steps\":[]}",
	     "x.json: id: 'a b' is not a usable flow id"},
	    {"{\"id\":\"a\",\"name\":7,\"phone_number\":\"1\",\"steps\":[]}",
	     "x.json: name: must be a string, not a number"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"call me\","
	     "\"steps\":[]}",
	     "x.json: phone_number: 'call me' has a character"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\",\"steps\":[]}",
	     "x.json: steps: empty"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\"}",
	     "x.json: steps: missing"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":{}}",
	     "x.json: steps: must be an array, not an object"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[\"LISTEN\"]}",
	     "x.json: step #1: must be an object, not a string"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"DTMF\"}]}",
	     "x.json: step 's': dtmf: missing"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"LISTEN\",\"dtmf\":\"1\"}]}",
	     "x.json: step 's': dtmf: only a DTMF step sends digits"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"WAIT\"}]}",
	     "x.json: step 's': timeout: missing"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"WAIT\",\"timeout\":0}]}",
	     "x.json: step 's': timeout: 0 is not a positive number"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"WAIT\",\"timeout\":-3}]}",
	     "x.json: step 's': timeout: -3 is not a positive number"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\"}]}",
	     "x.json: step 's': type: missing"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":3}]}",
	     "x.json: step 's': type: must be a string, not a number"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"TRANSFER\","
	     "\"metadata\":{\"device\":5}}]}",
	     "x.json: step 's': metadata.device: must be a string, not a "
	     "number"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"HOLD\","
	     "\"metadata\":{\"device\":\"desk\"}}]}",
	     "x.json: step 's': metadata.device: only a TRANSFER step"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"HOLD\",\"metadata\":[]}]}",
	     "x.json: step 's': metadata: must be an object, not an array"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"HOLD\"}],\"version\":0}",
	     "x.json: version: 0 is below the minimum 1"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"HOLD\"}],\"tags\":[1]}",
	     "x.json: tags: item 1 must be a string, not a number"},
	    {"{\"id\":\"a\",\"name\":\"n\",\"phone_number\":\"1\","
	     "\"steps\":[{\"id\":\"s\",\"type\":\"HOLD\"}],\"colour\":1}",
	     "x.json: colour: unknown field"},
	};
	char err[512];
	struct flow *f;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (flow_parse(&f, "x.json", cases[i].json,
			       strlen(cases[i].json), err, sizeof(err)) == 0)
			fail_msg("case %zu was accepted: %s", i, cases[i].json);
		assert_contains(err, cases[i].want);
	}
}

/* A directory: the valid files load, the others (and a second file with an
 * id already loaded) are skipped. */
static void
test_load_dir(void **state)
{
	struct flow_set *s;
	struct flow *f;
	char err[512];
	int bad = -1;

	(void)state;
	assert_int_equal(flow_set_load(&s, fixtures, &bad, err, sizeof(err)),
			 0);
	assert_int_equal(s->n, 2);
	assert_int_equal(bad, 12);
	assert_non_null(flow_set_find(s, "minimal"));
	f = flow_set_find(s, "test-bank");
	assert_non_null(f);
	assert_int_equal(f->nsteps, 7); /* valid.json, not zz-same-id.json */
	assert_null(flow_set_find(s, "bad-dtmf"));
	/* Numbers match on their digits only. */
	assert_ptr_equal(flow_set_match_number(s, "18005550199"), f);
	assert_ptr_equal(flow_set_match_number(s, "1-800-555-0199"), f);
	assert_null(flow_set_match_number(s, "8005550199"));
	assert_null(flow_set_match_number(s, ""));
	/* A flow in use outlives its set. */
	flow_ref(f);
	flow_set_free(s);
	assert_string_equal(f->id, "test-bank");
	flow_unref(f);

	assert_true(flow_set_load(&s, "/nonexistent/flows", NULL, err,
				  sizeof(err)) < 0);
	assert_contains(err, "/nonexistent/flows");
}

/*
 * A company reached by a sip: URI: its learned flow has a stable file name
 * that no other URI shares and that holds no '/', ':' or '@', keeps the
 * URI as its phone_number, loads back, and is found for the same URI only.
 */
static void
test_sip_uri(void **state)
{
	char a[64], b[64], dir[] = "/tmp/test_flow_XXXXXX", path[PATH_MAX];
	char err[512];
	struct flow_set *s;
	int bad = -1;
	FILE *fp;

	(void)state;
	assert_int_equal(flow_number_name("+1 (800) 555-0199", a, sizeof(a)),
			 0);
	assert_string_equal(a, "18005550199");
	assert_int_equal(flow_number_name("sip:ivr@127.0.0.1:5090", a,
					  sizeof(a)),
			 0);
	assert_int_equal(strncmp(a, "sip-ivr_127.0.0.1_5090-", 23), 0);
	assert_int_equal(strlen(a), 23 + 8);
	assert_null(strpbrk(a, "/:@"));
	assert_int_equal(flow_number_name("sip:ivr@127.0.0.1:5090", b,
					  sizeof(b)),
			 0);
	assert_string_equal(a, b);
	assert_int_equal(flow_number_name("sip:ivr@127.0.0.1:5091", b,
					  sizeof(b)),
			 0);
	assert_string_not_equal(a, b);
	/* Parameters are not part of the readable name, but of the hash. */
	assert_int_equal(flow_number_name("sip:ivr@127.0.0.1:5090;transport="
					  "tcp",
					  b, sizeof(b)),
			 0);
	assert_int_equal(strncmp(b, "sip-ivr_127.0.0.1_5090-", 23), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(flow_number_name("../../etc/passwd", b, sizeof(b)),
			 -EINVAL);
	assert_int_equal(flow_number_name("sip:", b, sizeof(b)), -EINVAL);

	/* Saved under that name with the URI, loaded back, matched. */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s.json", dir, a);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "{\"id\": \"learned-%s\", \"name\": \"learned\", "
		    "\"phone_number\": \"sip:ivr@127.0.0.1:5090\", \"steps\": "
		    "[{\"id\": \"go\", \"type\": \"TRANSFER\"}]}\n",
		a);
	fclose(fp);
	assert_int_equal(flow_set_load(&s, dir, &bad, err, sizeof(err)), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->flows[0]->phone_number,
			    "sip:ivr@127.0.0.1:5090");
	assert_non_null(flow_set_match_number(s, "sip:ivr@127.0.0.1:5090"));
	assert_null(flow_set_match_number(s, "sip:ivr@127.0.0.1:5091"));
	/* A number with the URI's digits is another company. */
	assert_null(flow_set_match_number(s, "1270015090"));
	flow_set_free(s);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_shipped_sandbox_flow),
	    cmocka_unit_test(test_bad_json),
	    cmocka_unit_test(test_truncated_and_trailing_json),
	    cmocka_unit_test(test_missing_id),
	    cmocka_unit_test(test_duplicate_step),
	    cmocka_unit_test(test_bad_dtmf),
	    cmocka_unit_test(test_dangling_next),
	    cmocka_unit_test(test_unknown_type),
	    cmocka_unit_test(test_wrong_field_type),
	    cmocka_unit_test(test_speak_needs_text),
	    cmocka_unit_test(test_timeout_bounds),
	    cmocka_unit_test(test_unknown_field),
	    cmocka_unit_test(test_inline_faults),
	    cmocka_unit_test(test_load_dir),
	    cmocka_unit_test(test_sip_uri),
	};

	return cmocka_run_group_tests(tests, find_fixtures, NULL);
}
