/*
 * mediad: the media daemon.  It owns the RTP legs of every call (leg.c),
 * sends RFC 4733 digits paced one packet per 20 ms (dtmf.c), plays WAV
 * prompts, bridges the company and user legs, records the call as a mixed
 * mono WAV (record.c) and publishes every received 20 ms frame on the bus
 * for classifyd.
 *
 * Control protocol (JSON on the ROUTER socket; every field is checked and a
 * bad one gets ok:false with an error naming it):
 *   leg_open   {call_id, leg}                        -> {addr, port}
 *   leg_remote {call_id, leg, addr, port, pt, dtmf_pt, direction?} -> {}
 *   leg_close  {call_id, leg}                        -> {}
 *   dtmf       {call_id, leg, digits, duration_ms?, gap_ms?} -> {queued}
 *   bridge     {call_id}                             -> {}
 *   play       {call_id, leg, path}                  -> {seconds}
 *   say        {call_id, leg, text, voice?}          -> {seconds}
 *   status     {}  -> {calls:[{call_id, bridged, recording, legs:[...]}]}
 * leg is "company" or "user"; pt is 0 (PCMU) or 8 (PCMA); dtmf_pt is the
 * telephone-event payload type (96..127, usually 101) or -1 for none;
 * direction is sipd's side of the SDP (default sendrecv): recvonly and
 * inactive stop the leg's sending while the far end holds the call.
 *
 * Events: recording_started {path}, recording_stopped {path, seconds},
 * dtmf_received {leg, digit}, and binary audio frames (topic "audio").
 */
#include "mediad.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "audio.h"
#include "log.h"

#define MEDIAD_MAX_CATCHUP 5	/* ticks run at once after a stall */
#define MEDIAD_REMOTE_GRACE_S 30 /* beyond [sip] invite_timeout_s */

