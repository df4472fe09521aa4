/*
 * stt_cloud: the cloud engines, one blocking libcurl request per segment
 * (run on the worker thread, stt_worker.c).
 *
 *   openai    POST {base_url}/v1/audio/transcriptions, multipart/form-data
 *             with file=<segment.wav> and model=<stt_model, default
 *             whisper-1>, "Authorization: Bearer KEY"; reply {"text": ...}.
 *             Any OpenAI-compatible server (a local whisper server too).
 *   deepgram  POST {base_url}/v1/listen?model=<stt_model, default nova-2>
 *             &encoding=linear16&sample_rate=8000&channels=1, body the WAV,
 *             "Content-Type: audio/wav", "Authorization: Token KEY"; reply
 *             results.channels[0].alternatives[0].transcript.
 *
 * The segment is sent as it was heard: 8 kHz 16-bit mono WAV.  The key goes
 * only into the Authorization header; it is never logged nor put in an
 * error message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "audio.h"
#include "stt.h"

#define STT_CLOUD_MAX_REPLY (1 << 20)
#define STT_WAV_HDR 44

int
stt_cloud_init(char *err, size_t errlen)
{
	CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (cc != CURLE_OK) {
		snprintf(err, errlen, "libcurl: %s", curl_easy_strerror(cc));
		return -EIO;
	}
	return 0;
}

int
stt_wav_build(const int16_t *pcm, size_t n, int rate, uint8_t **out,
	      size_t *outlen)
{
	size_t data = n * 2;
	uint8_t *b, *p;

	*out = NULL;
	*outlen = 0;
	if (rate <= 0 || n > (0x7fffffffu - STT_WAV_HDR) / 2)
		return -EINVAL;
	if ((b = malloc(STT_WAV_HDR + data)) == NULL)
		return -ENOMEM;
	p = b;
#define PUT4(s) (memcpy(p, (s), 4), p += 4)
#define LE16(v) (*p++ = (uint8_t)((v)&0xff), *p++ = (uint8_t)(((v) >> 8) & 0xff))
#define LE32(v) (LE16((v)&0xffff), LE16(((v) >> 16) & 0xffff))
	PUT4("RIFF");
	LE32((uint32_t)(36 + data));
	PUT4("WAVE");
	PUT4("fmt ");
	LE32(16u);
	LE16(1u);		      /* PCM */
	LE16(1u);		      /* mono */
	LE32((uint32_t)rate);	      /* sample rate */
	LE32((uint32_t)rate * 2u);    /* byte rate */
	LE16(2u);		      /* block align */
	LE16(16u);		      /* bits per sample */
	PUT4("data");
	LE32((uint32_t)data);
	for (size_t i = 0; i < n; i++)
		LE16((uint16_t)pcm[i]);
#undef PUT4
#undef LE16
#undef LE32
	*out = b;
	*outlen = STT_WAV_HDR + data;
	return 0;
}

