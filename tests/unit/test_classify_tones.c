/*
 * test_classify_tones: the call-progress tones of tones.c through the whole
 * classifier (cls_feed): reorder against busy, each SIT code, fax CNG and
 * CED, a voicemail beep after speech-like sound, and music or speech that
 * must not be called a tone.  Every tone is also run through a 20 dB SNR
 * white noise, a 20 dB level drop and a G.711 mu-law round trip.  DTMF:
 * digits 1.5 % off their frequencies are accepted, 3.5 % off rejected, and
 * twist beyond the configured limits (8 dB normal, 4 dB reverse) rejected.
 * All signals are sums of sines, so they can be detuned.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audio.h"
#include "../../classifyd/classifyd.h"

struct tally {
	int n[CLS_NCLASS];
	int total;
	char digits[64];
	char codes[64]; /* the tone codes seen, space-separated */
	double tone_hz;
	int first_beep; /* window index of the first beep, -1 none */
};

static void
on_window(void *arg, const struct cls_window *w)
{
	struct tally *t = arg;

	t->n[w->cls]++;
	if (w->cls == CLS_BEEP && t->first_beep < 0)
		t->first_beep = t->total;
	t->total++;
	if (strlen(t->digits) + strlen(w->digits) < sizeof(t->digits))
		strcat(t->digits, w->digits);
	if (w->tone_code[0] != '\0' &&
	    strlen(t->codes) + strlen(w->tone_code) + 2 < sizeof(t->codes)) {
		strcat(t->codes, w->tone_code);
		strcat(t->codes, " ");
	}
	if (w->tone_hz > 0)
		t->tone_hz = w->tone_hz;
}

static void
run(const int16_t *pcm, size_t n, struct tally *t)
{
	struct cls_params p;
	struct cls_sink sink = {.window = on_window, .arg = t};
	struct cls *c;

	memset(t, 0, sizeof(*t));
	t->first_beep = -1;
	cls_params_default(&p);
	assert_int_equal(cls_new(&c, &p, &sink), 0);
	for (size_t i = 0; i < n; i += FEAT_HOP)
		cls_feed(c, pcm + i, n - i < FEAT_HOP ? n - i : FEAT_HOP);
	cls_free(c);
}

/* Signals are built in doubles (full scale 1.0) and then degraded. */
struct sig {
	double *x;
	size_t n;
};

static void
sig_new(struct sig *s, double secs)
{
	s->n = (size_t)(secs * FEAT_RATE);
	s->x = calloc(s->n, sizeof(*s->x));
	assert_non_null(s->x);
}

/* A sine of amplitude amp over [t0, t1) seconds, 5 ms ramps. */
static void
sig_tone(struct sig *s, double f, double amp, double t0, double t1)
{
	size_t i0 = (size_t)(t0 * FEAT_RATE), i1 = (size_t)(t1 * FEAT_RATE);

	for (size_t i = i0; i < i1 && i < s->n; i++) {
		double r = fmin(1, fmin(i - i0, i1 - i) / 40.0);

		s->x[i] += r * amp * sin(2 * M_PI * f * i / FEAT_RATE);
	}
}

static uint32_t rng = 12345;

static double
uni(void)
{
	rng = rng * 1664525u + 1013904223u;
	return (rng >> 8) / 16777216.0;
}

