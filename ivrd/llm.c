/*
 * llm: the LLM navigator.  With [llm] provider = openai or anthropic, each
 * menu explore.c hears is put to a language model as a tool-call turn: the
 * system prompt states the job, the user turn gives the intent, the info
 * KEYS (a value only when the menu asks for it), the transcript so far and
 * the menu history; the model must answer with one of the tools
 * press_digits, say, wait, mark_on_hold, transfer, hang_up.  Earlier turns
 * are sent again as tool calls and their results, so the model sees what
 * it did.  Requests run on a curl multi handle polled by a daemon timer, so
 * the loop never blocks; an error, a malformed answer or [llm] timeout_ms
 * makes the offline navigator (nav.c) decide instead.
 *
 * OpenAI chat completions:  POST BASE/chat/completions
 *   {model, messages:[{role:"system"},{role:"user"},...], tools:[{type:
 *    "function", function:{name, description, parameters}}],
 *    tool_choice:"required"}
 *   -> choices[0].message.tool_calls[0].function {name, arguments (JSON)}
 * Anthropic messages:  POST BASE/v1/messages
 *   {model, max_tokens, system, messages:[...], tools:[{name, description,
 *    input_schema}], tool_choice:{type:"any"}}
 *   -> content[] with {type:"tool_use", id, name, input}
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivrd.h"
#include "log.h"
#include "nav.h"

#define LLM_TICK_MS 20
#define LLM_BODY_MAX (1024 * 1024)

enum llm_provider { LLM_NONE, LLM_OPENAI, LLM_ANTHROPIC };

struct llm {
	struct daemon *d;
	struct explore *e;
	enum llm_provider prov;
	char url[1024];
	char model[128];
	char key[512];
	long timeout_ms;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;
	size_t len;
	int64_t tick;
	/* the request in flight */
	struct call *c;
	struct nav *nav;
	struct menu m;
	int quiet;
	json_object *turns; /* earlier turns (provider's message format) */
	json_object *pending_user; /* the user turn of the request */
	int nturn;
};

static enum llm_provider
llm_prov(const char *s)
{
	if (s == NULL || s[0] == '\0' || strcmp(s, "none") == 0)
		return LLM_NONE;
	if (strcmp(s, "openai") == 0)
		return LLM_OPENAI;
	if (strcmp(s, "anthropic") == 0)
		return LLM_ANTHROPIC;
	return LLM_NONE;
}

int
llm_enabled(const struct conf *conf)
{
	if (conf->llm_provider && conf->llm_provider[0] &&
	    strcmp(conf->llm_provider, "none") != 0 &&
	    llm_prov(conf->llm_provider) == LLM_NONE) {
		log_warnx("llm: [llm] provider '%s' is not none, openai or "
			  "anthropic; using the offline navigator",
			  conf->llm_provider);
		return 0;
	}
	return llm_prov(conf->llm_provider) != LLM_NONE;
}

/* ---- the pure part: requests and answers ---- */

static const char llm_system[] =
    "You navigate a company's automated phone menu (IVR) on behalf of a "
    "caller, to reach a live agent who can help with the caller's intent. "
    "You hear the menu as a speech-recognition transcript, which may have "
    "misheard words. Each turn, call exactly one tool: press_digits for "
    "menu keys or for data the menu asks for (end with # when it asks for "
    "the pound key), say to answer a speech prompt, wait when the menu is "
    "still talking or will repeat, mark_on_hold when the call is in a "
    "queue waiting for an agent, transfer when a live person is on the "
    "line, hang_up only if the call cannot succeed. Never guess data the "
    "caller did not give: choose the representative or operator route "
    "instead. Prefer the option closest to the intent; otherwise the "
    "representative, operator or 'all other questions' option, else 0.";

struct llm_tool {
	const char *name, *desc, *arg, *argdesc;
};

static const struct llm_tool llm_tools[] = {
    {"press_digits", "Send DTMF keys to the menu.", "digits",
     "The keys: 0-9, * and #."},
    {"say", "Speak a short phrase to a speech-enabled menu.", "text",
     "What to say."},
    {"wait", "Do nothing now: let the menu go on or repeat.", NULL, NULL},
    {"mark_on_hold", "The call is in the queue (music, 'please hold').",
     NULL, NULL},
    {"transfer", "A live person answered: connect the caller.", NULL, NULL},
    {"hang_up", "Give up on the call.", NULL, NULL},
};

