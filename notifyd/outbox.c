/*
 * outbox: notifyd's durable queue, one SQLite row per notification and
 * channel.  A row is written before anything is sent and removed only when
 * the channel accepted it, so neither a dead receiver nor a kill -9 loses
 * one.  The file is created 0600 (it holds what the user is told) and runs
 * in WAL mode with synchronous=NORMAL: a commit is a short local append,
 * quick enough for the daemon loop, and survives a crash of the process
 * (only a power cut can drop the last commits).
 *
 * state: 0 pending, 2 failed (sent rows are deleted; failed ones after 30
 * days).
 */
#include "notifyd.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

struct outbox {
	sqlite3 *db;
	sqlite3_stmt *add, *due, *defer, *sent, *failed, *next, *count;
	sqlite3_stmt *call_put, *call_del, *calls;
};

static const char outbox_schema[] =
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id INTEGER PRIMARY KEY,"
    " ikey TEXT NOT NULL UNIQUE,"
    " channel INTEGER NOT NULL,"
    " event TEXT NOT NULL,"
    " call_id TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " deadline_ms INTEGER NOT NULL,"
    " next_ms INTEGER NOT NULL,"
    " tries INTEGER NOT NULL DEFAULT 0,"
    " state INTEGER NOT NULL DEFAULT 0,"
    " error TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_ms);"
    /* The per-call memory (company, device) that outlives a restart;
     * a call over two days old has long ended. */
    "CREATE TABLE IF NOT EXISTS calls ("
    " call_id TEXT PRIMARY KEY,"
    " who TEXT NOT NULL,"
    " device TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL);"
    "DELETE FROM calls WHERE "
    " created_ms < (strftime('%s', 'now') - 2 * 86400) * 1000;"
    /* Failed rows are kept 30 days for the record, then dropped. */
    "DELETE FROM outbox WHERE state = 2 AND "
    " created_ms < (strftime('%s', 'now') - 30 * 86400) * 1000;";

static int
outbox_prep(struct outbox *ob, sqlite3_stmt **st, const char *sql)
{
	return sqlite3_prepare_v2(ob->db, sql, -1, st, NULL) == SQLITE_OK
		   ? 0
		   : -EIO;
}

int
outbox_open(struct outbox **out, const char *path, char *err, size_t errlen)
{
	struct outbox *ob;
	char *emsg = NULL;
	int fd, r = -EIO;

	*out = NULL;
	/* Create the file 0600 ourselves; SQLite gives its -wal and -shm
	 * files the database file's mode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "outbox: %s: %s", path, strerror(errno));
		return r;
	}
	if (fchmod(fd, 0600) < 0) {
		r = -errno;
		snprintf(err, errlen, "outbox: chmod %s: %s", path,
			 strerror(errno));
		close(fd);
		return r;
	}
	close(fd);
	ob = calloc(1, sizeof(*ob));
	if (ob == NULL)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "outbox: %s: %s", path,
			 ob->db ? sqlite3_errmsg(ob->db) : "cannot open");
		goto out;
	}
	if (sqlite3_exec(ob->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
			 NULL, NULL, &emsg) != SQLITE_OK ||
	    sqlite3_exec(ob->db, outbox_schema, NULL, NULL, &emsg) !=
		SQLITE_OK) {
		snprintf(err, errlen, "outbox: %s: %s", path,
			 emsg ? emsg : "cannot set up");
		sqlite3_free(emsg);
		goto out;
	}
	if (outbox_prep(ob, &ob->add,
			"INSERT INTO outbox (ikey, channel, event, call_id, "
			"body, created_ms, deadline_ms, next_ms) VALUES "
			"(?, ?, ?, ?, ?, ?, ?, ?)") < 0 ||
	    outbox_prep(ob, &ob->due,
			"SELECT id, ikey, channel, event, call_id, body, tries, "
			"deadline_ms, error FROM outbox WHERE state = 0 AND "
			"next_ms <= ? ORDER BY next_ms, id LIMIT ?") < 0 ||
	    outbox_prep(ob, &ob->defer,
			"UPDATE outbox SET next_ms = ?, tries = ?, error = "
			"coalesce(?, error) WHERE id = ?") < 0 ||
	    outbox_prep(ob, &ob->sent, "DELETE FROM outbox WHERE id = ?") < 0 ||
	    outbox_prep(ob, &ob->failed,
			"UPDATE outbox SET state = 2, error = ? WHERE id = ?") <
		0 ||
	    outbox_prep(ob, &ob->next,
			"SELECT min(next_ms) FROM outbox WHERE state = 0") < 0 ||
	    outbox_prep(ob, &ob->count,
			"SELECT count(*) FROM outbox WHERE state = ?") < 0 ||
	    outbox_prep(ob, &ob->call_put,
			"INSERT OR REPLACE INTO calls (call_id, who, device, "
			"created_ms) VALUES (?, ?, ?, "
			"CAST(strftime('%s', 'now') AS INTEGER) * 1000)") < 0 ||
	    outbox_prep(ob, &ob->call_del,
			"DELETE FROM calls WHERE call_id = ?") < 0 ||
	    outbox_prep(ob, &ob->calls,
			"SELECT call_id, who, device FROM (SELECT * FROM calls "
			"ORDER BY created_ms DESC LIMIT ?) ORDER BY "
			"created_ms") < 0) {
		snprintf(err, errlen, "outbox: %s: %s", path,
			 sqlite3_errmsg(ob->db));
		goto out;
	}
	*out = ob;
	return 0;
out:
	outbox_close(ob);
	return r;
}

void
outbox_close(struct outbox *ob)
{
	if (ob == NULL)
		return;
	sqlite3_finalize(ob->add);
	sqlite3_finalize(ob->due);
	sqlite3_finalize(ob->defer);
	sqlite3_finalize(ob->sent);
	sqlite3_finalize(ob->failed);
	sqlite3_finalize(ob->next);
	sqlite3_finalize(ob->count);
	sqlite3_finalize(ob->call_put);
	sqlite3_finalize(ob->call_del);
	sqlite3_finalize(ob->calls);
	sqlite3_close(ob->db);
	free(ob);
}

/* Runs a prepared statement that returns no rows, then resets it. */
static int
outbox_run(struct outbox *ob, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_warnx("outbox: %s", sqlite3_errmsg(ob->db));
		return -EIO;
	}
	return 0;
}

