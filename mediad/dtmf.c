/*
 * dtmf: the RFC 4733 telephone-event sender, as a state machine with no
 * I/O.  Each 20 ms tick asks it whether to send an event packet instead of
 * audio.  A digit is sent as one packet per tick while the tone is on (the
 * first with the marker bit, the duration growing by 160 samples each time,
 * every packet carrying the event's start timestamp), then three end
 * packets (E bit, final duration) on the following ticks, then audio until
 * the gap has passed.  The gap counts from the end of the tone, so the end
 * packets take its first 60 ms.
 */
#include "mediad.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char dtmf_chars[] = "0123456789*#ABCD";

int
dtmf_event_code(char c)
{
	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	for (int i = 0; i < 16; i++)
		if (dtmf_chars[i] == c)
			return i;
	return -EINVAL;
}

char
dtmf_event_char(int event)
{
	return event >= 0 && event < 16 ? dtmf_chars[event] : 0;
}

void
dtmf_tx_init(struct dtmf_tx *t)
{
	memset(t, 0, sizeof(*t));
	t->state = DTMF_IDLE;
}

int
dtmf_check_params(int duration_ms, int gap_ms, char *err, size_t errlen)
{
	if (duration_ms < DTMF_DURATION_MIN_MS ||
	    duration_ms > DTMF_DURATION_MAX_MS) {
		snprintf(err, errlen, "duration_ms %d out of range %d..%d",
			 duration_ms, DTMF_DURATION_MIN_MS,
			 DTMF_DURATION_MAX_MS);
		return -EINVAL;
	}
	if (gap_ms < 0 || gap_ms > DTMF_GAP_MAX_MS) {
		snprintf(err, errlen, "gap_ms %d out of range 0..%d", gap_ms,
			 DTMF_GAP_MAX_MS);
		return -EINVAL;
	}
	return 0;
}

int
dtmf_tx_push(struct dtmf_tx *t, const char *digits, int duration_ms,
	     int gap_ms)
{
	size_t n = strlen(digits);

	if (dtmf_check_params(duration_ms, gap_ms, NULL, 0) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (dtmf_event_code(digits[i]) < 0)
			return -EINVAL;
	if (n > DTMF_QUEUE_MAX - t->len)
		return -ENOSPC;
	for (size_t i = 0; i < n; i++) {
		struct dtmf_digit *d = &t->q[(t->head + t->len) % DTMF_QUEUE_MAX];
		d->event = (uint8_t)dtmf_event_code(digits[i]);
		d->tone_ticks = (uint16_t)((duration_ms + MEDIAD_TICK_MS - 1) /
					   MEDIAD_TICK_MS);
		d->gap_ticks =
		    (uint16_t)((gap_ms + MEDIAD_TICK_MS - 1) / MEDIAD_TICK_MS);
		t->len++;
	}
	return 0;
}

size_t
dtmf_tx_pending(const struct dtmf_tx *t)
{
	return t->len + (t->state == DTMF_IDLE ? 0 : 1);
}

bool
dtmf_tx_tick(struct dtmf_tx *t, uint32_t ts, struct dtmf_pkt *pkt)
{
	if (t->state == DTMF_GAP && t->n >= t->cur.gap_ticks)
		t->state = DTMF_IDLE;
	if (t->state == DTMF_IDLE) {
		if (t->len == 0)
			return false;
		t->cur = t->q[t->head];
		t->head = (t->head + 1) % DTMF_QUEUE_MAX;
		t->len--;
		t->state = DTMF_TONE;
		t->ts_start = ts;
		t->n = 0;
	}
	switch (t->state) {
	case DTMF_TONE:
		pkt->event = t->cur.event;
		pkt->marker = t->n == 0;
		pkt->end = false;
		pkt->duration = (uint16_t)((t->n + 1) * MEDIAD_FRAME);
		pkt->ts = t->ts_start;
		if (++t->n >= t->cur.tone_ticks) {
			t->state = DTMF_END;
			t->n = 0;
		}
		return true;
	case DTMF_END:
		pkt->event = t->cur.event;
		pkt->marker = false;
		pkt->end = true;
		pkt->duration = (uint16_t)(t->cur.tone_ticks * MEDIAD_FRAME);
		pkt->ts = t->ts_start;
		if (++t->n >= DTMF_END_PACKETS) {
			t->state = DTMF_GAP;
			t->n = DTMF_END_PACKETS; /* the gap's first ticks */
		}
		return true;
	case DTMF_GAP:
		t->n++;
		return false;
	case DTMF_IDLE:
		break;
	}
	return false;
}
