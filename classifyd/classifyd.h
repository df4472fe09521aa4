/*
 * classifyd: the ears of Hold Slayer.  The classifier is a library with no
 * knowledge of the bus: features.c turns 20 ms of 8 kHz PCM into spectral
 * and temporal features (FFTW), classify.c turns a stream of frames into
 * window decisions (silence, music, speech, ringback, busy, dtmf) and runs
 * the per-call hold / live-human state machine.  classifyd.c feeds it from
 * mediad's audio frames and publishes what it reports; eval.c feeds it from
 * WAV files listed in a manifest and scores it.  Both go through cls_feed().
 */
#ifndef CLASSIFYD_H
#define CLASSIFYD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FEAT_RATE 8000
#define FEAT_HOP 160	  /* one 20 ms frame */
#define FEAT_WIN 256	  /* the 32 ms FFT window (Hann) ending at the frame */
#define FEAT_NBANDS 16	  /* coarse log band energies for fingerprints */
#define FEAT_FRAME_S 0.02 /* seconds per frame */
#define FEAT_MODN 64	  /* envelope frames of the modulation spectrum */

/* ---- features.c ---- */

/* Everything measured on one 20 ms frame. */
struct feat_frame {
	double energy_db;   /* RMS of the frame, dBFS (-100 for silence) */
	double flatness;    /* spectral flatness 190-3500 Hz, 0..1 */
	double centroid_hz; /* spectral centroid */
	double rolloff_hz;  /* 85 % spectral roll-off */
	double flux;	    /* change of the normalised spectrum, 0..2 */
	double zcr;	    /* zero crossings per sample */
	double harmonicity; /* normalised autocorrelation peak, 0..1 */
	double pitch_hz;    /* lag of that peak as a frequency */
	double ringback;    /* share of the energy at 440 + 480 Hz, 0..1 */
	double busy;	    /* share of the energy at 480 + 620 Hz, 0..1 */
	double tone_lo;	    /* smaller of the two components of ringback */
	double tone_hi;	    /* smaller of the two components of busy */
	/*
	 * Tonal continuity, from the spectral peaks of a 64 ms window: the
	 * share of the peak power whose peaks (within one 15.6 Hz bin) were
	 * already there 100 ms (tonal) and 200 ms (tonal2) earlier.  Held
	 * notes keep their partials in place; speech harmonics glide with
	 * the pitch and formants move.
	 */
	double tonal, tonal2;
	/*
	 * The strongest partial between 310 and 2640 Hz (interpolated) and
	 * the share of the power within two bins of it: near 1 for a single
	 * steady tone.
	 */
	double tone_hz, tone_share;
	int npeaks;	    /* spectral peaks in the frame */
	float bands[FEAT_NBANDS]; /* band energies, dB */
};

struct feat;

/* A feature extractor with its own FFTW plan.  Returns 0 or -ENOMEM. */
int feat_new(struct feat **out);
void feat_free(struct feat *f);
/* Takes exactly FEAT_HOP new samples and fills *out. */
void feat_frame(struct feat *f, const int16_t *pcm, struct feat_frame *out);
/*
 * The power of an envelope (n <= FEAT_MODN values, one per frame, zero-
 * padded to FEAT_MODN) between lo_hz and hi_hz, its mean removed: the sum
 * of |X(k)|^2 over those bins of its FFT.
 */
double feat_modulation(struct feat *f, const double *env, int n, double lo_hz,
		       double hi_hz);

/* ---- classify.c ---- */

enum cls_class {
	CLS_SILENCE,
	CLS_MUSIC,
	CLS_SPEECH,
	CLS_RINGBACK,
	CLS_BUSY,
	CLS_DTMF,
	CLS_REORDER, /* 480 + 620 Hz, 0.25 s on / 0.25 s off */
	CLS_SIT,     /* special information tone (tone_code: IC, VC, ...) */
	CLS_FAX,     /* fax CNG or CED (tone_code) */
	CLS_BEEP,    /* a single steady tone: a voicemail beep (tone_hz) */
	CLS_NCLASS
};

/* "silence", "music", ...; NULL when out of range. */
const char *cls_class_name(enum cls_class c);
/* -EINVAL for an unknown name. */
int cls_class_from_name(const char *name, enum cls_class *out);

struct cls_params {
	int hop_ms;		/* decision interval, 100..500 */
	double hold_music_s;	/* music needed for hold while armed */
	double human_speech_s;	/* new speech needed after hold */
	double auto_hold_s;	/* music that means hold even unarmed */
	double announce_max_s;	/* longest announcement expected on hold */
};

