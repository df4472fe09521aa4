/*
 * call: one call driven by ivrd.  A call dials the company through sipd,
 * runs its flow's steps when the company answers (DTMF through mediad,
 * WAIT and LISTEN on timers and audio_classified, HOLD until classifyd's
 * human_detected), then rings the user's device and has mediad bridge the
 * two legs.  Every step starts with an ivr_step event; every phase change is
 * a call_state event.  When either leg ends, the other is hung up, the media
 * legs are closed and the call is freed.  All waiting is on daemon timers,
 * which are cancelled when the call ends, and on the answers to requests
 * to sipd and mediad, which continue the call in a callback (never waited
 * for on the loop) and are forgotten when the call ends.
 *
 * A step with conditions (holdslayer-flows(5)) is watched while it runs:
 * the transcript heard during the step (transcript_chunk) and the audio
 * classes are matched, and the first condition that matches decides where
 * the flow goes.  A flow that cannot go on (nothing recognised, a value
 * missing from the call's info) is handed to exploration (explore_start),
 * not hung up.  The hand-over greets the agent while the user's phone
 * rings, keeps the agent on the line when the user is slow to answer, and
 * goes back to hold when classifyd retracts the live person.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivrd.h"
#include "log.h"
#include "nav.h"

#define CALL_LISTEN_DEFAULT_S 15.0 /* LISTEN without a timeout */
#define CALL_LISTEN_QUIET_S 1.0	   /* non-speech that ends a prompt */
#define CALL_DTMF_MS 200	   /* per digit: 100 ms tone + 100 ms gap */
#define CALL_DTMF_SETTLE_MS 300	   /* after the last digit */
#define CALL_MAX_STEPS 10000	   /* a flow that loops for ever */
#define CALL_GRACE_S 6.0	   /* after a prompt: its transcript's delay */
#define CALL_HEARD_MAX 8192	   /* transcript kept for a step */
#define CALL_SPEAK_PAD_MS 300	   /* after spoken text */

static const char *const call_phase_names[] = {
    [CALL_DIALING] = "dialing",		[CALL_IVR] = "ivr",
    [CALL_ON_HOLD] = "on_hold",		[CALL_TRANSFERRING] = "transferring",
    [CALL_BRIDGED] = "bridged",		[CALL_ENDED] = "ended",
};

const char *
call_phase_name(enum call_phase p)
{
	return (size_t)p < sizeof(call_phase_names) / sizeof(call_phase_names[0])
		   ? call_phase_names[p]
		   : "?";
}

static void call_run_step(struct call *c, int idx, const char *reason);
static void call_goto(struct call *c, int to, const char *why);
static int call_user_dial(struct call *c);

/*
 * Stand-ins for the exploration navigator (explore.c): without it, a flow
 * that cannot go on fails the call with the reason.
 */
__attribute__((weak)) int
explore_available(void)
{
	return 0;
}

__attribute__((weak)) void
explore_event(struct call *c, const struct msg_event *ev)
{
	(void)c;
	(void)ev;
}

__attribute__((weak)) void
explore_free(struct call *c)
{
	(void)c;
}

static struct bus *
call_bus(struct call *c)
{
	return daemon_bus(c->d);
}

static void
call_publish(struct call *c, enum msg_type type, json_object *data)
{
	bus_publish(call_bus(c), type, c->id, data);
}

static void
call_set_phase(struct call *c, enum call_phase p)
{
	json_object *o;

	if (c->phase == p)
		return;
	log_info("call %s: %s -> %s", c->id, call_phase_name(c->phase),
		 call_phase_name(p));
	c->phase = p;
	o = json_object_new_object();
	json_object_object_add(o, "state",
			       json_object_new_string(call_phase_name(p)));
	call_publish(c, MSG_call_state, o);
}

/* Clean-up requests wait this long, and skip a daemon that just timed out. */
#define CALL_CLEANUP_TIMEOUT_MS 500
#define CALL_DOWN_HOLDOFF_MS 5000

static int
call_daemon_index(const char *daemon)
{
	return strcmp(daemon, "sipd") == 0 ? 0 : 1;
}

/*
 * A request in flight.  c is NULL for a clean-up request (call_end), which
 * outlives the call: it only logs its failure, naming call_id and what.
 */
struct call_pending {
	struct call_pending *next;
	struct ivrd *iv;
	struct call *c;
	int daemon; /* call_daemon_index() */
	call_reply_fn fn;
	struct call_note note;
	char call_id[MSG_CALL_ID_MAX];
	char what[48];
	int warn_timeout; /* clean-up: a timeout is a warning, not debug */
};

static void
call_pending_cb(void *arg, enum bus_reply_status st, json_object *reply,
		const char *err)
{
	struct call_pending *p = arg, **pp;
	int64_t *down = &p->iv->down_until[p->daemon];
	int r = st == BUS_REPLY_OK	    ? 0
		: st == BUS_REPLY_TIMEOUT ? -ETIMEDOUT
					  : -EREMOTEIO;

	if (r == -ETIMEDOUT)
		*down = msg_mono_ms() + CALL_DOWN_HOLDOFF_MS;
	else
		*down = 0;
	if (p->c == NULL) {
		if (r == -ETIMEDOUT && p->warn_timeout)
			log_warnx("call %s: %s: %s", p->call_id, p->what, err);
		else if (r < 0)
			log_debug("call %s: %s: %s", p->call_id, p->what, err);
		free(p);
		return;
	}
	for (pp = &p->c->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->fn)
		p->fn(p->c, r, st == BUS_REPLY_OK ? reply : NULL, err,
		      &p->note);
	free(p);
}

/* Sends req (consumed); p (owned from here) says what to do with the
 * answer.  Returns 0, or a negative errno with err set (p freed). */
static int
call_send(struct call *c, const char *daemon, json_object *req, int cleanup,
	  struct call_pending *p, char *err, size_t errlen)
{
	int64_t *down = &c->ivrd->down_until[call_daemon_index(daemon)];
	int64_t r;

	err[0] = '\0';
	p->iv = c->ivrd;
	p->daemon = call_daemon_index(daemon);
	snprintf(p->call_id, sizeof(p->call_id), "%s", c->id);
	if (cleanup && *down > msg_mono_ms()) {
		snprintf(err, errlen, "%s is unreachable (not asked again yet)",
			 daemon);
		json_object_put(req);
		free(p);
		return -ETIMEDOUT;
	}
	r = daemon_request(c->d, daemon, req,
			   cleanup ? CALL_CLEANUP_TIMEOUT_MS : 0,
			   p->c, call_pending_cb, p, err, errlen);
	json_object_put(req);
	if (r < 0) {
		free(p);
		return (int)r;
	}
	if (p->c != NULL) {
		p->next = c->pending;
		c->pending = p;
	}
	return 0;
}

