/*
 * explore: drives a call through a phone menu that no flow describes (or
 * one its flow no longer fits).  It listens to classifyd about the company
 * leg: transcript_chunk gives the words of each prompt, audio_classified
 * tells when the company speaks, goes quiet or plays music.  When a prompt
 * has ended and its words have come, the menu is read (menu.c) and a
 * decision taken (nav.c offline, or llm.c when [llm] provider is set, with
 * nav.c as the fallback): keys sent through mediad dtmf, words spoken
 * through mediad say, or waiting.  Each decision is published (ivr_menu_detected with the
 * options read, ivr_step and ivr_dtmf_sent with the reason).  Music or a
 * "please hold" hands the call back to call.c with a small flow of two
 * steps, HOLD then TRANSFER, so that the hold and the hand-over are the
 * flow runner's.  When the call ends with the user bridged to an agent,
 * learn.c turns the path taken into the number's learned flow.
 *
 * Timing: a transcript comes some seconds after its speech (the segment's
 * end, then recognition).  A transcript of speech that began before our
 * last action is stale (the prompt we already answered) and is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivrd.h"
#include "log.h"
#include "nav.h"

#define EXP_DECIDE_MS 500     /* after a transcript, if the company is quiet */
#define EXP_QUIET_S 5.0	      /* quiet after speech: it waits for input */
#define EXP_SILENT_S 12.0     /* nothing at all since our action */
#define EXP_LONG_S 8.0	      /* speech without a recognisable option */
#define EXP_PENDING_S 25.0    /* quiet while a transcript is still due */
#define EXP_MUSIC_S 2.5	      /* music that means the queue */
#define EXP_STALE_S 0.5	      /* slack on a transcript's start time */
#define EXP_TEXT_MAX 6000
#define EXP_ACTIONS_MAX 200

struct explore {
	struct call *c;
	struct nav nav;
	char heard[EXP_TEXT_MAX]; /* words since our last action */
	double last_t;		  /* leg time of the latest audio class */
	double last_speech_t;	  /* leg time of the latest speech */
	double act_t;		  /* leg time of our last action */
	double heard_upto;	  /* leg time the transcripts have reached */
	double heard_s;		  /* seconds of speech in heard */
	int speaking;		  /* the latest class was speech */
	int quiet_done;		  /* a quiet decision since the last speech */
	double music_s;
	int64_t t_decide;
	int64_t act_ms; /* mono ms of the last action */
	int nact;	/* actions taken (step ids) */
	int holding;	/* handed to the HOLD flow */
	int menus;	/* menus acted on (limit [ivr] max_menu_levels) */
	json_object *path; /* the actions on the way to the agent (learn.c) */
	char from_flow[FLOW_ID_MAX]; /* the flow that failed, or "" */
	char reason[256];
	struct llm *llm;
};

static void explore_decide(struct explore *e, int quiet);

int
explore_available(void)
{
	return 1;
}

static struct bus *
exp_bus(struct explore *e)
{
	return daemon_bus(e->c->d);
}

/* mediad's (or sipd's) answer to an exploration's dtmf (note: a the digits as shown,
 * b the reason, tag the step id, i 1 for dtmf) or say. */
static void
exp_sent(struct call *c, int r, json_object *reply, const char *err,
	 const struct call_note *note)
{
	json_object *o;

	(void)reply;
	if (r < 0) {
		if (note->i)
			log_warnx("call %s: explore: dtmf %s: %s", c->id,
				  note->a, err);
		else
			log_warnx("call %s: explore: say: %s", c->id, err);
		return;
	}
	if (!note->i)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "digits", json_object_new_string(note->a));
	json_object_object_add(o, "step_id", json_object_new_string(note->tag));
	json_object_object_add(o, "reason", json_object_new_string(note->b));
	bus_publish(daemon_bus(c->d), MSG_ivr_dtmf_sent, c->id, o);
}

static json_object *
exp_req(struct explore *e, const char *cmd)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	json_object_object_add(o, "call_id", json_object_new_string(e->c->id));
	json_object_object_add(o, "leg", json_object_new_string("company"));
	return o;
}

