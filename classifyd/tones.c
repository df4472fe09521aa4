/*
 * tones: the call-progress and signalling tones that are neither ringback
 * nor busy (those two are tracked in classify.c from the Goertzel shares of
 * features.c).  Per 20 ms frame it runs:
 *
 *   - spandsp's DTMF receiver, configured for the Bellcore twist limits,
 *     with each reported digit checked against its nominal frequencies
 *     (a fine Goertzel search over 40 ms): within 2.5 % is a digit, so
 *     1.5 % off is accepted and 3.5 % off rejected as Q.24 asks;
 *   - spandsp's modem connect tone receivers for fax CNG (1100 Hz, 0.5 s
 *     on / 3 s off) and CED (2100 Hz), fed only around frames whose
 *     strongest partial is near those frequencies (they cost more than the
 *     rest of the classifier otherwise);
 *   - a tracker of single steady tones (features.c's strongest partial
 *     holding most of the power at one frequency): segments of a tone,
 *     their frequency and length.  Three back-to-back segments at the
 *     special information tone frequencies make a SIT, coded by the
 *     frequency and length of the first two (Telcordia GR-1162 / ANSI
 *     T1.401 codes); one steady tone of 0.3-2 s at 400-2500 Hz after
 *     silence or speech, not a repeat of a recent one, is a beep;
 *   - the length of the 480 + 620 Hz bursts: 0.25 s bursts are reorder,
 *     0.5 s bursts busy.
 *
 * Every hop, tones_decide() reports SIT, fax or beep when the hop held
 * one; classify.c asks tones_busy_kind() when it has decided busy.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>
/* Only the spandsp parts needed: <spandsp.h> clashes with sphinxbase. */
#include <spandsp/telephony.h>
#include <spandsp/complex.h>
#include <spandsp/logging.h>
#include <spandsp/tone_detect.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>
#include <spandsp/modem_connect_tones.h>

#include "classifyd.h"

#define TN_HIST 320	     /* samples kept: 40 ms */
#define TN_DTMF_TOL 0.025    /* DTMF frequency tolerance */
#define TN_DTMF_TWIST 8	     /* dB, high group weaker (Bellcore) */
#define TN_DTMF_RTWIST 4     /* dB, low group weaker */
#define TN_PURE_SHARE 0.6    /* power share of one partial: a pure tone */
#define TN_PURE_MIN_DB -55.0 /* quieter frames are not tones */
#define TN_SEG_TOL 0.02	     /* frequency drift within one segment */
#define TN_SEG_MIN 3	     /* frames that make a segment */
#define TN_NSEG 3	     /* closed segments remembered */
#define TN_SIT_TOL 12.0	     /* Hz around the SIT frequencies */
#define TN_SIT_SHORT_MAX 16  /* frames: 274 ms short, 380 ms long */
#define TN_SIT_MIN 10	     /* frames of the shortest SIT segment (200 ms) */
#define TN_SIT_MAX 24	     /* frames of the longest (480 ms) */
#define TN_SIT_GAP 3	     /* frames between SIT segments, at most */
#define TN_BEEP_MIN 15	     /* frames: 0.3 s */
#define TN_BEEP_MAX 100	     /* 2 s */
#define TN_BEEP_LO 400.0
#define TN_BEEP_HI 2500.0
#define TN_BEEP_REPEAT 300   /* frames: a like tone this recent is a cadence */
#define TN_FAX_HOLD 5	     /* frames the fax receivers run after a hint */
#define TN_CNG_S 4.0	     /* seconds of CNG cadence after a burst */
#define TN_CED_S 1.0	     /* seconds of fax after CED stops */

/* One steady single tone. */
struct tn_seg {
	double hz;	  /* mean frequency */
	int len;	  /* frames */
	uint64_t start;	  /* first frame */
	double emax;	  /* loudest frame, dB */
	int dips;	  /* frames 6 dB below the loudest */
	double pre_db;	  /* level of the frame before the onset */
	int stage;	  /* SIT segment 1, 2, 3, or 0 */
	int hi;		  /* SIT: the high frequency of its pair */
	int after_tone;	  /* began right after another segment */
};

struct tones {
	dtmf_rx_state_t *dtmf;
	modem_connect_tones_rx_state_t *cng, *ced;
	int16_t hist[TN_HIST];
	uint64_t nfr;
	double last_db, last_db2; /* levels of the last two frames */

