/*
 * Unit tests of apid's request parsing: POST body validation names the
 * problem (malformed JSON, missing or mistyped fields), numbers are checked
 * and normalised, the REST paths route correctly, and WebSocket filters
 * reject unknown types and match by call id and type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "../../apid/apid.h"

static int
parse(const char *body, bool direct, struct apid_call_req *r, char *err)
{
	return apid_call_req_parse(r, body, strlen(body), direct, err, 256);
}

static void
test_body_ok(void **st)
{
	struct apid_call_req r;
	char err[256] = "";

	(void)st;
	assert_int_equal(parse("{\"number\":\"1-800-555 0100\",\"intent\":\"dispute\","
			       "\"flow_id\":\"bank\",\"device\":\"phone\","
			       "\"info\":{\"account\":\"42\",\"pin\":1234}}\n",
			       false, &r, err),
			 0);
	assert_string_equal(r.number, "18005550100");
	assert_string_equal(r.intent, "dispute");
	assert_string_equal(r.flow_id, "bank");
	assert_string_equal(r.device, "phone");
	assert_string_equal(json_object_to_json_string_ext(r.info, 0),
			    "{\"account\":\"42\",\"pin\":1234}");
	apid_call_req_clear(&r);
	assert_int_equal(parse("{\"number\":\"sip:bank@127.0.0.1:5080\"}", true,
			       &r, err),
			 0);
	assert_string_equal(r.number, "sip:bank@127.0.0.1:5080");
	assert_string_equal(r.intent, "");
	assert_non_null(r.info);
	apid_call_req_clear(&r);
}

static void
expect_err(const char *body, const char *prefix)
{
	struct apid_call_req r;
	char err[256] = "";

	assert_int_equal(parse(body, false, &r, err), -EINVAL);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("body %s: error '%s' does not start with '%s'", body, err,
			 prefix);
	assert_null(r.info);
}

static void
test_body_errors(void **st)
{
	(void)st;
	expect_err("", "malformed JSON body");
	expect_err("   ", "malformed JSON body");
	expect_err("{\"number\":", "malformed JSON body");
	expect_err("{number: 1}", "malformed JSON body");
	expect_err("{\"number\":\"1\"} trailing", "malformed JSON body");
	expect_err("[1,2]", "the body must be a JSON object");
	expect_err("\"x\"", "the body must be a JSON object");
	expect_err("{}", "number: required");
	expect_err("{\"number\":null}", "number: required");
	expect_err("{\"number\":\"\"}", "number: must not be empty");
	expect_err("{\"number\":18005550100}", "number: must be a string");
	expect_err("{\"number\":\"1800abc\"}", "number: 'a' is not allowed");
	expect_err("{\"number\":\"--\"}", "number: has no digits");
	expect_err("{\"number\":\"sip:a b\"}", "number: a SIP URI");
	expect_err("{\"number\":\"1\",\"intent\":[]}", "intent: must be a string");
	expect_err("{\"number\":\"1\",\"flow_id\":3}", "flow_id: must be a string");
	expect_err("{\"number\":\"1\",\"device\":true}", "device: must be a string");
	expect_err("{\"number\":\"1\",\"info\":\"x\"}", "info: must be an object");
	expect_err("{\"number\":\"1\",\"info\":{\"a\":{}}}", "info.a: an object needs");
	expect_err("{\"number\":\"1\",\"info\":{\"a\":[1]}}", "info.a: must be");
}

static void
test_number_uri(void **st)
{
	char uri[256];

	(void)st;
	apid_number_uri("18005550100", "sip:pbx.example.com:5060", uri, sizeof(uri));
	assert_string_equal(uri, "sip:18005550100@pbx.example.com:5060");
	apid_number_uri("18005550100", "trunk@10.0.0.1;transport=udp", uri,
			sizeof(uri));
	assert_string_equal(uri, "sip:18005550100@10.0.0.1");
	apid_number_uri("18005550100", "", uri, sizeof(uri));
	assert_string_equal(uri, "");
	apid_number_uri("sip:x@y", NULL, uri, sizeof(uri));
	assert_string_equal(uri, "sip:x@y");
}

static void
test_routes(void **st)
{
	char id[MSG_CALL_ID_MAX];

	(void)st;
	assert_int_equal(apid_route_parse("/api/calls", id, sizeof(id)), APID_R_CALLS);
	assert_int_equal(apid_route_parse("/api/calls/", id, sizeof(id)), APID_R_CALLS);
	assert_int_equal(apid_route_parse("/api/calls/hold-slayer", id, sizeof(id)),
			 APID_R_HOLD_SLAYER);
	assert_int_equal(apid_route_parse("/api/calls/outbound", id, sizeof(id)),
			 APID_R_OUTBOUND);
	assert_int_equal(apid_route_parse("/api/health", id, sizeof(id)), APID_R_HEALTH);
	assert_int_equal(apid_route_parse("/api/calls/3f2a-b1", id, sizeof(id)),
			 APID_R_CALL);
	assert_string_equal(id, "3f2a-b1");
	assert_int_equal(apid_route_parse("/api/calls/3f2a-b1/hangup", id, sizeof(id)),
			 APID_R_HANGUP);
	assert_string_equal(id, "3f2a-b1");
	assert_int_equal(apid_route_parse("/api/calls/3f2a/transfer", id, sizeof(id)),
			 APID_R_TRANSFER);
	assert_string_equal(id, "3f2a");
	assert_int_equal(apid_route_parse("/api/calls/3f2a/park", id, sizeof(id)),
			 APID_R_NONE);
	assert_int_equal(apid_route_parse("/api/callsx", id, sizeof(id)), APID_R_NONE);
	assert_int_equal(apid_route_parse("/api/calls/a%20b", id, sizeof(id)),
			 APID_R_NONE);
	assert_int_equal(apid_route_parse("/api/calls/a b", id, sizeof(id)),
			 APID_R_NONE);
	assert_int_equal(apid_route_parse("/api/calls//hangup", id, sizeof(id)),
			 APID_R_NONE);
	assert_int_equal(
	    apid_route_parse("/api/calls/0123456789012345678901234567890123456789",
			     id, sizeof(id)),
	    APID_R_NONE);
	assert_int_equal(apid_route_parse("/", id, sizeof(id)), APID_R_NONE);
}

static void
test_filters(void **st)
{
	struct apid_filter f;
	char err[160] = "";

	(void)st;
	assert_int_equal(apid_filter_parse(&f, NULL, NULL, err, sizeof(err)), 0);
	assert_true(apid_filter_match(&f, MSG_hold_detected, "x"));
	assert_true(apid_filter_match(&f, MSG_call_started, ""));

	assert_int_equal(apid_filter_parse(&f, "", "call_started, hold_detected,",
					   err, sizeof(err)),
			 0);
	assert_true(apid_filter_match(&f, MSG_call_started, "a"));
	assert_true(apid_filter_match(&f, MSG_hold_detected, "b"));
	assert_false(apid_filter_match(&f, MSG_call_connected, "a"));

	assert_int_equal(apid_filter_parse(&f, "abc", NULL, err, sizeof(err)), 0);
	assert_true(apid_filter_match(&f, MSG_call_ended, "abc"));
	assert_false(apid_filter_match(&f, MSG_call_ended, "abd"));

	assert_int_equal(apid_filter_parse(&f, NULL, "call_started,nope", err,
					   sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "types: unknown type 'nope'");
	assert_int_equal(apid_filter_parse(&f, "a/b", NULL, err, sizeof(err)),
			 -EINVAL);
}

/* Secret info: ivrd gets the value, the rest only the mask. */
static void
test_secrets(void **st)
{
	struct apid_call_req r;
	char err[256] = "";
	json_object *ev;

	(void)st;
	assert_int_equal(parse("{\"number\":\"1\",\"info\":{\"pin\":{\"value\":"
			       "\"4321\",\"secret\":true},\"zip\":\"90210\"}}",
			       false, &r, err),
			 0);
	assert_string_equal(json_object_to_json_string_ext(r.info, 0),
			    "{\"pin\":\"4321\",\"zip\":\"90210\"}");
	assert_string_equal(json_object_to_json_string_ext(r.info_masked, 0),
			    "{\"pin\":\"********\",\"zip\":\"90210\"}");
	ev = json_tokener_parse("{\"digits\":\"4321#\",\"n\":4321,\"a\":[\"x4321\","
				"{\"t\":\"pin 4321\"}],\"zip\":\"90210\"}");
	assert_int_equal(apid_scrub(ev, r.secrets), 4);
	assert_string_equal(json_object_to_json_string_ext(ev, 0),
			    "{\"digits\":\"********#\",\"n\":\"********\",\"a\":"
			    "[\"x********\",{\"t\":\"pin ********\"}],\"zip\":\"90210\"}");
	json_object_put(ev);
	apid_call_req_clear(&r);
	expect_err("{\"number\":\"1\",\"info\":{\"pin\":{\"secret\":true}}}",
		   "info.pin");
	expect_err("{\"number\":\"1\",\"info\":{\"pin\":{\"value\":\"1\","
		   "\"secret\":\"yes\"}}}",
		   "info.pin.secret");
	expect_err("{\"number\":\"1\",\"info\":{\"pin\":{\"value\":\"1\","
		   "\"hide\":true}}}",
		   "info.pin.hide");
}