/* Publishes ivr_step for an exploration step; returns its id (static). */
static const char *
exp_step(struct explore *e, const char *type, const char *description,
	 const char *reason, const char *text)
{
	static char id[48];
	json_object *o = json_object_new_object();

	snprintf(id, sizeof(id), "explore-%d", ++e->nact);
	json_object_object_add(o, "step_id", json_object_new_string(id));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "description",
			       json_object_new_string(description));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_object_add(o, "explore", json_object_new_boolean(1));
	if (text)
		json_object_object_add(o, "text", json_object_new_string(text));
	bus_publish(exp_bus(e), MSG_ivr_step, e->c->id, o);
	log_info("call %s: explore: %s %s: %s", e->c->id, type, description,
		 reason);
	return id;
}

/*
 * The path: each action with the menu it answered.  A menu heard again
 * after an action means the actions since its first visit led back: they
 * are dropped, so the path is the way that worked.
 */
static void
exp_record(struct explore *e, const struct menu *m, const char *kind,
	   const struct nav_decision *d, double waited_s)
{
	json_object *o = json_object_new_object();
	int menu_id = e->nav.last;
	size_t n = json_object_array_length(e->path);

	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(e->path, i), *v;
		if (json_object_object_get_ex(r, "menu_id", &v) &&
		    json_object_get_int(v) == menu_id && menu_id >= 0) {
			json_object_array_del_idx(e->path, i, n - i);
			break;
		}
	}
	if (json_object_array_length(e->path) >= EXP_ACTIONS_MAX) {
		json_object_put(o);
		return;
	}
	json_object_object_add(o, "menu_id", json_object_new_int(menu_id));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "text", json_object_new_string(m->text));
	json_object_object_add(o, "options", menu_opts_json(m));
	json_object_object_add(o, "label", json_object_new_string(d->label));
	if (d->act == NAV_PRESS)
		json_object_object_add(o, "digits",
				       json_object_new_string(d->digits));
	if (d->act == NAV_SAY)
		json_object_object_add(o, "say", json_object_new_string(d->text));
	if (d->info_key[0])
		json_object_object_add(o, "info_key",
				       json_object_new_string(d->info_key));
	json_object_object_add(o, "data_key",
			       m->data_key[0]
				   ? json_object_new_string(m->data_key)
				   : NULL);
	json_object_object_add(o, "pound",
			       json_object_new_boolean(m->data_pound));
	json_object_object_add(o, "wait_s",
			       json_object_new_double((double)(int)(waited_s *
								      10) /
						      10));
	json_object_object_add(o, "reason", json_object_new_string(d->reason));
	json_object_array_add(e->path, o);
}

static void
exp_publish_menu(struct explore *e, const struct menu *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "options", menu_opts_json(m));
	json_object_object_add(o, "text", json_object_new_string(m->text));
	if (m->data_key[0])
		json_object_object_add(o, "prompt",
				       json_object_new_string(m->data_key));
	else if (m->speech)
		json_object_object_add(o, "prompt",
				       json_object_new_string("speech"));
	json_object_object_add(o, "navigator",
			       json_object_new_string(e->llm ? "llm"
							     : "offline"));
	bus_publish(exp_bus(e), MSG_ivr_menu_detected, e->c->id, o);
}

static void
exp_cancel(struct explore *e)
{
	if (e->t_decide) {
		daemon_timer_cancel(e->c->d, e->t_decide);
		e->t_decide = 0;
	}
}

/* After an action: what comes next is a new prompt. */
static void
exp_acted(struct explore *e)
{
	e->heard[0] = '\0';
	e->heard_s = 0;
	e->act_t = e->last_t;
	e->act_ms = msg_mono_ms();
	e->quiet_done = 0;
}

/*
 * Hands the call back to call.c: HOLD until a live person, then TRANSFER
 * (and call.c's hand-over).  first is "HOLD" or "TRANSFER".
 */
