/*
 * conf: reads holdslayer.conf with libinih into struct conf.  The key table
 * is conf_keys.h; derived defaults (run, data and flow directories, bus
 * endpoints) are filled in after parsing so that one changed rundir moves
 * every endpoint with it.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

#ifndef HS_SYSCONFDIR
#define HS_SYSCONFDIR "/usr/local/etc"
#endif
#ifndef HS_DATAROOT
#define HS_DATAROOT "/usr/local/share/holdslayer"
#endif
#ifndef HS_FLOWSDIR
#define HS_FLOWSDIR "/usr/local/share/holdslayer/flows"
#endif

enum conf_type { CT_STR, CT_INT, CT_DBL, CT_BOOL };

struct conf_key {
	const char *section;
	const char *key;
	enum conf_type type;
	size_t off;
	const char *def;
	double min, max;
};

#define CONF_ROW(sec, k, type, field, d, mn, mx)                               \
	{#sec, #k, CT_##type, offsetof(struct conf, field), d, mn, mx},
static const struct conf_key conf_table[] = {CONF_KEYS(CONF_ROW)};
#define CONF_NKEYS (sizeof(conf_table) / sizeof(conf_table[0]))

static const char *conf_daemons[] = {"sipd",   "mediad", "classifyd",
				     "ivrd",   "apid",   "notifyd"};

struct conf_parse {
	struct conf *c;
	const char *file;
	FILE *fp;
	int line;
	char *err;
	size_t errlen;
	int failed;
};

static int
conf_set(struct conf *c, const struct conf_key *k, const char *value,
	 char *why, size_t whylen)
{
	char *end;
	void *p = (char *)c + k->off;

	switch (k->type) {
	case CT_STR: {
		char *s = strdup(value);
		if (s == NULL)
			return -ENOMEM;
		free(*(char **)p);
		*(char **)p = s;
		return 0;
	}
	case CT_INT: {
		long v;
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0') {
			snprintf(why, whylen, "'%s' is not a whole number",
				 value);
			return -EINVAL;
		}
		if (v < (long)k->min || v > (long)k->max) {
			snprintf(why, whylen, "%ld is out of range %ld..%ld", v,
				 (long)k->min, (long)k->max);
			return -EINVAL;
		}
		*(long *)p = v;
		return 0;
	}
	case CT_DBL: {
		double v;
		errno = 0;
		v = strtod(value, &end);
		if (errno != 0 || end == value || *end != '\0' || !isfinite(v)) {
			snprintf(why, whylen, "'%s' is not a number", value);
			return -EINVAL;
		}
		if (v < k->min || v > k->max) {
			snprintf(why, whylen, "%g is out of range %g..%g", v,
				 k->min, k->max);
			return -EINVAL;
		}
		*(double *)p = v;
		return 0;
	}
	case CT_BOOL:
		if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") ||
		    !strcmp(value, "1") || !strcasecmp(value, "on")) {
			*(bool *)p = true;
			return 0;
		}
		if (!strcasecmp(value, "no") || !strcasecmp(value, "false") ||
		    !strcmp(value, "0") || !strcasecmp(value, "off")) {
			*(bool *)p = false;
			return 0;
		}
		snprintf(why, whylen, "'%s' is not yes or no", value);
		return -EINVAL;
	}
	return -EINVAL;
}

static int
conf_add_device(struct conf *c, const char *name, const char *uri)
{
	struct conf_device *d;

	for (size_t i = 0; i < c->ndevices; i++) {
		if (strcmp(c->devices[i].name, name) == 0) {
			char *u = strdup(uri);
			if (u == NULL)
				return -ENOMEM;
			free(c->devices[i].uri);
			c->devices[i].uri = u;
			return 0;
		}
	}
	d = realloc(c->devices, (c->ndevices + 1) * sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	c->devices = d;
	d[c->ndevices].name = strdup(name);
	d[c->ndevices].uri = strdup(uri);
	if (d[c->ndevices].name == NULL || d[c->ndevices].uri == NULL)
		return -ENOMEM;
	c->ndevices++;
	return 0;
}

static int
conf_add_notify_device(struct conf *c, const char *name, const char *channels)
{
	struct conf_notify_device *d;
	char *v = strdup(channels);

	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < c->nnotify_devices; i++) {
		if (strcmp(c->notify_devices[i].name, name) == 0) {
			free(c->notify_devices[i].channels);
			c->notify_devices[i].channels = v;
			return 0;
		}
	}
	d = realloc(c->notify_devices, (c->nnotify_devices + 1) * sizeof(*d));
	if (d == NULL) {
		free(v);
		return -ENOMEM;
	}
	c->notify_devices = d;
	d[c->nnotify_devices].channels = v;
	d[c->nnotify_devices].name = strdup(name);
	if (d[c->nnotify_devices].name == NULL) {
		free(v);
		return -ENOMEM;
	}
	c->nnotify_devices++;
	return 0;
}

/* A phone name is a SIP user part sipd can match and print as is. */
static int
conf_phone_name_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		      *s == '_'))
			return 0;
	return 1;
}

