/*
 * notifyd: the daemon that tells the user.  It subscribes to classifyd's
 * human_detected, sipd's call_ended (company leg) and ivrd's transfer_retry
 * (the user's phone is rung again while an agent waits) and info_missing
 * (the company asked for a value the call's info lacks) and sends each as a
 * webhook.  See notifyd(8).
 */
#include "notifyd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct notifyd {
	struct webhook *hook;
	long sent, failed;
};

static int
notifyd_init(struct daemon *d, void *state)
{
	struct notifyd *n = state;
	struct bus *b = daemon_bus(d);
	static const char *const cls[] = {"human_detected", NULL};
	static const char *const sip[] = {"call_ended", NULL};
	static const char *const ivr[] = {"transfer_retry", "info_missing",
					  NULL};
	int r;

	if ((r = webhook_new(&n->hook, d)) < 0) {
		log_warnx("webhook: cannot initialise libcurl");
		return r;
	}
	if ((r = bus_sub_connect(b, "classifyd", cls)) < 0 ||
	    (r = bus_sub_connect(b, "sipd", sip)) < 0 ||
	    (r = bus_sub_connect(b, "ivrd", ivr)) < 0)
		return r;
	if (daemon_conf(d)->notify_webhook_url[0] == '\0')
		log_notice("webhook: [notify] webhook_url is not set; events "
			   "will not be sent");
	return 0;
}

static void
notifyd_event(struct daemon *d, void *state, struct bus_in *in)
{
	struct notifyd *n = state;
	const struct conf *c = daemon_conf(d);
	const char *type;
	char *body;

	if (in->kind != BUS_IN_EVENT)
		return;
	type = msg_type_name(in->ev.type);
	if (in->ev.type == MSG_call_ended) {
		const char *leg = bus_json_str(in->ev.data, "leg");
		/* The call is over when the company leg ends. */
		if (leg == NULL || strcmp(leg, "company") != 0)
			return;
	} else if (in->ev.type != MSG_human_detected &&
		   in->ev.type != MSG_transfer_retry &&
		   in->ev.type != MSG_info_missing) {
		return;
	}
	if (c->notify_webhook_url[0] == '\0')
		return;
	body = webhook_body(type, in->ev.call_id, in->ev.ts, in->ev.src,
			    in->ev.seq, in->ev.data);
	if (body == NULL ||
	    webhook_post(n->hook, c->notify_webhook_url, type, in->ev.call_id,
			 body, c->notify_webhook_timeout_ms) < 0)
		log_warnx("webhook: cannot queue %s for call %s", type,
			  in->ev.call_id);
	free(body);
}

static void
notifyd_status(struct daemon *d, void *state, json_object *reply)
{
	struct notifyd *n = state;

	json_object_object_add(reply, "pending",
			       json_object_new_int(webhook_pending(n->hook)));
	json_object_object_add(
	    reply, "webhook_url",
	    json_object_new_string(daemon_conf(d)->notify_webhook_url));
}

static void
notifyd_fini(struct daemon *d, void *state)
{
	struct notifyd *n = state;

	(void)d;
	webhook_free(n->hook);
	n->hook = NULL;
}

int
main(int argc, char **argv)
{
	static struct notifyd n;
	static const struct daemon_ops ops = {
	    .name = "notifyd",
	    .summary = "notifyd sends Hold Slayer notifications (webhooks).",
	    .init = notifyd_init,
	    .event = notifyd_event,
	    .status = notifyd_status,
	    .fini = notifyd_fini,
	};

	return daemon_main(argc, argv, &ops, &n);
}
