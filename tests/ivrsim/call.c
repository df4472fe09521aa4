/*
 * call: the node engine.  From the answer on, every 20 ms tick asks it for
 * the next frame to send; received audio frames and digits are fed to it.
 * A node does, in order: its prompt (say or play), its hold (music with an
 * announcement every `every` seconds for `duration` seconds), then waits
 * for input (digits, collect or speech) and moves to `next`, a digit's
 * target or `on_fail`, or hangs up.  A node with `listen` is the agent: it
 * plays its prompt while recording the caller for `listen` seconds, then
 * hangs up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audio.h"
#include "ivrsim.h"
#include "log.h"

#define SPEECH_DBFS (-35.0)	/* speech input threshold */
#define HEARD_DBFS (-40.0)	/* agent: "heard speech" threshold */
#define SPEECH_GAP 0.3		/* longest pause inside one burst */
#define SPEECH_END 0.6		/* silence that ends a burst */

static void node_enter(struct call *c, int idx, double now);

static const struct node *
cur(const struct call *c)
{
	return c->node >= 0 ? &c->ivr->sc->nodes[c->node] : NULL;
}

static void
set_play(struct call *c, const struct pcm *p, bool loop)
{
	c->play = p;
	c->play_pos = 0;
	c->play_loop = loop;
}

static void
hangup(struct call *c)
{
	c->phase = PH_IDLE;
	set_play(c, NULL, false);
	sip_hangup(c);
}

/* Starts the node's input wait, or moves on when it takes no input. */
static void
after_output(struct call *c, double now)
{
	const struct node *n = cur(c);

	set_play(c, NULL, false);
	if (n->ndigits > 0 || n->has_collect || n->has_speech) {
		c->phase = PH_WAIT;
		c->phase_start = now;
		c->deadline = now + (n->has_speech ? n->speech_timeout
						   : n->timeout);
		c->sp_first = c->sp_last = -1;
		c->sp_ok = false;
	} else if (n->hangup || n->next < 0)
		hangup(c);
	else
		node_enter(c, n->next, now);
}

static void
start_hold(struct call *c, double now)
{
	const struct node *n = cur(c);

	c->phase = PH_HOLD;
	c->phase_start = now;
	c->in_announce = false;
	c->music_pos = 0;
	c->hold_next_ann = n->announce_pcm != NULL ? now + n->every : -1;
	set_play(c, n->music_pcm, true);
}

static void
after_prompt(struct call *c, double now)
{
	const struct node *n = cur(c);

	if (n->has_hold && n->duration > 0)
		start_hold(c, now);
	else
		after_output(c, now);
}

/* Plays the node's prompt (again). */
static void
start_prompt(struct call *c, double now)
{
	const struct node *n = cur(c);

	c->ncollect = 0;
	c->collect[0] = '\0';
	c->phase_start = now;
	if (n->prompt != NULL) {
		c->phase = PH_PROMPT;
		set_play(c, n->prompt, false);
	} else
		after_prompt(c, now);
}

static void
start_agent(struct call *c, double now)
{
	const struct node *n = cur(c);
	char path[4096], *base;
	int rc;

	c->phase = PH_AGENT;
	c->phase_start = now;
	c->deadline = now + n->listen;
	c->agent_node = c->node;
	c->agent_start = now;
	now_rfc3339(c->agent_started_at, sizeof(c->agent_started_at));
	set_play(c, n->prompt, false);
	base = c->listen_path;
	if (base == NULL) {
		snprintf(path, sizeof(path), "%s/%s-%d-%lu-listen.wav",
			 c->ivr->reportdir, c->ivr->sc->slug, c->seq,
			 (unsigned long)getpid());
		rc = audio_wav_open(&c->listen_wav, path, AUDIO_RATE, 1);
		if (rc < 0)
			log_warnx("agent: call %d: cannot record to %s", c->seq,
				  path);
		else
			c->listen_path = xstrdup(path);
	}
	log_info("call %d: agent '%s' on the line, listening %.1f s", c->seq,
		 n->name, n->listen);
}