static struct call *
call_find(struct mediad *m, const char *id)
{
	for (struct call *c = m->calls; c; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

static int
call_nlegs(const struct call *c)
{
	int n = 0;

	for (int i = 0; i < MEDIAD_NLEGS; i++)
		n += c->legs[i] != NULL;
	return n;
}

static void
call_stop_recording(struct call *c)
{
	struct bus *bus = daemon_bus(c->m->d);
	json_object *o;

	if (c->rec == NULL)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "path",
			       json_object_new_string(recording_path(c->rec)));
	json_object_object_add(o, "seconds",
			       json_object_new_double(recording_seconds(c->rec)));
	log_info("record: %s: stopped after %.1f s", recording_path(c->rec),
		 recording_seconds(c->rec));
	recording_close(c->rec);
	c->rec = NULL;
	bus_publish(bus, MSG_recording_stopped, c->id, o);
}

static void
call_free(struct call *c)
{
	struct call **pp;

	for (pp = &c->m->calls; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	for (int i = 0; i < MEDIAD_NLEGS; i++)
		leg_free(c->legs[i]);
	call_stop_recording(c);
	free(c);
}

static struct call *
call_new(struct mediad *m, const char *id)
{
	const struct conf *conf = daemon_conf(m->d);
	struct call *c;
	char err[512];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->m = m;
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->next = m->calls;
	m->calls = c;
	if (!conf->record)
		return c;
	if (recording_open(&c->rec, conf->recordings_dir, id, err,
			   sizeof(err)) < 0) {
		log_warnx("record: %s: %s; the call goes on unrecorded", id,
			  err);
		return c;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "path",
			       json_object_new_string(recording_path(c->rec)));
	log_info("record: %s: started", recording_path(c->rec));
	bus_publish(daemon_bus(m->d), MSG_recording_started, id, o);
	return c;
}

/* Closes one leg; the call goes with its last leg. */
static void
call_close_leg(struct call *c, int which)
{
	log_info("leg: %s %s: closed (port %d, %llu packets in, %llu out)",
		 c->id, msg_leg_name(which), c->legs[which]->port,
		 (unsigned long long)c->legs[which]->rx_packets,
		 (unsigned long long)c->legs[which]->tx_packets);
	leg_free(c->legs[which]);
	c->legs[which] = NULL;
	if (call_nlegs(c) == 0)
		call_free(c);
}

void
mediad_dtmf_received(struct leg *l, int event)
{
	char digit[2] = {tev_char(event), '\0'};
	json_object *o;

	if (digit[0] == '\0') {
		log_debug("dtmf: %s %s: ignoring telephone event %d",
			  l->call->id, msg_leg_name(l->which), event);
		return;
	}
	log_info("dtmf: %s %s: received '%s'", l->call->id,
		 msg_leg_name(l->which), digit);
	o = json_object_new_object();
	json_object_object_add(o, "leg",
			       json_object_new_string(msg_leg_name(l->which)));
	json_object_object_add(o, "digit", json_object_new_string(digit));
	bus_publish(daemon_bus(l->call->m->d), MSG_dtmf_received, l->call->id,
		    o);
}

/* ---- the 20 ms tick ---- */

static void
tick_call(struct mediad *m, struct call *c)
{
	struct bus *bus = daemon_bus(m->d);
	static const int16_t silence[MEDIAD_FRAME];
	int16_t out[MEDIAD_FRAME];

	for (int i = 0; i < MEDIAD_NLEGS; i++) {
		struct leg *l = c->legs[i];
		if (l == NULL)
			continue;
		leg_receive(l);
		if (l->rx_valid)
			bus_publish_audio(bus, c->id, l->which, l->seq++,
					  l->recv_ts - MEDIAD_FRAME, l->rx,
					  MEDIAD_FRAME);
	}
	for (int i = 0; i < MEDIAD_NLEGS; i++) {
		struct leg *l = c->legs[i], *other = c->legs[1 - i];
		const int16_t *pcm = silence;

		if (l == NULL)
			continue;
		memset(l->tx, 0, sizeof(l->tx));
		if (!l->has_remote)
			continue;
		if (l->play_pos < l->play_len) {
			size_t n = l->play_len - l->play_pos;
			if (n > MEDIAD_FRAME)
				n = MEDIAD_FRAME;
			memset(out, 0, sizeof(out));
			memcpy(out, l->play + l->play_pos, n * sizeof(out[0]));
			l->play_pos += n;
			if (l->play_pos >= l->play_len) {
				free(l->play);
				l->play = NULL;
				l->play_pos = l->play_len = 0;
			}
			pcm = out;
		} else if (c->bridged && other && other->rx_valid)
			pcm = other->rx;
		leg_send(l, pcm);
	}
	if (c->rec) {
		struct leg *co = c->legs[MSG_LEG_COMPANY];
		mix_sat(out, co ? co->rx : NULL, co ? co->tx : NULL,
			MEDIAD_FRAME);
		if (recording_write(c->rec, out, MEDIAD_FRAME) < 0) {
			log_warnx("record: %s: write failed; recording "
				  "stopped", recording_path(c->rec));
			call_stop_recording(c);
		}
	}
}

/* Closes legs that never got a remote address (their dialog died). */
static void
tick_reap(struct mediad *m)
{
	const struct conf *conf = daemon_conf(m->d);
	int64_t limit = (conf->sip_invite_timeout_s + MEDIAD_REMOTE_GRACE_S) *
			1000,
		now = msg_mono_ms();
	struct call *c, *next;

	for (c = m->calls; c; c = next) {
		next = c->next;
		for (int i = 0; i < MEDIAD_NLEGS; i++) {
			struct leg *l = c->legs[i];
			if (l == NULL || l->has_remote ||
			    now - l->opened_ms < limit)
				continue;
			log_warnx("leg: %s %s: no remote address after %lld s; "
				  "closing it",
				  c->id, msg_leg_name(i),
				  (long long)(now - l->opened_ms) / 1000);
			call_close_leg(c, i);
			if (call_nlegs(c) == 0)
				break; /* c is gone */
		}
	}
}

static void
on_tick(struct daemon *d, void *arg, short revents)
{
	struct mediad *m = arg;
	uint64_t exp = 0;

	(void)d;
	(void)revents;
	if (read(m->tfd, &exp, sizeof(exp)) != (ssize_t)sizeof(exp))
		return;
	if (exp > MEDIAD_MAX_CATCHUP) {
		log_debug("tick: %llu ticks late, skipping some",
			  (unsigned long long)exp);
		exp = MEDIAD_MAX_CATCHUP;
	}
	while (exp-- > 0) {
		for (struct call *c = m->calls; c; c = c->next)
			tick_call(m, c);
		if (++m->ticks % 50 == 0)
			tick_reap(m);
	}
}

/* ---- control requests ---- */

/* A required string member; NULL with err set when missing or mistyped. */
static const char *
req_str(json_object *req, const char *key, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(req, key, &v)) {
		snprintf(err, errlen, "missing '%s'", key);
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0) {
		snprintf(err, errlen, "'%s' must be a non-empty string", key);
		return NULL;
	}
	return json_object_get_string(v);
}

/* An integer member in [min, max]; def when missing if optional. */
static int
req_int(json_object *req, const char *key, bool optional, long def, long min,
	long max, long *out, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(req, key, &v)) {
		if (optional) {
			*out = def;
			return 0;
		}
		snprintf(err, errlen, "missing '%s'", key);
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen, "'%s' must be an integer", key);
		return -EINVAL;
	}
	*out = (long)json_object_get_int64(v);
	if (*out < min || *out > max) {
		snprintf(err, errlen, "'%s' %ld out of range %ld..%ld", key,
			 *out, min, max);
		return -EINVAL;
	}
	return 0;
}

