/*
 * Unit tests of sipd's digest authentication: the response digests of the
 * RFC 7616 section 3.9.1 example (MD5 and SHA-256) and the RFC 2617 section
 * 3.5 example, the choice of the strongest challenge, the Authorization
 * header built for a SIP request (checked by recomputing its response), the
 * nonce count, stale nonces and the recognition of a refused answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../sipd/sipd.h"

/* auth.c's links to the rest of sipd, which these tests do not need. */
int __wrap_sipd_trunk_match(struct sipd *sd, const char *uri);
void __wrap_sipd_trunk_cred(struct sipd *sd, struct sipd_cred *out);
int __wrap_sipd_leg_send(struct sipd_leg *l, osip_fsm_type_t t,
			 osip_message_t *req);
int
__wrap_sipd_leg_send(struct sipd_leg *l, osip_fsm_type_t t,
		     osip_message_t *req)
{
	(void)l;
	(void)t;
	osip_message_free(req);
	return -EIO;
}
int
__wrap_sipd_trunk_match(struct sipd *sd, const char *uri)
{
	(void)sd;
	(void)uri;
	return 0;
}
void
__wrap_sipd_trunk_cred(struct sipd *sd, struct sipd_cred *out)
{
	(void)sd;
	memset(out, 0, sizeof(*out));
}

static void
rfc7616_md5(void **state)
{
	char out[65];

	(void)state;
	assert_int_equal(
	    sipd_auth_response(SIPD_AUTH_MD5, "Mufasa", "http-auth@example.org",
			       "Circle of Life", "GET", "/dir/index.html",
			       "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			       "00000001",
			       "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			       "auth", out, sizeof(out)),
	    0);
	assert_string_equal(out, "8ca523f5e9506fed4657c9700eebdbec");
}

static void
rfc7616_sha256(void **state)
{
	char out[65];

	(void)state;
	assert_int_equal(
	    sipd_auth_response(SIPD_AUTH_SHA256, "Mufasa",
			       "http-auth@example.org", "Circle of Life", "GET",
			       "/dir/index.html",
			       "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			       "00000001",
			       "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
			       "auth", out, sizeof(out)),
	    0);
	assert_string_equal(out, "753927fa0e85d155564e2e272a28d1802ca10daf"
				 "4496794697cf8db5856cb6c1");
}

static void
rfc2617(void **state)
{
	char out[65];

	(void)state;
	assert_int_equal(
	    sipd_auth_response(SIPD_AUTH_MD5, "Mufasa", "testrealm@host.com",
			       "Circle Of Life", "GET", "/dir/index.html",
			       "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
			       "0a4f113b", "auth", out, sizeof(out)),
	    0);
	assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
	/* The RFC 2069 form (no qop): H(HA1:nonce:HA2), checked against a
	 * value computed independently (python3 hashlib). */
	assert_int_equal(
	    sipd_auth_response(SIPD_AUTH_MD5, "Mufasa", "testrealm@host.com",
			       "Circle Of Life", "GET", "/dir/index.html",
			       "dcd98b7102dd2f0e8b11d0f600bfb0c093", NULL, NULL,
			       NULL, out, sizeof(out)),
	    0);
	assert_string_equal(out, "670fd8c2df070c60b045671b8b24ff02");
}

static osip_message_t *
parse(const char *text)
{
	osip_message_t *m = NULL;

	assert_int_equal(osip_message_init(&m), 0);
	assert_int_equal(osip_message_parse(m, text, strlen(text)), 0);
	return m;
}

#define RESP_HEAD                                                              \
	"SIP/2.0 %d Unauthorized\r\n"                                          \
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc\r\n"                \
	"From: <sip:alice@t.example>;tag=1\r\n"                                \
	"To: <sip:alice@t.example>;tag=2\r\n"                                  \
	"Call-ID: x@y\r\n"                                                     \
	"CSeq: 1 REGISTER\r\n"

static osip_message_t *
challenge(int code, const char *headers)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), RESP_HEAD "%sContent-Length: 0\r\n\r\n",
		 code, headers);
	return parse(buf);
}

