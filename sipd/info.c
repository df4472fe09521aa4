/*
 * info: DTMF by SIP INFO for a far end that took no RFC 4733
 * telephone-event in its answer.  The body is application/dtmf-relay, the
 * format most PBXes and trunks read ("Signal=5\r\nDuration=160\r\n"); one
 * INFO carries one digit, and the next goes out once the previous one has
 * its final answer (or none came), so that the far end sees them in order.
 * The digits may be a PIN or an account number: they are never logged.
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define INFO_DIGITS "0123456789*#ABCD"
#define INFO_MS_MIN 40
#define INFO_MS_MAX 2000

static struct sipd_leg *
info_leg(struct sipd *sd, const char *call_id, const char *leg)
{
	for (struct sipd_leg *l = sd->legs; l; l = l->next)
		if (l->state == SIPD_LEG_CONFIRMED && !l->reported &&
		    strcmp(l->call_id, call_id) == 0 &&
		    strcmp(l->leg, leg) == 0)
			return l;
	return NULL;
}

/* Sends the INFO of info_digits[info_pos]; on failure skips to the end. */
static void
info_send(struct sipd_leg *l)
{
	osip_message_t *m;
	char body[64], cl[16];
	int n;

	l->info_cseq = 0;
	if (l->info_digits[l->info_pos] == '\0' ||
	    l->state != SIPD_LEG_CONFIRMED) {
		l->info_digits[0] = '\0';
		l->info_pos = 0;
		return;
	}
	n = snprintf(body, sizeof(body), "Signal=%c\r\nDuration=%d\r\n",
		     l->info_digits[l->info_pos], l->info_ms);
	m = sipd_leg_request(l, "INFO", NULL, ++l->cseq);
	if (m == NULL)
		goto fail;
	osip_message_set_content_type(m, "application/dtmf-relay");
	osip_message_set_body(m, body, (size_t)n);
	snprintf(cl, sizeof(cl), "%d", n);
	osip_content_length_free(m->content_length);
	m->content_length = NULL;
	osip_message_set_content_length(m, cl);
	l->info_cseq = l->cseq;
	if (sipd_leg_send(l, NICT, m) < 0)
		goto fail;
	return;
fail:
	log_warnx("info: %s/%s: cannot send the INFO of digit %d of %zu; "
		  "the rest are dropped",
		  l->call_id, l->leg, l->info_pos + 1, strlen(l->info_digits));
	l->info_cseq = 0;
	l->info_digits[0] = '\0';
	l->info_pos = 0;
}

int
sipd_info_dtmf(struct sipd *sd, const char *call_id, const char *leg,
	       const char *digits, long duration_ms, char *err, size_t errlen)
{
	struct sipd_leg *l;
	size_t have, n;

	if (call_id == NULL || *call_id == '\0' || leg == NULL ||
	    msg_leg_from_name(leg) < 0) {
		snprintf(err, errlen, "dtmf: needs call_id and leg "
				      "(\"company\" or \"user\")");
		return -EINVAL;
	}
	if (digits == NULL || *digits == '\0' ||
	    strspn(digits, INFO_DIGITS) != strlen(digits)) {
		snprintf(err, errlen, "dtmf: digits must be 1 to %d of %s",
			 SIPD_INFO_DIGITS_MAX, INFO_DIGITS);
		return -EINVAL;
	}
	if (duration_ms == 0)
		duration_ms = SIPD_INFO_MS_DEFAULT;
	if (duration_ms < INFO_MS_MIN || duration_ms > INFO_MS_MAX) {
		snprintf(err, errlen, "dtmf: duration_ms must be %d to %d",
			 INFO_MS_MIN, INFO_MS_MAX);
		return -EINVAL;
	}
	if ((l = info_leg(sd, call_id, leg)) == NULL) {
		snprintf(err, errlen, "dtmf: call %s has no connected %s leg",
			 call_id, leg);
		return -ENOENT;
	}
	have = strlen(l->info_digits);
	n = strlen(digits);
	if (have + n > SIPD_INFO_DIGITS_MAX) {
		snprintf(err, errlen,
			 "dtmf: %zu digits wait already; at most %d",
			 have - (size_t)l->info_pos, SIPD_INFO_DIGITS_MAX);
		return -EBUSY;
	}
	memcpy(l->info_digits + have, digits, n + 1);
	l->info_ms = (int)duration_ms;
	log_info("info: %s/%s: %zu digit(s) queued for INFO", l->call_id,
		 l->leg, n);
	if (l->info_cseq == 0)
		info_send(l);
	sipd_run(sd);
	return (int)n;
}

int
sipd_info_response(struct sipd_leg *l, osip_transaction_t *tr,
		   osip_message_t *m)
{
	osip_message_t *req = tr ? tr->orig_request : NULL;

	if (req == NULL || !MSG_IS_INFO(req) || req->cseq == NULL ||
	    req->cseq->number == NULL || l->info_cseq == 0 ||
	    atoi(req->cseq->number) != l->info_cseq)
		return 0;
	if (m == NULL || m->status_code >= 300)
		log_warnx("info: %s/%s: digit %d: %d %s", l->call_id, l->leg,
			  l->info_pos + 1, m ? m->status_code : 408,
			  m && m->reason_phrase ? m->reason_phrase
						: "no answer");
	l->info_pos++;
	info_send(l);
	return 1;
}