int
outbox_add(struct outbox *ob, const char *key, enum notify_channel ch,
	   const char *event, const char *call_id, const char *body,
	   int64_t now_ms, int64_t deadline_ms)
{
	sqlite3_stmt *st = ob->add;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)ch);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, call_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now_ms);
	sqlite3_bind_int64(st, 7, deadline_ms);
	sqlite3_bind_int64(st, 8, now_ms);
	return outbox_run(ob, st);
}

int
outbox_due(struct outbox *ob, int64_t now_ms, int limit, outbox_row_cb cb,
	   void *arg)
{
	sqlite3_stmt *st = ob->due;
	int rc, n = 0;

	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int ch = sqlite3_column_int(st, 2);
		if (ch < 0 || ch >= NOTIFY_NCHANNELS)
			continue;
		cb(arg, sqlite3_column_int64(st, 0),
		   (const char *)sqlite3_column_text(st, 1),
		   (enum notify_channel)ch,
		   (const char *)sqlite3_column_text(st, 3),
		   (const char *)sqlite3_column_text(st, 4),
		   (const char *)sqlite3_column_text(st, 5),
		   sqlite3_column_int(st, 6), sqlite3_column_int64(st, 7),
		   (const char *)sqlite3_column_text(st, 8));
		n++;
	}
	if (rc != SQLITE_DONE)
		log_warnx("outbox: %s", sqlite3_errmsg(ob->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? n : -EIO;
}

int
outbox_defer(struct outbox *ob, int64_t id, int64_t next_ms, int tries,
	     const char *why)
{
	sqlite3_stmt *st = ob->defer;

	sqlite3_bind_int64(st, 1, next_ms);
	sqlite3_bind_int(st, 2, tries);
	if (why)
		sqlite3_bind_text(st, 3, why, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, id);
	return outbox_run(ob, st);
}

int
outbox_sent(struct outbox *ob, int64_t id)
{
	sqlite3_bind_int64(ob->sent, 1, id);
	return outbox_run(ob, ob->sent);
}

int
outbox_failed(struct outbox *ob, int64_t id, const char *why)
{
	sqlite3_bind_text(ob->failed, 1, why, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ob->failed, 2, id);
	return outbox_run(ob, ob->failed);
}

int
outbox_next(struct outbox *ob, int64_t *next_ms)
{
	sqlite3_stmt *st = ob->next;
	int r = -ENOENT;

	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*next_ms = sqlite3_column_int64(st, 0);
		r = 0;
	}
	sqlite3_reset(st);
	return r;
}

long
outbox_count(struct outbox *ob, int state)
{
	sqlite3_stmt *st = ob->count;
	long n = -1;

	sqlite3_bind_int(st, 1, state);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int
outbox_call_put(struct outbox *ob, const char *call_id, const char *who,
		const char *device)
{
	sqlite3_bind_text(ob->call_put, 1, call_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(ob->call_put, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(ob->call_put, 3, device, -1, SQLITE_STATIC);
	return outbox_run(ob, ob->call_put);
}

int
outbox_call_del(struct outbox *ob, const char *call_id)
{
	sqlite3_bind_text(ob->call_del, 1, call_id, -1, SQLITE_STATIC);
	return outbox_run(ob, ob->call_del);
}

int
outbox_calls(struct outbox *ob, int limit, outbox_call_cb cb, void *arg)
{
	sqlite3_stmt *st = ob->calls;
	int rc, n = 0;

	sqlite3_bind_int(st, 1, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cb(arg, (const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2));
		n++;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? n : -EIO;
}