/* The seed API's names are aliases; unknown fields and modes are named. */
static void
test_seed_fields(void **st)
{
	struct apid_call_req r;
	char err[256] = "";

	(void)st;
	assert_int_equal(parse("{\"number\":\"1\",\"call_flow_id\":\"bank\","
			       "\"transfer_to\":\"desk\",\"mode\":\"hold_slayer\"}",
			       false, &r, err),
			 0);
	assert_string_equal(r.flow_id, "bank");
	assert_string_equal(r.device, "desk");
	apid_call_req_clear(&r);
	expect_err("{\"number\":\"1\",\"flow_id\":\"a\",\"call_flow_id\":\"b\"}",
		   "call_flow_id");
	expect_err("{\"number\":\"1\",\"colour\":\"red\"}", "colour: unknown");
	expect_err("{\"number\":\"1\",\"mode\":\"ai_assisted\"}",
		   "mode: ai_assisted is not implemented");
	expect_err("{\"number\":\"1\",\"mode\":\"direct\"}", "mode:");
	expect_err("{\"number\":\"1\",\"mode\":\"psychic\"}", "mode:");
	assert_int_equal(parse("{\"number\":\"1\",\"intent\":\"x\"}", true, &r,
			       err),
			 -EINVAL);
	assert_string_equal(err, "intent: unknown field (number, device, "
				 "transfer_to, mode)");
}

