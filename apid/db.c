/*
 * db: apid's SQLite history (WAL).  Two tables: calls (one row per call,
 * kept current from bus events) and events (every event as received, in
 * arrival order).  One connection shared by the main thread (storing
 * events) and civetweb's workers (queries), so every entry point takes
 * db->mu; a transaction never spans two calls.
 *
 * Schema (version 1):
 *   schema_version(version)
 *   calls(call_id PK, status, number, uri, mode, intent, flow_id, device,
 *         info JSON, started_at, started_ms, ended_at, ended_ms,
 *         hold_start_ms, hold_time, audio_type, recording, failure_code,
 *         failure_reason)
 *   events(id PK autoincrement, call_id, seq, src, type, ts, data JSON,
 *          received_ms)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "apid.h"
#include "log.h"

#define DB_SCHEMA_VERSION 1

struct apid_db {
	sqlite3 *h;
	pthread_mutex_t mu;
};


/*
 * Events come from six publishers over separate connections, so two events
 * stamped in the same millisecond (classifyd's human_detected and ivrd's
 * transfer_started, which reacts to it) may arrive in either order.  A call's
 * events are listed by time stamp; within one millisecond, by the phase of
 * the call they belong to, which is their causal order; then by arrival.
 */
#define DB_PHASE_RANK                                                          \
	"CASE type WHEN 'call_started' THEN 0 WHEN 'call_ringing' THEN 1 "     \
	"WHEN 'call_connected' THEN 2 WHEN 'recording_started' THEN 2 "        \
	"WHEN 'hold_detected' THEN 4 WHEN 'hold_eta' THEN 4 "                  \
	"WHEN 'human_detected' THEN 5 WHEN 'human_retracted' THEN 6 "          \
	"WHEN 'transfer_started' THEN 7 WHEN 'transfer_complete' THEN 8 "      \
	"WHEN 'call_failed' THEN 9 WHEN 'call_ended' THEN 9 "                  \
	"WHEN 'recording_stopped' THEN 10 WHEN 'notify_sent' THEN 11 "         \
	"WHEN 'notify_failed' THEN 11 ELSE 3 END"

static const char db_schema[] =
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS calls ("
    " call_id TEXT PRIMARY KEY,"
    " status TEXT NOT NULL,"
    " number TEXT NOT NULL,"
    " uri TEXT,"
    " mode TEXT NOT NULL,"
    " intent TEXT,"
    " flow_id TEXT,"
    " device TEXT,"
    " info TEXT NOT NULL DEFAULT '{}',"
    " started_at TEXT NOT NULL,"
    " started_ms INTEGER NOT NULL,"
    " ended_at TEXT,"
    " ended_ms INTEGER,"
    " hold_start_ms INTEGER,"
    " hold_time REAL,"
    " audio_type TEXT,"
    " recording TEXT,"
    " failure_code INTEGER,"
    " failure_reason TEXT);"
    "CREATE INDEX IF NOT EXISTS calls_started ON calls(started_ms);"
    "CREATE INDEX IF NOT EXISTS calls_status ON calls(status, started_ms);"
    "CREATE TABLE IF NOT EXISTS events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " call_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " src TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " ts TEXT NOT NULL,"
    " data TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_call ON events(call_id, type, id);"
    "CREATE TABLE IF NOT EXISTS devices ("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " sip_uri TEXT NOT NULL,"
    " priority INTEGER NOT NULL DEFAULT 0,"
    " capabilities TEXT NOT NULL DEFAULT '[]',"
    " source TEXT NOT NULL DEFAULT 'api',"
    " created_at TEXT NOT NULL);";

int64_t
apid_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Creates every missing directory above path (mode 0750). */
static int
db_mkdirs(const char *path, char *err, size_t errlen)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "db: path too long");
		return -ENAMETOOLONG;
	}
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "db: cannot create %s: %s", buf,
				 strerror(errno));
			return -errno;
		}
		*p = '/';
	}
	return 0;
}

