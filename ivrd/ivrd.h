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
#include <regex.h>
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

/*
 * A step's conditions (holdslayer-flows(5)): while the step runs, the first
 * condition that matches what was heard decides where the flow goes.
 */
enum flow_cond_kind {
	FLOW_COND_TRANSCRIPT, /* words or phrases in the transcript */
	FLOW_COND_REGEX,      /* a regular expression on the transcript */
	FLOW_COND_AUDIO,      /* a class of audio_classified */
	FLOW_COND_TIMEOUT,    /* the step ended with nothing else matching */
};

/* Where a condition leads: a step index (>= 0) or one of these. */
#define FLOW_GOTO_NEXT (-1)    /* the step's own successor */
#define FLOW_GOTO_REPEAT (-2)  /* this step again */
#define FLOW_GOTO_EXPLORE (-3) /* hand the call to exploration */
#define FLOW_GOTO_FAIL (-4)    /* end the call as failed */

#define FLOW_CONDS_MAX 32
#define FLOW_MATCH_GROUPS 10 /* {match.0} .. {match.9} */
#define FLOW_MATCH_MAX 128   /* bytes kept of each group */

struct flow_cond {
	enum flow_cond_kind kind;
	char *value;  /* as written: alternatives, pattern or class */
	char **words; /* TRANSCRIPT: alternatives, normalised */
	size_t nwords;
	regex_t *re;  /* REGEX: compiled, case-insensitive */
	char *dtmf;   /* digits to send first (may hold placeholders), or NULL */
	char *then;   /* as written */
	int then_to;  /* step index or FLOW_GOTO_* */
	char *otherwise; /* "else" as written, or NULL */
	int else_to;	 /* when the retries are used up */
	int retries;	 /* times the condition may lead to then; -1: no limit */
	int slot;	 /* index among the flow's conditions */
};

/* What a condition matched: the regex groups ({match.N}), "" when unset. */
struct flow_match {
	char group[FLOW_MATCH_GROUPS][FLOW_MATCH_MAX];
};

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
	char *voice;	   /* SPEAK: metadata.voice, or NULL */
	json_object *conditions; /* owned; NULL when absent */
	json_object *metadata;	 /* owned; NULL when absent */
	struct flow_cond *conds; /* parsed conditions */
	size_t nconds;
	int dtmf_tmpl;		 /* DTMF: dtmf holds a placeholder */
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
	size_t nconds; /* conditions of every step (flow_cond.slot) */
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
/* Borrowed: the first flow whose phone_number has the same digits, or
 * for a sip: URI, the flow with the same URI (case aside). */
struct flow *flow_set_match_number(const struct flow_set *s,
				   const char *number);
/* Copies only the digits of s into out (always NUL-terminated). */
void flow_digits(const char *s, char *out, size_t outlen);
#define FLOW_URI_MAX 256  /* bytes of a sip: URI as a phone_number */
#define FLOW_NAME_PART 40 /* bytes of a URI's readable part in a name */
/* Whether s is a sip: or sips: URI. */
int flow_is_uri(const char *s);
/*
 * The stable name of a company's learned flow (its file name without
 * ".json", its id after "learned-"): a number's digits ("18005551234"),
 * or for a sip: URI "sip-" and its readable part (user@host:port, other
 * characters as '_') and the first 4 bytes of the SHA-256 of the whole URI
 * in hex ("sip-ivr_127.0.0.1_5090-1a2b3c4d").  Returns 0, or -EINVAL when
 * number has no digits and is no usable URI.
 */
int flow_number_name(const char *number, char *out, size_t outlen);

/*
 * Conditions, the pure part: call.c feeds what it hears to these.
 * flow_cond_match() tells whether one condition matches an event: kind is
 * FLOW_COND_TRANSCRIPT for transcript text (all that was heard during the
 * step; it serves TRANSCRIPT and REGEX conditions), FLOW_COND_AUDIO for an
 * audio class, FLOW_COND_TIMEOUT for the end of the step.  m (may be NULL)
 * receives the regex groups.  flow_conds_first() returns the index of the
 * first matching condition of s, or -1.
 */