static void
test_utf8_and_hosts(void **st)
{
	char host[64];
	struct conf c = {0};

	(void)st;
	assert_true(apid_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e", 14));
	assert_false(apid_utf8_valid("a\xff", 2));
	assert_false(apid_utf8_valid("\xc0\xaf", 2));	    /* overlong '/' */
	assert_false(apid_utf8_valid("\xed\xa0\x80", 3));	    /* surrogate */
	assert_false(apid_utf8_valid("\xe2\x82", 2));	    /* cut short */
	{
		char t[] = "a\xff\xc3\xa9\xe2\x82";
		apid_utf8_sanitize(t);
		assert_string_equal(t, "a?\xc3\xa9??");
	}
	assert_int_equal(apid_sip_host("sip:evil@10.0.0.1", host, sizeof(host)),
			 0);
	assert_string_equal(host, "10.0.0.1");
	assert_int_equal(apid_sip_host("sips:a@[::1]:5061;transport=tls", host,
				       sizeof(host)),
			 0);
	assert_string_equal(host, "::1");
	assert_int_equal(apid_sip_host("sip:pbx.example:5060", host,
				       sizeof(host)),
			 0);
	assert_string_equal(host, "pbx.example");
	assert_int_equal(apid_sip_host("tel:123", host, sizeof(host)), -EINVAL);
	c.api_allowed_sip_hosts = "";
	c.trunk_proxy = "sip:trunk.example:5060";
	c.sip_listen = "192.0.2.5:5060";
	assert_false(apid_sip_host_allowed(&c, "sip:evil@10.0.0.1"));
	assert_true(apid_sip_host_allowed(&c, "sip:x@127.0.0.1:9"));
	assert_true(apid_sip_host_allowed(&c, "sip:1800@TRUNK.example"));
	assert_true(apid_sip_host_allowed(&c, "sip:me@192.0.2.5:5062"));
	assert_false(apid_sip_host_allowed(&c, "sip:a@10.0.0.1@127.0.0.1x"));
	c.api_allowed_sip_hosts = "pbx.example, 10.0.0.2";
	assert_false(apid_sip_host_allowed(&c, "sip:x@127.0.0.1"));
	assert_true(apid_sip_host_allowed(&c, "sip:x@10.0.0.2"));
	assert_true(apid_list_has("a, b c", "c"));
	assert_false(apid_list_has("ab", "a"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_body_ok),
	    cmocka_unit_test(test_body_errors),
	    cmocka_unit_test(test_number_uri),
	    cmocka_unit_test(test_routes),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_secrets),
	    cmocka_unit_test(test_seed_fields),
	    cmocka_unit_test(test_utf8_and_hosts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
