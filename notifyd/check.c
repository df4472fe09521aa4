/*
 * check: notifyd's own reading of the [notify] and [notify_devices]
 * sections beyond the key table: a channel whose keys need one another, a
 * route naming a channel that is not set up, a secret file that cannot be
 * read.  `notifyd -n` runs it, so a misconfigured channel is named at start,
 * not at the first call.  Also here: reading secrets and redacting URLs.
 */
#include "notifyd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static const char *const check_channel_names[NOTIFY_NCHANNELS] = {
    "webhook", "email", "sms", "desktop", "push"};

const char *
notify_channel_name(enum notify_channel ch)
{
	return (unsigned)ch < NOTIFY_NCHANNELS ? check_channel_names[ch] : "?";
}

int
notify_channels_parse(const char *s, unsigned *mask, char *bad, size_t badlen)
{
	char word[32];
	size_t n;

	*mask = 0;
	while (*s) {
		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (n == 0)
			break;
		snprintf(word, sizeof(word), "%.*s", (int)n, s);
		s += n;
		if (strcmp(word, "all") == 0) {
			*mask = (1u << NOTIFY_NCHANNELS) - 1;
			continue;
		}
		if (strcmp(word, "none") == 0)
			continue;
		for (n = 0; n < NOTIFY_NCHANNELS; n++)
			if (strcmp(word, check_channel_names[n]) == 0)
				break;
		if (n == NOTIFY_NCHANNELS) {
			snprintf(bad, badlen, "%s", word);
			return -EINVAL;
		}
		*mask |= 1u << n;
	}
	return 0;
}

unsigned
notify_channels_configured(const struct conf *c)
{
	unsigned m = 0;

	if (c->notify_webhook_url[0])
		m |= 1u << NOTIFY_WEBHOOK;
	if (c->notify_email_url[0])
		m |= 1u << NOTIFY_EMAIL;
	if (c->notify_sms_provider[0])
		m |= 1u << NOTIFY_SMS;
	if (c->notify_desktop_bus[0])
		m |= 1u << NOTIFY_DESKTOP;
	if (c->notify_push_url[0])
		m |= 1u << NOTIFY_PUSH;
	return m;
}

int
notify_secret_read(const char *path, char **out)
{
	FILE *fp;
	char buf[1024];
	size_t n;

	*out = NULL;
	fp = fopen(path, "re");
	if (fp == NULL)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0 || strchr(buf, '\n') != NULL) {
		explicit_bzero(buf, sizeof(buf));
		return -EINVAL;
	}
	*out = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return *out ? 0 : -ENOMEM;
}

void
notify_redact(const char *url, char *out, size_t outlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		snprintf(out, outlen, "%s://%s/\u2026", scheme, host);
	else
		snprintf(out, outlen, "(unparsable URL)");
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
}

/* "file: [notify] key: " + why, into err. */
#define CHECK_FAIL(key, ...)                                                   \
	do {                                                                   \
		int o_ = snprintf(err, errlen, "%s: [notify] %s: ", file, key); \
		if (o_ > 0 && (size_t)o_ < errlen)                             \
			snprintf(err + o_, errlen - (size_t)o_, __VA_ARGS__);  \
		return -EINVAL;                                                \
	} while (0)