	/* DTMF */
	int dtmf_bad;	/* the digit in progress failed the check */

	/* fax */
	int fax_feed;	    /* frames left to feed the fax receivers */
	int cng_on, ced_on; /* tone reported and not yet ended */
	uint64_t cng_last, ced_last; /* frame of the latest report / end */
	int cng_seen, ced_seen;

	/* single tones */
	struct tn_seg cur;	    /* open segment (len 0: none) */
	struct tn_seg seg[TN_NSEG]; /* closed, newest first */
	int nseg;
	uint64_t seg_end[TN_NSEG];  /* frame after each closed one's last */
	char sit_code[8];	    /* the latest SIT's code */
	uint64_t sit_frame;	    /* when it was recognised */

	/* 480 + 620 Hz bursts */
	int b_run;	   /* frames of the current burst */
	int b_last;	   /* length of the latest complete burst, 0 none */
	uint64_t b_start;  /* first frame of the current burst */

	/* per hop */
	int hop_sit, hop_beep, hop_fax;
	double beep_hz;
	char fax_kind[4];
};

static const double tn_sit1[2] = {913.8, 985.2};
static const double tn_sit2[2] = {1370.6, 1428.5};
#define TN_SIT3 1776.7

int
tones_new(struct tones **out)
{
	struct tones *t;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->dtmf = dtmf_rx_init(NULL, NULL, NULL);
	t->cng = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CNG,
					     NULL, NULL);
	t->ced = modem_connect_tones_rx_init(
	    NULL, MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE, NULL, NULL);
	if (t->dtmf == NULL || t->cng == NULL || t->ced == NULL) {
		tones_free(t);
		return -ENOMEM;
	}
	dtmf_rx_parms(t->dtmf, 0, TN_DTMF_TWIST, TN_DTMF_RTWIST, -99);
	t->last_db = t->last_db2 = -100;
	*out = t;
	return 0;
}

void
tones_free(struct tones *t)
{
	if (t == NULL)
		return;
	if (t->dtmf != NULL)
		dtmf_rx_free(t->dtmf);
	if (t->cng != NULL)
		modem_connect_tones_rx_free(t->cng);
	if (t->ced != NULL)
		modem_connect_tones_rx_free(t->ced);
	free(t);
}

/* ---- DTMF ---- */

/* Power of x[0..n) at freq, by spandsp's Goertzel filter. */
static double
tn_goertzel(const int16_t *x, int n, double freq)
{
	goertzel_descriptor_t desc;
	goertzel_state_t st;

	make_goertzel_descriptor(&desc, (float)freq, n);
	goertzel_init(&st, &desc);
	goertzel_update(&st, x, n);
	return goertzel_result(&st);
}

/*
 * The relative deviation of the tone near nominal in the last 40 ms: the
 * peak of a Goertzel search over nominal -5 %..+5 % in 1 % steps, refined
 * by a parabola through the three best.
 */
static double
tn_deviation(const int16_t *x, double nominal)
{
	double p[11], best = -1, off = 0;
	int k = 0;

	for (int i = 0; i < 11; i++) {
		p[i] = tn_goertzel(x, TN_HIST, nominal * (1 + (i - 5) * 0.01));
		if (p[i] > best) {
			best = p[i];
			k = i;
		}
	}
	if (k > 0 && k < 10) {
		double a = sqrt(p[k - 1]), b = sqrt(p[k]), c = sqrt(p[k + 1]);
		double den = a - 2 * b + c;

		if (den < 0)
			off = 0.5 * (a - c) / den;
	}
	return ((k - 5) + off) * 0.01;
}

/* 1 when both tones of digit d are within the tolerance. */
static int
tn_dtmf_ok(const struct tones *t, char d)
{
	static const char keys[] = "123A456B789C*0#D";
	static const double row[4] = {697, 770, 852, 941};
	static const double col[4] = {1209, 1336, 1477, 1633};
	const char *p = strchr(keys, d);
	int i;

	if (p == NULL || d == '\0')
		return 0;
	i = (int)(p - keys);
	return fabs(tn_deviation(t->hist, row[i / 4])) <= TN_DTMF_TOL &&
	       fabs(tn_deviation(t->hist, col[i % 4])) <= TN_DTMF_TOL;
}