/* "file:PATH" or "env:VARIABLE"; never the password itself. */
static int
conf_add_phone(struct conf_parse *cp, const char *name, const char *value)
{
	struct conf *c = cp->c;
	struct conf_phone *p;
	const char *file = "", *env = "";

	if (!conf_phone_name_ok(name)) {
		snprintf(cp->err, cp->errlen,
			 "%s:%d: [phones] %s: a phone name is 1 to 64 "
			 "letters, digits, '.', '-' or '_'",
			 cp->file, cp->line, name);
		return -EINVAL;
	}
	if (strncmp(value, "file:/", 6) == 0)
		file = value + 5;
	else if (strncmp(value, "env:", 4) == 0 && value[4] != '\0')
		env = value + 4;
	else {
		snprintf(cp->err, cp->errlen,
			 "%s:%d: [phones] %s: the value is file:/PATH or "
			 "env:VARIABLE (where the password is), never the "
			 "password",
			 cp->file, cp->line, name);
		return -EINVAL;
	}
	for (size_t i = 0; i < c->nphones; i++)
		if (strcmp(c->phones[i].name, name) == 0) {
			snprintf(cp->err, cp->errlen,
				 "%s:%d: [phones] %s: named twice", cp->file,
				 cp->line, name);
			return -EINVAL;
		}
	p = realloc(c->phones, (c->nphones + 1) * sizeof(*p));
	if (p == NULL)
		goto nomem;
	c->phones = p;
	p += c->nphones;
	p->name = strdup(name);
	p->password_file = strdup(file);
	p->password_env = strdup(env);
	c->nphones++;
	if (p->name && p->password_file && p->password_env)
		return 0;
nomem:
	snprintf(cp->err, cp->errlen, "out of memory");
	return -ENOMEM;
}

static int
conf_handler(void *user, const char *section, const char *name,
	     const char *value)
{
	struct conf_parse *cp = user;
	char why[256] = "";

	if (cp->failed)
		return 0;
	if (strcmp(section, "devices") == 0) {
		if (strncmp(value, "sip:", 4) != 0 &&
		    strncmp(value, "sips:", 5) != 0) {
			snprintf(cp->err, cp->errlen,
				 "%s:%d: [devices] %s: '%s' is not a sip: URI",
				 cp->file, cp->line, name, value);
			cp->failed = -EINVAL;
			return 0;
		}
		if (conf_add_device(cp->c, name, value) < 0) {
			cp->failed = -ENOMEM;
			snprintf(cp->err, cp->errlen, "out of memory");
		}
		return 1;
	}
	if (strcmp(section, "phones") == 0) {
		int r = conf_add_phone(cp, name, value);
		if (r < 0) {
			cp->failed = r;
			return 0;
		}
		return 1;
	}
	if (strcmp(section, "notify_devices") == 0) {
		if (conf_add_notify_device(cp->c, name, value) < 0) {
			cp->failed = -ENOMEM;
			snprintf(cp->err, cp->errlen, "out of memory");
		}
		return 1;
	}
	for (size_t i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_table[i];
		int r;

		if (strcmp(k->section, section) != 0 ||
		    strcmp(k->key, name) != 0)
			continue;
		r = conf_set(cp->c, k, value, why, sizeof(why));
		if (r < 0) {
			snprintf(cp->err, cp->errlen, "%s:%d: [%s] %s: %s",
				 cp->file, cp->line, section, name,
				 r == -ENOMEM ? "out of memory" : why);
			cp->failed = r;
			return 0;
		}
		return 1;
	}
	snprintf(cp->err, cp->errlen, "%s:%d: [%s] %s: unknown key", cp->file,
		 cp->line, section, name);
	cp->failed = -EINVAL;
	return 0;
}