int
apid_db_open(struct apid_db **out, const char *path, char *err, size_t errlen)
{
	struct apid_db *db;
	char *emsg = NULL;
	int r;

	*out = NULL;
	if ((r = db_mkdirs(path, err, errlen)) < 0)
		return r;
	/* Account numbers live here: the file is the user's alone (SQLite
	 * gives its -wal and -shm files the same mode). */
	{
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "db: cannot open %s: %s", path,
				 strerror(errno));
			return -errno;
		}
		if (fchmod(fd, 0600) < 0)
			log_warn("db: chmod %s", path);
		close(fd);
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return -ENOMEM;
	pthread_mutex_init(&db->mu, NULL);
	if (sqlite3_open_v2(path, &db->h,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "db: cannot open %s: %s", path,
			 db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->h, 5000);
	if (sqlite3_exec(db->h, "PRAGMA journal_mode=WAL;", NULL, NULL,
			 &emsg) != SQLITE_OK ||
	    sqlite3_exec(db->h, "PRAGMA synchronous=NORMAL;", NULL, NULL,
			 &emsg) != SQLITE_OK ||
	    sqlite3_exec(db->h, db_schema, NULL, NULL, &emsg) != SQLITE_OK) {
		snprintf(err, errlen, "db: %s: %s", path, emsg ? emsg : "?");
		sqlite3_free(emsg);
		goto fail;
	}
	{
		sqlite3_stmt *st;
		int have = -1;
		sqlite3_prepare_v2(db->h, "SELECT max(version) FROM schema_version",
				   -1, &st, NULL);
		if (st && sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) != SQLITE_NULL)
			have = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (have > DB_SCHEMA_VERSION) {
			snprintf(err, errlen,
				 "db: %s has schema version %d; this apid "
				 "knows up to %d",
				 path, have, DB_SCHEMA_VERSION);
			goto fail;
		}
		if (have < 0 &&
		    sqlite3_exec(db->h,
				 "INSERT INTO schema_version VALUES (1)", NULL,
				 NULL, &emsg) != SQLITE_OK) {
			snprintf(err, errlen, "db: %s: %s", path,
				 emsg ? emsg : "?");
			sqlite3_free(emsg);
			goto fail;
		}
	}
	*out = db;
	return 0;
fail:
	apid_db_close(db);
	return -EIO;
}

void
apid_db_close(struct apid_db *db)
{
	if (db == NULL)
		return;
	sqlite3_close(db->h);
	pthread_mutex_destroy(&db->mu);
	free(db);
}

static void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || s[0] == '\0')
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Runs one statement with text parameters; NULL or "" binds NULL. */
static int
db_exec(struct apid_db *db, const char *sql, int n, const char *const *args)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		return -EIO;
	}
	for (int i = 0; i < n; i++)
		db_bind_text(st, i + 1, args[i]);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