static double
gauss(void)
{
	double u = uni() + 1e-12, v = uni();

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

enum chan { CH_CLEAN, CH_NOISE20, CH_LEVEL20, CH_ULAW, CH_N };
static const char *const chan_name[CH_N] = {"clean", "noise 20 dB SNR",
					    "level -20 dB", "mu-law"};

/* The signal through a channel, as 16-bit PCM (caller frees). */
static int16_t *
sig_pcm(const struct sig *s, enum chan ch)
{
	int16_t *pcm = calloc(s->n, sizeof(*pcm));
	double pw = 0, sd = 0;
	size_t act = 0;

	assert_non_null(pcm);
	for (size_t i = 0; i < s->n; i++)
		if (fabs(s->x[i]) > 1e-6) {
			pw += s->x[i] * s->x[i];
			act++;
		}
	/* Noise 20 dB below the active signal's power. */
	if (ch == CH_NOISE20 && act > 0)
		sd = sqrt(pw / act / 100);
	for (size_t i = 0; i < s->n; i++) {
		double v = s->x[i] + sd * gauss();

		if (ch == CH_LEVEL20)
			v *= 0.1;
		v *= 32767;
		pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	if (ch == CH_ULAW) {
		uint8_t *u = malloc(s->n);

		assert_non_null(u);
		audio_ulaw_encode(u, pcm, s->n);
		audio_ulaw_decode(pcm, u, s->n);
		free(u);
	}
	return pcm;
}

static void
run_chan(const struct sig *s, enum chan ch, struct tally *t)
{
	int16_t *pcm = sig_pcm(s, ch);

	run(pcm, s->n, t);
	free(pcm);
}

/* No window of the tone classes this adds up to. */
static int
tone_windows(const struct tally *t)
{
	return t->n[CLS_REORDER] + t->n[CLS_SIT] + t->n[CLS_FAX] +
	       t->n[CLS_BEEP] + t->n[CLS_BUSY] + t->n[CLS_RINGBACK] +
	       t->n[CLS_DTMF];
}

/* ---- reorder and busy ---- */

static void
test_reorder_not_busy(void **state)
{
	struct sig s;
	struct tally t;

	(void)state;
	sig_new(&s, 6);
	for (double t0 = 0.1; t0 < 6; t0 += 0.5) {
		sig_tone(&s, 480, 0.08, t0, t0 + 0.25);
		sig_tone(&s, 620, 0.08, t0, t0 + 0.25);
	}
	for (int ch = 0; ch < CH_N; ch++) {
		run_chan(&s, ch, &t);
		print_message("reorder %s: reorder %d busy %d of %d\n",
			      chan_name[ch], t.n[CLS_REORDER], t.n[CLS_BUSY],
			      t.total);
		/* The first hop may not have a whole burst yet. */
		assert_true(t.n[CLS_REORDER] >= t.total - 1);
	}
	free(s.x);
}

static void
test_busy_not_reorder(void **state)
{
	struct sig s;
	struct tally t;

	(void)state;
	sig_new(&s, 6);
	for (double t0 = 0.2; t0 < 6; t0 += 1) {
		sig_tone(&s, 480, 0.08, t0, t0 + 0.5);
		sig_tone(&s, 620, 0.08, t0, t0 + 0.5);
	}
	for (int ch = 0; ch < CH_N; ch++) {
		run_chan(&s, ch, &t);
		assert_int_equal(t.n[CLS_REORDER], 0);
		assert_true(t.n[CLS_BUSY] >= t.total - 1);
	}
	free(s.x);
}

/* ---- SIT ---- */

static void
sit_one(const char *code, double f1, double d1, double f2, double d2)
{
	struct sig s;
	struct tally t;
	double t0 = 0.7;

	sig_new(&s, 3.5);
	sig_tone(&s, f1, 0.1, t0, t0 + d1);
	sig_tone(&s, f2, 0.1, t0 + d1, t0 + d1 + d2);
	sig_tone(&s, 1776.7, 0.1, t0 + d1 + d2, t0 + d1 + d2 + 0.380);
	for (int ch = 0; ch < CH_N; ch++) {
		char want[8];

		run_chan(&s, ch, &t);
		print_message("SIT %s %s: sit %d codes '%s'\n", code,
			      chan_name[ch], t.n[CLS_SIT], t.codes);
		assert_true(t.n[CLS_SIT] >= 1);
		snprintf(want, sizeof(want), "%s ", code);
		assert_non_null(strstr(t.codes, want));
		/* Exactly that code, and no other tone class. */
		assert_int_equal(strlen(t.codes) % strlen(want), 0);
		for (const char *p = t.codes; *p != '\0'; p += strlen(want))
			assert_memory_equal(p, want, strlen(want));
		assert_int_equal(t.n[CLS_BEEP] + t.n[CLS_FAX], 0);
	}
	free(s.x);
}

static void
test_sit_codes(void **state)
{
	(void)state;
	sit_one("IC", 913.8, 0.274, 1370.6, 0.274);
	sit_one("VC", 985.2, 0.380, 1370.6, 0.274);
	sit_one("NC", 985.2, 0.380, 1428.5, 0.380);
	sit_one("RO", 913.8, 0.274, 1428.5, 0.380);
}

/* ---- fax ---- */

static void
test_fax_cng(void **state)
{
	struct sig s;
	struct tally t;

	(void)state;
	sig_new(&s, 8);
	for (double t0 = 0.5; t0 < 8; t0 += 3.5)
		sig_tone(&s, 1100, 0.1, t0, t0 + 0.5);
	for (int ch = 0; ch < CH_N; ch++) {
		run_chan(&s, ch, &t);
		print_message("CNG %s: fax %d of %d codes '%s'\n",
			      chan_name[ch], t.n[CLS_FAX], t.total, t.codes);
		/* From the first burst on, the whole cadence is fax. */
		assert_true(t.n[CLS_FAX] >= t.total - 2);
		assert_non_null(strstr(t.codes, "CNG"));
		assert_null(strstr(t.codes, "CED"));
		assert_int_equal(t.n[CLS_BEEP], 0);
	}
	free(s.x);
}

static void
test_fax_ced(void **state)
{
	struct sig s;
	struct tally t;

	(void)state;
	sig_new(&s, 4.5);
	sig_tone(&s, 2100, 0.1, 0.5, 3.8);
	for (int ch = 0; ch < CH_N; ch++) {
		run_chan(&s, ch, &t);
		print_message("CED %s: fax %d of %d codes '%s'\n",
			      chan_name[ch], t.n[CLS_FAX], t.total, t.codes);
		assert_true(t.n[CLS_FAX] >= 6);
		assert_non_null(strstr(t.codes, "CED"));
		assert_null(strstr(t.codes, "CNG"));
		assert_int_equal(t.n[CLS_BEEP], 0);
	}
	free(s.x);
}

/* ---- beep ---- */

/* Speech-like sound: noise shaped into 4 Hz syllables with pauses. */
static void
sig_babble(struct sig *s, double t0, double t1)
{
	double lp = 0;

	for (size_t i = (size_t)(t0 * FEAT_RATE); i < s->n && i < t1 * FEAT_RATE;
	     i++) {
		double tt = (double)i / FEAT_RATE, env;

		env = sin(M_PI * fmod(tt * 4, 1.0));
		if (fmod(tt, 1.3) > 1.0)
			env = 0; /* a pause */
		lp = 0.7 * lp + 0.3 * gauss(); /* a voice-like tilt */
		s->x[i] += 0.15 * env * env * lp;
	}
}

static void
test_beep_after_speech(void **state)
{
	struct sig s;
	struct tally t;

	(void)state;
	sig_new(&s, 6);
	sig_babble(&s, 0, 3.5);
	sig_tone(&s, 1000, 0.1, 4.0, 4.6);
	for (int ch = 0; ch < CH_N; ch++) {
		run_chan(&s, ch, &t);
		print_message("beep %s: beep %d first %d hz %.0f\n",
			      chan_name[ch], t.n[CLS_BEEP], t.first_beep,
			      t.tone_hz);
		assert_true(t.n[CLS_BEEP] >= 1 && t.n[CLS_BEEP] <= 3);
		/* Not before the beep began (window 8 ends at 4.0 s). */
		assert_true(t.first_beep >= 7);
		assert_true(fabs(t.tone_hz - 1000) < 15);
		assert_int_equal(t.n[CLS_SIT] + t.n[CLS_FAX] + t.n[CLS_REORDER],
				 0);
	}
	free(s.x);
}

/* ---- not tones ---- */

static void
test_music_and_speech_are_not_tones(void **state)
{
	/* A melody over a held chord, with a sustained note (vibrato). */
	static const double mel[8] = {523.3, 587.3, 659.3, 698.5,
				      784.0, 880.0, 987.8, 1046.5};
	struct sig s;
	struct tally t;

	(void)state;
	sig_new(&s, 10);
	for (int k = 0; k < 3; k++) {
		double f0[3] = {261.6, 329.6, 392.0};

		sig_tone(&s, f0[k], 0.04, 0, 10);
		sig_tone(&s, 2 * f0[k], 0.015, 0, 10);
	}
	for (int i = 0; i < 8; i++) {
		sig_tone(&s, mel[i], 0.06, i * 0.5, i * 0.5 + 0.45);
		sig_tone(&s, 2 * mel[i], 0.02, i * 0.5, i * 0.5 + 0.45);
	}
	/* The sustained note: 4 s, 5 Hz vibrato of 1 %, with harmonics. */
	for (size_t i = 4 * FEAT_RATE; i < 8 * FEAT_RATE; i++) {
		double tt = (double)i / FEAT_RATE;
		double ph = 2 * M_PI * 880 * tt +
			    880 * 0.01 / 5 * sin(2 * M_PI * 5 * tt);

		s.x[i] += 0.08 * sin(ph) + 0.03 * sin(2 * ph) +
			  0.015 * sin(3 * ph);
	}
	for (int ch = 0; ch < CH_N; ch++) {
		run_chan(&s, ch, &t);
		print_message("music %s: music %d of %d, tone windows %d\n",
			      chan_name[ch], t.n[CLS_MUSIC], t.total,
			      tone_windows(&t));
		assert_int_equal(tone_windows(&t), 0);
	}
	free(s.x);

	sig_new(&s, 8);
	sig_babble(&s, 0, 8);
	for (int ch = 0; ch < CH_N; ch++) {
		run_chan(&s, ch, &t);
		assert_int_equal(tone_windows(&t), 0);
	}
	free(s.x);
}

/* ---- DTMF tolerances ---- */

static const char dtmf_keys[] = "123A456B789C*0#D";
static const double dtmf_row[4] = {697, 770, 852, 941};
static const double dtmf_col[4] = {1209, 1336, 1477, 1633};

/*
 * The digits heard from one 80 ms digit whose row and column tones are
 * detuned by dr and dc (relative) at levels lr and lc (dBFS).
 */
static void
dtmf_try(int key, double dr, double dc, double lr, double lc, char *out,
	 size_t len)
{
	struct sig s;
	struct tally t;
	int16_t *pcm;

	sig_new(&s, 1.0);
	sig_tone(&s, dtmf_row[key / 4] * (1 + dr), pow(10, lr / 20), 0.3, 0.38);
	sig_tone(&s, dtmf_col[key % 4] * (1 + dc), pow(10, lc / 20), 0.3, 0.38);
	pcm = sig_pcm(&s, CH_CLEAN);
	run(pcm, s.n, &t);
	snprintf(out, len, "%s", t.digits);
	free(pcm);
	free(s.x);
}

static void
test_dtmf_frequency_tolerance(void **state)
{
	char got[64], want[2] = {0};

	(void)state;
	for (int k = 0; k < 16; k++) {
		if (k % 4 == 3)
			continue; /* A-D: see classifyd(8) */
		want[0] = dtmf_keys[k];
		for (int sg = -1; sg <= 1; sg += 2) {
			/* 1.5 % off, both tones, either way: accepted. */
			dtmf_try(k, sg * 0.015, sg * 0.015, -10, -10, got,
				 sizeof(got));
			if (strcmp(got, want) != 0)
				fail_msg("digit %s %+.1f %%: heard '%s'", want,
					 sg * 1.5, got);
			dtmf_try(k, sg * 0.015, -sg * 0.015, -10, -10, got,
				 sizeof(got));
			if (strcmp(got, want) != 0)
				fail_msg("digit %s %+.1f/%+.1f %%: heard '%s'",
					 want, sg * 1.5, -sg * 1.5, got);
			/* 3.5 % off, either tone: rejected. */
			dtmf_try(k, sg * 0.035, 0, -10, -10, got, sizeof(got));
			if (got[0] != '\0')
				fail_msg("digit %s row %+.1f %%: heard '%s'",
					 want, sg * 3.5, got);
			dtmf_try(k, 0, sg * 0.035, -10, -10, got, sizeof(got));
			if (got[0] != '\0')
				fail_msg("digit %s column %+.1f %%: heard "
					 "'%s'",
					 want, sg * 3.5, got);
		}
	}
}

static void
test_dtmf_twist(void **state)
{
	char got[64], want[2] = {0};

	(void)state;
	for (int k = 0; k < 16; k++) {
		want[0] = dtmf_keys[k];
		/* Normal twist (high group weaker): 6 dB in, 10 dB out. */
		dtmf_try(k, 0, 0, -10, -16, got, sizeof(got));
		if (strcmp(got, want) != 0)
			fail_msg("digit %s twist 6 dB: heard '%s'", want, got);
		dtmf_try(k, 0, 0, -10, -20, got, sizeof(got));
		if (got[0] != '\0')
			fail_msg("digit %s twist 10 dB: heard '%s'", want, got);
		/* Reverse twist (low group weaker): 2 dB in, 6 dB out. */
		dtmf_try(k, 0, 0, -12, -10, got, sizeof(got));
		if (strcmp(got, want) != 0)
			fail_msg("digit %s reverse twist 2 dB: heard '%s'",
				 want, got);
		dtmf_try(k, 0, 0, -16, -10, got, sizeof(got));
		if (got[0] != '\0')
			fail_msg("digit %s reverse twist 6 dB: heard '%s'",
				 want, got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reorder_not_busy),
	    cmocka_unit_test(test_busy_not_reorder),
	    cmocka_unit_test(test_sit_codes),
	    cmocka_unit_test(test_fax_cng),
	    cmocka_unit_test(test_fax_ced),
	    cmocka_unit_test(test_beep_after_speech),
	    cmocka_unit_test(test_music_and_speech_are_not_tones),
	    cmocka_unit_test(test_dtmf_frequency_tolerance),
	    cmocka_unit_test(test_dtmf_twist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