int
call_request_async(struct call *c, const char *daemon, json_object *req,
		   call_reply_fn fn, const struct call_note *note, char *err,
		   size_t errlen)
{
	struct call_pending *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		json_object_put(req);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p->c = c;
	p->fn = fn;
	if (note)
		p->note = *note;
	return call_send(c, daemon, req, 0, p, err, errlen);
}

/*
 * A clean-up request (consumed) as the call ends: it waits at most
 * CALL_CLEANUP_TIMEOUT_MS, and is not sent at all (-ETIMEDOUT) to a daemon
 * that timed out in the last CALL_DOWN_HOLDOFF_MS, so that ending calls
 * while a peer is down does not flood it.  Its answer is only logged (what
 * names it); a failure to send is returned with err set.
 */
static int
call_cleanup(struct call *c, const char *daemon, json_object *req,
	     const char *what, int warn_timeout, char *err, size_t errlen)
{
	struct call_pending *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		json_object_put(req);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->warn_timeout = warn_timeout;
	return call_send(c, daemon, req, 1, p, err, errlen);
}

static json_object *
call_req_new(struct call *c, const char *cmd, const char *leg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	json_object_object_add(o, "call_id", json_object_new_string(c->id));
	if (leg)
		json_object_object_add(o, "leg", json_object_new_string(leg));
	return o;
}

static void
call_cancel_timers(struct call *c)
{
	if (c->t_step)
		daemon_timer_cancel(c->d, c->t_step);
	if (c->t_call)
		daemon_timer_cancel(c->d, c->t_call);
	if (c->t_aux)
		daemon_timer_cancel(c->d, c->t_aux);
	if (c->t_hand)
		daemon_timer_cancel(c->d, c->t_hand);
	c->t_step = c->t_call = c->t_aux = c->t_hand = 0;
}

static void
call_free(struct call *c)
{
	struct call **pp;

	for (pp = &c->ivrd->calls; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	call_cancel_timers(c);
	/* No answer may reach the call once it is gone. */
	daemon_request_cancel(c->d, c);
	while (c->pending) {
		struct call_pending *p = c->pending;
		c->pending = p->next;
		free(p);
	}
	explore_free(c);
	flow_unref(c->flow);
	json_object_put(c->info);
	free(c->heard);
	free(c->cond_fired);
	free(c->number);
	free(c->uri);
	free(c->device);
	free(c->device_uri);
	free(c->intent);
	free(c);
}

void
call_end(struct call *c, const char *reason)
{
	char err[512];
	int r;

	if (c->phase == CALL_ENDED)
		return;
	log_info("call %s: ending: %s", c->id, reason);
	call_cancel_timers(c);
	/* Every leg sipd still has for this call. */
	r = call_cleanup(c, "sipd", call_req_new(c, "hangup", NULL), "hangup",
			 1, err, sizeof(err));
	if (r == -ETIMEDOUT)
		log_warnx("call %s: hangup: %s", c->id, err);
	else if (r < 0)
		log_debug("call %s: hangup: %s", c->id, err);
	r = call_cleanup(c, "mediad", call_req_new(c, "leg_close", "company"),
			 "leg_close company", 0, err, sizeof(err));
	if (r < 0)
		log_debug("call %s: leg_close company: %s", c->id, err);
	if (c->user_dialed) {
		r = call_cleanup(c, "mediad",
				 call_req_new(c, "leg_close", "user"),
				 "leg_close user", 0, err, sizeof(err));
		if (r < 0)
			log_debug("call %s: leg_close user: %s", c->id, err);
	}
	call_set_phase(c, CALL_ENDED);
	call_free(c);
}

/* Publishes ivrd's own call_failed for leg, then ends the call. */
static void
call_fail(struct call *c, const char *leg, const char *reason)
{
	json_object *o = json_object_new_object();

	log_warnx("call %s: %s leg failed: %s", c->id, leg, reason);
	json_object_object_add(o, "leg", json_object_new_string(leg));
	json_object_object_add(o, "code", json_object_new_int(0));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	call_publish(c, MSG_call_failed, o);
	call_end(c, reason);
}

void
call_end_all(struct ivrd *iv)
{
	while (iv->calls)
		call_end(iv->calls, "ivrd is stopping");
}

struct call *
call_find(struct ivrd *iv, const char *call_id)
{
	for (struct call *c = iv->calls; c; c = c->next)
		if (strcmp(c->id, call_id) == 0)
			return c;
	return NULL;
}

/* Without the navigator: the flow cannot go on, so the call fails. */
__attribute__((weak)) void
explore_start(struct call *c, const char *reason)
{
	char why[768];

	snprintf(why, sizeof(why), "%s (no exploration navigator)", reason);
	call_fail(c, "company", why);
}

static void
call_step_timer_set(struct call *c, int64_t ms, daemon_timer_cb cb)
{
	if (c->t_step)
		daemon_timer_cancel(c->d, c->t_step);
	c->t_step = daemon_timer_add(c->d, ms < 0 ? 0 : ms, cb, c);
	if (c->t_step < 0) {
		log_warnx("call %s: no timer slot left", c->id);
		c->t_step = 0;
	}
}

static void
call_step_timer_cancel(struct call *c)
{
	if (c->t_step) {
		daemon_timer_cancel(c->d, c->t_step);
		c->t_step = 0;
	}
}

void
call_explore(struct call *c, const char *reason)
{
	log_info("call %s: exploring: %s", c->id, reason);
	call_step_timer_cancel(c);
	c->exploring = 1;
	c->listen_grace = 0;
	call_set_phase(c, CALL_IVR);
	explore_start(c, reason);
}

/*
 * Exploration's way back to the flow runner: runs flow f (a reference is
 * taken) from its first step, e.g. the HOLD and TRANSFER of a menu explored
 * to its queue.
 */
void
call_run_flow(struct call *c, struct flow *f, const char *reason)
{
	free(c->cond_fired);
	c->cond_fired = f->nconds ? calloc(f->nconds, sizeof(*c->cond_fired))
				  : NULL;
	flow_unref(c->flow);
	c->flow = flow_ref(f);
	c->exploring = 0;
	c->hold_step = c->transfer_step = -1;
	call_run_step(c, 0, reason);
}

/* Exploration gave up: the call fails with reason. */
void
call_fail_explore(struct call *c, const char *reason)
{
	call_fail(c, "company", reason);
}

/* An ivr_step about step s that is not its start (reason says what). */
static void
call_publish_step(struct call *c, const struct flow_step *s,
		  const char *reason)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "step_id", json_object_new_string(s->id));
	json_object_object_add(
	    o, "type", json_object_new_string(flow_step_type_name(s->type)));
	json_object_object_add(o, "description",
			       json_object_new_string(s->description));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	call_publish(c, MSG_ivr_step, o);
}

