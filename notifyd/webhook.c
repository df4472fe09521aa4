/*
 * webhook: the JSON POST channel.  The body is the bus envelope plus the
 * notification's id and sentence; with [notify] webhook_secret_file set,
 * each attempt is signed as Stripe and GitHub sign theirs:
 *
 *   X-HoldSlayer-Signature: t=1765135320,v1=<hex HMAC-SHA256 of "t.body">
 *
 * so a receiver can check the sender and refuse an old timestamp (a
 * replay).  notifyd(8) shows a check in shell and in Python.
 */
#include "notifyd.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

int
webhook_sign(const char *secret, long long ts, const char *body, char *out,
	     size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char prefix[32];
	size_t plen, blen = strlen(body), off;
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t got = 0;
	int r = -EIO;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "%lld.", ts);
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL || (ctx = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret),
			  params) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)prefix, plen) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)body, blen) ||
	    !EVP_MAC_final(ctx, md, &got, sizeof(md)))
		goto out;
	mdlen = (unsigned int)got;
	off = (size_t)snprintf(out, outlen, "t=%lld,v1=", ts);
	if (off + 2 * mdlen + 1 > outlen)
		goto out;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + off + 2 * i, 3, "%02x", md[i]);
	r = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

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
