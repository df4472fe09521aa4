/*
 * ivrsim: a simulated company phone system.  It answers SIP calls on a UDP
 * socket, plays a menu tree described by a scenario file (prompts, hold
 * music, an agent) over RTP, reacts to DTMF and speech from the caller, and
 * writes one JSON report per call.  Single-threaded: one poll() loop over the
 * SIP socket, the RTP sockets and a 20 ms timerfd that paces all media.
 *
 * Files: ivrsim.c (options, loop), scenario.c (load and validate),
 * audio_gen.c (speech synthesis, tones, music bed), sip.c (SIP UAS and the
 * dialog), media.c (RTP and DTMF), call.c (the node engine), report.c
 * (the per-call JSON report).
 */
#ifndef IVRSIM_H
#define IVRSIM_H

#include <sys/time.h>

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osip2/osip.h>
#include <osipparser2/osip_parser.h>
#include <ortp/ortp.h>

#define FRAME 160		/* samples per 20 ms at 8 kHz */
#define IVR_MAX_DIGITS 16
#define DEFAULT_TIMEOUT 5.0
#define DEFAULT_PICKUP_GAP 0.6  /* s of open line before the agent speaks */
#define DEFAULT_LINE_NOISE -68.0 /* dBm0 of room noise on the agent's line */
#define DEFAULT_RETRIES 2
#define IVR_LINGER 10.0	/* seconds a finished call absorbs retransmissions */

/* A block of 8 kHz mono PCM.  Owned by the scenario (or the TTS cache). */
struct pcm {
	int16_t *s;
	size_t n;
};

struct node {
	char *name;
	char *say;		/* text, or NULL */
	char *play;		/* path as written, or NULL */
	const struct pcm *prompt; /* resolved prompt audio, or NULL */
	bool has_hold;
	char *music;
	char *announce;
	double every, duration;
	const struct pcm *music_pcm;
	const struct pcm *announce_pcm;
	int ndigits;
	struct {
		char digit;
		char *target_name;
		int target;
	} digits[IVR_MAX_DIGITS];
	bool has_collect;
	int collect_max;
	char terminator;	/* 0 = none */
	char *expect;		/* NULL = accept anything */
	bool has_speech;
	double speech_min, speech_timeout;
	double timeout;
	int retries;
	char *on_fail_name, *next_name;
	int on_fail, next;	/* node index or -1 */
	bool hangup;
	double listen;		/* > 0: this is the agent node */
	double pickup_gap;	/* agent: open line before the greeting, s */
	double line_noise_dbm0; /* agent: room noise level (-90 or less: none) */
};

/* A synthesized or loaded clip, kept for the life of the program. */
struct clip {
	struct clip *next;
	char *key;		/* "say:TEXT", "file:PATH", "music:synthetic" */
	struct pcm pcm;
};

struct scenario {
	char *path, *dir;
	char *name, *slug, *number, *voice;
	double answer_after;
	bool early_media;
	char *start_name;
	int start;
	int nnodes;
	struct node *nodes;
	struct clip *clips;
	struct pcm silence;	/* empty */
};

enum call_state {
	CS_EARLY,		/* INVITE received, not answered yet */
	CS_ANSWERED,		/* 200 sent, waiting for ACK */
	CS_CONFIRMED,		/* ACK received */
	CS_BYE_SENT,		/* we sent BYE, waiting for its response */
	CS_DONE,		/* finished: report written, to be freed */
};

enum node_phase {
	PH_IDLE,
	PH_PROMPT,
	PH_HOLD,
	PH_WAIT,
	PH_AGENT,
	PH_HANGUP_AFTER_PROMPT,
};

struct ivrsim;

