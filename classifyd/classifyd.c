/*
 * classifyd: main() and the bus glue.  It subscribes to mediad's audio
 * frames and runs one classifier (classify.c) per call on the company leg,
 * publishing audio_classified every hop and hold_detected / human_detected
 * when the classifier reports them.  ivrd's ivr_step with type HOLD arms
 * hold detection for that call; sipd's call_ended for the company leg, or
 * 30 s without frames, frees the call.  "classifyd --eval MANIFEST" scores
 * the same classifier on a corpus instead of running the daemon (eval.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "classifyd.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "msg.h"
#include "stt.h"

#define CALL_IDLE_MS 30000 /* a call without frames this long is dropped */
#define SWEEP_MS 5000

struct cd_call {
	struct cd_call *next;
	struct classifyd *cd;
	char call_id[MSG_CALL_ID_MAX];
	struct cls *cls;
	struct stt_seg *seg; /* speech segments to transcribe; may be NULL */
	int armed; /* armed before the first frame */
	int64_t last_ms;
};

struct classifyd {
	struct daemon *d;
	struct cd_call *calls;
	struct stt_bus *stt; /* transcripts (stt_bus.c) */
	int ncalls;
	uint64_t frames, windows, bad_frames;
};

static void
cd_params(const struct conf *cf, struct cls_params *p)
{
	cls_params_default(p);
	p->hop_ms = (int)cf->classify_hop_ms;
	p->hold_music_s = cf->classify_hold_music_s;
	p->human_speech_s = cf->classify_human_speech_s;
	if (p->auto_hold_s < p->hold_music_s)
		p->auto_hold_s = p->hold_music_s;
}

/* ---- classifier sink: events on the bus ---- */

static void
cd_on_window(void *arg, const struct cls_window *w)
{
	struct cd_call *call = arg;
	json_object *data = json_object_new_object(), *f;

	call->cd->windows++;
	stt_seg_window(call->seg, w->cls == CLS_SPEECH, w->t,
		       daemon_conf(call->cd->d)->classify_hop_ms / 1000.0);
	f = json_object_new_object();
	json_object_object_add(f, "energy_db", json_object_new_double(w->energy_db));
	json_object_object_add(f, "flatness", json_object_new_double(w->flatness));
	json_object_object_add(f, "centroid_hz",
			       json_object_new_double(w->centroid_hz));
	json_object_object_add(f, "rolloff_hz",
			       json_object_new_double(w->rolloff_hz));
	json_object_object_add(f, "flux", json_object_new_double(w->flux));
	json_object_object_add(f, "zcr", json_object_new_double(w->zcr));
	json_object_object_add(f, "mod4hz", json_object_new_double(w->mod4));
	json_object_object_add(f, "low_energy_ratio",
			       json_object_new_double(w->low_energy));
	json_object_object_add(f, "voiced", json_object_new_double(w->voiced));
	json_object_object_add(f, "pitch_steady",
			       json_object_new_double(w->pitch_steady));
	json_object_object_add(f, "energy_sd_db",
			       json_object_new_double(w->energy_sd));
	json_object_object_add(data, "leg",
			       json_object_new_string(msg_leg_name(MSG_LEG_COMPANY)));
	json_object_object_add(data, "class",
			       json_object_new_string(cls_class_name(w->cls)));
	json_object_object_add(data, "confidence",
			       json_object_new_double(w->confidence));
	json_object_object_add(data, "t", json_object_new_double(w->t));
	if (w->cls == CLS_DTMF && w->digits[0] != '\0')
		json_object_object_add(data, "digit",
				       json_object_new_string(w->digits));
	if (w->tone_code[0] != '\0')
		json_object_object_add(data, "code",
				       json_object_new_string(w->tone_code));
	if (w->tone_hz > 0)
		json_object_object_add(f, "tone_hz",
				       json_object_new_double(w->tone_hz));
	json_object_object_add(data, "features", f);
	bus_publish(daemon_bus(call->cd->d), MSG_audio_classified,
		    call->call_id, data);
}