/* ---- single tones ---- */

static int
tn_near(double hz, double ref)
{
	return fabs(hz - ref) <= TN_SIT_TOL;
}

/* The SIT code of segments 1 and 2 (frequency pair, short or long). */
static const char *
tn_sit_code(const struct tn_seg *s1, const struct tn_seg *s2)
{
	int l1 = s1->len > TN_SIT_SHORT_MAX, l2 = s2->len > TN_SIT_SHORT_MAX;

	/*
	 * The table of GR-1162: IC 913.8 S 1370.6 S; NC 985.2 L 1428.5 L;
	 * VC 985.2 L 1370.6 S; RO 913.8 S 1428.5 L; and the inter-LATA
	 * and reserved codes NC' 913.8 L 1370.6 L, RO' 985.2 S 1370.6 L,
	 * IO 913.8 L 1428.5 S, and 985.2 S 1428.5 S (reserved).
	 */
	if (!s1->hi && !l1 && !s2->hi && !l2)
		return "IC";
	if (s1->hi && l1 && s2->hi && l2)
		return "NC";
	if (s1->hi && l1 && !s2->hi && !l2)
		return "VC";
	if (!s1->hi && !l1 && s2->hi && l2)
		return "RO";
	if (!s1->hi && l1 && !s2->hi && l2)
		return "NC'";
	if (s1->hi && !l1 && !s2->hi && l2)
		return "RO'";
	if (!s1->hi && l1 && s2->hi && !l2)
		return "IO";
	return "res";
}

/* Sets the SIT stage of a segment opening at frame now. */
static void
tn_seg_stage(struct tones *t, struct tn_seg *s, uint64_t now)
{
	const struct tn_seg *p = t->nseg > 0 ? &t->seg[0] : NULL;
	int contiguous = p != NULL && now - t->seg_end[0] <= TN_SIT_GAP;
	int plen_ok = p != NULL && p->len >= TN_SIT_MIN && p->len <= TN_SIT_MAX;

	s->stage = 0;
	s->after_tone = contiguous;
	for (int i = 0; i < 2; i++)
		if (tn_near(s->hz, tn_sit1[i])) {
			s->stage = 1;
			s->hi = i;
		}
	for (int i = 0; i < 2; i++)
		if (tn_near(s->hz, tn_sit2[i]) && contiguous && plen_ok &&
		    p->stage == 1) {
			s->stage = 2;
			s->hi = i;
		}
	if (tn_near(s->hz, TN_SIT3) && contiguous && plen_ok && p->stage == 2 &&
	    t->nseg > 1) {
		s->stage = 3;
		snprintf(t->sit_code, sizeof(t->sit_code), "%s",
			 tn_sit_code(&t->seg[1], &t->seg[0]));
		t->sit_frame = now;
	}
}

static void
tn_seg_close(struct tones *t)
{
	if (t->cur.len >= TN_SEG_MIN) {
		memmove(&t->seg[1], &t->seg[0],
			(TN_NSEG - 1) * sizeof(t->seg[0]));
		memmove(&t->seg_end[1], &t->seg_end[0],
			(TN_NSEG - 1) * sizeof(t->seg_end[0]));
		t->seg[0] = t->cur;
		t->seg_end[0] = t->nfr;
		if (t->nseg < TN_NSEG)
			t->nseg++;
	}
	t->cur.len = 0;
}

/*
 * A beep: a steady tone of one frequency in the beep band, at a steady
 * level, not a SIT segment, that did not follow another tone, not a repeat
 * of a like tone heard in the last 6 s (a cadence), and long enough (at
 * least 0.3 s, or 0.1 s while it is still on); max frames at most.
 */
