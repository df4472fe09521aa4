/*
 * test_classify_human: the hold / live-human state machine on corpus
 * speech ($HS_TOP/../shared/corpus; each case skips when it is absent).
 * New live speech after music hold must give human_detected once, with an
 * onset near the start of the speech; the same announcement played again
 * and again between music must never give it; the speech fingerprint must
 * recognise a replay (announcement_loop) and not mistake other speech for
 * one.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audio.h"
#include "../../classifyd/classifyd.h"

struct rec {
	int holds, humans, retracts;
	char retract_reason[200];
	char hold_type[32];
	double human_t, onset_t;
	char evidence[400];
};

static void
on_hold(void *arg, const char *type, double t)
{
	struct rec *r = arg;

	(void)t;
	r->holds++;
	snprintf(r->hold_type, sizeof(r->hold_type), "%s", type);
}

static void
on_human(void *arg, double conf, const char *ev, double t, double onset)
{
	struct rec *r = arg;

	(void)conf;
	snprintf(r->evidence, sizeof(r->evidence), "%s", ev);
	r->humans++;
	r->human_t = t;
	r->onset_t = onset;
}

static void
on_retract(void *arg, const char *reason, double t)
{
	struct rec *r = arg;

	(void)t;
	r->retracts++;
	snprintf(r->retract_reason, sizeof(r->retract_reason), "%s", reason);
}

/* Loads a corpus clip; skips the test when the corpus is absent. */
static int16_t *
corpus(const char *rel, size_t *n)
{
	const char *top = getenv("HS_TOP");
	char path[4096], err[512];
	int16_t *pcm;

	snprintf(path, sizeof(path), "%s/../shared/corpus/%s",
		 top ? top : ".", rel);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "corpus clip %s absent: skipping\n", path);
		return NULL;
	}
	assert_int_equal(audio_wav_read(path, &pcm, n, err, sizeof(err)), 0);
	return pcm;
}

/*
 * Loads n corpus clips, each given as three arguments (const char *rel,
 * int16_t **pcm, size_t *len); when one is absent, frees those loaded and
 * skips the test.
 */
static void
load_clips(int n, ...)
{
	int16_t **got[8];
	va_list ap;
	int k = 0;

	assert_true(n <= 8);
	va_start(ap, n);
	for (; k < n; k++) {
		const char *rel = va_arg(ap, const char *);
		int16_t **pcm = va_arg(ap, int16_t **);
		size_t *len = va_arg(ap, size_t *);

		got[k] = pcm;
		if ((*pcm = corpus(rel, len)) == NULL)
			break;
	}
	va_end(ap);
	if (k == n)
		return;
	for (int i = 0; i < k; i++)
		free(*got[i]);
	skip();
}

/* No human_detected: else says what was taken for one. */
static void
assert_no_human(const struct rec *r)
{
	if (r->humans != 0)
		fprintf(stderr, "false human: %s\n", r->evidence);
	assert_int_equal(r->humans, 0);
}

/* A quiet line under everything fed (dBFS; off below -150). */
static double line_db = -200;

/* Feeds pcm in 20 ms frames, over the line when there is one. */
static void
feed(struct cls *c, const int16_t *pcm, size_t n)
{
	static unsigned seed = 3;
	int16_t buf[FEAT_HOP];
	double a = 32768 * pow(10, line_db / 20) * sqrt(3.0);

	for (size_t i = 0; i < n; i += FEAT_HOP) {
		size_t k = n - i < FEAT_HOP ? n - i : FEAT_HOP;

		if (line_db < -150) {
			cls_feed(c, pcm + i, k);
			continue;
		}
		for (size_t j = 0; j < k; j++) {
			double v = pcm[i + j] +
				   a * (2.0 * rand_r(&seed) / RAND_MAX - 1);

			buf[j] = (int16_t)(v > 32767	? 32767
					   : v < -32768 ? -32768
							: v);
		}
		cls_feed(c, buf, k);
	}
}

