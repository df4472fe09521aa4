/*
 * nav: exploration of phone menus that no flow describes, private to ivrd.
 *
 * menu.c reads one menu's transcript (pure: text in, options and prompts
 * out); nav.c decides what to do about it for an intent (pure: menu, intent
 * and info in, a decision and its reason out, with the memory that detects
 * loops); llm.c asks a language model for the decision instead (OpenAI
 * chat completions or Anthropic messages with tools, on curl multi driven by
 * daemon timers); learn.c turns what an exploration did into a flow file and
 * merges it with the flow learned before; explore.c runs all of it for a
 * call over the bus.  Only explore.c and learn.c know struct call.
 */
#ifndef HS_IVRD_NAV_H
#define HS_IVRD_NAV_H

#include <json-c/json.h>
#include <stddef.h>

/* ---- menu.c ---- */

#define MENU_OPT_MAX 24
#define MENU_LABEL_MAX 160
#define MENU_TEXT_MAX 4096
#define MENU_KEY_MAX 32

enum menu_opt_kind {
	MENU_OPT_PLAIN,
	MENU_OPT_AGENT,	  /* a representative, agent, operator, ... */
	MENU_OPT_OTHER,	  /* all other questions, anything else */
	MENU_OPT_REPEAT,  /* hear the options again */
	MENU_OPT_BACK,	  /* the previous or main menu */
	MENU_OPT_SKIP,	  /* "if you don't have it" */
	MENU_OPT_CONFIRM, /* "if this is correct" */
	MENU_OPT_DENY,	  /* "to re-enter it" */
	MENU_OPT_DEFER,	  /* special offers, a survey, the web site */
};

struct menu_opt {
	char digit[4]; /* "1", "*", "#"; "" for a spoken option */
	char label[MENU_LABEL_MAX];
	enum menu_opt_kind kind;
	int say; /* the option is said, not (only) pressed */
	int lost;   /* "press" was heard but not its key: digit is "" */
	int unsure; /* the key may be a neighbouring label's (see menu.c) */
};

struct menu {
	struct menu_opt opts[MENU_OPT_MAX];
	size_t nopts;
	char data_key[MENU_KEY_MAX]; /* a data prompt: "account_number", ... */
	int data_pound;		     /* "followed by the pound key" */
	int speech;		     /* "tell me in a few words why ..." */
	int speech_hint;	     /* words of a speech prompt beside keys */
	int hold;		     /* "please hold", "transferring you" */
	int wait_agent;		     /* "or stay on the line for an agent" */
	char text[MENU_TEXT_MAX];    /* the normalised words */
};

/*
 * Reads a menu's transcript (any case, with or without punctuation, digits
 * as numerals or words, the usual recogniser confusions such as "press
 * to" for "press two") into m.  Never fails: a text with nothing
 * recognisable gives a menu with no options and no prompt.
 */
void menu_parse(const char *text, struct menu *m);
const char *menu_opt_kind_name(enum menu_opt_kind k);
/* The options as a JSON array [{digit, label, kind}] (new reference). */
json_object *menu_opts_json(const struct menu *m);

/*
 * How well a label answers an intent: per content word of the intent, its
 * nearest label word (the same word 1, a telephony idiom 0.8, WordNet:
 * synonyms 0.9, a hypernym or derivation 0.8, two links 0.7), summed; 0
 * when nothing is near.  Without the WordNet database, word overlap and
 * the idioms only.
 */
double menu_match(const char *intent, const char *label);
/* Whether text names what a deferring option offers (offers, surveys,
 * the web site): an intent that asks for it. */
int menu_defers(const char *text);
/* label without its repeat and back words ("credit card return to" is
 * "credit card"), in out. */
void menu_label_core(const char *label, char *out, size_t outlen);
/* How plainly an agent option is only the representative (0..1):
 * "a representative" 1, "agents benefits" 0.5, special offers 0. */
double menu_agent_fit(const char *label);
/* Whether two menus' texts are the same menu heard again (0..1). */
double menu_similarity(const struct menu *a, const struct menu *b);

/*
 * The info value a data prompt asks for: key is a canonical key
 * ("account_number", "zip", "dob", "ssn_last4", "phone", "pin",
 * "card_last4", "member_id", "order_number", "claim_number"); the info map
 * may use any of its synonyms.  The value is made into DTMF digits (a date
 * as MMDDYYYY, the last four digits where the key says so).  Returns 0 with
 * out set and the info key used in used (may be NULL), or -ENOENT.
 */
int menu_info_value(json_object *info, const char *key, char *out,
		    size_t outlen, char *used, size_t usedlen);

/*
 * ---- sense.c ----
 * sense_similarity(): how close two words are in meaning (lower case,
 * inflected forms allowed), from WordNet: 1 for the same word, 0.9 for
 * synonyms, less for hypernyms and derivations a few links apart, 0 when
 * unrelated or when the database is missing (sense_ready() is then 0,
 * and the first call logs why).  sense_cleanup() frees the word cache.
 */
int sense_ready(void);
double sense_similarity(const char *a, const char *b);
void sense_cleanup(void);

/* ---- nav.c ---- */

enum nav_act {
	NAV_NONE,  /* nothing to do yet (keep listening) */
	NAV_PRESS, /* send digits */
	NAV_SAY,   /* speak text */
	NAV_WAIT,  /* let the menu go on (stay on the line, repeat) */
	NAV_HOLD,  /* this is the queue: wait for a person */
	NAV_TRANSFER, /* a person is on the line (LLM only) */
	NAV_HANGUP,   /* give up (LLM only) */
};

#define NAV_MENUS_MAX 32