/* call_id: names the recording file, so only [A-Za-z0-9._-], no "." first. */
static const char *
req_call_id(json_object *req, char *err, size_t errlen)
{
	const char *id = req_str(req, "call_id", err, errlen);

	if (id == NULL)
		return NULL;
	if (strlen(id) >= MSG_CALL_ID_MAX || id[0] == '.' ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		       "0123456789._-") != strlen(id)) {
		snprintf(err, errlen,
			 "bad call_id: at most %d characters of A-Z a-z 0-9 . "
			 "_ - (a UUID)",
			 MSG_CALL_ID_MAX - 1);
		return NULL;
	}
	return id;
}

static int
req_leg(json_object *req, char *err, size_t errlen)
{
	const char *s = req_str(req, "leg", err, errlen);
	int leg;

	if (s == NULL)
		return -EINVAL;
	if ((leg = msg_leg_from_name(s)) < 0) {
		snprintf(err, errlen, "bad leg '%.32s': company or user", s);
		return -EINVAL;
	}
	return leg;
}

/* The call (must exist) and, when want_leg, its open leg. */
static int
req_call_leg(struct mediad *m, json_object *req, bool want_leg,
	     struct call **cp, int *which, char *err, size_t errlen)
{
	const char *id = req_call_id(req, err, errlen);
	int leg = 0;

	if (id == NULL)
		return -EINVAL;
	if (want_leg && (leg = req_leg(req, err, errlen)) < 0)
		return -EINVAL;
	if ((*cp = call_find(m, id)) == NULL) {
		snprintf(err, errlen, "unknown call '%s'", id);
		return -ENOENT;
	}
	if (want_leg && (*cp)->legs[leg] == NULL) {
		snprintf(err, errlen, "call '%s' has no %s leg open", id,
			 msg_leg_name(leg));
		return -ENOENT;
	}
	*which = leg;
	return 0;
}

static int
ctl_err(struct mediad *m, struct bus_ctl_req *req, int r, const char *err)
{
	log_info("ctl: %s: %s", req->cmd, err);
	bus_ctl_reply_err(daemon_bus(m->d), req, r == -ENOENT ? 404 : 400,
			  "%s", err);
	return 0;
}

static int
ctl_leg_open(struct mediad *m, struct bus_ctl_req *req)
{
	const struct conf *conf = daemon_conf(m->d);
	char err[512];
	const char *id;
	struct call *c;
	int leg, r;
	bool created = false;

	if ((id = req_call_id(req->req, err, sizeof(err))) == NULL ||
	    (leg = req_leg(req->req, err, sizeof(err))) < 0)
		return ctl_err(m, req, -EINVAL, err);
	if ((c = call_find(m, id)) == NULL) {
		if ((c = call_new(m, id)) == NULL)
			return ctl_err(m, req, -ENOMEM, "out of memory");
		created = true;
	}
	if (c->legs[leg] == NULL) {
		r = leg_new(&c->legs[leg], m, c, leg, err, sizeof(err));
		if (r < 0) {
			log_warnx("leg: %s %s: %s", id, msg_leg_name(leg), err);
			if (created)
				call_free(c);
			return ctl_err(m, req, r, err);
		}
		log_info("leg: %s %s: open on %s:%d", id, msg_leg_name(leg),
			 conf->rtp_addr, c->legs[leg]->port);
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "addr", json_object_new_string(conf->rtp_addr));
	json_object_object_add(o, "port",
			       json_object_new_int(c->legs[leg]->port));
	bus_ctl_reply_ok(daemon_bus(m->d), req, o);
	return 0;
}

