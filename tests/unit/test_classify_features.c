/*
 * test_classify_features: the window classifier on synthetic signals.  A
 * sine chord progression must come out as music, a 440 + 480 Hz 2 s on /
 * 4 s off cadence as ringback (including its silent part), 480 + 620 Hz
 * 0.5 / 0.5 s as busy, spandsp-generated DTMF as dtmf with the right digits,
 * digital silence and weak noise as silence; a held chord has tonal
 * continuity and a gliding voice-like tone has little.
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

#include <spandsp/telephony.h>
#include <spandsp/complex.h>
#include <spandsp/logging.h>
#include <spandsp/tone_detect.h>
#include <spandsp/tone_generate.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>

#include "../../classifyd/classifyd.h"

struct tally {
	int n[CLS_NCLASS];
	int total;
	char digits[64];
	int hold;
	int human;
};

static void
on_window(void *arg, const struct cls_window *w)
{
	struct tally *t = arg;

	t->n[w->cls]++;
	t->total++;
	if (strlen(t->digits) + strlen(w->digits) < sizeof(t->digits))
		strcat(t->digits, w->digits);
}

static void
on_hold(void *arg, const char *type, double tm)
{
	(void)type;
	(void)tm;
	((struct tally *)arg)->hold++;
}

static void
on_human(void *arg, double conf, const char *ev, double tm, double on)
{
	(void)conf;
	(void)ev;
	(void)tm;
	(void)on;
	((struct tally *)arg)->human++;
}

/* Runs pcm through a fresh classifier in 20 ms frames. */
static void
run(const int16_t *pcm, size_t n, struct tally *t)
{
	struct cls_params p;
	struct cls_sink sink = {.window = on_window, .hold = on_hold,
				.human = on_human, .arg = t};
	struct cls *c;

	memset(t, 0, sizeof(*t));
	cls_params_default(&p);
	assert_int_equal(cls_new(&c, &p, &sink), 0);
	for (size_t i = 0; i < n; i += FEAT_HOP)
		cls_feed(c, pcm + i, n - i < FEAT_HOP ? n - i : FEAT_HOP);
	cls_free(c);
}

static int16_t *
alloc_pcm(double secs, size_t *n)
{
	int16_t *pcm;

	*n = (size_t)(secs * FEAT_RATE);
	pcm = calloc(*n, sizeof(*pcm));
	assert_non_null(pcm);
	return pcm;
}

