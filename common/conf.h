/*
 * conf: holdslayer.conf, an INI file read with libinih.  Every key has a
 * default (conf_keys.h), so a missing file section is fine; an unknown key or
 * a bad value is an error naming the file, the line and the key.  The
 * [devices] section is free-form: each key names a device, each value is its
 * SIP URI.  [notify_devices] is free-form too: each key names a device, each
 * value the notifyd channels used for that device's calls (notifyd checks
 * the names).  [phones] is free-form: each key names a softphone that may
 * REGISTER with sipd, each value says where its password is:
 * "file:PATH" or "env:VARIABLE" (sipd alone reads the password).
 */
#ifndef HS_CONF_H
#define HS_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "conf_keys.h"

#define CONF_FIELD_STR(f) char *f;
#define CONF_FIELD_INT(f) long f;
#define CONF_FIELD_DBL(f) double f;
#define CONF_FIELD_BOOL(f) bool f;
#define CONF_FIELD(sec, key, type, field, def, min, max) CONF_FIELD_##type(field)

struct conf_device {
	char *name;
	char *uri;
};

/* A [notify_devices] row: the channels a device's calls are told on. */
struct conf_notify_device {
	char *name;
	char *channels;
};

/* A [phones] row: a softphone's name and where its password is. */
struct conf_phone {
	char *name;
	char *password_file; /* "" unless file:PATH */
	char *password_env;  /* "" unless env:VARIABLE */
};

struct conf {
	CONF_KEYS(CONF_FIELD)
	struct conf_device *devices;
	size_t ndevices;
	struct conf_notify_device *notify_devices;
	size_t nnotify_devices;
	struct conf_phone *phones;
	size_t nphones;
	char *path; /* the file read, or NULL for built-in defaults */
};

/*
 * Reads path (NULL: defaults only).  On success *out is a new conf that the
 * caller frees with conf_free().  On error returns -EINVAL (or -errno when the
 * file cannot be opened) and writes a one-line message to err, for example
 * "holdslayer.conf:12: [sip] lisen: unknown key".
 */
int conf_load(struct conf **out, const char *path, char *err, size_t errlen);
void conf_free(struct conf *c);

/* The URI of a named device, or NULL.  Borrowed: valid until conf_free(). */
const char *conf_device_uri(const struct conf *c, const char *name);

/* A device's [notify_devices] channel list, or NULL.  Borrowed. */
const char *conf_notify_device(const struct conf *c, const char *name);

/*
 * The bus endpoint of a daemon ("sipd", "mediad", ...), kind "pub" or "ctl".
 * Borrowed; NULL for an unknown daemon.
 */
const char *conf_endpoint(const struct conf *c, const char *daemon,
			  const char *kind);

/* The default config path: $HOLDSLAYER_CONF, else SYSCONFDIR/holdslayer.conf */
const char *conf_default_path(void);

#endif