int flow_cond_match(const struct flow_cond *k, enum flow_cond_kind kind,
		    const char *arg, struct flow_match *m);
int flow_conds_first(const struct flow_step *s, enum flow_cond_kind kind,
		     const char *arg, struct flow_match *m);
/*
 * Where condition k leads when it has already led somewhere fired times in
 * this call: then, or else once its retries are used up (*exhausted = 1).
 */
int flow_cond_target(const struct flow_cond *k, int fired, int *exhausted);
/*
 * Where a step with conditions goes when it ends with none matching:
 * FLOW_GOTO_EXPLORE when it listens for words (a menu it does not
 * recognise), else FLOW_GOTO_NEXT.
 */
int flow_step_unmatched(const struct flow_step *s);
/* "next", "repeat", "explore", "fail", or the step's id. */
const char *flow_goto_name(const struct flow *f, int to);

/*
 * Placeholders: {info.KEY} (from the call's info map), {intent} and
 * {match.N} (a group of the regex that matched).  flow_expand() writes tmpl
 * with each replaced into out.  info, intent and m may be NULL.  Returns 0;
 * -ENOENT when a value is missing (missing = "info.KEY"); -ENOSPC when out
 * is too small; -EINVAL for a malformed placeholder.  Values that are
 * numbers are written as integers.  flow_dtmf_expand() does the same for
 * digits: separators in values (space - . / ( )) are dropped, and any other
 * character but 0-9 * # is -EINVAL with err naming the key.
 */
int flow_expand(const char *tmpl, json_object *info, const char *intent,
		const struct flow_match *m, char *out, size_t outlen,
		char *missing, size_t mlen);
int flow_dtmf_expand(const char *tmpl, json_object *info,
		     const struct flow_match *m, char *out, size_t outlen,
		     char *err, size_t errlen);
/* Whether s holds a placeholder. */
int flow_has_placeholder(const char *s);

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

struct call_pending; /* a request of the call awaiting its answer (call.c) */

