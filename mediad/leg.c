/*
 * leg: one RTP session per call leg, on oRTP 5.1 in non-blocking,
 * unscheduled mode with the jitter buffer on.  The daemon's 20 ms tick
 * calls leg_receive() (the receive timestamp advances by 160 each tick, so
 * the jitter buffer paces playout; telephone events are only delivered from
 * inside rtp_session_recvm_with_ts) and leg_send() (one packet per tick:
 * our own paced RFC 4733 packets, since rtp_session_send_dtmf bursts).
 */
#include "mediad.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ortp/ortp.h>
#include <ortp/telephonyevents.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "log.h"

#define LEG_DTMF_VOLUME 10 /* -10 dBm0 */
#define LEG_JITTER_MS 60
#define LEG_SSRC_PACKETS 3 /* packets of a new SSRC before switching to it */

void
leg_lib_init(void)
{
	ortp_init();
	ortp_set_log_level_mask(ORTP_LOG_DOMAIN, ORTP_ERROR | ORTP_FATAL);
	ortp_set_log_level_mask(NULL, ORTP_ERROR | ORTP_FATAL);
}

void
leg_lib_fini(void)
{
	ortp_exit();
}

/* oRTP calls this from inside recvm_with_ts once per ended event. */
static void
leg_on_tev(RtpSession *s, void *ev, void *ud, void *unused)
{
	struct leg *l = ud;

	(void)s;
	(void)unused;
	l->dtmf_rx++;
	mediad_dtmf_received(l, (int)(intptr_t)ev);
}

/* Signals emitted with and without an argument put the user data in
 * different places, so the leg comes from the session's own data. */
static void
leg_on_resync(RtpSession *s, void *a1, void *a2, void *a3)
{
	struct leg *l = rtp_session_get_data(s);

	(void)a1;
	(void)a2;
	(void)a3;
	log_debug("leg: %s %s: new stream from the far end, resynchronising",
		  l->call->id, msg_leg_name(l->which));
	rtp_session_resync(s);
}

static RtpProfile *
leg_profile(int dtmf_pt)
{
	RtpProfile *p = rtp_profile_new("holdslayer");

	rtp_profile_set_payload(p, 0, &payload_type_pcmu8000);
	rtp_profile_set_payload(p, 8, &payload_type_pcma8000);
	rtp_profile_set_payload(p, dtmf_pt, &payload_type_telephone_event);
	return p;
}

int
leg_new(struct leg **out, struct mediad *m, struct call *c, int which,
	char *err, size_t errlen)
{
	const struct conf *conf = daemon_conf(m->d);
	long total = port_count(conf->rtp_port_min, conf->rtp_port_max);
	struct leg *l;
	RtpSession *s = NULL;
	int port = -1, r;

	*out = NULL;
	if (total == 0) {
		snprintf(err, errlen,
			 "[media] rtp_port_min..rtp_port_max (%ld..%ld) holds "
			 "no even RTP port with its RTCP port",
			 conf->rtp_port_min, conf->rtp_port_max);
		return -ERANGE;
	}
	for (long tries = 0; tries < total; tries++) {
		int p = port_next(conf->rtp_port_min, conf->rtp_port_max,
				  m->port_cursor);
		m->port_cursor = p;
		r = port_probe(conf->rtp_addr, p);
		if (r == -EAFNOSUPPORT) {
			snprintf(err, errlen,
				 "[media] rtp_addr '%s' is not an IP address",
				 conf->rtp_addr);
			return r;
		}
		if (r < 0)
			continue;
		s = rtp_session_new(RTP_SESSION_SENDRECV);
		rtp_session_set_scheduling_mode(s, 0);
		rtp_session_set_blocking_mode(s, 0);
		rtp_session_set_reuseaddr(s, FALSE);
		if (rtp_session_set_local_addr(s, conf->rtp_addr, p, p + 1) ==
		    0) {
			port = p;
			break;
		}
		rtp_session_destroy(s);
		s = NULL;
	}
	if (s == NULL) {
		snprintf(err, errlen, "no free RTP port in %ld..%ld on %s",
			 conf->rtp_port_min, conf->rtp_port_max,
			 conf->rtp_addr);
		return -EADDRINUSE;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		rtp_session_destroy(s);
		return -ENOMEM;
	}
	l->call = c;
	l->which = which;
	l->rtp = s;
	l->port = port;
	l->pt = 0;
	l->dtmf_pt = 101;
	l->opened_ms = msg_mono_ms();
	l->send_ts = (uint32_t)random();
	l->recv_ts = 0;
	tev_tx_init(&l->dtmf);
	l->profile = leg_profile(l->dtmf_pt);
	rtp_session_set_profile(s, l->profile);
	rtp_session_set_payload_type(s, l->pt);
	rtp_session_enable_jitter_buffer(s, TRUE);
	rtp_session_set_jitter_compensation(s, LEG_JITTER_MS);
	rtp_session_enable_adaptive_jitter_compensation(s, TRUE);
	rtp_session_signal_connect(s, "telephone-event", leg_on_tev, l);
	/*
	 * A far end that switches streams (a new SSRC, or a timestamp jump
	 * between prompts) must not stall the jitter buffer: resynchronise.
	 */
	rtp_session_set_ssrc_changed_threshold(s, LEG_SSRC_PACKETS);
	rtp_session_set_data(s, l);
	rtp_session_signal_connect(s, "ssrc_changed", leg_on_resync, NULL);
	rtp_session_signal_connect(s, "timestamp_jump", leg_on_resync, NULL);
	*out = l;
	return 0;
}