int
call_info_missing(struct call *c, const char *key, const char *prompt,
		  const char *action, const char *reason)
{
	json_object *o;

	if (!nav_missing_once(c->missing_told, sizeof(c->missing_told), key))
		return 0;
	if (strncmp(key, "info.", 5) == 0)
		key += 5;
	o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "prompt",
			       json_object_new_string(prompt ? prompt : ""));
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	log_notice("call %s: the company asks for %s, which the call's info "
		   "does not have: %s",
		   c->id, key, action);
	call_publish(c, MSG_info_missing, o);
	return 1;
}

/*
 * The call's info has no value for key ("info.account_number"): nothing is
 * guessed; the user is told (info_missing, and the ivr_step's reason) and
 * exploration takes the representative route.
 */
static void
call_missing_info(struct call *c, const struct flow_step *s, const char *key,
		  const char *what)
{
	char why[512];
	const char *prompt = c->heard_len      ? c->heard
			     : c->prompt_heard[0] ? c->prompt_heard
						  : s->description;

	snprintf(why, sizeof(why),
		 "missing %s: the call was started without it, so %s cannot "
		 "be answered; taking the representative route",
		 key, what);
	call_publish_step(c, s, why);
	call_info_missing(c, key, prompt, "representative", why);
	call_explore(c, why);
}

/* The current step is over: run the next one (next_step, else the
 * following one), or fail the call when the flow ran out of steps. */
static void
call_step_done(struct call *c, const char *why)
{
	const struct flow_step *s = &c->flow->steps[c->step];
	char reason[768];
	int next;

	call_step_timer_cancel(c);
	next = s->next >= 0 ? s->next : c->step + 1;
	if ((size_t)next >= c->flow->nsteps) {
		snprintf(reason, sizeof(reason),
			 "flow '%s' ended after step '%s' without a TRANSFER "
			 "step",
			 c->flow->id, s->id);
		call_fail(c, "company", reason);
		return;
	}
	snprintf(reason, sizeof(reason), "%s '%s': %s",
		 s->next >= 0 ? "next_step of" : "after", s->id, why);
	call_run_step(c, next, reason);
}

/* Goes where a condition (or the lack of one) leads. */
static void
call_goto(struct call *c, int to, const char *why)
{
	const struct flow_step *s = &c->flow->steps[c->step];
	char reason[768];

	call_step_timer_cancel(c);
	c->listen_grace = 0;
	switch (to) {
	case FLOW_GOTO_NEXT:
		call_step_done(c, why);
		return;
	case FLOW_GOTO_REPEAT:
		snprintf(reason, sizeof(reason), "step '%s' again: %s", s->id,
			 why);
		call_run_step(c, c->step, reason);
		return;
	case FLOW_GOTO_EXPLORE:
		snprintf(reason, sizeof(reason), "step '%s': %s", s->id, why);
		call_explore(c, reason);
		return;
	case FLOW_GOTO_FAIL:
		snprintf(reason, sizeof(reason), "step '%s': %s", s->id, why);
		call_fail(c, "company", reason);
		return;
	default:
		snprintf(reason, sizeof(reason), "from step '%s': %s", s->id,
			 why);
		call_run_step(c, to, reason);
		return;
	}
}

static void
call_on_goto_timer(struct daemon *d, void *arg)
{
	struct call *c = arg;

	(void)d;
	c->t_step = 0;
	call_goto(c, c->pending_to, c->pending_why);
}

/*
 * Sends digits to the company for step s and publishes ivr_dtmf_sent.
 * menu: they choose a menu option (counted against [ivr] max_menu_levels).
 * Returns 0, or -1 when the call was failed (c is gone).
 */
const char *
call_dtmf_daemon(const struct call *c)
{
	return c->dtmf_info ? "sipd" : "mediad";
}

static void
call_dtmf_failed(struct call *c, const char *digits, int menu,
		 const char *err)
{
	const char *by = call_dtmf_daemon(c);
	char why[768];

	snprintf(why, sizeof(why), "cannot send DTMF '%s': %s%s%s",
		 menu ? digits : "(info)",
		 strstr(err, by) == err ? "" : by,
		 strstr(err, by) == err ? "" : ": ", err);
	call_fail(c, "company", why);
}

/* mediad's (or sipd's) answer to dtmf: ivr_dtmf_sent, or the call fails.  note: a
 * the digits, b the reason, tag the step id, i menu. */
static void
call_dtmf_sent(struct call *c, int r, json_object *reply, const char *err,
	       const struct call_note *note)
{
	json_object *o;

	(void)reply;
	if (r < 0) {
		call_dtmf_failed(c, note->a, note->i, err);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "digits", json_object_new_string(note->a));
	json_object_object_add(o, "step_id", json_object_new_string(note->tag));
	json_object_object_add(o, "reason", json_object_new_string(note->b));
	call_publish(c, MSG_ivr_dtmf_sent, o);
}

static int
call_send_dtmf(struct call *c, const struct flow_step *s, const char *digits,
	       int menu, const char *reason)
{
	const struct conf *conf = daemon_conf(c->d);
	json_object *req;
	struct call_note note = {0};
	char err[512], why[768];

	if (menu && ++c->menu_levels > conf->ivr_max_menu_levels) {
		snprintf(why, sizeof(why),
			 "more than [ivr] max_menu_levels (%ld) menu "
			 "selections in this call (step '%s' would press "
			 "'%s'): the menu goes round in circles",
			 conf->ivr_max_menu_levels, s->id, digits);
		call_fail(c, "company", why);
		return -1;
	}
	req = call_req_new(c, "dtmf", "company");
	json_object_object_add(req, "digits", json_object_new_string(digits));
	snprintf(note.a, sizeof(note.a), "%s", digits);
	snprintf(note.b, sizeof(note.b), "%s", reason);
	snprintf(note.tag, sizeof(note.tag), "%s", s->id);
	note.i = menu;
	if (call_request_async(c, call_dtmf_daemon(c), req, call_dtmf_sent,
			       &note, err, sizeof(err)) < 0) {
		call_dtmf_failed(c, digits, menu, err);
		return -1;
	}
	return 0;
}

static int64_t
call_dtmf_ms(const char *digits)
{
	return (int64_t)strlen(digits) * CALL_DTMF_MS + CALL_DTMF_SETTLE_MS;
}

/*
 * Condition idx of the running step matched (m: its regex groups, may be
 * NULL; what: what was heard, for the reason): send its digits, if any,
 * then go where it leads.
 */
