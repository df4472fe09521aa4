/*
 * notifyd: tells the user what happened, on every channel configured, and
 * never loses a notification.  Each event it forwards becomes one row per
 * channel in a SQLite outbox before anything is sent (outbox.c); a pump
 * sends due rows through libcurl's multi interface (webhook, e-mail, SMS,
 * push) or sd-bus (desktop), both driven from the daemon loop, and retries
 * with exponential backoff and jitter until the event's deadline.
 */
#ifndef NOTIFYD_H
#define NOTIFYD_H

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdint.h>
#include <time.h>

#include "daemon.h"

/* The channels, in the order config and logs name them. */
enum notify_channel {
	NOTIFY_WEBHOOK,
	NOTIFY_EMAIL,
	NOTIFY_SMS,
	NOTIFY_DESKTOP,
	NOTIFY_PUSH,
	NOTIFY_NCHANNELS
};

/*
 * Tuning, in the user's terms.  The deadlines and backoff bounds are config
 * ([notify] urgent_deadline_s, deadline_s, retry_min_ms, retry_max_ms).
 */
enum {
	/* Sends in flight at once: a burst of 50 drains in a few rounds. */
	NOTIFY_MAX_INFLIGHT = 16,
	/* A row being sent is leased this long past its attempt's timeout,
	 * so a crash mid-send retries it after a restart, not before. */
	NOTIFY_LEASE_MS = 2000,
	/* The pump looks at the outbox at least this often. */
	NOTIFY_PUMP_MAX_MS = 30000,
	/* Calls remembered for their company name and device. */
	NOTIFY_MAX_CALLS = 256,
	/* Bytes of a receiver's reply kept for the failure reason. */
	NOTIFY_RESP_MAX = 2048,
};

struct notifyd;
struct outbox;
struct desktop;
struct notify_call;

/* One send attempt of one outbox row. */
struct notify_job {
	struct notify_job *next;
	struct notifyd *n;
	int64_t id;		/* outbox row */
	char key[48];		/* idempotency key: id-channel */
	enum notify_channel ch;
	char *event, *call_id;
	char *body;		/* the stored JSON envelope */
	json_object *env;	/* body parsed; owned */
	int tries;		/* attempts before this one */
	int64_t deadline_ms;	/* wall clock */
	char last_error[256];	/* why the previous attempt failed */
	/* transport state */
	CURL *easy;
	struct curl_slist *hdrs, *rcpt;
	char *upload;		/* a request body we own (e-mail, form) */
	size_t upload_len, upload_off;
	char resp[NOTIFY_RESP_MAX];
	size_t resp_len;
	void *slot;		/* sd_bus_slot of a desktop call */
};

/* How an attempt ended. */
struct notify_result {
	int ok;		/* the channel accepted it */
	int final;	/* a failure not worth retrying (most 4xx) */
	long status;	/* HTTP or SMTP status, or 0 */
	char why[256];	/* the reason, for logs and notify_failed */
};

/* Secrets read from their files at start-up and reload; never logged. */
struct notify_secrets {
	char *webhook, *email, *sms, *push;
};

struct notifyd {
	struct daemon *d;
	struct outbox *ob;
	CURLM *multi;
	int64_t tick;		/* curl's timer */
	int64_t pump;		/* the next look at the outbox */
	struct notify_job *jobs;
	int njobs;
	struct notify_call *calls;
	int ncalls;
	struct notify_secrets sec;
	struct desktop *desk;
	long sent, failed;
};

/* notifyd.c */
/* Ends an attempt: marks the row, publishes, frees j, pumps again. */
void notify_done(struct notify_job *j, const struct notify_result *r);
/* Ends a libcurl transfer (xfer.c calls it), read the channel's way. */
void notify_xfer_done(struct notify_job *j, CURLcode res);
/* A string member of the job's envelope ("" if absent).  Borrowed. */
const char *notify_env_str(const struct notify_job *j, const char *key);

/* check.c */
/* "webhook", "email", "sms", "desktop" or "push". */
const char *notify_channel_name(enum notify_channel ch);
/* The daemon_ops check: every [notify] key that needs another or a file. */
int notify_check(const struct conf *c, char *err, size_t errlen);
/*
 * Parses a channel list ("webhook email", "all", "none") into a bit mask
 * of enum notify_channel.  Returns 0, or -EINVAL with the bad word in bad.
 */
int notify_channels_parse(const char *s, unsigned *mask, char *bad,
			  size_t badlen);
/* Bit mask of the channels the config sets up. */
unsigned notify_channels_configured(const struct conf *c);
/* Reads a secret file (trailing newline dropped).  Caller frees. */
int notify_secret_read(const char *path, char **out);
/*
 * Writes url as scheme://host/... (no path, query or credentials, which
 * often carry a token) for logs and events.
 */
void notify_redact(const char *url, char *out, size_t outlen);

