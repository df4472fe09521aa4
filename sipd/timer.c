/*
 * timer: RFC 4028 session timers, as caller and as callee of the refresh.
 * Our INVITE says Supported: timer with the configured Session-Expires and
 * Min-SE ([sip] session_expires, min_se); a 422 is retried once with the
 * far end's larger Min-SE.  The 2xx names the interval and who refreshes
 * it.  When we refresh, we do it at half the interval (UPDATE when the far
 * end's Allow lists it, else a re-INVITE with our SDP unchanged); when the
 * far end refreshes, each of its re-INVITEs or UPDATEs restarts the clock.
 * A session left unrefreshed ends with BYE at the interval less a third
 * (at most 32 s), and call_ended says "session timer expired".
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define TIMER_MARGIN_MAX_S 32 /* RFC 4028 10: expire at SE - min(32, SE/3) */

enum { TIMER_BY_NONE, TIMER_BY_UAC, TIMER_BY_UAS };

/* The value of header name (or its compact form) number pos, or NULL. */
static const char *
hdr(const osip_message_t *m, const char *name, const char *compact, int pos)
{
	osip_header_t *h = NULL;
	osip_message_t *mm = (osip_message_t *)m;

	if (osip_message_header_get_byname(mm, name, pos, &h) >= 0 && h)
		return h->hvalue;
	if (compact && osip_message_header_get_byname(mm, compact, pos, &h) >= 0 &&
	    h)
		return h->hvalue;
	return NULL;
}

/* 1 if token (a method or option tag) is in a comma list header of m. */
static int
hdr_has_token(const osip_message_t *m, const char *name, const char *compact,
	      const char *token)
{
	size_t tl = strlen(token);
	const char *v;

	for (int i = 0; (v = hdr(m, name, compact, i)) != NULL; i++) {
		while (*v) {
			size_t n;
			v += strspn(v, " \t,");
			n = strcspn(v, " \t,;");
			if (n == tl && strncasecmp(v, token, n) == 0)
				return 1;
			v += n;
			v += strcspn(v, ",");
		}
	}
	return 0;
}

/* 1 if an Allow header of m (osip keeps them apart) lists UPDATE. */
static int
allows_update(const osip_message_t *m)
{
	osip_allow_t *a;

	for (int i = 0; (a = osip_list_get(&m->allows, i)) != NULL; i++)
		if (a->value && strcasecmp(a->value, "UPDATE") == 0)
			return 1;
	return 0;
}

/* Session-Expires of m: 0 with the interval and refresher, or -ENOENT. */
static int
se_parse(const osip_message_t *m, int *interval, int *by)
{
	const char *v = hdr(m, "session-expires", "x", 0), *r;
	char *end;
	long n;

	if (v == NULL)
		return -ENOENT;
	n = strtol(v, &end, 10);
	if (end == v || n < 1 || n > 86400 * 7)
		return -EINVAL;
	*interval = (int)n;
	*by = TIMER_BY_NONE;
	if ((r = strcasestr(end, "refresher")) != NULL) {
		r += 9;
		r += strspn(r, " \t=");
		if (strncasecmp(r, "uac", 3) == 0)
			*by = TIMER_BY_UAC;
		else if (strncasecmp(r, "uas", 3) == 0)
			*by = TIMER_BY_UAS;
	}
	return 0;
}

int
sipd_timer_min_se_of(const osip_message_t *m)
{
	const char *v;
	long best = 0;

	for (int i = 0; (v = hdr(m, "min-se", NULL, i)) != NULL; i++) {
		long n = strtol(v, NULL, 10);
		if (n > best && n <= 86400)
			best = n;
	}
	return (int)best;
}

static int
conf_min_se(const struct sipd_leg *l)
{
	int min = (int)daemon_conf(l->sd->d)->sip_min_se;
	return l->min_se > min ? l->min_se : min;
}

void
sipd_timer_add_headers(struct sipd_leg *l, osip_message_t *m)
{
	int se = l->se ? l->se
		       : (l->se_want ? l->se_want
				     : (int)daemon_conf(l->sd->d)
					   ->sip_session_expires);
	int min = conf_min_se(l);
	char buf[64];

	if (se < min)
		se = min;
	osip_message_set_header(m, "Supported", SIPD_SUPPORTED);
	/* In a running session only the refresher sends these: us. */
	if (l->se)
		snprintf(buf, sizeof(buf), "%d;refresher=uac", se);
	else
		snprintf(buf, sizeof(buf), "%d", se);
	osip_message_set_header(m, "Session-Expires", buf);
	snprintf(buf, sizeof(buf), "%d", min);
	osip_message_set_header(m, "Min-SE", buf);
}

void
sipd_timer_min_se_header(struct sipd_leg *l, osip_message_t *resp)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", conf_min_se(l));
	osip_message_set_header(resp, "Min-SE", buf);
}

int
sipd_timer_request(struct sipd_leg *l, const osip_message_t *req,
		   osip_message_t *resp)
{
	int iv, by, supported;
	char buf[64];

	supported = hdr_has_token(req, "supported", "k", "timer") ||
		    hdr_has_token(req, "require", NULL, "timer");
	if (se_parse(req, &iv, &by) < 0) {
		/* No Session-Expires: no session timer from now on. */
		if (l->se)
			log_info("timer: %s/%s: %s without Session-Expires: "
				 "session timer off",
				 l->call_id, l->leg, req->sip_method);
		l->se = 0;
		return 0;
	}
	if (iv < conf_min_se(l)) {
		log_info("timer: %s/%s: Session-Expires %d below our Min-SE "
			 "%d: 422",
			 l->call_id, l->leg, iv, conf_min_se(l));
		return 422;
	}
	/* Unnamed, the far end refreshes if it can (RFC 4028 9). */
	if (by == TIMER_BY_NONE)
		by = supported ? TIMER_BY_UAC : TIMER_BY_UAS;
	if (by == TIMER_BY_UAC && !supported)
		by = TIMER_BY_UAS;
	l->se = iv;
	l->se_refresher = by == TIMER_BY_UAS;
	snprintf(buf, sizeof(buf), "%d;refresher=%s", iv,
		 by == TIMER_BY_UAC ? "uac" : "uas");
	osip_message_set_header(resp, "Session-Expires", buf);
	if (by == TIMER_BY_UAC)
		osip_message_set_header(resp, "Require", "timer");
	return 0;
}

