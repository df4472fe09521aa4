/*
 * record: the call's mixed mono recording.  Each tick the daemon writes
 * what the company leg sent us plus what we sent to the company leg (after
 * the bridge, the user's voice), summed with saturation, to
 * recordings_dir/<call_id>.wav (mode 0600).
 */
#include "mediad.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio.h"

struct recording {
	struct audio_wav_writer *w;
	char path[4096];
};

void
mix_sat(int16_t *dst, const int16_t *a, const int16_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int32_t s = (a ? a[i] : 0) + (b ? b[i] : 0);
		if (s > INT16_MAX)
			s = INT16_MAX;
		else if (s < INT16_MIN)
			s = INT16_MIN;
		dst[i] = (int16_t)s;
	}
}

/* mkdir -p with mode 0700 for the directories it creates. */
static int
record_mkdirs(const char *dir)
{
	char buf[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int
recording_open(struct recording **out, const char *dir, const char *call_id,
	       char *err, size_t errlen)
{
	struct recording *r;
	int rc;

	*out = NULL;
	if ((rc = record_mkdirs(dir)) < 0) {
		snprintf(err, errlen, "recordings_dir %s: %s", dir,
			 strerror(-rc));
		return rc;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	if ((size_t)snprintf(r->path, sizeof(r->path), "%s/%s.wav", dir,
			     call_id) >= sizeof(r->path)) {
		snprintf(err, errlen, "recording path too long in %s", dir);
		free(r);
		return -ENAMETOOLONG;
	}
	if ((rc = audio_wav_open(&r->w, r->path, AUDIO_RATE, 1)) < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", r->path,
			 strerror(-rc));
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int
recording_write(struct recording *r, const int16_t *pcm, size_t n)
{
	return audio_wav_write(r->w, pcm, n);
}

const char *
recording_path(const struct recording *r)
{
	return r->path;
}

double
recording_seconds(const struct recording *r)
{
	return (double)audio_wav_frames(r->w) / AUDIO_RATE;
}

void
recording_close(struct recording *r)
{
	if (r == NULL)
		return;
	audio_wav_close(r->w);
	free(r);
}
