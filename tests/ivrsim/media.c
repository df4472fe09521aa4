/*
 * media: one oRTP session per call.  Every 20 ms tick sends one G.711
 * frame (ringback before the answer with early media, then whatever the
 * node engine plays) and drains the received packets: audio is decoded and
 * handed to the node engine in 20 ms frames; DTMF arrives as RFC 4733
 * telephone-events (oRTP emits them from inside recvm_with_ts) and in-band
 * (spandsp's DTMF receiver on the decoded audio).  A digit that comes both
 * ways counts once: in-band digits are ignored while telephone-events are
 * being received.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ortp/telephonyevents.h>
#include <spandsp.h>

#include "audio.h"
#include "ivrsim.h"
#include "log.h"

/* In-band digits within this many seconds of an RFC 4733 event are echoes
 * of it. */
#define EVENT_SHADOW 2.0

static const char tev_digits[] = "0123456789*#ABCD";

static void
on_tev(RtpSession *s, void *arg1, void *arg2, void *arg3)
{
	struct call *c = arg2;
	long ev = (long)arg1;

	(void)s;
	(void)arg3;
	if (ev < 0 || ev > 15) {
		log_debug("media: call %d: telephone-event %ld ignored", c->seq,
			  ev);
		return;
	}
	c->last_event_t = now_mono();
	engine_digit(c, tev_digits[ev], "rfc4733");
}

static void
on_inband(void *ud, const char *digits, int len)
{
	struct call *c = ud;

	for (int i = 0; i < len; i++) {
		if (c->last_event_t >= 0 &&
		    now_mono() - c->last_event_t < EVENT_SHADOW) {
			log_debug("media: call %d: in-band '%c' ignored "
				  "(telephone-events active)",
				  c->seq, digits[i]);
			continue;
		}
		engine_digit(c, digits[i], "in-band");
	}
}

/*
 * Creates the call's RTP session on the local address, on a port from
 * rtp_port_min upwards (even ports) or a system-chosen one.  The remote
 * address, pt and tev_pt must already be set in c.
 */
int
media_open(struct call *c, char *err, size_t errlen)
{
	static bool inited;
	struct ivrsim *ivr = c->ivr;
	RtpProfile *prof;
	RtpSession *s;
	int port = -1;

	if (!inited) {
		ortp_init();
		ortp_set_log_level_mask(NULL, log_get_level() >= LOG_LVL_DEBUG
						  ? ORTP_WARNING | ORTP_ERROR |
							ORTP_FATAL
						  : ORTP_FATAL);
		inited = true;
	}
	s = rtp_session_new(RTP_SESSION_SENDRECV);
	if (s == NULL) {
		snprintf(err, errlen, "cannot create an RTP session");
		return -1;
	}
	prof = rtp_profile_new("ivrsim");
	rtp_profile_set_payload(prof, 0, &payload_type_pcmu8000);
	rtp_profile_set_payload(prof, 8, &payload_type_pcma8000);
	if (c->tev_pt >= 0 && c->tev_pt < 128 && c->tev_pt != 0 &&
	    c->tev_pt != 8)
		rtp_profile_set_payload(prof, c->tev_pt,
					&payload_type_telephone_event);
	rtp_session_set_profile(s, prof);
	rtp_session_set_scheduling_mode(s, 0);
	rtp_session_set_blocking_mode(s, 0);
	rtp_session_enable_jitter_buffer(s, FALSE);
	rtp_session_set_ssrc_changed_threshold(s, 0);
	rtp_session_enable_rtcp(s, FALSE);
	rtp_session_set_payload_type(s, c->pt);
	if (ivr->rtp_port_min > 0) {
		int tries = 0;

		for (;;) {
			if (ivr->rtp_port_next < ivr->rtp_port_min ||
			    ivr->rtp_port_next > 65534)
				ivr->rtp_port_next = ivr->rtp_port_min & ~1;
			port = ivr->rtp_port_next;
			ivr->rtp_port_next += 2;
			if (rtp_session_set_local_addr(s, ivr->local_ip, port,
						       port + 1) == 0)
				break;
			if (++tries > 500) {
				snprintf(err, errlen,
					 "no free RTP port from %d upwards",
					 ivr->rtp_port_min);
				goto fail;
			}
		}
	} else if (rtp_session_set_local_addr(s, ivr->local_ip, -1, -1) != 0) {
		snprintf(err, errlen, "cannot bind an RTP port on %s",
			 ivr->local_ip);
		goto fail;
	}
	c->local_port = rtp_session_get_local_port(s);
	if (rtp_session_set_remote_addr_and_port(s, c->remote_addr,
						 c->remote_port,
						 c->remote_port + 1) != 0) {
		snprintf(err, errlen, "bad remote RTP address %s:%d",
			 c->remote_addr, c->remote_port);
		goto fail;
	}
	rtp_session_signal_connect(s, "telephone-event", (RtpCallback)on_tev, c);
	c->dtmf_rx = dtmf_rx_init(NULL, on_inband, c);
	c->rtp = s;
	c->send_ts = (uint32_t)random();
	c->last_event_t = -1;
	log_debug("media: call %d: RTP %s:%d <-> %s:%d pt %d tev %d", c->seq,
		  ivr->local_ip, c->local_port, c->remote_addr, c->remote_port,
		  c->pt, c->tev_pt);
	return 0;
fail:
	rtp_session_destroy(s);
	rtp_profile_destroy(prof);
	return -1;
}

