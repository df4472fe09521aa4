/*
 * sipd: the SIP user agent of Hold Slayer.  It places calls (INVITE with an
 * SDP offer, ACK for 2xx, CANCEL, BYE) and answers the few requests a
 * calling-only agent must answer, over one UDP socket, with the libosip2
 * parser and transaction state machines (ICT, NICT, IST, NIST).  Control
 * commands come from the bus (dial, hangup); progress goes out as events
 * (call_ringing, call_connected, call_ended, call_failed).  RTP itself is
 * mediad's: sipd only asks it for a local port (leg_open), tells it the far
 * end (leg_remote) and closes the leg (leg_close).
 *
 * Prototypes are grouped by source file.
 */
#ifndef HS_SIPD_H
#define HS_SIPD_H

#include <sys/time.h>

#include <osip2/osip.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/sdp_message.h>

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "daemon.h"
#include "msg.h"

#define SIPD_TICK_MS 20		/* osip timers and fifos run this often */
#define SIPD_CANCEL_GUARD_MS 32000 /* after CANCEL/BYE: give up waiting */
#define SIPD_MAX_PACKET 8192
#define SIPD_URI_MAX 512

enum sipd_leg_state {
	SIPD_LEG_STARTING,   /* waiting for mediad's port (leg_open) */
	SIPD_LEG_CALLING,    /* INVITE sent, nothing but 100 heard */
	SIPD_LEG_EARLY,	     /* a 1xx other than 100 arrived */
	SIPD_LEG_CONFIRMED,  /* 2xx received and ACKed */
	SIPD_LEG_CANCELLING, /* CANCEL sent, waiting for the final answer */
	SIPD_LEG_BYE_SENT,   /* BYE sent, waiting for its answer */
	SIPD_LEG_DONE,	     /* over; freed once no transaction refers to it */
};

/* One call leg: one INVITE dialog with one far end. */
struct sipd_leg {
	struct sipd_leg *next;
	struct sipd *sd;
	char call_id[MSG_CALL_ID_MAX]; /* ours (apid's UUID) */
	char leg[16];		       /* "company" or "user" */
	char *uri;		       /* the dialled URI */
	char sip_call_id[64];	       /* the SIP Call-ID */
	char local_tag[24];
	char *remote_tag;	/* To tag of the 2xx */
	char *remote_target;	/* Contact URI of the 2xx */
	osip_list_t route_set;	/* osip_route_t: reversed Record-Route */
	char local_ip[64];	/* our address towards the far end */
	osip_message_t *invite; /* owned copy of the INVITE sent */
	osip_message_t *ack;	/* the ACK for the 2xx, re-sent on a repeat */
	int cseq;		/* last local CSeq number used */
	enum sipd_leg_state state;
	int last_ringing;	/* 180 or 183 once published */
	int timed_out;		/* the INVITE timer fired */
	int reported;		/* the final event was published */
	int media_open;		/* mediad leg_open succeeded */
	int media_opening;	/* leg_open sent, no answer yet */
	int64_t media_asked;	/* when (mono ms) leg_open was sent */
	int refs;		/* osip transactions pointing at this leg */
	const char *end_reason; /* for call_ended once the BYE/CANCEL ends */
	int64_t timer;		/* start, INVITE timeout or guard timer */
	char rtp_addr[64];
	int rtp_port;
};

struct sipd {
	struct daemon *d;
	osip_t *osip;
	int fd;
	struct sockaddr_storage bound;
	socklen_t boundlen;
	char bound_ip[64];	/* "" when bound to a wildcard address */
	char listen_host[64];	/* as configured */
	int port;		/* the real bound port */
	struct sipd_leg *legs;
	osip_list_t garbage;	/* killed transactions, freed after a turn */
	int64_t tick;
	int64_t run;		/* the pending sipd_run() timer, or 0 */
	int media_waiting;	/* leg_open requests without an answer yet */
	int64_t media_slow;	/* ms the last leg_open answer took (or its
				 * timeout) */
};

/* sipd.c */
/* Has osip's machines run (sending what they queued) at the top of the
 * next loop turn; the SIP tick runs the timers and frees finished legs. */
void sipd_run(struct sipd *sd);

/* transport.c: the UDP socket and the osip send callback. */
int sipd_transport_open(struct sipd *sd, const char *listen, char *err,
			size_t errlen);
void sipd_transport_close(struct sipd *sd);
int sipd_transport_send_cb(osip_transaction_t *tr, osip_message_t *m,
			   char *host, int port, int out_socket);
/* Sends m (not a transaction's) to host:port.  0 or negative errno. */
int sipd_transport_send(struct sipd *sd, osip_message_t *m, const char *host,
			int port);
