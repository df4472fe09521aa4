/*
 * sipd: the SIP user agent of Hold Slayer.  It places calls (INVITE with an
 * SDP offer, ACK for 2xx, CANCEL, BYE), keeps them up through what the far
 * end does mid-call (re-INVITE, UPDATE, RFC 4028 session timers) and
 * answers the few requests a calling-only agent must answer, over UDP, TCP
 * and TLS, with the libosip2 parser and transaction state machines (ICT,
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
/* The largest datagram read whole: what UDP can carry.  A message over
 * SIPD_MAX_MESSAGE is not parsed but answered 513 (RFC 3261 21.5.14). */
#define SIPD_MAX_PACKET 65535
#define SIPD_MAX_MESSAGE 32768
/* Longest header value read to address the answer to a malformed request. */
#define SIPD_SALVAGE_FIELD_MAX 4096
#define SIPD_UNREGISTER_WAIT_MS 2000 /* on stop: wait this for the answer */
#define SIPD_URI_MAX 512
#define SIPD_TARGETS_MAX 16 /* addresses one lookup yields, in order */

/* The transports sipd speaks (a Via's protocol, a URI's transport). */
enum sipd_tp {
	SIPD_TP_UDP,
	SIPD_TP_TCP,
	SIPD_TP_TLS,
};
/* RFC 3261 18.1.1: a request larger than this goes over TCP when the
 * path MTU is unknown. */
#define SIPD_UDP_MAX_REQUEST 1300
#define SIPD_TLS_GONE_MAX 32 /* closed TLS peers remembered (stream.c) */

/* One address to send to, and the ordered list a lookup yields. */
struct sipd_target {
	struct sockaddr_storage ss;
	socklen_t len;
};
struct sipd_targets {
	int n;
	int tp; /* the transport a lookup chose (enum sipd_tp) */
	struct sipd_target t[SIPD_TARGETS_MAX];
};
/*
 * The methods we answer (Allow), and the option tags we implement, as a
 * Supported header lists them.  A request whose Require names anything
 * else gets 420 (RFC 3261 8.2.2.3).
 */
#define SIPD_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, REGISTER"
#define SIPD_SUPPORTED "timer"
#define SIPD_FORKS_MAX 4 /* extra dialogs of a forked INVITE remembered */
#define SIPD_REDIRECTS_MAX 5 /* INVITEs one call sends after 3xx answers */
#define SIPD_REDIRECT_CONTACTS 8 /* contacts of 3xx answers kept to try */
#define SIPD_INFO_DIGITS_MAX 64 /* DTMF digits queued on a leg for INFO */
#define SIPD_INFO_MS_DEFAULT 160 /* Duration= of an INFO digit */

