/*
 * call: one call driven by ivrd.  A call dials the company through sipd,
 * runs its flow's steps when the company answers (DTMF through mediad,
 * WAIT and LISTEN on timers and audio_classified, HOLD until classifyd's
 * human_detected), then rings the user's device and has mediad bridge the
 * two legs.  Every step starts with an ivr_step event; every phase change is
 * a call_state event.  When either leg ends, the other is hung up, the media
 * legs are closed and the call is freed.  All waiting is on daemon timers,
 * which are cancelled when the call ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivrd.h"
#include "log.h"

#define CALL_LISTEN_DEFAULT_S 15.0 /* LISTEN without a timeout */
#define CALL_LISTEN_QUIET_S 1.0	   /* non-speech that ends a prompt */
#define CALL_DTMF_MS 200	   /* per digit: 100 ms tone + 100 ms gap */
#define CALL_DTMF_SETTLE_MS 300	   /* after the last digit */
#define CALL_MAX_STEPS 10000	   /* a flow that loops for ever */

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
 * Sends a control request (consumed) about this call to daemon.  Returns
 * 0, or a negative errno with err set ("sipd is unreachable: ..." or the
 * daemon's own error text).  A cleanup request waits at most
 * CALL_CLEANUP_TIMEOUT_MS, and is not sent at all (-ETIMEDOUT) to a daemon
 * that timed out in the last CALL_DOWN_HOLDOFF_MS, so that ending calls
 * while a peer is down does not stall the loop.
 */
static int
call_request_ex(struct call *c, const char *daemon, json_object *req,
		int cleanup, char *err, size_t errlen)
{
	struct bus *b = call_bus(c);
	int64_t *down = &c->ivrd->down_until[call_daemon_index(daemon)];
	json_object *reply = NULL;
	int r;

	err[0] = '\0';
	if (cleanup && *down > msg_mono_ms()) {
		snprintf(err, errlen, "%s is unreachable (not asked again yet)",
			 daemon);
		json_object_put(req);
		return -ETIMEDOUT;
	}
	r = bus_call(b->zctx, daemon_conf(c->d), daemon, req,
		     cleanup ? CALL_CLEANUP_TIMEOUT_MS : 0, &reply, err, errlen);
	if (r == -ETIMEDOUT)
		*down = msg_mono_ms() + CALL_DOWN_HOLDOFF_MS;
	else
		*down = 0;
	json_object_put(reply);
	json_object_put(req);
	return r;
}

static int
call_request(struct call *c, const char *daemon, json_object *req, char *err,
	     size_t errlen)
{
	return call_request_ex(c, daemon, req, 0, err, errlen);
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
	c->t_step = c->t_call = c->t_aux = 0;
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
	flow_unref(c->flow);
	json_object_put(c->info);
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
	r = call_request_ex(c, "sipd", call_req_new(c, "hangup", NULL), 1,
			    err, sizeof(err));
	if (r == -ETIMEDOUT)
		log_warnx("call %s: hangup: %s", c->id, err);
	else if (r < 0)
		log_debug("call %s: hangup: %s", c->id, err);
	r = call_request_ex(c, "mediad",
			    call_req_new(c, "leg_close", "company"), 1, err,
			    sizeof(err));
	if (r < 0)
		log_debug("call %s: leg_close company: %s", c->id, err);
	if (c->user_dialed) {
		r = call_request_ex(c, "mediad",
				    call_req_new(c, "leg_close", "user"), 1,
				    err, sizeof(err));
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

static void
call_step_timer_set(struct call *c, int64_t ms, daemon_timer_cb cb)
{
	if (c->t_step)
		daemon_timer_cancel(c->d, c->t_step);
	c->t_step = daemon_timer_add(c->d, ms, cb, c);
	if (c->t_step < 0) {
		log_warnx("call %s: no timer slot left", c->id);
		c->t_step = 0;
	}
}

/* The current step is over: run the next one (next_step, else the
 * following one), or fail the call when the flow ran out of steps. */
static void
call_step_done(struct call *c, const char *why)
{
	const struct flow_step *s = &c->flow->steps[c->step];
	char reason[512];
	int next;

	if (c->t_step) {
		daemon_timer_cancel(c->d, c->t_step);
		c->t_step = 0;
	}
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
		call_step_done(c, why);
		break;
	case FLOW_STEP_LISTEN:
		snprintf(why, sizeof(why),
			 "no end of prompt within %g s",
			 s->timeout > 0 ? s->timeout : CALL_LISTEN_DEFAULT_S);
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

/* Rings the user's device (device, uri: borrowed). */
static void
call_transfer(struct call *c, const char *device, const char *uri,
	      double timeout)
{
	json_object *o, *req;
	char err[512], why[640];

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
	req = call_req_new(c, "dial", "user");
	json_object_object_add(req, "uri", json_object_new_string(uri));
	c->user_dialed = 1;
	if (call_request(c, "sipd", req, err, sizeof(err)) < 0) {
		snprintf(why, sizeof(why), "%s%s",
			 strstr(err, "sipd") == err ? "" : "sipd: ", err);
		call_fail(c, "user", why);
		return;
	}
	if (timeout > 0)
		call_step_timer_set(c, (int64_t)(timeout * 1000),
				    call_on_step_timer);
}

static void
call_run_step(struct call *c, int idx, const char *reason)
{
	const struct flow_step *s = &c->flow->steps[idx];
	const struct conf *conf = daemon_conf(c->d);
	json_object *o, *req;
	char err[512], why[640];
	double secs;

	if (++c->steps_run > CALL_MAX_STEPS) {
		snprintf(why, sizeof(why),
			 "flow '%s' ran %d steps without a transfer; it loops",
			 c->flow->id, CALL_MAX_STEPS);
		call_fail(c, "company", why);
		return;
	}
	c->step = idx;
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
		req = call_req_new(c, "dtmf", "company");
		json_object_object_add(req, "digits",
				       json_object_new_string(s->dtmf));
		if (call_request(c, "mediad", req, err, sizeof(err)) < 0) {
			snprintf(why, sizeof(why), "cannot send DTMF '%s': %s%s",
				 s->dtmf,
				 strstr(err, "mediad") == err ? "" : "mediad: ",
				 err);
			call_fail(c, "company", why);
			return;
		}
		o = json_object_new_object();
		json_object_object_add(o, "digits",
				       json_object_new_string(s->dtmf));
		json_object_object_add(o, "step_id",
				       json_object_new_string(s->id));
		json_object_object_add(
		    o, "reason",
		    json_object_new_string(s->description[0] ? s->description
							     : reason));
		call_publish(c, MSG_ivr_dtmf_sent, o);
		call_step_timer_set(c,
				    (int64_t)strlen(s->dtmf) * CALL_DTMF_MS +
					CALL_DTMF_SETTLE_MS,
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
		call_step_timer_set(c, (int64_t)(secs * 1000),
				    call_on_step_timer);
		break;
	case FLOW_STEP_HOLD:
		call_set_phase(c, CALL_ON_HOLD);
		secs = (double)conf->ivr_max_hold_s;
		if (s->timeout > 0 && s->timeout < secs)
			secs = s->timeout;
		call_step_timer_set(c, (int64_t)(secs * 1000),
				    call_on_step_timer);
		break;
	case FLOW_STEP_SPEAK:
		/* Announced by ivr_step (with its text); no audio yet. */
		call_step_timer_set(c, 0, call_on_step_timer);
		break;
	case FLOW_STEP_TRANSFER:
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

static void
call_on_dial_timer(struct daemon *d, void *arg)
{
	struct call *c = arg;
	json_object *req;
	char err[512], why[640];

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
		 c->flow ? c->flow->id : "direct");
	if (call_request(c, "sipd", req, err, sizeof(err)) < 0) {
		snprintf(why, sizeof(why), "%s%s",
			 strstr(err, "sipd") == err ? "" : "sipd: ", err);
		call_fail(c, "company", why);
	}
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
	c->device_given = device_given;
	c->number = strdup(number ? number : "");
	c->uri = strdup(uri);
	c->device = device ? strdup(device) : NULL;
	c->device_uri = device_uri ? strdup(device_uri) : NULL;
	c->intent = strdup(intent ? intent : "");
	c->info = info ? json_object_get(info) : NULL;
	c->flow = flow_ref(flow);
	c->next = iv->calls;
	iv->calls = c;
	if (!c->number || !c->uri || !c->intent ||
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
	if (c->flow == NULL || c->step < 0 || c->phase == CALL_ENDED)
		return NULL;
	return &c->flow->steps[c->step];
}

static void
call_on_connected(struct call *c, const char *leg)
{
	char err[512], why[640];
	json_object *o;

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
		char first[FLOW_ID_MAX + 64];
		call_set_phase(c, CALL_IVR);
		snprintf(first, sizeof(first),
			 "the company answered: first step of flow '%s'",
			 c->flow->id);
		call_run_step(c, 0, first);
		return;
	}
	if (strcmp(leg, "user") != 0 || c->user_up ||
	    c->phase != CALL_TRANSFERRING)
		return;
	c->user_up = 1;
	if (c->t_step) {
		daemon_timer_cancel(c->d, c->t_step);
		c->t_step = 0;
	}
	if (call_request(c, "mediad", call_req_new(c, "bridge", NULL), err,
			 sizeof(err)) < 0) {
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

void
call_event(struct call *c, const struct msg_event *ev)
{
	const char *leg = bus_json_str(ev->data, "leg");
	const struct flow_step *s = call_cur_step(c);
	char why[640];

	switch (ev->type) {
	case MSG_call_ringing:
		log_info("call %s: %s leg ringing (%ld)", c->id,
			 leg ? leg : "?", bus_json_int(ev->data, "code", 0));
		break;
	case MSG_call_connected:
		if (leg)
			call_on_connected(c, leg);
		break;
	case MSG_call_ended:
		snprintf(why, sizeof(why), "%s leg ended by %s: %s",
			 leg ? leg : "a", bus_json_str(ev->data, "by")
					      ? bus_json_str(ev->data, "by")
					      : "?",
			 bus_json_str(ev->data, "reason")
			     ? bus_json_str(ev->data, "reason")
			     : "");
		call_end(c, why);
		break;
	case MSG_call_failed:
		snprintf(why, sizeof(why), "%s leg failed: %ld %s",
			 leg ? leg : "a", bus_json_int(ev->data, "code", 0),
			 bus_json_str(ev->data, "reason")
			     ? bus_json_str(ev->data, "reason")
			     : "");
		call_end(c, why);
		break;
	case MSG_audio_classified:
		if (s == NULL || s->type != FLOW_STEP_LISTEN || leg == NULL ||
		    strcmp(leg, "company") != 0)
			break;
		if (listen_feed(&c->listen, bus_json_str(ev->data, "class"),
				call_event_t(ev->data)))
			call_step_done(c, "end of prompt");
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
		log_info("call %s: human retracted (%s)", c->id,
			 bus_json_str(ev->data, "reason")
			     ? bus_json_str(ev->data, "reason")
			     : "?");
		break;
	default:
		break;
	}
}
