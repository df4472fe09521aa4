/*
 * smtp: the e-mail channel, through libcurl's SMTP (smtp:// with STARTTLS,
 * or smtps://, and AUTH when [notify] email_user is set) on the same multi
 * handle as the HTTP channels.  The message is plain text: the sentence
 * saying what happened and what to do, then the call's machine fields.
 * Its Message-ID carries the notification's id, so a copy sent twice after
 * a crash is recognisable as the same message.
 */
#include "notifyd.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static size_t
smtp_read(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct notify_job *j = ud;
	size_t room = size * nmemb, left = j->upload_len - j->upload_off;

	if (left < room)
		room = left;
	memcpy(buf, j->upload + j->upload_off, room);
	j->upload_off += room;
	return room;
}

/* The bare address of "Name <addr>" or "addr", into out. */
static void
smtp_addr(const char *s, char *out, size_t outlen)
{
	const char *lt = strchr(s, '<'), *gt;
	size_t n;

	while (*s == ' ')
		s++;
	if (lt && (gt = strchr(lt, '>')) != NULL) {
		n = (size_t)(gt - lt - 1);
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, lt + 1, n);
		out[n] = '\0';
		return;
	}
	snprintf(out, outlen, "%s", s);
	n = strlen(out);
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

/*
 * The Subject header's text: as is when ASCII, else one RFC 2047 encoded
 * word (a company name may not be ASCII).
 */
static void
smtp_subject(const char *s, char *out, size_t outlen)
{
	unsigned char b64[512];
	char text[300];
	int ascii = 1, n;

	snprintf(text, sizeof(text), "Hold Slayer: %s", s);
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = 0;
	if (ascii) {
		snprintf(out, outlen, "%s", text);
		return;
	}
	n = EVP_EncodeBlock(b64, (const unsigned char *)text,
			    (int)strlen(text));
	snprintf(out, outlen, "=?UTF-8?B?%.*s?=", n, b64);
}

/* Builds the RFC 5322 message into j->upload. */
static int
smtp_message(struct notify_job *j, const struct conf *c)
{
	char date[64], subject[600];
	time_t now = time(NULL);
	struct tm tm;
	FILE *fp;
	char *buf = NULL;
	size_t len = 0;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	smtp_subject(notify_env_str(j, "subject"), subject, sizeof(subject));
	fp = open_memstream(&buf, &len);
	if (fp == NULL)
		return -ENOMEM;
	fprintf(fp,
		"Date: %s\r\n"
		"From: %s\r\n"
		"To: %s\r\n"
		"Subject: %s\r\n"
		"Message-ID: <%s@holdslayer>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"X-HoldSlayer-Event: %s\r\n"
		"\r\n"
		"%s\r\n"
		"\r\n"
		"Call %s, event %s at %s.\r\n",
		date, c->notify_email_from, c->notify_email_to, subject, j->key, j->event,
		notify_env_str(j, "text"), j->call_id, j->event,
		notify_env_str(j, "ts"));
	if (fclose(fp) != 0) {
		free(buf);
		return -ENOMEM;
	}
	j->upload = buf;
	j->upload_len = len;
	j->upload_off = 0;
	return 0;
}

int
smtp_start(struct notify_job *j)
{
	const struct conf *c = daemon_conf(j->n->d);
	char addr[256], *list, *tok, *save = NULL;
	int r;

	if ((r = xfer_easy(j, c->notify_email_url)) < 0 ||
	    (r = smtp_message(j, c)) < 0)
		return r;
	/* The HTTP headers xfer_easy() set do not apply to SMTP. */
	curl_slist_free_all(j->hdrs);
	j->hdrs = NULL;
	smtp_addr(c->notify_email_from, addr, sizeof(addr));
	curl_easy_setopt(j->easy, CURLOPT_MAIL_FROM, addr);
	list = strdup(c->notify_email_to);
	if (list == NULL)
		return -ENOMEM;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		smtp_addr(tok, addr, sizeof(addr));
		if (addr[0] != '\0')
			j->rcpt = curl_slist_append(j->rcpt, addr);
	}
	free(list);
	if (j->rcpt == NULL)
		return -ENOMEM;
	curl_easy_setopt(j->easy, CURLOPT_MAIL_RCPT, j->rcpt);
	if (c->notify_email_user[0] != '\0') {
		curl_easy_setopt(j->easy, CURLOPT_USERNAME, c->notify_email_user);
		curl_easy_setopt(j->easy, CURLOPT_PASSWORD,
				 j->n->sec.email ? j->n->sec.email : "");
	}
	/* smtp:// must upgrade with STARTTLS unless the config says the
	 * server is trusted in the clear; smtps:// is TLS from the start. */
	curl_easy_setopt(j->easy, CURLOPT_USE_SSL,
			 c->notify_email_starttls ? (long)CURLUSESSL_ALL
						  : (long)CURLUSESSL_NONE);
	curl_easy_setopt(j->easy, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(j->easy, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(j->easy, CURLOPT_READDATA, j);
	curl_easy_setopt(j->easy, CURLOPT_INFILESIZE_LARGE,
			 (curl_off_t)j->upload_len);
	return xfer_go(j);
}