enum sipd_leg_state {
	SIPD_LEG_STARTING,   /* waiting for mediad's port (leg_open) */
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
	char hop_addr[64];	       /* a registered phone's source address: */
	int hop_port;		       /* the INVITE goes there; 0: resolve uri */
	char sip_call_id[64];	       /* the SIP Call-ID */
	char local_tag[24];
	char *remote_tag;	/* To tag of the 2xx */
	char *remote_target;	/* Contact URI of the 2xx */
	osip_list_t route_set;	/* osip_route_t: reversed Record-Route */
	char local_ip[64];	/* our address towards the far end */
	osip_message_t *invite; /* owned copy of the INVITE sent */
	osip_message_t *ack;	/* the ACK for the 2xx, re-sent on a repeat */
	int cseq;		/* last local CSeq number used */
	uint32_t remote_cseq;	/* last CSeq of the far end's requests */
	int remote_cseq_set;	/* remote_cseq holds one (RFC 3261 12.2.2) */
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
	int tp;			/* enum sipd_tp of the leg's requests */
	int tp_fixed;		/* by the URI or the trunk, not by DNS */
	char tls_name[256];	/* the host dialled, checked by TLS */
	struct sipd_targets targets; /* where the INVITE may go, in order */
	int target;		/* the one tried now */
	osip_transaction_t *ict; /* the INVITE transaction to targets.t[target] */
	char rtp_addr[64];
	int rtp_port;
	struct sipd_auth *auth; /* digest state once challenged (auth.c) */
	int cancel_pending;	/* hangup before any 1xx: CANCEL at the first */
	/* dialog.c: 3xx redirection (RFC 3261 8.1.3.4) */
	char *req_uri;		/* the INVITE's Request-URI after a 3xx */
	char *redir_next[SIPD_REDIRECT_CONTACTS]; /* still to try, best first */
	int redir_n;
	char *redir_tried[SIPD_REDIRECTS_MAX + 1]; /* where INVITEs went */
	int redirects;		/* INVITEs sent after a 3xx */
	/* info.c: DTMF by SIP INFO, one digit at a time */
	char info_digits[SIPD_INFO_DIGITS_MAX + 1]; /* queued; "" when none */
	int info_pos;		/* the digit whose INFO is out */
	int info_ms;		/* Duration= of each */
	int info_cseq;		/* CSeq of the INFO out; 0 when none */
	/* indialog.c: the established dialog (RFC 3261 12.2, RFC 3264) */
	int indialog_cseq;	/* last CSeq of a request indialog.c took; 0: none */
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

/*
 * A transaction sipd starts outside any call leg (REGISTER, OPTIONS) has
 * one of these as its owner: trunk.c routes its events here instead of to
 * the dialog layer.
 */
struct sipd_nict_owner {
	/* A response (1xx too); m is borrowed for the call. */
	void (*response)(void *arg, osip_transaction_t *tr, osip_message_t *m);
	/* Timer F or a transport error: no final answer will come. */
	void (*failed)(void *arg, osip_transaction_t *tr, const char *why);
	/* The transaction is about to be freed. */
	void (*killed)(void *arg, osip_transaction_t *tr);
	void *arg;
};

enum sipd_reg_state {
	SIPD_REG_OFF,	      /* [trunk] register = no */
	SIPD_REG_REGISTERING, /* first REGISTER on its way */
	SIPD_REG_REGISTERED,
	SIPD_REG_FAILED,      /* waiting to retry */
	SIPD_REG_UNREGISTERED, /* after a clean stop */
};

/* Digest state of one requester between challenges (auth.c). */
struct sipd_auth {
	char realm[128]; /* realm of the last answer */
	char nonce[256]; /* its nonce */
	unsigned nc;	 /* nonce count used with that nonce */
	int answered;	 /* the last request carried our answer */
	int rounds;	 /* challenges answered since the last success */
};

/* The registration with [trunk] proxy (register.c). */
struct sipd_reg {
	enum sipd_reg_state state;
	char call_id[64]; /* one Call-ID and From tag for every REGISTER */
	char from_tag[24];
	int cseq;
	int requested;	  /* Expires asked for in the current REGISTER */
	int granted;	  /* seconds the registrar granted */
	int64_t until_ms; /* monotonic end of the binding */
	int failures;	  /* in a row, for the backoff */
	char reason[160]; /* last failure, for status and events */
	struct sipd_auth auth;
	osip_transaction_t *tr; /* the REGISTER in flight */
	int64_t timer;
	int unregistering;
	struct sipd_nict_owner owner;
};

/* The [trunk] as sipd uses it (trunk.c). */
struct sipd_trunk {
	char *password;	  /* owned, wiped when freed; NULL when none */
	char domain[256]; /* host[:port] of [trunk] proxy; "" when none */
	int tp;		  /* [trunk] transport (enum sipd_tp) */
	int reachable;	  /* OPTIONS keepalive: -1 unknown, 0 or 1 */
	osip_transaction_t *ka_tr;
	int64_t ka_timer;
	struct sipd_nict_owner ka_owner;
	/* Transactions started by sipd_trunk_send, with their owners. */
	struct {
		osip_transaction_t *tr;
		struct sipd_nict_owner *o;
	} owned[8];
	/* The dialog layer's callbacks, called for transactions of legs. */
	osip_message_cb_t chain_msg[OSIP_MESSAGE_CALLBACK_COUNT];
	osip_kill_transaction_cb_t chain_kill[OSIP_KILL_CALLBACK_COUNT];
	osip_transport_error_cb_t
	    chain_tperr[OSIP_TRANSPORT_ERROR_CALLBACK_COUNT];
};

struct sipd_resolver; /* resolve.c */
struct sipd_conn;     /* stream.c */

/* registrar.c: the user's softphones and where they are. */
#define SIPD_REALM "holdslayer" /* the digest realm of our challenges */
#define SIPD_BINDINGS_MAX 4	 /* Contacts one phone may register */
#define SIPD_NONCES_MAX 64	 /* nonces remembered (the oldest go) */
struct sipd_binding {
	char contact[SIPD_URI_MAX]; /* "" when the slot is free */
	char addr[64];		    /* where the REGISTER came from */
	int port;
	int64_t until_ms; /* monotonic end of the binding */
};
struct sipd_phone {
	char name[65];
	char *password; /* owned, wiped when freed */
	struct sipd_binding b[SIPD_BINDINGS_MAX];
};
struct sipd_nonce {
	char nonce[40];
	int64_t issued_ms;
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
	int stream_fd;		/* the TCP listening socket */
	int tls_fd;		/* the TLS one ([sip] tls_listen), or -1 */
	int tls_port;		/* its port; 0 when none */
	struct ssl_ctx_st *tls_client; /* SSL_CTX: outgoing TLS */
	struct ssl_ctx_st *tls_server; /* SSL_CTX: tls_listen, or NULL */
	struct sipd_conn *conns; /* TCP connections, both ways */
	int nconns;
	int64_t stream_timer;	/* idle and keepalive sweep */
	struct {		/* TLS connections closed lately (stream.c) */
		struct sipd_target peer;
		int64_t at;
	} tls_gone[SIPD_TLS_GONE_MAX];
	unsigned tls_gone_next;
	struct sipd_leg *legs;
	struct sipd_resolver *resolver;
	osip_list_t garbage;	/* killed transactions, freed after a turn */
	int64_t tick;
	struct sipd_trunk trunk;
	struct sipd_reg reg;
	struct sipd_phone *phones; /* [phones], nphones of them */
	int nphones;
	struct sipd_nonce nonces[SIPD_NONCES_MAX];
	int64_t run;		/* the pending sipd_run() timer, or 0 */
	int media_waiting;	/* leg_open requests without an answer yet */
	int64_t media_slow;	/* ms the last leg_open answer took (or its
				 * timeout) */
};

/* sipd.c */
/* Has osip's machines run (sending what they queued) at the top of the
 * next loop turn; the SIP tick runs the timers and frees finished legs. */
void sipd_run(struct sipd *sd);
/* Runs osip's machines at once (shutdown only: the loop is over). */
void sipd_run_now(struct sipd *sd);

/* transport.c: the UDP socket, the osip send callback, and the way in
 * for every message received. */
int sipd_transport_open(struct sipd *sd, const char *listen, char *err,
			size_t errlen);
void sipd_transport_close(struct sipd *sd);
int sipd_transport_send_cb(osip_transaction_t *tr, osip_message_t *m,
			   char *host, int port, int out_socket);
/* Sends m (not a transaction's) to host:port.  0 or negative errno. */
int sipd_transport_send(struct sipd *sd, osip_message_t *m, const char *host,
			int port);
/* Our IP address as dst sees it (out: at least 64 bytes). */
int sipd_transport_local_ip(struct sipd *sd, const struct sipd_target *dst,
			    char *out, size_t outlen);
/* 1 and *t filled if host is a numeric address (never a lookup), else 0. */
int sipd_target_numeric(struct sipd *sd, const char *host, int port,
			struct sipd_target *t);
/* Sends len bytes of buf (borrowed) to t.  0 or negative errno. */
/* Sends buf to t over tp (enum sipd_tp; name: the host it was
 * looked up for, checked by TLS, or NULL).  0 or negative errno. */
int sipd_transport_sendto(struct sipd *sd, const char *buf, size_t len,
			  const struct sipd_target *t, int tp,
			  const char *name);
/* A whole message from from:fromport over tp, NUL-terminated at buf[len]
 * (a datagram, or one that stream.c split from a connection). */
void sipd_transport_input(struct sipd *sd, char *buf, size_t len,
			  const char *from, int fromport, int tp);
/* The port our Via and Contact give for tp. */
static inline int
sipd_transport_port(const struct sipd *sd, int tp)
{
	return tp == SIPD_TP_TLS && sd->tls_port > 0 ? sd->tls_port : sd->port;
}
/* enum sipd_tp of a Via protocol ("UDP", "TCP", "TLS"); -1 if unknown. */
int sipd_transport_from_name(const char *name);

/* stream.c: TCP and TLS connections. */
/* Listens on TCP on the UDP socket's address and port, and on TLS on
 * [sip] tls_listen when set. */
int sipd_stream_open(struct sipd *sd, char *err, size_t errlen);
void sipd_stream_close(struct sipd *sd);
/* Queues buf for t on the connection to it over tp, opened if need be;
 * a new TLS connection checks the server against name (NULL: the
 * address). */
int sipd_stream_send(struct sipd *sd, int tp, const struct sipd_target *t,
		     const char *name, const char *buf, size_t len);
/* Polls the UDP socket and the connections for up to timeout_ms outside
 * the loop (the stop path), serving the connections; 1 if udp_fd is
 * readable. */
int sipd_stream_poll(struct sipd *sd, int udp_fd, int timeout_ms);
/* 1 if a TLS connection with t closed in the last 32 s. */
int sipd_stream_tls_gone(const struct sipd *sd, const struct sipd_target *t);
/* 1 if a connection over tp to t is open. */
int sipd_stream_has(struct sipd *sd, int tp, const struct sipd_target *t);
/* 1 if a and b are the same address and port. */
int sipd_target_same(const struct sipd_target *a,
		     const struct sipd_target *b);

/* resolve.c: RFC 3263 lookups on c-ares, on the daemon loop. */
/* targets is NULL and err set ("cannot resolve X: NXDOMAIN") on failure. */
typedef void (*sipd_resolve_cb)(struct sipd *sd, void *arg,
				const struct sipd_targets *targets,
				const char *err);
/* servers: "" for the system's resolv.conf, or ADDRESS[:PORT],... */
int sipd_resolve_init(struct sipd *sd, const char *servers, char *err,
		      size_t errlen);
void sipd_resolve_fini(struct sipd *sd);
int sipd_resolve_servers(struct sipd *sd, const char *servers, char *err,
			 size_t errlen);
/*
 * Where requests for the URI host[:port] go (port 0: none in the URI;
 * secure: a sips: URI).  0 with out filled when known now (numeric, hosts
 * file, cache); -EINPROGRESS when cb(arg) will be called from a later loop
 * turn; another negative errno with why in err.
 */
int sipd_resolve(struct sipd *sd, const char *host, int port, int secure,
		 struct sipd_targets *out, sipd_resolve_cb cb, void *arg,
		 char *err, size_t errlen);
/* Drops every callback of arg still waiting (arg is being freed). */
void sipd_resolve_cancel(struct sipd *sd, void *arg);
/*
 * Sends buf (len bytes, malloc'ed, owned from now on) to host:port: now if
 * the address is known, else once the lookup ends.  0 or negative errno.
 */
int sipd_resolve_send(struct sipd *sd, const char *host, int port, char *buf,
		      size_t len, int tp);
/* "addr:port" of t into buf; returns buf. */
const char *sipd_target_str(const struct sipd_target *t, char *buf,
			    size_t len);

/* check.c: sanity checks on received datagrams. */
struct sipd_verdict {
	int keepalive; /* a bare CRLF keep-alive: not an error, nothing to do */
	int code;      /* the status to answer a refused request with (400,
			* 416, 501, 505, 513), 0 to drop it unanswered */
	char why[160]; /* what was wrong, for the log and a Warning header */
};
/*
 * Checks a received datagram before osip sees it.  0 when it is a SIP
 * message worth handling; otherwise -EINVAL with the verdict in *v.
 */
int sipd_packet_check(const char *buf, size_t len, struct sipd_verdict *v);
/*
 * What a response to a malformed request needs, read field by field: the
 * leading Vias and the first From, To, Call-ID and CSeq that parse.  A new
 * message (caller frees) when at least a Via and a CSeq could be read;
 * otherwise NULL with why.
 */
osip_message_t *sipd_packet_salvage(const char *buf, size_t len, char *why,
				    size_t whylen);
/* 1 if m is a method of RFC 3261 or a common extension, else 0. */
int sipd_method_known(const char *m);

/* message.c: building requests and responses. */
/* Fills out with n random hex digits (n + 1 bytes). */
void sipd_random_hex(char *out, size_t n);
/* A response to req (borrowed) with the given code; NULL on error. */
osip_message_t *sipd_response_new(const osip_message_t *req, int code,
				  const char *user_agent);
/* Adds "Warning: 399 host \"text\"" (text sanitised) to m. */
int sipd_add_warning(osip_message_t *m, const char *host, const char *text);
/* 1 if the parsed Call-ID c equals full ("number@host"), else 0. */
int sipd_call_id_match(const osip_call_id_t *c, const char *full);
/* Adds "SIP/2.0/UDP ip:port;rport;branch=z9hG4bK..." to m (TCP or TLS
 * for tp SIPD_TP_TCP or SIPD_TP_TLS). */
int sipd_add_via(osip_message_t *m, const char *ip, int port, int tp);

/* dialog.c: the call legs. */
/*
 * Starts a transaction of type t for req (consumed) of leg l: an INVITE
 * or CANCEL goes to the address chosen for the leg's INVITE (the INVITE's
 * transaction becomes l->ict), other requests follow their Route or URI.
 * 0 or a negative errno.
 */
int sipd_leg_send(struct sipd_leg *l, osip_fsm_type_t t,
		  osip_message_t *req);
int sipd_dial(struct sipd *sd, const char *call_id, const char *leg,
	      const char *uri, char *err, size_t errlen);
int sipd_hangup(struct sipd *sd, const char *call_id, const char *leg);
struct sipd_leg *sipd_leg_find_dialog(struct sipd *sd,
				      const osip_call_id_t *sip_call_id,
				      const char *local_tag,
				      const char *remote_tag);
void sipd_dialog_stray_response(struct sipd *sd, osip_message_t *resp);
/* The tp connection to t failed before it was up (why): a leg whose
 * INVITE waits on it moves to its next address or fails with why. */
void sipd_dialog_conn_failed(struct sipd *sd, const struct sipd_target *t,
			     int tp, const char *why);
void sipd_dialog_remote_bye(struct sipd_leg *l);
int sipd_legs_active(const struct sipd *sd);
/* Appends {call_id, leg, uri, state} per leg to arr. */
void sipd_legs_status(const struct sipd *sd, json_object *arr);
void sipd_legs_sweep(struct sipd *sd);
/* The end of leg_open: err NULL once l has its RTP port, else why not. */
void sipd_dialog_media_opened(struct sipd_leg *l, const char *err);
void sipd_legs_shutdown(struct sipd *sd);
void sipd_dialog_set_callbacks(osip_t *osip);

/* registrar.c: REGISTER from the user's softphones. */
/* Reads [phones] and their passwords; a reload keeps the bindings. */
int sipd_registrar_load(struct sipd *sd, const struct conf *c, char *err,
			size_t errlen);
void sipd_registrar_free(struct sipd *sd);
/* Answers a REGISTER through tr.  0 or a negative errno. */
int sipd_registrar_request(struct sipd *sd, osip_transaction_t *tr,
			   osip_message_t *req, const char *from,
			   int fromport);
/* Drops the bindings that expired (each tick). */
void sipd_registrar_sweep(struct sipd *sd);
/* Adds "registrations": [{phone, contact, address, expires_in_s}]. */
void sipd_registrar_status(const struct sipd *sd, json_object *reply);
/* How many bindings p has now. */
int sipd_registrar_bound(const struct sipd_phone *p);
/* 1 if host is where a registered phone sent its REGISTER from. */
int sipd_registrar_known_source(const struct sipd *sd, const char *host);
/*
 * If uri is sip:NAME@ sipd's own listen address and NAME a phone of
 * [phones]: 1, with the Contact of its latest binding in contact and the
 * address it registered from in addr/port.  0 when uri is not ours; a
 * negative errno with err set when the phone is unknown or unregistered.
 */
int sipd_registrar_route(struct sipd *sd, const char *uri, char *contact,
			 size_t contactlen, char *addr, size_t addrlen,
			 int *port, char *err, size_t errlen);
/* The status for an INVITE outside any dialog (403, 404, 480, 486). */
int sipd_registrar_invite_code(const struct sipd *sd,
			       const osip_message_t *req, const char *from,
			       const char **why);

/* trunk.c: a password file (mode 0600 or stricter), first line; what
 * names it in err ("[trunk]").  0 or a negative errno. */
int sipd_password_read(const char *what, const char *path, char **out,
		       char *err, size_t errlen);
/* Wipes and frees a password (NULL is fine). */
void sipd_password_free(char *p);

/* auth.c: digest authentication. */
enum sipd_auth_alg {
	SIPD_AUTH_MD5,
	SIPD_AUTH_MD5_SESS,
	SIPD_AUTH_SHA256,
	SIPD_AUTH_SHA256_SESS,
};
struct sipd_auth_challenge {
	int proxy; /* Proxy-Authenticate (407) rather than WWW- (401) */
	enum sipd_auth_alg alg;
	int qop_auth; /* qop=auth offered; else the RFC 2069 form */
	int stale;
	int has_opaque;
	char realm[128], nonce[256], opaque[256]; /* unquoted */
};
/* What a requester authenticates with (borrowed strings). */
struct sipd_cred {
	const char *username; /* the authentication user name */
	const char *password;
	const char *realm; /* answer only this realm; NULL or "": any */
};
const char *sipd_auth_alg_name(enum sipd_auth_alg alg);
/*
 * The digest response (lower-case hex, out at least 65 bytes) of RFC 7616
 * section 3.4.1; qop NULL for the legacy form.  0 or a negative errno.
 */
int sipd_auth_response(enum sipd_auth_alg alg, const char *user,
		       const char *realm, const char *password,
		       const char *method, const char *uri, const char *nonce,
		       const char *nc, const char *cnonce, const char *qop,
		       char *out, size_t outlen);
/*
 * The strongest challenge of resp sipd can answer, restricted to realm_only
 * when that is set.  0, or -ENOTSUP with why in err.
 */
int sipd_auth_challenge_pick(const osip_message_t *resp,
			     const char *realm_only,
			     struct sipd_auth_challenge *out, char *err,
			     size_t errlen);
/*
 * Answers resp's challenge in req (the request to re-send: its method and
 * request URI are read, its CSeq is the caller's), replacing credentials of
 * the same kind.  0; -EACCES when the challenge means our last answer was
 * refused; -ENOTSUP, -ENOKEY (no credentials) or -EINVAL otherwise.  err
 * never holds the password.
 */
int sipd_auth_answer(struct sipd_auth *st, const struct sipd_cred *cred,
		     const osip_message_t *resp, osip_message_t *req,
		     char *err, size_t errlen);
/* The request was accepted: the next challenge is answered afresh. */
void sipd_auth_accepted(struct sipd_auth *st);
/*
 * Called by the dialog layer with a final response to a leg's INVITE or
 * BYE.  For a 401/407 from the trunk it re-sends the request with
 * credentials and a new CSeq in a new transaction (the old one no longer
 * points at the leg) and returns 0.  -EACCES (rejected), -ENOKEY or
 * -ENOTSUP with why in err when the challenge cannot be answered; -ENOENT
 * when resp is no challenge to answer.
 */
int sipd_auth_retry(struct sipd_leg *l, osip_transaction_t *tr,
		    osip_message_t *resp, char *err, size_t errlen);

/* trunk.c: the [trunk]: credentials, identity, keepalive, NICT routing. */
/* Reads the password and the domain; -EINVAL with why in err. */
int sipd_trunk_load(struct sipd *sd, const struct conf *c, char *err,
		    size_t errlen);
void sipd_trunk_free(struct sipd *sd);
/* The credentials for a challenge from the trunk (borrowed). */
void sipd_trunk_cred(struct sipd *sd, struct sipd_cred *out);
/* 1 if uri is on the trunk's domain (host and port), else 0. */
int sipd_trunk_match(struct sipd *sd, const char *uri);
/*
 * Dresses a leg's request to the trunk: the From of [trunk] (display name,
 * number, domain; tag kept) and, outside a dialog, a Route to the outbound
 * proxy.  Does nothing for other destinations.
 */
void sipd_trunk_request(struct sipd *sd, osip_message_t *m, const char *uri,
			const char *tag, int in_dialog);
/*
 * What to dial for a dial request's "uri": a sip: URI as it is, a number
 * (E.164 "+..." or national digits) as sip:NUMBER@trunk-domain.  0 with
 * out filled, or -EINVAL with why in err.
 */
int sipd_trunk_dial_uri(struct sipd *sd, const char *in, char *out,
			size_t outlen, char *err, size_t errlen);
/* Routes REGISTER/OPTIONS transactions; call after the dialog's. */
void sipd_trunk_set_callbacks(struct sipd *sd);
/* Starts a NICT for req (consumed) owned by o; *out may be NULL. */
int sipd_trunk_send(struct sipd *sd, osip_message_t *req,
		    struct sipd_nict_owner *o, osip_transaction_t **out);
/* Its owner no longer hears of tr (the dialog layer's callbacks do). */
void sipd_trunk_disown(struct sipd *sd, osip_transaction_t *tr);
/* A request outside any dialog to the trunk (REGISTER, OPTIONS). */
osip_message_t *sipd_trunk_request_new(struct sipd *sd, const char *method,
				       const char *to_user, const char *call_id,
				       const char *from_tag, int cseq);
void sipd_trunk_keepalive_start(struct sipd *sd);
void sipd_trunk_keepalive_stop(struct sipd *sd);

/* register.c: the registration with the trunk. */
/* The trunk's name was resolved (err NULL) or not: the REGISTER waiting
 * for it is sent now, or the registration fails with err. */
void sipd_register_resolved(struct sipd *sd, const char *err);
void sipd_register_start(struct sipd *sd);
/* Unregisters (Expires: 0), waiting at most wait_ms for the answer. */
void sipd_register_stop(struct sipd *sd, int wait_ms);
/* Adds "registration": {state, registrar, expires, reason} to reply. */
void sipd_register_status(struct sipd *sd, json_object *reply);

/* info.c: DTMF by SIP INFO (application/dtmf-relay). */
/* Queues digits on the confirmed leg; sends the first INFO.  The number
 * of digits queued, or a negative errno with why in err. */
int sipd_info_dtmf(struct sipd *sd, const char *call_id, const char *leg,
		   const char *digits, long duration_ms, char *err,
		   size_t errlen);
/* The final answer to (or the end of) a NICT of l: 1 if it was our INFO
 * (the next digit goes out), else 0.  m is NULL on a timeout. */
int sipd_info_response(struct sipd_leg *l, osip_transaction_t *tr,
		       osip_message_t *m);

/* The cause of call_failed for a final status (0: our own error). */
const char *sipd_failure_cause(int code);

/* Exported views of dialog.c's builders for indialog.c and timer.c. */
/* A request of the dialog to ruri (NULL: the remote target); NULL on
 * error.  The caller owns it. */
osip_message_t *sipd_leg_request(struct sipd_leg *l, const char *method,
				 const char *ruri, int cseq);
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
/*
 * Answers req (borrowed; a request check.c refused, as salvaged) with
 * code and a Warning naming why, statelessly (RFC 3261 8.2.7), to where
 * RFC 3261 18.2.2 and RFC 3581 send responses.
 */
void sipd_server_reject(struct sipd *sd, osip_message_t *req, int code,
			const char *why, const char *from, int fromport);
/*
 * RFC 3261 12.2.2: an in-dialog request (not ACK or CANCEL) whose CSeq is
 * lower than the last one from the far end is out of order.  0 (and the
 * CSeq recorded) or 500, the status to answer it with.
 */
int sipd_dialog_cseq_check(struct sipd_leg *l, const osip_message_t *req);

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
/* leg_remote with our direction (enum sipd_sdp_dir): mediad sends no RTP
 * while it is recvonly or inactive. */
int sipd_media_update(struct sipd_leg *l, const struct sipd_sdp_answer *a,
		      int our_dir);
/* Before l is freed: drops its pending requests (closing in mediad a leg
 * whose leg_open is still on its way). */
void sipd_media_forget(struct sipd_leg *l);

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
/*
 * The request URI for a telephone number on domain: "+" and 1 to 15 digits
 * (E.164) or 1 to 20 national digits; spaces, dashes, dots and brackets
 * are dropped.  0, or -EINVAL with why in err.
 */
int sipd_number_uri(const char *number, const char *domain, char *out,
		    size_t outlen, char *err, size_t errlen);
/* host[:port] of a sip: URI into out; -EINVAL if it has no host. */
int sipd_uri_hostport(const char *uri, char *out, size_t outlen);

/* transport.c, continued */
/* Reads and handles packets for up to timeout_ms (for the stop path). */
void sipd_transport_poll(struct sipd *sd, int timeout_ms);

#endif
