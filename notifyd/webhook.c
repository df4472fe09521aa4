/*
 * webhook: the JSON POST channel.  The body is the bus envelope plus the
 * notification's id and sentence; with [notify] webhook_secret_file set,
 * each attempt is signed as Stripe and GitHub sign theirs:
 *
 *   X-HoldSlayer-Signature: t=1765135320,v1=<hex HMAC-SHA256 of "t.body">
 *
 * so a receiver can check the sender and refuse an old timestamp (a
 * replay; sign.c computes it).  notifyd(8) shows a check in shell and in
 * Python.
 */
#include "notifyd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

int
webhook_start(struct notify_job *j)
{
	const struct conf *c = daemon_conf(j->n->d);
	char sig[160], hdr[200];
	int r;

	if ((r = xfer_easy(j, c->notify_webhook_url)) < 0)
		return r;
	j->hdrs = curl_slist_append(j->hdrs, "Content-Type: application/json");
	if (j->n->sec.webhook != NULL) {
		if (webhook_sign(j->n->sec.webhook, (long long)time(NULL),
				 j->body, sig, sizeof(sig)) < 0) {
			log_warnx("webhook: cannot sign with OpenSSL");
			return -EIO;
		}
		snprintf(hdr, sizeof(hdr), "X-HoldSlayer-Signature: %s", sig);
		j->hdrs = curl_slist_append(j->hdrs, hdr);
	}
	if (j->hdrs == NULL)
		return -ENOMEM;
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, j->body);
	return xfer_go(j);
}