static void
call_cond_fire(struct call *c, int idx, const struct flow_match *m,
	       const char *what)
{
	const struct flow_step *s = &c->flow->steps[c->step];
	const struct flow_cond *k = &s->conds[idx];
	int fired = c->cond_fired ? c->cond_fired[k->slot] : 0;
	int exhausted, to;
	char why[352], digits[128], err[256];
	int r;

	to = flow_cond_target(k, fired, &exhausted);
	if (!exhausted && c->cond_fired)
		c->cond_fired[k->slot]++;
	if (exhausted)
		snprintf(why, sizeof(why),
			 "condition %d (%s) used up its %d retr%s: %s", idx + 1,
			 k->kind == FLOW_COND_TIMEOUT ? "timeout" : k->value,
			 k->retries, k->retries == 1 ? "y" : "ies", what);
	else
		snprintf(why, sizeof(why), "condition %d (%s): %s", idx + 1,
			 k->kind == FLOW_COND_TIMEOUT ? "timeout" : k->value,
			 what);
	log_info("call %s: step '%s': %s -> %s", c->id, s->id, why,
		 flow_goto_name(c->flow, to));
	if (exhausted || k->dtmf == NULL) {
		call_goto(c, to, why);
		return;
	}
	r = flow_dtmf_expand(k->dtmf, c->info, m, digits, sizeof(digits), err,
			     sizeof(err));
	if (r == -ENOENT && strncmp(err, "info.", 5) == 0) {
		call_missing_info(c, s, err, "the menu's prompt");
		return;
	}
	if (r < 0) {
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 "; its digits cannot be sent: %s", err);
		call_explore(c, why);
		return;
	}
	if (call_send_dtmf(c, s, digits, !flow_has_placeholder(k->dtmf) ||
					     strstr(k->dtmf, "{match.") != NULL,
			   why) < 0)
		return;
	c->pending_to = to;
	snprintf(c->pending_why, sizeof(c->pending_why), "%s; pressed %s", why,
		 digits);
	call_step_timer_set(c, call_dtmf_ms(digits), call_on_goto_timer);
}

/*
 * The running step (with conditions) ended without a condition matching
 * its words or sounds: the timeout condition, else the default.
 */
static void
call_step_unmatched(struct call *c, const char *what)
{
	const struct flow_step *s = &c->flow->steps[c->step];
	char why[512];
	int idx = flow_conds_first(s, FLOW_COND_TIMEOUT, NULL, NULL);

	if (idx >= 0) {
		call_cond_fire(c, idx, NULL, what);
		return;
	}
	if (flow_step_unmatched(s) == FLOW_GOTO_EXPLORE) {
		snprintf(why, sizeof(why),
			 "nothing recognised (%s; heard \"%.200s\")", what,
			 c->heard_len ? c->heard : "");
		call_goto(c, FLOW_GOTO_EXPLORE, why);
		return;
	}
	call_step_done(c, what);
}

static void
call_on_step_timer(struct daemon *d, void *arg)
{
	struct call *c = arg;
	const struct flow_step *s = &c->flow->steps[c->step];
	const struct conf *conf = daemon_conf(d);
	char why[256];

	c->t_step = 0;
	switch (s->type) {
	case FLOW_STEP_DTMF:
		call_step_done(c, "digits sent");
		break;
	case FLOW_STEP_WAIT:
		snprintf(why, sizeof(why), "waited %g s", s->timeout);
		if (s->nconds)
			call_step_unmatched(c, why);
		else
			call_step_done(c, why);
		break;
	case FLOW_STEP_LISTEN:
		if (c->listen_grace)
			snprintf(why, sizeof(why), "the prompt ended");
		else
			snprintf(why, sizeof(why),
				 "no end of prompt within %g s",
				 s->timeout > 0 ? s->timeout
						: CALL_LISTEN_DEFAULT_S);
		c->listen_grace = 0;
		if (s->nconds)
			call_step_unmatched(c, why);
		else
			call_step_done(c, why);
		break;
	case FLOW_STEP_SPEAK:
		call_step_done(c, "spoken");
		break;
	case FLOW_STEP_HOLD:
		snprintf(why, sizeof(why),
			 "hold exceeded %g s without a live person (step '%s')",
			 s->timeout > 0 && s->timeout < conf->ivr_max_hold_s
			     ? s->timeout
			     : (double)conf->ivr_max_hold_s,
			 s->id);
		if (flow_conds_first(s, FLOW_COND_TIMEOUT, NULL, NULL) >= 0)
			call_step_unmatched(c, why);
		else
			call_fail(c, "company", why);
		break;
	case FLOW_STEP_TRANSFER:
		snprintf(why, sizeof(why),
			 "the user's device did not answer within %g s",
			 s->timeout);
		call_fail(c, "user", why);
		break;
	}
}

static void
call_on_max_timer(struct daemon *d, void *arg)
{
	struct call *c = arg;
	char why[128];

	c->t_call = 0;
	snprintf(why, sizeof(why), "call exceeded [ivr] max_call_s (%ld s)",
		 daemon_conf(d)->ivr_max_call_s);
	call_fail(c, "company", why);
}

/*
 * mediad's answer to say: note->x is what to do with the seconds of speech
 * queued: 0 nothing; 1 the SPEAK step note->i (run as note->seq) waits
 * them out.  A failure is logged (speaking is never worth the call).
 */
static void
call_spoken(struct call *c, int r, json_object *reply, const char *err,
	    const struct call_note *note)
{
	json_object *v;
	double secs = -1;

	if (r < 0)
		log_warnx("call %s: cannot speak \"%.40s\": %s", c->id, note->a,
			  err);
	else if (json_object_object_get_ex(reply, "seconds", &v))
		secs = json_object_get_double(v);
	else
		secs = 0;
	if (note->x > 0 && c->step == note->i && c->steps_run == note->seq)
		call_step_timer_set(c,
				    secs > 0 ? (int64_t)(secs * 1000) +
						   CALL_SPEAK_PAD_MS
					     : 0,
				    call_on_step_timer);
}

/*
 * Speaks text to the company leg through mediad "say".  With step set, the
 * running SPEAK step ends once the speech has played (or at once when
 * nothing is spoken).  Returns 0 when asked, -1 when not (logged).
 */
static int
call_say(struct call *c, const char *text, const char *voice, int step)
{
	json_object *req;
	struct call_note note = {0};
	char err[512];

	if (text == NULL || text[0] == '\0' || !c->company_up)
		goto fail;
	req = call_req_new(c, "say", "company");
	json_object_object_add(req, "text", json_object_new_string(text));
	if (voice)
		json_object_object_add(req, "voice",
				       json_object_new_string(voice));
	snprintf(note.a, sizeof(note.a), "%s", text);
	note.x = step;
	note.i = c->step;
	note.seq = c->steps_run;
	if (call_request_async(c, "mediad", req, call_spoken, &note, err,
			       sizeof(err)) < 0) {
		log_warnx("call %s: cannot speak \"%.40s\": %s", c->id, text,
			  err);
		goto fail;
	}
	return 0;
fail:
	if (step)
		call_step_timer_set(c, 0, call_on_step_timer);
	return -1;
}