static int
tn_is_beep(const struct tones *t, const struct tn_seg *s, int open)
{
	if (s->len < (open ? 5 : TN_BEEP_MIN) || s->len > TN_BEEP_MAX)
		return 0;
	if (s->hz < TN_BEEP_LO || s->hz > TN_BEEP_HI || s->stage > 1 ||
	    (s->stage == 1 && s->len <= TN_SIT_MAX) || s->after_tone ||
	    s->dips > 2 + s->len / 10)
		return 0;
	/* The fax tones are spandsp's to judge. */
	if (fabs(s->hz - 1100) < 30 || fabs(s->hz - 2100) < 30)
		return 0;
	/* After silence or speech: a clear step up at the onset. */
	if (s->pre_db > s->emax - 10)
		return 0;
	for (int i = 0; i < t->nseg; i++) {
		const struct tn_seg *p = &t->seg[i];

		if (p == s || p->start >= s->start)
			continue;
		if (s->start - t->seg_end[i] <= TN_BEEP_REPEAT &&
		    fabs(p->hz - s->hz) <= 0.03 * s->hz)
			return 0;
	}
	return 1;
}

static void
tn_single(struct tones *t, const struct feat_frame *f)
{
	int pure = f->tone_share >= TN_PURE_SHARE &&
		   f->energy_db > TN_PURE_MIN_DB && f->ringback < 0.5 &&
		   f->busy < 0.5 && f->tone_hz > 300 && f->tone_hz < 3000;

	if (pure && t->cur.len > 0 &&
	    fabs(f->tone_hz - t->cur.hz) <= TN_SEG_TOL * t->cur.hz) {
		struct tn_seg *s = &t->cur;

		s->hz += (f->tone_hz - s->hz) / (s->len + 1);
		s->len++;
		if (f->energy_db > s->emax) {
			s->emax = f->energy_db;
			s->dips = 0; /* recounted against the new top */
		} else if (f->energy_db < s->emax - 6)
			s->dips++;
	} else {
		tn_seg_close(t);
		if (pure) {
			memset(&t->cur, 0, sizeof(t->cur));
			t->cur.hz = f->tone_hz;
			t->cur.len = 1;
			t->cur.start = t->nfr;
			t->cur.emax = f->energy_db;
			t->cur.pre_db = fmin(t->last_db, t->last_db2);
			tn_seg_stage(t, &t->cur, t->nfr);
		}
	}
	/*
	 * A first SIT segment counts before the second confirms it only if
	 * it stands out like a SIT does: a clean onset, a steady level.
	 */
	if (t->cur.len > 0 && (t->cur.stage > 1 ||
			       (t->cur.stage == 1 && t->cur.len >= 5 &&
				t->cur.len <= TN_SIT_MAX && t->cur.dips == 0 &&
				t->cur.pre_db <= t->cur.emax - 10)))
		t->hop_sit++;
	if (t->cur.len > 0 && tn_is_beep(t, &t->cur, 1)) {
		t->hop_beep++;
		t->beep_hz = t->cur.hz;
	}
}

/* ---- fax ---- */

static void
tn_fax(struct tones *t, const int16_t *pcm, const struct feat_frame *f)
{
	int hint = f->tone_share >= 0.4 && f->energy_db > TN_PURE_MIN_DB &&
		   (fabs(f->tone_hz - 1100) < 60 || fabs(f->tone_hz - 2100) < 60);

	if (hint)
		t->fax_feed = TN_FAX_HOLD;
	/* CED goes on as long as the 2100 Hz tone once recognised. */
	if (hint && t->ced_seen && t->nfr - t->ced_last <= 2 &&
	    fabs(f->tone_hz - 2100) < 60)
		t->ced_last = t->nfr;
	if (t->fax_feed <= 0)
		return;
	t->fax_feed--;
	modem_connect_tones_rx(t->cng, pcm, FEAT_HOP);
	modem_connect_tones_rx(t->ced, pcm, FEAT_HOP);
	if (modem_connect_tones_rx_get(t->cng) == MODEM_CONNECT_TONES_FAX_CNG) {
		if (!t->cng_on) {
			t->cng_on = 1;
			t->cng_seen = 1;
		}
		t->cng_last = t->nfr;
	} else
		t->cng_on = 0;
	switch (modem_connect_tones_rx_get(t->ced)) {
	case MODEM_CONNECT_TONES_FAX_CED:
	case MODEM_CONNECT_TONES_ANS_PR:
	case MODEM_CONNECT_TONES_ANSAM:
	case MODEM_CONNECT_TONES_ANSAM_PR:
	case MODEM_CONNECT_TONES_FAX_PREAMBLE:
		t->ced_on = 1;
		t->ced_seen = 1;
		t->ced_last = t->nfr;
		break;
	default:
		t->ced_on = 0;
		break;
	}
}

/* ---- the frame ---- */

