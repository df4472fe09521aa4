/*
 * mediad: the RTP legs of every call.  One process owns every leg; a 20 ms
 * tick (a timerfd in the daemon loop) receives one frame per leg through
 * oRTP's jitter buffer, publishes it on the bus, then sends one packet per
 * leg (a paced RFC 4733 event, queued playback, the bridged leg's audio, or
 * silence) and writes the call's mixed recording.  Private header:
 * prototypes grouped by source file.
 */
#ifndef HS_MEDIAD_H
#define HS_MEDIAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio.h"
#include "daemon.h"
#include "msg.h"

#define MEDIAD_FRAME 160     /* samples per 20 ms at 8 kHz */
#define MEDIAD_TICK_MS 20
#define MEDIAD_NLEGS 2	     /* company, user */
#define MEDIAD_PLAY_MAX (AUDIO_RATE * 600) /* queued playback, samples */

/* ---- dtmf.c: RFC 4733 sender state machine (no I/O), prefix tev_ (spandsp
 * owns dtmf_) ---- */

#define TEV_QUEUE_MAX 64
#define TEV_END_PACKETS 3
#define TEV_DURATION_MIN_MS 40
#define TEV_DURATION_MAX_MS 8000 /* the 16-bit duration field: 8.19 s */
#define TEV_GAP_MAX_MS 10000

struct tev_digit {
	uint8_t event;	     /* RFC 4733 event code 0..15 */
	uint16_t tone_ticks; /* 20 ms packets while the tone is on */
	uint16_t gap_ticks;  /* 20 ms ticks from the tone's end to the next */
};

enum tev_state { TEV_IDLE, TEV_TONE, TEV_END, TEV_GAP };

struct tev_tx {
	struct tev_digit q[TEV_QUEUE_MAX];
	size_t head, len;
	enum tev_state state;
	struct tev_digit cur;
	uint32_t ts_start; /* RTP timestamp of the event's first packet */
	unsigned n;	   /* packets (or gap ticks) done in this state */
};

/* One telephone-event packet to send on this tick. */
struct tev_pkt {
	uint8_t event;
	bool marker;   /* first packet of the event */
	bool end;      /* E bit */
	uint16_t duration; /* samples since ts */
	uint32_t ts;   /* the event's start timestamp */
};

/* The RFC 4733 event code of a digit (0-9 * # A-D, any case), or -EINVAL. */
int tev_code(char c);
/* The digit of an event code 0..15, or 0. */
char tev_char(int event);
void tev_tx_init(struct tev_tx *t);
/*
 * Queues digits with the given tone duration and gap (ms, validated by
 * tev_check_params).  Nothing is queued on error: -EINVAL names no digit
 * (use tev_code to find it), -ENOSPC when the queue is full.
 */
int tev_tx_push(struct tev_tx *t, const char *digits, int duration_ms,
		 int gap_ms);
/* 0, or -EINVAL with err saying which value is out of range. */
int tev_check_params(int duration_ms, int gap_ms, char *err, size_t errlen);
/*
 * Advances one 20 ms tick whose audio packet would carry timestamp ts.
 * Returns true with *pkt filled when a telephone-event packet must be sent
 * instead of audio, false when audio goes out on this tick.
 */
bool tev_tx_tick(struct tev_tx *t, uint32_t ts, struct tev_pkt *pkt);
/* Digits queued or in progress. */
size_t tev_tx_pending(const struct tev_tx *t);
/*
 * Renders digits as in-band DTMF tones (8 kHz), each tone duration_ms
 * followed by gap_ms of silence.  *pcm is malloc'd (caller frees).
 * -EINVAL for a bad digit or value.
 */
int tev_inband(const char *digits, int duration_ms, int gap_ms, int16_t **pcm,
		size_t *n);

/* ---- port.c: RTP port allocation ---- */

/*
 * The even RTP port to try after prev in [min, max] (RTP port p and RTCP
 * port p + 1 must both fit), wrapping around; prev < min starts at the
 * bottom.  Returns the port, or -ERANGE when the range holds none.
 */
int port_next(long min, long max, long prev);
/* How many RTP ports the range holds. */
long port_count(long min, long max);
/*
 * Whether UDP ports p and p + 1 can be bound on addr now (no SO_REUSEADDR).
 * Returns 0, -EADDRINUSE, or another negative errno (bad address...).
 */
int port_probe(const char *addr, int p);

/* ---- record.c: mixing and the call's WAV ---- */

