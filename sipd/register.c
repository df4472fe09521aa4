/*
 * register: sipd's registration with the trunk ([trunk] register = yes).
 * One Call-ID and From tag serve every REGISTER (RFC 3261 10.2); each one
 * asks for [trunk] expires seconds and answers a 401/407 with digest
 * credentials (auth.c).  A binding is refreshed at half the expiry the
 * registrar granted (its Contact "expires", else its Expires header); a
 * failure is retried after a backoff that doubles up to a cap.  Each change
 * of state is published as a "registration" event (holdslayer-bus(7)) and
 * shows in sipd's status reply.  On a clean stop the binding is removed
 * (Expires: 0), waiting a bounded time for the answer.
 */
#include "sipd.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Retry after a failure: first wait, doubled per failure up to the cap. */
#define REG_BACKOFF_FIRST_MS 5000
#define REG_BACKOFF_MAX_MS 300000
/* Never refresh more often than this, whatever the registrar grants. */
#define REG_REFRESH_MIN_S 5

static const char *const reg_state_names[] = {
    "off", "registering", "registered", "failed", "unregistered"};

static void reg_send(struct sipd *sd, int expires, const osip_message_t *ch);

static void
reg_publish(struct sipd *sd, int retry_ms)
{
	struct sipd_reg *r = &sd->reg;
	const struct conf *c = daemon_conf(sd->d);
	json_object *o = json_object_new_object();
	char aor[320];

	snprintf(aor, sizeof(aor), "sip:%s@%s", c->trunk_username,
		 sd->trunk.domain);
	json_object_object_add(o, "state",
			       json_object_new_string(reg_state_names[r->state]));
	json_object_object_add(o, "registrar",
			       json_object_new_string(c->trunk_proxy));
	json_object_object_add(o, "aor", json_object_new_string(aor));
	json_object_object_add(o, "expires",
			       json_object_new_int(r->state ==
							   SIPD_REG_REGISTERED
						       ? r->granted
						       : 0));
	if (r->state == SIPD_REG_FAILED) {
		json_object_object_add(o, "reason",
				       json_object_new_string(r->reason));
		json_object_object_add(o, "retry_in_s",
				       json_object_new_int(retry_ms / 1000));
	}
	bus_publish(daemon_bus(sd->d), MSG_registration, "", o);
}

static void
reg_timer_clear(struct sipd *sd)
{
	if (sd->reg.timer > 0)
		daemon_timer_cancel(sd->d, sd->reg.timer);
	sd->reg.timer = 0;
}

static void
reg_retry_cb(struct daemon *d, void *arg)
{
	struct sipd *sd = arg;

	sd->reg.timer = 0;
	reg_send(sd, (int)daemon_conf(d)->trunk_expires, NULL);
	sipd_run(sd);
}

static void
reg_failure(struct sipd *sd, const char *reason)
{
	struct sipd_reg *r = &sd->reg;
	int64_t wait = REG_BACKOFF_FIRST_MS;
	int changed = r->state != SIPD_REG_FAILED;

	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	r->state = SIPD_REG_FAILED;
	if (r->unregistering) {
		log_warnx("register: unregistering from %s failed: %s",
			  daemon_conf(sd->d)->trunk_proxy, reason);
		return;
	}
	for (int i = 0; i < r->failures && wait < REG_BACKOFF_MAX_MS; i++)
		wait *= 2;
	if (wait > REG_BACKOFF_MAX_MS)
		wait = REG_BACKOFF_MAX_MS;
	r->failures++;
	log_warnx("register: %s failed: %s; retrying in %d s",
		  daemon_conf(sd->d)->trunk_proxy, reason, (int)(wait / 1000));
	if (changed)
		reg_publish(sd, (int)wait);
	reg_timer_clear(sd);
	sipd_auth_accepted(&r->auth); /* a fresh start next time */
	r->timer = daemon_timer_add(sd->d, wait, reg_retry_cb, sd);
}