static json_object *
llm_schema(const struct llm_tool *t)
{
	json_object *s = json_object_new_object(), *p = json_object_new_object();
	json_object *req = json_object_new_array(), *x;

	json_object_object_add(s, "type", json_object_new_string("object"));
	if (t->arg) {
		x = json_object_new_object();
		json_object_object_add(x, "type", json_object_new_string("string"));
		json_object_object_add(x, "description",
				       json_object_new_string(t->argdesc));
		json_object_object_add(p, t->arg, x);
		json_object_array_add(req, json_object_new_string(t->arg));
	}
	x = json_object_new_object();
	json_object_object_add(x, "type", json_object_new_string("string"));
	json_object_object_add(
	    x, "description",
	    json_object_new_string("Why, in a few words, for the caller."));
	json_object_object_add(p, "reason", x);
	json_object_array_add(req, json_object_new_string("reason"));
	json_object_object_add(s, "properties", p);
	json_object_object_add(s, "required", req);
	return s;
}

static json_object *
llm_tools_json(const char *provider)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sizeof(llm_tools) / sizeof(llm_tools[0]); i++) {
		const struct llm_tool *t = &llm_tools[i];
		json_object *o = json_object_new_object();
		if (strcmp(provider, "anthropic") == 0) {
			json_object_object_add(o, "name",
					       json_object_new_string(t->name));
			json_object_object_add(o, "description",
					       json_object_new_string(t->desc));
			json_object_object_add(o, "input_schema",
					       llm_schema(t));
		} else {
			json_object *f = json_object_new_object();
			json_object_object_add(o, "type",
					       json_object_new_string("function"));
			json_object_object_add(f, "name",
					       json_object_new_string(t->name));
			json_object_object_add(f, "description",
					       json_object_new_string(t->desc));
			json_object_object_add(f, "parameters", llm_schema(t));
			json_object_object_add(o, "function", f);
		}
		json_object_array_add(a, o);
	}
	return a;
}

/* The user turn: intent, info keys, what was heard, the menu read. */
static char *
llm_user_text(const char *intent, json_object *info, const char *heard,
	      const struct menu *m)
{
	json_object *o = json_object_new_object(), *keys = json_object_new_array();
	char *s;

	json_object_object_add(o, "intent", json_object_new_string(intent));
	if (info && json_object_is_type(info, json_type_object)) {
		json_object_object_foreach(info, k, v) {
			(void)v;
			json_object_array_add(keys, json_object_new_string(k));
		}
	}
	json_object_object_add(o, "info_keys", keys);
	json_object_object_add(o, "transcript",
			       json_object_new_string(heard ? heard : ""));
	if (m) {
		json_object_object_add(o, "options_read", menu_opts_json(m));
		if (m->data_key[0]) {
			char val[64], used[MENU_KEY_MAX];
			json_object_object_add(
			    o, "data_prompt", json_object_new_string(m->data_key));
			/* The value only when the menu asks for it. */
			if (menu_info_value(info, m->data_key, val, sizeof(val),
					    used, sizeof(used)) == 0)
				json_object_object_add(
				    o, "data_value", json_object_new_string(val));
			else
				json_object_object_add(o, "data_value", NULL);
			json_object_object_add(
			    o, "pound", json_object_new_boolean(m->data_pound));
		}
		if (m->speech)
			json_object_object_add(o, "speech_prompt",
					       json_object_new_boolean(1));
	}
	s = strdup(json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

json_object *
llm_request_body(const char *provider, const char *model, const char *intent,
		 json_object *info, const char *heard, json_object *history,
		 const struct menu *m)
{
	json_object *b = json_object_new_object(), *msgs = json_object_new_array();
	json_object *u;
	char *text = llm_user_text(intent ? intent : "", info, heard, m);
	int anth = strcmp(provider, "anthropic") == 0;

	json_object_object_add(b, "model", json_object_new_string(model));
	if (anth) {
		json_object_object_add(b, "max_tokens", json_object_new_int(300));
		json_object_object_add(b, "system",
				       json_object_new_string(llm_system));
	} else {
		json_object *sys = json_object_new_object();
		json_object_object_add(sys, "role",
				       json_object_new_string("system"));
		json_object_object_add(sys, "content",
				       json_object_new_string(llm_system));
		json_object_array_add(msgs, sys);
	}
	for (size_t i = 0; history && i < json_object_array_length(history); i++)
		json_object_array_add(
		    msgs, json_object_get(json_object_array_get_idx(history, i)));
	u = json_object_new_object();
	json_object_object_add(u, "role", json_object_new_string("user"));
	json_object_object_add(u, "content",
			       json_object_new_string(text ? text : "{}"));
	free(text);
	json_object_array_add(msgs, u);
	json_object_object_add(b, "messages", msgs);
	json_object_object_add(b, "tools", llm_tools_json(provider));
	if (anth) {
		json_object *tc = json_object_new_object();
		json_object_object_add(tc, "type", json_object_new_string("any"));
		json_object_object_add(b, "tool_choice", tc);
	} else {
		json_object_object_add(b, "tool_choice",
				       json_object_new_string("required"));
	}
	return b;
}

static int
llm_digits_ok(const char *s)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > 40)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != '*' && *s != '#')
			return 0;
	return 1;
}