static int
ctl_leg_remote(struct mediad *m, struct bus_ctl_req *req)
{
	char err[512];
	struct call *c;
	const char *addr, *dir;
	long port, pt, dtmf_pt;
	int leg, r;

	if ((r = req_call_leg(m, req->req, true, &c, &leg, err,
			      sizeof(err))) < 0)
		return ctl_err(m, req, r, err);
	if ((addr = req_str(req->req, "addr", err, sizeof(err))) == NULL ||
	    req_int(req->req, "port", false, 0, 1, 65534, &port, err,
		    sizeof(err)) < 0 ||
	    req_int(req->req, "pt", false, 0, 0, 127, &pt, err, sizeof(err)) <
		0 ||
	    req_int(req->req, "dtmf_pt", false, 0, -1, 127, &dtmf_pt, err,
		    sizeof(err)) < 0)
		return ctl_err(m, req, -EINVAL, err);
	if (pt != 0 && pt != 8)
		return ctl_err(m, req, -EINVAL,
			       "'pt' must be 0 (PCMU) or 8 (PCMA)");
	if (dtmf_pt != -1 && (dtmf_pt < 96 || dtmf_pt > 127))
		return ctl_err(m, req, -EINVAL,
			       "'dtmf_pt' must be a dynamic payload type "
			       "96..127 (usually 101) or -1");
	dir = bus_json_str(req->req, "direction");
	if (json_object_object_get_ex(req->req, "direction", NULL) &&
	    (dir == NULL ||
	     (strcmp(dir, "sendrecv") != 0 && strcmp(dir, "sendonly") != 0 &&
	      strcmp(dir, "recvonly") != 0 && strcmp(dir, "inactive") != 0)))
		return ctl_err(m, req, -EINVAL,
			       "'direction' must be sendrecv, sendonly, "
			       "recvonly or inactive");
	if (dir == NULL)
		dir = "sendrecv";
	if (leg_set_remote(c->legs[leg], addr, (int)port, (int)pt,
			   (int)dtmf_pt, err, sizeof(err)) < 0)
		return ctl_err(m, req, -EINVAL, err);
	c->legs[leg]->tx_off =
	    strcmp(dir, "recvonly") == 0 || strcmp(dir, "inactive") == 0;
	log_info("leg: %s %s: remote %s:%ld pt %ld dtmf_pt %ld %s", c->id,
		 msg_leg_name(leg), addr, port, pt, dtmf_pt, dir);
	bus_ctl_reply_ok(daemon_bus(m->d), req, NULL);
	return 0;
}

static int
ctl_leg_close(struct mediad *m, struct bus_ctl_req *req)
{
	char err[512];
	struct call *c;
	int leg, r;

	if ((r = req_call_leg(m, req->req, true, &c, &leg, err,
			      sizeof(err))) < 0)
		return ctl_err(m, req, r, err);
	call_close_leg(c, leg);
	bus_ctl_reply_ok(daemon_bus(m->d), req, NULL);
	return 0;
}

