/*
 * log: stderr logging with sd-daemon priority prefixes.  See log.h.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_prog = "holdslayer";
static int log_level = LOG_LVL_INFO;

void
log_init(const char *progname, int level)
{
	if (progname != NULL)
		log_prog = progname;
	log_level = level;
}

void
log_set_level(int level)
{
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s, int *out)
{
	static const struct {
		const char *name;
		int level;
	} names[] = {
		{"err", LOG_LVL_ERR},	  {"error", LOG_LVL_ERR},
		{"warning", LOG_LVL_WARNING}, {"notice", LOG_LVL_NOTICE},
		{"info", LOG_LVL_INFO},	  {"debug", LOG_LVL_DEBUG},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

static void
log_emit(int level, const char *errstr, const char *fmt, va_list ap)
{
	char buf[2048];

	if (level > log_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One fprintf so concurrent writers do not interleave a line. */
	if (errstr != NULL)
		fprintf(stderr, "<%d>%s: %s: %s\n", level, log_prog, buf, errstr);
	else
		fprintf(stderr, "<%d>%s: %s\n", level, log_prog, buf);
}

#define LOG_BODY(level, errstr)                                                \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_emit(level, errstr, fmt, ap);                              \
		va_end(ap);                                                    \
	} while (0)

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	LOG_BODY(LOG_LVL_WARNING, e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARNING, NULL);
}

void
log_notice(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_NOTICE, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_INFO, NULL);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_DEBUG, NULL);
}

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);
	LOG_BODY(LOG_LVL_ERR, e);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERR, NULL);
	exit(1);
}