/* ---- the hand-over ---- */

/*
 * Rings the user's device (again); c->device and c->device_uri are set.
 * Returns 0, or -1 when the call failed (c is gone).
 */
/* sipd's answer to the user's dial (attempt note->i): a refusal fails
 * the call, as long as that attempt is still the one ringing. */
static void
call_user_dialled(struct call *c, int r, json_object *reply, const char *err,
		  const struct call_note *note)
{
	char why[640];

	(void)reply;
	if (r == 0)
		return;
	if (!c->user_live || c->user_attempts != note->i) {
		log_info("call %s: an earlier ring of the user failed: %s",
			 c->id, err);
		return;
	}
	c->user_live = 0;
	snprintf(why, sizeof(why), "%s%s",
		 strstr(err, "sipd") == err ? "" : "sipd: ", err);
	call_fail(c, "user", why);
}

static int
call_user_dial(struct call *c)
{
	json_object *req;
	struct call_note note = {0};
	char err[512], why[640];

	if (c->user_cancels > 0) {
		/* The cancelled ring has not ended yet: sipd would refuse a
		 * second live user leg. */
		c->user_redial = 1;
		return 0;
	}
	c->user_redial = 0;
	c->user_attempts++;
	req = call_req_new(c, "dial", "user");
	json_object_object_add(req, "uri",
			       json_object_new_string(c->device_uri));
	c->user_dialed = 1;
	c->user_live = 1;
	log_info("call %s: ringing %s (%s), attempt %d", c->id, c->device,
		 c->device_uri, c->user_attempts);
	note.i = c->user_attempts;
	if (call_request_async(c, "sipd", req, call_user_dialled, &note, err,
			       sizeof(err)) < 0) {
		c->user_live = 0;
		snprintf(why, sizeof(why), "%s%s",
			 strstr(err, "sipd") == err ? "" : "sipd: ", err);
		call_fail(c, "user", why);
		return -1;
	}
	return 0;
}

static void
call_user_cancelled(struct call *c, int r, json_object *reply,
		    const char *err, const struct call_note *note)
{
	(void)reply;
	(void)note;
	if (r == 0)
		return;
	log_warnx("call %s: cannot cancel the user's ringing: %s", c->id,
		  err);
	if (c->user_cancels > 0)
		c->user_cancels--;
}

/* Stops the ringing of the user's device (CANCEL); its end is ignored. */
static void
call_user_cancel(struct call *c)
{
	json_object *req;
	char err[512];

	if (!c->user_live)
		return;
	req = call_req_new(c, "hangup", "user");
	c->user_live = 0;
	c->user_cancels++;
	if (call_request_async(c, "sipd", req, call_user_cancelled, NULL,
			       err, sizeof(err)) < 0) {
		log_warnx("call %s: cannot cancel the user's ringing: %s",
			  c->id, err);
		c->user_cancels--;
	}
}

static void call_on_hand_timer(struct daemon *d, void *arg);

static void
call_hand_timer_set(struct call *c)
{
	const struct conf *conf = daemon_conf(c->d);

	if (c->t_hand)
		daemon_timer_cancel(c->d, c->t_hand);
	c->t_hand = daemon_timer_add(c->d, conf->ivr_user_answer_s * 1000,
				     call_on_hand_timer, c);
	if (c->t_hand < 0)
		c->t_hand = 0;
}

/*
 * The user did not answer (in time, or the attempt failed): keep the
 * agent, tell the user again and ring again; after [ivr] user_attempts,
 * give up.
 */
static void
call_user_retry(struct call *c, const char *what)
{
	const struct conf *conf = daemon_conf(c->d);
	json_object *o;
	char why[512];
	double waited = (double)(msg_mono_ms() - c->transfer_t0) / 1000.0;

	if (c->user_attempts >= conf->ivr_user_attempts) {
		snprintf(why, sizeof(why),
			 "the user did not answer after %d attempt%s (%.0f s; "
			 "%s)",
			 c->user_attempts, c->user_attempts == 1 ? "" : "s",
			 waited, what);
		call_fail(c, "user", why);
		return;
	}
	log_info("call %s: %s; keeping the agent, ringing the user again",
		 c->id, what);
	call_say(c, conf->ivr_agent_hold_line, NULL, 0);
	o = json_object_new_object();
	json_object_object_add(o, "device", json_object_new_string(c->device));
	json_object_object_add(o, "uri", json_object_new_string(c->device_uri));
	json_object_object_add(o, "attempt",
			       json_object_new_int(c->user_attempts + 1));
	json_object_object_add(o, "attempts",
			       json_object_new_int((int)conf->ivr_user_attempts));
	json_object_object_add(o, "waited_s", json_object_new_double(waited));
	json_object_object_add(o, "reason", json_object_new_string(what));
	call_publish(c, MSG_transfer_retry, o);
	call_user_cancel(c);
	call_hand_timer_set(c);
	(void)call_user_dial(c);
}

static void
call_on_hand_timer(struct daemon *d, void *arg)
{
	struct call *c = arg;
	char what[128];

	c->t_hand = 0;
	if (c->phase != CALL_TRANSFERRING || c->user_up)
		return;
	snprintf(what, sizeof(what), "no answer within %ld s",
		 daemon_conf(d)->ivr_user_answer_s);
	call_user_retry(c, what);
}

/* Rings the user's device (device, uri: borrowed). */
static void
call_transfer(struct call *c, const char *device, const char *uri,
	      double timeout)
{
	const struct conf *conf = daemon_conf(c->d);
	json_object *o;

	call_set_phase(c, CALL_TRANSFERRING);
	o = json_object_new_object();
	json_object_object_add(o, "device", json_object_new_string(device));
	json_object_object_add(o, "uri", json_object_new_string(uri));
	call_publish(c, MSG_transfer_started, o);
	/* Kept for transfer_complete. */
	if (c->device != device) {
		free(c->device);
		c->device = strdup(device);
	}
	if (c->device_uri != uri) {
		free(c->device_uri);
		c->device_uri = strdup(uri);
	}
	if (c->device == NULL || c->device_uri == NULL) {
		call_fail(c, "user", "out of memory");
		return;
	}
	c->user_attempts = 0;
	c->transfer_t0 = msg_mono_ms();
	c->transfer_timeout = timeout;
	if (call_user_dial(c) < 0)
		return;
	if (timeout > 0)
		call_step_timer_set(c, (int64_t)(timeout * 1000),
				    call_on_step_timer);
	if (c->mode == CALL_MODE_HOLD_SLAYER) {
		/* An agent is waiting: greet them while the phone rings. */
		call_say(c, conf->ivr_agent_greeting, NULL, 0);
		call_hand_timer_set(c);
	}
}