/* A URL whose scheme is one of schemes (space-separated). */
static int
check_url(const char *url, const char *schemes)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ok = 0;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    host[0] != '\0') {
		size_t n = strlen(scheme);
		for (const char *p = schemes; *p;) {
			size_t w = strcspn(p, " ");
			if (w == n && strncasecmp(p, scheme, n) == 0)
				ok = 1;
			p += w;
			p += strspn(p, " ");
		}
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* A readable, one-line, non-empty secret file. */
static int
check_secret(const char *path, char *why, size_t whylen)
{
	char *s = NULL;
	int r = notify_secret_read(path, &s);

	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
	if (r == -EINVAL)
		snprintf(why, whylen, "%s is empty or more than one line", path);
	else if (r < 0)
		snprintf(why, whylen, "%s: %s", path, strerror(-r));
	return r;
}

int
notify_check(const struct conf *c, char *err, size_t errlen)
{
	const char *file = c->path ? c->path : "(defaults)";
	unsigned have = notify_channels_configured(c), mask;
	char why[512], bad[32];
	/* Every key of the table: the route_ rows are picked out below. */
	static const struct {
		const char *sec, *key, *def;
		size_t off;
	} keys[] = {
#define R(sec, key, type, field, def, mn, mx)                                  \
	{#sec, #key, def, offsetof(struct conf, field)},
	    CONF_KEYS(R)
#undef R
	};

	if (c->notify_webhook_url[0] &&
	    !check_url(c->notify_webhook_url, "http https"))
		CHECK_FAIL("webhook_url", "not an http:// or https:// URL");
	if (c->notify_webhook_secret_file[0] &&
	    check_secret(c->notify_webhook_secret_file, why, sizeof(why)) < 0)
		CHECK_FAIL("webhook_secret_file", "%s", why);
	if (c->notify_email_url[0]) {
		if (!check_url(c->notify_email_url, "smtp smtps"))
			CHECK_FAIL("email_url", "not an smtp:// or smtps:// URL");
		if (c->notify_email_from[0] == '\0')
			CHECK_FAIL("email_from", "required with email_url");
		if (c->notify_email_to[0] == '\0')
			CHECK_FAIL("email_to", "required with email_url");
	}
	if (c->notify_email_password_file[0]) {
		if (c->notify_email_user[0] == '\0')
			CHECK_FAIL("email_user",
				   "required with email_password_file");
		if (check_secret(c->notify_email_password_file, why,
				 sizeof(why)) < 0)
			CHECK_FAIL("email_password_file", "%s", why);
	}
	if (c->notify_sms_provider[0]) {
		int twilio = strcmp(c->notify_sms_provider, "twilio") == 0;
		if (!twilio && strcmp(c->notify_sms_provider, "json") != 0)
			CHECK_FAIL("sms_provider",
				   "'%s' is not twilio or json",
				   c->notify_sms_provider);
		if (!twilio && c->notify_sms_url[0] == '\0')
			CHECK_FAIL("sms_url", "required with sms_provider json");
		if (c->notify_sms_url[0] &&
		    !check_url(c->notify_sms_url, "http https"))
			CHECK_FAIL("sms_url", "not an http:// or https:// URL");
		if (twilio && c->notify_sms_account_sid[0] == '\0')
			CHECK_FAIL("sms_account_sid",
				   "required with sms_provider twilio");
		if (twilio && c->notify_sms_token_file[0] == '\0')
			CHECK_FAIL("sms_token_file",
				   "required with sms_provider twilio");
		if (twilio && c->notify_sms_from[0] == '\0')
			CHECK_FAIL("sms_from",
				   "required with sms_provider twilio");
		if (c->notify_sms_to[0] == '\0')
			CHECK_FAIL("sms_to", "required with sms_provider");
	}
	if (c->notify_sms_token_file[0] &&
	    check_secret(c->notify_sms_token_file, why, sizeof(why)) < 0)
		CHECK_FAIL("sms_token_file", "%s", why);
	if (c->notify_push_url[0] && !check_url(c->notify_push_url, "http https"))
		CHECK_FAIL("push_url", "not an http:// or https:// URL");
	if (c->notify_push_token_file[0] &&
	    check_secret(c->notify_push_token_file, why, sizeof(why)) < 0)
		CHECK_FAIL("push_token_file", "%s", why);
	if (c->notify_desktop_bus[0] &&
	    strcmp(c->notify_desktop_bus, "session") != 0 &&
	    strchr(c->notify_desktop_bus, ':') == NULL)
		CHECK_FAIL("desktop_bus",
			   "'%s' is not \"session\" or a D-Bus address such as "
			   "unix:path=/run/user/1000/bus",
			   c->notify_desktop_bus);
	if (c->notify_ca_file[0] && access(c->notify_ca_file, R_OK) < 0)
		CHECK_FAIL("ca_file", "%s: %s", c->notify_ca_file,
			   strerror(errno));
	if (c->notify_retry_min_ms > c->notify_retry_max_ms)
		CHECK_FAIL("retry_min_ms", "%ld is above retry_max_ms %ld",
			   c->notify_retry_min_ms, c->notify_retry_max_ms);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v;
		if (strcmp(keys[i].sec, "notify") != 0 ||
		    strncmp(keys[i].key, "route_", 6) != 0)
			continue;
		v = *(char *const *)((const char *)c + keys[i].off);
		if (notify_channels_parse(v, &mask, bad, sizeof(bad)) < 0)
			CHECK_FAIL(keys[i].key,
				   "'%s' is not a channel (webhook, email, sms, "
				   "desktop, push, all, none)",
				   bad);
		/* A route set in the file that names a channel asks for it;
		 * the defaults and "all" mean "those set up". */
		if (strcmp(v, keys[i].def) == 0 || strstr(v, "all") != NULL)
			continue;
		for (int ch = 0; ch < NOTIFY_NCHANNELS; ch++)
			if (mask & ~have & (1u << ch))
				CHECK_FAIL(keys[i].key,
					   "channel %s is not set up",
					   notify_channel_name(
					       (enum notify_channel)ch));
	}
	for (size_t i = 0; i < c->nnotify_devices; i++) {
		const struct conf_notify_device *nd = &c->notify_devices[i];
		if (conf_device_uri(c, nd->name) == NULL) {
			snprintf(err, errlen,
				 "%s: [notify_devices] %s: no such device in "
				 "[devices]",
				 file, nd->name);
			return -EINVAL;
		}
		if (notify_channels_parse(nd->channels, &mask, bad,
					  sizeof(bad)) < 0) {
			snprintf(err, errlen,
				 "%s: [notify_devices] %s: '%s' is not a "
				 "channel",
				 file, nd->name, bad);
			return -EINVAL;
		}
	}
	return 0;
}
