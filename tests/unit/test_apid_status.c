/*
 * Unit tests of apid's status transitions: a hold_slayer call walks
 * trying -> ringing -> ivr -> on_hold -> human_detected -> transferring ->
 * bridged -> completed; failures before and after the answer; user-leg
 * events do not end the call; final statuses stay final.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../apid/apid.h"

/* Applies type with data (JSON text) to cur; returns the new status. */
static const char *
step(const char *cur, const char *mode, enum msg_type type, const char *data,
     struct apid_change *ch)
{
	static char out[32];
	char prev[32];
	json_object *d = json_tokener_parse(data);

	assert_non_null(d);
	snprintf(prev, sizeof(prev), "%s", cur ? cur : "");
	apid_status_apply(cur ? prev : NULL, mode, type, d, ch);
	snprintf(out, sizeof(out), "%s", ch->status ? ch->status : prev);
	if (ch->failure_reason) {
		static char reason[64];
		snprintf(reason, sizeof(reason), "%s", ch->failure_reason);
		ch->failure_reason = reason;
	}
	if (ch->audio_type) {
		static char audio[32];
		snprintf(audio, sizeof(audio), "%s", ch->audio_type);
		ch->audio_type = audio;
	}
	if (ch->recording) {
		static char rec[64];
		snprintf(rec, sizeof(rec), "%s", ch->recording);
		ch->recording = rec;
	}
	json_object_put(d);
	return out;
}

static void
test_happy_path(void **st)
{
	struct apid_change ch;
	const char *s, *m = "hold_slayer";

	(void)st;
	s = step(NULL, m, MSG_call_started, "{}", &ch);
	assert_string_equal(s, "trying");
	s = step("trying", m, MSG_call_ringing, "{\"leg\":\"company\",\"code\":180}", &ch);
	assert_string_equal(s, "ringing");
	s = step("ringing", m, MSG_call_connected, "{\"leg\":\"company\"}", &ch);
	assert_string_equal(s, "ivr");
	s = step("ivr", m, MSG_audio_classified, "{\"class\":\"music\"}", &ch);
	assert_string_equal(s, "ivr");
	assert_string_equal(ch.audio_type, "music");
	s = step("ivr", m, MSG_hold_detected, "{\"hold_type\":\"music\"}", &ch);
	assert_string_equal(s, "on_hold");
	assert_true(ch.hold_start);
	s = step("on_hold", m, MSG_human_detected, "{\"confidence\":0.9}", &ch);
	assert_string_equal(s, "human_detected");
	assert_true(ch.hold_stop);
	s = step("human_detected", m, MSG_human_retracted, "{}", &ch);
	assert_string_equal(s, "on_hold");
	assert_true(ch.hold_resume);
	s = step("on_hold", m, MSG_human_detected, "{}", &ch);
	s = step(s, m, MSG_transfer_started, "{\"device\":\"phone\"}", &ch);
	assert_string_equal(s, "transferring");
	s = step(s, m, MSG_call_connected, "{\"leg\":\"user\"}", &ch);
	assert_string_equal(s, "transferring");
	s = step(s, m, MSG_transfer_complete, "{}", &ch);
	assert_string_equal(s, "bridged");
	s = step(s, m, MSG_call_ended, "{\"leg\":\"user\",\"by\":\"remote\"}", &ch);
	assert_string_equal(s, "bridged");
	assert_false(ch.ended);
	s = step(s, m, MSG_call_ended, "{\"leg\":\"company\",\"by\":\"local\"}", &ch);
	assert_string_equal(s, "completed");
	assert_true(ch.ended);
	assert_false(ch.failure);
	/* Final: nothing moves it, but the recording path still lands. */
	s = step(s, m, MSG_call_failed, "{\"leg\":\"company\"}", &ch);
	assert_string_equal(s, "completed");
	assert_false(ch.failure);
	s = step(s, m, MSG_recording_stopped, "{\"path\":\"/r/x.wav\",\"seconds\":3}", &ch);
	assert_string_equal(s, "completed");
	assert_string_equal(ch.recording, "/r/x.wav");
}

static void
test_failures(void **st)
{
	struct apid_change ch;
	const char *s;

	(void)st;
	s = step("ringing", "hold_slayer", MSG_call_failed,
		 "{\"leg\":\"company\",\"code\":486,\"reason\":\"Busy Here\"}", &ch);
	assert_string_equal(s, "failed");
	assert_true(ch.failure && ch.ended);
	assert_int_equal(ch.failure_code, 486);
	assert_string_equal(ch.failure_reason, "Busy Here");
	/* ivrd's failures name no leg. */
	s = step("trying", "hold_slayer", MSG_call_failed,
		 "{\"code\":0,\"reason\":\"no flow for 123\"}", &ch);
	assert_string_equal(s, "failed");
	/* The user's phone failing after the answer does not fail the call. */
	s = step("transferring", "hold_slayer", MSG_call_failed,
		 "{\"leg\":\"user\",\"code\":480}", &ch);
	assert_string_equal(s, "transferring");
	assert_false(ch.failure);
	/* Ended before the answer: failed, with the reason. */
	s = step("ringing", "hold_slayer", MSG_call_ended,
		 "{\"leg\":\"company\",\"by\":\"local\",\"reason\":\"cancelled\"}", &ch);
	assert_string_equal(s, "failed");
	assert_string_equal(ch.failure_reason, "cancelled");
	/* A hold_slayer call that ends without the user bridged reached
	 * nobody: failed, never completed, with the stage it ended in. */
	s = step("on_hold", "hold_slayer", MSG_call_ended,
		 "{\"leg\":\"company\",\"by\":\"remote\",\"reason\":\"BYE\"}", &ch);
	assert_string_equal(s, "failed");
	assert_true(ch.failure && ch.ended);
	assert_non_null(strstr(ch.failure_reason, "on hold"));
	s = step("ivr", "hold_slayer", MSG_call_ended,
		 "{\"leg\":\"company\",\"by\":\"local\"}", &ch);
	assert_string_equal(s, "failed");
	assert_non_null(strstr(ch.failure_reason, "menu"));
	s = step("human_detected", "hold_slayer", MSG_call_ended,
		 "{\"leg\":\"company\",\"by\":\"remote\"}", &ch);
	assert_string_equal(s, "failed");
	assert_non_null(strstr(ch.failure_reason, "before you were bridged"));
	/* A direct call answered and ended is completed. */
	s = step("connected", "direct", MSG_call_ended,
		 "{\"leg\":\"company\",\"by\":\"remote\"}", &ch);
	assert_string_equal(s, "completed");
	assert_false(ch.failure);
	/* Direct mode says connected, not ivr. */
	s = step("trying", "direct", MSG_call_connected, "{\"leg\":\"company\"}", &ch);
	assert_string_equal(s, "connected");
	/* Unknown call: only call_started creates it. */
	s = step(NULL, "hold_slayer", MSG_call_connected, "{\"leg\":\"company\"}", &ch);
	assert_string_equal(s, "");
	assert_null(ch.status);
}

static void
test_status_names(void **st)
{
	(void)st;
	assert_true(apid_status_known("on_hold"));
	assert_true(apid_status_known("failed"));
	assert_false(apid_status_known("napping"));
	assert_true(apid_status_terminal("completed"));
	assert_false(apid_status_terminal("bridged"));
	assert_false(apid_status_terminal(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_happy_path),
	    cmocka_unit_test(test_failures),
	    cmocka_unit_test(test_status_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
