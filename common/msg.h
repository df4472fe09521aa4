/*
 * msg: the bus envelope and the binary audio frame.
 *
 * An event is two ZeroMQ frames: the topic (equal to the type name), then
 * {"v":1,"type":T,"call_id":C,"ts":"2026-11-21T10:00:00.123Z","src":"sipd",
 *  "seq":N,"data":{...}}.
 * An audio frame is the topic "audio", then struct msg_audio_hdr followed by
 * hdr.samples signed 16-bit little-endian PCM samples at 8 kHz.
 */
#ifndef HS_MSG_H
#define HS_MSG_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "msg_types.h"

#define MSG_VERSION 1
#define MSG_CALL_ID_MAX 40 /* including the NUL; a UUID is 36 characters */

enum msg_type {
#define MSG_ENUM(name, pub) MSG_##name,
	MSG_TYPES(MSG_ENUM)
#undef MSG_ENUM
	MSG_TYPE_COUNT
};

/* The type's wire name ("call_started"); NULL if out of range. */
const char *msg_type_name(enum msg_type t);
/* -ENOENT for an unknown name. */
int msg_type_from_name(const char *name, enum msg_type *out);

struct msg_event {
	enum msg_type type;
	char call_id[MSG_CALL_ID_MAX]; /* "" when the event has no call */
	char ts[32];
	char src[16];
	uint64_t seq;
	json_object *data; /* owned; never NULL after a successful parse */
};

/*
 * Serialises an event.  data may be NULL (an empty object is sent); it is
 * borrowed.  On success *out is a malloc'd NUL-terminated JSON string.
 */
int msg_event_encode(char **out, enum msg_type type, const char *call_id,
		     const char *src, uint64_t seq, json_object *data);

/*
 * Parses and checks an envelope: v, type (known), call_id, ts, src, seq and
 * an object data.  On error returns -EINVAL (or -EPROTONOSUPPORT for another
 * version) and writes why to err.  Free with msg_event_clear().
 */
int msg_event_decode(struct msg_event *ev, const char *json, size_t len,
		     char *err, size_t errlen);
void msg_event_clear(struct msg_event *ev);

/* Call legs. */
enum msg_leg { MSG_LEG_COMPANY = 0, MSG_LEG_USER = 1 };
const char *msg_leg_name(int leg); /* "company", "user" or NULL */
int msg_leg_from_name(const char *s); /* -EINVAL if unknown */

/* The binary header of an audio frame; every field little-endian. */
struct msg_audio_hdr {
	uint8_t version; /* MSG_VERSION */
	uint8_t leg;	 /* enum msg_leg: the far end heard on that leg */
	uint16_t samples;
	uint32_t seq;
	uint32_t rtp_ts;
	uint32_t reserved;
	char call_id[MSG_CALL_ID_MAX];
} __attribute__((packed));

#define MSG_AUDIO_FRAME_SAMPLES 160 /* 20 ms at 8 kHz */
#define MSG_AUDIO_MAX_SAMPLES 1600

/*
 * Builds a frame into buf (at least sizeof hdr + 2 * n bytes).  Returns the
 * number of bytes written or -EINVAL.
 */
int msg_audio_encode(void *buf, size_t buflen, const char *call_id, int leg,
		     uint32_t seq, uint32_t rtp_ts, const int16_t *pcm,
		     size_t n);
/*
 * Checks a received frame.  On success fills hdr (host order) and points
 * *pcm into buf (borrowed, possibly unaligned: copy before use).
 */
int msg_audio_decode(const void *buf, size_t len, struct msg_audio_hdr *hdr,
		     const uint8_t **pcm);

/* Writes the current UTC time as RFC 3339 with milliseconds. */
void msg_now_rfc3339(char *buf, size_t len);
/* Milliseconds of CLOCK_MONOTONIC. */
int64_t msg_mono_ms(void);
/* A random UUID v4 string (37 bytes with NUL). */
int msg_uuid(char out[37]);

#endif