/* text.c */
/*
 * Remembers a call_started (company name or number, device) so later
 * events can say who picked up, in memory and in the outbox (when open) so
 * that a restart mid-call keeps it.  Forgotten when the call ends.
 */
void notify_call_started(struct notifyd *n, const char *call_id,
			 json_object *data);
void notify_call_forget(struct notifyd *n, const char *call_id);
/* Reads back the calls remembered before a restart. */
void notify_calls_load(struct notifyd *n);
void notify_calls_free(struct notifyd *n);
/* The device a call rings (from call_started), or NULL.  Borrowed. */
const char *notify_call_device(struct notifyd *n, const char *call_id);
/*
 * The sentence and the short subject for an event, in the user's terms
 * ("a person at First National Bank picked up at 10:42 - your phone is
 * ringing").  Caller frees both.  Returns 0 or -ENOMEM.
 */
int notify_text(struct notifyd *n, const char *event, const char *call_id,
		json_object *data, time_t when, char **text, char **subject);

/* outbox.c */
/*
 * Opens (creating, mode 0600, WAL) the outbox at path.  Returns 0 or a
 * negative errno with a line in err.
 */
int outbox_open(struct outbox **out, const char *path, char *err,
		size_t errlen);
void outbox_close(struct outbox *ob);
/* Stores one notification for one channel, due now. */
int outbox_add(struct outbox *ob, const char *key, enum notify_channel ch,
	       const char *event, const char *call_id, const char *body,
	       int64_t now_ms, int64_t deadline_ms);
/*
 * Calls cb for each pending row due at now_ms (at most limit), oldest
 * first.  The strings passed are borrowed for the call only.
 */
typedef void (*outbox_row_cb)(void *arg, int64_t id, const char *key,
			      enum notify_channel ch, const char *event,
			      const char *call_id, const char *body,
			      int tries, int64_t deadline_ms,
			      const char *last_error);
int outbox_due(struct outbox *ob, int64_t now_ms, int limit, outbox_row_cb cb,
	       void *arg);
/* Sets when a pending row is next due, and its attempt count. */
int outbox_defer(struct outbox *ob, int64_t id, int64_t next_ms, int tries,
		 const char *why);
/* The channel accepted it: the row is removed. */
int outbox_sent(struct outbox *ob, int64_t id);
/* Given up: the row stays, marked failed with the reason. */
int outbox_failed(struct outbox *ob, int64_t id, const char *why);
/* The earliest next_ms of a pending row; -ENOENT if none. */
int outbox_next(struct outbox *ob, int64_t *next_ms);
/* Rows pending (state 0) or failed (state 2). */
long outbox_count(struct outbox *ob, int state);
/* The per-call memory: stored, dropped, and read back (the newest limit
 * calls, oldest first). */
int outbox_call_put(struct outbox *ob, const char *call_id, const char *who,
		    const char *device);
int outbox_call_del(struct outbox *ob, const char *call_id);
typedef void (*outbox_call_cb)(void *arg, const char *call_id,
			       const char *who, const char *device);
int outbox_calls(struct outbox *ob, int limit, outbox_call_cb cb, void *arg);

/* xfer.c: the libcurl multi driver shared by the HTTP and SMTP channels */
int xfer_init(struct notifyd *n);
void xfer_fini(struct notifyd *n);
/*
 * Makes j->easy with the common options (timeout, CA file, reply kept in
 * j->resp, the Idempotency-Key header).  The channel adds its own.
 */
int xfer_easy(struct notify_job *j, const char *url);
/* Hands j->easy to the multi handle; the channel's finish runs later. */
int xfer_go(struct notify_job *j);
void xfer_job_clear(struct notify_job *j);
/*
 * Reads an HTTP outcome: 2xx ok; 408, 429, 5xx and transport errors retry;
 * any other status is final.
 */
void xfer_http_result(struct notify_job *j, CURLcode res,
		      struct notify_result *r);

/* webhook.c */
int webhook_start(struct notify_job *j);
/*
 * The signature header value "t=TS,v1=HEX" of body at ts with secret
 * (HMAC-SHA256 over "TS.BODY").  Returns 0 or -EIO.
 */
int webhook_sign(const char *secret, long long ts, const char *body,
		 char *out, size_t outlen);

/* smtp.c */
int smtp_start(struct notify_job *j);

/* sms.c */
int sms_start(struct notify_job *j);

/* Reads an SMS API's answer, naming Twilio's error code and message. */
void sms_result(struct notify_job *j, CURLcode res, struct notify_result *r);

/* push.c */
int push_start(struct notify_job *j);

/* desktop.c */
int desktop_new(struct desktop **out, struct notifyd *n);
void desktop_free(struct desktop *dk);
int desktop_start(struct notify_job *j);
/* Reconnects on next use, to a desktop_bus that may have changed. */
void desktop_reload(struct desktop *dk);
/* Drops the call of a job that is being freed. */
void desktop_job_clear(struct notify_job *j);

#endif