void
leg_free(struct leg *l)
{
	if (l == NULL)
		return;
	rtp_session_destroy(l->rtp);
	rtp_profile_destroy(l->profile);
	free(l->play);
	free(l);
}

int
leg_set_remote(struct leg *l, const char *addr, int port, int pt, int dtmf_pt,
	       char *err, size_t errlen)
{
	RtpSession *s = l->rtp;
	unsigned char buf[16];

	if (inet_pton(AF_INET, addr, buf) != 1 &&
	    inet_pton(AF_INET6, addr, buf) != 1) {
		snprintf(err, errlen, "addr '%s' is not an IP address", addr);
		return -EINVAL;
	}
	if (dtmf_pt >= 0 && dtmf_pt != l->dtmf_pt) {
		RtpProfile *np = leg_profile(dtmf_pt);
		rtp_session_set_profile(s, np);
		rtp_profile_destroy(l->profile);
		l->profile = np;
	}
	if (rtp_session_set_remote_addr_and_port(s, addr, port, port + 1) < 0) {
		snprintf(err, errlen, "cannot send RTP to %s:%d", addr, port);
		return -EINVAL;
	}
	rtp_session_set_payload_type(s, pt);
	if (dtmf_pt >= 0)
		rtp_session_set_send_telephone_event_payload_type(s, dtmf_pt);
	snprintf(l->remote_addr, sizeof(l->remote_addr), "%s", addr);
	l->remote_port = port;
	l->pt = pt;
	l->dtmf_pt = dtmf_pt;
	l->has_remote = true;
	return 0;
}

void
leg_receive(struct leg *l)
{
	RtpSession *s = l->rtp;

	/* A few calls: each handles at most one queued telephone event. */
	for (int i = 0; i < 4 && l->rxlen < MEDIAD_FRAME; i++) {
		mblk_t *mp = rtp_session_recvm_with_ts(s, l->recv_ts);
		unsigned char *payload;
		int n, pt;
		size_t room;

		if (mp == NULL)
			continue;
		pt = rtp_get_payload_type(mp);
		n = rtp_get_payload(mp, &payload);
		room = sizeof(l->rxbuf) / sizeof(l->rxbuf[0]) - l->rxlen;
		if (n > 0 && (size_t)n > room)
			n = (int)room;
		if (n > 0 && (pt == 0 || pt == 8)) {
			if (pt == 0)
				audio_ulaw_decode(l->rxbuf + l->rxlen, payload,
						  (size_t)n);
			else
				audio_alaw_decode(l->rxbuf + l->rxlen, payload,
						  (size_t)n);
			l->rxlen += (size_t)n;
			l->receiving = true;
		}
		l->rx_packets++;
		freemsg(mp);
	}
	l->recv_ts += MEDIAD_FRAME;
	l->rx_valid = l->receiving;
	if (!l->receiving) {
		memset(l->rx, 0, sizeof(l->rx));
		return;
	}
	if (l->rxlen >= MEDIAD_FRAME) {
		memcpy(l->rx, l->rxbuf, sizeof(l->rx));
		l->rxlen -= MEDIAD_FRAME;
		memmove(l->rxbuf, l->rxbuf + MEDIAD_FRAME,
			l->rxlen * sizeof(l->rxbuf[0]));
	} else {
		/* Late or lost: what there is, then silence. */
		memset(l->rx, 0, sizeof(l->rx));
		memcpy(l->rx, l->rxbuf, l->rxlen * sizeof(l->rxbuf[0]));
		l->rxlen = 0;
	}
}

void
leg_send(struct leg *l, const int16_t *pcm)
{
	RtpSession *s = l->rtp;
	struct tev_pkt pkt;
	uint8_t buf[MEDIAD_FRAME];

	if (l->tx_off) {
		/* On hold: the clock runs on, nothing is sent. */
		memset(l->tx, 0, sizeof(l->tx));
		l->send_ts += MEDIAD_FRAME;
		return;
	}
	if (tev_tx_tick(&l->dtmf, l->send_ts, &pkt) && l->dtmf_pt >= 0) {
		mblk_t *mp =
		    rtp_session_create_telephone_event_packet(s, pkt.marker);
		if (mp != NULL) {
			rtp_session_add_telephone_event(s, mp, pkt.event,
							pkt.end, LEG_DTMF_VOLUME,
							pkt.duration);
			rtp_session_sendm_with_ts(s, mp, pkt.ts);
			l->tx_packets++;
		}
		memset(l->tx, 0, sizeof(l->tx));
	} else {
		memcpy(l->tx, pcm, sizeof(l->tx));
		if (l->pt == 8)
			audio_alaw_encode(buf, pcm, MEDIAD_FRAME);
		else
			audio_ulaw_encode(buf, pcm, MEDIAD_FRAME);
		rtp_session_send_with_ts(s, buf, MEDIAD_FRAME, l->send_ts);
		l->tx_packets++;
	}
	l->send_ts += MEDIAD_FRAME;
}

int
leg_play(struct leg *l, const int16_t *pcm, size_t n)
{
	size_t left = l->play_len - l->play_pos;
	int16_t *np;

	if (left + n > MEDIAD_PLAY_MAX)
		return -ENOSPC;
	if ((np = malloc((left + n) * sizeof(*np))) == NULL)
		return -ENOMEM;
	if (left)
		memcpy(np, l->play + l->play_pos, left * sizeof(*np));
	memcpy(np + left, pcm, n * sizeof(*np));
	free(l->play);
	l->play = np;
	l->play_len = left + n;
	l->play_pos = 0;
	return 0;
}