/* The decision of one tool call (name, input object). */
static int
llm_tool_decision(const char *name, json_object *in, struct nav_decision *d,
		  char *err, size_t errlen)
{
	const char *reason = bus_json_str(in, "reason");

	memset(d, 0, sizeof(*d));
	snprintf(d->reason, sizeof(d->reason), "LLM: %s",
		 reason ? reason : name);
	if (strcmp(name, "press_digits") == 0) {
		const char *dg = bus_json_str(in, "digits");
		if (!llm_digits_ok(dg)) {
			snprintf(err, errlen,
				 "press_digits: digits '%.40s' are not DTMF "
				 "keys",
				 dg ? dg : "(none)");
			return -EINVAL;
		}
		d->act = NAV_PRESS;
		snprintf(d->digits, sizeof(d->digits), "%s", dg);
	} else if (strcmp(name, "say") == 0) {
		const char *t = bus_json_str(in, "text");
		if (t == NULL || t[0] == '\0') {
			snprintf(err, errlen, "say: no text");
			return -EINVAL;
		}
		d->act = NAV_SAY;
		snprintf(d->text, sizeof(d->text), "%s", t);
	} else if (strcmp(name, "wait") == 0) {
		d->act = NAV_WAIT;
	} else if (strcmp(name, "mark_on_hold") == 0) {
		d->act = NAV_HOLD;
	} else if (strcmp(name, "transfer") == 0) {
		d->act = NAV_TRANSFER;
	} else if (strcmp(name, "hang_up") == 0) {
		d->act = NAV_HANGUP;
	} else {
		snprintf(err, errlen, "unknown tool '%.40s'", name);
		return -EINVAL;
	}
	return 0;
}

int
llm_parse(const char *provider, const char *body, struct nav_decision *d,
	  char *err, size_t errlen)
{
	json_object *root = json_tokener_parse(body ? body : ""), *v, *x;
	int r = -EINVAL;

	if (root == NULL) {
		snprintf(err, errlen, "the answer is not JSON");
		return -EINVAL;
	}
	if (strcmp(provider, "anthropic") == 0) {
		if (!json_object_object_get_ex(root, "content", &v) ||
		    !json_object_is_type(v, json_type_array)) {
			snprintf(err, errlen, "the answer has no content array");
			goto out;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			x = json_object_array_get_idx(v, i);
			json_object *in;
			const char *type = bus_json_str(x, "type");
			if (type == NULL || strcmp(type, "tool_use") != 0)
				continue;
			if (!json_object_object_get_ex(x, "input", &in) ||
			    !json_object_is_type(in, json_type_object) ||
			    bus_json_str(x, "name") == NULL) {
				snprintf(err, errlen,
					 "tool_use without a name or input");
				goto out;
			}
			r = llm_tool_decision(bus_json_str(x, "name"), in, d,
					      err, errlen);
			goto out;
		}
		snprintf(err, errlen, "the answer has no tool_use block");
	} else {
		json_object *ch, *msg, *tc, *fn, *args;
		if (!json_object_object_get_ex(root, "choices", &ch) ||
		    !json_object_is_type(ch, json_type_array) ||
		    json_object_array_length(ch) == 0 ||
		    !json_object_object_get_ex(json_object_array_get_idx(ch, 0),
					       "message", &msg)) {
			snprintf(err, errlen, "the answer has no choices[0].message");
			goto out;
		}
		if (!json_object_object_get_ex(msg, "tool_calls", &tc) ||
		    !json_object_is_type(tc, json_type_array) ||
		    json_object_array_length(tc) == 0 ||
		    !json_object_object_get_ex(json_object_array_get_idx(tc, 0),
					       "function", &fn) ||
		    bus_json_str(fn, "name") == NULL) {
			snprintf(err, errlen, "the answer has no tool call");
			goto out;
		}
		args = json_tokener_parse(bus_json_str(fn, "arguments")
					      ? bus_json_str(fn, "arguments")
					      : "");
		if (args == NULL || !json_object_is_type(args, json_type_object)) {
			json_object_put(args);
			snprintf(err, errlen,
				 "the tool call's arguments are not a JSON "
				 "object");
			goto out;
		}
		r = llm_tool_decision(bus_json_str(fn, "name"), args, d, err,
				      errlen);
		json_object_put(args);
	}
out:
	json_object_put(root);
	return r;
}

