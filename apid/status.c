/*
 * status: how bus events move a call through its statuses.  Pure: given
 * the current status and one event, it says what changes; db.c applies it.
 *
 *   trying -> ringing -> ivr (connected, for mode direct) -> on_hold
 *   -> human_detected -> transferring -> bridged -> completed
 *   any live status -> failed
 *
 * A hold_slayer call is completed only if the user was bridged: one that
 * ends in the menu, on hold or before the transfer finished is failed,
 * with a reason naming the stage.  A direct call is completed once it was
 * answered.
 *
 * completed and failed are final: later events are stored but only a
 * recording path still changes the row.
 */
#include <string.h>

#include "apid.h"

static const char *const status_names[] = {
    "trying",	     "ringing",	     "ivr",	 "connected", "on_hold",
    "human_detected", "transferring", "bridged", "completed", "failed",
};

bool
apid_status_known(const char *status)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]);
	     i++)
		if (strcmp(status, status_names[i]) == 0)
			return true;
	return false;
}

bool
apid_status_terminal(const char *status)
{
	return status != NULL &&
	       (strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0);
}

/* The event is about the company leg (or names no leg). */
static bool
status_company_leg(json_object *data)
{
	const char *leg = bus_json_str(data, "leg");

	return leg == NULL || strcmp(leg, "company") == 0;
}

static bool
status_before_connect(const char *cur)
{
	return cur == NULL || strcmp(cur, "trying") == 0 ||
	       strcmp(cur, "ringing") == 0;
}

/* Why a hold_slayer call that ended in status cur reached nobody. */
static const char *
status_end_reason(const char *cur, bool local)
{
	if (strcmp(cur, "human_detected") == 0 ||
	    strcmp(cur, "transferring") == 0)
		return local ? "the call was ended before you were bridged to "
			       "the person who answered"
			     : "the company ended the call before you were "
			       "bridged to the person who answered";
	if (strcmp(cur, "on_hold") == 0)
		return local ? "the call was ended on hold; no person was reached"
			     : "the company ended the call on hold; no person "
			       "was reached";
	return local ? "the call was ended in the phone menu; no person was "
		       "reached"
		     : "the company ended the call in the phone menu; no "
		       "person was reached";
}

void
apid_status_apply(const char *cur, const char *mode, enum msg_type type,
		  json_object *data, struct apid_change *ch)
{
	memset(ch, 0, sizeof(*ch));
	if (type == MSG_recording_started || type == MSG_recording_stopped) {
		ch->recording = bus_json_str(data, "path");
		return;
	}
	if (cur == NULL) {
		if (type == MSG_call_started)
			ch->status = "trying";
		return;
	}
	if (apid_status_terminal(cur))
		return;
	switch (type) {
	case MSG_call_ringing:
		if (strcmp(cur, "trying") == 0 && status_company_leg(data))
			ch->status = "ringing";
		break;
	case MSG_call_connected:
		if (status_company_leg(data) && status_before_connect(cur))
			ch->status = mode && strcmp(mode, "direct") == 0
					 ? "connected"
					 : "ivr";
		break;
	case MSG_hold_detected:
		ch->status = "on_hold";
		ch->hold_start = true;
		break;
	case MSG_human_detected:
		ch->status = "human_detected";
		ch->hold_stop = true;
		break;
	case MSG_human_retracted:
		if (strcmp(cur, "human_detected") == 0) {
			ch->status = "on_hold";
			ch->hold_resume = true;
		}
		break;
	case MSG_transfer_started:
		ch->status = "transferring";
		break;
	case MSG_transfer_complete:
		ch->status = "bridged";
		break;
	case MSG_call_failed:
		if (status_company_leg(data) || status_before_connect(cur)) {
			const char *reason = bus_json_str(data, "reason");
			ch->status = "failed";
			ch->ended = true;
			ch->failure = true;
			ch->failure_code = bus_json_int(data, "code", 0);
			ch->failure_reason = reason ? reason : "call failed";
		}
		break;
	case MSG_call_ended:
		if (!status_company_leg(data))
			break;
		ch->ended = true;
		if (status_before_connect(cur)) {
			const char *reason = bus_json_str(data, "reason");
			ch->status = "failed";
			ch->failure = true;
			ch->failure_code = bus_json_int(data, "code", 0);
			ch->failure_reason =
			    reason ? reason : "ended before it was answered";
		} else if ((mode && strcmp(mode, "direct") == 0) ||
			   strcmp(cur, "bridged") == 0) {
			ch->status = "completed";
		} else {
			/* A hold_slayer call is completed only once the user
			 * was bridged to a person: anything else that ends it
			 * is a failure, with the stage it ended in. */
			const char *by = bus_json_str(data, "by");
			bool local = by != NULL && strcmp(by, "local") == 0;

			ch->status = "failed";
			ch->failure = true;
			ch->failure_code = bus_json_int(data, "code", 0);
			ch->failure_reason = status_end_reason(cur, local);
		}
		break;
	case MSG_audio_classified:
		ch->audio_type = bus_json_str(data, "class");
		break;
	default:
		break;
	}
}
