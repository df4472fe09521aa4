/*
 * text: what the user reads.  Each forwarded event becomes one sentence in
 * the user's terms ("a person at First National Bank picked up at 10:42 -
 * your phone is ringing") and a short subject.  The company is named from
 * the call's call_started (its "company", or info.company, else the number
 * dialled), which notifyd keeps in a small per-call memory until the call
 * ends.
 */
#include "notifyd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct notify_call {
	char call_id[MSG_CALL_ID_MAX];
	char who[128];	  /* company name, or the number dialled */
	char device[64];  /* the device the call rings, or "" */
};

/* A string member of o, or NULL. */
static const char *
text_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Replaces control characters with spaces, in place. */
static void
text_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static struct notify_call *
text_call(struct notifyd *n, const char *call_id)
{
	for (int i = 0; i < n->ncalls; i++)
		if (strcmp(n->calls[i].call_id, call_id) == 0)
			return &n->calls[i];
	return NULL;
}

/* Adds or updates a call in memory. */
static void
text_remember(struct notifyd *n, const char *call_id, const char *who,
	      const char *device)
{
	struct notify_call *c = text_call(n, call_id);

	if (c == NULL) {
		if (n->calls == NULL) {
			n->calls = calloc(NOTIFY_MAX_CALLS, sizeof(*n->calls));
			if (n->calls == NULL)
				return;
		}
		if (n->ncalls == NOTIFY_MAX_CALLS) {
			/* Forget the oldest: it has long since ended. */
			memmove(n->calls, n->calls + 1,
				(NOTIFY_MAX_CALLS - 1) * sizeof(*n->calls));
			n->ncalls--;
		}
		c = &n->calls[n->ncalls++];
	}
	memset(c, 0, sizeof(*c));
	snprintf(c->call_id, sizeof(c->call_id), "%s", call_id);
	snprintf(c->who, sizeof(c->who), "%s", who);
	snprintf(c->device, sizeof(c->device), "%s", device);
}

void
notify_call_started(struct notifyd *n, const char *call_id, json_object *data)
{
	json_object *info = NULL;
	const char *who, *dev;

	json_object_object_get_ex(data, "info", &info);
	who = text_str(data, "company");
	if (who == NULL || *who == '\0')
		who = text_str(info, "company");
	if (who == NULL || *who == '\0')
		who = text_str(data, "number");
	dev = text_str(data, "device");
	text_remember(n, call_id, who ? who : "", dev ? dev : "");
	if (n->ob)
		outbox_call_put(n->ob, call_id, who ? who : "", dev ? dev : "");
}

static void
text_load_cb(void *arg, const char *call_id, const char *who,
	     const char *device)
{
	text_remember(arg, call_id, who, device);
}

void
notify_calls_load(struct notifyd *n)
{
	/* The newest calls, oldest first, as they were remembered. */
	outbox_calls(n->ob, NOTIFY_MAX_CALLS, text_load_cb, n);
}

void
notify_call_forget(struct notifyd *n, const char *call_id)
{
	struct notify_call *c = text_call(n, call_id);

	if (n->ob)
		outbox_call_del(n->ob, call_id);
	if (c == NULL)
		return;
	memmove(c, c + 1,
		(size_t)(n->calls + n->ncalls - (c + 1)) * sizeof(*c));
	n->ncalls--;
}

void
notify_calls_free(struct notifyd *n)
{
	free(n->calls);
	n->calls = NULL;
	n->ncalls = 0;
}

const char *
notify_call_device(struct notifyd *n, const char *call_id)
{
	struct notify_call *c = text_call(n, call_id);

	return c && c->device[0] ? c->device : NULL;
}

int
notify_text(struct notifyd *n, const char *event, const char *call_id,
	    json_object *data, time_t when, char **text, char **subject)
{
	struct notify_call *c = text_call(n, call_id);
	const char *who = c && c->who[0] ? c->who : "the company";
	const char *s;
	char at[16], t[1024], sub[256];
	struct tm tm;

	*text = *subject = NULL;
	localtime_r(&when, &tm);
	strftime(at, sizeof(at), "%H:%M", &tm);
	if (strcmp(event, "human_suspected") == 0) {
		snprintf(t, sizeof(t),
			 "a person at %s may have picked up at %s \u2014 stay "
			 "near your phone",
			 who, at);
		snprintf(sub, sizeof(sub), "a person at %s may have picked up",
			 who);
	} else if (strcmp(event, "human_detected") == 0) {
		snprintf(t, sizeof(t),
			 "a person at %s picked up at %s \u2014 your phone is "
			 "ringing",
			 who, at);
		snprintf(sub, sizeof(sub), "a person at %s picked up", who);
	} else if (strcmp(event, "human_retracted") == 0) {
		snprintf(t, sizeof(t),
			 "false alarm at %s: the voice at %s was a recording "
			 "\u2014 still on hold for you",
			 at, who);
		snprintf(sub, sizeof(sub), "false alarm, still on hold with %s",
			 who);
	} else if (strcmp(event, "transfer_retry") == 0) {
		long a = bus_json_int(data, "attempt", 0),
		     m = bus_json_int(data, "attempts", 0);
		s = text_str(data, "device");
		snprintf(t, sizeof(t),
			 "the agent at %s is still waiting \u2014 your phone "
			 "(%s) is ringing again, ring %ld of %ld",
			 who, s ? s : "your device", a, m);
		snprintf(sub, sizeof(sub), "%s is waiting, answer your phone",
			 who);
	} else if (strcmp(event, "info_missing") == 0) {
		const char *key = text_str(data, "key");
		const char *act = text_str(data, "action");
		snprintf(t, sizeof(t),
			 "%s asked for your %s at %s and the call has none "
			 "\u2014 %s; add it to the call's info next time",
			 who, key ? key : "details", at,
			 act && strcmp(act, "representative") == 0
			     ? "asking for a representative instead"
			     : "the call goes on without it");
		snprintf(sub, sizeof(sub), "%s asked for your %s", who,
			 key ? key : "details");
	} else if (strcmp(event, "hold_eta") == 0) {
		long m = bus_json_int(data, "minutes", -1);
		snprintf(t, sizeof(t),
			 "%s says the wait is about %ld minute%s (at %s) "
			 "\u2014 nothing to do yet",
			 who, m, m == 1 ? "" : "s", at);
		snprintf(sub, sizeof(sub), "about %ld min on hold with %s", m,
			 who);
	} else if (strcmp(event, "call_ended") == 0) {
		s = text_str(data, "reason");
		snprintf(t, sizeof(t), "the call to %s ended at %s (%s)", who,
			 at, s ? s : "hung up");
		snprintf(sub, sizeof(sub), "the call to %s ended", who);
	} else if (strcmp(event, "call_failed") == 0) {
		s = text_str(data, "reason");
		snprintf(t, sizeof(t),
			 "the call to %s failed at %s: %s \u2014 you may want "
			 "to try again",
			 who, at, s ? s : "no reason given");
		snprintf(sub, sizeof(sub), "the call to %s failed", who);
	} else {
		snprintf(t, sizeof(t), "%s at %s", event, at);
		snprintf(sub, sizeof(sub), "%s", event);
	}
	/* Names and prompts come from the network: no line breaks or other
	 * control characters reach a mail header or an HTTP header. */
	text_clean(t);
	text_clean(sub);
	*text = strdup(t);
	*subject = strdup(sub);
	if (*text == NULL || *subject == NULL) {
		free(*text);
		free(*subject);
		*text = *subject = NULL;
		return -ENOMEM;
	}
	return 0;
}
