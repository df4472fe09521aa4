/*
 * sign: the webhook signature, HMAC-SHA256 with OpenSSL's EVP_MAC over
 * "TIMESTAMP.BODY", keyed with [notify] webhook_secret_file's secret, sent
 * as "t=TIMESTAMP,v1=HEX" (the shape Stripe uses).  Kept apart from the
 * transfer so that it is tested alone.
 */
#include "notifyd.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

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
