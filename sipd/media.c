/*
 * media: the three requests sipd makes of mediad (holdslayer-bus(7)):
 * leg_open {call_id, leg} -> {addr, port} before the INVITE, leg_remote
 * {call_id, leg, addr, port, pt, dtmf_pt} once the far end's SDP is known,
 * and again with our direction when the far end offers anew (hold, resume,
 * a new address or codec), and leg_close {call_id, leg} when the leg is
 * over.  None of them waits:
 * each is an asynchronous bus request (daemon_request), so a slow or absent
 * mediad never keeps sipd from reading its SIP socket.  leg_open's answer
 * goes to sipd_dialog_media_opened(); leg_remote and leg_close are fire
 * and forget, their failures logged.  A leg freed while its leg_open is on
 * its way gets a leg_close after it, so mediad does not keep the port.
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static json_object *
media_req(const struct sipd_leg *l, const char *cmd)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	json_object_object_add(o, "call_id", json_object_new_string(l->call_id));
	json_object_object_add(o, "leg", json_object_new_string(l->leg));
	return o;
}

/* What a fire-and-forget request remembers for its log line: the leg may be
 * gone when the answer comes. */
struct media_note {
	char what[16];
	char call_id[MSG_CALL_ID_MAX];
	char leg[16];
};

static void
media_note_cb(void *arg, enum bus_reply_status st, json_object *reply,
	      const char *err)
{
	struct media_note *n = arg;

	(void)reply;
	if (st != BUS_REPLY_OK)
		log_warnx("media: %s/%s: %s failed: %s", n->call_id, n->leg,
			  n->what, err);
	free(n);
}

/* Sends req (consumed) about call_id/leg, logging a failure later. */
static int
media_send(struct sipd *sd, const char *what, const char *call_id,
	   const char *leg, json_object *req, int timeout_ms)
{
	struct media_note *n = calloc(1, sizeof(*n));
	char e[300] = "";
	int64_t r;

	if (n == NULL) {
		json_object_put(req);
		log_warnx("media: %s/%s: %s not sent: out of memory", call_id,
			  leg, what);
		return -ENOMEM;
	}
	snprintf(n->what, sizeof(n->what), "%s", what);
	snprintf(n->call_id, sizeof(n->call_id), "%s", call_id);
	snprintf(n->leg, sizeof(n->leg), "%s", leg);
	r = daemon_request(sd->d, "mediad", req, timeout_ms, NULL,
			   media_note_cb, n, e, sizeof(e));
	json_object_put(req);
	if (r < 0) {
		log_warnx("media: %s/%s: %s failed: %s", call_id, leg, what, e);
		free(n);
		return (int)r;
	}
	return 0;
}

static void
media_open_cb(void *arg, enum bus_reply_status st, json_object *reply,
	      const char *err)
{
	struct sipd_leg *l = arg;
	const char *addr;
	long port;

	l->media_opening = 0;
	l->sd->media_waiting--;
	l->sd->media_slow = msg_mono_ms() - l->media_asked;
	if (st == BUS_REPLY_TIMEOUT) {
		/* The request may still reach mediad: undo it then. */
		media_send(l->sd, "leg_close", l->call_id, l->leg,
			   media_req(l, "leg_close"), 0);
	}
	if (st != BUS_REPLY_OK) {
		/* bus.c words it "mediad is unreachable: ..." or
		 * "mediad: <its error>". */
		sipd_dialog_media_opened(l, err);
		return;
	}
	/* mediad holds a port for this leg from now on, whatever follows. */
	l->media_open = 1;
	addr = bus_json_str(reply, "addr");
	port = bus_json_int(reply, "port", -1);
	if (addr == NULL || *addr == '\0' || strlen(addr) >= sizeof(l->rtp_addr) ||
	    port < 1 || port > 65535) {
		sipd_dialog_media_opened(
		    l, "mediad: leg_open reply lacks a valid addr and port");
		return;
	}
	snprintf(l->rtp_addr, sizeof(l->rtp_addr), "%s", addr);
	l->rtp_port = (int)port;
	if (l->state != SIPD_LEG_STARTING) {
		/* Hung up meanwhile and already reported: give it back. */
		sipd_media_close(l, 0);
		l->media_open = 0;
		return;
	}
	sipd_dialog_media_opened(l, NULL);
}

int
sipd_media_open(struct sipd_leg *l, char *err, size_t errlen)
{
	json_object *req = media_req(l, "leg_open");
	int64_t r;

	r = daemon_request(l->sd->d, "mediad", req, 0, l, media_open_cb, l,
			   err, errlen);
	json_object_put(req);
	if (r < 0)
		return (int)r;
	l->media_opening = 1;
	l->media_asked = msg_mono_ms();
	l->sd->media_waiting++;
	return 0;
}

int
sipd_media_remote(struct sipd_leg *l, const char *addr, int port, int pt,
		  int dtmf_pt)
{
	json_object *req = media_req(l, "leg_remote");

	json_object_object_add(req, "addr", json_object_new_string(addr));
	json_object_object_add(req, "port", json_object_new_int(port));
	json_object_object_add(req, "pt", json_object_new_int(pt));
	json_object_object_add(req, "dtmf_pt", json_object_new_int(dtmf_pt));
	return media_send(l->sd, "leg_remote", l->call_id, l->leg, req, 0);
}

void
sipd_media_close(struct sipd_leg *l, int timeout_ms)
{
	media_send(l->sd, "leg_close", l->call_id, l->leg,
		   media_req(l, "leg_close"), timeout_ms);
}

void
sipd_media_forget(struct sipd_leg *l)
{
	daemon_request_cancel(l->sd->d, l);
	if (l->media_opening) {
		/* Queued behind the leg_open on the same socket, so mediad
		 * sees the two in order. */
		l->media_opening = 0;
		l->sd->media_waiting--;
		sipd_media_close(l, 0);
	}
}

int
sipd_media_update(struct sipd_leg *l, const struct sipd_sdp_answer *a,
		  int our_dir)
{
	json_object *req = media_req(l, "leg_remote"), *reply = NULL;
	char e[256] = "";
	int r;

	json_object_object_add(req, "addr", json_object_new_string(a->addr));
	json_object_object_add(req, "port", json_object_new_int(a->port));
	json_object_object_add(req, "pt", json_object_new_int(a->pt));
	json_object_object_add(req, "dtmf_pt", json_object_new_int(a->dtmf_pt));
	json_object_object_add(req, "direction",
			       json_object_new_string(sipd_sdp_dir_name(our_dir)));
	r = bus_request(daemon_bus(l->sd->d), "mediad", req, &reply, e,
			sizeof(e));
	if (r < 0)
		log_warnx("media: %s/%s: leg_remote failed: %s", l->call_id,
			  l->leg, e);
	json_object_put(req);
	json_object_put(reply);
	return r;
}
