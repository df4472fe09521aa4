/*
 * seed: the event data fields of the seed API, added beside the names the
 * daemons publish (integrations read both; nothing is renamed).  apid adds
 * them as each event arrives, before it is stored and sent to WebSocket
 * clients, so the history, GET /api/calls/{id} and /ws/events carry them;
 * the bus itself carries only the daemons' own names.
 *
 *   call_ringing, call_connected   number (the call's)
 *   call_ended, call_failed        number, duration (seconds since the call
 *                                  started)
 *   hold_detected                  audio_type (= hold_type), confidence (the
 *                                  leg's latest audio_classified, or null)
 *   human_detected                 transcript_excerpt (the latest words of
 *                                  the company, or "")
 *   ivr_step                       step_type (= type)
 *   ivr_menu_detected              transcript (= text, else the options'
 *                                  labels)
 *   audio_classified               audio_type (= class)
 *   recording_started, _stopped    recording_id (the file's name without
 *                                  .wav); file_size (bytes) on the stop
 *   transfer_*                     from_call_id (the call), bridge_id (the
 *                                  call's: it has one bridge)
 *
 * Threads: main loop only (apid_event).  The look-ups are indexed SQLite
 * reads and one stat() of a local file.
 */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "apid.h"

/* Adds key = val (consumed) unless data has key already. */
static void
seed_add(json_object *data, const char *key, json_object *val)
{
	if (json_object_object_get_ex(data, key, NULL)) {
		json_object_put(val);
		return;
	}
	json_object_object_add(data, key, val);
}

/* Adds key as a copy of data's from, when from is there. */
static void
seed_alias(json_object *data, const char *key, const char *from)
{
	json_object *v;

	if (json_object_object_get_ex(data, from, &v))
		seed_add(data, key, json_object_get(v));
}

void
apid_seed_fields(struct apid *a, struct msg_event *ev)
{
	json_object *d = ev->data, *v, *last;
	char number[128];
	int64_t started = 0;
	const char *id = ev->call_id;

	if (d == NULL || !json_object_is_type(d, json_type_object))
		return;
	switch (ev->type) {
	case MSG_call_ringing:
	case MSG_call_connected:
	case MSG_call_ended:
	case MSG_call_failed:
		if (apid_db_call_brief(a->db, id, number, sizeof(number),
				       &started) < 0)
			break;
		seed_add(d, "number", json_object_new_string(number));
		if (ev->type == MSG_call_ended || ev->type == MSG_call_failed)
			seed_add(d, "duration",
				 json_object_new_double(
				     (double)(apid_now_ms() - started) / 1000.0));
		break;
	case MSG_hold_detected:
		seed_alias(d, "audio_type", "hold_type");
		last = apid_db_last_data(a->db, id, "audio_classified");
		seed_add(d, "confidence",
			 last && json_object_object_get_ex(last, "confidence", &v)
			     ? json_object_get(v)
			     : NULL);
		json_object_put(last);
		break;
	case MSG_human_detected:
		last = apid_db_last_data(a->db, id, "transcript_chunk");
		seed_add(d, "transcript_excerpt",
			 last && json_object_object_get_ex(last, "text", &v)
			     ? json_object_get(v)
			     : json_object_new_string(""));
		json_object_put(last);
		break;
	case MSG_ivr_step:
		seed_alias(d, "step_type", "type");
		break;
	case MSG_ivr_menu_detected:
		if (json_object_object_get_ex(d, "text", &v)) {
			seed_alias(d, "transcript", "text");
		} else if (json_object_object_get_ex(d, "options", &v) &&
			   json_object_is_type(v, json_type_array)) {
			char buf[1024] = "";
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				json_object *o = json_object_array_get_idx(v, i),
					    *l;
				size_t n = strlen(buf);
				if (json_object_object_get_ex(o, "label", &l))
					snprintf(buf + n, sizeof(buf) - n, "%s%s",
						 n ? "; " : "",
						 json_object_get_string(l));
			}
			seed_add(d, "transcript", json_object_new_string(buf));
		}
		break;
	case MSG_audio_classified:
		seed_alias(d, "audio_type", "class");
		break;
	case MSG_recording_started:
	case MSG_recording_stopped:
		if (json_object_object_get_ex(d, "path", &v) &&
		    json_object_is_type(v, json_type_string)) {
			char buf[1024], *base, *dot;
			struct stat st;

			snprintf(buf, sizeof(buf), "%s", json_object_get_string(v));
			if (ev->type == MSG_recording_stopped &&
			    stat(buf, &st) == 0)
				seed_add(d, "file_size",
					 json_object_new_int64((int64_t)st.st_size));
			base = basename(buf);
			if ((dot = strrchr(base, '.')) != NULL &&
			    strcmp(dot, ".wav") == 0)
				*dot = '\0';
			seed_add(d, "recording_id", json_object_new_string(base));
		}
		break;
	case MSG_transfer_started:
	case MSG_transfer_complete:
	case MSG_transfer_retry:
		seed_add(d, "from_call_id", json_object_new_string(id));
		seed_add(d, "bridge_id", json_object_new_string(id));
		break;
	default:
		break;
	}
}
