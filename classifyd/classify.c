/*
 * classify: window decisions and the per-call hold / live-human state
 * machine.  cls_feed() cuts the audio into 20 ms frames, measures each
 * (features.c, plus spandsp's DTMF receiver) and keeps the last few seconds
 * of frames as context.  Every hop it decides one class:
 *
 *   dtmf      a DTMF digit was heard in the hop (spandsp dtmf_rx);
 *   ringback  440 + 480 Hz held for most of the hop, or the silent part of
 *             a 2 s on / 4 s off cadence after such a burst;
 *   busy      480 + 620 Hz, or the gaps of a 0.5 s on / 0.5 s off cadence;
 *   reorder   480 + 620 Hz at 0.25 s on / 0.25 s off;
 *   sit       the three special-information tones, with the SIT code;
 *   fax       CNG (1100 Hz) or CED (2100 Hz), spandsp's receivers;
 *   beep      one steady tone of 400-2500 Hz standing out of what came
 *             before (a voicemail beep);
 * (the tone classes are decided in tones.c)
 *   silence   low level, or stationary noise (flat spectrum, steady level);
 *   speech    syllabic 2.5-8 Hz envelope modulation, pauses (many
 *             low-energy frames), a spectrum that changes every syllable,
 *             voiced and unvoiced sounds in turn;
 *   music     steady energy, partials held in place (tonal continuity).
 *
 * Between music and speech the published class is smoothed by a sticky
 * two-state forward filter; the hold / human logic uses the raw classes.
 *
 * On top of the windows it runs the call's hold state: hold is music (or
 * silence, or a repeating announcement) lasting long enough while armed, or
 * music lasting much longer when not armed.  After hold, new speech that
 * does not repeat speech heard earlier in the call (band-energy fingerprint,
 * sliding correlation) is judged from its first word on: a new line behind
 * it (the backgrounds heard in the call), a voice and level unlike the
 * announcements, against signs of a recording or of music; see
 * classifyd(8) for the rules.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>

#include <stdint.h>
/* Only the spandsp parts needed: <spandsp.h> clashes with sphinxbase. */
#include <spandsp/telephony.h>
#include <spandsp/complex.h>
#include <spandsp/logging.h>
#include <spandsp/tone_detect.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>

#include "classifyd.h"

#define CTX_FRAMES 256	  /* frames of context kept (5.12 s) */
#define MOD_FRAMES FEAT_MODN /* envelope span for the modulation (1.28 s) */
#define LONG_FRAMES 125	  /* long context (2.5 s) */
#define HIST_HOPS 200	  /* published classes remembered */
#define HOLD_SHARE_ARMED 0.70	/* music share that means hold when armed */
#define HOLD_SHARE_UNARMED 0.85 /* and when not armed */
#define SEG_MAX 16	  /* speech segments remembered per call */
#define SEG_FRAMES 1500	  /* frames kept per segment (30 s) */
#define FP_MIN_FRAMES 30  /* overlap needed to compare fingerprints */
#define FP_MAX_FRAMES 100 /* frames of a new segment compared */
#define FP_REPEAT_R 0.70  /* correlation that means "heard before" */
#define FP_CONFIRM 150	  /* overlap that confirms a replay */
#define REPLAY_OVER 50	  /* frames of speech past a replay's end: new */
#define SEG_GAP_S 0.4	  /* pause that ends a speech segment */
#define SEG_RESUME_FRAMES 40 /* a segment split by one hop goes on */
#define GAP_FRAMES 50	  /* frames looked at before an onset */
#define LIVE_FRAMES 100	  /* frames that say whether a segment is new speech */
#define LIVE_FIRST 3	  /* judgments of that first view, a hop apart */
#define LIVE_LATE_FRAMES 500 /* then judged as it goes on, up to 10 s */
#define LIVE_MIN_FRAMES 30 /* frames before a segment is judged */
#define LIVE_VOICED 10	  /* voiced frames on a new line: someone talks */
#define VOICE_NEW_DB 8.0  /* spectral shape distance of another voice */
#define PITCH_NEW_ST 7.0  /* pitch distance of another voice */
#define VOICE_SNR_DB 25.0 /* speech above the hold's line noise to judge a voice */
#define ANCHOR_MAX 100	  /* frames within which a segment's onset moves */
#define ANCHOR_GAP 6	  /* quiet frames that separate hold audio and speech */
#define ANCHOR_DB 25.0	  /* how far below the loud frames "quiet" is */
#define ANCHOR_LEAD_DB 15.0 /* hold audio this close to the speech runs into it */
#define QUIET_AFTER_S 2.5 /* quiet after speech that means a person waits */
#define TURN_QUIET_S 1.5  /* the same after speech with some evidence */
#define RETRACT_MUSIC_S 3.0 /* music after a human that withdraws it */
#define SPEECH_DIP_DB 12.0 /* speech dips this far below its level */
#define MUSIC_UNDER 0.75  /* share of tonal quiet frames: music under it */
#define REF_QUIET_S 1.0	  /* quiet after an announcement's end */
#define BG_MAX 32	  /* backgrounds remembered */
#define BG_MIN_FRAMES 6	  /* frames of a steady quiet stretch */
#define BG_QUIET_DB 20.0  /* below the recent peak */
#define BG_STEADY_DB 4.0  /* frame levels within this of the run's mean */
#define BG_LEAD_S 0.3	  /* a breath or faint sound before the first word */
#define BG_NEW_DB 6.0	  /* level or spectrum change of a new line */
#define HOLD_NOISY_DB -70.0 /* hold line noise that hides a new line */
#define BG_FLAT 0.25	  /* flatness of noise (a quiet passage of music is less) */
#define BG_NEAR_FRAMES 15 /* frames after a background looked at (0.3 s) */
#define BG_FLOOR_DB 6.0	  /* a line is the floor: nothing this much quieter after it */
#define BG_SNR_DB 60.0	  /* a line's noise is within this of the talker */

struct cls;
static double cls_bg_new(const struct cls *c, double t0, double t1,
			 double speech_db, double *level, double *hold_db,
			 double *bg_t0);
