/*
 * listen: the end-of-prompt detector of LISTEN steps.  classifyd labels
 * every hop of the company leg (audio_classified); a prompt has ended once
 * speech was heard and then quiet_s seconds passed without speech (silence,
 * music, tones: anything but "speech").  Pure, so that it can be tested by
 * feeding it a sequence of classes.
 */
#include <string.h>

#include "ivrd.h"

void
listen_init(struct listen_det *l, double quiet_s)
{
	memset(l, 0, sizeof(*l));
	l->quiet_s = quiet_s;
	l->last_speech = -1;
	l->last_t = -1;
}

int
listen_feed(struct listen_det *l, const char *cls, double t)
{
	/* Half a hop of slack: windows come every 0.5 s, not exactly. */
	const double eps = 0.05;

	if (l->done)
		return 1;
	if (cls == NULL)
		return 0;
	if (strcmp(cls, "speech") == 0) {
		if (l->heard && l->last_t >= 0 && t > l->last_t &&
		    t - l->last_t <= 1.0)
			l->speech_s += t - l->last_t;
		l->heard = 1;
		l->last_speech = t;
	} else if (l->heard && t - l->last_speech >= l->quiet_s - eps) {
		l->done = 1;
	}
	l->last_t = t;
	return l->done;
}
