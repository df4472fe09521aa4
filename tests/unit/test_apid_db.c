/*
 * Unit tests of apid's SQLite history on a real database in a temporary
 * directory: the directory is created, calls and events persist across a
 * reopen, events come back in arrival order and drive the call's status,
 * an unknown call's events are kept, and a newer schema is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../apid/apid.h"

static char dir[64], path[128];

static int
setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/apiddb.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/sub/dir/h.db", dir);
	return 0;
}

static int
teardown(void **st)
{
	char cmd[128];

	(void)st;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
event(struct apid_db *db, const char *id, enum msg_type t, const char *data)
{
	static uint64_t seq;
	struct msg_event ev = {.type = t, .seq = ++seq};

	snprintf(ev.call_id, sizeof(ev.call_id), "%s", id);
	snprintf(ev.src, sizeof(ev.src), "test");
	msg_now_rfc3339(ev.ts, sizeof(ev.ts));
	ev.data = json_tokener_parse(data);
	assert_non_null(ev.data);
	assert_int_equal(apid_db_event_store(db, &ev), 0);
	json_object_put(ev.data);
}

static const char *
str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v)
							: NULL;
}

static void
test_history(void **st)
{
	struct apid_db *db;
	char err[256] = "", status[32];
	json_object *c, *v, *list;
	char id[64];
	long total;
	struct apid_call call = {.call_id = "c1", .number = "18005550100",
				 .mode = "hold_slayer", .intent = "dispute"};

	(void)st;
	assert_int_equal(apid_db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(apid_db_call_insert(db, &call), 0);
	assert_int_equal(apid_db_call_insert(db, &call), -EEXIST);
	assert_int_equal(apid_db_call_status(db, "c1", status, sizeof(status)), 0);
	assert_string_equal(status, "trying");
	assert_int_equal(apid_db_call_status(db, "zz", status, sizeof(status)),
			 -ENOENT);

	event(db, "c1", MSG_call_started, "{\"number\":\"18005550100\"}");
	event(db, "c1", MSG_call_ringing, "{\"leg\":\"company\",\"code\":180}");
	event(db, "c1", MSG_call_connected, "{\"leg\":\"company\"}");
	for (int i = 0; i < APID_HISTORY_MAX + 5; i++)
		event(db, "c1", MSG_audio_classified,
		      i % 2 ? "{\"class\":\"music\",\"confidence\":0.8,\"t\":1}"
			    : "{\"class\":\"speech\",\"confidence\":0.7,\"t\":1}");
	event(db, "c1", MSG_hold_detected, "{\"hold_type\":\"music\"}");
	event(db, "other", MSG_call_connected, "{\"leg\":\"company\"}");
	apid_db_close(db);

	/* Reopened: everything is still there. */
	assert_int_equal(apid_db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(apid_db_call_get(db, "c1", true, &c), 0);
	assert_string_equal(str(c, "status"), "on_hold");
	assert_string_equal(str(c, "audio_type"), "speech");
	assert_string_equal(str(c, "intent"), "dispute");
	assert_true(json_object_object_get_ex(c, "hold_time", &v) && v != NULL);
	assert_true(json_object_object_get_ex(c, "events", &v));
	assert_int_equal(json_object_array_length(v), 4);
	assert_string_equal(str(json_object_array_get_idx(v, 0), "type"),
			    "call_started");
	assert_string_equal(str(json_object_array_get_idx(v, 3), "type"),
			    "hold_detected");
	assert_true(json_object_object_get_ex(c, "classification_history", &v));
	assert_int_equal(json_object_array_length(v), APID_HISTORY_MAX);
	assert_string_equal(
	    str(json_object_array_get_idx(v, APID_HISTORY_MAX - 1), "class"),
	    "speech");
	json_object_put(c);

	/* Events of an unknown call create nothing... */
	assert_int_equal(apid_db_call_get(db, "other", false, &c), -ENOENT);
	/* ...but a call_started for one does. */
	event(db, "c2", MSG_call_started,
	      "{\"number\":\"555\",\"mode\":\"direct\",\"info\":{\"a\":\"b\"}}");
	event(db, "c2", MSG_call_failed,
	      "{\"leg\":\"company\",\"code\":486,\"reason\":\"Busy Here\"}");
	assert_int_equal(apid_db_call_get(db, "c2", false, &c), 0);
	assert_string_equal(str(c, "status"), "failed");
	assert_string_equal(str(c, "mode"), "direct");
	assert_non_null(str(c, "ended_at"));
	assert_true(json_object_object_get_ex(c, "failure", &v) && v);
	assert_string_equal(str(v, "reason"), "Busy Here");
	json_object_put(c);

	assert_int_equal(apid_db_call_list(db, NULL, 10, 0, &list, &total), 0);
	assert_int_equal(json_object_array_length(list), 2);
	assert_int_equal(total, 2);
	assert_string_equal(str(json_object_array_get_idx(list, 0), "call_id"), "c2");
	json_object_put(list);
	assert_int_equal(apid_db_call_list(db, NULL, 1, 1, &list, &total), 0);
	assert_int_equal(json_object_array_length(list), 1);
	assert_int_equal(total, 2);
	assert_string_equal(str(json_object_array_get_idx(list, 0), "call_id"), "c1");
	json_object_put(list);
	assert_int_equal(apid_db_call_list(db, "on_hold", 10, 0, &list, &total), 0);
	assert_int_equal(json_object_array_length(list), 1);
	json_object_put(list);
	/* c2 failed: only c1 is live. */
	assert_int_equal(apid_db_call_list(db, "active", 10, 0, &list, &total), 0);
	assert_int_equal(total, 1);
	assert_string_equal(str(json_object_array_get_idx(list, 0), "call_id"), "c1");
	json_object_put(list);
	assert_int_equal(apid_db_call_resolve(db, "c", id, sizeof(id)), -EEXIST);
	assert_int_equal(apid_db_call_resolve(db, "c2", id, sizeof(id)), 0);
	assert_string_equal(id, "c2");
	assert_int_equal(apid_db_call_resolve(db, "x", id, sizeof(id)), -ENOENT);
	assert_int_equal(apid_db_call_delete(db, "c2"), 0);
	assert_int_equal(apid_db_call_get(db, "c2", false, &c), -ENOENT);
	apid_db_close(db);
}

static void
test_newer_schema(void **st)
{
	struct apid_db *db;
	sqlite3 *h;
	char err[256] = "";

	(void)st;
	assert_int_equal(apid_db_open(&db, path, err, sizeof(err)), 0);
	apid_db_close(db);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO schema_version VALUES (99)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(h);
	assert_int_not_equal(apid_db_open(&db, path, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "schema version 99"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_history, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