/* dst[i] = saturate(a[i] + b[i]); a or b may be NULL (silence). */
void mix_sat(int16_t *dst, const int16_t *a, const int16_t *b, size_t n);

struct recording;
/*
 * Creates dir (mode 0700, parents too) and dir/<call_id>.wav (mode 0600,
 * mono 8 kHz).  On error err names the path and the reason.
 */
int recording_open(struct recording **out, const char *dir,
		   const char *call_id, char *err, size_t errlen);
int recording_write(struct recording *r, const int16_t *pcm, size_t n);
const char *recording_path(const struct recording *r);
double recording_seconds(const struct recording *r);
/* Closes and frees; accepts NULL. */
void recording_close(struct recording *r);

/* ---- leg.c: one RTP session ---- */

struct mediad;
struct call;

struct leg {
	struct call *call; /* owner */
	int which;	   /* enum msg_leg */
	void *rtp;	   /* RtpSession * */
	void *profile;	   /* RtpProfile *: PCMU, PCMA, telephone-event */
	int port;
	bool has_remote;
	bool tx_off; /* our SDP is recvonly or inactive: send no RTP */
	char remote_addr[64];
	int remote_port;
	int pt;	     /* 0 PCMU, 8 PCMA */
	int dtmf_pt; /* telephone-event payload type, or -1 */
	uint32_t send_ts, recv_ts;
	bool receiving; /* a packet arrived since the leg opened */
	uint32_t seq;	/* audio frames published */
	int64_t opened_ms;
	uint64_t rx_packets, tx_packets, dtmf_rx;
	/* decoded samples not yet consumed by a tick */
	int16_t rxbuf[MSG_AUDIO_MAX_SAMPLES];
	size_t rxlen;
	/* this tick's frames */
	int16_t rx[MEDIAD_FRAME];
	bool rx_valid;
	int16_t tx[MEDIAD_FRAME];
	struct tev_tx dtmf;
	int16_t *play;
	size_t play_len, play_pos;
};

/* oRTP set-up, once per process. */
void leg_lib_init(void);
void leg_lib_fini(void);
/*
 * Opens an RTP session on an even port of [media] rtp_port_min..max on
 * rtp_addr, starting after *cursor (updated) and skipping busy ports.
 */
int leg_new(struct leg **out, struct mediad *m, struct call *c, int which,
	    char *err, size_t errlen);
void leg_free(struct leg *l);
int leg_set_remote(struct leg *l, const char *addr, int port, int pt,
		   int dtmf_pt, char *err, size_t errlen);
/*
 * Receives this tick's frame into l->rx (l->rx_valid false when the leg has
 * not received anything yet).  Telephone events are reported through
 * mediad_dtmf_received().
 */
void leg_receive(struct leg *l);
/* Sends one 20 ms packet: a telephone event, or pcm (160 samples). */
void leg_send(struct leg *l, const int16_t *pcm);
/* Appends pcm to the playback queue; -ENOSPC when it would be too long. */
int leg_play(struct leg *l, const int16_t *pcm, size_t n);

/* ---- tts.c: speech synthesis (libespeak-ng) ---- */

#define TTS_VOICE_DEFAULT "en-us"
#define TTS_TEXT_MAX 2000 /* bytes of text in one "say" */

/* Whether voice (NULL: the default) is a plausible espeak-ng voice name. */
int tts_voice_ok(const char *voice);
/*
 * Synthesizes text (UTF-8) with voice (NULL: TTS_VOICE_DEFAULT) into 8 kHz
 * mono PCM.  *pcm is malloc'd (caller frees).  Errors: -EINVAL (unknown
 * voice), -ENOSPC (too long), -EIO (the synthesizer failed); err says which.
 */
int tts_synth(const char *text, const char *voice, int16_t **pcm, size_t *n,
	      char *err, size_t errlen);
/* Releases the synthesizer (daemon exit). */
void tts_fini(void);

/* ---- mediad.c ---- */

struct call {
	struct call *next;
	struct mediad *m;
	char id[MSG_CALL_ID_MAX];
	struct leg *legs[MEDIAD_NLEGS];
	bool bridged;
	struct recording *rec;
};

struct mediad {
	struct daemon *d;
	struct call *calls;
	int tfd; /* the 20 ms timerfd */
	long port_cursor;
	uint64_t ticks;
};

/* A telephone event ended on leg: publishes dtmf_received. */
void mediad_dtmf_received(struct leg *l, int event);

#endif