/* secs of a synthetic chord progression (music-like hold audio). */
static void
feed_music(struct cls *c, double secs)
{
	static const double root[4] = {261.6, 349.2, 392.0, 440.0};
	size_t n = (size_t)(secs * FEAT_RATE);
	int16_t *pcm = calloc(n, sizeof(*pcm));
	double t0 = cls_time(c);

	assert_non_null(pcm);
	for (size_t i = 0; i < n; i++) {
		double t = t0 + (double)i / FEAT_RATE, v = 0;
		double f = root[(int)t % 4];

		v += sin(2 * M_PI * f * t) + sin(2 * M_PI * f * 1.26 * t) +
		     sin(2 * M_PI * f * 1.5 * t);
		pcm[i] = (int16_t)(v * 2500);
	}
	feed(c, pcm, n);
	free(pcm);
}

static void
feed_silence(struct cls *c, double secs)
{
	size_t n = (size_t)(secs * FEAT_RATE);
	int16_t *pcm = calloc(n, sizeof(*pcm));

	assert_non_null(pcm);
	feed(c, pcm, n);
	free(pcm);
}

static struct cls *
make(struct rec *r)
{
	struct cls_params p;
	struct cls_sink sink = {.hold = on_hold,
				.human = on_human,
				.retract = on_retract,
				.arg = r};
	struct cls *c;

	memset(r, 0, sizeof(*r));
	line_db = -200;
	cls_params_default(&p);
	assert_int_equal(cls_new(&c, &p, &sink), 0);
	cls_arm_hold(c);
	return c;
}

static void
test_human_after_music(void **state)
{
	struct rec r;
	struct cls *c;
	size_t n;
	int16_t *sp;
	double onset;

	(void)state;
	load_clips(1, "speech_live/dv_speech_13.wav", &sp, &n);
	c = make(&r);
	feed_music(c, 8);
	assert_int_equal(r.holds, 1);
	assert_string_equal(r.hold_type, "music");
	onset = cls_time(c);
	feed(c, sp, n);
	feed_silence(c, 3);
	assert_int_equal(r.humans, 1);
	assert_true(r.human_t > onset);
	print_message("human at %.2f onset %.2f (speech from %.2f)\n", r.human_t, r.onset_t, onset);
	assert_true(fabs(r.onset_t - onset) < 1.0);
	cls_free(c);
	free(sp);
}

static void
test_repeated_announcement_is_not_human(void **state)
{
	struct rec r;
	struct cls *c;
	size_t n;
	int16_t *ann;

	(void)state;
	load_clips(1, "speech_recorded_announcement/dv_ann_real_en_02.wav", &ann,
		   &n);
	c = make(&r);
	feed_music(c, 8);
	for (int i = 0; i < 4; i++) {
		feed(c, ann, n);
		feed_music(c, 6);
	}
	assert_int_equal(r.holds, 1);
	assert_int_equal(r.humans, 0);
	cls_free(c);
	free(ann);
}

static void
test_fingerprint_spots_replay(void **state)
{
	struct rec r;
	struct cls *c;
	size_t na, nb;
	int16_t *a, *b;

	(void)state;
	load_clips(2, "speech_recorded_announcement/dv_ann_01.wav", &a, &na,
		   "speech_live/dv_speech_01.wav", &b, &nb);
	/* Different speech after the announcement: no loop. */
	c = make(&r);
	feed(c, a, na);
	feed_silence(c, 2);
	feed(c, b, nb / 2);
	if (r.holds)
		print_message("hold %s\n", r.hold_type);
	assert_int_equal(r.holds, 0);
	cls_free(c);
	/* The same announcement again: an announcement loop. */
	c = make(&r);
	feed(c, a, na);
	feed_silence(c, 2);
	feed(c, a, na);
	assert_int_equal(r.holds, 1);
	assert_string_equal(r.hold_type, "announcement_loop");
	assert_int_equal(r.humans, 0);
	cls_free(c);
	free(a);
	free(b);
}

/*
 * secs of white noise at about rms_db dBFS (a line's noise), added to pcm
 * when pcm is not NULL (n samples), else fed alone.
 */