static void
timer_expire_cb(struct daemon *d, void *arg)
{
	struct sipd_leg *l = arg;

	(void)d;
	l->se_expire_timer = 0;
	if (l->state != SIPD_LEG_CONFIRMED)
		return;
	log_warnx("timer: %s/%s: no session refresh within %d s", l->call_id,
		  l->leg, l->se);
	sipd_leg_bye(l, "session timer expired");
	sipd_run(l->sd);
}

static void
timer_refresh_cb(struct daemon *d, void *arg)
{
	struct sipd_leg *l = arg;

	(void)d;
	l->se_refresh_timer = 0;
	if (l->state != SIPD_LEG_CONFIRMED || !l->se || !l->se_refresher)
		return;
	if (sipd_indialog_refresh(l) < 0)
		log_warnx("timer: %s/%s: cannot send the session refresh",
			  l->call_id, l->leg);
	sipd_run(l->sd);
}

void
sipd_timer_stop(struct sipd_leg *l)
{
	if (l->se_refresh_timer > 0)
		daemon_timer_cancel(l->sd->d, l->se_refresh_timer);
	if (l->se_expire_timer > 0)
		daemon_timer_cancel(l->sd->d, l->se_expire_timer);
	l->se_refresh_timer = l->se_expire_timer = 0;
}

void
sipd_timer_arm(struct sipd_leg *l)
{
	int margin;

	sipd_timer_stop(l);
	if (l->se <= 0 || l->state != SIPD_LEG_CONFIRMED)
		return;
	margin = l->se / 3 < TIMER_MARGIN_MAX_S ? l->se / 3 : TIMER_MARGIN_MAX_S;
	if (l->se_refresher)
		l->se_refresh_timer = daemon_timer_add(
		    l->sd->d, (int64_t)l->se * 500, timer_refresh_cb, l);
	l->se_expire_timer = daemon_timer_add(
	    l->sd->d, (int64_t)(l->se - margin) * 1000, timer_expire_cb, l);
	log_debug("timer: %s/%s: session interval %d s, %s refresh",
		  l->call_id, l->leg, l->se,
		  l->se_refresher ? "we" : "the far end");
}

void
sipd_timer_response(struct sipd_leg *l, const osip_message_t *resp)
{
	int iv, by;

	if (!osip_list_eol(&resp->allows, 0))
		l->peer_update = allows_update(resp);
	if (se_parse(resp, &iv, &by) < 0) {
		l->se = 0;
		sipd_timer_stop(l);
		return;
	}
	if (iv < conf_min_se(l))
		iv = conf_min_se(l);
	l->se = iv;
	/* The refresher is named relative to our request: uac is us. */
	l->se_refresher = by != TIMER_BY_UAS;
	log_info("timer: %s/%s: session interval %d s, refreshed by %s%s",
		 l->call_id, l->leg, iv, l->se_refresher ? "us" : "the far end",
		 l->se_refresher ? (l->peer_update ? " (UPDATE)"
						   : " (re-INVITE)")
				 : "");
	sipd_timer_arm(l);
}

int
sipd_timer_retry_422(struct sipd_leg *l, osip_transaction_t *tr,
		     const osip_message_t *resp)
{
	int min = sipd_timer_min_se_of(resp), cur;
	osip_message_t *inv, *copy = NULL;
	osip_body_t *b = NULL;

	cur = l->se_want ? l->se_want
			 : (int)daemon_conf(l->sd->d)->sip_session_expires;
	if (l->invite == NULL || min <= 0 || min <= cur || min > 86400 ||
	    (l->state != SIPD_LEG_CALLING && l->state != SIPD_LEG_EARLY)) {
		log_warnx("timer: %s/%s: 422 with Min-SE %d: not retried",
			  l->call_id, l->leg, min);
		return -EINVAL;
	}
	l->se_want = min;
	l->min_se = min;
	inv = sipd_leg_request(l, "INVITE", l->uri, ++l->cseq);
	if (inv == NULL)
		return -ENOMEM;
	if (osip_message_get_body(l->invite, 0, &b) >= 0 && b && b->body) {
		char cl[24];
		osip_message_set_content_type(inv, "application/sdp");
		osip_message_set_body(inv, b->body, b->length);
		snprintf(cl, sizeof(cl), "%zu", b->length);
		osip_content_length_free(inv->content_length);
		inv->content_length = NULL;
		osip_message_set_content_length(inv, cl);
	}
	if (osip_message_clone(inv, &copy) != 0) {
		osip_message_free(inv);
		return -ENOMEM;
	}
	/* The old transaction only absorbs repeats of the 422 now. */
	osip_transaction_set_your_instance(tr, NULL);
	l->refs--;
	osip_message_free(l->invite);
	l->invite = copy;
	log_info("timer: %s/%s: 422 (Min-SE %d): INVITE again with "
		 "Session-Expires %d",
		 l->call_id, l->leg, min, min);
	return sipd_leg_send(l, ICT, inv);
}
