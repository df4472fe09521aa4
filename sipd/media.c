/*
 * media: the three requests sipd makes of mediad (holdslayer-bus(7)):
 * leg_open {call_id, leg} -> {addr, port} before the INVITE, leg_remote
 * {call_id, leg, addr, port, pt, dtmf_pt} once the far end's SDP is known,
 * and again with our direction when the far end offers anew (hold, resume,
 * a new address or codec), and leg_close {call_id, leg} when the leg is
 * over.  Each is a blocking
 * bus request on loopback (normally well under a millisecond).
 */
#include "sipd.h"

#include <errno.h>
#include <stdio.h>
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

int
sipd_media_open(struct sipd_leg *l, char *err, size_t errlen)
{
	json_object *req = media_req(l, "leg_open"), *reply = NULL;
	char e[256] = "";
	const char *addr;
	long port;
	int r;

	r = bus_request(daemon_bus(l->sd->d), "mediad", req, &reply, e,
			sizeof(e));
	json_object_put(req);
	if (r < 0) {
		/* bus.c words it "mediad is unreachable: ..." or
		 * "mediad: <its error>". */
		snprintf(err, errlen, "%s", e);
		goto out;
	}
	addr = bus_json_str(reply, "addr");
	port = bus_json_int(reply, "port", -1);
	if (addr == NULL || *addr == '\0' || strlen(addr) >= sizeof(l->rtp_addr) ||
	    port < 1 || port > 65535) {
		snprintf(err, errlen,
			 "mediad: leg_open reply lacks a valid addr and port");
		r = -EPROTO;
		goto out;
	}
	snprintf(l->rtp_addr, sizeof(l->rtp_addr), "%s", addr);
	l->rtp_port = (int)port;
	l->media_open = 1;
	r = 0;
out:
	json_object_put(reply);
	return r;
}

int
sipd_media_remote(struct sipd_leg *l, const char *addr, int port, int pt,
		  int dtmf_pt)
{
	json_object *req = media_req(l, "leg_remote"), *reply = NULL;
	char e[256] = "";
	int r;

	json_object_object_add(req, "addr", json_object_new_string(addr));
	json_object_object_add(req, "port", json_object_new_int(port));
	json_object_object_add(req, "pt", json_object_new_int(pt));
	json_object_object_add(req, "dtmf_pt", json_object_new_int(dtmf_pt));
	r = bus_request(daemon_bus(l->sd->d), "mediad", req, &reply, e,
			sizeof(e));
	if (r < 0)
		log_warnx("media: %s/%s: leg_remote failed: %s", l->call_id,
			  l->leg, e);
	json_object_put(req);
	json_object_put(reply);
	return r;
}

void
sipd_media_close(struct sipd_leg *l, int timeout_ms)
{
	json_object *req = media_req(l, "leg_close"), *reply = NULL;
	struct bus *b = daemon_bus(l->sd->d);
	char e[256] = "";
	int r;

	r = bus_call(b->zctx, daemon_conf(l->sd->d), "mediad", req, timeout_ms,
		     &reply, e, sizeof(e));
	if (r < 0)
		log_warnx("media: %s/%s: leg_close failed: %s", l->call_id,
			  l->leg, e);
	json_object_put(req);
	json_object_put(reply);
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