/* Adds a tone of amplitude amp (0..1) over [t0, t1) seconds. */
static void
add_tone(int16_t *pcm, size_t n, double f, double amp, double t0, double t1)
{
	for (size_t i = (size_t)(t0 * FEAT_RATE); i < n && i < t1 * FEAT_RATE;
	     i++) {
		double v = pcm[i] + amp * 32767 * sin(2 * M_PI * f * i / FEAT_RATE);

		pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
}

static void
test_chords_are_music(void **state)
{
	/* C, F, G, Am, each 1 s: three sines with their first harmonics. */
	static const double chord[4][3] = {{261.6, 329.6, 392.0},
					   {349.2, 440.0, 523.3},
					   {392.0, 493.9, 587.3},
					   {440.0, 523.3, 659.3}};
	size_t n;
	int16_t *pcm = alloc_pcm(12, &n);
	struct tally t;

	(void)state;
	for (int s = 0; s < 12; s++)
		for (int k = 0; k < 3; k++) {
			add_tone(pcm, n, chord[s % 4][k], 0.08, s, s + 1);
			add_tone(pcm, n, 2 * chord[s % 4][k], 0.03, s, s + 1);
		}
	run(pcm, n, &t);
	assert_int_equal(t.total, 24);
	/* All but the first second (too little context) must be music. */
	assert_true(t.n[CLS_MUSIC] >= t.total - 2);
	/* 10 s of unarmed music is a hold. */
	assert_int_equal(t.hold, 1);
	assert_int_equal(t.human, 0);
	free(pcm);
}

static void
test_ringback_cadence(void **state)
{
	size_t n;
	int16_t *pcm = alloc_pcm(18, &n);
	struct tally t;

	(void)state;
	for (int c = 0; c < 3; c++) {
		add_tone(pcm, n, 440, 0.1, c * 6, c * 6 + 2);
		add_tone(pcm, n, 480, 0.1, c * 6, c * 6 + 2);
	}
	run(pcm, n, &t);
	/* Both the tone and the silent part of the cadence are ringback. */
	assert_true(t.n[CLS_RINGBACK] >= t.total - 2);
	assert_int_equal(t.n[CLS_BUSY], 0);
	free(pcm);
}

static void
test_busy_cadence(void **state)
{
	size_t n;
	int16_t *pcm = alloc_pcm(6, &n);
	struct tally t;

	(void)state;
	for (int c = 0; c < 6; c++) {
		add_tone(pcm, n, 480, 0.1, c, c + 0.5);
		add_tone(pcm, n, 620, 0.1, c, c + 0.5);
	}
	run(pcm, n, &t);
	assert_true(t.n[CLS_BUSY] >= t.total - 1);
	assert_int_equal(t.n[CLS_RINGBACK], 0);
	free(pcm);
}

static void
test_dtmf_digits(void **state)
{
	dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
	size_t n, done = 0;
	int16_t *pcm = alloc_pcm(4, &n);
	struct tally t;
	int k;

	(void)state;
	assert_non_null(tx);
	/* Half a second of silence, then the digits, then silence. */
	dtmf_tx_put(tx, "159#", -1);
	done = FEAT_RATE / 2;
	while (done < n && (k = dtmf_tx(tx, pcm + done, (int)(n - done))) > 0)
		done += (size_t)k;
	dtmf_tx_free(tx);
	run(pcm, n, &t);
	assert_string_equal(t.digits, "159#");
	assert_true(t.n[CLS_DTMF] >= 1);
	assert_true(t.n[CLS_SILENCE] >= 4);
	free(pcm);
}

static void
test_silence_and_noise(void **state)
{
	size_t n;
	int16_t *pcm = alloc_pcm(6, &n);
	struct tally t;

	(void)state;
	run(pcm, n, &t); /* digital silence */
	assert_int_equal(t.n[CLS_SILENCE], t.total);
	srand(7);
	for (size_t i = 0; i < n; i++) /* white noise near -50 dBFS */
		pcm[i] = (int16_t)(rand() % 201 - 100);
	run(pcm, n, &t);
	assert_int_equal(t.n[CLS_SILENCE], t.total);
	for (size_t i = 0; i < n; i++) /* louder steady noise, -30 dBFS */
		pcm[i] = (int16_t)(rand() % 2001 - 1000);
	run(pcm, n, &t);
	assert_true(t.n[CLS_SILENCE] >= t.total - 2);
	free(pcm);
}

/* Mean tonal continuity (200 ms) of frames 25.. of pcm. */
static double
mean_tonal2(const int16_t *pcm, size_t n)
{
	struct feat *f;
	struct feat_frame fr;
	double sum = 0;
	int cnt = 0;

	assert_int_equal(feat_new(&f), 0);
	for (size_t i = 0; i + FEAT_HOP <= n; i += FEAT_HOP) {
		feat_frame(f, pcm + i, &fr);
		if (i / FEAT_HOP >= 25) {
			sum += fr.tonal2;
			cnt++;
		}
	}
	feat_free(f);
	return cnt > 0 ? sum / cnt : 0;
}

static void
test_tonal_continuity(void **state)
{
	size_t n;
	int16_t *pcm = alloc_pcm(2, &n);
	double held, glide, ph = 0;

	(void)state;
	/* A held chord: its partials stay in place. */
	add_tone(pcm, n, 261.6, 0.1, 0, 2);
	add_tone(pcm, n, 329.6, 0.1, 0, 2);
	add_tone(pcm, n, 392.0, 0.1, 0, 2);
	held = mean_tonal2(pcm, n);
	/* A voice-like harmonic tone whose pitch rises and falls (100-180 Hz). */
	memset(pcm, 0, n * sizeof(*pcm));
	for (size_t i = 0; i < n; i++) {
		double f0 = 140 + 40 * sin(2 * M_PI * 1.5 * i / FEAT_RATE), v = 0;

		ph += 2 * M_PI * f0 / FEAT_RATE;
		for (int h = 1; h <= 12; h++)
			v += sin(h * ph) / h;
		pcm[i] = (int16_t)(v * 3000);
	}
	glide = mean_tonal2(pcm, n);
	print_message("tonal2 held %.2f glide %.2f\n", held, glide);
	assert_true(held > 0.8);
	assert_true(glide < 0.4);
	free(pcm);
}

static void
test_names_and_params(void **state)
{
	struct cls_params p;
	struct cls *c;
	enum cls_class k;

	(void)state;
	assert_string_equal(cls_class_name(CLS_RINGBACK), "ringback");
	assert_null(cls_class_name(CLS_NCLASS));
	assert_int_equal(cls_class_from_name("busy", &k), 0);
	assert_int_equal(k, CLS_BUSY);
	assert_int_equal(cls_class_from_name("jazz", &k), -EINVAL);
	cls_params_default(&p);
	p.hop_ms = 0;
	assert_int_equal(cls_new(&c, &p, NULL), -EINVAL);
	assert_null(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chords_are_music),
	    cmocka_unit_test(test_ringback_cadence),
	    cmocka_unit_test(test_busy_cadence),
	    cmocka_unit_test(test_dtmf_digits),
	    cmocka_unit_test(test_silence_and_noise),
	    cmocka_unit_test(test_tonal_continuity),
	    cmocka_unit_test(test_names_and_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