int
stt_cloud_parse(enum stt_kind kind, const char *body, size_t len,
		char **text, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *root, *o = NULL, *v;
	const char *what;
	int r = -EINVAL;

	*text = NULL;
	if ((tok = json_tokener_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	root = json_tokener_parse_ex(tok, body, (int)len);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(err, errlen, "reply is not JSON");
		goto out;
	}
	if (kind == STT_OPENAI) {
		what = "\"text\"";
		if (json_object_object_get_ex(root, "text", &v))
			o = v;
	} else if (kind == STT_DEEPGRAM) {
		what = "results.channels[0].alternatives[0].transcript";
		if (json_object_object_get_ex(root, "results", &v) &&
		    json_object_object_get_ex(v, "channels", &v) &&
		    json_object_is_type(v, json_type_array) &&
		    (v = json_object_array_get_idx(v, 0)) != NULL &&
		    json_object_object_get_ex(v, "alternatives", &v) &&
		    json_object_is_type(v, json_type_array) &&
		    (v = json_object_array_get_idx(v, 0)) != NULL &&
		    json_object_object_get_ex(v, "transcript", &v))
			o = v;
	} else {
		snprintf(err, errlen, "not a cloud engine");
		goto out;
	}
	if (o == NULL || !json_object_is_type(o, json_type_string)) {
		snprintf(err, errlen, "reply has no string %s", what);
		goto out;
	}
	if ((*text = strdup(json_object_get_string(o))) == NULL) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = 0;
out:
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}

struct stt_buf {
	char *p;
	size_t len;
	int overflow;
};

static size_t
stt_cloud_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct stt_buf *b = arg;
	size_t n = size * nmemb;
	char *np;

	if (b->len + n > STT_CLOUD_MAX_REPLY) {
		b->overflow = 1;
		return 0;
	}
	if ((np = realloc(b->p, b->len + n + 1)) == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, ptr, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

int
stt_cloud_transcribe(enum stt_kind kind, const char *base_url,
		     const char *model, const char *key, long timeout_ms,
		     const int16_t *pcm, size_t n, char **text, char *err,
		     size_t errlen)
{
	CURL *c = NULL;
	curl_mime *mime = NULL;
	curl_mimepart *part;
	struct curl_slist *hdr = NULL;
	struct stt_buf reply = {NULL, 0, 0};
	char url[2048], auth[4200], cerr[CURL_ERROR_SIZE] = "";
	uint8_t *wav = NULL;
	size_t wavlen, blen = strlen(base_url);
	long status = 0;
	CURLcode cc;
	int r;

	*text = NULL;
	while (blen > 0 && base_url[blen - 1] == '/')
		blen--;
	if ((r = stt_wav_build(pcm, n, AUDIO_RATE, &wav, &wavlen)) < 0) {
		snprintf(err, errlen, "cannot build the WAV upload");
		return r;
	}
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot make a curl handle");
		r = -ENOMEM;
		goto out;
	}
	if (kind == STT_OPENAI) {
		snprintf(url, sizeof(url), "%.*s/v1/audio/transcriptions",
			 (int)blen, base_url);
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
		mime = curl_mime_init(c);
		part = curl_mime_addpart(mime);
		curl_mime_name(part, "file");
		curl_mime_data(part, (const char *)wav, wavlen);
		curl_mime_filename(part, "segment.wav");
		curl_mime_type(part, "audio/wav");
		part = curl_mime_addpart(mime);
		curl_mime_name(part, "model");
		curl_mime_data(part,
			       model != NULL && model[0] ? model : "whisper-1",
			       CURL_ZERO_TERMINATED);
		part = curl_mime_addpart(mime);
		curl_mime_name(part, "response_format");
		curl_mime_data(part, "json", CURL_ZERO_TERMINATED);
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	} else if (kind == STT_DEEPGRAM) {
		char *esc = curl_easy_escape(
		    c, model != NULL && model[0] ? model : "nova-2", 0);

		snprintf(url, sizeof(url),
			 "%.*s/v1/listen?model=%s&encoding=linear16"
			 "&sample_rate=%d&channels=1",
			 (int)blen, base_url, esc != NULL ? esc : "nova-2",
			 AUDIO_RATE);
		curl_free(esc);
		snprintf(auth, sizeof(auth), "Authorization: Token %s", key);
		hdr = curl_slist_append(hdr, "Content-Type: audio/wav");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)wav);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)wavlen);
	} else {
		snprintf(err, errlen, "not a cloud engine");
		r = -EINVAL;
		goto out;
	}
	hdr = curl_slist_append(hdr, auth);
	hdr = curl_slist_append(hdr, "Accept: application/json");
	explicit_bzero(auth, sizeof(auth));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stt_cloud_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "HoldSlayer-classifyd/" HS_VERSION);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(err, errlen, "%s: no answer within %ld ms", url,
			 timeout_ms);
		r = -ETIMEDOUT;
		goto out;
	}
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", url,
			 reply.overflow ? "reply larger than 1 MiB"
			 : cerr[0]      ? cerr
					: curl_easy_strerror(cc));
		r = -EIO;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status >= 300) {
		snprintf(err, errlen, "%s: HTTP %ld", url, status);
		r = -EPROTO;
		goto out;
	}
	if (reply.p == NULL) {
		snprintf(err, errlen, "%s: empty reply", url);
		r = -EPROTO;
		goto out;
	}
	if ((r = stt_cloud_parse(kind, reply.p, reply.len, text, cerr,
				 sizeof(cerr))) < 0) {
		snprintf(err, errlen, "%s: %s", url, cerr);
		r = -EPROTO;
		goto out;
	}
	r = 0;
out:
	curl_slist_free_all(hdr);
	curl_mime_free(mime);
	curl_easy_cleanup(c);
	free(reply.p);
	free(wav);
	return r;
}
