/*
 * sipd: the SIP user agent of Hold Slayer.  It places calls (INVITE with an
 * SDP offer, ACK for 2xx, CANCEL, BYE), keeps them up through what the far
 * end does mid-call (re-INVITE, UPDATE, RFC 4028 session timers) and
 * answers the few requests a calling-only agent must answer, over one UDP
 * socket, with the libosip2 parser and transaction state machines (ICT,
 * NICT, IST, NIST).  Control commands come from the bus (dial, hangup);
 * progress goes out as events (call_ringing, call_connected, call_held,
 * call_resumed, call_ended, call_failed).  RTP itself is
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
/* The methods we answer (Allow), and the extensions we support. */
#define SIPD_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO"
#define SIPD_SUPPORTED "timer"
#define SIPD_FORKS_MAX 4 /* extra dialogs of a forked INVITE remembered */

enum sipd_leg_state {
	SIPD_LEG_STARTING,   /* waiting to ask mediad for a port */
	SIPD_LEG_CALLING,    /* INVITE sent, nothing but 100 heard */
	SIPD_LEG_EARLY,	     /* a 1xx other than 100 arrived */
	SIPD_LEG_CONFIRMED,  /* 2xx received and ACKed */
	SIPD_LEG_CANCELLING, /* CANCEL sent, waiting for the final answer */
	SIPD_LEG_BYE_SENT,   /* BYE sent, waiting for its answer */
	SIPD_LEG_DONE,	     /* over; freed once no transaction refers to it */
};

/* sdp.c: the far end's SDP as read. */
enum sipd_sdp_dir {
	SIPD_SDP_SENDRECV,
	SIPD_SDP_SENDONLY,
	SIPD_SDP_RECVONLY,
	SIPD_SDP_INACTIVE,
};
struct sipd_sdp_answer {
	char addr[64];
	int port;
	int pt;	     /* 0 (PCMU) or 8 (PCMA) */
	int dtmf_pt; /* telephone-event payload type or -1 */
	int dir;     /* enum sipd_sdp_dir, as the far end sees it */
	int hold_addr; /* c=0.0.0.0 (or ::): send nothing to addr */
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
	int refs;		/* osip transactions pointing at this leg */
	const char *end_reason; /* for call_ended once the BYE/CANCEL ends */
	int64_t timer;		/* start, INVITE timeout or guard timer */
	char rtp_addr[64];
	int rtp_port;
	int cancel_pending;	/* hangup before any 1xx: CANCEL at the first */
	/* indialog.c: the established dialog (RFC 3261 12.2, RFC 3264) */
	int remote_cseq;	/* last CSeq number of the far end; 0: none */
	uint64_t sdp_sess_id;	/* our o= line */
	uint64_t sdp_version;
	char *local_sdp;	/* the last SDP we sent */
	struct sipd_sdp_answer media; /* the far end's media as agreed */
	int media_known;	/* media holds the 2xx's answer */
	int our_dir;		/* enum sipd_sdp_dir of our last SDP */
	int held;		/* the far end has put us on hold */
	int64_t offer_pending;	/* when our re-INVITE went out (glare: 491) */
	osip_message_t *uas_2xx; /* our 2xx to their re-INVITE, until ACK */
	char *uas_2xx_branch;
	char uas_2xx_host[64];
	int uas_2xx_port;
	int uas_2xx_ms;
	int64_t uas_2xx_timer;
	osip_message_t *reinv_ack; /* the ACK of our last re-INVITE's 2xx */
	int reinv_cseq;
	char *fork_tag[SIPD_FORKS_MAX]; /* extra dialogs of a forked INVITE */
	osip_message_t *fork_ack[SIPD_FORKS_MAX];
	/* timer.c: the RFC 4028 session timer */
	int se;			/* session interval in seconds; 0: none */
	int min_se;		/* the Min-SE we send (grows on a 422) */
	int se_want;		/* the interval we ask for; 0: the config's */
	int se_refresher;	/* we refresh (else the far end does) */
	int peer_update;	/* the far end allows UPDATE */
	int64_t se_refresh_timer;
	int64_t se_expire_timer;
	int64_t se_retry_timer;
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
};

/* sipd.c */
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
void sipd_legs_shutdown(struct sipd *sd);
void sipd_dialog_set_callbacks(osip_t *osip);

/* Exported views of dialog.c's builders for indialog.c and timer.c. */
/* A request of the dialog to ruri (NULL: the remote target); NULL on
 * error.  The caller owns it. */
osip_message_t *sipd_leg_request(struct sipd_leg *l, const char *method,
				 const char *ruri, int cseq);
/* Sends req (consumed) in a new transaction of type t tied to l. */
int sipd_leg_send(struct sipd_leg *l, osip_fsm_type_t t, osip_message_t *req);
/* Where in-dialog requests of l go first (route set, else target). */
int sipd_leg_next_hop(struct sipd_leg *l, char *host, size_t hostlen,
		      int *port);
/* Ends a confirmed leg with BYE; call_ended then carries reason. */
void sipd_leg_bye(struct sipd_leg *l, const char *reason);

/* indialog.c: requests and answers inside an established dialog. */
/*
 * Answers req (a request in l's dialog) through its server transaction tr:
 * re-INVITE and UPDATE (offer/answer, session refresh), INFO, REFER,
 * NOTIFY.  0 when answered; -ENOENT when server.c should answer it.
 */
