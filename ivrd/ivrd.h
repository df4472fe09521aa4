/*
 * ivrd: private declarations, grouped by source file.
 *
 * flow.c loads and validates call flows (pure: files in, structs or error
 * text out, no bus); listen.c is the end-of-prompt detector used by LISTEN
 * steps (pure); call.c is the per-call state machine that runs a flow's steps
 * over the bus; ivrd.c holds main(), the control commands and the bus glue.
 */
#ifndef HS_IVRD_H
#define HS_IVRD_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "msg.h"

/* flow.c */

enum flow_step_type {
	FLOW_STEP_DTMF,
	FLOW_STEP_WAIT,
	FLOW_STEP_LISTEN,
	FLOW_STEP_HOLD,
	FLOW_STEP_SPEAK,
	FLOW_STEP_TRANSFER,
};

#define FLOW_ID_MAX 128
#define FLOW_TIMEOUT_MAX_S 86400.0 /* one day: the bound of every timeout */

struct flow_step {
	char *id;
	enum flow_step_type type;
	char *description; /* "" when absent */
	char *dtmf;	   /* DTMF: the digits; NULL otherwise */
	double timeout;	   /* seconds; 0 when absent */
	char *next_step;   /* NULL: the following step in the array */
	int next;	   /* index of next_step, or -1 */
	char *text;	   /* SPEAK: metadata.text, else the description */
	char *device;	   /* TRANSFER: metadata.device, or NULL */
	json_object *conditions; /* owned; NULL when absent */
	json_object *metadata;	 /* owned; NULL when absent */
};

struct flow {
	int refs;
	char *path; /* the file it was read from */
	char *id;
	char *name;
	char *company;	    /* "" when absent */
	char *phone_number;
	char *description;  /* "" when absent */
	char *created_at;   /* NULL when absent */
	char *updated_at;   /* NULL when absent */
	long version;	    /* 1 when absent */
	json_object *tags;  /* owned array of strings; NULL when absent */
	long success_count;
	long fail_count;
	struct flow_step *steps;
	size_t nsteps;
};

struct flow_set {
	struct flow **flows;
	size_t n;
};

/* "DTMF", "WAIT", ... */
const char *flow_step_type_name(enum flow_step_type t);

/*
 * Parses and validates one flow from text (len bytes); path only names the
 * source in messages.  On success *out is a new flow with one reference
 * (release with flow_unref()).  On error returns -EINVAL and writes one line
 * to err naming the file, the step and the field, e.g.
 * "flows/bank.json: step 'menu2': dtmf: '12x' has a character that is not
 * a DTMF digit", or for bad JSON "flows/bank.json:3:14: JSON syntax error:
 * ...".
 */
int flow_parse(struct flow **out, const char *path, const char *text,
	       size_t len, char *err, size_t errlen);
/* Reads path and calls flow_parse(); -errno when it cannot be read. */
int flow_load_file(struct flow **out, const char *path, char *err,
		   size_t errlen);
struct flow *flow_ref(struct flow *f);
void flow_unref(struct flow *f); /* accepts NULL */

/*
 * Loads every *.json in dir (sorted by name).  Each invalid file is reported
 * through log_warnx() and skipped, as is a second file with an id already
 * loaded.  *nerrors (may be NULL) counts the files skipped.  Returns 0 with
 * *out set (possibly empty), or -errno when dir cannot be opened (err says
 * why).
 */
int flow_set_load(struct flow_set **out, const char *dir, int *nerrors,
		  char *err, size_t errlen);
void flow_set_free(struct flow_set *s); /* accepts NULL */
/* Borrowed: the flow with that id, or NULL. */
struct flow *flow_set_find(const struct flow_set *s, const char *id);
/* Borrowed: the first flow whose phone_number has the same digits. */
struct flow *flow_set_match_number(const struct flow_set *s,
				   const char *number);
/* Copies only the digits of s into out (always NUL-terminated). */
void flow_digits(const char *s, char *out, size_t outlen);

/* listen.c */

/*
 * The end of a spoken prompt: some speech, then at least quiet_s seconds
 * without speech.  Fed with each audio_classified class and its time t
 * (seconds on the leg's clock).
 */
struct listen_det {
	double quiet_s;
	int heard;	    /* speech seen since the start */
	double last_speech; /* t of the latest speech window */
	double speech_s;    /* rough seconds of speech heard */
	double last_t;	    /* t of the latest window, -1 before any */
	int done;
};

void listen_init(struct listen_det *l, double quiet_s);
/* Returns 1 when the prompt has ended (and keeps returning 1), else 0. */
int listen_feed(struct listen_det *l, const char *cls, double t);

/* call.c */

enum call_mode { CALL_MODE_HOLD_SLAYER, CALL_MODE_DIRECT };

enum call_phase {
	CALL_DIALING,
	CALL_IVR,
	CALL_ON_HOLD,
	CALL_TRANSFERRING,
	CALL_BRIDGED,
	CALL_ENDED,
};

struct ivrd;

struct call {
	struct call *next;
	struct ivrd *ivrd;
	struct daemon *d;
	char id[MSG_CALL_ID_MAX];
	enum call_mode mode;
	enum call_phase phase;
	char *number;
	char *uri;	  /* company leg */
	char *device;	  /* device name (or the URI given as device) */
	char *device_uri; /* user leg */
	char *intent;
	json_object *info;
	struct flow *flow; /* a reference; NULL in direct mode */
	int step;	   /* index of the running step, -1 before the first */
	int device_given;  /* the request named the device: it wins */
	int company_up, user_dialed, user_up;
	int steps_run;
	int64_t t_step, t_call, t_aux; /* daemon timer ids, 0 when none */
	struct listen_det listen;
};

/* The daemon state. */
struct ivrd {
	struct daemon *d;
	struct flow_set *flows;
	struct call *calls;
	int64_t down_until[2]; /* sipd, mediad: timed out, until (mono ms) */
};

/*
 * Creates the call (borrowing nothing: strings are copied, flow gets a
 * reference) and schedules the company dial.  *out is owned by iv->calls.
 */
int call_new(struct call **out, struct ivrd *iv, const char *call_id,
	     enum call_mode mode, const char *number, const char *uri,
	     const char *device, const char *device_uri, int device_given,
	     const char *intent, json_object *info, struct flow *flow);
struct call *call_find(struct ivrd *iv, const char *call_id);
/* Handles one event about c. */
void call_event(struct call *c, const struct msg_event *ev);
/*
 * Ends the call: hangs up every leg, closes the media legs, publishes
 * call_state ended and frees c.  reason is logged.
 */
void call_end(struct call *c, const char *reason);
/* Ends every call (daemon shutdown). */
void call_end_all(struct ivrd *iv);
const char *call_phase_name(enum call_phase p);

#endif
