/*
 * audio_gen: the sounds ivrsim makes itself.  Prompts are synthesized
 * offline with libespeak-ng (22050 Hz, resampled to 8 kHz with
 * audio_resample); ringback is the North American 440+480 Hz cadence; the
 * synthetic music bed stands in for hold music that is not available.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <espeak-ng/speak_lib.h>

#include "audio.h"
#include "ivrsim.h"
#include "log.h"

static int tts_rate;

struct tts_buf {
	int16_t *s;
	size_t n, cap;
};

static int
tts_cb(short *wav, int n, espeak_EVENT *ev)
{
	struct tts_buf *b = ev != NULL ? ev->user_data : NULL;

	if (b == NULL || wav == NULL || n <= 0)
		return 0;
	if (b->n + (size_t)n > b->cap) {
		size_t cap = (b->cap + (size_t)n) * 2;
		int16_t *p = realloc(b->s, cap * sizeof(*p));

		if (p == NULL)
			return 1;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, wav, (size_t)n * sizeof(*wav));
	b->n += (size_t)n;
	return 0;
}

/*
 * Initialises the synthesizer once and selects voice (NULL = default).
 * An unknown voice is a warning, not an error.
 */
int
tts_init(const char *voice)
{
	if (tts_rate == 0) {
		tts_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, 0);
		if (tts_rate <= 0) {
			tts_rate = 0;
			return -1;
		}
		espeak_SetSynthCallback(tts_cb);
		espeak_SetParameter(espeakRATE, 165, 0);
	}
	if (voice != NULL && espeak_SetVoiceByName(voice) != EE_OK) {
		log_warnx("tts: unknown voice '%s', using the default voice",
			  voice);
		espeak_SetVoiceByName("en-us");
	} else if (voice == NULL)
		espeak_SetVoiceByName("en-us");
	return 0;
}

int
tts_say(const char *text, struct pcm *out, char *err, size_t errlen)
{
	struct tts_buf b = {0};
	espeak_ERROR e;
	size_t n;
	int rc;

	e = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
			 espeakCHARS_UTF8, NULL, &b);
	if (e == EE_OK)
		e = espeak_Synchronize();
	if (e != EE_OK || b.n == 0) {
		free(b.s);
		snprintf(err, errlen, "speech synthesis failed for \"%.60s\"",
			 text);
		return -EIO;
	}
	rc = audio_resample(b.s, b.n, tts_rate, AUDIO_RATE, &out->s, &n);
	free(b.s);
	if (rc < 0) {
		snprintf(err, errlen, "resampling the synthesized prompt failed");
		return rc;
	}
	out->n = n;
	/* 300 ms of silence after each prompt, like a real system. */
	{
		int16_t *p = realloc(out->s, (n + 2400) * sizeof(*p));

		if (p == NULL)
			fatal("realloc");
		memset(p + n, 0, 2400 * sizeof(*p));
		out->s = p;
		out->n = n + 2400;
	}
	return 0;
}

/* Ringback: 440+480 Hz, 2 s on, 4 s off; t is seconds since it began. */
void
tone_ringback(int16_t *frame, size_t n, double t)
{
	for (size_t i = 0; i < n; i++) {
		double ts = t + (double)i / AUDIO_RATE;
		double ph = fmod(ts, 6.0);

		if (ph < 2.0)
			frame[i] = (int16_t)(3000.0 * (sin(2 * M_PI * 440 * ts) +
						       sin(2 * M_PI * 480 * ts)));
		else
			frame[i] = 0;
	}
}

/*
 * A 16 s music bed: a I-vi-IV-V chord progression (three sines per chord,
 * each chord fading in and out) under a simple melody, about -14 dBFS.
 */
int
music_synthetic(struct pcm *out)
{
	static const double chords[4][3] = {
	    {261.63, 329.63, 392.00},	/* C */
	    {220.00, 261.63, 329.63},	/* Am */
	    {174.61, 220.00, 261.63},	/* F */
	    {196.00, 246.94, 293.66},	/* G */
	};
	static const double melody[16] = {
	    523.25, 587.33, 659.25, 523.25, 659.25, 587.33, 523.25, 440.00,
	    440.00, 523.25, 587.33, 659.25, 587.33, 523.25, 493.88, 392.00};
	const size_t n = 16 * AUDIO_RATE;
	int16_t *s = malloc(n * sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		double t = (double)i / AUDIO_RATE;
		int c = (int)(t / 4.0) % 4;
		double ct = fmod(t, 4.0);
		double cenv = fmin(ct / 0.3, 1.0) * fmin((4.0 - ct) / 0.5, 1.0);
		double mt = fmod(t, 1.0);
		double menv = fmin(mt / 0.02, 1.0) * exp(-2.5 * mt);
		double v = 0;

		for (int k = 0; k < 3; k++)
			v += 0.12 * sin(2 * M_PI * chords[c][k] * t);
		v *= cenv;
		v += 0.25 * menv * sin(2 * M_PI * melody[(int)t % 16] * t);
		s[i] = (int16_t)(v * 32767.0 * 0.6);
	}
	out->s = s;
	out->n = n;
	return 0;
}
