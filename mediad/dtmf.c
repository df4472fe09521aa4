/*
 * dtmf: the RFC 4733 telephone-event sender, as a state machine with no
 * I/O.  Each 20 ms tick asks it whether to send an event packet instead of
 * audio.  A digit is sent as one packet per tick while the tone is on (the
 * first with the marker bit, the duration growing by 160 samples each time,
 * every packet carrying the event's start timestamp), then three end
 * packets (E bit, final duration) on the following ticks, then audio until
 * the gap has passed.  The gap counts from the end of the tone, so the end
 * packets take its first 60 ms.  For a far end without telephone-event,
 * tev_inband() renders the digits as audio tones (spandsp).
 */
#include "mediad.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Only the spandsp headers needed (spandsp.h drags in libtiff). */
#include <spandsp/telephony.h>
#include <spandsp/complex.h>
#include <spandsp/logging.h>
#include <spandsp/tone_detect.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>

static const char dtmf_chars[] = "0123456789*#ABCD";

int
tev_code(char c)
{
	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	for (int i = 0; i < 16; i++)
		if (dtmf_chars[i] == c)
			return i;
	return -EINVAL;
}

char
tev_char(int event)
{
	return event >= 0 && event < 16 ? dtmf_chars[event] : 0;
}

void
tev_tx_init(struct tev_tx *t)
{
	memset(t, 0, sizeof(*t));
	t->state = TEV_IDLE;
}

int
tev_check_params(int duration_ms, int gap_ms, char *err, size_t errlen)
{
	if (duration_ms < TEV_DURATION_MIN_MS ||
	    duration_ms > TEV_DURATION_MAX_MS) {
		snprintf(err, errlen, "duration_ms %d out of range %d..%d",
			 duration_ms, TEV_DURATION_MIN_MS,
			 TEV_DURATION_MAX_MS);
		return -EINVAL;
	}
	if (gap_ms < 0 || gap_ms > TEV_GAP_MAX_MS) {
		snprintf(err, errlen, "gap_ms %d out of range 0..%d", gap_ms,
			 TEV_GAP_MAX_MS);
		return -EINVAL;
	}
	return 0;
}

int
tev_tx_push(struct tev_tx *t, const char *digits, int duration_ms,
	     int gap_ms)
{
	size_t n = strlen(digits);

	if (tev_check_params(duration_ms, gap_ms, NULL, 0) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (tev_code(digits[i]) < 0)
			return -EINVAL;
	if (n > TEV_QUEUE_MAX - t->len)
		return -ENOSPC;
	for (size_t i = 0; i < n; i++) {
		struct tev_digit *d = &t->q[(t->head + t->len) % TEV_QUEUE_MAX];
		d->event = (uint8_t)tev_code(digits[i]);
		d->tone_ticks = (uint16_t)((duration_ms + MEDIAD_TICK_MS - 1) /
					   MEDIAD_TICK_MS);
		d->gap_ticks =
		    (uint16_t)((gap_ms + MEDIAD_TICK_MS - 1) / MEDIAD_TICK_MS);
		t->len++;
	}
	return 0;
}

size_t
tev_tx_pending(const struct tev_tx *t)
{
	return t->len + (t->state == TEV_IDLE ? 0 : 1);
}

bool
tev_tx_tick(struct tev_tx *t, uint32_t ts, struct tev_pkt *pkt)
{
	if (t->state == TEV_GAP && t->n >= t->cur.gap_ticks)
		t->state = TEV_IDLE;
	if (t->state == TEV_IDLE) {
		if (t->len == 0)
			return false;
		t->cur = t->q[t->head];
		t->head = (t->head + 1) % TEV_QUEUE_MAX;
		t->len--;
		t->state = TEV_TONE;
		t->ts_start = ts;
		t->n = 0;
	}
	switch (t->state) {
	case TEV_TONE:
		pkt->event = t->cur.event;
		pkt->marker = t->n == 0;
		pkt->end = false;
		pkt->duration = (uint16_t)((t->n + 1) * MEDIAD_FRAME);
		pkt->ts = t->ts_start;
		if (++t->n >= t->cur.tone_ticks) {
			t->state = TEV_END;
			t->n = 0;
		}
		return true;
	case TEV_END:
		pkt->event = t->cur.event;
		pkt->marker = false;
		pkt->end = true;
		pkt->duration = (uint16_t)(t->cur.tone_ticks * MEDIAD_FRAME);
		pkt->ts = t->ts_start;
		if (++t->n >= TEV_END_PACKETS) {
			t->state = TEV_GAP;
			t->n = TEV_END_PACKETS; /* the gap's first ticks */
		}
		return true;
	case TEV_GAP:
		t->n++;
		return false;
	case TEV_IDLE:
		break;
	}
	return false;
}

int
tev_inband(const char *digits, int duration_ms, int gap_ms, int16_t **pcm,
	    size_t *n)
{
	size_t nd = strlen(digits), total, got = 0;
	char up[TEV_QUEUE_MAX + 1];
	dtmf_tx_state_t *s;
	int16_t *buf;
	int k;

	*pcm = NULL;
	*n = 0;
	if (nd == 0 || nd > TEV_QUEUE_MAX ||
	    tev_check_params(duration_ms, gap_ms, NULL, 0) < 0)
		return -EINVAL;
	for (size_t i = 0; i < nd; i++) {
		int code = tev_code(digits[i]);
		if (code < 0)
			return -EINVAL;
		up[i] = tev_char(code);
	}
	up[nd] = '\0';
	total = nd * (size_t)(duration_ms + gap_ms) * (AUDIO_RATE / 1000) +
		AUDIO_RATE / 10;
	if ((buf = calloc(total, sizeof(*buf))) == NULL)
		return -ENOMEM;
	if ((s = dtmf_tx_init(NULL)) == NULL) {
		free(buf);
		return -ENOMEM;
	}
	dtmf_tx_set_timing(s, duration_ms, gap_ms);
	dtmf_tx_put(s, up, (int)nd);
	while (got < total &&
	       (k = dtmf_tx(s, buf + got, (int)(total - got))) > 0)
		got += (size_t)k;
	dtmf_tx_free(s);
	*pcm = buf;
	*n = got;
	return 0;
}
