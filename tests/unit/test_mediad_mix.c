/*
 * Unit tests for mediad's recording mix (mediad/record.c): saturating sums
 * and the WAV file it writes (mode 0600, 8 kHz mono, the right length).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "audio.h"
#include "../../mediad/mediad.h"

static void
test_mix_saturates(void **state)
{
	int16_t a[4] = {1000, 30000, -30000, INT16_MAX};
	int16_t b[4] = {-500, 10000, -10000, INT16_MAX};
	int16_t d[4];

	(void)state;
	mix_sat(d, a, b, 4);
	assert_int_equal(d[0], 500);
	assert_int_equal(d[1], INT16_MAX);
	assert_int_equal(d[2], INT16_MIN);
	assert_int_equal(d[3], INT16_MAX);
	mix_sat(d, a, NULL, 4);
	assert_memory_equal(d, a, sizeof(a));
	mix_sat(d, NULL, NULL, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(d[i], 0);
}

static void
test_recording_file(void **state)
{
	char tmpl[] = "/tmp/mediad-mix.XXXXXX", dir[256], err[256], path[512];
	struct recording *r;
	int16_t frame[MEDIAD_FRAME], *pcm = NULL;
	size_t n = 0;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s/a/b", tmpl); /* created on demand */
	assert_int_equal(recording_open(&r, dir, "call-1", err, sizeof(err)),
			 0);
	for (int i = 0; i < MEDIAD_FRAME; i++)
		frame[i] = (int16_t)((i % 20) < 10 ? 8000 : -8000);
	for (int k = 0; k < 50; k++)
		assert_int_equal(recording_write(r, frame, MEDIAD_FRAME), 0);
	assert_true(recording_seconds(r) > 0.99 && recording_seconds(r) < 1.01);
	snprintf(path, sizeof(path), "%s/call-1.wav", dir);
	assert_string_equal(recording_path(r), path);
	recording_close(r);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(audio_wav_read(path, &pcm, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 50 * MEDIAD_FRAME);
	assert_true(audio_rms_dbfs(pcm, n) > -13.0);
	free(pcm);
	unlink(path);
	/* an unwritable directory is reported with its path */
	assert_true(recording_open(&r, "/proc/no/such", "x", err,
				   sizeof(err)) < 0);
	assert_non_null(strstr(err, "/proc/no/such"));
	assert_null(r);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/a", tmpl);
	rmdir(dir);
	rmdir(tmpl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mix_saturates),
	    cmocka_unit_test(test_recording_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