static void
exp_to_hold(struct explore *e, const char *why, int transfer_now)
{
	static const char hold_json[] =
	    "{\"id\":\"explore\",\"name\":\"exploration: hold and transfer\","
	    "\"phone_number\":\"0\",\"steps\":["
	    "{\"id\":\"explore-hold\",\"type\":\"HOLD\","
	    "\"description\":\"Wait on hold for a live agent\"},"
	    "{\"id\":\"explore-transfer\",\"type\":\"TRANSFER\","
	    "\"description\":\"Ring the user's phone and bridge it to the "
	    "agent\"}]}";
	static const char transfer_json[] =
	    "{\"id\":\"explore\",\"name\":\"exploration: transfer\","
	    "\"phone_number\":\"0\",\"steps\":["
	    "{\"id\":\"explore-transfer\",\"type\":\"TRANSFER\","
	    "\"description\":\"Ring the user's phone and bridge it to the "
	    "agent\"}]}";
	const char *txt = transfer_now ? transfer_json : hold_json;
	struct flow *f;
	char err[512];

	if (e->holding)
		return;
	exp_cancel(e);
	if (flow_parse(&f, "exploration", txt, strlen(txt), err, sizeof(err)) <
	    0) {
		log_warnx("call %s: explore: %s", e->c->id, err);
		return;
	}
	e->holding = 1;
	log_info("call %s: explore: %s", e->c->id, why);
	call_run_flow(e->c, f, why);
	flow_unref(f);
}

static void
exp_press(struct explore *e, const struct menu *m, struct nav_decision *d,
	  const char *kind)
{
	json_object *req;
	struct call_note note = {0};
	const char *id;
	char err[512], desc[256];
	double waited = e->act_ms ? (double)(msg_mono_ms() - e->act_ms) / 1000
				  : 0;

	if (d->act == NAV_PRESS) {
		snprintf(desc, sizeof(desc), "%s: %s",
			 d->label[0] ? d->label : "keys",
			 d->info_key[0] ? "(info value)" : d->digits);
		id = exp_step(e, "DTMF", desc, d->reason, NULL);
		req = exp_req(e, "dtmf");
		json_object_object_add(req, "digits",
				       json_object_new_string(d->digits));
		/* The value itself stays out of the event stream (and the
		 * log). */
		snprintf(note.a, sizeof(note.a), "%s",
			 d->info_key[0] ? "(info value)" : d->digits);
		snprintf(note.b, sizeof(note.b), "%s", d->reason);
		snprintf(note.tag, sizeof(note.tag), "%s", id);
		note.i = 1;
		/* ivr_dtmf_sent comes with mediad's answer.  The action
		 * counts from now: a failure then is only logged. */
		if (call_request_async(e->c, call_dtmf_daemon(e->c), req,
				       exp_sent, &note, err, sizeof(err)) < 0) {
			log_warnx("call %s: explore: dtmf %s: %s", e->c->id,
				  note.a, err);
			return;
		}
	} else if (d->act == NAV_SAY) {
		snprintf(desc, sizeof(desc), "say \"%.200s\"", d->text);
		exp_step(e, "SPEAK", desc, d->reason, d->text);
		req = exp_req(e, "say");
		json_object_object_add(req, "text",
				       json_object_new_string(d->text));
		if (call_request_async(e->c, "mediad", req, exp_sent, &note,
				       err, sizeof(err)) < 0)
			log_warnx("call %s: explore: say: %s", e->c->id, err);
	}
	exp_record(e, m, kind, d, waited);
	exp_acted(e);
	e->menus++;
}

static void
exp_on_decide_timer(struct daemon *d, void *arg)
{
	struct explore *e = arg;

	(void)d;
	e->t_decide = 0;
	explore_decide(e, 0);
}

void
explore_apply(struct explore *e, const struct menu *m,
	      struct nav_decision *dec)
{
	const struct conf *conf = daemon_conf(e->c->d);
	char why[700];

