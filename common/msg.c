/*
 * msg: envelope encoding and checking, audio frame packing, and the small
 * time and id helpers every publisher needs.  See msg.h.
 */
#include "msg.h"

#include <endian.h>
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *msg_names[] = {
#define MSG_NAME(name, pub) #name,
	MSG_TYPES(MSG_NAME)
#undef MSG_NAME
};

const char *
msg_type_name(enum msg_type t)
{
	if ((int)t < 0 || t >= MSG_TYPE_COUNT)
		return NULL;
	return msg_names[t];
}

int
msg_type_from_name(const char *name, enum msg_type *out)
{
	for (int i = 0; i < MSG_TYPE_COUNT; i++) {
		if (strcmp(msg_names[i], name) == 0) {
			*out = (enum msg_type)i;
			return 0;
		}
	}
	return -ENOENT;
}

void
msg_now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char tmp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", tmp, ts.tv_nsec / 1000000);
}

int64_t
msg_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
msg_uuid(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%"
		 "02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int
msg_event_encode(char **out, enum msg_type type, const char *call_id,
		 const char *src, uint64_t seq, json_object *data)
{
	json_object *o;
	char ts[32];
	const char *s;
	const char *name = msg_type_name(type);

	*out = NULL;
	if (name == NULL || src == NULL)
		return -EINVAL;
	if (call_id != NULL && strlen(call_id) >= MSG_CALL_ID_MAX)
		return -EINVAL;
	o = json_object_new_object();
	if (o == NULL)
		return -ENOMEM;
	msg_now_rfc3339(ts, sizeof(ts));
	json_object_object_add(o, "v", json_object_new_int(MSG_VERSION));
	json_object_object_add(o, "type", json_object_new_string(name));
	json_object_object_add(o, "call_id",
			       json_object_new_string(call_id ? call_id : ""));
	json_object_object_add(o, "ts", json_object_new_string(ts));
	json_object_object_add(o, "src", json_object_new_string(src));
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(o, "data", data ? json_object_get(data)
					       : json_object_new_object());
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	*out = s ? strdup(s) : NULL;
	json_object_put(o);
	return *out ? 0 : -ENOMEM;
}

static int
msg_get_string(json_object *o, const char *key, char *dst, size_t dstlen,
	       char *err, size_t errlen)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "envelope: '%s' missing or not a string",
			 key);
		return -EINVAL;
	}
	s = json_object_get_string(v);
	if (strlen(s) >= dstlen) {
		snprintf(err, errlen, "envelope: '%s' too long", key);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

int
msg_event_decode(struct msg_event *ev, const char *json, size_t len,
		 char *err, size_t errlen)
{
	json_tokener *tok;
	json_object *o, *v;
	char type[64];
	int r = -EINVAL;

	memset(ev, 0, sizeof(*ev));
	tok = json_tokener_new();
	if (tok == NULL)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)len) {
		snprintf(err, errlen, "envelope: not valid JSON");
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "envelope: not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(o, "v", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen, "envelope: 'v' missing or not a number");
		goto out;
	}
	if (json_object_get_int(v) != MSG_VERSION) {
		snprintf(err, errlen, "envelope: version %d not supported",
			 json_object_get_int(v));
		r = -EPROTONOSUPPORT;
		goto out;
	}
	if (msg_get_string(o, "type", type, sizeof(type), err, errlen) < 0 ||
	    msg_get_string(o, "call_id", ev->call_id, sizeof(ev->call_id), err,
			   errlen) < 0 ||
	    msg_get_string(o, "ts", ev->ts, sizeof(ev->ts), err, errlen) < 0 ||
	    msg_get_string(o, "src", ev->src, sizeof(ev->src), err, errlen) < 0)
		goto out;
	if (msg_type_from_name(type, &ev->type) < 0) {
		snprintf(err, errlen, "envelope: unknown type '%s'", type);
		goto out;
	}
	if (!json_object_object_get_ex(o, "seq", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0) {
		snprintf(err, errlen, "envelope: 'seq' missing or not a count");
		goto out;
	}
	ev->seq = (uint64_t)json_object_get_int64(v);
	if (!json_object_object_get_ex(o, "data", &v) ||
	    !json_object_is_type(v, json_type_object)) {
		snprintf(err, errlen, "envelope: 'data' missing or not an object");
		goto out;
	}
	ev->data = json_object_get(v);
	r = 0;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

void
msg_event_clear(struct msg_event *ev)
{
	if (ev == NULL)
		return;
	json_object_put(ev->data);
	ev->data = NULL;
}

const char *
msg_leg_name(int leg)
{
	switch (leg) {
	case MSG_LEG_COMPANY:
		return "company";
	case MSG_LEG_USER:
		return "user";
	}
	return NULL;
}

int
msg_leg_from_name(const char *s)
{
	if (s == NULL)
		return -EINVAL;
	if (strcmp(s, "company") == 0)
		return MSG_LEG_COMPANY;
	if (strcmp(s, "user") == 0)
		return MSG_LEG_USER;
	return -EINVAL;
}

int
msg_audio_encode(void *buf, size_t buflen, const char *call_id, int leg,
		 uint32_t seq, uint32_t rtp_ts, const int16_t *pcm, size_t n)
{
	struct msg_audio_hdr h;
	uint8_t *p = buf;

	if (n > MSG_AUDIO_MAX_SAMPLES || buflen < sizeof(h) + 2 * n ||
	    call_id == NULL || strlen(call_id) >= MSG_CALL_ID_MAX ||
	    msg_leg_name(leg) == NULL)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	h.version = MSG_VERSION;
	h.leg = (uint8_t)leg;
	h.samples = htole16((uint16_t)n);
	h.seq = htole32(seq);
	h.rtp_ts = htole32(rtp_ts);
	strncpy(h.call_id, call_id, sizeof(h.call_id) - 1);
	memcpy(p, &h, sizeof(h));
	for (size_t i = 0; i < n; i++) {
		uint16_t s = htole16((uint16_t)pcm[i]);
		memcpy(p + sizeof(h) + 2 * i, &s, 2);
	}
	return (int)(sizeof(h) + 2 * n);
}

int
msg_audio_decode(const void *buf, size_t len, struct msg_audio_hdr *hdr,
		 const uint8_t **pcm)
{
	if (len < sizeof(*hdr))
		return -EINVAL;
	memcpy(hdr, buf, sizeof(*hdr));
	hdr->samples = le16toh(hdr->samples);
	hdr->seq = le32toh(hdr->seq);
	hdr->rtp_ts = le32toh(hdr->rtp_ts);
	if (hdr->version != MSG_VERSION || msg_leg_name(hdr->leg) == NULL ||
	    hdr->samples > MSG_AUDIO_MAX_SAMPLES ||
	    len != sizeof(*hdr) + 2u * hdr->samples ||
	    memchr(hdr->call_id, '\0', sizeof(hdr->call_id)) == NULL)
		return -EINVAL;
	*pcm = (const uint8_t *)buf + sizeof(*hdr);
	return 0;
}