/* classifyd took the live person back while the user's phone rings: stop
 * the ringing and wait on hold again. */
static void
call_retracted(struct call *c, const char *reason)
{
	char why[512];

	if ((c->hold_step < 0 && !c->exploring) || c->user_up) {
		log_info("call %s: human retracted (%s); nothing to undo",
			 c->id, reason);
		return;
	}
	if (c->t_hand) {
		daemon_timer_cancel(c->d, c->t_hand);
		c->t_hand = 0;
	}
	call_step_timer_cancel(c);
	call_user_cancel(c);
	if (c->exploring) {
		/* The navigator goes back to hold on the same event. */
		log_info("call %s: the live person was a recording (%s): "
			 "ringing cancelled",
			 c->id, reason);
		call_set_phase(c, CALL_ON_HOLD);
		return;
	}
	snprintf(why, sizeof(why),
		 "the live person was a recording (%s): ringing cancelled, "
		 "back on hold",
		 reason);
	call_run_step(c, c->hold_step, why);
}

void
call_handover(struct call *c, const char *reason)
{
	log_info("call %s: hand-over: %s", c->id, reason);
	call_step_timer_cancel(c);
	if (c->device_uri == NULL) {
		call_fail(c, "user",
			  "no device to transfer to: the request named none "
			  "and [ivr] default_device is not set");
		return;
	}
	call_transfer(c, c->device, c->device_uri, 0);
}

static void
call_run_step(struct call *c, int idx, const char *reason)
{
	const struct flow_step *s = &c->flow->steps[idx];
	const struct conf *conf = daemon_conf(c->d);
	json_object *o;
	char why[768], text[2048], digits[128], err[256];
	double secs;
	int r;

	if (++c->steps_run > CALL_MAX_STEPS) {
		snprintf(why, sizeof(why),
			 "flow '%s' ran %d steps without a transfer; it loops",
			 c->flow->id, CALL_MAX_STEPS);
		call_fail(c, "company", why);
		return;
	}
	call_step_timer_cancel(c);
	c->step = idx;
	/* What the last step heard is the prompt this one may answer. */
	if (c->heard_len)
		snprintf(c->prompt_heard, sizeof(c->prompt_heard), "%s",
			 c->heard);
	c->heard_len = 0;
	if (c->heard)
		c->heard[0] = '\0';
	c->listen_grace = 0;
	c->step_deadline = 0;
	log_info("call %s: step '%s' (%s): %s", c->id, s->id,
		 flow_step_type_name(s->type), reason);
	o = json_object_new_object();
	json_object_object_add(o, "step_id", json_object_new_string(s->id));
	json_object_object_add(
	    o, "type", json_object_new_string(flow_step_type_name(s->type)));
	json_object_object_add(o, "description",
			       json_object_new_string(s->description));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	if (s->type == FLOW_STEP_SPEAK)
		json_object_object_add(o, "text",
				       json_object_new_string(s->text));
	call_publish(c, MSG_ivr_step, o);

	switch (s->type) {
	case FLOW_STEP_DTMF:
		call_set_phase(c, CALL_IVR);
		if (s->dtmf_tmpl) {
			r = flow_dtmf_expand(s->dtmf, c->info, NULL, digits,
					     sizeof(digits), err, sizeof(err));
			if (r == -ENOENT) {
				call_missing_info(c, s, err, "the prompt");
				return;
			}
			if (r < 0) {
				snprintf(why, sizeof(why),
					 "step '%s': cannot enter %s", s->id,
					 err);
				call_publish_step(c, s, why);
				call_explore(c, why);
				return;
			}
		} else {
			snprintf(digits, sizeof(digits), "%s", s->dtmf);
		}
		if (call_send_dtmf(c, s, digits, !s->dtmf_tmpl,
				   s->description[0] ? s->description
						     : reason) < 0)
			return;
		call_step_timer_set(c, call_dtmf_ms(digits),
				    call_on_step_timer);
		break;
	case FLOW_STEP_WAIT:
		call_set_phase(c, CALL_IVR);
		call_step_timer_set(c, (int64_t)(s->timeout * 1000),
				    call_on_step_timer);
		break;
	case FLOW_STEP_LISTEN:
		call_set_phase(c, CALL_IVR);
		listen_init(&c->listen, CALL_LISTEN_QUIET_S);
		secs = s->timeout > 0 ? s->timeout : CALL_LISTEN_DEFAULT_S;
		c->step_deadline = msg_mono_ms() + (int64_t)(secs * 1000);
		call_step_timer_set(c, (int64_t)(secs * 1000),
				    call_on_step_timer);
		break;
	case FLOW_STEP_HOLD:
		c->hold_step = idx;
		call_set_phase(c, CALL_ON_HOLD);
		secs = (double)conf->ivr_max_hold_s;
		if (s->timeout > 0 && s->timeout < secs)
			secs = s->timeout;
		call_step_timer_set(c, (int64_t)(secs * 1000),
				    call_on_step_timer);
		break;
	case FLOW_STEP_SPEAK:
		r = flow_expand(s->text, c->info, c->intent, NULL, text,
				sizeof(text), err, sizeof(err));
		if (r == -ENOENT) {
			call_missing_info(c, s, err, "the spoken answer");
			return;
		}
		if (r < 0)
			snprintf(text, sizeof(text), "%s", s->text);
		/* The step timer is set when mediad says how long. */
		call_step_timer_cancel(c);
		(void)call_say(c, text, s->voice, 1);
		break;
	case FLOW_STEP_TRANSFER:
		c->transfer_step = idx;
		if (!c->device_given && s->device != NULL) {
			const char *uri = conf_device_uri(conf, s->device);
			if (uri == NULL) {
				snprintf(why, sizeof(why),
					 "step '%s' names device '%s', which "
					 "is not in [devices]",
					 s->id, s->device);
				call_fail(c, "user", why);
				return;
			}
			call_transfer(c, s->device, uri, s->timeout);
		} else if (c->device_uri != NULL) {
			call_transfer(c, c->device, c->device_uri, s->timeout);
		} else {
			call_fail(c, "user",
				  "no device to transfer to: the request named "
				  "none and [ivr] default_device is not set");
		}
		break;
	}
}

/* sipd's answer to the company dial: a refusal fails the call. */
static void
call_company_dialled(struct call *c, int r, json_object *reply,
		     const char *err, const struct call_note *note)
{
	char why[640];

	(void)reply;
	(void)note;
	if (r == 0)
		return;
	snprintf(why, sizeof(why), "%s%s",
		 strstr(err, "sipd") == err ? "" : "sipd: ", err);
	call_fail(c, "company", why);
}