static void
node_enter(struct call *c, int idx, double now)
{
	const struct node *n;

	c->node = idx;
	c->tries = 0;
	n = cur(c);
	json_object_array_add(c->nodes, json_object_new_string(n->name));
	log_info("call %d: node '%s'", c->seq, n->name);
	if (n->listen > 0)
		start_agent(c, now);
	else
		start_prompt(c, now);
}

/* A timeout, a wrong digit or a wrong collected string. */
static void
node_fail(struct call *c, double now, const char *why)
{
	const struct node *n = cur(c);

	if (c->tries < n->retries) {
		c->tries++;
		log_info("call %d: node '%s': %s, replaying (%d/%d)", c->seq,
			 n->name, why, c->tries, n->retries);
		json_object_array_add(c->nodes, json_object_new_string(n->name));
		start_prompt(c, now);
	} else if (n->on_fail >= 0) {
		log_info("call %d: node '%s': %s, going to '%s'", c->seq,
			 n->name, why, n->on_fail_name);
		node_enter(c, n->on_fail, now);
	} else {
		log_info("call %d: node '%s': %s, hanging up", c->seq, n->name,
			 why);
		hangup(c);
	}
}

static void
collect_done(struct call *c, double now)
{
	const struct node *n = cur(c);

	json_object_object_add(c->collected, n->name,
			       json_object_new_string(c->collect));
	if (n->expect != NULL && strcmp(n->expect, c->collect) != 0) {
		char why[128];

		snprintf(why, sizeof(why), "collected '%s', expected '%s'",
			 c->collect, n->expect);
		node_fail(c, now, why);
		return;
	}
	log_info("call %d: node '%s': collected '%s'", c->seq, n->name,
		 c->collect);
	if (n->hangup || n->next < 0)
		hangup(c);
	else
		node_enter(c, n->next, now);
}

void
engine_start(struct call *c, double now)
{
	c->t_answer = now;
	node_enter(c, c->ivr->sc->start, now);
}

void
engine_digit(struct call *c, char d, const char *how)
{
	const struct node *n = cur(c);
	double now = now_mono();

	if (c->ndigits + 1 < sizeof(c->digits)) {
		c->digits[c->ndigits++] = d;
		c->digits[c->ndigits] = '\0';
	}
	log_info("call %d: digit '%c' (%s)", c->seq, d, how);
	if (n == NULL || (c->phase != PH_PROMPT && c->phase != PH_WAIT))
		return;
	if (n->ndigits > 0) {
		for (int i = 0; i < n->ndigits; i++)
			if (n->digits[i].digit == d) {
				node_enter(c, n->digits[i].target, now);
				return;
			}
		char why[32];

		snprintf(why, sizeof(why), "unknown digit '%c'", d);
		node_fail(c, now, why);
	} else if (n->has_collect) {
		/* Barge-in: the prompt stops at the first digit. */
		if (c->phase == PH_PROMPT) {
			char keep[sizeof(c->collect)];

			memcpy(keep, c->collect, sizeof(keep));
			after_output(c, now);
			memcpy(c->collect, keep, sizeof(keep));
		}
		c->deadline = now + n->timeout;
		if (n->terminator != 0 && d == n->terminator) {
			collect_done(c, now);
			return;
		}
		if (c->ncollect + 1 < sizeof(c->collect)) {
			c->collect[c->ncollect++] = d;
			c->collect[c->ncollect] = '\0';
		}
		if ((int)c->ncollect >= n->collect_max)
			collect_done(c, now);
	}
}