/* Our IP address as the far end host sees it (out: at least 64 bytes). */
int sipd_transport_local_ip(struct sipd *sd, const char *host, char *out,
			    size_t outlen);

/* check.c: sanity checks on received datagrams. */
/*
 * Checks a received datagram before osip sees it.  0 when it is a SIP
 * message worth handling; otherwise -EINVAL with why in err.  *keepalive is
 * set for a bare CRLF keep-alive (not an error, nothing to do).
 */
int sipd_packet_check(const char *buf, size_t len, int *keepalive,
		      char *err, size_t errlen);

/* message.c: building requests and responses. */
/* Fills out with n random hex digits (n + 1 bytes). */
void sipd_random_hex(char *out, size_t n);
/* A response to req (borrowed) with the given code; NULL on error. */
osip_message_t *sipd_response_new(const osip_message_t *req, int code,
				  const char *user_agent);
/* 1 if the parsed Call-ID c equals full ("number@host"), else 0. */
int sipd_call_id_match(const osip_call_id_t *c, const char *full);
/* Adds "SIP/2.0/UDP ip:port;rport;branch=z9hG4bK..." to m. */
int sipd_add_via(osip_message_t *m, const char *ip, int port);

/* dialog.c: the call legs. */
int sipd_dial(struct sipd *sd, const char *call_id, const char *leg,
	      const char *uri, char *err, size_t errlen);
int sipd_hangup(struct sipd *sd, const char *call_id, const char *leg);
struct sipd_leg *sipd_leg_find_dialog(struct sipd *sd,
				      const osip_call_id_t *sip_call_id,
				      const char *local_tag,
				      const char *remote_tag);
void sipd_dialog_stray_response(struct sipd *sd, osip_message_t *resp);
void sipd_dialog_remote_bye(struct sipd_leg *l);
int sipd_legs_active(const struct sipd *sd);
/* Appends {call_id, leg, uri, state} per leg to arr. */
void sipd_legs_status(const struct sipd *sd, json_object *arr);
void sipd_legs_sweep(struct sipd *sd);
/* The end of leg_open: err NULL once l has its RTP port, else why not. */
void sipd_dialog_media_opened(struct sipd_leg *l, const char *err);
void sipd_legs_shutdown(struct sipd *sd);
void sipd_dialog_set_callbacks(osip_t *osip);

/* server.c: incoming requests. */
void sipd_server_request(struct sipd *sd, osip_event_t *evt, const char *from,
			 int fromport);

/* media.c: what sipd asks mediad; nothing here waits for an answer. */
/*
 * Sends leg_open; sipd_dialog_media_opened() gets the outcome from a later
 * loop turn.  Returns 0, or a negative errno with err set (then no call
 * back).
 */
int sipd_media_open(struct sipd_leg *l, char *err, size_t errlen);
/* Sends leg_remote; 0 when sent (a failure later is logged). */
int sipd_media_remote(struct sipd_leg *l, const char *addr, int port, int pt,
		      int dtmf_pt);
/* Sends leg_close, answered within timeout_ms (<= 0: ctl_timeout_ms);
 * a failure is logged. */
void sipd_media_close(struct sipd_leg *l, int timeout_ms);
/* Before l is freed: drops its pending requests (closing in mediad a leg
 * whose leg_open is still on its way). */
void sipd_media_forget(struct sipd_leg *l);

/* sdp.c: offer and answer (pure, no I/O). */
struct sipd_sdp_answer {
	char addr[64];
	int port;
	int pt;	     /* 0 (PCMU) or 8 (PCMA) */
	int dtmf_pt; /* telephone-event payload type or -1 */
};
/*
 * Writes our offer (PCMU, PCMA, telephone-event 101, ptime 20, sendrecv) for
 * RTP on addr:port into buf.  Returns its length or -ENOSPC / -EINVAL.
 */
int sipd_sdp_offer(char *buf, size_t len, const char *addr, int port,
		   uint64_t sess_id);
/*
 * Reads an answer (body of len bytes, need not be NUL-terminated).  0 with
 * *out filled, or -EINVAL with why in err (no audio, no common codec, no
 * address...).
 */
int sipd_sdp_answer_parse(const char *body, size_t len,
			  struct sipd_sdp_answer *out, char *err,
			  size_t errlen);

/* uri.c: checks on what we are asked to dial and where we listen. */
/* 0 if uri is a sip: or sips: URI with a host that is safe to put in a
 * request line; otherwise -EINVAL with why in err. */
int sipd_uri_check(const char *uri, char *err, size_t errlen);
/* Splits "ADDRESS:PORT" or "[v6]:PORT"; -EINVAL if malformed. */
int sipd_hostport_parse(const char *s, char *host, size_t hostlen, int *port);

#endif