static int
ctl_dtmf(struct mediad *m, struct bus_ctl_req *req)
{
	char err[512];
	struct call *c;
	struct leg *l;
	const char *digits;
	long dur, gap;
	int leg, r;

	if ((r = req_call_leg(m, req->req, true, &c, &leg, err,
			      sizeof(err))) < 0)
		return ctl_err(m, req, r, err);
	l = c->legs[leg];
	if ((digits = req_str(req->req, "digits", err, sizeof(err))) == NULL ||
	    req_int(req->req, "duration_ms", true, 100, TEV_DURATION_MIN_MS,
		    TEV_DURATION_MAX_MS, &dur, err, sizeof(err)) < 0 ||
	    req_int(req->req, "gap_ms", true, 100, 0, TEV_GAP_MAX_MS, &gap,
		    err, sizeof(err)) < 0)
		return ctl_err(m, req, -EINVAL, err);
	for (size_t i = 0; digits[i]; i++)
		if (tev_code(digits[i]) < 0) {
			snprintf(err, sizeof(err),
				 "bad digit '%c' at position %zu of 'digits': "
				 "only 0-9 * # A-D",
				 digits[i] >= 0x20 && digits[i] < 0x7f
				     ? digits[i]
				     : '?',
				 i + 1);
			return ctl_err(m, req, -EINVAL, err);
		}
	if (!l->has_remote) {
		snprintf(err, sizeof(err),
			 "call '%s' %s leg has no remote address yet", c->id,
			 msg_leg_name(leg));
		return ctl_err(m, req, -EINVAL, err);
	}
	if (l->dtmf_pt < 0) {
		/* No telephone-event at the far end: tones in the audio. */
		int16_t *pcm = NULL;
		size_t n = 0;
		r = tev_inband(digits, (int)dur, (int)gap, &pcm, &n);
		if (r == 0)
			r = leg_play(l, pcm, n);
		free(pcm);
		if (r < 0) {
			snprintf(err, sizeof(err),
				 "cannot queue %zu in-band digits on call '%s' "
				 "%s leg (at most %d, and %d s of audio)",
				 strlen(digits), c->id, msg_leg_name(leg),
				 TEV_QUEUE_MAX, MEDIAD_PLAY_MAX / AUDIO_RATE);
			return ctl_err(m, req, -ENOSPC, err);
		}
		/* The digits may be an account number or a PIN: counted,
		 * never logged. */
		log_info("dtmf: %s %s: sending %zu digits in-band (%ld ms, "
			 "gap %ld ms)",
			 c->id, msg_leg_name(leg), strlen(digits), dur, gap);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "queued",
				       json_object_new_int((int)strlen(digits)));
		json_object_object_add(o, "inband",
				       json_object_new_boolean(1));
		bus_ctl_reply_ok(daemon_bus(m->d), req, o);
		return 0;
	}
	if (tev_tx_push(&l->dtmf, digits, (int)dur, (int)gap) < 0) {
		snprintf(err, sizeof(err),
			 "too many digits queued on call '%s' %s leg (at most "
			 "%d)",
			 c->id, msg_leg_name(leg), TEV_QUEUE_MAX);
		return ctl_err(m, req, -ENOSPC, err);
	}
	log_info("dtmf: %s %s: sending %zu digits (%ld ms, gap %ld ms)",
		 c->id, msg_leg_name(leg), strlen(digits), dur, gap);
	json_object *o = json_object_new_object();
	json_object_object_add(
	    o, "queued", json_object_new_int((int)tev_tx_pending(&l->dtmf)));
	bus_ctl_reply_ok(daemon_bus(m->d), req, o);
	return 0;
}

static int
ctl_bridge(struct mediad *m, struct bus_ctl_req *req)
{
	char err[512];
	struct call *c;
	int leg, r;

	if ((r = req_call_leg(m, req->req, false, &c, &leg, err,
			      sizeof(err))) < 0)
		return ctl_err(m, req, r, err);
	for (int i = 0; i < MEDIAD_NLEGS; i++)
		if (c->legs[i] == NULL) {
			snprintf(err, sizeof(err),
				 "call '%s' has no %s leg open to bridge",
				 c->id, msg_leg_name(i));
			return ctl_err(m, req, -ENOENT, err);
		}
	c->bridged = true;
	/* Once the two people are connected, what we were saying to either
	 * of them ("one moment please") stops: they hear each other. */
	for (int i = 0; i < MEDIAD_NLEGS; i++) {
		struct leg *l = c->legs[i];
		if (l->play_pos < l->play_len)
			log_info("bridge: %s: %s leg playback cut short", c->id,
				 msg_leg_name(i));
		free(l->play);
		l->play = NULL;
		l->play_len = l->play_pos = 0;
	}
	log_info("bridge: %s: company and user legs bridged", c->id);
	bus_ctl_reply_ok(daemon_bus(m->d), req, NULL);
	return 0;
}

static int
ctl_play(struct mediad *m, struct bus_ctl_req *req)
{
	char err[512];
	struct call *c;
	const char *path;
	int16_t *pcm = NULL;
	size_t n = 0;
	int leg, r;

	if ((r = req_call_leg(m, req->req, true, &c, &leg, err,
			      sizeof(err))) < 0)
		return ctl_err(m, req, r, err);
	if ((path = req_str(req->req, "path", err, sizeof(err))) == NULL)
		return ctl_err(m, req, -EINVAL, err);
	if ((r = audio_wav_read(path, &pcm, &n, err, sizeof(err))) < 0)
		return ctl_err(m, req, r, err);
	r = leg_play(c->legs[leg], pcm, n);
	free(pcm);
	if (r < 0) {
		snprintf(err, sizeof(err),
			 "%s: too long: at most %d s of playback may be "
			 "queued",
			 path, MEDIAD_PLAY_MAX / AUDIO_RATE);
		return ctl_err(m, req, r, err);
	}
	log_info("play: %s %s: %s (%.1f s)", c->id, msg_leg_name(leg), path,
		 (double)n / AUDIO_RATE);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "seconds",
			       json_object_new_double((double)n / AUDIO_RATE));
	bus_ctl_reply_ok(daemon_bus(m->d), req, o);
	return 0;
}

