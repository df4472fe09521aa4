/*
 * test_sense: ivrd/sense.c without its WordNet database (WNSEARCHDIR names
 * a missing directory): one clear log line says so, and menu matching
 * falls back to plain word overlap and the telephony idioms, never a
 * crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../ivrd/nav.h"
#include "log.h"

static void
test_no_database(void **state)
{
	char path[] = "/tmp/test_sense_XXXXXX", buf[2048];
	size_t n;
	int fd, saved;
	FILE *fp;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	/* The log goes to stderr: to the file for a while. */
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fd, 2) == 2);
	log_init("test_sense", LOG_LVL_INFO);
	setenv("WNSEARCHDIR", "/nonexistent/wordnet", 1);
	assert_false(sense_ready());
	/* Overlap and idioms still work; WordNet's links do not. */
	assert_true(menu_match("billing question", "billing") >= 1.0);
	assert_true(menu_match("speak to a human", "a representative") >=
		    0.7);
	assert_true(menu_match("my suitcase is lost", "baggage services") <
		    0.5);
	assert_true(sense_similarity("suitcase", "baggage") == 0);
	assert_true(sense_similarity("baggage", "baggage") == 1.0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	close(fd);
	unlink(path);
	/* Said once, with what to do about it. */
	assert_non_null(strstr(buf, "WordNet database cannot be opened"));
	assert_non_null(strstr(buf, "/nonexistent/wordnet"));
	assert_non_null(strstr(buf, "plain word overlap"));
	assert_null(strstr(strstr(buf, "WordNet") + 1, "WordNet database"));
	sense_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_database),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