void
engine_audio(struct call *c, const int16_t *frame, double now)
{
	const struct node *n = cur(c);
	double db = audio_rms_dbfs(frame, FRAME);

	if (c->phase == PH_AGENT) {
		if (c->listen_wav != NULL)
			audio_wav_write(c->listen_wav, frame, FRAME);
		if (db > HEARD_DBFS)
			c->heard_frames++;
		return;
	}
	if (c->phase != PH_WAIT || n == NULL || !n->has_speech)
		return;
	if (db > SPEECH_DBFS) {
		if (c->sp_first < 0 || now - c->sp_last > SPEECH_GAP)
			c->sp_first = now - 0.02;
		c->sp_last = now;
		if (c->sp_last - c->sp_first >= n->speech_min)
			c->sp_ok = true;
	}
}

/* Ends a speech wait with success. */
static void
speech_done(struct call *c, double now)
{
	const struct node *n = cur(c);
	double secs = c->sp_last - c->sp_first;

	json_object_object_add(c->speech, n->name, json_secs(secs));
	log_info("call %d: node '%s': heard %.2f s of speech", c->seq, n->name,
		 secs);
	if (n->hangup || n->next < 0)
		hangup(c);
	else
		node_enter(c, n->next, now);
}

void
engine_tick(struct call *c, double now)
{
	const struct node *n = cur(c);

	if (n == NULL)
		return;
	switch (c->phase) {
	case PH_HOLD:
		if (now - c->phase_start >= n->duration) {
			after_output(c, now);
			break;
		}
		if (!c->in_announce && c->hold_next_ann > 0 &&
		    now >= c->hold_next_ann) {
			c->music_pos = c->play_pos;
			c->in_announce = true;
			set_play(c, n->announce_pcm, false);
			c->hold_next_ann += n->every;
		}
		break;
	case PH_WAIT:
		if (n->has_speech && c->sp_ok && now - c->sp_last >= SPEECH_END) {
			speech_done(c, now);
			break;
		}
		if (now < c->deadline)
			break;
		if (n->has_speech && c->sp_ok)
			speech_done(c, now);
		else if (n->has_collect && c->ncollect > 0)
			collect_done(c, now);
		else
			node_fail(c, now, "no input");
		break;
	case PH_AGENT:
		/* Keep the recording on the call's timeline: pad gaps in what
		 * was received with silence. */
		if (c->listen_wav != NULL) {
			static const int16_t zero[FRAME];
			uint64_t want = (uint64_t)((now - c->agent_start) / 0.02);

			while (audio_wav_frames(c->listen_wav) / FRAME + 3 < want)
				audio_wav_write(c->listen_wav, zero, FRAME);
		}
		if (now >= c->deadline) {
			log_info("call %d: agent done after %.1f s, heard %.2f s "
				 "of speech",
				 c->seq, n->listen, c->heard_frames * 0.02);
			hangup(c);
		}
		break;
	default:
		break;
	}
}

void
engine_frame(struct call *c, int16_t *frame, double now)
{
	size_t got = 0;

	engine_tick(c, now);
	while (got < FRAME && c->play != NULL) {
		size_t k = c->play->n - c->play_pos;

		if (k > FRAME - got)
			k = FRAME - got;
		memcpy(frame + got, c->play->s + c->play_pos, k * sizeof(*frame));
		got += k;
		c->play_pos += k;
		if (c->play_pos < c->play->n)
			continue;
		/* End of the clip. */
		if (c->play_loop) {
			c->play_pos = 0;
			if (c->play->n == 0)
				break;
			continue;
		}
		if (c->phase == PH_PROMPT) {
			set_play(c, NULL, false);
			after_prompt(c, now);
		} else if (c->phase == PH_HOLD && c->in_announce) {
			const struct node *n = cur(c);

			c->in_announce = false;
			set_play(c, n->music_pcm, true);
			c->play_pos = c->music_pos;
		} else
			set_play(c, NULL, false);
	}
	if (got < FRAME)
		memset(frame + got, 0, (FRAME - got) * sizeof(*frame));
}