	/* The LLM's decisions: a missing value found, a made-up one dropped. */
	if (nav_check_missing(&e->nav, m, e->c->info, dec))
		log_warnx("call %s: explore: the model would enter digits for %s, "
			  "which the call's info does not have: not sent",
			  e->c->id, m->data_key);
	if (dec->missing[0]) {
		snprintf(why, sizeof(why),
			 "the company asks for %s and the call's info has no "
			 "value for it: taking the representative route (%s)",
			 dec->missing, dec->reason);
		if (call_info_missing(e->c, dec->missing,
				      e->heard[0] ? e->heard : m->text,
				      nav_act_action(dec), why))
			exp_step(e, "WAIT", "info missing", why, NULL);
	}
	switch (dec->act) {
	case NAV_NONE:
		break;
	case NAV_PRESS:
	case NAV_SAY:
		if (e->menus >= conf->ivr_max_menu_levels * 3) {
			snprintf(why, sizeof(why),
				 "exploration took %d actions without reaching "
				 "the queue",
				 e->menus);
			call_fail_explore(e->c, why);
			return;
		}
		exp_press(e, m,  dec,
			  m->data_key[0] ? "data" : dec->act == NAV_SAY ? "speech" : "menu");
		break;
	case NAV_WAIT:
		exp_step(e, "WAIT", "let the menu go on", dec->reason, NULL);
		exp_acted(e);
		/* Nothing was sent: what follows what was heard is new, even
		 * when its transcript came late. */
		if (e->heard_upto > 0 && e->heard_upto < e->act_t)
			e->act_t = e->heard_upto;
		break;
	case NAV_HOLD:
		exp_to_hold(e, dec->reason, 0);
		break;
	case NAV_TRANSFER:
		exp_to_hold(e, dec->reason, 1);
		break;
	case NAV_HANGUP:
		call_fail_explore(e->c, dec->reason);
		break;
	}
}

static void
explore_decide(struct explore *e, int quiet)
{
	struct menu *m = calloc(1, sizeof(*m));
	struct nav_decision dec;

	if (m == NULL)
		return;
	menu_parse(e->heard, m);
	if (m->nopts || m->data_key[0] || m->speech)
		exp_publish_menu(e, m);
	if (e->llm != NULL && llm_busy(e->llm)) {
		free(m);
		return;
	}
	if (e->llm != NULL && (m->nopts || m->data_key[0] || m->speech || quiet)) {
		/* The model answers later (llm.c calls explore_apply). */
		if (llm_ask(e->llm, e->c, &e->nav, m, e->heard, quiet) == 0) {
			free(m);
			return;
		}
	}
	/*
	 * A long prompt (or one replayed) that says nothing recognisable:
	 * the company waits for input as much as after a quiet spell.
	 */
	if (!quiet && e->heard_s >= EXP_LONG_S && !m->nopts &&
	    !m->data_key[0] && !m->speech && !m->hold)
		quiet = 1;
	nav_decide(&e->nav, m, e->c->info, quiet, &dec);
	if (dec.act != NAV_NONE)
		log_debug("call %s: explore: menu \"%s\"", e->c->id, m->text);
	explore_apply(e, m, &dec);
	free(m);
}

void
explore_start(struct call *c, const char *reason)
{
	struct explore *e = c->nav;
	const struct conf *conf = daemon_conf(c->d);

	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL) {
			call_fail_explore(c, "out of memory");
			return;
		}
		e->c = c;
		e->path = json_object_new_array();
		e->last_speech_t = -1;
		nav_init(&e->nav, c->intent);
		c->nav = e;
		if (c->flow && strcmp(c->flow->id, "explore") != 0)
			snprintf(e->from_flow, sizeof(e->from_flow), "%s",
				 c->flow->id);
		if (llm_enabled(conf))
			llm_new(&e->llm, c->d, conf, e);
	}
	e->holding = 0;
	e->act_ms = msg_mono_ms();
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	exp_step(e, "LISTEN", "exploring the menu",
		 reason ? reason : "no call flow for this number", NULL);
}

static double
exp_json_dbl(json_object *o, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) &&
	    (json_object_is_type(v, json_type_double) ||
	     json_object_is_type(v, json_type_int)))
		return json_object_get_double(v);
	return 0;
}