/* Seconds granted by a 2xx: our Contact's expires, else Expires. */
static int
reg_granted(struct sipd *sd, osip_message_t *m)
{
	osip_contact_t *ct = NULL;
	osip_header_t *h = NULL;
	int port = sd->port;

	for (int i = 0; osip_message_get_contact(m, i, &ct) >= 0; i++) {
		osip_generic_param_t *ex = NULL;
		if (ct == NULL || ct->url == NULL || ct->url->username == NULL ||
		    strcmp(ct->url->username,
			   daemon_conf(sd->d)->sip_contact_user) != 0 ||
		    (ct->url->port ? atoi(ct->url->port) : 5060) != port)
			continue;
		if (osip_contact_param_get_byname(ct, "expires", &ex) == 0 &&
		    ex && ex->gvalue)
			return atoi(ex->gvalue);
	}
	if (osip_message_header_get_byname(m, "expires", 0, &h) >= 0 && h &&
	    h->hvalue)
		return atoi(h->hvalue);
	return sd->reg.requested;
}

static void
reg_response(void *arg, osip_transaction_t *tr, osip_message_t *m)
{
	struct sipd *sd = arg;
	struct sipd_reg *r = &sd->reg;
	char why[200];
	int code = m->status_code;

	if (tr != r->tr || code < 200)
		return;
	r->tr = NULL;
	if (code == 401 || code == 407) {
		reg_send(sd, r->requested, m);
		return;
	}
	if (code == 423) {
		osip_header_t *h = NULL;
		int min = 0;
		if (osip_message_header_get_byname(m, "min-expires", 0, &h) >=
			0 &&
		    h && h->hvalue)
			min = atoi(h->hvalue);
		if (min > r->requested && min <= 86400) {
			log_info("register: %s wants at least %d s",
				 daemon_conf(sd->d)->trunk_proxy, min);
			reg_send(sd, min, NULL);
			return;
		}
	}
	if (code >= 300) {
		snprintf(why, sizeof(why), "%d %s", code,
			 m->reason_phrase ? m->reason_phrase : "");
		reg_failure(sd, why);
		return;
	}
	sipd_auth_accepted(&r->auth);
	if (r->unregistering) {
		r->state = SIPD_REG_UNREGISTERED;
		r->granted = 0;
		log_info("register: unregistered from %s",
			 daemon_conf(sd->d)->trunk_proxy);
		reg_publish(sd, 0);
		return;
	}
	r->granted = reg_granted(sd, m);
	if (r->granted <= 0) {
		reg_failure(sd, "the registrar granted no time");
		return;
	}
	r->until_ms = msg_mono_ms() + (int64_t)r->granted * 1000;
	r->failures = 0;
	r->reason[0] = '\0';
	reg_timer_clear(sd);
	r->timer = daemon_timer_add(
	    sd->d,
	    (int64_t)(r->granted / 2 > REG_REFRESH_MIN_S ? r->granted / 2
							   : REG_REFRESH_MIN_S) *
		1000,
	    reg_retry_cb, sd);
	if (r->state != SIPD_REG_REGISTERED) {
		r->state = SIPD_REG_REGISTERED;
		log_info("register: registered with %s for %d s",
			 daemon_conf(sd->d)->trunk_proxy, r->granted);
		reg_publish(sd, 0);
	} else {
		log_debug("register: refreshed with %s for %d s",
			  daemon_conf(sd->d)->trunk_proxy, r->granted);
	}
}

static void
reg_failed(void *arg, osip_transaction_t *tr, const char *why)
{
	struct sipd *sd = arg;
	char reason[96];

	if (tr != sd->reg.tr)
		return;
	sd->reg.tr = NULL;
	snprintf(reason, sizeof(reason), "no answer from the registrar (%s)",
		 why);
	reg_failure(sd, reason);
}

static void
reg_killed(void *arg, osip_transaction_t *tr)
{
	struct sipd *sd = arg;

	if (sd->reg.tr == tr)
		sd->reg.tr = NULL;
}

/*
 * Sends a REGISTER for expires seconds; with ch (a 401/407) it carries the
 * answer to that challenge, and a refused answer is a failure.
 */