/* ---- the client ---- */

static size_t
llm_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct llm *l = ud;
	size_t n = size * nmemb;
	char *nb;

	if (l->len + n > LLM_BODY_MAX)
		return 0;
	nb = realloc(l->body, l->len + n + 1);
	if (nb == NULL)
		return 0;
	l->body = nb;
	memcpy(l->body + l->len, ptr, n);
	l->len += n;
	l->body[l->len] = '\0';
	return n;
}

static void
llm_read_key(struct llm *l, const struct conf *conf)
{
	const char *env = getenv("HOLDSLAYER_LLM_API_KEY");
	FILE *f;

	l->key[0] = '\0';
	if (conf->llm_api_key_file && conf->llm_api_key_file[0]) {
		f = fopen(conf->llm_api_key_file, "r");
		if (f == NULL) {
			log_warn("llm: [llm] api_key_file %s",
				 conf->llm_api_key_file);
			return;
		}
		if (fgets(l->key, sizeof(l->key), f) == NULL)
			l->key[0] = '\0';
		fclose(f);
		l->key[strcspn(l->key, "\r\n")] = '\0';
	} else if (env) {
		snprintf(l->key, sizeof(l->key), "%s", env);
	}
}

int
llm_new(struct llm **out, struct daemon *d, const struct conf *conf,
	struct explore *e)
{
	struct llm *l;
	const char *base;
	size_t bl;

	*out = NULL;
	if (!llm_enabled(conf))
		return -ENOTSUP;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->d = d;
	l->e = e;
	l->prov = llm_prov(conf->llm_provider);
	base = conf->llm_base_url && conf->llm_base_url[0]
		   ? conf->llm_base_url
		   : l->prov == LLM_OPENAI ? "https://api.openai.com/v1"
					   : "https://api.anthropic.com";
	bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	snprintf(l->url, sizeof(l->url), "%.*s%s", (int)bl, base,
		 l->prov == LLM_OPENAI ? "/chat/completions" : "/v1/messages");
	snprintf(l->model, sizeof(l->model), "%s",
		 conf->llm_model && conf->llm_model[0]
		     ? conf->llm_model
		     : l->prov == LLM_OPENAI ? "gpt-4o-mini"
					     : "claude-3-5-haiku-latest");
	l->timeout_ms = conf->llm_timeout_ms;
	llm_read_key(l, conf);
	l->multi = curl_multi_init();
	l->turns = json_object_new_array();
	if (l->multi == NULL || l->turns == NULL) {
		llm_free(l);
		return -ENOMEM;
	}
	*out = l;
	return 0;
}

int
llm_busy(const struct llm *l)
{
	return l != NULL && l->easy != NULL;
}

static void
llm_reset(struct llm *l)
{
	if (l->easy) {
		curl_multi_remove_handle(l->multi, l->easy);
		curl_easy_cleanup(l->easy);
		l->easy = NULL;
	}
	curl_slist_free_all(l->hdrs);
	l->hdrs = NULL;
	free(l->body);
	l->body = NULL;
	l->len = 0;
	if (l->tick) {
		daemon_timer_cancel(l->d, l->tick);
		l->tick = 0;
	}
}

void
llm_free(struct llm *l)
{
	if (l == NULL)
		return;
	llm_reset(l);
	json_object_put(l->pending_user);
	json_object_put(l->turns);
	if (l->multi)
		curl_multi_cleanup(l->multi);
	free(l);
}