/* Synthesizes text and queues it on the leg, like play; replies once the
 * speech is queued, with its length. */
static int
ctl_say(struct mediad *m, struct bus_ctl_req *req)
{
	char err[512];
	struct call *c;
	const char *text, *voice = NULL;
	json_object *v;
	int16_t *pcm = NULL;
	size_t n = 0;
	int leg, r;

	if ((r = req_call_leg(m, req->req, true, &c, &leg, err,
			      sizeof(err))) < 0)
		return ctl_err(m, req, r, err);
	if ((text = req_str(req->req, "text", err, sizeof(err))) == NULL)
		return ctl_err(m, req, -EINVAL, err);
	if (strlen(text) > TTS_TEXT_MAX) {
		snprintf(err, sizeof(err),
			 "'text' is longer than %d bytes", TTS_TEXT_MAX);
		return ctl_err(m, req, -EINVAL, err);
	}
	if (json_object_object_get_ex(req->req, "voice", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if ((voice = req_str(req->req, "voice", err, sizeof(err))) ==
		    NULL)
			return ctl_err(m, req, -EINVAL, err);
		if (!tts_voice_ok(voice)) {
			snprintf(err, sizeof(err),
				 "bad 'voice' '%.32s': an espeak-ng voice name "
				 "such as en-us or en-us+f3",
				 voice);
			return ctl_err(m, req, -EINVAL, err);
		}
	}
	if ((r = tts_synth(text, voice, &pcm, &n, err, sizeof(err))) < 0)
		return ctl_err(m, req, r == -EIO ? -EINVAL : r, err);
	r = leg_play(c->legs[leg], pcm, n);
	free(pcm);
	if (r < 0) {
		snprintf(err, sizeof(err),
			 "too long: at most %d s of playback may be queued",
			 MEDIAD_PLAY_MAX / AUDIO_RATE);
		return ctl_err(m, req, r, err);
	}
	log_info("say: %s %s: \"%.60s\" (%.1f s)", c->id, msg_leg_name(leg),
		 text, (double)n / AUDIO_RATE);
	/* What we say is part of the call's transcript, word for word. */
	{
		json_object *tc = json_object_new_object();

		json_object_object_add(tc, "leg",
				       json_object_new_string(msg_leg_name(leg)));
		json_object_object_add(tc, "text", json_object_new_string(text));
		json_object_object_add(tc, "speaker",
				       json_object_new_string("us"));
		json_object_object_add(tc, "is_final",
				       json_object_new_boolean(1));
		json_object_object_add(
		    tc, "t",
		    json_object_new_double(c->legs[leg]->seq * 0.02));
		json_object_object_add(
		    tc, "duration",
		    json_object_new_double((double)n / AUDIO_RATE));
		json_object_object_add(tc, "engine",
				       json_object_new_string("tts"));
		bus_publish(daemon_bus(m->d), MSG_transcript_chunk, c->id, tc);
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "seconds",
			       json_object_new_double((double)n / AUDIO_RATE));
	bus_ctl_reply_ok(daemon_bus(m->d), req, o);
	return 0;
}

static int
mediad_ctl(struct daemon *d, void *state, struct bus_ctl_req *req)
{
	static const struct {
		const char *cmd;
		int (*fn)(struct mediad *, struct bus_ctl_req *);
	} cmds[] = {
	    {"leg_open", ctl_leg_open},	    {"leg_remote", ctl_leg_remote},
	    {"leg_close", ctl_leg_close},   {"dtmf", ctl_dtmf},
	    {"bridge", ctl_bridge},	    {"play", ctl_play},
	    {"say", ctl_say},
	};

	(void)d;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(req->cmd, cmds[i].cmd) == 0)
			return cmds[i].fn(state, req);
	return -ENOENT;
}