struct call {
	struct call *next;
	struct call_pending *pending; /* freed with the call */
	void *nav; /* the exploration's state (explore.c), NULL when none */
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
	int dtmf_info;	   /* the company leg takes digits as SIP INFO */
	int steps_run;
	int64_t t_step, t_call, t_aux; /* daemon timer ids, 0 when none */
	struct listen_det listen;
	/* conditions of the running step */
	char *heard;	     /* transcript heard during the step */
	size_t heard_len;
	int *cond_fired;     /* per flow_cond.slot: times it led somewhere */
	int64_t step_deadline; /* mono ms when the step's time runs out */
	int listen_grace;    /* the prompt ended: waiting for its transcript */
	int pending_to;	     /* where to go once a condition's digits are out */
	char pending_why[512];
	int menu_levels;     /* menu selections sent (limit max_menu_levels) */
	int exploring;	     /* handed to explore_start() */
	/* the hand-over */
	int hold_step;	     /* the HOLD step a retraction returns to, or -1 */
	int transfer_step;   /* the TRANSFER step running, or -1 */
	double transfer_timeout;
	int64_t t_hand;	     /* user_answer_s timer */
	int64_t transfer_t0; /* mono ms of the first ring */
	int user_attempts;   /* times the user's device was rung */
	int user_live;	     /* a user leg is ringing (or up) */
	int user_cancels;    /* user legs we cancelled whose end is due */
	int user_redial;     /* ring the user once the cancelled leg ended */
	/* info_missing */
	char missing_told[512]; /* keys told so far (nav_missing_once) */
	char prompt_heard[512]; /* what the step before this one heard */
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

/*
 * Control requests about a call never wait on the loop: the answer comes
 * to a call_reply_fn from a later turn, while the call lives (a call's
 * requests are cancelled when it is freed).  r is 0 (reply: the ok:true
 * object, borrowed), -ETIMEDOUT or -EREMOTEIO (err: "<daemon> is
 * unreachable: ..." or "<daemon>: <its error>").  note is what the caller
 * wrote for its continuation, copied at the request.
 */
struct call_note {
	char a[512];
	char b[768];
	char tag[256];
	int i;
	int seq;
	double x;
};
typedef void (*call_reply_fn)(struct call *c, int r, json_object *reply,
			      const char *err, const struct call_note *note);
/*
 * Sends req (consumed) about c to daemon; fn (may be NULL) gets the
 * answer.  Returns 0, or a negative errno with err set and no answer to
 * come.
 */
/* Who sends the company leg's digits: "sipd" (SIP INFO) when its answer
 * took no telephone-event (call_connected dtmf "info"), else "mediad". */
const char *call_dtmf_daemon(const struct call *c);
int call_request_async(struct call *c, const char *daemon, json_object *req,
		       call_reply_fn fn, const struct call_note *note,
		       char *err, size_t errlen);
const char *call_phase_name(enum call_phase p);
/*
 * Hands the call to exploration: cancels the step in progress, sets
 * c->exploring and calls explore_start(c, reason).
 */
void call_explore(struct call *c, const char *reason);
/*
 * Rings the user's device for the live person on the company leg (the
 * TRANSFER of an exploration): agent greeting, retries, and the bridge
 * once the user answers.  c may be gone on return (a failure ends it).
 * A human_retracted while the device rings cancels the ringing and sets
 * the phase back to on_hold before explore_event() sees it.
 */
void call_handover(struct call *c, const char *reason);
/*
 * For explore.c: call_run_flow() leaves exploration and runs flow f (a
 * reference is taken) from its first step; call_fail_explore() fails the
 * call (company leg) with reason.
 */
void call_run_flow(struct call *c, struct flow *f, const char *reason);
void call_fail_explore(struct call *c, const char *reason);
/*
 * Tells the user that the company asked for key (e.g. "account_number" or
 * "info.account_number") and the call's info has none: publishes
 * info_missing {key, prompt, action, reason} the first time key is missing
 * in this call (later calls for the same key do nothing).  prompt is the
 * transcript that asked (may be NULL or ""), action what ivrd did instead
 * ("representative", the digits pressed, "wait", ...), reason says it in
 * words.  Returns 1 when published, else 0.
 */
int call_info_missing(struct call *c, const char *key, const char *prompt,
		      const char *action, const char *reason);

/*
 * explore.c: the exploration navigator.  call.c calls these hooks; call.c
 * has weak stand-ins (explore_start fails the call, explore_available
 * returns 0) for a build without the navigator.
 *   explore_available(): 1 when calls without a flow can be explored.
 *   explore_start(c, reason): the flow cannot go on (or there is none);
 *       from now on the navigator drives the company leg.  reason says why
 *       (e.g. "missing info.account_number" or "step 'menu': nothing
 *       recognised after 2 retries").
 *   explore_event(c, ev): an event about a call with c->exploring set
 *       (classifyd's events and ivrd's own; sipd's are handled by call.c).
 *   explore_free(c): the call ends; release c->nav.
 */
int explore_available(void);
void explore_start(struct call *c, const char *reason);
void explore_event(struct call *c, const struct msg_event *ev);
void explore_free(struct call *c);

/*
 * apictl.c: the flow and transfer commands behind apid's routes.
 *   apictl_ctl(): flow_get, flow_put, flow_delete, transfer; -ENOENT for
 *       any other command.
 *   apictl_load(): loads FLOWSDIR/api/ (flows made through the API) into
 *       iv->flows; a shipped flow with the same id wins.
 *   apictl_flow_summary(): adds a flow's counts, tags and source to its
 *       "flows" list entry o.
 */
int apictl_ctl(struct ivrd *iv, struct bus_ctl_req *req);
void apictl_load(struct ivrd *iv, const char *flowsdir);
void apictl_flow_summary(const struct flow *f, const char *flowsdir,
			 json_object *o);

#endif