static void
exp_transcript(struct explore *e, json_object *data)
{
	const char *text = bus_json_str(data, "text");
	json_object *v;
	double t = -1;
	size_t l;

	if (text == NULL || text[0] == '\0')
		return;
	if (json_object_object_get_ex(data, "t", &v))
		t = json_object_get_double(v);
	if (t >= 0 && t + exp_json_dbl(data, "duration") > e->heard_upto)
		e->heard_upto = t + exp_json_dbl(data, "duration");
	if (e->act_ms && t >= 0 && t < e->act_t - EXP_STALE_S) {
		log_debug("call %s: explore: stale transcript at %.1f s "
			  "(acted at %.1f s): %s",
			  e->c->id, t, e->act_t, text);
		return;
	}
	e->heard_s += exp_json_dbl(data, "duration");
	l = strlen(e->heard);
	snprintf(e->heard + l, sizeof(e->heard) - l, "%s%s", l ? " " : "",
		 text);
	exp_cancel(e);
	if (!e->speaking)
		e->t_decide = daemon_timer_add(e->c->d, EXP_DECIDE_MS,
					       exp_on_decide_timer, e);
	if (e->t_decide < 0)
		e->t_decide = 0;
}

static void
exp_audio(struct explore *e, json_object *data)
{
	const char *cls = bus_json_str(data, "class");
	json_object *v;
	double t = e->last_t, hop;

	if (cls == NULL)
		return;
	if (json_object_object_get_ex(data, "t", &v))
		t = json_object_get_double(v);
	hop = t > e->last_t && t - e->last_t < 2 ? t - e->last_t : 0.5;
	e->last_t = t;
	if (strcmp(cls, "speech") == 0) {
		e->speaking = 1;
		e->last_speech_t = t;
		e->quiet_done = 0;
		e->music_s = 0;
		return;
	}
	if (e->speaking) {
		e->speaking = 0;
		/* A transcript that came during the speech waits no more. */
		if (e->heard[0] && e->t_decide == 0)
			e->t_decide = daemon_timer_add(
			    e->c->d, EXP_DECIDE_MS + 1000,
			    exp_on_decide_timer, e);
		if (e->t_decide < 0)
			e->t_decide = 0;
	}
	if (strcmp(cls, "music") == 0) {
		e->music_s += hop;
		if (e->music_s >= EXP_MUSIC_S) {
			exp_to_hold(e, "hold music after the menu: waiting "
				       "for a live person",
				    0);
			return;
		}
	} else {
		e->music_s = 0;
	}
	/*
	 * The company waits for input: decide with what was heard.  Not
	 * while the transcript of its last words is still to come (a long
	 * prompt takes seconds to recognise), unless that takes too long.
	 */
	if (!e->quiet_done && e->t_decide == 0) {
		double quiet = e->last_speech_t >= 0 ? t - e->last_speech_t : 0;
		int spoke = e->last_speech_t >= 0 && e->last_speech_t > e->act_t;
		int pending = spoke && e->heard_upto < e->last_speech_t - 1.0;
		int silent = !spoke && e->act_ms &&
			     msg_mono_ms() - e->act_ms >=
				 (int64_t)(EXP_SILENT_S * 1000);

		if ((spoke && quiet >= (pending ? EXP_PENDING_S : EXP_QUIET_S)) ||
		    silent) {
			e->quiet_done = 1;
			if (silent)
				e->act_ms = msg_mono_ms();
			explore_decide(e, 1);
		}
	}
}

void
explore_event(struct call *c, const struct msg_event *ev)
{
	struct explore *e = c->nav;
	const char *leg;

	if (e == NULL || e->holding)
		return;
	leg = bus_json_str(ev->data, "leg");
	switch (ev->type) {
	case MSG_transcript_chunk:
		if (leg && strcmp(leg, "company") == 0)
			exp_transcript(e, ev->data);
		break;
	case MSG_audio_classified:
		if (leg && strcmp(leg, "company") == 0)
			exp_audio(e, ev->data);
		break;
	case MSG_hold_detected:
		exp_to_hold(e, "classifyd detected hold: waiting for a live "
			       "person",
			    0);
		break;
	case MSG_human_detected:
		exp_to_hold(e, "a live person answered during the menu", 1);
		break;
	default:
		break;
	}
}

void
explore_free(struct call *c)
{
	struct explore *e = c->nav;

	learn_call_ended(c, e ? e->path : NULL, e ? e->from_flow : NULL);
	if (e == NULL)
		return;
	exp_cancel(e);
	llm_free(e->llm);
	json_object_put(e->path);
	free(e);
	c->nav = NULL;
}
