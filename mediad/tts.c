/*
 * tts: speech synthesis for the "say" control command.  libespeak-ng runs
 * in AUDIO_OUTPUT_SYNCHRONOUS mode inside the daemon loop: a sentence takes
 * a few tens of milliseconds to synthesize, which the 20 ms tick absorbs
 * with its catch-up.  The 22050 Hz output is resampled to 8 kHz with
 * audio_resample() and queued on the leg like a played file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <espeak-ng/speak_lib.h>

#include "audio.h"
#include "log.h"
#include "mediad.h"

static int tts_rate; /* the synthesizer's sample rate; 0 before init */
static char tts_voice_cur[64];

struct tts_buf {
	int16_t *s;
	size_t n, cap;
	int oom;
};

static int
tts_cb(short *wav, int n, espeak_EVENT *ev)
{
	struct tts_buf *b = ev != NULL ? ev->user_data : NULL;

	if (b == NULL || wav == NULL || n <= 0)
		return 0;
	if (b->n + (size_t)n > MEDIAD_PLAY_MAX * 3) {
		b->oom = 1;
		return 1; /* stop: far longer than can be queued */
	}
	if (b->n + (size_t)n > b->cap) {
		size_t cap = (b->cap + (size_t)n) * 2;
		int16_t *p = realloc(b->s, cap * sizeof(*p));

		if (p == NULL) {
			b->oom = 1;
			return 1;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, wav, (size_t)n * sizeof(*wav));
	b->n += (size_t)n;
	return 0;
}

static int
tts_init(char *err, size_t errlen)
{
	if (tts_rate > 0)
		return 0;
	tts_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
				     espeakINITIALIZE_DONT_EXIT);
	if (tts_rate <= 0) {
		tts_rate = 0;
		snprintf(err, errlen,
			 "speech synthesis: cannot initialise espeak-ng (is "
			 "espeak-ng-data installed?)");
		return -EIO;
	}
	espeak_SetSynthCallback(tts_cb);
	espeak_SetParameter(espeakRATE, 160, 0);
	tts_voice_cur[0] = '\0';
	return 0;
}

int
tts_voice_ok(const char *voice)
{
	if (voice == NULL)
		return 1;
	if (strlen(voice) == 0 || strlen(voice) >= sizeof(tts_voice_cur))
		return 0;
	return strspn(voice, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
			     "VWXYZ0123456789-_+") == strlen(voice);
}

int
tts_synth(const char *text, const char *voice, int16_t **pcm, size_t *n,
	  char *err, size_t errlen)
{
	struct tts_buf b = {0};
	espeak_ERROR e;
	const char *want = voice ? voice : TTS_VOICE_DEFAULT;
	int r;

	*pcm = NULL;
	*n = 0;
	if ((r = tts_init(err, errlen)) < 0)
		return r;
	if (!tts_voice_ok(want)) {
		snprintf(err, errlen, "bad voice '%.32s'", want);
		return -EINVAL;
	}
	if (strcmp(tts_voice_cur, want) != 0) {
		if (espeak_SetVoiceByName(want) != EE_OK) {
			snprintf(err, errlen,
				 "unknown voice '%.32s' (see espeak-ng "
				 "--voices)",
				 want);
			/* The previous voice may be unset now. */
			tts_voice_cur[0] = '\0';
			return -EINVAL;
		}
		snprintf(tts_voice_cur, sizeof(tts_voice_cur), "%s", want);
	}
	e = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
			 espeakCHARS_UTF8, NULL, &b);
	if (e == EE_OK)
		e = espeak_Synchronize();
	if (b.oom) {
		free(b.s);
		snprintf(err, errlen, "text too long: more than %d s of speech",
			 MEDIAD_PLAY_MAX / AUDIO_RATE);
		return -ENOSPC;
	}
	if (e != EE_OK || b.n == 0) {
		free(b.s);
		snprintf(err, errlen, "speech synthesis failed for \"%.60s\"",
			 text);
		return -EIO;
	}
	r = audio_resample(b.s, b.n, tts_rate, AUDIO_RATE, pcm, n);
	free(b.s);
	if (r < 0) {
		snprintf(err, errlen, "resampling the synthesized speech failed");
		return r;
	}
	return 0;
}

void
tts_fini(void)
{
	if (tts_rate > 0)
		espeak_Terminate();
	tts_rate = 0;
}