/* Remembers this turn (user text, the model's tool call, its result). */
static void
llm_remember(struct llm *l, const struct nav_decision *d, const char *name,
	     json_object *in, const char *call_id)
{
	char id[128];
	json_object *a, *r, *content, *blk;

	/* The result must name the model's own call id. */
	++l->nturn;
	if (call_id && call_id[0])
		snprintf(id, sizeof(id), "%s", call_id);
	else
		snprintf(id, sizeof(id), "call_%d", l->nturn);
	json_object_array_add(l->turns, json_object_get(l->pending_user));
	a = json_object_new_object();
	json_object_object_add(a, "role", json_object_new_string("assistant"));
	r = json_object_new_object();
	if (l->prov == LLM_ANTHROPIC) {
		content = json_object_new_array();
		blk = json_object_new_object();
		json_object_object_add(blk, "type",
				       json_object_new_string("tool_use"));
		json_object_object_add(blk, "id", json_object_new_string(id));
		json_object_object_add(blk, "name", json_object_new_string(name));
		json_object_object_add(blk, "input", json_object_get(in));
		json_object_array_add(content, blk);
		json_object_object_add(a, "content", content);
		json_object_object_add(r, "role", json_object_new_string("user"));
		content = json_object_new_array();
		blk = json_object_new_object();
		json_object_object_add(blk, "type",
				       json_object_new_string("tool_result"));
		json_object_object_add(blk, "tool_use_id",
				       json_object_new_string(id));
		json_object_object_add(blk, "content",
				       json_object_new_string("done"));
		json_object_array_add(content, blk);
		json_object_object_add(r, "content", content);
	} else {
		json_object *tcs = json_object_new_array(), *tc, *fn;
		tc = json_object_new_object();
		json_object_object_add(tc, "id", json_object_new_string(id));
		json_object_object_add(tc, "type",
				       json_object_new_string("function"));
		fn = json_object_new_object();
		json_object_object_add(fn, "name", json_object_new_string(name));
		json_object_object_add(
		    fn, "arguments",
		    json_object_new_string(json_object_to_json_string_ext(
			in, JSON_C_TO_STRING_PLAIN)));
		json_object_object_add(tc, "function", fn);
		json_object_array_add(tcs, tc);
		json_object_object_add(a, "content", NULL);
		json_object_object_add(a, "tool_calls", tcs);
		json_object_object_add(r, "role", json_object_new_string("tool"));
		json_object_object_add(r, "tool_call_id",
				       json_object_new_string(id));
		json_object_object_add(r, "content",
				       json_object_new_string("done"));
	}
	json_object_array_add(l->turns, a);
	json_object_array_add(l->turns, r);
	(void)d;
}

/* The tool call of an answer, for the history (new reference), or NULL. */
static json_object *
llm_answer_call(struct llm *l, const char **name, char *id, size_t idlen)
{
	json_object *root = json_tokener_parse(l->body ? l->body : ""), *v, *x;
	json_object *in = NULL;

	*name = NULL;
	id[0] = '\0';
	if (root == NULL)
		return NULL;
	if (l->prov == LLM_ANTHROPIC) {
		if (json_object_object_get_ex(root, "content", &v))
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				x = json_object_array_get_idx(v, i);
				if (bus_json_str(x, "type") &&
				    strcmp(bus_json_str(x, "type"), "tool_use") ==
					0 &&
				    json_object_object_get_ex(x, "input", &in)) {
					in = json_object_get(in);
					snprintf(id, idlen, "%s",
						 bus_json_str(x, "id")
						     ? bus_json_str(x, "id")
						     : "");
					break;
				}
			}
	} else {
		json_object *fn;
		if (json_object_object_get_ex(root, "choices", &v) &&
		    json_object_object_get_ex(json_object_array_get_idx(v, 0),
					      "message", &x) &&
		    json_object_object_get_ex(x, "tool_calls", &v) &&
		    json_object_object_get_ex(json_object_array_get_idx(v, 0),
					      "function", &fn)) {
			const char *cid = bus_json_str(
			    json_object_array_get_idx(v, 0), "id");
			snprintf(id, idlen, "%s", cid ? cid : "");
			in = json_tokener_parse(bus_json_str(fn, "arguments")
						    ? bus_json_str(fn, "arguments")
						    : "");
		}
	}
	json_object_put(root);
	return in;
}