static void
cd_on_hold(void *arg, const char *hold_type, double t)
{
	struct cd_call *call = arg;
	json_object *data = json_object_new_object();

	log_info("hold: call %s on hold (%s) at %.1f s", call->call_id,
		 hold_type, t);
	json_object_object_add(data, "leg",
			       json_object_new_string(msg_leg_name(MSG_LEG_COMPANY)));
	json_object_object_add(data, "hold_type",
			       json_object_new_string(hold_type));
	json_object_object_add(data, "t", json_object_new_double(t));
	bus_publish(daemon_bus(call->cd->d), MSG_hold_detected, call->call_id,
		    data);
}

static void
cd_on_human(void *arg, double confidence, const char *evidence, double t,
	    double onset_t)
{
	struct cd_call *call = arg;
	json_object *data = json_object_new_object();

	log_info("human: call %s: live human at %.1f s (onset %.1f s): %s",
		 call->call_id, t, onset_t, evidence);
	json_object_object_add(data, "leg",
			       json_object_new_string(msg_leg_name(MSG_LEG_COMPANY)));
	json_object_object_add(data, "confidence",
			       json_object_new_double(confidence));
	json_object_object_add(data, "evidence",
			       json_object_new_string(evidence));
	json_object_object_add(data, "t", json_object_new_double(t));
	json_object_object_add(data, "onset_t",
			       json_object_new_double(onset_t));
	bus_publish(daemon_bus(call->cd->d), MSG_human_detected, call->call_id,
		    data);
}

static void
cd_on_retract(void *arg, const char *reason, double t)
{
	struct cd_call *call = arg;
	json_object *data = json_object_new_object();

	log_info("human: call %s: retracted at %.1f s: %s", call->call_id, t,
		 reason);
	json_object_object_add(data, "leg",
			       json_object_new_string(msg_leg_name(MSG_LEG_COMPANY)));
	json_object_object_add(data, "reason", json_object_new_string(reason));
	json_object_object_add(data, "t", json_object_new_double(t));
	bus_publish(daemon_bus(call->cd->d), MSG_human_retracted,
		    call->call_id, data);
}

/* ---- calls ---- */

static struct cd_call *
cd_call_find(struct classifyd *cd, const char *call_id)
{
	for (struct cd_call *c = cd->calls; c != NULL; c = c->next)
		if (strcmp(c->call_id, call_id) == 0)
			return c;
	return NULL;
}

/* Finds or makes the call; NULL (logged) on failure. */
static struct cd_call *
cd_call_get(struct classifyd *cd, const char *call_id)
{
	struct cd_call *c = cd_call_find(cd, call_id);
	struct cls_params p;
	struct cls_sink sink = {cd_on_window, cd_on_hold, cd_on_human,
				cd_on_retract, NULL, NULL};
	int r;

	if (c != NULL)
		return c;
	if (call_id[0] == '\0' || strlen(call_id) >= MSG_CALL_ID_MAX)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("calls: out of memory for call %s", call_id);
		return NULL;
	}
	c->cd = cd;
	snprintf(c->call_id, sizeof(c->call_id), "%s", call_id);
	sink.arg = c;
	cd_params(daemon_conf(cd->d), &p);
	if ((r = cls_new(&c->cls, &p, &sink)) < 0) {
		log_warnx("calls: cannot make a classifier for %s: %s",
			  call_id, strerror(-r));
		free(c);
		return NULL;
	}
	if ((r = stt_bus_seg_new(cd->stt, c->call_id, MSG_LEG_COMPANY,
				 &c->seg)) < 0)
		log_warnx("calls: no transcripts for %s: %s", call_id,
			  strerror(-r));
	c->last_ms = msg_mono_ms();
	c->next = cd->calls;
	cd->calls = c;
	cd->ncalls++;
	log_debug("calls: classifying call %s", call_id);
	return c;
}