static void cls_note(struct cls *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *const cls_names[CLS_NCLASS] = {
    "silence", "music", "speech", "ringback", "busy", "dtmf",
    "reorder", "sit", "fax", "beep"};

/* What a speech segment keeps of each frame. */
struct seg_frame {
	float bands[FEAT_NBANDS];
	float shape[FEAT_NBANDS]; /* bands with a floor, less their mean */
	float e, harm, pitch, flat;
};

/* A stretch of speech: its frames, for spotting repeats and voices. */
struct cls_seg {
	struct seg_frame *fr;
	int n;
	double t0;	 /* onset, seconds */
	int repeat;	 /* matched an earlier segment */
	int ann;	 /* an announcement: it repeated, or was repeated */
	int live;	 /* reported as the live human */
	double gap_s;	 /* quiet (not music) just before the onset */
	double gap_db;	 /* its level */
	int after_music; /* hold music played just before */
	int judged;
	double early;	 /* score of its first view */
	int anchor;	 /* first frame of the live test's view */
	int nhops, npub; /* hops, and hops published as speech */
	int by_music;	 /* the hold music came back after it */
	double lead_db;	 /* loudest of the 5 frames before the onset */
	double rep_t0;	 /* the earlier segment it replays */
	int split;	 /* cut from a replay that went on past its end */
	int confirmed;	 /* the replay matched over FP_CONFIRM frames */
	int rep_off;	 /* at this offset (frames) */
	/* summary (cls_seg_stats) */
	float shape[FEAT_NBANDS];
	double level_db, floor_db, pitch_hz, quiet_tonal;
	int nact;
};

/*
 * A background: a steady quiet stretch (line noise, comfort noise, the
 * digital silence of a recording's pauses) with its level and spectrum.
 */
struct cls_bg {
	double t0, t1;		  /* seconds */
	double level_db;	  /* mean frame level (-90 for digital silence) */
	float bands[FEAT_NBANDS]; /* mean band levels, dB, floored at -90 */
	double flatness;	  /* mean spectral flatness */
	int n;			  /* frames */
	double near_min;	  /* quietest frame just after it, dB */
	int pending;		  /* frames after it still to look at */
};

/* Per-tone cadence tracker. */
struct cls_tone {
	int run;	 /* frames of the current burst */
	int last_run;	 /* frames of the latest finished burst */
	uint64_t last_end; /* frame index where it ended */
	int seen;
};

struct cls {
	struct cls_params p;
	struct cls_sink sink;
	struct feat *feat;
	struct tones *tones; /* DTMF, fax, SIT, beep, reorder (tones.c) */

	int16_t pend[FEAT_HOP];
	size_t npend;
	uint64_t nframes;

	struct feat_frame ctx[CTX_FRAMES]; /* ring, index nframes % CTX */
	int hop_frames;	 /* frames per hop */
	int in_hop;	 /* frames of the current hop so far */
	char digits[16]; /* DTMF digits of the current hop */
	int dtmf_frames; /* frames with a DTMF tone in the hop */
	struct cls_tone rb, busy;
	double floor_db; /* slow noise-floor tracker */
	double odds;	 /* smoothed speech-vs-music log-odds */
	enum cls_class last_pub; /* the class published last */
	int quiet_hops;	 /* hops since the last music or speech */
	int other_loud;	 /* loud frames of the hop that are not a tone */
	double hop_shape[FEAT_NBANDS]; /* band shape of the last hop, dB */
	int have_shape;

	/* hold / human */
	int armed, hold_seen, human_seen;
	double armed_t;	   /* when hold detection was armed */
	double silence_run;
	unsigned char hist[HIST_HOPS]; /* published classes, ring */
	unsigned nhist;
	struct cls_seg seg[SEG_MAX];
	int nseg;
	int cur;	  /* open segment index, -1 none */
	double seg_speech; /* speech seconds in the open segment */
	double seg_gap;	  /* trailing non-speech of the open segment */
	double new_speech; /* unexplained speech since hold audio last played */
	double new_speech_onset; /* where that speech began */
	double turn_score;	 /* its best live score so far */
	char turn_ev[300];	 /* and that score's evidence */
	double music_consec; /* consecutive music seconds */
	int music_recent;    /* the previous hop was music */
	int human_live;	     /* human reported and not retracted */
	int nann;	     /* speech-like segments heard (announcements) */
	double hold_floor;   /* noise floor heard during hold */
	/* backgrounds heard (ring of BG_MAX) and the run being measured */
	struct cls_bg bg[BG_MAX];
	unsigned nbg;
	double loud_ref;      /* decaying peak level, dB */
	int bg_run;	      /* frames of the current steady quiet run */
	double bg_sum, bg_flat, bg_bands[FEAT_NBANDS];
	int hold_music;	     /* the hold was music */
};

const char *
cls_class_name(enum cls_class c)
{
	return (unsigned)c < CLS_NCLASS ? cls_names[c] : NULL;
}

int
cls_class_from_name(const char *name, enum cls_class *out)
{
	for (int i = 0; i < CLS_NCLASS; i++)
		if (strcmp(name, cls_names[i]) == 0) {
			*out = (enum cls_class)i;
			return 0;
		}
	return -EINVAL;
}

void
cls_params_default(struct cls_params *p)
{
	p->hop_ms = 500;
	p->hold_music_s = 3.0;
	p->human_speech_s = 0.8;
	p->auto_hold_s = 10.0;
	p->announce_max_s = 12.0;
}

static int
cls_params_ok(const struct cls_params *p)
{
	return p->hop_ms >= 20 && p->hop_ms <= 2000 &&
	       p->hold_music_s > 0 && p->human_speech_s > 0 &&
	       p->auto_hold_s >= p->hold_music_s && p->announce_max_s >= 0;
}

int
cls_set_params(struct cls *c, const struct cls_params *params)
{
	if (!cls_params_ok(params))
		return -EINVAL;
	c->p = *params;
	c->hop_frames = params->hop_ms / 20;
	return 0;
}

int
cls_new(struct cls **out, const struct cls_params *params,
	const struct cls_sink *sink)
{
	struct cls *c;
	int r;

	*out = NULL;
	if (!cls_params_ok(params))
		return -EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	cls_set_params(c, params);
	if (sink != NULL)
		c->sink = *sink;
	c->cur = -1;
	c->floor_db = -60;
	c->loud_ref = -100;
	c->turn_score = -100;
	if ((r = feat_new(&c->feat)) < 0)
		goto fail;
	if ((r = tones_new(&c->tones)) < 0)
		goto fail;
	*out = c;
	return 0;
fail:
	cls_free(c);
	return r;
}

void
cls_free(struct cls *c)
{
	if (c == NULL)
		return;
	feat_free(c->feat);
	tones_free(c->tones);
	for (int i = 0; i < c->nseg; i++)
		free(c->seg[i].fr);
	free(c);
}

void
cls_arm_hold(struct cls *c)
{
	if (!c->armed)
		c->armed_t = cls_time(c);
	c->armed = 1;
}

double
cls_time(const struct cls *c)
{
	return (double)c->nframes * FEAT_FRAME_S;
}

int
cls_hold_seen(const struct cls *c)
{
	return c->hold_seen;
}

int
cls_human_seen(const struct cls *c)
{
	return c->human_seen;
}

/* The frame ago frames back (0 = latest); ago < min(nframes, CTX). */
static const struct feat_frame *
cls_ago(const struct cls *c, int ago)
{
	return &c->ctx[(c->nframes - 1 - (uint64_t)ago) % CTX_FRAMES];
}

static int
cls_avail(const struct cls *c, int want)
{
	int n = c->nframes < CTX_FRAMES ? (int)c->nframes : CTX_FRAMES;

	return want < n ? want : n;
}

/* Tracks bursts of one call-progress tone. */
static void
cls_tone_step(struct cls_tone *t, int on, uint64_t frame)
{
	if (on) {
		t->run++;
		return;
	}
	if (t->run >= 10) { /* 200 ms: a real burst, not a glitch */
		t->last_run = t->run;
		t->last_end = frame;
		t->seen = 1;
	}
	t->run = 0;
}

/* ---- window features ---- */

static void
cls_measure(struct cls *c, struct cls_window *w, int nhop)
{
	double pw = 0, m = 0, modp = 0, sd = 0, mean_db = 0;
	double env[MOD_FRAMES];
	int n, low = 0, voiced = 0, steady = 0, pairs = 0;

	/* Hop averages. */
	for (int i = 0; i < nhop; i++) {
		const struct feat_frame *f = cls_ago(c, i);

		pw += pow(10, f->energy_db / 10);
		w->flatness += f->flatness / nhop;
		w->centroid_hz += f->centroid_hz / nhop;
		w->rolloff_hz += f->rolloff_hz / nhop;
		w->flux += f->flux / nhop;
		w->zcr += f->zcr / nhop;
		if (i == 0 || f->energy_db > w->peak_db)
			w->peak_db = f->energy_db;
	}
	w->energy_db = 10 * log10(pw / nhop + 1e-10);
	/* The spectral shape of the hop against the last one. */
	{
		double bp[FEAT_NBANDS] = {0}, mean = 0, d = 0;

		for (int i = 0; i < nhop; i++)
			for (int k = 0; k < FEAT_NBANDS; k++)
				bp[k] += pow(10, cls_ago(c, i)->bands[k] / 10);
		for (int k = 0; k < FEAT_NBANDS; k++) {
			bp[k] = 10 * log10(bp[k] / nhop + 1e-10);
			mean += bp[k] / FEAT_NBANDS;
		}
		for (int k = 0; k < FEAT_NBANDS; k++) {
			bp[k] -= mean;
			d += (bp[k] - c->hop_shape[k]) * (bp[k] - c->hop_shape[k]);
		}
		w->spec_change = c->have_shape ? sqrt(d / FEAT_NBANDS) : 0;
		memcpy(c->hop_shape, bp, sizeof(bp));
		c->have_shape = 1;
	}

	/* Context: the envelope over the last 1.28 s. */
	n = cls_avail(c, MOD_FRAMES);
	pw = 0;
	for (int i = 0; i < n; i++) {
		const struct feat_frame *f = cls_ago(c, n - 1 - i);
		double e = f->energy_db < -70 ? -70 : f->energy_db;

		env[i] = pow(10, e / 20);
		m += env[i] / n;
		pw += env[i] * env[i] / n;
		mean_db += e / n;
	}
	for (int i = 0; i < n; i++) {
		const struct feat_frame *f = cls_ago(c, n - 1 - i);
		double e = f->energy_db < -70 ? -70 : f->energy_db;

		sd += (e - mean_db) * (e - mean_db) / n;
		if (env[i] * env[i] < 0.5 * pw)
			low++;
		if (f->harmonicity > 0.6 && e > c->floor_db + 10) {
			voiced++;
			if (i > 0) {
				const struct feat_frame *g =
				    cls_ago(c, n - i); /* the frame before */

				if (g->harmonicity > 0.6) {
					pairs++;
					if (fabs(f->pitch_hz - g->pitch_hz) <
					    0.04 * f->pitch_hz)
						steady++;
				}
			}
		}
	}
	w->energy_sd = sqrt(sd);
	w->low_energy = n > 0 ? (double)low / n : 0;
	w->voiced = n > 0 ? (double)voiced / n : 0;
	w->pitch_steady = pairs > 0 ? (double)steady / pairs : 0;
	/* Modulation depth between 2.5 and 8 Hz of the amplitude envelope. */
	if (n >= MOD_FRAMES / 2 && m > 0) {
		modp = feat_modulation(c->feat, env, n, 2.5, 8.0);
		w->mod4 = 2 * sqrt(modp) / (n * m);
	}

	/* Long context: tonal continuity, zero crossings, quiet frames. */
	n = cls_avail(c, LONG_FRAMES);
	{
		double ton = 0, ton2 = 0, tw = 0, zm = 0, em = 0, top = -100;
		int hz = 0, ls = 0;

		for (int i = 0; i < n; i++) {
			const struct feat_frame *f = cls_ago(c, i);

			zm += f->zcr / n;
			em += pow(10, f->energy_db / 10) / n;
			if (f->energy_db > top)
				top = f->energy_db;
		}
		for (int i = 0; i < n; i++) {
			const struct feat_frame *f = cls_ago(c, i);
			double wt;

			if (f->zcr > 1.5 * zm)
				hz++;
			if (pow(10, f->energy_db / 10) < em / 3)
				ls++;
			if (f->energy_db < top - 20 || i >= n - 10)
				continue;
			wt = pow(10, f->energy_db / 20);
			ton += wt * f->tonal;
			ton2 += wt * f->tonal2;
			tw += wt;
		}
		w->tonal = tw > 0 ? ton / tw : 0;
		w->tonal2 = tw > 0 ? ton2 / tw : 0;
		w->hzcrr = n > 0 ? (double)hz / n : 0;
		w->lster = n > 0 ? (double)ls / n : 0;
	}
}

/* ---- the window decision ---- */

static double
cls_sigmoid(double x)
{
	return 1 / (1 + exp(-x));
}

/* A vote in -1..1: how far x is past mid, in units of scale. */
static double
cls_vote(double x, double mid, double scale)
{
	return tanh((x - mid) / scale);
}

/*
 * Speech against music, from one window's context: > 0 speech-like.
 * Three groups of cues, each a vote in -1..1 with its midpoint between
 * what speech and music do by their nature:
 *   envelope: syllables make a level that swings 10-20 dB at 3-6 Hz with
 *     pauses (level spread, share of quiet frames at two depths, the
 *     2.5-8 Hz modulation) -- four views of one property, so they share
 *     one and a half votes;
 *   spectrum: speech changes its spectrum every syllable (flux from
 *     frame to frame, and a shape that differs from hop to hop by 5 dB
 *     and more) and alternates voiced and unvoiced sounds (frames of
 *     high zero-crossing rate) -- two votes;
 *   tonal continuity: notes hold their partials in place for 100 ms and
 *     more, speech harmonics glide.  Held partials are strong evidence of
 *     music; their absence is weak evidence of speech (drums, distorted
 *     guitars and noise have none either), so this vote is lopsided.
 */
static double
cls_speech_score(const struct cls_window *w)
{
	double env, s;

	env = (cls_vote(w->energy_sd, 6.0, 2.0) +
	       cls_vote(w->low_energy, 0.40, 0.10) +
	       cls_vote(w->lster, 0.35, 0.10) + cls_vote(w->mod4, 0.45, 0.15)) /
	      4;
	s = 1.5 * env;
	s += 2 * (cls_vote(w->flux, 0.25, 0.07) +
		  cls_vote(w->hzcrr, 0.07, 0.03) +
		  cls_vote(w->spec_change, 5.0, 1.5)) / 3;
	s += 1.5 * fmin(0.3, -cls_vote(w->tonal2, 0.22, 0.08));
	return s;
}

static void
cls_decide(struct cls *c, struct cls_window *w, int nhop, int rb_frames,
	   int busy_frames)
{
	double s;
	uint64_t now = c->nframes;

	w->speech_score = 0;
	if (tones_decide(c->tones, w, nhop))
		return; /* SIT, fax or a beep */
	if (c->digits[0] != '\0' || c->dtmf_frames * 3 >= nhop) {
		w->cls = CLS_DTMF;
		w->confidence = c->digits[0] != '\0' ? 0.95 : 0.6;
		return;
	}
	if (rb_frames * 5 >= nhop * 2) {
		w->cls = CLS_RINGBACK;
		w->confidence = 0.6 + 0.4 * rb_frames / nhop;
		return;
	}
	if (busy_frames * 5 >= nhop * 1) {
		w->cls = tones_busy_kind(c->tones);
		w->confidence = 0.6 + 0.4 * fmin(1, 2.0 * busy_frames / nhop);
		return;
	}
	/*
	 * The quiet part of a cadence, and the edges of its bursts: only if
	 * nothing but the tone is loud in the hop.
	 */
	if (c->other_loud == 0 && (rb_frames >= 3 || busy_frames >= 3)) {
		w->cls = rb_frames >= busy_frames ? CLS_RINGBACK
						  : tones_busy_kind(c->tones);
		w->confidence = 0.6;
		return;
	}
	if (w->peak_db < c->floor_db + 15 || w->peak_db < -45 ||
	    c->other_loud == 0) {
		if (c->busy.seen && c->busy.last_run <= 45 &&
		    now - c->busy.last_end <= 60) {
			w->cls = tones_busy_kind(c->tones);
			w->confidence = 0.7;
			return;
		}
		if (c->rb.seen && c->rb.last_run >= 50 &&
		    c->rb.last_run <= 150 && now - c->rb.last_end <= 225) {
			w->cls = CLS_RINGBACK;
			w->confidence = 0.7;
			return;
		}
	}
	if (w->energy_db < -48) {
		w->cls = CLS_SILENCE;
		w->confidence = cls_sigmoid((-48 - w->energy_db) / 3 + 2);
		return;
	}
	/*
	 * Stationary noise: a flat spectrum whose level and shape hold from
	 * hop to hop (a noise band averaged over 0.5 s moves by well under
	 * 1 dB; music and speech move by several).
	 */
	if (w->energy_sd < 3 && w->flatness > 0.3 && w->spec_change < 1.2) {
		w->cls = CLS_SILENCE;
		w->confidence = 0.7;
		return;
	}
	s = cls_speech_score(w);
	w->raw_score = s;
	w->speech_score = s;
	if (s > 0) {
		w->cls = CLS_SPEECH;
		w->confidence = cls_sigmoid(s);
	} else {
		w->cls = CLS_MUSIC;
		w->confidence = cls_sigmoid(-s);
	}
}

/*
 * Smoothing: music and speech come in runs of seconds, so the published
 * class follows a two-state forward filter.  Each music/speech window adds
 * its score (as log-odds, scaled) to the running log-odds after a sticky
 * transition (a switch is unlikely at any one hop); silence and tones
 * leave the state alone, and long quiet lets it relax.  The filter's
 * decision replaces the window's own between music and speech only.
 */
#define SMOOTH_SWITCH 0.03 /* chance of a switch at one hop */
#define SMOOTH_GAIN 0.8	   /* log-odds per unit of score */

static void
cls_smooth(struct cls *c, struct cls_window *w)
{
	double p = 1 / (1 + exp(-c->odds)), e = SMOOTH_SWITCH;

	w->raw = w->cls;
	if (w->cls != CLS_MUSIC && w->cls != CLS_SPEECH) {
		/*
		 * Hangover: the first quiet hop after music or speech is a
		 * pause in it (a breath, a rest), as in a voice activity
		 * detector; longer quiet is silence.
		 */
		if (w->cls == CLS_SILENCE && c->quiet_hops == 0 &&
		    (c->last_pub == CLS_MUSIC || c->last_pub == CLS_SPEECH)) {
			w->cls = c->last_pub;
			w->confidence = 0.6;
		}
		c->quiet_hops++;
		if (w->raw == CLS_SILENCE)
			c->odds *= 0.8; /* forget slowly across quiet */
		c->last_pub = w->cls;
		return;
	}
	c->quiet_hops = 0;
	p = p * (1 - e) + (1 - p) * e;
	c->odds = log(p / (1 - p)) + SMOOTH_GAIN * w->raw_score;
	if (c->odds > 8)
		c->odds = 8;
	if (c->odds < -8)
		c->odds = -8;
	w->speech_score = c->odds;
	w->cls = c->odds > 0 ? CLS_SPEECH : CLS_MUSIC;
	w->confidence = cls_sigmoid(fabs(c->odds));
	c->last_pub = w->cls;
}

/* ---- speech segments: fingerprints and voice summaries ---- */

static int
cls_cmpf(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static float
cls_pctf(float *v, int n, double p)
{
	if (n > 64) {
		qsort(v, (size_t)n, sizeof(*v), cls_cmpf);
		return v[(int)(p * (n - 1))];
	}
	for (int i = 1; i < n; i++) {
		float x = v[i];
		int j = i - 1;

		while (j >= 0 && v[j] > x) {
			v[j + 1] = v[j];
			j--;
		}
		v[j + 1] = x;
	}
	return n > 0 ? v[(int)(p * (n - 1))] : -100;
}

/*
 * Summarises frames [0, lim) of a segment: level (mean of the active
 * frames), floor (10th percentile of all), the mean spectral shape of the
 * active frames (band levels less their mean: a long-term envelope that
 * ignores gain), the median pitch of voiced frames, and whether the quiet
 * frames sound like a noise floor (flat) or like music under the speech.
 */
static void
cls_seg_stats(struct cls_seg *s, int lim)
{
	float e[SEG_FRAMES], p[SEG_FRAMES];
	double peak = -100, sh[FEAT_NBANDS] = {0}, vsh[FEAT_NBANDS] = {0}, lv = 0;
	int na = 0, np = 0, nq = 0, tonal = 0;

	if (lim > s->n)
		lim = s->n;
	for (int i = 0; i < lim; i++) {
		e[i] = s->fr[i].e;
		if (e[i] > peak)
			peak = e[i];
	}
	for (int i = 0; i < lim; i++) {
		const struct seg_frame *f = &s->fr[i];
		double m = 0;

		if (f->e < peak - 25) {
			continue;
		}
		for (int k = 0; k < FEAT_NBANDS; k++)
			m += f->bands[k] / FEAT_NBANDS;
		for (int k = 0; k < FEAT_NBANDS; k++)
			sh[k] += f->bands[k] - m;
		lv += f->e;
		na++;
		if (f->harm > 0.75 && f->pitch > 60) {
			p[np++] = f->pitch;
			for (int k = 0; k < FEAT_NBANDS; k++)
				vsh[k] += f->bands[k] - m;
		}
	}
	s->nact = na;
	/*
	 * The voice: the spectral shape of the voiced frames (vowels carry
	 * the speaker's formants and glottal tilt; fricatives carry the
	 * words), or of all loud frames when few are voiced.
	 */
	for (int k = 0; k < FEAT_NBANDS; k++)
		s->shape[k] = np >= 10	 ? (float)(vsh[k] / np)
			      : na > 0 ? (float)(sh[k] / na)
				       : 0;
	s->level_db = na > 0 ? lv / na : -100;
	s->pitch_hz = np >= 5 ? cls_pctf(p, np, 0.5) : 0;
	s->floor_db = cls_pctf(e, lim, 0.10);
	/* The quiet frames: flat noise, or tonal music under the speech. */
	for (int i = 0; i < lim; i++) {
		const struct seg_frame *f = &s->fr[i];

		if (f->e < s->level_db - 12 && f->e > -85) {
			nq++;
			if (f->flat < 0.15)
				tonal++;
		}
	}
	s->quiet_tonal = nq >= 5 ? (double)tonal / nq : 0;
}

/* Voice distance: RMS difference of the spectral shapes, dB. */
static double
cls_voice_dist(const struct cls_seg *a, const struct cls_seg *b)
{
	double d = 0;

	for (int k = 1; k < FEAT_NBANDS - 1; k++) {
		double x = a->shape[k] - b->shape[k];

		d += x * x;
	}
	return sqrt(d / (FEAT_NBANDS - 2));
}

/* Pitch distance in semitones; 0 when either is unknown. */
static double
cls_pitch_dist(const struct cls_seg *a, const struct cls_seg *b)
{
	if (a->pitch_hz <= 0 || b->pitch_hz <= 0)
		return 0;
	return fabs(12 * log2(a->pitch_hz / b->pitch_hz));
}

/*
 * The best correlation between the first frames of segment a and any
 * stretch of segment b, sliding over b.  Each frame's band levels are taken
 * less the frame's mean (gain does not matter) and each band less its mean
 * over the stretch (nor does a fixed tilt), so only the time-frequency
 * pattern of the words is compared.
 */
/*
 * The correlation of two fingerprint stretches of cnt frames from their
 * sums: per band (sa, sb), of the squares (saa, sbb) and of the cross
 * products (sab).  Each band's mean is taken out, so gain and a fixed tilt
 * do not count.
 */
static double
cls_fp_r(const double *sa, const double *sb, double saa, double sbb,
	 double sab, int cnt)
{
	double ca = 0, cb = 0, cab = 0;

	for (int k = 0; k < FEAT_NBANDS; k++) {
		ca += sa[k] * sa[k] / cnt;
		cb += sb[k] * sb[k] / cnt;
		cab += sa[k] * sb[k] / cnt;
	}
	return (sab - cab) / sqrt((saa - ca) * (sbb - cb) + 1e-9);
}

/*
 * The correlation of frames [i0, i1) of a with the frames of b off frames
 * later (the fingerprints, as in cls_seg_match); -2 when they overlap by
 * fewer than FP_MIN_FRAMES.
 */
static double
cls_seg_corr(const struct cls_seg *a, int i0, int i1, const struct cls_seg *b,
	     int off)
{
	double sa[FEAT_NBANDS] = {0}, sb[FEAT_NBANDS] = {0};
	double saa = 0, sbb = 0, sab = 0;

	if (i0 + off < 0)
		i0 = -off;
	if (i1 + off > b->n)
		i1 = b->n - off;
	if (i1 - i0 < FP_MIN_FRAMES)
		return -2;
	for (int i = i0; i < i1; i++) {
		const float *x = a->fr[i].shape, *y = b->fr[i + off].shape;

		for (int k = 0; k < FEAT_NBANDS; k++) {
			sa[k] += x[k];
			sb[k] += y[k];
			saa += x[k] * x[k];
			sbb += y[k] * y[k];
			sab += x[k] * y[k];
		}
	}
	return cls_fp_r(sa, sb, saa, sbb, sab, i1 - i0);
}

/*
 * Running sums of a segment's first n fingerprint frames: row i holds the
 * sums over frames [0, i) of each band and, last, of the squares.
 */
static double *
cls_seg_prefix(const struct cls_seg *s, int n)
{
	const int w = FEAT_NBANDS + 1;
	double *p = malloc((size_t)(n + 1) * w * sizeof(*p));

	if (p == NULL)
		return NULL;
	for (int k = 0; k < w; k++)
		p[k] = 0;
	for (int i = 0; i < n; i++) {
		const float *x = s->fr[i].shape;
		double sq = 0;

		for (int k = 0; k < FEAT_NBANDS; k++) {
			p[(i + 1) * w + k] = p[i * w + k] + x[k];
			sq += x[k] * x[k];
		}
		p[(i + 1) * w + FEAT_NBANDS] = p[i * w + FEAT_NBANDS] + sq;
	}
	return p;
}

/*
 * The best correlation of a's first frames with b at any offset, as
 * cls_seg_corr computes it.  Only the cross products depend on the offset;
 * the sums and squares come from running sums.
 */
static double
cls_seg_match(const struct cls_seg *a, const struct cls_seg *b, int *best_off)
{
	const int w = FEAT_NBANDS + 1;
	int la = a->n < FP_MAX_FRAMES ? a->n : FP_MAX_FRAMES;
	double best = -1, *pa, *pb;

	if (la < FP_MIN_FRAMES || b->n < FP_MIN_FRAMES)
		return -1;
	pa = cls_seg_prefix(a, la);
	pb = cls_seg_prefix(b, b->n);
	if (pa == NULL || pb == NULL) {
		free(pa);
		free(pb);
		return -1;
	}
	for (int off = -(la - FP_MIN_FRAMES); off <= b->n - FP_MIN_FRAMES;
	     off++) {
		int i0 = off < 0 ? -off : 0;
		int i1 = la < b->n - off ? la : b->n - off;
		int cnt = i1 - i0;
		double sa[FEAT_NBANDS], sb[FEAT_NBANDS], sab = 0, r;
		const double *a0 = pa + i0 * w, *a1 = pa + i1 * w;
		const double *b0 = pb + (i0 + off) * w;
		const double *b1 = pb + (i1 + off) * w;

		if (cnt < FP_MIN_FRAMES)
			continue;
		for (int i = i0; i < i1; i++) {
			const float *x = a->fr[i].shape, *y = b->fr[i + off].shape;

			for (int k = 0; k < FEAT_NBANDS; k++)
				sab += x[k] * y[k];
		}
		for (int k = 0; k < FEAT_NBANDS; k++) {
			sa[k] = a1[k] - a0[k];
			sb[k] = b1[k] - b0[k];
		}
		r = cls_fp_r(sa, sb, a1[FEAT_NBANDS] - a0[FEAT_NBANDS],
			     b1[FEAT_NBANDS] - b0[FEAT_NBANDS], sab, cnt);
		if (r > best) {
			best = r;
			*best_off = off;
		}
	}
	free(pa);
	free(pb);
	return best;
}

/*
 * The first earlier segment (not the open one) whose frames a's first
 * frames replay (correlation FP_REPEAT_R or more), or -1; *off and *r get
 * the offset and correlation.
 */
static int
cls_seg_replays(const struct cls *c, const struct cls_seg *a, int *off,
		double *r)
{
	for (int i = 0; i < c->nseg; i++) {
		if (i == c->cur)
			continue;
		*r = cls_seg_match(a, &c->seg[i], off);
		if (*r >= FP_REPEAT_R)
			return i;
	}
	return -1;
}

static void
cls_seg_push(struct cls_seg *s, const struct feat_frame *f)
{
	struct seg_frame *x;

	if (s->fr == NULL || s->n >= SEG_FRAMES)
		return;
	x = &s->fr[s->n++];
	memcpy(x->bands, f->bands, sizeof(x->bands));
	x->e = (float)f->energy_db;
	x->harm = (float)f->harmonicity;
	x->pitch = (float)f->pitch_hz;
	x->flat = (float)f->flatness;
	/* The fingerprint: band levels over a -75 dB floor, less their mean. */
	{
		double m = 0;

		for (int k = 0; k < FEAT_NBANDS; k++) {
			x->shape[k] = f->bands[k] < -75 ? -75 : f->bands[k];
			m += x->shape[k] / FEAT_NBANDS;
		}
		for (int k = 0; k < FEAT_NBANDS; k++)
			x->shape[k] -= (float)m;
	}
}

static void
cls_seg_drop(struct cls *c, int i)
{
	free(c->seg[i].fr);
	memmove(&c->seg[i], &c->seg[i + 1],
		(size_t)(c->nseg - i - 1) * sizeof(c->seg[0]));
	c->nseg--;
	if (c->cur > i)
		c->cur--;
	else if (c->cur == i)
		c->cur = -1;
}

/*
 * Opens a speech segment whose first frame is back frames ago.  The quiet
 * just before it (frames well below the speech, not hold music) is the
 * pause before a person speaks; a recording spliced onto the music has none.
 */
static void
cls_seg_open(struct cls *c, int back)
{
	struct cls_seg *s;
	int n = cls_avail(c, back + GAP_FRAMES), g = 0;
	double peak = -100;

	if (c->nseg == SEG_MAX) /* forget the oldest */
		cls_seg_drop(c, 0);
	s = &c->seg[c->nseg];
	memset(s, 0, sizeof(*s));
	s->fr = malloc(SEG_FRAMES * sizeof(*s->fr));
	if (s->fr == NULL)
		return;
	s->t0 = cls_time(c) - back * FEAT_FRAME_S;
	for (int i = back - 1; i >= 0; i--) {
		cls_seg_push(s, cls_ago(c, i));
		if (cls_ago(c, i)->energy_db > peak)
			peak = cls_ago(c, i)->energy_db;
	}
	for (int i = back; i < n; i++) {
		const struct feat_frame *f = cls_ago(c, i);

		if (f->energy_db > peak - 30 && f->energy_db > c->floor_db + 12)
			break;
		g++;
	}
	s->gap_s = g * FEAT_FRAME_S;
	s->lead_db = -100;
	for (int i = back; i < back + 5 && i < n; i++)
		if (cls_ago(c, i)->energy_db > s->lead_db)
			s->lead_db = cls_ago(c, i)->energy_db;
	/* Its median level: a fading music tail in it does not count. */
	{
		float ge[GAP_FRAMES + 1];
		int ng = 0;

		for (int i = back; i < back + g && ng <= GAP_FRAMES; i++)
			ge[ng++] = (float)cls_ago(c, i)->energy_db;
		s->gap_db = ng > 0 ? cls_pctf(ge, ng, 0.5) : -100;
	}
	s->after_music = c->music_recent;
	cls_note(c, "open t0=%.2f gap=%.2f", s->t0, s->gap_s);
	c->cur = c->nseg++;
	c->seg_speech = 0;
	c->seg_gap = 0;
}

static void
cls_seg_close(struct cls *c, int by_music)
{
	if (c->cur < 0)
		return;
	if (c->seg[c->cur].n < FP_MIN_FRAMES)
		cls_seg_drop(c, c->cur);
	else {
		struct cls_seg *s = &c->seg[c->cur];

		cls_seg_stats(s, SEG_FRAMES);
		s->by_music = by_music;
		if (by_music && !s->live && s->nact >= 20 &&
		    s->level_db - s->floor_db >= 20 && s->quiet_tonal <= 0.6)
			c->nann++;
	}
	c->cur = -1;
}

/*
 * A young segment (opened from window classes, which lag by up to a
 * second) often begins with the tail of the hold audio: music, then a
 * short quiet, then the speech.  Frame by frame, the latest quiet run of
 * ANCHOR_GAP frames or more, well below the loud frames on both sides,
 * with speech after it: the frame where that speech begins, or 0.  The
 * segment itself keeps all its frames (it may be an announcement other
 * segments are compared with); the live test looks at the frames from
 * here on.
 */
static int
cls_seg_anchor(const struct cls_seg *s)
{
	double pk_before = -100;
	int run = 0;

	if (s->fr == NULL || s->gap_s >= 0.1 ||
	    s->n > ANCHOR_MAX)
		return s->anchor;
	/* only when the sound went on right up to the onset */
	for (int i = 0; i < s->n; i++)
		if (s->fr[i].e > pk_before)
			pk_before = s->fr[i].e;
	if (s->lead_db < pk_before - ANCHOR_LEAD_DB)
		return s->anchor;
	pk_before = -100;
	for (int i = 0; i < s->n; i++) {
		double e = s->fr[i].e;

		if (e < pk_before - ANCHOR_DB) {
			run++;
			continue;
		}
		if (run >= ANCHOR_GAP && s->n - i >= 5)
			return i;
		run = 0;
		if (e > pk_before)
			pk_before = e;
	}
	return s->anchor;
}

/*
 * A hop the window classes did not call speech can split one utterance
 * (a soft word, a short breath).  When speech comes back within
 * SEG_RESUME_FRAMES of the end of the last segment, and that segment was
 * neither a replay nor ended by the hold music, it goes on: the frames
 * between are added and it is open again.  Returns 1 when it resumed.
 */
static int
cls_seg_resume(struct cls *c)
{
	struct cls_seg *s;
	int gap;

	if (c->nseg == 0)
		return 0;
	s = &c->seg[c->nseg - 1];
	if (s->fr == NULL || s->repeat || s->by_music || s->live)
		return 0;
	gap = (int)lround((cls_time(c) - s->t0) / FEAT_FRAME_S) - s->n;
	if (gap < 0 || gap > SEG_RESUME_FRAMES || s->n + gap > SEG_FRAMES)
		return 0;
	for (int i = gap - 1; i >= 0; i--)
		cls_seg_push(s, cls_ago(c, i));
	c->cur = c->nseg - 1;
	c->seg_speech = s->n * FEAT_FRAME_S;
	c->seg_gap = 0;
	return 1;
}

/* The earlier segment the replay s matched, or NULL once forgotten. */
static const struct cls_seg *
cls_seg_replayed(const struct cls *c, const struct cls_seg *s)
{
	for (int i = 0; i < c->nseg; i++)
		if (&c->seg[i] != s && c->seg[i].t0 == s->rep_t0)
			return &c->seg[i];
	return NULL;
}

/*
 * Where the speech that made this hop a speech hop began: the first of the
 * frames, scanning back from the hop's end to just before its start, after the
 * last frame near the noise floor.  Returns frames ago.
 */
static int
cls_onset_back(const struct cls *c, int nhop)
{
	int n = cls_avail(c, nhop + 10), back = nhop;
	double gate = fmax(c->floor_db + 10, -55);

	for (int i = 0; i < n; i++)
		if (cls_ago(c, i)->energy_db >= gate)
			back = i + 1;
		else if (i >= nhop)
			break;
	return back;
}

/* ---- hold and human ---- */

static void
cls_hold(struct cls *c, const char *type)
{
	c->hold_seen = 1;
	c->armed = 1;
	c->hold_music = strcmp(type, "music") == 0;
	if (c->sink.hold != NULL)
		c->sink.hold(c->sink.arg, type, cls_time(c));
}

static void
cls_note(struct cls *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
cls_note(struct cls *c, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	if (c->sink.note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	c->sink.note(c->sink.arg, buf, cls_time(c));
}

/* The new speech since the hold audio last played was not a person. */
static void
cls_new_speech_reset(struct cls *c)
{
	c->new_speech = 0;
	c->turn_score = -100;
}

/* Reports a live person (once, until a retraction). */
static void
cls_human(struct cls *c, double confidence, const char *ev, double onset)
{
	c->human_seen = 1;
	c->human_live = 1;
	if (c->sink.human != NULL)
		c->sink.human(c->sink.arg, confidence, ev, cls_time(c), onset);
}

static void
cls_retract(struct cls *c, const char *reason)
{
	if (!c->human_live)
		return;
	c->human_live = 0;
	/*
	 * What was taken for a person is one of the hold system's
	 * recordings: an announcement to compare later speech with.  The
	 * next person is looked for afresh.
	 */
	c->human_seen = 0;
	cls_new_speech_reset(c);
	for (int i = 0; i < c->nseg; i++)
		if (c->seg[i].live) {
			c->seg[i].live = 0;
			c->seg[i].ann = 1;
		}
	if (c->sink.retract != NULL)
		c->sink.retract(c->sink.arg, reason, cls_time(c));
}

/*
 * The evidence that the open segment s is a live person rather than the
 * hold system's own recordings, compared with every earlier segment of the
 * call (the announcements).  Returns the score; ev gets the reasons.
 */
static double
cls_live_score(struct cls *c, struct cls_seg *s, const struct cls_seg *self,
	       char *ev, size_t evlen)
{
	double vmin = 1e9, pmin = 1e9, syslevel = -100;
	double score = 0, bgd, bglevel = -100, holdbg, bg_t0 = 0;
	int newline, nvoiced = 0;
	int nref = 0;
	size_t o = 0;

	ev[0] = '\0';
	cls_seg_stats(s, LIVE_LATE_FRAMES);
	for (int i = 0; i < c->nseg; i++) {
		const struct cls_seg *r = &c->seg[i];
		double v;

		/*
		 * Only the hold system's own announcements: a segment heard
		 * twice, or speech-like segments (not music taken for
		 * speech).
		 */
		if (r == s || r == self || r->live || r->nact < 20)
			continue;
		/*
		 * Music taken for speech for a hop or two is no reference,
		 * nor is hold audio that began before the classifier had its
		 * long context (the first hops are its least sure); a call's
		 * first menu prompt, heard before the hold was armed, is.
		 */
		if (r->npub * 5 < r->nhops * 3 || r->split ||
		    (r->t0 < LONG_FRAMES * FEAT_FRAME_S && c->armed &&
		     c->armed_t <= r->t0))
			continue;
		/*
		 * A reference is a whole announcement: it repeated, or the
		 * hold audio (music, or a second of quiet) followed it, not
		 * the first words of one still going on.
		 */
		{
			double end = r->t0 + r->n * FEAT_FRAME_S;
			double next = s->t0;

			for (int k = i + 1; k < c->nseg; k++)
				if (&c->seg[k] != self && c->seg[k].t0 < next)
					next = c->seg[k].t0;
			if (!r->ann && !r->by_music && next - end < REF_QUIET_S)
				continue;
		}
		if (!r->ann && (r->level_db - r->floor_db < 20 ||
				r->quiet_tonal > 0.6))
			continue;
		nref++;
		cls_note(c, "  ref t0=%.2f n=%d ann=%d bym=%d npub=%d/%d lvl=%.1f floor=%.1f tonal=%.2f", r->t0, r->n, r->ann, r->by_music, r->npub, r->nhops, r->level_db, r->floor_db, r->quiet_tonal);
		v = cls_voice_dist(s, r) + 0.3 * cls_pitch_dist(s, r);
		if (v < vmin)
			vmin = v;
		if (cls_pitch_dist(s, r) < pmin)
			pmin = cls_pitch_dist(s, r);
		if (r->level_db > syslevel)
			syslevel = r->level_db;
	}
	/*
	 * A person's line: the quiet just before the first word, or in the
	 * pauses, is a background not heard before in the call.
	 */
	bgd = cls_bg_new(c, s->t0, s->t0 + s->n * FEAT_FRAME_S, s->level_db,
			 &bglevel, &holdbg, &bg_t0);
	newline = bgd >= BG_NEW_DB && (bgd < 90 || nref > 0);
	/* a person talking on it: voiced frames after the line appeared */
	for (int i = 0; newline && i < s->n; i++)
		if (s->t0 + i * FEAT_FRAME_S >= bg_t0 && s->fr[i].harm > 0.75 &&
		    s->fr[i].pitch > 60)
			nvoiced++;
	if (newline) {
		/*
		 * Once the hold system's announcements have been heard, a
		 * line none of them had, with someone talking on it, is
		 * evidence enough on its own.
		 */
		score += nref > 0 && nvoiced >= LIVE_VOICED ? 2 : 1;
		if (bgd > 90)
			o += (size_t)snprintf(ev + o, evlen - o,
					      "a new line behind the speech "
					      "(%.0f dB background; none heard "
					      "before in the call); ",
					      bglevel);
		else
			o += (size_t)snprintf(ev + o, evlen - o,
					      "a new line behind the speech "
					      "(%.0f dB background, %.0f dB "
					      "from any heard before); ",
					      bglevel, bgd);
	}
	/*
	 * A voice unlike the announcements, judged only well above the
	 * hold's line noise: nearer it, the noise shapes the spectrum and
	 * the pitch track (quiet music under hiss reads as "another voice").
	 */
	if (nref > 0 && (vmin >= VOICE_NEW_DB || pmin >= PITCH_NEW_ST) &&
	    s->level_db - holdbg >= VOICE_SNR_DB && o < evlen) {
		score += 1;
		o += (size_t)snprintf(ev + o, evlen - o,
				      "voice unlike the announcements "
				      "(%.1f dB, %.1f semitones); ",
				      vmin, pmin);
	}
	if (nref > 0 && fabs(s->level_db - syslevel) >= 6 && o < evlen) {
		score += 1;
		o += (size_t)snprintf(ev + o, evlen - o,
				      "level %+.0f dB from the announcements; ",
				      s->level_db - syslevel);
	}
	/* Against: pauses of digital silence (a clean recording) or music. */
	if (s->floor_db <= -85)
		score -= 2;
	if (s->level_db - s->floor_db < SPEECH_DIP_DB ||
	    s->quiet_tonal > MUSIC_UNDER)
		score -= 2;
	/*
	 * and no voiced frame at all: no one is talking, whatever else
	 * changed (music taken for speech for a moment).
	 */
	if (s->pitch_hz <= 0)
		score = fmin(score, 0) - 2;
	/*
	 * A recording in a voice not heard before, mastered to another
	 * level, has the voice and level cues too: without a new line they
	 * are not enough, unless the hold's own line was so noisy
	 * (HOLD_NOISY_DB or more) that a new line could not be heard.
	 */
	if (!newline && holdbg < HOLD_NOISY_DB && score >= 2)
		score = 1;
	cls_note(c, "seg t0=%.2f n=%d gap=%.2f gapdb=%.1f am=%d lvl=%.1f "
		    "floor=%.1f pitch=%.0f tonal=%.2f | nref=%d vmin=%.2f "
		    "pmin=%.1f bgd=%.1f holdbg=%.1f syslevel=%.1f score=%.0f %s",
		 s->t0, s->n, s->gap_s, s->gap_db, s->after_music, s->level_db,
		 s->floor_db, s->pitch_hz, s->quiet_tonal, nref, vmin, pmin,
		 bgd, holdbg, syslevel, score, ev);
	return score;
}

/* The share of music among the published classes of the last secs. */
static double
cls_music_share(const struct cls *c, double secs, double dh)
{
	int want = (int)ceil(secs / dh - 1e-9), n = 0, m = 0;

	if (want > HIST_HOPS)
		want = HIST_HOPS;
	if (want < 1 || c->nhist < (unsigned)want)
		return 0;
	for (int i = 0; i < want; i++, n++)
		if (c->hist[(c->nhist - 1 - (unsigned)i) % HIST_HOPS] ==
		    CLS_MUSIC)
			m++;
	return (double)m / n;
}

static void
cls_track(struct cls *c, const struct cls_window *w, int nhop)
{
	double dh = nhop * FEAT_FRAME_S;
	struct cls_seg *s;
	char ev[300];

	enum cls_class k = w->raw; /* the window's own class */

	/*
	 * Hold: the published (smoothed) classes of the recent past are
	 * mostly music.  A sung phrase or a drum break that reads as speech
	 * for a hop or two does not reset it.
	 */
	c->hist[c->nhist++ % HIST_HOPS] = (unsigned char)w->cls;
	c->silence_run = w->cls == CLS_SILENCE ? c->silence_run + dh : 0;
	c->music_consec = k == CLS_MUSIC ? c->music_consec + dh : 0;
	if (!c->hold_seen && w->cls == CLS_MUSIC) {
		if (c->armed && cls_music_share(c, c->p.hold_music_s, dh) >=
				    HOLD_SHARE_ARMED)
			cls_hold(c, "music");
		else if (!c->armed &&
			 cls_music_share(c, c->p.auto_hold_s, dh) >=
			     HOLD_SHARE_UNARMED)
			cls_hold(c, "music");
	}
	if (!c->hold_seen && c->armed &&
	    c->silence_run >= c->p.hold_music_s + 2)
		cls_hold(c, "silence");

	/* Hold audio again (a second of music): the new speech was not a person. */
	if (c->music_consec >= 1.0)
		cls_new_speech_reset(c);
	/*
	 * The "person" gave way to the hold music again: it was the hold
	 * system's own recording (or the person put the call back on hold).
	 */
	if (c->music_consec >= RETRACT_MUSIC_S)
		cls_retract(c, "the hold music came back");
	/*
	 * Turn-taking: new speech after a music hold followed by quiet where
	 * a recording would give way to the music again is a person waiting
	 * for an answer.  With no announcement heard in the call (speech that
	 * gave way to the music) there is no voice to compare with, and the
	 * quiet decides alone; with one piece of evidence already (a voice or
	 * level unlike the announcements, say), a shorter quiet is enough: a
	 * person greets, then waits.
	 */
	if (c->hold_seen && c->hold_music && !c->human_seen &&
	    c->new_speech >= c->p.human_speech_s && k == CLS_SILENCE) {
		char tev[400];

		if (c->nann == 0 && c->silence_run >= QUIET_AFTER_S) {
			snprintf(tev, sizeof(tev),
				 "%.1f s of new speech after the music, then "
				 "quiet instead of the music (turn-taking)",
				 c->new_speech);
			cls_human(c, 0.7, tev, c->new_speech_onset);
		} else if (c->turn_score >= 1 &&
			   c->silence_run >= TURN_QUIET_S - 1e-9) {
			snprintf(tev, sizeof(tev),
				 "%sthen %.1f s of quiet instead of the music "
				 "(turn-taking)",
				 c->turn_ev, c->silence_run);
			cls_human(c, 0.7, tev, c->new_speech_onset);
		}
	}

	/* Speech segments. */
	if (k == CLS_SPEECH) {
		if (c->cur < 0) {
			if (!cls_seg_resume(c))
				cls_seg_open(c, cls_onset_back(c, nhop));
		} else {
			s = &c->seg[c->cur];
			for (int i = nhop - 1; i >= 0; i--)
				cls_seg_push(s, cls_ago(c, i));
		}
		c->seg_speech += dh;
		c->seg_gap = 0;
	} else if (c->cur >= 0) {
		c->seg_gap += dh;
		if (k == CLS_MUSIC || c->seg_gap > SEG_GAP_S)
			cls_seg_close(c, k == CLS_MUSIC);
		else {
			s = &c->seg[c->cur];
			for (int i = nhop - 1; i >= 0; i--)
				cls_seg_push(s, cls_ago(c, i));
		}
	}
	c->music_recent = k == CLS_MUSIC;
	if (c->cur < 0 || c->seg[c->cur].fr == NULL)
		return;
	c->seg[c->cur].nhops++;
	if (w->cls == CLS_SPEECH)
		c->seg[c->cur].npub++;
	s = &c->seg[c->cur];

	/* Is this speech a replay of something heard earlier in the call? */
	if (!s->repeat && s->n >= FP_MIN_FRAMES && s->n <= FP_MAX_FRAMES + 25) {
		double r;
		int i = cls_seg_replays(c, s, &s->rep_off, &r);

		if (i >= 0) {
			s->rep_t0 = c->seg[i].t0;
			cls_note(c, "repeat t0=%.2f of t0=%.2f r=%.2f n=%d", s->t0, c->seg[i].t0, r, s->n);
			s->repeat = 1;
			s->ann = 1;
			if (!s->split)
				c->seg[i].ann = 1;
		}
		if (s->repeat && c->armed && !c->hold_seen)
			cls_hold(c, "announcement_loop");
		if (s->repeat && s->live)
			cls_retract(c, "the speech repeats an earlier "
				       "recording");
	}
	/*
	 * A short match can be chance (one of hundreds of offsets tried): a
	 * replay must go on matching at the same offset until FP_CONFIRM
	 * frames overlap, or it was not one.
	 */
	if (s->repeat && !s->confirmed) {
		const struct cls_seg *r = cls_seg_replayed(c, s);
		double rc;
		int i1;

		i1 = s->n < FP_CONFIRM ? s->n : FP_CONFIRM;
		rc = r != NULL ? cls_seg_corr(s, 0, i1, r, s->rep_off) : -2;
		if (rc > -2 && rc < FP_REPEAT_R && i1 > FP_MAX_FRAMES / 2) {
			cls_note(c, "repeat t0=%.2f of t0=%.2f withdrawn: "
				    "r=%.2f over %d frames",
				 s->t0, s->rep_t0, rc, i1);
			s->repeat = 0;
			s->ann = 0;
		} else if (rc > -2 && (i1 >= FP_CONFIRM ||
				       i1 + s->rep_off >= r->n))
			s->confirmed = 1;
	}
	/*
	 * A replay of a segment that the hold music followed ends where that
	 * segment ended.  Speech that goes on a second past that point is
	 * new (a person speaking over the music as it fades): from there it
	 * is a segment of its own.
	 */
	if (s->repeat && !s->live && c->hold_seen) {
		const struct cls_seg *r = cls_seg_replayed(c, s);
		int end;

		end = r != NULL ? r->n - s->rep_off : SEG_FRAMES;
		if (r != NULL && r->by_music && end > 0 &&
		    s->n - end >= REPLAY_OVER) {
			int back = s->n - end;

			cls_note(c, "replay t0=%.2f of t0=%.2f goes on past "
				    "its end at %.2f",
				 s->t0, s->rep_t0, s->t0 + end * FEAT_FRAME_S);
			s->n = end; /* the replay proper */
			cls_seg_close(c, 0);
			cls_seg_open(c, back < CTX_FRAMES - GAP_FRAMES
					    ? back
					    : CTX_FRAMES - GAP_FRAMES);
			c->seg_speech = back * FEAT_FRAME_S;
			if (c->cur >= 0)
				c->seg[c->cur].split = 1;
			return;
		}
	}
	if (s->repeat) {
		cls_new_speech_reset(c); /* it was the announcement again */
		return;
	}
	if (!c->hold_seen || s->live || k != CLS_SPEECH)
		return;
	cls_seg_stats(s, LIVE_FRAMES);
	if (s->nact > 0 && s->level_db - s->floor_db >= 20 &&
	    s->quiet_tonal <= 0.6) {
		if (c->new_speech == 0)
			c->new_speech_onset = s->t0;
		c->new_speech += dh;
	}
	if (c->human_seen)
		return;
	{
		struct cls_seg v;
		double score;
		int j = cls_seg_anchor(s), g = 0;
		float ge[GAP_FRAMES];
		double pk = -100;

		if (j != s->anchor) {
			s->anchor = j;
			s->judged = 0;
		}
		v = *s;
		v.fr = s->fr + j;
		v.n = s->n - j;
		v.t0 = s->t0 + j * FEAT_FRAME_S;
		if (v.n < LIVE_MIN_FRAMES || v.n > LIVE_LATE_FRAMES ||
		    c->seg_speech < c->p.human_speech_s)
			return;
		/*
		 * Past its first two seconds a segment goes on being judged
		 * (a person's line may first show in a later pause), unless
		 * that first view had evidence against a person: music, or
		 * no voice.
		 */
		if (s->judged >= LIVE_FIRST && s->early < 0)
			return;
		if (j > 0) {
			/* the quiet run before the view is its gap */
			for (int i = 0; i < v.n; i++)
				if (v.fr[i].e > pk)
					pk = v.fr[i].e;
			for (int i = j - 1; i >= 0 && g < GAP_FRAMES; i--) {
				if (s->fr[i].e > pk - ANCHOR_DB)
					break;
				ge[g++] = s->fr[i].e;
			}
			v.gap_s = g * FEAT_FRAME_S;
			v.gap_db = g > 0 ? cls_pctf(ge, g, 0.5) : -100;
			v.after_music = 0;
		}
		s->judged++;
		score = cls_live_score(c, &v, s, ev, sizeof(ev));
		if (s->judged <= LIVE_FIRST)
			s->early = score;
		if (score > c->turn_score) {
			c->turn_score = score;
			snprintf(c->turn_ev, sizeof(c->turn_ev), "%s", ev);
		}
		if (score < 2)
			return;
		/*
		 * The view may repeat an earlier recording where the segment
		 * does not yet: the segment carries the hold audio it opened
		 * in, and an early chance match at the wrong offset may have
		 * been withdrawn.  The speech the live test looks at must not
		 * be a replay.
		 */
		{
			double r;
			int off, i = cls_seg_replays(c, &v, &off, &r);

			if (i >= 0) {
				cls_note(c, "view t0=%.2f repeats t0=%.2f r=%.2f",
					 v.t0, c->seg[i].t0, r);
				return;
			}
		}
		s->live = 1;
		cls_human(c, w->confidence, ev, v.t0);
	}
}

/* ---- the frame loop ---- */

static void
cls_hop(struct cls *c)
{
	struct cls_window w;
	int nhop = c->in_hop, rb = 0, busy = 0;
	double gate = fmax(c->floor_db + 15, -45);

	memset(&w, 0, sizeof(w));
	c->other_loud = 0;
	for (int i = 0; i < nhop; i++) {
		const struct feat_frame *f = cls_ago(c, i);
		int tone = 0;

		if (f->ringback > 0.6 && f->tone_lo > 0.12) {
			rb++;
			tone = 1;
		}
		if (f->busy > 0.6 && f->tone_hi > 0.12) {
			busy++;
			tone = 1;
		}
		/*
		 * Loud frames next to a tone frame are its ramps, and so is
		 * a frame that holds the tone for part of its span (the
		 * onset of a burst at the end of the hop).  A sound that
		 * begins in the hop's last frame is judged in the next hop.
		 */
		if (!tone && (f->ringback > 0.25 || f->busy > 0.25))
			tone = 1;
		if (i == 0 && nhop > 1 && cls_ago(c, 1)->energy_db <= gate)
			tone = 1;
		if (!tone && f->energy_db > gate && i + 1 < nhop && i > 0) {
			const struct feat_frame *a = cls_ago(c, i - 1);
			const struct feat_frame *b = cls_ago(c, i + 1);

			if (!(a->ringback > 0.6 || a->busy > 0.6 ||
			      b->ringback > 0.6 || b->busy > 0.6))
				c->other_loud++;
		} else if (!tone && f->energy_db > gate)
			c->other_loud++;
	}
	cls_measure(c, &w, nhop);
	cls_decide(c, &w, nhop, rb, busy);
	cls_smooth(c, &w);
	w.t = cls_time(c);
	memcpy(w.digits, c->digits, sizeof(w.digits));
	if (c->sink.window != NULL)
		c->sink.window(c->sink.arg, &w);
	cls_track(c, &w, nhop);
	c->in_hop = 0;
	c->digits[0] = '\0';
	c->dtmf_frames = 0;
}

/* Ends the steady quiet run; keeps it as a background when long enough. */
static void
cls_bg_end(struct cls *c)
{
	struct cls_bg *b;

	if (c->bg_run >= BG_MIN_FRAMES) {
		b = &c->bg[c->nbg++ % BG_MAX];
		b->t1 = cls_time(c) - FEAT_FRAME_S;
		b->t0 = b->t1 - c->bg_run * FEAT_FRAME_S;
		b->level_db = c->bg_sum / c->bg_run;
		b->flatness = c->bg_flat / c->bg_run;
		b->n = c->bg_run;
		for (int k = 0; k < FEAT_NBANDS; k++)
			b->bands[k] = (float)(c->bg_bands[k] / c->bg_run);
		/*
		 * What comes after it (cls_bg_frame): a pause in speech is
		 * the floor; the hiss of a word has quieter frames after it.
		 */
		b->near_min = cls_ago(c, 0)->energy_db;
		b->pending = BG_NEAR_FRAMES - 1;
	}
	c->bg_run = 0;
}

/*
 * Follows the quiet between sounds: a run of frames well below the recent
 * peak whose levels stay within BG_STEADY_DB of the run's mean.
 */
static void
cls_bg_frame(struct cls *c, const struct feat_frame *f)
{
	double e = f->energy_db < -90 ? -90 : f->energy_db;

	for (unsigned i = c->nbg; i > 0 && c->bg[(i - 1) % BG_MAX].pending > 0;
	     i--) {
		struct cls_bg *b = &c->bg[(i - 1) % BG_MAX];

		b->pending--;
		if (e < b->near_min)
			b->near_min = e;
	}
	if (e > c->loud_ref)
		c->loud_ref = e;
	else
		c->loud_ref -= 0.03; /* 1.5 dB/s */
	if (e > c->loud_ref - BG_QUIET_DB ||
	    (c->bg_run > 0 && fabs(e - c->bg_sum / c->bg_run) > BG_STEADY_DB))
		cls_bg_end(c);
	if (e > c->loud_ref - BG_QUIET_DB)
		return;
	if (c->bg_run == 0) {
		c->bg_sum = 0;
		c->bg_flat = 0;
		memset(c->bg_bands, 0, sizeof(c->bg_bands));
	}
	c->bg_run++;
	c->bg_sum += e;
	c->bg_flat += e <= -85 ? 1 : f->flatness;
	for (int k = 0; k < FEAT_NBANDS; k++)
		c->bg_bands[k] += f->bands[k] < -90 ? -90 : f->bands[k];
}

/*
 * Whether a background is the floor of what follows it, as a line's noise
 * is; the steady hiss of a word (a fricative) has quieter frames after it.
 * Undecided (0) until BG_NEAR_FRAMES frames after it have been heard.
 */
static int
cls_bg_floor(const struct cls_bg *b)
{
	return b->pending == 0 && b->near_min >= b->level_db - BG_FLOOR_DB;
}

/* Level and spectrum distance of two backgrounds, dB. */
static double
cls_bg_dist(const struct cls_bg *a, const struct cls_bg *b)
{
	double d = 0;

	for (int k = 1; k < FEAT_NBANDS - 1; k++) {
		double x = a->bands[k] - b->bands[k];

		d += x * x;
	}
	return sqrt(d / (FEAT_NBANDS - 2));
}

/*
 * Whether background b can be the line behind the speech from t0 to t1:
 * heard just before it or in its pauses, noise-like, the floor of what
 * follows it, and within BG_SNR_DB of the talker (what is quieter is a
 * recording's own near-silence, or the faint start of a word).
 */
static int
cls_bg_line(const struct cls_bg *b, double t0, double t1, double speech_db)
{
	return b->t1 >= t0 - BG_LEAD_S && b->t0 <= t1 &&
	       b->level_db >= speech_db - BG_SNR_DB && b->flatness >= BG_FLAT &&
	       cls_bg_floor(b);
}

/*
 * Whether the line behind the speech that begins at t0 is new: the
 * background just before t0 (or in the speech's own pauses up to t1)
 * differs from every background heard before it.  Returns the smallest
 * distance (dB), or -1 when there is no background to judge by; *level and
 * *bg_t0 get that background's level and start, *hold_db the hold's own
 * line noise (the quietest background before the speech).
 */
static double
cls_bg_new(const struct cls *c, double t0, double t1, double speech_db,
	   double *level, double *hold_db, double *bg_t0)
{
	unsigned first = c->nbg > BG_MAX ? c->nbg - BG_MAX : 0;
	double best = -1, tc = t0;

	*hold_db = -100;

	/* the gap right before the speech, and the pauses in it */
	for (unsigned i = first; i < c->nbg; i++) {
		const struct cls_bg *n = &c->bg[i % BG_MAX];

		if (n->t1 >= t0 - BG_LEAD_S && n->t0 <= t1 && n->t0 < tc)
			tc = n->t0;
	}
	/*
	 * The hold's own line noise: the quietest noise-like background
	 * heard before (a line's noise is under everything; a quiet passage
	 * of music is not the floor).  A new line may hide under it.
	 */
	{
		double lo = 100;

		for (unsigned k = first; k < c->nbg; k++) {
			const struct cls_bg *o = &c->bg[k % BG_MAX];

			if (o->t1 < tc - 0.05 && o->flatness >= BG_FLAT &&
			    o->level_db < lo)
				lo = o->level_db;
		}
		*hold_db = lo < 100 ? lo : -100;
	}
	for (unsigned i = first; i < c->nbg; i++) {
		const struct cls_bg *n = &c->bg[i % BG_MAX];
		double dmin = 99;
		int over = 0;

		if (!cls_bg_line(n, t0, t1, speech_db))
			continue;
		/*
		 * Nor is a stretch that is louder than a line heard before it
		 * (just before the speech or in its pauses): the line is under
		 * all of the speech, and that is something on top of it, such
		 * as a recording's own lead-in noise.
		 */
		for (unsigned k = first; k < c->nbg && !over; k++) {
			const struct cls_bg *m = &c->bg[k % BG_MAX];

			over = m->t0 < n->t0 &&
			       m->level_db < n->level_db - BG_FLOOR_DB &&
			       cls_bg_line(m, t0, t1, speech_db);
		}
		if (over)
			continue;
		for (unsigned k = first; k < c->nbg; k++) {
			const struct cls_bg *o = &c->bg[k % BG_MAX];
			double d;

			if (o->t1 >= tc - 0.05 || o->flatness < BG_FLAT)
				continue;
			d = cls_bg_dist(n, o);
			if (d < dmin)
				dmin = d;
		}
		/*
		 * In units of the change that means a new line: the longer
		 * the stretch, the surer its levels, down to half of
		 * BG_NEW_DB at four times BG_MIN_FRAMES.
		 */
		dmin /= fmax(0.5, sqrt((double)BG_MIN_FRAMES / n->n));
		if (dmin > best) {
			best = dmin;
			*level = n->level_db;
			*bg_t0 = n->t0;
		}
	}
	return best;
}

static void
cls_frame(struct cls *c, const int16_t *pcm)
{
	struct feat_frame *f = &c->ctx[c->nframes % CTX_FRAMES];

	feat_frame(c->feat, pcm, f);
	c->nframes++;
	cls_bg_frame(c, f);
	if (f->energy_db < c->floor_db)
		c->floor_db = f->energy_db < -90 ? -90 : f->energy_db;
	else
		c->floor_db += 0.01; /* 0.5 dB/s upwards */
	cls_tone_step(&c->rb, f->ringback > 0.6 && f->tone_lo > 0.12,
		      c->nframes);
	cls_tone_step(&c->busy, f->busy > 0.6 && f->tone_hi > 0.12,
		      c->nframes);

	if (tones_frame(c->tones, pcm, f, c->digits, sizeof(c->digits)))
		c->dtmf_frames++;

	if (++c->in_hop >= c->hop_frames)
		cls_hop(c);
}

void
cls_feed(struct cls *c, const int16_t *pcm, size_t n)
{
	while (n > 0) {
		size_t take = FEAT_HOP - c->npend;

		if (take > n)
			take = n;
		memcpy(c->pend + c->npend, pcm, take * sizeof(*pcm));
		c->npend += take;
		pcm += take;
		n -= take;
		if (c->npend == FEAT_HOP) {
			cls_frame(c, c->pend);
			c->npend = 0;
		}
	}
}
