/*
 * audio: G.711 codecs, WAV reading and writing (libsndfile), resampling
 * (libsoxr) and a level meter.  Everything in Hold Slayer moves audio as
 * signed 16-bit PCM at 8 kHz mono; these helpers get it in and out of that
 * form.
 */
#ifndef HS_AUDIO_H
#define HS_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#define AUDIO_RATE 8000

/* G.711 µ-law and A-law, n samples. */
void audio_ulaw_encode(uint8_t *dst, const int16_t *src, size_t n);
void audio_ulaw_decode(int16_t *dst, const uint8_t *src, size_t n);
void audio_alaw_encode(uint8_t *dst, const int16_t *src, size_t n);
void audio_alaw_decode(int16_t *dst, const uint8_t *src, size_t n);

/*
 * Reads any file libsndfile can read into 8 kHz mono 16-bit PCM, mixing
 * channels down and resampling when needed.  On success *pcm is malloc'd
 * (caller frees) and *n is the sample count.  On error returns a negative
 * errno and err names the file and what was wrong ("truncated", "not a
 * sound file", ...).
 */
int audio_wav_read(const char *path, int16_t **pcm, size_t *n, char *err,
		   size_t errlen);

/*
 * Resamples mono 16-bit PCM from in_rate to out_rate with libsoxr (high
 * quality, no dither, so the same input gives the same output).  *out is
 * malloc'd.
 */
int audio_resample(const int16_t *in, size_t n, double in_rate,
		   double out_rate, int16_t **out, size_t *outn);

struct audio_wav_writer;

/*
 * Creates path (mode 0600, replacing it) as a 16-bit PCM WAV with the given
 * rate and channel count.  Frames are interleaved when channels > 1.
 */
int audio_wav_open(struct audio_wav_writer **out, const char *path, int rate,
		   int channels);
int audio_wav_write(struct audio_wav_writer *w, const int16_t *frames,
		    size_t nframes);
/* Frames written so far. */
uint64_t audio_wav_frames(const struct audio_wav_writer *w);
/* Finalises the header and closes; accepts NULL. */
int audio_wav_close(struct audio_wav_writer *w);

/* RMS level in dBFS (-100 for digital silence). */
double audio_rms_dbfs(const int16_t *pcm, size_t n);

#endif