static void
cd_call_drop(struct classifyd *cd, struct cd_call *call, const char *why)
{
	for (struct cd_call **pp = &cd->calls; *pp != NULL;
	     pp = &(*pp)->next)
		if (*pp == call) {
			*pp = call->next;
			break;
		}
	log_debug("calls: forgetting call %s (%s)", call->call_id, why);
	stt_seg_flush(call->seg);
	stt_seg_free(call->seg);
	cls_free(call->cls);
	free(call);
	cd->ncalls--;
}

static void
cd_sweep(struct daemon *d, void *arg)
{
	struct classifyd *cd = arg;
	int64_t now = msg_mono_ms();
	struct cd_call *c = cd->calls, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		if (now - c->last_ms > CALL_IDLE_MS)
			cd_call_drop(cd, c, "no audio for 30 s");
	}
	if (daemon_timer_add(d, SWEEP_MS, cd_sweep, cd) < 0)
		log_warnx("calls: cannot re-arm the idle sweep");
}

/* ---- daemon ops ---- */

static int
cd_init(struct daemon *d, void *state)
{
	struct classifyd *cd = state;
	struct bus *b = daemon_bus(d);
	static const char *const media[] = {"audio", NULL};
	static const char *const ivr[] = {"ivr_step", NULL};
	static const char *const sip[] = {"call_ended", NULL};
	char err[512];

	cd->d = d;
	if (bus_sub_connect(b, "mediad", media) < 0 ||
	    bus_sub_connect(b, "ivrd", ivr) < 0 ||
	    bus_sub_connect(b, "sipd", sip) < 0) {
		log_warnx("bus: cannot subscribe to mediad, ivrd and sipd");
		return -1;
	}
	if (daemon_timer_add(d, SWEEP_MS, cd_sweep, cd) < 0)
		return -1;
	if (stt_bus_new(&cd->stt, d, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

static void
cd_audio(struct classifyd *cd, struct bus_in *in)
{
	struct cd_call *c;

	if (in->audio.leg != MSG_LEG_COMPANY)
		return;
	if (in->audio.samples > MSG_AUDIO_MAX_SAMPLES) {
		cd->bad_frames++;
		log_warnx("audio: frame of %u samples for %s dropped",
			  (unsigned)in->audio.samples, in->audio.call_id);
		return;
	}
	if ((c = cd_call_get(cd, in->audio.call_id)) == NULL) {
		cd->bad_frames++;
		return;
	}
	c->last_ms = msg_mono_ms();
	cd->frames++;
	stt_seg_feed(c->seg, in->pcm, in->audio.samples);
	cls_feed(c->cls, in->pcm, in->audio.samples);
}

static void
cd_event(struct daemon *d, void *state, struct bus_in *in)
{
	struct classifyd *cd = state;
	struct msg_event *ev = &in->ev;
	struct cd_call *c;
	const char *s;

	(void)d;
	if (in->kind == BUS_IN_AUDIO) {
		cd_audio(cd, in);
		return;
	}
	switch (ev->type) {
	case MSG_ivr_step:
		s = bus_json_str(ev->data, "type");
		if (s == NULL || strcmp(s, "HOLD") != 0)
			break;
		if ((c = cd_call_get(cd, ev->call_id)) == NULL) {
			log_warnx("ivr_step: HOLD without a usable call_id");
			break;
		}
		log_info("hold: call %s: hold detection armed", ev->call_id);
		cls_arm_hold(c->cls);
		break;
	case MSG_call_ended:
		s = bus_json_str(ev->data, "leg");
		if (s != NULL && strcmp(s, "company") != 0)
			break;
		if ((c = cd_call_find(cd, ev->call_id)) != NULL)
			cd_call_drop(cd, c, "call ended");
		break;
	default:
		break;
	}
}

static void
cd_status(struct daemon *d, void *state, json_object *reply)
{
	struct classifyd *cd = state;
	uint64_t q, p, dr;

	(void)d;
	json_object_object_add(reply, "calls", json_object_new_int(cd->ncalls));
	json_object_object_add(reply, "frames",
			       json_object_new_int64((int64_t)cd->frames));
	json_object_object_add(reply, "windows",
			       json_object_new_int64((int64_t)cd->windows));
	json_object_object_add(reply, "bad_frames",
			       json_object_new_int64((int64_t)cd->bad_frames));
	stt_bus_counts(cd->stt, &q, &p, &dr);
	json_object_object_add(reply, "transcripts",
			       json_object_new_int64((int64_t)p));
	json_object_object_add(reply, "segments_dropped",
			       json_object_new_int64((int64_t)dr));
}

static void
cd_reload(struct daemon *d, void *state, const struct conf *old)
{
	struct classifyd *cd = state;
	struct cls_params p;

	(void)old;
	cd_params(daemon_conf(d), &p);
	for (struct cd_call *c = cd->calls; c != NULL; c = c->next)
		if (cls_set_params(c->cls, &p) < 0)
			log_warnx("reload: bad [classify] values; call %s "
				  "keeps the old ones",
				  c->call_id);
}

static void
cd_fini(struct daemon *d, void *state)
{
	struct classifyd *cd = state;

	(void)d;
	while (cd->calls != NULL)
		cd_call_drop(cd, cd->calls, "shutting down");
	stt_bus_free(cd->stt);
	cd->stt = NULL;
}

/* ---- the --eval and --wer tools ---- */

static void
cd_tool_usage(FILE *fp)
{
	fprintf(fp, "usage: classifyd [-hnVv] [-f file] [--eval manifest] "
		    "[--wer manifest]\n");
}

/*
 * classifyd [-v] [-f file] --eval MANIFEST | --wer MANIFEST: parses the
 * options and the configuration once for both tools and runs the one
 * asked for.  Returns the exit status.
 */
static int
cd_tool_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"eval", required_argument, NULL, 'E'},
	    {"wer", required_argument, NULL, 'W'},
	    {NULL, 0, NULL, 0}};
	const char *manifest = NULL, *conf_path = NULL;
	struct cls_params p;
	struct conf *cf;
	char err[512];
	int c, tool = 0, verbose = 0, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'E':
		case 'W':
			if (tool != 0 && tool != c) {
				fprintf(stderr, "classifyd: --eval and --wer "
						"are separate runs\n");
				return 2;
			}
			tool = c;
			manifest = optarg;
			break;
		case 'f':
			conf_path = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			cd_tool_usage(stderr);
			return 2;
		}
	}
	if (manifest == NULL || optind != argc) {
		cd_tool_usage(stderr);
		return 2;
	}
	if (conf_load(&cf, conf_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "classifyd: config: %s\n", err);
		return 1;
	}
	if (tool == 'W') {
		r = stt_wer_main(manifest, cf, verbose);
	} else {
		cd_params(cf, &p);
		r = eval_run(manifest, &p, verbose, stdout);
	}
	conf_free(cf);
	return r;
}

int
main(int argc, char **argv)
{
	static struct classifyd cd;
	static const struct daemon_ops ops = {
	    .name = "classifyd",
	    .summary = "Hold Slayer audio classifier: call progress, hold "
		       "and live-human detection",
	    .usage = "[--eval manifest] [--wer manifest]",
	    .options_help = "  --eval manifest\n"
			    "           score the classifier on a corpus "
			    "manifest and exit\n"
			    "  --wer manifest\n"
			    "           measure the word error rate of the "
			    "transcripts on a\n"
			    "           corpus manifest and exit\n",
	    .init = cd_init,
	    .event = cd_event,
	    .status = cd_status,
	    .reload = cd_reload,
	    .fini = cd_fini,
	};

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--eval") == 0 ||
		    strncmp(argv[i], "--eval=", 7) == 0 ||
		    strcmp(argv[i], "--wer") == 0 ||
		    strncmp(argv[i], "--wer=", 6) == 0)
			return cd_tool_main(argc, argv);
	}
	return daemon_main(argc, argv, &ops, &cd);
}
