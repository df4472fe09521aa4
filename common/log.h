/*
 * log: the tiny logging API every daemon uses.  Messages go to stderr with
 * the sd-daemon priority prefix ("<3>" ... "<7>") and no timestamp, so that
 * journald files them under the right priority and adds its own time.
 * Start a message with the subsystem: "auth: 407 from %s, retrying".
 */
#ifndef HS_LOG_H
#define HS_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Sets the program name shown in messages and the most verbose level kept. */
void log_init(const char *progname, int level);
void log_set_level(int level);
int log_get_level(void);
/* Parses "err", "warning", "notice", "info" or "debug"; -EINVAL otherwise. */
int log_level_parse(const char *s, int *out);

/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs at error priority and exits 1.  Only at start-up or on a broken
 * invariant. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