int sipd_indialog_request(struct sipd_leg *l, osip_transaction_t *tr,
			  osip_message_t *req, const char *from, int fromport);
/* An ACK that matched no transaction: 0 if it ends one of our 2xx
 * retransmissions, else -ENOENT. */
int sipd_indialog_ack(struct sipd *sd, osip_message_t *ack);
/* The status for a CANCEL (RFC 3261 9.2): 200 when it matches an INVITE we
 * have answered, 481 when it matches nothing. */
int sipd_indialog_cancel_code(struct sipd *sd, osip_message_t *cancel);
/* A response to one of our mid-dialog requests (re-INVITE, UPDATE):
 * 1 when consumed, 0 when it belongs to the initial INVITE or a BYE. */
int sipd_indialog_response(struct sipd_leg *l, osip_transaction_t *tr,
			   osip_message_t *m);
/* A 2xx to our INVITE from another branch of a fork (a new To tag): ACKs
 * it and ends that dialog with BYE.  1 when m was such a 2xx, else 0. */
int sipd_indialog_fork_2xx(struct sipd_leg *l, osip_message_t *m);
/* The dialog is confirmed by the 2xx m with the answer a: remembers the
 * media and starts the session timer. */
void sipd_indialog_connected(struct sipd_leg *l, osip_message_t *m,
			     const struct sipd_sdp_answer *a);
/* Sends a session refresh: UPDATE if the peer allows it, else re-INVITE. */
int sipd_indialog_refresh(struct sipd_leg *l);
/* Frees what indialog.c and timer.c keep in l; stops their timers. */
void sipd_indialog_free(struct sipd_leg *l);

/* timer.c: RFC 4028 session timers. */
/* Adds Supported: timer, Session-Expires and Min-SE to our INVITE or
 * UPDATE. */
void sipd_timer_add_headers(struct sipd_leg *l, osip_message_t *m);
/*
 * The far end's re-INVITE or UPDATE req asks for a session interval: 0 with
 * the Session-Expires (and Require) added to our 2xx resp, or 422 when the
 * interval is below our Min-SE (resp must then carry Min-SE: see
 * sipd_timer_min_se_header()).
 */
int sipd_timer_request(struct sipd_leg *l, const osip_message_t *req,
		       osip_message_t *resp);
void sipd_timer_min_se_header(struct sipd_leg *l, osip_message_t *resp);
/* A 2xx to our INVITE, re-INVITE or UPDATE: takes its Session-Expires and
 * Allow, and (re)arms the timers. */
void sipd_timer_response(struct sipd_leg *l, const osip_message_t *resp);
/* The far end refreshed the session: (re)arms the timers. */
void sipd_timer_arm(struct sipd_leg *l);
void sipd_timer_stop(struct sipd_leg *l);
/* A 422 to our INVITE in transaction tr: resends it with the larger
 * interval.  0 when retried, else negative. */
int sipd_timer_retry_422(struct sipd_leg *l, osip_transaction_t *tr,
			 const osip_message_t *resp);
/* The larger of the Min-SE values in m, or 0. */
int sipd_timer_min_se_of(const osip_message_t *m);

/* server.c: incoming requests. */
void sipd_server_request(struct sipd *sd, osip_event_t *evt, const char *from,
			 int fromport);

/* media.c: what sipd asks mediad. */
int sipd_media_open(struct sipd_leg *l, char *err, size_t errlen);
int sipd_media_remote(struct sipd_leg *l, const char *addr, int port, int pt,
		      int dtmf_pt);
void sipd_media_close(struct sipd_leg *l, int timeout_ms);
/* leg_remote with our direction (enum sipd_sdp_dir): mediad sends no RTP
 * while it is recvonly or inactive. */
int sipd_media_update(struct sipd_leg *l, const struct sipd_sdp_answer *a,
		      int our_dir);

/* sdp.c: offer and answer (pure, no I/O). */
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

/* "sendrecv", "sendonly", "recvonly" or "inactive". */
const char *sipd_sdp_dir_name(int dir);
/* Our direction answering the far end's dir (sendonly -> recvonly...). */
int sipd_sdp_dir_mirror(int dir);
/*
 * Writes an answer (or a repeated offer) with the one codec pt, the
 * telephone-event type dtmf_pt (-1: none) and direction dir, on addr:port,
 * with o= sess_id and version.  Returns its length, -EINVAL or -ENOSPC.
 */
int sipd_sdp_answer_build(char *buf, size_t len, const char *addr, int port,
			  uint64_t sess_id, uint64_t version, int pt,
			  int dtmf_pt, int dir);
/* The o= session id and version of an SDP body; 0 or -EINVAL. */
int sipd_sdp_origin(const char *body, size_t len, uint64_t *sess_id,
		    uint64_t *version);

/* uri.c: checks on what we are asked to dial and where we listen. */
/* 0 if uri is a sip: or sips: URI with a host that is safe to put in a
 * request line; otherwise -EINVAL with why in err. */
int sipd_uri_check(const char *uri, char *err, size_t errlen);
/* Splits "ADDRESS:PORT" or "[v6]:PORT"; -EINVAL if malformed. */
int sipd_hostport_parse(const char *s, char *host, size_t hostlen, int *port);

#endif