/* Reader for ini_parse_stream that counts lines for error messages. */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *cp = stream;
	char *r = fgets(str, num, cp->fp);

	if (r != NULL)
		cp->line++;
	return r;
}

/* Sets an unset string field to the concatenation a + b + c. */
static int
conf_default(char **field, const char *a, const char *b, const char *c)
{
	char buf[PATH_MAX];

	if (*field != NULL && **field != '\0')
		return 0;
	snprintf(buf, sizeof(buf), "%s%s%s", a, b, c);
	free(*field);
	*field = strdup(buf);
	return *field == NULL ? -ENOMEM : 0;
}

static int
conf_derive(struct conf *c)
{
	const char *xdg;
	char base[PATH_MAX];
	int r = 0;

	if (geteuid() == 0) {
		r |= conf_default(&c->rundir, "", "/run/holdslayer", "");
		r |= conf_default(&c->datadir, "", "/var/lib/holdslayer",
				  "");
	} else {
		xdg = getenv("XDG_RUNTIME_DIR");
		if (xdg != NULL && *xdg != '\0')
			snprintf(base, sizeof(base), "%s/holdslayer", xdg);
		else
			snprintf(base, sizeof(base), "/tmp/holdslayer-%u",
				 (unsigned)geteuid());
		r |= conf_default(&c->rundir, "", base, "");
		xdg = getenv("XDG_DATA_HOME");
		if (xdg != NULL && *xdg != '\0')
			snprintf(base, sizeof(base), "%s/holdslayer", xdg);
		else
			snprintf(base, sizeof(base), "%s/.local/share/holdslayer",
				 getenv("HOME") ? getenv("HOME") : "/tmp");
		r |= conf_default(&c->datadir, "", base, "");
	}
	r |= conf_default(&c->flowsdir, "", HS_FLOWSDIR, "");
	r |= conf_default(&c->recordings_dir, "", c->datadir,
			  "/recordings");
	r |= conf_default(&c->api_db, "", c->datadir, "/holdslayer.db");
	r |= conf_default(&c->api_token_file, "", c->datadir, "/api.token");
	r |= conf_default(&c->api_www_dir, "", HS_DATAROOT "/www", "");
#define DERIVE_EP(d)                                                           \
	r |= conf_default(&c->d##_pub, "ipc://", c->rundir, "/" #d ".pub");   \
	r |= conf_default(&c->d##_ctl, "ipc://", c->rundir, "/" #d ".ctl");
	DERIVE_EP(sipd)
	DERIVE_EP(mediad)
	DERIVE_EP(classifyd)
	DERIVE_EP(ivrd)
	DERIVE_EP(apid)
	DERIVE_EP(notifyd)
#undef DERIVE_EP
	return r ? -ENOMEM : 0;
}

/* Characters that could end a header line or a quoted display name. */
static int
conf_header_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < ' ' || *p == 0x7f || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

/*
 * [trunk]: a transport sipd speaks, a well-formed SHA-256 tls_fingerprint;
 * registering needs somewhere to register,
 * a name and a password source.  The password itself is read by sipd alone
 * (sipd/trunk.c), never by this shared loader.
 */
static int
conf_check_trunk(const struct conf *c, const char *file, char *err,
		 size_t errlen)
{
	const char *t = c->trunk_transport;
	const char *why = NULL, *key = NULL;

	if (c->trunk_tls_fingerprint[0]) {
		size_t hex = 0;
		const char *p = c->trunk_tls_fingerprint;
		for (; *p && (isxdigit((unsigned char)*p) || *p == ':'); p++)
			hex += *p != ':';
		if (*p || hex != 64) {
			snprintf(err, errlen,
				 "%s: [trunk] tls_fingerprint: not a SHA-256 "
				 "fingerprint (64 hex digits, colons allowed)",
				 file);
			return -EINVAL;
		}
	}
	if (strcasecmp(t, "udp") != 0 && strcasecmp(t, "tcp") != 0 &&
	    strcasecmp(t, "tls") != 0) {
		snprintf(err, errlen,
			 "%s: [trunk] transport: '%s' is not udp, tcp or tls",
			 file, t);
		return -EINVAL;
	}
	if (c->trunk_outbound_proxy[0] &&
	    strncmp(c->trunk_outbound_proxy, "sip:", 4) != 0) {
		snprintf(err, errlen,
			 "%s: [trunk] outbound_proxy: '%s' is not a sip: URI",
			 file, c->trunk_outbound_proxy);
		return -EINVAL;
	}
	if (c->trunk_password_file[0] && c->trunk_password_env[0]) {
		snprintf(err, errlen,
			 "%s: [trunk] password_file and password_env are both "
			 "set; keep one",
			 file);
		return -EINVAL;
	}
	for (const char *p = c->trunk_from_number; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p == '+' && p == c->trunk_from_number))) {
			snprintf(err, errlen,
				 "%s: [trunk] from_number: '%s' is not digits "
				 "with an optional leading '+'",
				 file, c->trunk_from_number);
			return -EINVAL;
		}
	if (!conf_header_safe(c->trunk_display_name))
		key = "display_name";
	else if (!conf_header_safe(c->trunk_username) ||
		 strpbrk(c->trunk_username, " @:;<>") != NULL)
		key = "username";
	else if (!conf_header_safe(c->trunk_auth_username))
		key = "auth_username";
	else if (!conf_header_safe(c->trunk_realm))
		key = "realm";
	if (key != NULL) {
		snprintf(err, errlen,
			 "%s: [trunk] %s: contains a character that cannot go "
			 "in a SIP header",
			 file, key);
		return -EINVAL;
	}
	if (c->trunk_register) {
		if (c->trunk_proxy[0] == '\0')
			why = "needs [trunk] proxy (the registrar)";
		else if (c->trunk_username[0] == '\0')
			why = "needs [trunk] username";
		else if (c->trunk_password_file[0] == '\0' &&
			 c->trunk_password_env[0] == '\0')
			why = "needs [trunk] password_file or password_env";
		if (why) {
			snprintf(err, errlen, "%s: [trunk] register = yes %s",
				 file, why);
			return -EINVAL;
		}
	}
	return 0;
}