static void
rx_samples(struct call *c, const int16_t *pcm, size_t n, double now)
{
	while (n > 0) {
		size_t k = FRAME - c->rxfill;

		if (k > n)
			k = n;
		memcpy(c->rxbuf + c->rxfill, pcm, k * sizeof(*pcm));
		c->rxfill += k;
		pcm += k;
		n -= k;
		if (c->rxfill == FRAME) {
			dtmf_rx(c->dtmf_rx, c->rxbuf, FRAME);
			if (c->state == CS_ANSWERED || c->state == CS_CONFIRMED)
				engine_audio(c, c->rxbuf, now);
			c->rxfill = 0;
		}
	}
}

static void
media_recv(struct call *c, double now)
{
	int nulls = 0;

	/* A consumed telephone-event also returns NULL, so a NULL does not
	 * always mean the queue is empty. */
	for (int i = 0; i < 64 && nulls < 3; i++) {
		mblk_t *mp = rtp_session_recvm_with_ts(c->rtp, c->recv_ts);
		unsigned char *payload;
		int16_t pcm[1024];
		int len, ptype;

		if (mp == NULL) {
			nulls++;
			continue;
		}
		nulls = 0;
		ptype = rtp_get_payload_type(mp);
		len = rtp_get_payload(mp, &payload);
		if (len > 0 && len <= (int)(sizeof(pcm) / sizeof(pcm[0]))) {
			if (ptype == 0) {
				audio_ulaw_decode(pcm, payload, (size_t)len);
				rx_samples(c, pcm, (size_t)len, now);
			} else if (ptype == 8) {
				audio_alaw_decode(pcm, payload, (size_t)len);
				rx_samples(c, pcm, (size_t)len, now);
			} else if (ptype != c->tev_pt)
				log_debug("media: call %d: payload type %d "
					  "ignored",
					  c->seq, ptype);
		}
		freemsg(mp);
	}
	c->recv_ts += FRAME;
}

void
media_tick(struct call *c, double now)
{
	int16_t frame[FRAME];
	uint8_t enc[FRAME];

	if (c->rtp == NULL)
		return;
	media_recv(c, now);
	if (c->rtp == NULL || c->state == CS_DONE)
		return;
	if (c->state == CS_EARLY) {
		if (!c->ivr->sc->early_media)
			return;
		tone_ringback(frame, FRAME, now - c->t_ringback_start);
	} else if (c->state == CS_ANSWERED || c->state == CS_CONFIRMED)
		engine_frame(c, frame, now);
	else
		memset(frame, 0, sizeof(frame));
	if (c->pt == 8)
		audio_alaw_encode(enc, frame, FRAME);
	else
		audio_ulaw_encode(enc, frame, FRAME);
	rtp_session_send_with_ts(c->rtp, enc, FRAME, c->send_ts);
	c->send_ts += FRAME;
}

void
media_close(struct call *c)
{
	if (c->rtp != NULL) {
		RtpProfile *prof = rtp_session_get_profile(c->rtp);

		rtp_session_destroy(c->rtp);
		rtp_profile_destroy(prof);
		c->rtp = NULL;
	}
	if (c->dtmf_rx != NULL) {
		dtmf_rx_free(c->dtmf_rx);
		c->dtmf_rx = NULL;
	}
}