static void
llm_finish(struct llm *l, CURLcode res)
{
	struct nav_decision d;
	char err[512] = "";
	long code = 0;
	int ok = 0;

	if (res == CURLE_OK)
		curl_easy_getinfo(l->easy, CURLINFO_RESPONSE_CODE, &code);
	if (res != CURLE_OK)
		snprintf(err, sizeof(err), "%s", curl_easy_strerror(res));
	else if (code != 200)
		snprintf(err, sizeof(err), "HTTP %ld: %.200s", code,
			 l->body ? l->body : "");
	else if (llm_parse(l->prov == LLM_ANTHROPIC ? "anthropic" : "openai",
			   l->body, &d, err, sizeof(err)) == 0)
		ok = 1;
	if (ok) {
		const char *name = NULL;
		char cid[128];
		json_object *in = llm_answer_call(l, &name, cid, sizeof(cid));
		static const char *const names[] = {
		    [NAV_PRESS] = "press_digits", [NAV_SAY] = "say",
		    [NAV_WAIT] = "wait",	  [NAV_HOLD] = "mark_on_hold",
		    [NAV_TRANSFER] = "transfer",  [NAV_HANGUP] = "hang_up"};
		if (in)
			llm_remember(l, &d, names[d.act] ? names[d.act] : "wait",
				     in, cid);
		json_object_put(in);
		if (d.act == NAV_PRESS)
			nav_note(l->nav, &l->m, d.digits);
		log_info("call %s: llm: %s", l->c->id, d.reason);
	} else {
		log_warnx("call %s: llm: %s; the offline navigator decides",
			  l->c->id, err);
		nav_decide(l->nav, &l->m, l->c->info, l->quiet, &d);
		{
			char r[sizeof(d.reason)];
			memcpy(r, d.reason, sizeof(r));
			snprintf(d.reason, sizeof(d.reason),
				 "offline (LLM failed): %.480s", r);
		}
	}
	json_object_put(l->pending_user);
	l->pending_user = NULL;
	llm_reset(l);
	explore_apply(l->e, &l->m, &d);
}

static void
llm_tick_cb(struct daemon *d, void *arg)
{
	struct llm *l = arg;
	CURLMsg *msg;
	int running = 0, left = 0;

	(void)d;
	l->tick = 0;
	curl_multi_perform(l->multi, &running);
	while ((msg = curl_multi_info_read(l->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == l->easy) {
			llm_finish(l, msg->data.result);
			return;
		}
	if (l->easy)
		l->tick = daemon_timer_add(l->d, LLM_TICK_MS, llm_tick_cb, l);
}

int
llm_ask(struct llm *l, struct call *c, struct nav *n, const struct menu *m,
	const char *heard, int quiet)
{
	json_object *body;
	const char *txt;
	char hdr[600];

	if (l == NULL || l->easy)
		return -EBUSY;
	l->c = c;
	l->nav = n;
	l->m = *m;
	l->quiet = quiet;
	body = llm_request_body(l->prov == LLM_ANTHROPIC ? "anthropic" : "openai",
				l->model, c->intent, c->info, heard, l->turns, m);
	/* The user turn, for the history. */
	{
		json_object *msgs;
		json_object_object_get_ex(body, "messages", &msgs);
		json_object_put(l->pending_user);
		l->pending_user = json_object_get(json_object_array_get_idx(
		    msgs, json_object_array_length(msgs) - 1));
	}
	txt = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	l->easy = curl_easy_init();
	if (l->easy == NULL) {
		json_object_put(body);
		return -ENOMEM;
	}
	l->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (l->prov == LLM_ANTHROPIC) {
		l->hdrs = curl_slist_append(l->hdrs,
					    "anthropic-version: 2023-06-01");
		if (l->key[0]) {
			snprintf(hdr, sizeof(hdr), "x-api-key: %s", l->key);
			l->hdrs = curl_slist_append(l->hdrs, hdr);
		}
	} else if (l->key[0]) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", l->key);
		l->hdrs = curl_slist_append(l->hdrs, hdr);
	}
	curl_easy_setopt(l->easy, CURLOPT_URL, l->url);
	curl_easy_setopt(l->easy, CURLOPT_HTTPHEADER, l->hdrs);
	curl_easy_setopt(l->easy, CURLOPT_COPYPOSTFIELDS, txt);
	curl_easy_setopt(l->easy, CURLOPT_WRITEFUNCTION, llm_write);
	curl_easy_setopt(l->easy, CURLOPT_WRITEDATA, l);
	curl_easy_setopt(l->easy, CURLOPT_TIMEOUT_MS, l->timeout_ms);
	curl_easy_setopt(l->easy, CURLOPT_NOSIGNAL, 1L);
	json_object_put(body);
	curl_multi_add_handle(l->multi, l->easy);
	l->tick = daemon_timer_add(l->d, 0, llm_tick_cb, l);
	log_debug("call %s: llm: asking %s", c->id, l->url);
	return 0;
}