static void
call_on_dial_timer(struct daemon *d, void *arg)
{
	struct call *c = arg;
	json_object *req;
	char err[512];

	json_object *o;

	(void)d;
	c->t_aux = 0;
	/* Announced here, after the start reply has gone out. */
	o = json_object_new_object();
	json_object_object_add(o, "state", json_object_new_string("dialing"));
	call_publish(c, MSG_call_state, o);
	req = call_req_new(c, "dial", "company");
	json_object_object_add(req, "uri", json_object_new_string(c->uri));
	log_info("call %s: dialling %s (%s)", c->id, c->uri,
		 c->flow ? c->flow->id
			 : c->mode == CALL_MODE_DIRECT ? "direct"
						       : "no flow: exploring");
	if (call_request_async(c, "sipd", req, call_company_dialled, NULL,
			       err, sizeof(err)) < 0)
		call_company_dialled(c, -EIO, NULL, err, NULL);
}

int
call_new(struct call **out, struct ivrd *iv, const char *call_id,
	 enum call_mode mode, const char *number, const char *uri,
	 const char *device, const char *device_uri, int device_given,
	 const char *intent, json_object *info, struct flow *flow)
{
	struct call *c;

	*out = NULL;
	if (strlen(call_id) >= sizeof(c->id))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->ivrd = iv;
	c->d = iv->d;
	snprintf(c->id, sizeof(c->id), "%s", call_id);
	c->mode = mode;
	c->phase = CALL_DIALING;
	c->step = -1;
	c->hold_step = -1;
	c->transfer_step = -1;
	c->device_given = device_given;
	c->number = strdup(number ? number : "");
	c->uri = strdup(uri);
	c->device = device ? strdup(device) : NULL;
	c->device_uri = device_uri ? strdup(device_uri) : NULL;
	c->intent = strdup(intent ? intent : "");
	c->info = info ? json_object_get(info) : NULL;
	c->flow = flow_ref(flow);
	c->heard = calloc(1, CALL_HEARD_MAX);
	if (flow && flow->nconds)
		c->cond_fired = calloc(flow->nconds, sizeof(*c->cond_fired));
	c->next = iv->calls;
	iv->calls = c;
	if (!c->number || !c->uri || !c->intent || !c->heard ||
	    (flow && flow->nconds && !c->cond_fired) ||
	    (device && !c->device) || (device_uri && !c->device_uri)) {
		call_free(c);
		return -ENOMEM;
	}
	c->t_aux = daemon_timer_add(c->d, 0, call_on_dial_timer, c);
	c->t_call = daemon_timer_add(
	    c->d, (int64_t)daemon_conf(c->d)->ivr_max_call_s * 1000,
	    call_on_max_timer, c);
	if (c->t_aux < 0 || c->t_call < 0) {
		c->t_aux = c->t_aux < 0 ? 0 : c->t_aux;
		c->t_call = c->t_call < 0 ? 0 : c->t_call;
		call_free(c);
		return -ENOSPC;
	}
	*out = c;
	return 0;
}

static double
call_event_t(json_object *data)
{
	json_object *v;

	if (json_object_object_get_ex(data, "t", &v) &&
	    (json_object_is_type(v, json_type_double) ||
	     json_object_is_type(v, json_type_int)))
		return json_object_get_double(v);
	return (double)msg_mono_ms() / 1000.0;
}

static const struct flow_step *
call_cur_step(const struct call *c)
{
	if (c->flow == NULL || c->step < 0 || c->phase == CALL_ENDED ||
	    c->exploring)
		return NULL;
	return &c->flow->steps[c->step];
}

/* mediad's answer to bridge: the hand-over is complete, or the call
 * fails. */
static void
call_bridged(struct call *c, int r, json_object *reply, const char *err,
	     const struct call_note *note)
{
	json_object *o;
	char why[640];

	(void)reply;
	(void)note;
	if (c->phase != CALL_TRANSFERRING || !c->user_up)
		return; /* the call moved on meanwhile */
	if (r < 0) {
		snprintf(why, sizeof(why), "cannot bridge the legs: %s%s",
			 strstr(err, "mediad") == err ? "" : "mediad: ", err);
		call_fail(c, "user", why);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "device", json_object_new_string(c->device));
	json_object_object_add(o, "uri", json_object_new_string(c->device_uri));
	call_publish(c, MSG_transfer_complete, o);
	call_set_phase(c, CALL_BRIDGED);
	/* From here the call is the user's conversation: [ivr] max_call_s
	 * limits the robot's part only. */
	if (c->t_call) {
		daemon_timer_cancel(c->d, c->t_call);
		c->t_call = 0;
	}
}

static void
call_on_connected(struct call *c, const char *leg)
{
	char err[512], why[640];

	if (strcmp(leg, "company") == 0) {
		if (c->company_up)
			return;
		c->company_up = 1;
		if (c->mode == CALL_MODE_DIRECT) {
			if (c->device_uri == NULL) {
				call_fail(c, "user",
					  "no device to connect: the request "
					  "named none and [ivr] default_device "
					  "is not set");
				return;
			}
			call_transfer(c, c->device, c->device_uri, 0);
			return;
		}
		if (c->flow == NULL) {
			snprintf(why, sizeof(why),
				 "the company answered: no call flow for %s",
				 c->number[0] ? c->number : c->uri);
			call_explore(c, why);
			return;
		}
		char first[FLOW_ID_MAX + 64];
		call_set_phase(c, CALL_IVR);
		snprintf(first, sizeof(first),
			 "the company answered: first step of flow '%s'",
			 c->flow->id);
		call_run_step(c, 0, first);
		return;
	}
	if (strcmp(leg, "user") != 0 || c->user_up ||
	    c->phase != CALL_TRANSFERRING || !c->user_live)
		return;
	c->user_up = 1;
	call_step_timer_cancel(c);
	if (c->t_hand) {
		daemon_timer_cancel(c->d, c->t_hand);
		c->t_hand = 0;
	}
	if (call_request_async(c, "mediad", call_req_new(c, "bridge", NULL),
			       call_bridged, NULL, err, sizeof(err)) < 0)
		call_bridged(c, -EIO, NULL, err, NULL);
}


/*
 * The user leg ended or failed before it was answered.  Returns 1 when
 * that is part of the hand-over (a ring we cancelled, or a missed ring
 * while the agent waits), 0 when the call must end.
 */