/* Inserts a call row; db->mu held. */
static int
db_call_insert_locked(struct apid_db *db, const struct apid_call *c,
		      const char *started_at, int64_t started_ms)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(
		db->h,
		"INSERT INTO calls (call_id, status, number, uri, mode, intent,"
		" flow_id, device, info, started_at, started_ms)"
		" VALUES (?, 'trying', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		-1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		return -EIO;
	}
	sqlite3_bind_text(st, 1, c->call_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, c->number ? c->number : "", -1,
			  SQLITE_TRANSIENT);
	db_bind_text(st, 3, c->uri);
	sqlite3_bind_text(st, 4, c->mode ? c->mode : "hold_slayer", -1,
			  SQLITE_TRANSIENT);
	db_bind_text(st, 5, c->intent);
	db_bind_text(st, 6, c->flow_id);
	db_bind_text(st, 7, c->device);
	sqlite3_bind_text(st, 8,
			  c->info ? json_object_to_json_string_ext(
					c->info, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
				  : "{}",
			  -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 9, started_at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 10, started_ms);
	switch (sqlite3_step(st)) {
	case SQLITE_DONE:
		break;
	case SQLITE_CONSTRAINT:
		r = -EEXIST;
		break;
	default:
		log_warnx("db: insert call %s: %s", c->call_id,
			  sqlite3_errmsg(db->h));
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

int
apid_db_call_insert(struct apid_db *db, const struct apid_call *c)
{
	char ts[32];
	int r;

	msg_now_rfc3339(ts, sizeof(ts));
	pthread_mutex_lock(&db->mu);
	r = db_call_insert_locked(db, c, ts, apid_now_ms());
	pthread_mutex_unlock(&db->mu);
	return r;
}

int
apid_db_call_delete(struct apid_db *db, const char *call_id)
{
	const char *args[] = {call_id};
	int r;

	pthread_mutex_lock(&db->mu);
	r = db_exec(db, "DELETE FROM calls WHERE call_id = ?", 1, args);
	pthread_mutex_unlock(&db->mu);
	return r;
}

int
apid_db_call_set_flow(struct apid_db *db, const char *call_id,
		      const char *flow_id)
{
	const char *args[] = {flow_id, call_id};
	int r;

	pthread_mutex_lock(&db->mu);
	r = db_exec(db, "UPDATE calls SET flow_id = ? WHERE call_id = ?", 2,
		    args);
	pthread_mutex_unlock(&db->mu);
	return r;
}

/* Applies ch to the call row; db->mu held. */
static int
db_apply_locked(struct apid_db *db, const char *call_id,
		const struct apid_change *ch, int64_t now)
{
	sqlite3_stmt *st = NULL;
	char ts[32];
	int r = 0;

	msg_now_rfc3339(ts, sizeof(ts));
	/*
	 * One statement; each ?N is NULL when that part does not change.
	 * hold_time is set when the hold stops (or the call ends on hold).
	 */
	if (sqlite3_prepare_v2(
		db->h,
		"UPDATE calls SET"
		" status = coalesce(?1, status),"
		" hold_start_ms = CASE WHEN ?2 AND hold_start_ms IS NULL"
		"  THEN ?6 ELSE hold_start_ms END,"
		" hold_time = CASE"
		"  WHEN ?4 THEN NULL"
		"  WHEN (?3 OR ?5) AND hold_start_ms IS NOT NULL"
		"   AND hold_time IS NULL"
		"  THEN (?6 - hold_start_ms) / 1000.0 ELSE hold_time END,"
		" ended_ms = CASE WHEN ?5 AND ended_ms IS NULL THEN ?6"
		"  ELSE ended_ms END,"
		" ended_at = CASE WHEN ?5 AND ended_at IS NULL THEN ?7"
		"  ELSE ended_at END,"
		" failure_code = CASE WHEN ?8 THEN ?9 ELSE failure_code END,"
		" failure_reason = CASE WHEN ?8 THEN ?10 ELSE failure_reason END,"
		" audio_type = coalesce(?11, audio_type),"
		" recording = coalesce(?12, recording)"
		" WHERE call_id = ?13",
		-1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		return -EIO;
	}
	db_bind_text(st, 1, ch->status);
	sqlite3_bind_int(st, 2, ch->hold_start);
	sqlite3_bind_int(st, 3, ch->hold_stop);
	sqlite3_bind_int(st, 4, ch->hold_resume);
	sqlite3_bind_int(st, 5, ch->ended);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_text(st, 7, ts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 8, ch->failure);
	sqlite3_bind_int64(st, 9, ch->failure_code);
	db_bind_text(st, 10, ch->failure_reason);
	db_bind_text(st, 11, ch->audio_type);
	db_bind_text(st, 12, ch->recording);
	sqlite3_bind_text(st, 13, call_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("db: update call %s: %s", call_id,
			  sqlite3_errmsg(db->h));
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

/* The call's status and mode; db->mu held.  -ENOENT when absent. */
static int
db_status_locked(struct apid_db *db, const char *call_id, char *status,
		 size_t slen, char *mode, size_t mlen)
{
	sqlite3_stmt *st = NULL;
	int r = -ENOENT;

	if (sqlite3_prepare_v2(db->h,
			       "SELECT status, mode FROM calls WHERE call_id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(status, slen, "%s",
			 (const char *)sqlite3_column_text(st, 0));
		if (mode)
			snprintf(mode, mlen, "%s",
				 (const char *)sqlite3_column_text(st, 1));
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int
apid_db_call_status(struct apid_db *db, const char *call_id, char *out,
		    size_t outlen)
{
	int r;

	pthread_mutex_lock(&db->mu);
	r = db_status_locked(db, call_id, out, outlen, NULL, 0);
	pthread_mutex_unlock(&db->mu);
	return r;
}

int
apid_db_event_store(struct apid_db *db, const struct msg_event *ev)
{
	sqlite3_stmt *st = NULL;
	struct apid_change ch;
	char status[32], mode[32];
	const char *type = msg_type_name(ev->type);
	int64_t now = apid_now_ms();
	int r = 0, have;

	pthread_mutex_lock(&db->mu);
	sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db->h,
			       "INSERT INTO events (call_id, seq, src, type, ts,"
			       " data, received_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		r = -EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, ev->call_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ev->seq);
	sqlite3_bind_text(st, 3, ev->src, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, type ? type : "?", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, ev->ts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6,
			  json_object_to_json_string_ext(ev->data,
							 JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			  -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("db: store %s event: %s", type ? type : "?",
			  sqlite3_errmsg(db->h));
		r = -EIO;
		goto out;
	}
	if (ev->call_id[0] == '\0')
		goto out;
	have = db_status_locked(db, ev->call_id, status, sizeof(status), mode,
				sizeof(mode)) == 0;
	if (!have && ev->type == MSG_call_started) {
		json_object *info = NULL;
		const char *m = bus_json_str(ev->data, "mode");
		struct apid_call c = {
		    .call_id = ev->call_id,
		    .number = bus_json_str(ev->data, "number"),
		    .uri = bus_json_str(ev->data, "uri"),
		    .mode = m && (strcmp(m, "direct") == 0 ||
				  strcmp(m, "hold_slayer") == 0)
				? m
				: "hold_slayer",
		    .intent = bus_json_str(ev->data, "intent"),
		    .flow_id = bus_json_str(ev->data, "flow_id"),
		    .device = bus_json_str(ev->data, "device"),
		};
		if (json_object_object_get_ex(ev->data, "info", &info) &&
		    json_object_is_type(info, json_type_object))
			c.info = info;
		r = db_call_insert_locked(db, &c, ev->ts, now);
		log_info("db: call %s learned from a call_started by %s",
			 ev->call_id, ev->src);
		goto out;
	}
	if (!have)
		goto out; /* stored; no call to update */
	apid_status_apply(status, mode, ev->type, ev->data, &ch);
	if (ch.status || ch.hold_start || ch.hold_stop || ch.hold_resume ||
	    ch.ended || ch.failure || ch.audio_type || ch.recording)
		r = db_apply_locked(db, ev->call_id, &ch, now);
	if (ch.status && strcmp(ch.status, status) != 0)
		log_info("call %s: %s -> %s (%s)", ev->call_id, status,
			 ch.status, type);
out:
	sqlite3_finalize(st);
	sqlite3_exec(db->h, r < 0 && r != -EEXIST ? "ROLLBACK" : "COMMIT",
		     NULL, NULL, NULL);
	pthread_mutex_unlock(&db->mu);
	return r;
}

static json_object *
db_col_str(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return json_object_new_string((const char *)sqlite3_column_text(st, i));
}

static json_object *
db_col_json(sqlite3_stmt *st, int i)
{
	json_object *o = NULL;

	if (sqlite3_column_type(st, i) != SQLITE_NULL)
		o = json_tokener_parse((const char *)sqlite3_column_text(st, i));
	return o ? o : json_object_new_object();
}

static json_object *
db_seconds(double s)
{
	/* Milliseconds precision, as a JSON number. */
	return json_object_new_double((double)(int64_t)(s * 1000.0) / 1000.0);
}

#define DB_CALL_COLS                                                           \
	"call_id, status, number, uri, mode, intent, flow_id, device, info,"  \
	" started_at, started_ms, ended_at, ended_ms, hold_start_ms,"          \
	" hold_time, audio_type, recording, failure_code, failure_reason"

/* One call row (DB_CALL_COLS) as JSON. */
static json_object *
db_call_json(sqlite3_stmt *st, int64_t now)
{
	json_object *o = json_object_new_object();
	const char *status = (const char *)sqlite3_column_text(st, 1);
	bool ended = sqlite3_column_type(st, 12) != SQLITE_NULL;
	int64_t started = sqlite3_column_int64(st, 10);
	int64_t end = ended ? sqlite3_column_int64(st, 12) : now;

	json_object_object_add(o, "call_id", db_col_str(st, 0));
	json_object_object_add(o, "status", db_col_str(st, 1));
	json_object_object_add(o, "number", db_col_str(st, 2));
	json_object_object_add(o, "uri", db_col_str(st, 3));
	json_object_object_add(o, "mode", db_col_str(st, 4));
	json_object_object_add(o, "intent", db_col_str(st, 5));
	json_object_object_add(o, "flow_id", db_col_str(st, 6));
	json_object_object_add(o, "device", db_col_str(st, 7));
	json_object_object_add(o, "info", db_col_json(st, 8));
	json_object_object_add(o, "started_at", db_col_str(st, 9));
	json_object_object_add(o, "ended_at", db_col_str(st, 11));
	json_object_object_add(o, "duration",
			       db_seconds((double)(end - started) / 1000.0));
	if (sqlite3_column_type(st, 14) != SQLITE_NULL)
		json_object_object_add(o, "hold_time",
				       db_seconds(sqlite3_column_double(st, 14)));
	else if (sqlite3_column_type(st, 13) != SQLITE_NULL &&
		 !apid_status_terminal(status))
		json_object_object_add(
		    o, "hold_time",
		    db_seconds((double)(now - sqlite3_column_int64(st, 13)) /
			       1000.0));
	else
		json_object_object_add(o, "hold_time", NULL);
	json_object_object_add(o, "audio_type", db_col_str(st, 15));
	json_object_object_add(o, "recording", db_col_str(st, 16));
	if (sqlite3_column_type(st, 17) != SQLITE_NULL ||
	    sqlite3_column_type(st, 18) != SQLITE_NULL) {
		json_object *f = json_object_new_object();
		json_object_object_add(
		    f, "code", json_object_new_int64(sqlite3_column_int64(st, 17)));
		json_object_object_add(f, "reason", db_col_str(st, 18));
		json_object_object_add(o, "failure", f);
	} else {
		json_object_object_add(o, "failure", NULL);
	}
	return o;
}

static void db_call_extras_locked(struct apid_db *db, json_object *o);

/* Adds events[] and classification_history[]; db->mu held. */
static int
db_call_details_locked(struct apid_db *db, const char *call_id,
		       json_object *o)
{
	sqlite3_stmt *st = NULL;
	json_object *events = json_object_new_array();
	json_object *hist = json_object_new_array();

	json_object_object_add(o, "classification_history", hist);
	json_object_object_add(o, "events", events);
	/* audio_classified arrives every hop: it goes in the history only. */
	if (sqlite3_prepare_v2(db->h,
			       "SELECT type, ts, src, seq, data FROM events"
			       " WHERE call_id = ? AND type != 'audio_classified'"
			       " ORDER BY ts, " DB_PHASE_RANK ", id",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "type", db_col_str(st, 0));
		json_object_object_add(e, "ts", db_col_str(st, 1));
		json_object_object_add(e, "src", db_col_str(st, 2));
		json_object_object_add(
		    e, "seq", json_object_new_int64(sqlite3_column_int64(st, 3)));
		json_object_object_add(e, "data", db_col_json(st, 4));
		json_object_array_add(events, e);
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(
		db->h,
		"SELECT ts, data FROM (SELECT id, ts, data FROM events"
		" WHERE call_id = ? AND type = 'audio_classified'"
		" ORDER BY id DESC LIMIT ?) ORDER BY id",
		-1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, APID_HISTORY_MAX);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_object *data = db_col_json(st, 1), *h, *v;
		h = json_object_new_object();
		json_object_object_add(h, "ts", db_col_str(st, 0));
		static const char *keys[] = {"leg", "class", "confidence", "t"};
		for (size_t i = 0; i < 4; i++)
			if (json_object_object_get_ex(data, keys[i], &v))
				json_object_object_add(h, keys[i],
						       json_object_get(v));
		json_object_put(data);
		json_object_array_add(hist, h);
	}
	sqlite3_finalize(st);
	return 0;
}

int
apid_db_call_get(struct apid_db *db, const char *call_id, bool full,
		 json_object **out)
{
	sqlite3_stmt *st = NULL;
	int r = -ENOENT;

	*out = NULL;
	pthread_mutex_lock(&db->mu);
	if (sqlite3_prepare_v2(db->h,
			       "SELECT " DB_CALL_COLS
			       " FROM calls WHERE call_id = ?",
			       -1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		r = -EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = db_call_json(st, apid_now_ms());
		r = 0;
	}
	sqlite3_finalize(st);
	if (r == 0)
		db_call_extras_locked(db, *out);
	if (r == 0 && full && db_call_details_locked(db, call_id, *out) < 0) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		json_object_put(*out);
		*out = NULL;
		r = -EIO;
	}
out:
	pthread_mutex_unlock(&db->mu);
	return r;
}

/*
 * Adds the seed API's derived fields to a call: transcript_excerpt (the
 * last final transcript chunks, at most DB_EXCERPT_MAX bytes, or null) and
 * services (what Hold Slayer does on the call).  db->mu held.
 */
/*
 * failure.cause: sipd's word for why the call failed (busy, no_answer,
 * ...), from the last call_failed that carries one.  Kept in the event
 * rather than a column, so older databases need no change.  db->mu held.
 */
static void
db_failure_cause_locked(struct apid_db *db, const char *id, json_object *o)
{
	json_object *f, *d, *c;
	sqlite3_stmt *st = NULL;

	if (id == NULL || !json_object_object_get_ex(o, "failure", &f) ||
	    f == NULL)
		return;
	if (sqlite3_prepare_v2(db->h,
			       "SELECT data FROM events WHERE call_id = ? AND"
			       " type = 'call_failed' ORDER BY id DESC",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		d = db_col_json(st, 0);
		if (json_object_object_get_ex(d, "cause", &c) &&
		    json_object_is_type(c, json_type_string)) {
			json_object_object_add(f, "cause", json_object_get(c));
			json_object_put(d);
			break;
		}
		json_object_put(d);
	}
	sqlite3_finalize(st);
}

#define DB_EXCERPT_CHUNKS 4
#define DB_EXCERPT_MAX 280
static void
db_call_extras_locked(struct apid_db *db, json_object *o)
{
	static const char *const hs[] = {"ivr_navigation", "hold_detection",
					 "human_detection", "transcription",
					 "transfer"};
	json_object *v, *svc = json_object_new_array();
	const char *id = NULL, *mode = NULL;
	sqlite3_stmt *st = NULL;
	char ex[DB_EXCERPT_MAX * 2 + 8] = "";
	char *chunks[DB_EXCERPT_CHUNKS] = {0};
	int n = 0;

	if (json_object_object_get_ex(o, "call_id", &v))
		id = json_object_get_string(v);
	if (json_object_object_get_ex(o, "mode", &v))
		mode = json_object_get_string(v);
	if (mode != NULL && strcmp(mode, "hold_slayer") == 0)
		for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
			json_object_array_add(svc, json_object_new_string(hs[i]));
	else
		json_object_array_add(svc, json_object_new_string("transfer"));
	if (json_object_object_get_ex(o, "recording", &v) && v != NULL)
		json_object_array_add(svc, json_object_new_string("recording"));
	json_object_object_add(o, "services", svc);
	if (id != NULL &&
	    sqlite3_prepare_v2(db->h,
			       "SELECT data FROM events WHERE call_id = ? AND"
			       " type = 'transcript_chunk' ORDER BY id DESC"
			       " LIMIT ?",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 2, DB_EXCERPT_CHUNKS * 4);
		while (n < DB_EXCERPT_CHUNKS && sqlite3_step(st) == SQLITE_ROW) {
			json_object *d = db_col_json(st, 0), *t, *f;
			if (json_object_object_get_ex(d, "text", &t) &&
			    json_object_is_type(t, json_type_string) &&
			    (!json_object_object_get_ex(d, "is_final", &f) ||
			     json_object_get_boolean(f)))
				chunks[n++] = strdup(json_object_get_string(t));
			json_object_put(d);
		}
	}
	sqlite3_finalize(st);
	for (int i = n - 1; i >= 0; i--) {
		size_t l = strlen(ex);
		if (chunks[i] != NULL && l < sizeof(ex) - 1)
			snprintf(ex + l, sizeof(ex) - l, "%s%s", l ? " " : "",
				 chunks[i]);
		free(chunks[i]);
	}
	if (strlen(ex) > DB_EXCERPT_MAX) {
		/* The end of the text, cut on a UTF-8 character boundary. */
		const char *p = ex + strlen(ex) - DB_EXCERPT_MAX;
		while ((*p & 0xc0) == 0x80)
			p++;
		memmove(ex, p, strlen(p) + 1);
	}
	json_object_object_add(o, "transcript_excerpt",
			       ex[0] ? json_object_new_string(ex) : NULL);
	db_failure_cause_locked(db, id, o);
}

int
apid_db_call_list(struct apid_db *db, const char *status, int limit,
		  int offset, json_object **out, long *total)
{
/* ?1: NULL every call, 'active' the live ones, else one status. */
#define DB_LIST_WHERE                                                          \
	" WHERE ?1 IS NULL OR (?1 = 'active' AND status NOT IN"               \
	" ('completed', 'failed')) OR status = ?1"
	sqlite3_stmt *st = NULL;
	int64_t now = apid_now_ms();
	int r = 0;

	*out = NULL;
	*total = 0;
	pthread_mutex_lock(&db->mu);
	if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM calls" DB_LIST_WHERE,
			       -1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		r = -EIO;
		goto out;
	}
	db_bind_text(st, 1, status);
	if (sqlite3_step(st) == SQLITE_ROW)
		*total = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db->h,
			       "SELECT " DB_CALL_COLS " FROM calls" DB_LIST_WHERE
			       " ORDER BY started_ms DESC, rowid DESC"
			       " LIMIT ?2 OFFSET ?3",
			       -1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		r = -EIO;
		goto out;
	}
	db_bind_text(st, 1, status);
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_int(st, 3, offset);
	*out = json_object_new_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_array_add(*out, db_call_json(st, now));
	sqlite3_finalize(st);
	for (size_t i = 0; i < json_object_array_length(*out); i++)
		db_call_extras_locked(db, json_object_array_get_idx(*out, i));
out:
	pthread_mutex_unlock(&db->mu);
	return r;
}

int
apid_db_call_resolve(struct apid_db *db, const char *prefix, char *out,
		     size_t outlen)
{
	sqlite3_stmt *st = NULL;
	int r = -ENOENT, n = 0;

	pthread_mutex_lock(&db->mu);
	/* An exact id wins over longer ids it is a prefix of. */
	if (sqlite3_prepare_v2(db->h,
			       "SELECT call_id FROM calls WHERE call_id = ?1"
			       " UNION ALL SELECT * FROM (SELECT call_id FROM"
			       " calls WHERE substr(call_id, 1, length(?1)) = ?1"
			       " AND call_id != ?1 LIMIT 2)",
			       -1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		r = -EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		if (n++ == 0) {
			snprintf(out, outlen, "%s", id ? id : "");
			r = 0;
			if (id != NULL && strcmp(id, prefix) == 0)
				break;
		} else {
			r = -EEXIST;
			break;
		}
	}
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&db->mu);
	return r;
}

/* Devices: the user's phones, seeded from [devices], changed by the API. */

static json_object *
db_device_json(sqlite3_stmt *st)
{
	json_object *o = json_object_new_object(), *caps;

	json_object_object_add(o, "id", db_col_str(st, 0));
	json_object_object_add(o, "name", db_col_str(st, 1));
	json_object_object_add(o, "type", db_col_str(st, 2));
	json_object_object_add(o, "sip_uri", db_col_str(st, 3));
	json_object_object_add(
	    o, "priority", json_object_new_int64(sqlite3_column_int64(st, 4)));
	caps = NULL;
	if (sqlite3_column_type(st, 5) != SQLITE_NULL)
		caps = json_tokener_parse((const char *)sqlite3_column_text(st, 5));
	json_object_object_add(o, "capabilities",
			       caps ? caps : json_object_new_array());
	/* Registration state is not known to apid (see apid(8)). */
	json_object_object_add(o, "is_online", NULL);
	json_object_object_add(o, "source", db_col_str(st, 6));
	json_object_object_add(o, "created_at", db_col_str(st, 7));
	return o;
}

#define DB_DEVICE_COLS                                                         \
	"id, name, type, sip_uri, priority, capabilities, source, created_at"

int
apid_db_device_list(struct apid_db *db, json_object **out)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	pthread_mutex_lock(&db->mu);
	if (sqlite3_prepare_v2(db->h,
			       "SELECT " DB_DEVICE_COLS " FROM devices"
			       " ORDER BY priority DESC, name",
			       -1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		r = -EIO;
		goto out;
	}
	*out = json_object_new_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_array_add(*out, db_device_json(st));
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&db->mu);
	return r;
}

int
apid_db_device_get(struct apid_db *db, const char *id, json_object **out)
{
	sqlite3_stmt *st = NULL;
	int r = -ENOENT;

	*out = NULL;
	pthread_mutex_lock(&db->mu);
	if (sqlite3_prepare_v2(db->h,
			       "SELECT " DB_DEVICE_COLS " FROM devices"
			       " WHERE id = ?1 OR name = ?1 LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		r = -EIO;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = db_device_json(st);
		r = 0;
	}
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&db->mu);
	return r;
}

int
apid_db_device_put(struct apid_db *db, json_object *dev, bool create,
		   const char *source)
{
	sqlite3_stmt *st = NULL;
	json_object *v;
	const char *caps;
	char now[40];
	int r = 0;

	msg_now_rfc3339(now, sizeof(now));
	caps = json_object_object_get_ex(dev, "capabilities", &v)
		   ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)
		   : "[]";
	pthread_mutex_lock(&db->mu);
	if (sqlite3_prepare_v2(
		db->h,
		create ? "INSERT INTO devices (" DB_DEVICE_COLS ")"
			 " VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		       : "UPDATE devices SET type = ?2, sip_uri = ?3,"
			 " priority = ?4, capabilities = ?5 WHERE id = ?1",
		-1, &st, NULL) != SQLITE_OK) {
		log_warnx("db: %s", sqlite3_errmsg(db->h));
		r = -EIO;
		goto out;
	}
#define DEV_STR(k)                                                             \
	(json_object_object_get_ex(dev, k, &v) ? json_object_get_string(v) : "")
	sqlite3_bind_text(st, 1, DEV_STR("name"), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, DEV_STR("type"), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, DEV_STR("sip_uri"), -1, SQLITE_TRANSIENT);
#undef DEV_STR
	sqlite3_bind_int64(st, 4,
			   json_object_object_get_ex(dev, "priority", &v)
			       ? json_object_get_int64(v)
			       : 0);
	sqlite3_bind_text(st, 5, caps, -1, SQLITE_TRANSIENT);
	if (create) {
		sqlite3_bind_text(st, 6, source, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 7, now, -1, SQLITE_TRANSIENT);
	}
	r = sqlite3_step(st);
	if (r == SQLITE_CONSTRAINT)
		r = -EEXIST;
	else if (r != SQLITE_DONE) {
		log_warnx("db: device: %s", sqlite3_errmsg(db->h));
		r = -EIO;
	} else {
		r = !create && sqlite3_changes(db->h) == 0 ? -ENOENT : 0;
	}
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&db->mu);
	return r;
}

int
apid_db_device_delete(struct apid_db *db, const char *id)
{
	sqlite3_stmt *st = NULL;
	int r = -EIO;

	pthread_mutex_lock(&db->mu);
	if (sqlite3_prepare_v2(db->h, "DELETE FROM devices WHERE id = ?", -1,
			       &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_DONE)
			r = sqlite3_changes(db->h) ? 0 : -ENOENT;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->mu);
	return r;
}

void
apid_db_devices_seed(struct apid_db *db, const struct conf *c)
{
	for (size_t i = 0; i < c->ndevices; i++) {
		json_object *d = json_object_new_object();
		int r;

		json_object_object_add(d, "name",
				       json_object_new_string(c->devices[i].name));
		json_object_object_add(d, "type", json_object_new_string("sip"));
		json_object_object_add(d, "sip_uri",
				       json_object_new_string(c->devices[i].uri));
		r = apid_db_device_put(db, d, true, "config");
		if (r == -EEXIST) {
			/* The file is the truth for its own devices. */
			sqlite3_stmt *st = NULL;
			pthread_mutex_lock(&db->mu);
			if (sqlite3_prepare_v2(db->h,
					       "UPDATE devices SET sip_uri = ?2"
					       " WHERE id = ?1 AND source ="
					       " 'config'",
					       -1, &st, NULL) == SQLITE_OK) {
				sqlite3_bind_text(st, 1, c->devices[i].name, -1,
						  SQLITE_TRANSIENT);
				sqlite3_bind_text(st, 2, c->devices[i].uri, -1,
						  SQLITE_TRANSIENT);
				sqlite3_step(st);
			}
			sqlite3_finalize(st);
			pthread_mutex_unlock(&db->mu);
		} else if (r < 0) {
			log_warnx("db: device %s from [devices] not stored",
				  c->devices[i].name);
		}
		json_object_put(d);
	}
}

int
apid_db_call_brief(struct apid_db *db, const char *call_id, char *number,
		   size_t numlen, int64_t *started_ms)
{
	sqlite3_stmt *st = NULL;
	int r = -ENOENT;

	pthread_mutex_lock(&db->mu);
	if (sqlite3_prepare_v2(db->h,
			       "SELECT number, started_ms FROM calls"
			       " WHERE call_id = ?",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *n = (const char *)sqlite3_column_text(st, 0);
			snprintf(number, numlen, "%s", n ? n : "");
			*started_ms = sqlite3_column_int64(st, 1);
			r = 0;
		}
	} else {
		r = -EIO;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->mu);
	return r;
}

json_object *
apid_db_last_data(struct apid_db *db, const char *call_id, const char *type)
{
	sqlite3_stmt *st = NULL;
	json_object *o = NULL;

	pthread_mutex_lock(&db->mu);
	if (sqlite3_prepare_v2(db->h,
			       "SELECT data FROM events WHERE call_id = ? AND"
			       " type = ? ORDER BY id DESC LIMIT 1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, call_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			o = db_col_json(st, 0);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->mu);
	return o;
}