static void
reg_send(struct sipd *sd, int expires, const osip_message_t *ch)
{
	struct sipd_reg *r = &sd->reg;
	const struct conf *c = daemon_conf(sd->d);
	osip_message_t *req;
	char ex[16], err[256];

	if (r->tr != NULL)
		return; /* one at a time; its answer reschedules */
	req = sipd_trunk_request_new(sd, "REGISTER", c->trunk_username,
				     r->call_id, r->from_tag, ++r->cseq);
	if (req == NULL && errno == EINPROGRESS) {
		r->cseq--; /* sent once the trunk's name is resolved */
		return;
	}
	if (req == NULL) {
		reg_failure(sd, "cannot build the REGISTER");
		return;
	}
	snprintf(ex, sizeof(ex), "%d", expires);
	osip_message_set_expires(req, ex);
	r->requested = expires;
	if (ch != NULL) {
		struct sipd_cred cred;
		sipd_trunk_cred(sd, &cred);
		if (sipd_auth_answer(&r->auth, &cred, ch, req, err,
				     sizeof(err)) < 0) {
			char why[300];
			osip_message_free(req);
			snprintf(why, sizeof(why), "%d %s: %s", ch->status_code,
				 ch->reason_phrase ? ch->reason_phrase : "",
				 err);
			reg_failure(sd, why);
			return;
		}
	}
	if (sipd_trunk_send(sd, req, &r->owner, &r->tr) < 0)
		reg_failure(sd, "cannot start the REGISTER transaction");
}

void
sipd_register_resolved(struct sipd *sd, const char *err)
{
	struct sipd_reg *r = &sd->reg;

	if ((r->state != SIPD_REG_REGISTERING && r->state != SIPD_REG_FAILED) ||
	    r->tr != NULL || r->unregistering)
		return;
	if (err != NULL) {
		reg_failure(sd, err);
		return;
	}
	reg_timer_clear(sd);
	r->timer = daemon_timer_add(sd->d, 0, reg_retry_cb, sd);
}

void
sipd_register_start(struct sipd *sd)
{
	struct sipd_reg *r = &sd->reg;
	char id[25];

	sipd_random_hex(id, 24);
	snprintf(r->call_id, sizeof(r->call_id), "%s@holdslayer", id);
	sipd_random_hex(r->from_tag, 16);
	r->owner = (struct sipd_nict_owner){
	    .response = reg_response,
	    .failed = reg_failed,
	    .killed = reg_killed,
	    .arg = sd,
	};
	if (!daemon_conf(sd->d)->trunk_register) {
		r->state = SIPD_REG_OFF;
		return;
	}
	r->state = SIPD_REG_REGISTERING;
	log_info("register: registering %s with %s",
		 daemon_conf(sd->d)->trunk_username,
		 daemon_conf(sd->d)->trunk_proxy);
	r->timer = daemon_timer_add(sd->d, 0, reg_retry_cb, sd);
}

void
sipd_register_stop(struct sipd *sd, int wait_ms)
{
	struct sipd_reg *r = &sd->reg;
	int64_t end;

	reg_timer_clear(sd);
	if (r->state != SIPD_REG_REGISTERED) {
		sipd_trunk_disown(sd, r->tr);
		r->tr = NULL;
		return;
	}
	r->unregistering = 1;
	sipd_trunk_disown(sd, r->tr); /* a refresh in flight: forget it */
	r->tr = NULL;
	sipd_auth_accepted(&r->auth);
	reg_send(sd, 0, NULL);
	sipd_run_now(sd); /* the loop is over: osip runs here */
	end = msg_mono_ms() + wait_ms;
	while (r->state == SIPD_REG_REGISTERED && msg_mono_ms() < end) {
		sipd_transport_poll(sd, 50);
		sipd_run_now(sd);
	}
	if (r->state == SIPD_REG_REGISTERED)
		log_warnx("register: no answer to the unREGISTER within %d ms; "
			  "the binding expires on its own",
			  wait_ms);
	sipd_trunk_disown(sd, r->tr);
	r->tr = NULL;
}

void
sipd_register_status(struct sipd *sd, json_object *reply)
{
	struct sipd_reg *r = &sd->reg;
	json_object *o = json_object_new_object();
	int64_t left = 0;

	json_object_object_add(o, "state",
			       json_object_new_string(reg_state_names[r->state]));
	json_object_object_add(
	    o, "registrar",
	    json_object_new_string(daemon_conf(sd->d)->trunk_proxy));
	if (r->state == SIPD_REG_REGISTERED) {
		left = (r->until_ms - msg_mono_ms()) / 1000;
		if (left < 0)
			left = 0;
	}
	json_object_object_add(o, "expires", json_object_new_int((int)left));
	if (r->state == SIPD_REG_FAILED)
		json_object_object_add(o, "reason",
				       json_object_new_string(r->reason));
	json_object_object_add(reply, "registration", o);
}
