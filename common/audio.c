/*
 * audio: G.711 through spandsp, WAV through libsndfile, resampling through
 * libsoxr.  Only the spandsp headers needed are included, because the full
 * <spandsp.h> clashes with sphinxbase in classifyd.
 */
#include "audio.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

struct audio_wav_writer {
	SNDFILE *sf;
	int channels;
	uint64_t frames;
};

void
audio_ulaw_encode(uint8_t *dst, const int16_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = linear_to_ulaw(src[i]);
}

void
audio_ulaw_decode(int16_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = ulaw_to_linear(src[i]);
}

void
audio_alaw_encode(uint8_t *dst, const int16_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = linear_to_alaw(src[i]);
}

void
audio_alaw_decode(int16_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = alaw_to_linear(src[i]);
}

int
audio_resample(const int16_t *in, size_t n, double in_rate, double out_rate,
	       int16_t **out, size_t *outn)
{
	size_t cap = (size_t)ceil((double)n * out_rate / in_rate) + 64, done = 0;
	soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
	soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
	soxr_error_t e;
	int16_t *buf;

	/* No random dither: the same audio always resamples the same. */
	io.flags |= SOXR_NO_DITHER;
	*out = NULL;
	*outn = 0;
	buf = malloc(cap * sizeof(*buf));
	if (buf == NULL)
		return -ENOMEM;
	if (in_rate == out_rate) {
		memcpy(buf, in, n * sizeof(*in));
		*out = buf;
		*outn = n;
		return 0;
	}
	e = soxr_oneshot(in_rate, out_rate, 1, in, n, NULL, buf, cap, &done,
			 &io, &q, NULL);
	if (e != NULL) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*outn = done;
	return 0;
}

int
audio_wav_read(const char *path, int16_t **pcm, size_t *n, char *err,
	       size_t errlen)
{
	SF_INFO info;
	SNDFILE *sf;
	int16_t *raw = NULL, *mono = NULL;
	sf_count_t got;
	int r = 0;

	*pcm = NULL;
	*n = 0;
	memset(&info, 0, sizeof(info));
	sf = sf_open(path, SFM_READ, &info);
	if (sf == NULL) {
		snprintf(err, errlen, "%s: %s", path, sf_strerror(NULL));
		return access(path, R_OK) < 0 ? -errno : -EINVAL;
	}
	if (info.channels < 1 || info.channels > 16 || info.samplerate < 1000 ||
	    info.samplerate > 384000 || info.frames < 0 ||
	    info.frames > (sf_count_t)3600 * info.samplerate) {
		snprintf(err, errlen, "%s: unsupported format (%d Hz, %d "
				      "channels)",
			 path, info.samplerate, info.channels);
		r = -EINVAL;
		goto out;
	}
	raw = malloc((size_t)(info.frames ? info.frames : 1) *
		     (size_t)info.channels * sizeof(*raw));
	mono = malloc((size_t)(info.frames ? info.frames : 1) * sizeof(*mono));
	if (raw == NULL || mono == NULL) {
		r = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	got = sf_readf_short(sf, raw, info.frames);
	if (got < info.frames) {
		snprintf(err, errlen,
			 "%s: truncated: header says %lld frames, read %lld",
			 path, (long long)info.frames, (long long)got);
		r = -EINVAL;
		goto out;
	}
	for (sf_count_t i = 0; i < got; i++) {
		long sum = 0;
		for (int c = 0; c < info.channels; c++)
			sum += raw[i * info.channels + c];
		mono[i] = (int16_t)(sum / info.channels);
	}
	if (info.samplerate != AUDIO_RATE) {
		r = audio_resample(mono, (size_t)got, info.samplerate,
				   AUDIO_RATE, pcm, n);
		if (r < 0)
			snprintf(err, errlen, "%s: cannot resample from %d Hz",
				 path, info.samplerate);
		goto out;
	}
	*pcm = mono;
	*n = (size_t)got;
	mono = NULL;
out:
	free(raw);
	free(mono);
	sf_close(sf);
	return r;
}

int
audio_wav_open(struct audio_wav_writer **out, const char *path, int rate,
	       int channels)
{
	struct audio_wav_writer *w;
	SF_INFO info = {0};
	int fd;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(w);
		return -errno;
	}
	info.samplerate = rate;
	info.channels = channels;
	info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
	w->sf = sf_open_fd(fd, SFM_WRITE, &info, 1);
	if (w->sf == NULL) {
		close(fd);
		free(w);
		return -EIO;
	}
	/* Keep the header valid even if the process dies mid-call. */
	sf_command(w->sf, SFC_SET_UPDATE_HEADER_AUTO, NULL, SF_TRUE);
	w->channels = channels;
	*out = w;
	return 0;
}

int
audio_wav_write(struct audio_wav_writer *w, const int16_t *frames,
		size_t nframes)
{
	sf_count_t put = sf_writef_short(w->sf, frames, (sf_count_t)nframes);

	if (put < 0 || (size_t)put != nframes)
		return -EIO;
	w->frames += nframes;
	return 0;
}

uint64_t
audio_wav_frames(const struct audio_wav_writer *w)
{
	return w->frames;
}

int
audio_wav_close(struct audio_wav_writer *w)
{
	int r = 0;

	if (w == NULL)
		return 0;
	if (sf_close(w->sf) != 0)
		r = -EIO;
	free(w);
	return r;
}

double
audio_rms_dbfs(const int16_t *pcm, size_t n)
{
	double sum = 0;

	if (n == 0)
		return -100.0;
	for (size_t i = 0; i < n; i++)
		sum += (double)pcm[i] * pcm[i];
	sum = sqrt(sum / (double)n) / 32768.0;
	return sum < 1e-5 ? -100.0 : 20.0 * log10(sum);
}