static osip_message_t *
request(void)
{
	return parse("REGISTER sip:t.example SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKdef\r\n"
		     "From: <sip:alice@t.example>;tag=1\r\n"
		     "To: <sip:alice@t.example>\r\n"
		     "Call-ID: x@y\r\n"
		     "CSeq: 2 REGISTER\r\n"
		     "Content-Length: 0\r\n\r\n");
}

static void
pick_strongest(void **state)
{
	struct sipd_auth_challenge ch;
	osip_message_t *m;
	char err[200];

	(void)state;
	m = challenge(401,
		      "WWW-Authenticate: Digest realm=\"t.example\", "
		      "nonce=\"n1\", algorithm=MD5, qop=\"auth\"\r\n"
		      "WWW-Authenticate: Digest realm=\"t.example\", "
		      "nonce=\"n2\", algorithm=SHA-256, qop=\"auth,auth-int\", "
		      "opaque=\"op\"\r\n"
		      "WWW-Authenticate: Digest realm=\"t.example\", "
		      "nonce=\"n3\", algorithm=SHA-512-256, qop=\"auth\"\r\n");
	assert_int_equal(sipd_auth_challenge_pick(m, NULL, &ch, err,
						  sizeof(err)),
			 0);
	assert_int_equal(ch.alg, SIPD_AUTH_SHA256);
	assert_string_equal(ch.nonce, "n2");
	assert_string_equal(ch.opaque, "op");
	assert_true(ch.qop_auth);
	assert_false(ch.proxy);
	/* A realm restriction leaves nothing to answer. */
	assert_int_equal(sipd_auth_challenge_pick(m, "other", &ch, err,
						  sizeof(err)),
			 -ENOTSUP);
	assert_non_null(strstr(err, "not the configured [trunk] realm"));
	osip_message_free(m);
	/* auth-int alone is not answerable. */
	m = challenge(407, "Proxy-Authenticate: Digest realm=\"r\", "
			   "nonce=\"n\", qop=\"auth-int\"\r\n");
	assert_int_equal(sipd_auth_challenge_pick(m, NULL, &ch, err,
						  sizeof(err)),
			 -ENOTSUP);
	assert_non_null(strstr(err, "only auth"));
	osip_message_free(m);
	m = challenge(407, "Proxy-Authenticate: Digest realm=\"r\", "
			   "nonce=\"n\"\r\n");
	assert_int_equal(sipd_auth_challenge_pick(m, NULL, &ch, err,
						  sizeof(err)),
			 0);
	assert_int_equal(ch.alg, SIPD_AUTH_MD5);
	assert_true(ch.proxy);
	assert_false(ch.qop_auth);
	osip_message_free(m);
}

/* Returns the named parameter of the request's credentials, unquoted. */
static void
cred_param(osip_authorization_t *a, const char *name, char *out, size_t len)
{
	const char *v = NULL;
	size_t n;

	if (strcmp(name, "response") == 0)
		v = a->response;
	else if (strcmp(name, "nonce") == 0)
		v = a->nonce;
	else if (strcmp(name, "cnonce") == 0)
		v = a->cnonce;
	else if (strcmp(name, "nc") == 0)
		v = a->nonce_count;
	else if (strcmp(name, "uri") == 0)
		v = a->uri;
	else if (strcmp(name, "username") == 0)
		v = a->username;
	assert_non_null(v);
	n = strlen(v);
	if (v[0] == '"') {
		v++;
		n -= 2;
	}
	assert_true(n < len);
	memcpy(out, v, n);
	out[n] = '\0';
}