static int
conf_check(const struct conf *c, const char *file, char *err, size_t errlen)
{
	int lvl;

	if (log_level_parse(c->log_level, &lvl) < 0) {
		snprintf(err, errlen,
			 "%s: [general] log_level: '%s' is not one of err, "
			 "warning, notice, info, debug",
			 file, c->log_level);
		return -EINVAL;
	}
	if (c->rtp_port_min >= c->rtp_port_max) {
		snprintf(err, errlen,
			 "%s: [media] rtp_port_min: %ld is not below "
			 "rtp_port_max %ld",
			 file, c->rtp_port_min, c->rtp_port_max);
		return -EINVAL;
	}
	{
		/* [sip] phone_digests: SHA-256 and/or MD5, in order. */
		const char *p = c->sip_phone_digests;
		int n = 0;
		while (*p) {
			size_t l;
			p += strspn(p, " ,");
			l = strcspn(p, " ,");
			if (l == 0)
				break;
			if (!((l == 7 && strncasecmp(p, "SHA-256", 7) == 0) ||
			      (l == 3 && strncasecmp(p, "MD5", 3) == 0))) {
				snprintf(err, errlen,
					 "%s: [sip] phone_digests: '%s' is not "
					 "a list of SHA-256 and MD5",
					 file, c->sip_phone_digests);
				return -EINVAL;
			}
			n++;
			p += l;
		}
		if (n == 0 || n > 2) {
			snprintf(err, errlen,
				 "%s: [sip] phone_digests: name SHA-256, MD5 "
				 "or both",
				 file);
			return -EINVAL;
		}
	}
	if (strchr(c->sip_listen, ':') == NULL) {
		snprintf(err, errlen,
			 "%s: [sip] listen: '%s' is not ADDRESS:PORT", file,
			 c->sip_listen);
		return -EINVAL;
	}
	if (strchr(c->api_listen, ':') == NULL) {
		snprintf(err, errlen,
			 "%s: [api] listen: '%s' is not ADDRESS:PORT", file,
			 c->api_listen);
		return -EINVAL;
	}
	if (c->trunk_proxy[0] != '\0' && strncmp(c->trunk_proxy, "sip:", 4)) {
		snprintf(err, errlen, "%s: [trunk] proxy: '%s' is not a sip: URI",
			 file, c->trunk_proxy);
		return -EINVAL;
	}
	return conf_check_trunk(c, file, err, errlen);
}