/* The defaults of holdslayer.conf(5). */
void cls_params_default(struct cls_params *p);

/* One window decision, with the features that led to it. */
struct cls_window {
	enum cls_class cls; /* the decision, smoothed over time */
	enum cls_class raw; /* this window's own decision */
	double confidence; /* 0..1 */
	double t;	   /* end of the window, seconds since the first frame */
	char digits[16];   /* DTMF digits heard in the window (CLS_DTMF) */
	char tone_code[8]; /* SIT code, or "CNG" / "CED" for fax; "" none */
	double tone_hz;	   /* beep (and fax) frequency; 0 none */
	/* hop averages */
	double energy_db, flatness, centroid_hz, rolloff_hz, flux, zcr;
	double peak_db;	     /* loudest frame of the hop, dBFS */
	/* context (about 1.3 s) */
	double mod4;	     /* 2.5-8 Hz modulation depth of the envelope */
	double low_energy;   /* share of frames below half the mean power */
	double voiced;	     /* share of frames with a clear pitch */
	double pitch_steady; /* share of voiced frames whose pitch holds */
	double energy_sd;    /* standard deviation of frame energy, dB */
	double speech_score; /* > 0 speech-like, < 0 music-like */
	/* long context (about 2.5 s) */
	double tonal;	     /* tonal continuity of the loud frames, 0..1 */
	double tonal2;	     /* the same over 200 ms */
	double hzcrr;	     /* share of frames with a high zero-crossing rate */
	double lster;	     /* share of frames below a third of the mean level */
	double raw_score;    /* the score before smoothing */
	double spec_change;  /* spectral shape change from the last hop, dB */
};

/* What the classifier reports; any callback may be NULL. */
struct cls_sink {
	void (*window)(void *arg, const struct cls_window *w);
	void (*hold)(void *arg, const char *hold_type, double t);
	void (*human)(void *arg, double confidence, const char *evidence,
		      double t, double onset_t);
	void (*retract)(void *arg, const char *reason, double t);
	void (*note)(void *arg, const char *text, double t); /* diagnostics */
	void *arg;
};

struct cls;

/*
 * A classifier for one call leg.  params is copied.  Returns 0, -ENOMEM,
 * or -EINVAL for bad parameters.
 */
int cls_new(struct cls **out, const struct cls_params *params,
	    const struct cls_sink *sink);
void cls_free(struct cls *c);
/* Replaces the parameters (after a reload); -EINVAL if bad. */
int cls_set_params(struct cls *c, const struct cls_params *params);
/*
 * Feeds n samples of 8 kHz PCM (any n; partial frames are kept).  Calls the
 * sink for every completed hop and for hold and human events.
 */
void cls_feed(struct cls *c, const int16_t *pcm, size_t n);
/* Arms hold detection (the call entered a HOLD step). */
void cls_arm_hold(struct cls *c);
/* Seconds of audio fed so far. */
double cls_time(const struct cls *c);
/* 1 once hold_detected / human_detected were reported. */
int cls_hold_seen(const struct cls *c);
int cls_human_seen(const struct cls *c);

/* ---- tones.c ---- */

/*
 * DTMF (spandsp, with a frequency check of each digit), fax CNG / CED
 * (spandsp), SIT, beeps and the reorder cadence, for one call leg.
 */
struct tones;

/* Returns 0 or -ENOMEM. */
int tones_new(struct tones **out);
void tones_free(struct tones *t);
/*
 * One 20 ms frame (FEAT_HOP samples) and its features.  Appends the DTMF
 * digits completed in the frame to digits (len bytes, NUL-terminated) and
 * returns 1 while an accepted DTMF tone is on.
 */
int tones_frame(struct tones *t, const int16_t *pcm,
		const struct feat_frame *f, char *digits, size_t len);
/*
 * The hop's SIT, fax or beep decision: returns 1 after filling w->cls,
 * w->confidence, w->tone_code and w->tone_hz; 0 when the hop held none of
 * them.  Call once per hop (it starts the next one).
 */
int tones_decide(struct tones *t, struct cls_window *w, int nhop);
/* For a hop decided busy: CLS_REORDER when the bursts last 0.25 s. */
enum cls_class tones_busy_kind(const struct tones *t);

/* ---- eval.c ---- */

/*
 * Runs every file of a corpus manifest through the classifier and prints
 * the scores to out; see classifyd(8).  verbose > 0 prints each window.
 * Returns 0, or 1 when a row or a file could not be used.
 */
int eval_run(const char *manifest, const struct cls_params *params,
	     int verbose, FILE *out);

#endif