static void
answer_and_reject(void **state)
{
	struct sipd_auth st = {0};
	struct sipd_cred cred = {"alice", "s3cret", NULL};
	osip_message_t *ch, *req, *again;
	osip_authorization_t *a;
	char err[200], resp[65], want[65], cnonce[64], nc[16], uri[64],
	    user[32];
	char *s = NULL;
	size_t len;

	(void)state;
	ch = challenge(401, "WWW-Authenticate: Digest realm=\"t.example\", "
			    "nonce=\"abc\", algorithm=SHA-256, qop=\"auth\", "
			    "opaque=\"xyz\"\r\n");
	req = request();
	assert_int_equal(sipd_auth_answer(&st, &cred, ch, req, err,
					  sizeof(err)),
			 0);
	a = osip_list_get(&req->authorizations, 0);
	assert_non_null(a);
	cred_param(a, "response", resp, sizeof(resp));
	cred_param(a, "cnonce", cnonce, sizeof(cnonce));
	cred_param(a, "nc", nc, sizeof(nc));
	cred_param(a, "uri", uri, sizeof(uri));
	cred_param(a, "username", user, sizeof(user));
	assert_string_equal(nc, "00000001");
	assert_string_equal(uri, "sip:t.example");
	assert_string_equal(user, "alice");
	assert_string_equal(a->algorithm, "SHA-256");
	assert_string_equal(a->opaque, "\"xyz\"");
	assert_int_equal(sipd_auth_response(SIPD_AUTH_SHA256, "alice",
					    "t.example", "s3cret", "REGISTER",
					    "sip:t.example", "abc", nc, cnonce,
					    "auth", want, sizeof(want)),
			 0);
	assert_string_equal(resp, want);
	/* The header as it goes on the wire never holds the password. */
	assert_int_equal(osip_message_to_str(req, &s, &len), 0);
	assert_non_null(strstr(s, "Authorization: Digest username=\"alice\""));
	assert_null(strstr(s, "s3cret"));
	osip_free(s);

	/* The same realm again, not stale: our answer was refused. */
	again = request();
	assert_int_equal(sipd_auth_answer(&st, &cred, ch, again, err,
					  sizeof(err)),
			 -EACCES);
	assert_non_null(strstr(err, "authentication rejected"));
	assert_null(strstr(err, "s3cret"));
	osip_message_free(again);
	osip_message_free(ch);

	/* stale=true with the same nonce: answered, the count goes up. */
	ch = challenge(401, "WWW-Authenticate: Digest realm=\"t.example\", "
			    "nonce=\"abc\", stale=true, qop=\"auth\"\r\n");
	again = request();
	assert_int_equal(sipd_auth_answer(&st, &cred, ch, again, err,
					  sizeof(err)),
			 0);
	a = osip_list_get(&again->authorizations, 0);
	cred_param(a, "nc", nc, sizeof(nc));
	assert_string_equal(nc, "00000002");
	osip_message_free(again);
	osip_message_free(ch);

	/* After a success, a new challenge is answered with a new nonce. */
	sipd_auth_accepted(&st);
	ch = challenge(407, "Proxy-Authenticate: Digest realm=\"t.example\", "
			    "nonce=\"def\", algorithm=MD5\r\n");
	again = request();
	assert_int_equal(sipd_auth_answer(&st, &cred, ch, again, err,
					  sizeof(err)),
			 0);
	assert_true(osip_list_size(&again->authorizations) == 0);
	a = osip_list_get(&again->proxy_authorizations, 0);
	assert_non_null(a);
	assert_null(a->nonce_count); /* no qop: no nc, no cnonce */
	cred_param(a, "response", resp, sizeof(resp));
	assert_int_equal(sipd_auth_response(SIPD_AUTH_MD5, "alice",
					    "t.example", "s3cret", "REGISTER",
					    "sip:t.example", "def", NULL, NULL,
					    NULL, want, sizeof(want)),
			 0);
	assert_string_equal(resp, want);
	osip_message_free(again);
	osip_message_free(ch);
	osip_message_free(req);

	/* No password configured: a clear error, nothing sent. */
	cred.password = NULL;
	ch = challenge(401, "WWW-Authenticate: Digest realm=\"r\", "
			    "nonce=\"n\"\r\n");
	req = request();
	assert_int_equal(sipd_auth_answer(&st, &cred, ch, req, err,
					  sizeof(err)),
			 -ENOKEY);
	assert_non_null(strstr(err, "no credentials are configured"));
	osip_message_free(req);
	osip_message_free(ch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rfc7616_md5),
	    cmocka_unit_test(rfc7616_sha256),
	    cmocka_unit_test(rfc2617),
	    cmocka_unit_test(pick_strongest),
	    cmocka_unit_test(answer_and_reject),
	};

	parser_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