static int
call_user_leg_gone(struct call *c, const char *what)
{
	if (c->user_cancels > 0 && !c->user_live) {
		c->user_cancels--;
		log_info("call %s: the cancelled ring ended (%s)", c->id, what);
		if (c->user_cancels == 0 && c->user_redial)
			(void)call_user_dial(c);
		return 1;
	}
	if (c->user_cancels > 0)
		c->user_cancels--; /* ended before its CANCEL's report */
	if (c->mode != CALL_MODE_HOLD_SLAYER || c->phase != CALL_TRANSFERRING ||
	    c->user_up)
		return 0;
	c->user_live = 0;
	call_user_retry(c, what);
	return 1;
}

/* The company's words during a step with conditions. */
static void
call_on_transcript(struct call *c, const struct flow_step *s,
		   const char *text)
{
	struct flow_match m;
	char what[320];
	size_t n;
	int idx;

	if (text == NULL || text[0] == '\0' || c->heard == NULL)
		return;
	n = strlen(text);
	if (c->heard_len + n + 2 < CALL_HEARD_MAX) {
		if (c->heard_len)
			c->heard[c->heard_len++] = ' ';
		memcpy(c->heard + c->heard_len, text, n + 1);
		c->heard_len += n;
	}
	idx = flow_conds_first(s, FLOW_COND_TRANSCRIPT, c->heard, &m);
	if (idx < 0)
		return;
	snprintf(what, sizeof(what), "heard \"%.200s\"", text);
	call_cond_fire(c, idx, &m, what);
}

/* One audio_classified window of the company leg. */
static void
call_on_audio(struct call *c, const struct flow_step *s, const char *cls,
	      double t)
{
	char what[128];
	int idx, text_conds;
	int64_t now, left;

	if (s->nconds && cls &&
	    (idx = flow_conds_first(s, FLOW_COND_AUDIO, cls, NULL)) >= 0) {
		snprintf(what, sizeof(what), "the line sounds like %s", cls);
		call_cond_fire(c, idx, NULL, what);
		return;
	}
	if (s->type != FLOW_STEP_LISTEN)
		return;
	text_conds = s->nconds && flow_step_unmatched(s) == FLOW_GOTO_EXPLORE;
	if (c->listen_grace) {
		/* The prompt goes on after a pause: listen to the end. */
		if (cls && strcmp(cls, "speech") == 0) {
			c->listen_grace = 0;
			listen_init(&c->listen, CALL_LISTEN_QUIET_S);
			listen_feed(&c->listen, cls, t);
			now = msg_mono_ms();
			call_step_timer_set(c,
					    c->step_deadline > now
						? c->step_deadline - now
						: 0,
					    call_on_step_timer);
		}
		return;
	}
	if (!listen_feed(&c->listen, cls, t))
		return;
	if (s->nconds == 0) {
		call_step_done(c, "end of prompt");
		return;
	}
	if (!text_conds) {
		call_step_unmatched(c, "the prompt ended");
		return;
	}
	/* Its words come a few seconds after the speech: wait for them. */
	c->listen_grace = 1;
	now = msg_mono_ms();
	left = c->step_deadline - now;
	if (left > (int64_t)(CALL_GRACE_S * 1000))
		left = (int64_t)(CALL_GRACE_S * 1000);
	call_step_timer_set(c, left, call_on_step_timer);
}

void
call_event(struct call *c, const struct msg_event *ev)
{
	const char *leg = bus_json_str(ev->data, "leg");
	const struct flow_step *s = call_cur_step(c);
	const char *str;
	char why[640];

	switch (ev->type) {
	case MSG_call_ringing:
		log_info("call %s: %s leg ringing (%ld)", c->id,
			 leg ? leg : "?", bus_json_int(ev->data, "code", 0));
		return;
	case MSG_call_connected:
		str = bus_json_str(ev->data, "dtmf");
		if (leg && strcmp(leg, "company") == 0)
			c->dtmf_info = str && strcmp(str, "info") == 0;
		if (leg)
			call_on_connected(c, leg);
		return;
	case MSG_call_ended:
		snprintf(why, sizeof(why), "%s leg ended by %s: %s",
			 leg ? leg : "a", bus_json_str(ev->data, "by")
					      ? bus_json_str(ev->data, "by")
					      : "?",
			 bus_json_str(ev->data, "reason")
			     ? bus_json_str(ev->data, "reason")
			     : "");
		if (leg && strcmp(leg, "user") == 0 && !c->user_up &&
		    call_user_leg_gone(c, why))
			return;
		call_end(c, why);
		return;
	case MSG_call_failed:
		snprintf(why, sizeof(why), "%s leg failed: %ld %s",
			 leg ? leg : "a", bus_json_int(ev->data, "code", 0),
			 bus_json_str(ev->data, "reason")
			     ? bus_json_str(ev->data, "reason")
			     : "");
		if (leg && strcmp(leg, "user") == 0 && !c->user_up &&
		    call_user_leg_gone(c, why))
			return;
		call_end(c, why);
		return;
	default:
		break;
	}
	if (ev->type == MSG_human_retracted && c->phase == CALL_TRANSFERRING &&
	    !c->user_up) {
		str = bus_json_str(ev->data, "reason");
		call_retracted(c, str ? str : "human_retracted");
		if (!c->exploring)
			return;
	}
	if (c->exploring) {
		explore_event(c, ev);
		return;
	}
	switch (ev->type) {
	case MSG_audio_classified:
		if (s == NULL || leg == NULL || strcmp(leg, "company") != 0 ||
		    (s->type != FLOW_STEP_LISTEN && s->nconds == 0))
			break;
		call_on_audio(c, s, bus_json_str(ev->data, "class"),
			      call_event_t(ev->data));
		break;
	case MSG_transcript_chunk:
		if (s == NULL || s->nconds == 0 || leg == NULL ||
		    strcmp(leg, "company") != 0)
			break;
		call_on_transcript(c, s, bus_json_str(ev->data, "text"));
		break;
	case MSG_human_detected:
		if (s == NULL || s->type != FLOW_STEP_HOLD)
			break;
		snprintf(why, sizeof(why), "a live person answered (%s)",
			 bus_json_str(ev->data, "evidence")
			     ? bus_json_str(ev->data, "evidence")
			     : "human_detected");
		call_step_done(c, why);
		break;
	case MSG_hold_detected:
		log_info("call %s: hold detected (%s)", c->id,
			 bus_json_str(ev->data, "hold_type")
			     ? bus_json_str(ev->data, "hold_type")
			     : "?");
		break;
	case MSG_human_retracted:
		str = bus_json_str(ev->data, "reason");
		if (c->phase == CALL_TRANSFERRING && !c->user_up)
			call_retracted(c, str ? str : "human_retracted");
		else
			log_info("call %s: human retracted (%s)", c->id,
				 str ? str : "?");
		return;
	default:
		break;
	}
}