int
conf_load(struct conf **out, const char *path, char *err, size_t errlen)
{
	struct conf *c;
	struct conf_parse cp = {0};
	char why[64];
	int r = 0;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < CONF_NKEYS; i++) {
		r = conf_set(c, &conf_table[i], conf_table[i].def, why,
			     sizeof(why));
		if (r < 0)
			goto out;
	}
	if (path != NULL) {
		c->path = strdup(path);
		cp.fp = fopen(path, "r");
		if (cp.fp == NULL) {
			r = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		cp.c = c;
		cp.file = path;
		cp.err = err;
		cp.errlen = errlen;
		r = ini_parse_stream(conf_reader, &cp, conf_handler, &cp);
		fclose(cp.fp);
		if (cp.failed) {
			r = cp.failed;
			goto out;
		}
		if (r != 0) {
			/* inih reports syntax errors by line number. */
			snprintf(err, errlen, "%s:%d: syntax error", path,
				 r > 0 ? r : cp.line);
			r = -EINVAL;
			goto out;
		}
	}
	r = conf_derive(c);
	if (r < 0)
		goto out;
	r = conf_check(c, path ? path : "(defaults)", err, errlen);
out:
	if (r < 0) {
		conf_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < CONF_NKEYS; i++)
		if (conf_table[i].type == CT_STR)
			free(*(char **)((char *)c + conf_table[i].off));
	for (size_t i = 0; i < c->ndevices; i++) {
		free(c->devices[i].name);
		free(c->devices[i].uri);
	}
	free(c->devices);
	for (size_t i = 0; i < c->nnotify_devices; i++) {
		free(c->notify_devices[i].name);
		free(c->notify_devices[i].channels);
	}
	free(c->notify_devices);
	for (size_t i = 0; i < c->nphones; i++) {
		free(c->phones[i].name);
		free(c->phones[i].password_file);
		free(c->phones[i].password_env);
	}
	free(c->phones);
	free(c->path);
	free(c);
}

const char *
conf_device_uri(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->ndevices; i++)
		if (strcmp(c->devices[i].name, name) == 0)
			return c->devices[i].uri;
	return NULL;
}

const char *
conf_notify_device(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->nnotify_devices; i++)
		if (strcmp(c->notify_devices[i].name, name) == 0)
			return c->notify_devices[i].channels;
	return NULL;
}

const char *
conf_endpoint(const struct conf *c, const char *daemon, const char *kind)
{
	char key[64];

	if (strcmp(kind, "pub") != 0 && strcmp(kind, "ctl") != 0)
		return NULL;
	for (size_t d = 0; d < sizeof(conf_daemons) / sizeof(*conf_daemons);
	     d++) {
		if (strcmp(conf_daemons[d], daemon) != 0)
			continue;
		snprintf(key, sizeof(key), "%s_%s", daemon, kind);
		for (size_t i = 0; i < CONF_NKEYS; i++)
			if (strcmp(conf_table[i].section, "bus") == 0 &&
			    strcmp(conf_table[i].key, key) == 0)
				return *(char **)((char *)c + conf_table[i].off);
	}
	return NULL;
}

const char *
conf_default_path(void)
{
	const char *e = getenv("HOLDSLAYER_CONF");

	if (e != NULL && *e != '\0')
		return e;
	return HS_SYSCONFDIR "/holdslayer.conf";
}
