/*
 * test_stt_cloud: what the cloud engines put on and take off the wire.  The
 * WAV built for an upload must be a valid 8 kHz mono 16-bit file that
 * libsndfile reads back sample for sample; each service's reply must yield
 * its transcript, and a reply without one must be an error naming what was
 * missing (never a crash or an empty success).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audio.h"
#include "../../classifyd/stt.h"

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void
test_wav_build(void **state)
{
	int16_t pcm[800], *back = NULL;
	uint8_t *wav;
	size_t len, n;
	char path[] = "/tmp/test_stt_cloud.XXXXXX", err[256];
	int fd;

	(void)state;
	for (size_t i = 0; i < 800; i++)
		pcm[i] = (int16_t)((int)(i * 97 % 65536) - 32768);
	assert_int_equal(stt_wav_build(pcm, 800, 8000, &wav, &len), 0);
	assert_int_equal(len, 44 + 1600);
	assert_memory_equal(wav, "RIFF", 4);
	assert_int_equal(le32(wav + 4), 36 + 1600);
	assert_memory_equal(wav + 8, "WAVEfmt ", 8);
	assert_int_equal(le32(wav + 16), 16);
	assert_int_equal(wav[20] | wav[21] << 8, 1);	   /* PCM */
	assert_int_equal(wav[22] | wav[23] << 8, 1);	   /* mono */
	assert_int_equal(le32(wav + 24), 8000);
	assert_int_equal(le32(wav + 28), 16000);
	assert_int_equal(wav[34] | wav[35] << 8, 16);
	assert_memory_equal(wav + 36, "data", 4);
	assert_int_equal(le32(wav + 40), 1600);

	/* libsndfile reads back exactly what went in */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, wav, len), (ssize_t)len);
	close(fd);
	assert_int_equal(audio_wav_read(path, &back, &n, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(n, 800);
	assert_memory_equal(back, pcm, sizeof(pcm));
	free(back);
	free(wav);

	/* empty is still a valid file */
	assert_int_equal(stt_wav_build(pcm, 0, 8000, &wav, &len), 0);
	assert_int_equal(len, 44);
	free(wav);
	assert_int_equal(stt_wav_build(pcm, 10, 0, &wav, &len), -EINVAL);
}

static void
expect_text(enum stt_kind k, const char *body, const char *want)
{
	char *text = NULL, err[256] = "";

	if (stt_cloud_parse(k, body, strlen(body), &text, err, sizeof(err)) <
	    0)
		fail_msg("%s: %s", body, err);
	assert_string_equal(text, want);
	free(text);
}

static void
expect_bad(enum stt_kind k, const char *body, const char *why)
{
	char *text = NULL, err[256] = "";

	assert_int_equal(
	    stt_cloud_parse(k, body, strlen(body), &text, err, sizeof(err)),
	    -EINVAL);
	assert_null(text);
	if (strstr(err, why) == NULL)
		fail_msg("%s: error \"%s\" does not say \"%s\"", body, err,
			 why);
}

static void
test_parse_openai(void **state)
{
	(void)state;
	expect_text(STT_OPENAI, "{\"text\":\"For billing, press 2.\"}",
		    "For billing, press 2.");
	expect_text(STT_OPENAI,
		    "{\"task\":\"transcribe\",\"language\":\"english\","
		    "\"duration\":2.5,\"text\":\"\"}",
		    "");
	expect_bad(STT_OPENAI, "{\"error\":{\"message\":\"bad key\"}}",
		   "\"text\"");
	expect_bad(STT_OPENAI, "{\"text\":42}", "\"text\"");
	expect_bad(STT_OPENAI, "<html>502 Bad Gateway</html>", "not JSON");
	expect_bad(STT_OPENAI, "{\"text\":\"trunc", "not JSON");
	expect_bad(STT_OPENAI, "", "not JSON");
}

static void
test_parse_deepgram(void **state)
{
	(void)state;
	expect_text(STT_DEEPGRAM,
		    "{\"metadata\":{\"request_id\":\"x\"},\"results\":{"
		    "\"channels\":[{\"alternatives\":[{\"transcript\":"
		    "\"please hold\",\"confidence\":0.98,\"words\":[]}]}]}}",
		    "please hold");
	expect_bad(STT_DEEPGRAM, "{\"results\":{\"channels\":[]}}",
		   "results.channels[0].alternatives[0].transcript");
	expect_bad(STT_DEEPGRAM,
		   "{\"results\":{\"channels\":[{\"alternatives\":{}}]}}",
		   "transcript");
	expect_bad(STT_DEEPGRAM, "{\"text\":\"openai shape\"}", "transcript");
	expect_bad(STT_DEEPGRAM, "[1,2,3]", "transcript");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wav_build),
	    cmocka_unit_test(test_parse_openai),
	    cmocka_unit_test(test_parse_deepgram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