/* ---- lifecycle ---- */

static void
mediad_status(struct daemon *d, void *state, json_object *reply)
{
	struct mediad *m = state;
	json_object *calls = json_object_new_array();

	(void)d;
	for (struct call *c = m->calls; c; c = c->next) {
		json_object *co = json_object_new_object(),
			    *legs = json_object_new_array();
		json_object_object_add(co, "call_id",
				       json_object_new_string(c->id));
		json_object_object_add(co, "bridged",
				       json_object_new_boolean(c->bridged));
		json_object_object_add(
		    co, "recording",
		    c->rec ? json_object_new_string(recording_path(c->rec))
			   : NULL);
		for (int i = 0; i < MEDIAD_NLEGS; i++) {
			struct leg *l = c->legs[i];
			json_object *lo;
			if (l == NULL)
				continue;
			lo = json_object_new_object();
			json_object_object_add(
			    lo, "leg", json_object_new_string(msg_leg_name(i)));
			json_object_object_add(lo, "port",
					       json_object_new_int(l->port));
			if (l->has_remote) {
				json_object_object_add(
				    lo, "remote_addr",
				    json_object_new_string(l->remote_addr));
				json_object_object_add(
				    lo, "remote_port",
				    json_object_new_int(l->remote_port));
				json_object_object_add(
				    lo, "pt", json_object_new_int(l->pt));
				json_object_object_add(
				    lo, "dtmf_pt",
				    json_object_new_int(l->dtmf_pt));
				json_object_object_add(
				    lo, "sending",
				    json_object_new_boolean(!l->tx_off));
			}
			json_object_object_add(
			    lo, "rx_packets",
			    json_object_new_int64((int64_t)l->rx_packets));
			json_object_object_add(
			    lo, "tx_packets",
			    json_object_new_int64((int64_t)l->tx_packets));
			json_object_object_add(
			    lo, "dtmf_pending",
			    json_object_new_int((int)tev_tx_pending(&l->dtmf)));
			json_object_array_add(legs, lo);
		}
		json_object_object_add(co, "legs", legs);
		json_object_array_add(calls, co);
	}
	json_object_object_add(reply, "calls", calls);
}

static int
mediad_init(struct daemon *d, void *state)
{
	struct mediad *m = state;
	const struct conf *conf = daemon_conf(d);
	struct itimerspec its = {
	    .it_interval = {0, MEDIAD_TICK_MS * 1000000L},
	    .it_value = {0, MEDIAD_TICK_MS * 1000000L},
	};

	m->d = d;
	if (port_count(conf->rtp_port_min, conf->rtp_port_max) == 0) {
		log_warnx("config: [media] rtp_port_min..rtp_port_max "
			  "(%ld..%ld) holds no even RTP port with its RTCP "
			  "port",
			  conf->rtp_port_min, conf->rtp_port_max);
		return -EINVAL;
	}
	m->port_cursor = conf->rtp_port_min - 1;
	leg_lib_init();
	m->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->tfd < 0 || timerfd_settime(m->tfd, 0, &its, NULL) < 0) {
		log_warn("tick: timerfd");
		return -errno;
	}
	if (daemon_watch_fd(d, m->tfd, ZMQ_POLLIN, on_tick, m) < 0) {
		log_warnx("tick: cannot watch the timerfd");
		return -EINVAL;
	}
	log_info("media: RTP on %s ports %ld..%ld, recording %s", conf->rtp_addr,
		 conf->rtp_port_min, conf->rtp_port_max,
		 conf->record ? conf->recordings_dir : "off");
	return 0;
}

static void
mediad_fini(struct daemon *d, void *state)
{
	struct mediad *m = state;

	while (m->calls)
		call_free(m->calls);
	if (m->tfd >= 0) {
		daemon_unwatch(d, m->tfd, NULL);
		close(m->tfd);
		m->tfd = -1;
	}
	leg_lib_fini();
	tts_fini();
}

int
main(int argc, char **argv)
{
	static struct mediad m = {.tfd = -1};
	static const struct daemon_ops ops = {
	    .name = "mediad",
	    .summary = "Hold Slayer media daemon: RTP legs, DTMF, bridge, "
		       "recording",
	    .init = mediad_init,
	    .ctl = mediad_ctl,
	    .status = mediad_status,
	    .fini = mediad_fini,
	};

	return daemon_main(argc, argv, &ops, &m);
}