static void
feed_noise(struct cls *c, double secs, double rms_db, const int16_t *pcm,
	   size_t n)
{
	size_t len = pcm != NULL ? n : (size_t)(secs * FEAT_RATE);
	int16_t *out = calloc(len, sizeof(*out));
	double a = 32768 * pow(10, rms_db / 20) * sqrt(3.0);
	unsigned seed = 7;

	assert_non_null(out);
	for (size_t i = 0; i < len; i++) {
		double v = a * (2.0 * rand_r(&seed) / RAND_MAX - 1);

		if (pcm != NULL)
			v += pcm[i];
		out[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	feed(c, out, len);
	free(out);
}

/* A music hold with an announcement played twice, 10 s apart. */
static void
feed_two_plays(struct cls *c, const int16_t *ann, size_t n)
{
	feed_music(c, 10);
	feed(c, ann, n);
	feed_music(c, 10);
	feed(c, ann, n);
	feed_music(c, 8);
}

/*
 * The hold plays an announcement twice between music; then the music
 * stops, a line with its own noise opens and a person speaks over it: a
 * human, and the evidence names the new line.
 */
static void
test_new_line_after_announcements(void **state)
{
	struct rec r;
	struct cls *c;
	size_t na, ns;
	int16_t *ann, *sp;
	double onset;

	(void)state;
	load_clips(2, "speech_recorded_announcement/dv_ann_01.wav", &ann, &na,
		   "speech_live/dv_speech_03.wav", &sp, &ns);
	c = make(&r);
	feed_two_plays(c, ann, na);
	assert_int_equal(r.humans, 0);
	feed_noise(c, 0.6, -70, NULL, 0);
	onset = cls_time(c);
	feed_noise(c, 0, -70, sp, ns);
	assert_int_equal(r.humans, 1);
	print_message("human at %.2f (speech from %.2f): %s\n", r.human_t,
		      onset, r.evidence);
	assert_true(r.human_t > onset && r.human_t < onset + 3);
	assert_non_null(strstr(r.evidence, "a new line"));
	cls_free(c);
	free(ann);
	free(sp);
}

/*
 * A new announcement in another voice, heard for the first time, after
 * the same announcement twice: its voice is new, but it comes from the
 * hold system's own recordings (no new line): not a human.
 */
static void
test_new_voice_recording_is_not_human(void **state)
{
	struct rec r;
	struct cls *c;
	size_t na, nb;
	int16_t *a, *b;

	(void)state;
	load_clips(2, "speech_recorded_announcement/dv_ann_01.wav", &a, &na,
		   "speech_recorded_announcement/dv_ann_08.wav", &b, &nb);
	c = make(&r);
	feed_two_plays(c, a, na);
	feed(c, b, nb);
	feed_music(c, 6);
	assert_no_human(&r);
	cls_free(c);
	free(a);
	free(b);
}

/*
 * A "person" after which the hold music comes back was a recording (or the
 * person put the call on hold again): human_retracted names the music, the
 * speech becomes one of the announcements, and the next person on another
 * line is found.
 */
static void
test_retracted_when_music_returns(void **state)
{
	struct rec r;
	struct cls *c;
	size_t na, ns;
	size_t n2;
	int16_t *ann, *sp, *sp2;
	double onset;

	(void)state;
	load_clips(3, "speech_recorded_announcement/dv_ann_01.wav", &ann, &na,
		   "speech_live/dv_speech_03.wav", &sp, &ns,
		   "speech_live/dv_speech_13.wav", &sp2, &n2);
	c = make(&r);
	feed_two_plays(c, ann, na);
	feed_noise(c, 0.6, -70, NULL, 0);
	feed_noise(c, 0, -70, sp, ns);
	assert_int_equal(r.humans, 1);
	assert_int_equal(r.retracts, 0);
	/* a moment of music is not enough (music under a person) */
	feed_music(c, 1.5);
	assert_int_equal(r.retracts, 0);
	feed_music(c, 4);
	assert_int_equal(r.retracts, 1);
	assert_non_null(strstr(r.retract_reason, "music"));
	assert_int_equal(r.humans, 1);
	/* the next person, on a line of their own */
	feed_noise(c, 0.6, -55, NULL, 0);
	onset = cls_time(c);
	feed_noise(c, 0, -55, sp2, n2);
	assert_int_equal(r.humans, 2);
	assert_true(r.human_t > onset);
	assert_int_equal(r.retracts, 1);
	cls_free(c);
	free(ann);
	free(sp);
	free(sp2);
}

/*
 * secs of white noise at rms_db dBFS, its level swung by a 4 Hz syllable
 * rate (a whisper: speech-like, never voiced), over a line at bed_db.
 */
static void
feed_whisper(struct cls *c, double secs, double rms_db, double bed_db)
{
	size_t n = (size_t)(secs * FEAT_RATE);
	int16_t *pcm = calloc(n, sizeof(*pcm));
	double a = 32768 * pow(10, rms_db / 20) * sqrt(3.0);
	double l = 32768 * pow(10, bed_db / 20) * sqrt(3.0);
	unsigned seed = 11;

	assert_non_null(pcm);
	for (size_t i = 0; i < n; i++) {
		double t = (double)i / FEAT_RATE;
		double env = pow(fmax(0, sin(2 * M_PI * 4 * t)), 2);
		double v = a * env * (2.0 * rand_r(&seed) / RAND_MAX - 1) +
			   l * (2.0 * rand_r(&seed) / RAND_MAX - 1);

		pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	feed(c, pcm, n);
	free(pcm);
}

/*
 * After the hold's announcements, a new line opens and something
 * speech-like but never voiced goes on over it (music or noise taken for
 * speech): not a person, however new the line, level and spectrum are.
 */
static void
test_unvoiced_is_not_human(void **state)
{
	struct rec r;
	struct cls *c;
	size_t na;
	int16_t *ann;

	(void)state;
	load_clips(1, "speech_recorded_announcement/dv_ann_01.wav", &ann, &na);
	c = make(&r);
	feed_two_plays(c, ann, na);
	feed_noise(c, 0.6, -60, NULL, 0);
	feed_whisper(c, 4, -30, -60);
	feed_noise(c, 3, -60, NULL, 0);
	assert_no_human(&r);
	cls_free(c);
	free(ann);
}

/*
 * secs of the synthetic music with a steady noise-like stretch at
 * noise_db dBFS in its middle (a quiet, hissy passage of a band
 * recording), on an otherwise silent line.
 */
static void
feed_music_hissy(struct cls *c, double secs, double noise_db)
{
	feed_music(c, secs / 2);
	feed_noise(c, 0.5, noise_db, NULL, 0);
	feed_music(c, secs / 2);
}

/*
 * The hold's line is quiet (-80 dBFS) and its music has one loud,
 * noise-like quiet passage: that passage is not the line's noise, so a new
 * recording in another voice at another level, on the same line, is still
 * not a person (voice and level are enough only on a line too noisy to
 * hear a new one).
 */
static void
test_hissy_music_is_not_a_noisy_line(void **state)
{
	struct rec r;
	struct cls *c;
	size_t na, nb;
	int16_t *a, *b;

	(void)state;
	load_clips(2, "speech_recorded_announcement/dv_ann_01.wav", &a, &na,
		   "speech_recorded_announcement/dv_ann_05.wav", &b, &nb);
	c = make(&r);
	line_db = -80;
	feed_music(c, 10);
	feed(c, a, na);
	feed_music_hissy(c, 10, -50);
	feed(c, a, na);
	feed_music(c, 8);
	for (size_t i = 0; i < nb; i++)
		b[i] = (int16_t)(b[i] / 4); /* 12 dB down: another level */
	feed(c, b, nb);
	feed_music(c, 6);
	line_db = -200;
	assert_no_human(&r);
	cls_free(c);
	free(a);
	free(b);
}

/* The first sample of a clip's first word (above -40 dBFS). */
static size_t
first_word(const int16_t *pcm, size_t n)
{
	size_t i = 0;

	while (i < n && abs(pcm[i]) < 300)
		i++;
	return i;
}

/*
 * Removes the pauses from the first secs of a clip (every 20 ms frame more
 * than 30 dB below its loudest): speech that runs on without a quiet
 * stretch.  Returns the new length.
 */
static size_t
close_pauses(int16_t *pcm, size_t n, double secs)
{
	size_t lim = (size_t)(secs * FEAT_RATE), out = 0;
	double peak = 0;

	for (size_t i = 0; i + FEAT_HOP <= n; i += FEAT_HOP) {
		double e = 0;

		for (size_t j = 0; j < FEAT_HOP; j++)
			e += (double)pcm[i + j] * pcm[i + j];
		if (e > peak)
			peak = e;
	}
	for (size_t i = 0; i < n; i += FEAT_HOP) {
		size_t k = n - i < FEAT_HOP ? n - i : FEAT_HOP;
		double e = 0;

		for (size_t j = 0; j < k; j++)
			e += (double)pcm[i + j] * pcm[i + j];
		if (out < lim && e * 1000 < peak)
			continue;
		memmove(pcm + out, pcm + i, k * sizeof(*pcm));
		out += k;
	}
	return out;
}

/*
 * A person who talks on for 3 s without a pause: the new line first shows
 * in a later pause, and the person is found then (a segment goes on being
 * judged past its first two seconds).
 */
static void
test_line_in_a_later_pause(void **state)
{
	struct rec r;
	struct cls *c;
	size_t na, ns;
	int16_t *ann, *sp;
	double onset;

	(void)state;
	load_clips(2, "speech_recorded_announcement/dv_ann_01.wav", &ann, &na,
		   "speech_live/dv_speech_03.wav", &sp, &ns);
	ns = close_pauses(sp, ns, 3.0);
	c = make(&r);
	feed_two_plays(c, ann, na);
	onset = cls_time(c);
	feed_noise(c, 0, -66, sp, ns);
	feed_noise(c, 2, -66, NULL, 0);
	assert_int_equal(r.humans, 1);
	print_message("human at %.2f (speech from %.2f): %s\n", r.human_t,
		      onset, r.evidence);
	assert_true(r.human_t > onset + 2.5);
	assert_non_null(strstr(r.evidence, "a new line"));
	cls_free(c);
	free(ann);
	free(sp);
}

/*
 * A new announcement heard for the first time, whose recording opens with
 * its own noise (louder than the hold's line, heard just before it): that
 * noise is on top of the line, not a new line, so it is no person.
 */
static void
test_lead_in_noise_is_not_a_line(void **state)
{
	struct rec r;
	struct cls *c;
	size_t na, nb, lead;
	int16_t *a, *b;

	(void)state;
	load_clips(2, "speech_recorded_announcement/dv_ann_01.wav", &a, &na,
		   "speech_recorded_announcement/dv_ann_04.wav", &b, &nb);
	lead = first_word(b, nb);
	c = make(&r);
	line_db = -72;
	feed_two_plays(c, a, na);
	feed_silence(c, 0.4); /* the hold's line alone */
	/* the recording's own noise over its quiet start */
	feed_noise(c, 0, -52, b, lead);
	feed(c, b + lead, nb - lead);
	feed_music(c, 6);
	line_db = -200;
	assert_no_human(&r);
	cls_free(c);
	free(a);
	free(b);
}

/*
 * A person in another voice greets, then waits for an answer: on a line
 * too noisy to hear a new one, the voice alone is not enough, but quiet
 * where the music would return makes it a person (turn-taking).  The same
 * greeting followed by the music is not.
 */
static void
test_greeting_then_quiet(void **state)
{
	struct rec r;
	struct cls *c;
	size_t na, ns, start;
	int16_t *ann, *sp;

	(void)state;
	load_clips(2, "speech_recorded_announcement/dv_ann_01.wav", &ann, &na,
		   "speech_live/dv_speech_01.wav", &sp, &ns);
	start = first_word(sp, ns);
	ns = (size_t)(1.3 * FEAT_RATE); /* a short phrase */
	for (int quiet = 0; quiet < 2; quiet++) {
		c = make(&r);
		line_db = -50;
		feed_two_plays(c, ann, na);
		feed_silence(c, 0.5);
		feed(c, sp + start, ns);
		if (quiet)
			feed_silence(c, 2.5);
		else
			feed_music(c, 4);
		line_db = -200;
		if (!quiet) {
			assert_no_human(&r);
		} else {
			assert_int_equal(r.humans, 1);
			print_message("human: %s\n", r.evidence);
			assert_non_null(strstr(r.evidence, "turn-taking"));
		}
		cls_free(c);
	}
	free(ann);
	free(sp);
}

/*
 * On a hissy hold line (-55 dBFS), a new recording in another voice, 12 dB
 * below the announcements and so only about 20 dB above the hiss: the hiss
 * shapes its spectrum, so "voice unlike the announcements" is not judged,
 * and the level alone is no person.
 */
static void
test_voice_needs_snr(void **state)
{
	struct rec r;
	struct cls *c;
	size_t na, nb;
	int16_t *a, *b;

	(void)state;
	load_clips(2, "speech_recorded_announcement/dv_ann_01.wav", &a, &na,
		   "speech_recorded_announcement/dv_ann_05.wav", &b, &nb);
	for (size_t i = 0; i < nb; i++)
		b[i] = (int16_t)(b[i] / 4); /* 12 dB down */
	c = make(&r);
	line_db = -55;
	feed_two_plays(c, a, na);
	feed(c, b, nb);
	feed_music(c, 6);
	line_db = -200;
	assert_no_human(&r);
	cls_free(c);
	free(a);
	free(b);
}

/*
 * An announcement played twice, each time right after the music with a
 * short stretch of line noise before it, the second time over a line
 * 8 dB louder (a new line, to the live test).  The window classes open
 * each play's segment in the music at the end of the hop, so the
 * segments' fingerprints hold music frames and may match only late, or
 * match at a wrong offset first and be withdrawn; the speech the live test
 * looks at repeats the first play all along.  At every alignment of the
 * plays to the 0.5 s hops, the replay is not a person.
 */
static void
test_replay_after_music_is_not_human(void **state)
{
	size_t na;
	int16_t *ann;

	(void)state;
	load_clips(1, "speech_recorded_announcement/dv_ann_01.wav", &ann, &na);
	for (int x = 0; x < 5; x++)
		for (int y = 0; y < 5; y++) {
			struct rec r;
			struct cls *c = make(&r);

			feed_silence(c, 0.1 * x);
			feed_music(c, 10);
			feed_noise(c, 0.16, -44, NULL, 0);
			feed_noise(c, 0, -44, ann, na);
			feed_music(c, 10 + 0.1 * y);
			feed_noise(c, 0.16, -52, NULL, 0);
			feed_noise(c, 0, -52, ann, na);
			feed_music(c, 5);
			if (r.humans != 0)
				print_message("plays shifted by %.1f s and "
					      "%.1f s\n",
					      0.1 * x, 0.1 * y);
			assert_no_human(&r);
			cls_free(c);
		}
	free(ann);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_human_after_music),
	    cmocka_unit_test(test_repeated_announcement_is_not_human),
	    cmocka_unit_test(test_fingerprint_spots_replay),
	    cmocka_unit_test(test_new_line_after_announcements),
	    cmocka_unit_test(test_new_voice_recording_is_not_human),
	    cmocka_unit_test(test_retracted_when_music_returns),
	    cmocka_unit_test(test_unvoiced_is_not_human),
	    cmocka_unit_test(test_hissy_music_is_not_a_noisy_line),
	    cmocka_unit_test(test_line_in_a_later_pause),
	    cmocka_unit_test(test_lead_in_noise_is_not_a_line),
	    cmocka_unit_test(test_greeting_then_quiet),
	    cmocka_unit_test(test_voice_needs_snr),
	    cmocka_unit_test(test_replay_after_music_is_not_human),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