struct nav_seen {
	struct menu m;
	char tried[MENU_OPT_MAX + 4][4]; /* digits pressed here ("" = said) */
	int ntried;
	int visits;
	int zero_tried, repeat_waits, said;
	int replayed; /* waited once to hear it again */
};

struct nav {
	char intent[256];
	struct nav_seen seen[NAV_MENUS_MAX];
	int nseen;
	int last; /* index in seen of the menu acted on last, -1 */
	int acted_last; /* the last decision pressed or said something */
	int replays;	/* waits for a menu to be said again */
};

struct nav_decision {
	enum nav_act act;
	char digits[80];
	char text[256];
	char reason[512];
	char label[MENU_LABEL_MAX]; /* the option chosen, "" when none */
	char missing[MENU_KEY_MAX]; /* a data prompt's key absent from info */
	char info_key[MENU_KEY_MAX]; /* the info key entered */
	int loop; /* the menu was heard before */
};

void nav_init(struct nav *n, const char *intent);
/*
 * Decides what to do about menu m (what the company just said), for the
 * intent, with info (may be NULL).  quiet says the company has gone quiet
 * for a while after m (it waits for input): only then does a menu without
 * any option get a blind choice.  Records the decision for loop detection.
 */
void nav_decide(struct nav *n, const struct menu *m, json_object *info,
		int quiet, struct nav_decision *d);
/*
 * For a decision taken elsewhere (the LLM) about menu m: when m is a data
 * prompt whose value info lacks, sets d->missing; when d would then enter
 * more than one digit (a made-up value), replaces it with nav_decide()'s
 * (the representative route) and returns 1.  Else returns 0.
 */
int nav_check_missing(struct nav *n, const struct menu *m, json_object *info,
		      struct nav_decision *d);
/*
 * The info_missing event is published once per key per call: seen holds
 * the keys told so far, separated by spaces ("" at the start of the call).
 * Returns 1 when key (a leading "info." is dropped) is not in seen, after
 * adding it; 0 when it was told before, is empty, or seen is full.
 */
int nav_missing_once(char *seen, size_t seenlen, const char *key);
/*
 * The action a decision took, as info_missing reports it: the digits
 * pressed, or "say", "wait", "hold", "transfer", "hang_up", "listen".
 */
const char *nav_act_action(const struct nav_decision *d);
/* Records a decision taken elsewhere (the LLM) for loop detection. */
void nav_note(struct nav *n, const struct menu *m, const char *digits);

/* ---- explore.c, learn.c, llm.c: these know ivrd's structs ---- */

struct call;
struct conf;
struct daemon;
struct explore;
struct flow;
struct ivrd;
struct bus_ctl_req;

/* Carries out a decision about menu m (llm.c, once the model answered). */
void explore_apply(struct explore *e, const struct menu *m,
		   struct nav_decision *d);

/*
 * learn.c.  learn_build() makes a flow (JSON, new reference) from the path
 * of an exploration that reached an agent: for each menu a LISTEN step
 * (timed from what was heard) and the DTMF or SPEAK step taken, then HOLD
 * and TRANSFER.  old (may be NULL) is the flow learned before for the
 * number: its counts, creation time and version carry over, and a path
 * that changed replaces its steps.  Returns NULL with err set when path is
 * empty or malformed.
 */
json_object *learn_build(const char *number, const char *intent,
			 json_object *path, json_object *old, int success,
			 char *err, size_t errlen);
/*
 * Writes flow as DIR/learned/NAME.json (flow_number_name()) atomically (a temporary file
 * renamed into place).  Returns 0, or -errno with err set.
 */
int learn_save(const char *flowsdir, const char *number, json_object *flow,
	       char *path, size_t pathlen, char *err, size_t errlen);
/* Whether a learned flow was learned for an intent like this one (other
 * flows always fit). */
int learn_fits(const struct flow *f, const char *intent);
/* Adds the flows of FLOWSDIR/learned/ to iv->flows (at load). */
void learn_load(struct ivrd *iv, const char *flowsdir);
/*
 * A call ends (explore_free): path is its exploration's (may be NULL),
 * from_flow the flow that failed before it (may be NULL or "").  Learns
 * the flow when the user was bridged; counts a learned flow's successes
 * and failures; keeps the path for the learn control command.
 */
void learn_call_ended(struct call *c, json_object *path,
		      const char *from_flow);
/* ivrd control command: learn {call_id} -> {ok, flow_id, path, flow}. */
int learn_ctl(struct ivrd *iv, struct bus_ctl_req *req);
/* Frees what learn.c keeps (daemon exit). */
void learn_cleanup(void);

/*
 * llm.c: the LLM navigator.  llm_enabled(): [llm] provider is set.
 * llm_new() makes the per-call client (NULL when disabled); llm_ask()
 * starts one request about menu m (0), or returns <0 when the offline
 * navigator should decide now; the answer comes back through
 * explore_apply(), or nav_decide() when the model fails or times out.
 * llm_busy(): a request is in flight.
 */
struct llm;
int llm_enabled(const struct conf *conf);
int llm_new(struct llm **out, struct daemon *d, const struct conf *conf,
	    struct explore *e);
int llm_ask(struct llm *l, struct call *c, struct nav *n,
	    const struct menu *m, const char *heard, int quiet);
int llm_busy(const struct llm *l);
void llm_free(struct llm *l);

/*
 * The pure part of llm.c, for tests: the request body for provider
 * ("openai" or "anthropic"), and the decision read from a response body.
 * llm_parse() returns 0 with d set, or -EINVAL with err set.
 */
json_object *llm_request_body(const char *provider, const char *model,
			      const char *intent, json_object *info,
			      const char *heard, json_object *history,
			      const struct menu *m);
int llm_parse(const char *provider, const char *body,
	      struct nav_decision *d, char *err, size_t errlen);

#endif