struct call {
	struct call *next;
	struct ivrsim *ivr;
	int seq;		/* 1, 2, ... per program run */
	/* SIP */
	char *call_id;
	char *local_tag;
	osip_message_t *invite;	/* the initial INVITE (owned) */
	struct sockaddr_in peer;	/* where the INVITE came from */
	char *last_invite_resp;	/* last response sent to the INVITE */
	char *remote_target;	/* Contact URI of the caller */
	char *from_str, *to_str; /* From (remote) and To (ours, tagged) */
	char *route_str;	/* Record-Route set, comma-joined, or NULL */
	int local_cseq;
	char *bye_branch;
	char *bye_str;		/* our BYE, for retransmission */
	enum call_state state;
	double t_invite, t_answer_due, t_ringback_start;
	double retx_next, retx_interval, retx_deadline;
	/* media */
	RtpSession *rtp;
	int local_port;
	char remote_addr[64];
	int remote_port;
	int pt, tev_pt;
	uint32_t send_ts, recv_ts;
	bool media_on;		/* sending audio frames */
	void *dtmf_rx;		/* spandsp dtmf_rx_state_t */
	double last_event_t;	/* last RFC 4733 event, -1 none */
	int16_t rxbuf[FRAME];
	size_t rxfill;
	/* node engine */
	int node;
	enum node_phase phase;
	const struct pcm *play;
	size_t play_pos;
	bool play_loop;
	double phase_start, deadline;
	int tries;
	char collect[64];
	size_t ncollect;
	double hold_next_ann;
	bool in_announce;
	size_t music_pos;
	/* speech detection */
	double sp_first, sp_last;	/* first/last voiced frame of a burst, -1 */
	bool sp_ok;
	/* report */
	struct json_object *nodes, *collected, *speech;
	char digits[256];
	size_t ndigits;
	char answered_at[40], ended_at[40], agent_started_at[40];
	double t_answer;
	const char *ended_by;
	double t_done;
	int agent_node;
	double agent_start;	/* monotonic, -1 if not reached */
	long heard_frames;
	struct audio_wav_writer *listen_wav;
	char *listen_path;
	const char *codec;
};

struct ivrsim {
	struct scenario *sc;
	int sipfd;
	struct sockaddr_in local;
	char local_ip[64];
	int local_port;
	int rtp_port_min;	/* 0 = let the system choose */
	int rtp_port_next;
	const char *reportdir;
	int maxcalls, ncalls, nended;
	struct call *calls;
	unsigned long counter;
};

/* util (ivrsim.c) */
double now_mono(void);
void now_rfc3339(char *buf, size_t len);
char *xstrdup(const char *s);
char *random_token(void);

/* scenario.c */
/* Loads and validates; on error returns -1 with a message in err. */
int scenario_load(struct scenario **out, const char *path,
		  const char *corpusdir, char *err, size_t errlen);
void scenario_free(struct scenario *sc);

/* audio_gen.c */
int tts_init(const char *voice);
/* Synthesizes text to 8 kHz PCM; *out is malloc'd. */
int tts_say(const char *text, struct pcm *out, char *err, size_t errlen);
void tone_ringback(int16_t *frame, size_t n, double t);
int music_synthetic(struct pcm *out);

/* sip.c */
void sip_input(struct ivrsim *ivr);
void sip_tick(struct ivrsim *ivr, struct call *c, double now);
/* Starts the hang-up from our side (BYE). */
void sip_hangup(struct call *c);
void call_free(struct call *c);

/* media.c */
int media_open(struct call *c, char *err, size_t errlen);
void media_tick(struct call *c, double now);
void media_close(struct call *c);

/* call.c */
void engine_start(struct call *c, double now);
/* The next 20 ms frame to send. */
void engine_frame(struct call *c, int16_t *frame, double now);
void engine_digit(struct call *c, char d, const char *how);
void engine_audio(struct call *c, const int16_t *frame, double now);
void engine_tick(struct call *c, double now);

/* report.c */
void report_init(struct call *c);
struct json_object *json_secs(double x);
/* Writes the report, marks the call done. */
void call_end(struct call *c, const char *by);

#endif