int
tones_frame(struct tones *t, const int16_t *pcm, const struct feat_frame *f,
	    char *digits, size_t len)
{
	char d[8];
	size_t nd, dl = strlen(digits);
	int st, on = 0;

	memmove(t->hist, t->hist + FEAT_HOP, (TN_HIST - FEAT_HOP) * sizeof(*pcm));
	memcpy(t->hist + TN_HIST - FEAT_HOP, pcm, FEAT_HOP * sizeof(*pcm));
	t->nfr++;

	/* DTMF: spandsp's receiver, then our frequency check per digit. */
	dtmf_rx(t->dtmf, pcm, FEAT_HOP);
	st = dtmf_rx_status(t->dtmf);
	nd = dtmf_rx_get(t->dtmf, d, sizeof(d) - 1);
	for (size_t i = 0; i < nd; i++) {
		t->dtmf_bad = !tn_dtmf_ok(t, d[i]);
		if (!t->dtmf_bad && dl + 1 < len)
			digits[dl++] = d[i];
	}
	if (len > 0)
		digits[dl < len ? dl : len - 1] = '\0';
	if (st == 0)
		t->dtmf_bad = 0;
	else if (st != 'x' && !t->dtmf_bad)
		on = 1;

	tn_fax(t, pcm, f);
	tn_single(t, f);

	/* 480 + 620 Hz bursts, as classify.c counts them. */
	if (f->busy > 0.6 && f->tone_hi > 0.12) {
		if (t->b_run++ == 0)
			t->b_start = t->nfr;
	} else {
		/* A burst cut by the start of the audio has no length. */
		if (t->b_run >= 5 && t->b_start > 2)
			t->b_last = t->b_run;
		t->b_run = 0;
	}
	t->last_db2 = t->last_db;
	t->last_db = f->energy_db;
	return on;
}

enum cls_class
tones_busy_kind(const struct tones *t)
{
	/*
	 * Bursts of 0.25 s are reorder, of 0.5 s busy (measured bursts run
	 * 2-3 frames long from the 50 ms Goertzel span): the split is at
	 * 0.375 s.  A burst still on and already long is busy.
	 */
	if (t->b_run > 19)
		return CLS_BUSY;
	if (t->b_last > 0 && t->b_last <= 19)
		return CLS_REORDER;
	return CLS_BUSY;
}

int
tones_decide(struct tones *t, struct cls_window *w, int nhop)
{
	int r = 0, fax = 0;

	if (t->cng_seen && t->nfr - t->cng_last <= TN_CNG_S / FEAT_FRAME_S)
		fax = 1;
	if (t->ced_seen && t->nfr - t->ced_last <= TN_CED_S / FEAT_FRAME_S)
		fax = 1;
	if (fax) {
		w->cls = CLS_FAX;
		w->confidence = t->cng_on || t->ced_on ? 0.95 : 0.7;
		snprintf(w->tone_code, sizeof(w->tone_code), "%s",
			 t->ced_seen && (!t->cng_seen ||
					 t->ced_last >= t->cng_last)
			     ? "CED"
			     : "CNG");
		w->tone_hz = w->tone_code[1] == 'E' ? 2100 : 1100;
		r = 1;
	} else if (t->hop_sit * 5 >= nhop ||
		   (t->sit_code[0] != '\0' &&
		    t->nfr - t->sit_frame < (uint64_t)nhop + 20 &&
		    t->hop_sit > 0)) {
		w->cls = CLS_SIT;
		w->confidence = t->sit_code[0] != '\0' &&
				t->nfr - t->sit_frame < 100 ? 0.95 : 0.7;
		if (t->sit_code[0] != '\0' && t->nfr - t->sit_frame < 100)
			snprintf(w->tone_code, sizeof(w->tone_code), "%s",
				 t->sit_code);
		r = 1;
	} else if (t->hop_beep * 5 >= nhop ||
		   (t->hop_beep >= TN_BEEP_MIN / 3 && t->hop_beep * 10 >= nhop)) {
		w->cls = CLS_BEEP;
		w->confidence = t->hop_beep >= TN_BEEP_MIN ? 0.9 : 0.7;
		w->tone_hz = t->beep_hz;
		r = 1;
	}
	t->hop_sit = t->hop_beep = 0;
	return r;
}
