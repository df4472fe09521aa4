/*
 * holdctl: the command-line client of apid's REST API (see holdctl(1)).
 * It places hold_slayer calls, shows and watches their status and hangs
 * them up.  It speaks HTTP with libcurl and JSON with json-c; it never
 * touches the bus.  Options may come before or after the subcommand.
 * --wait and watch poll GET /api/calls/{id} every 500 ms and show one live
 * status line (rewritten in place on a terminal, one line per change
 * otherwise).
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"

#ifndef HS_VERSION
#define HS_VERSION "0.1.0"
#endif

#define HC_DEFAULT_API "http://localhost:8088"
#define HC_POLL_MS 500
#define HC_POLL_RETRIES 6 /* consecutive failed polls before giving up */

struct hc {
	const char *api;
	char apibuf[320];
	const char *conf_path; /* --conf, else $HOLDSLAYER_CONF, else default */
	char token[256];       /* "" when none was found */
	char token_file[1024]; /* where it was looked for */
	char token_err[1400];  /* why it could not be read, or "" */
	bool json;
	bool wait;
	const char *intent, *flow, *to, *info, *info_file, *secret;
	const char *status, *company, *tag, *type; /* history, flows, devices */
	long limit, priority;			   /* -1: not given */
	bool replace;				   /* flows import: PUT */
	CURL *curl;
};

struct hc_buf {
	char *data;
	size_t len;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: holdctl [--json] [--api url] [--conf file] [--token-file "
		"file] command ...\n"
		"       holdctl call number [--intent text] [--flow id] "
		"[--to device]\n"
		"               [--info key=value,...] [--info-file file] "
		"[--secret key,...] [--wait]\n"
		"       holdctl status [call]\n"
		"       holdctl watch [call]\n"
		"       holdctl hangup call\n"
		"       holdctl transfer call device\n"
		"       holdctl history [--limit n] [--status status]\n"
		"       holdctl flows [list] [--company name] [--tag tag]\n"
		"       holdctl flows show id | delete id | import file "
		"[--replace]\n"
		"       holdctl devices [list]\n"
		"       holdctl devices add name uri [--type type] [--priority "
		"n]\n"
		"       holdctl devices remove name\n"
		"       holdctl token\n"
		"       holdctl dashboard\n"
		"       holdctl --help | --version\n");
}

static void
help(void)
{
	usage(stdout);
	printf("\nDrive Hold Slayer through apid's REST API.\n\n"
	       "  call NUMBER      start a hold_slayer call to NUMBER\n"
	       "  status [CALL]    show one call, or list the calls in "
	       "progress\n"
	       "  watch [CALL]     follow a call (default: the newest) until "
	       "it ends\n"
	       "  hangup CALL      hang a call up\n"
	       "  transfer CALL D  ring device D (a name or sip: URI) for the "
	       "call now\n"
	       "  history          every call, newest first\n"
	       "  flows ...        list, show, import or delete call flows\n"
	       "  devices ...      list, add or remove devices\n"
	       "  token            print the API token holdctl uses\n"
	       "  dashboard        print the dashboard's address, token "
	       "included\n\n"
	       "  A CALL may be a unique prefix of its id.\n\n"
	       "  --api URL        apid's address (default $HOLDCTL_API, else "
	       "[api] listen,\n"
	       "                   else %s)\n"
	       "  --conf FILE      the configuration apid reads (default "
	       "$HOLDSLAYER_CONF)\n"
	       "  --token-file F   read the token from F (default [api] "
	       "token_file;\n"
	       "                   $HOLDCTL_TOKEN overrides both)\n"
	       "  --json           print apid's JSON replies\n"
	       "  --intent TEXT    what the call is for\n"
	       "  --flow ID        use this call flow\n"
	       "  --to DEVICE      the device to ring when a person answers\n"
	       "  --info K=V,...   facts for the phone menu (account "
	       "numbers...)\n"
	       "  --info-file F    the same facts from a JSON object in F\n"
	       "  --secret K,...   these info keys are secret: masked "
	       "everywhere but the menu\n"
	       "  --wait           follow the call until it ends\n\n"
	       "Exit status: 0 on success (a followed call completed), 1 on a "
	       "failed call\nor an error, 2 on a usage error.  See "
	       "holdctl(1).\n",
	       HC_DEFAULT_API);
}

static size_t
hc_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct hc_buf *b = ud;
	size_t n = size * nmemb;
	char *p = realloc(b->data, b->len + n + 1);

	if (p == NULL)
		return 0;
	memcpy(p + b->len, ptr, n);
	b->data = p;
	b->len += n;
	p[b->len] = '\0';
	return n;
}

/*
 * Sends one request (body borrowed, may be NULL).  Returns the HTTP status
 * with *out the parsed JSON reply (caller puts it; NULL if not JSON), or -1
 * after printing why apid could not be reached.
 */
static int
hc_request(struct hc *h, const char *method, const char *path,
	   json_object *body, json_object **out)
{
	char url[2048], errbuf[CURL_ERROR_SIZE] = "";
	struct hc_buf b = {NULL, 0};
	struct curl_slist *hdrs = NULL;
	size_t alen = strlen(h->api);
	long status = 0, oserr = 0;
	CURLcode cc;

	*out = NULL;
	while (alen > 0 && h->api[alen - 1] == '/')
		alen--;
	snprintf(url, sizeof(url), "%.*s%s", (int)alen, h->api, path);
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, hc_write);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &b);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (h->token[0] != '\0') {
		char auth[300];
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", h->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (body != NULL || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h->curl, CURLOPT_COPYPOSTFIELDS,
				 body ? json_object_to_json_string_ext(
					    body, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE)
				      : "{}");
	}
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(h->curl);
	curl_slist_free_all(hdrs);
	if (cc != CURLE_OK) {
		curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &oserr);
		if (cc == CURLE_OPERATION_TIMEDOUT && oserr == 0)
			fprintf(stderr,
				"holdctl: apid at %.*s did not answer in time\n",
				(int)alen, h->api);
		else
			fprintf(stderr, "holdctl: cannot reach apid at %.*s: %s\n",
				(int)alen, h->api,
				oserr ? strerror((int)oserr)
				: errbuf[0] ? errbuf
					    : curl_easy_strerror(cc));
		free(b.data);
		return -1;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401 && h->token[0] == '\0')
		fprintf(stderr,
			"holdctl: apid wants its token and none was found: %s "
			"(or use --token-file or $HOLDCTL_TOKEN)\n",
			h->token_err[0] ? h->token_err : "no token file");
	if (b.data != NULL)
		*out = json_tokener_parse(b.data);
	free(b.data);
	return (int)status;
}

/* Prints an error reply ("detail") and, with --json, the reply itself. */
static void
hc_http_error(struct hc *h, int status, json_object *o)
{
	json_object *d;

	if (h->json && o != NULL)
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (o != NULL && json_object_object_get_ex(o, "detail", &d))
		fprintf(stderr, "holdctl: %s (HTTP %d)\n",
			json_object_get_string(d), status);
	else
		fprintf(stderr, "holdctl: apid answered HTTP %d\n", status);
}

static const char *
hc_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Seconds as HH:MM:SS or MM:SS; "--:--" when missing. */
static const char *
hc_dur(json_object *o, const char *key, char *buf, size_t len)
{
	json_object *v;
	long s;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    (!json_object_is_type(v, json_type_double) &&
	     !json_object_is_type(v, json_type_int))) {
		snprintf(buf, len, "--:--");
		return buf;
	}
	s = (long)json_object_get_double(v);
	if (s >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(buf, len, "%02ld:%02ld", s / 60, s % 60);
	return buf;
}

static bool
hc_terminal(const char *status)
{
	return status != NULL && (strcmp(status, "completed") == 0 ||
				  strcmp(status, "failed") == 0);
}

/* "3f2a1b0c... on_hold  hold 00:42  audio music" */
static void
hc_status_line(json_object *c, char *out, size_t len)
{
	const char *id = hc_str(c, "call_id"), *st = hc_str(c, "status");
	const char *audio = hc_str(c, "audio_type");
	char hold[32];

	snprintf(out, len, "%.8s... %-14s hold %s  audio %s", id ? id : "?",
		 st ? st : "?", hc_dur(c, "hold_time", hold, sizeof(hold)),
		 audio ? audio : "-");
}

/* The final word on a call; returns the exit status. */
/* failure.cause in words; NULL for "failed" or none (the code says it). */
static const char *
hc_cause(const char *cause)
{
	static const struct {
		const char *cause, *words;
	} t[] = {
	    {"busy", "the line is busy"},
	    {"no_answer", "nobody answered"},
	    {"not_found", "no such number"},
	    {"rejected", "the call was refused"},
	    {"unavailable", "the far end cannot take calls now"},
	    {"incompatible", "no media in common with the far end"},
	};

	for (size_t i = 0; cause && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(cause, t[i].cause) == 0)
			return t[i].words;
	return NULL;
}

static int
hc_final(struct hc *h, json_object *c)
{
	const char *id = hc_str(c, "call_id"), *st = hc_str(c, "status");
	char dur[32], hold[32];
	json_object *f, *v;

	if (h->json) {
		printf("%s\n", json_object_to_json_string_ext(
				   c, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else if (st && strcmp(st, "failed") == 0) {
		const char *reason = NULL, *cause = NULL;
		long code = 0;
		if (json_object_object_get_ex(c, "failure", &f) && f != NULL) {
			reason = hc_str(f, "reason");
			cause = hc_cause(hc_str(f, "cause"));
			if (json_object_object_get_ex(f, "code", &v))
				code = (long)json_object_get_int64(v);
		}
		if (code && cause)
			printf("call %s failed: %s (%ld %s)\n", id ? id : "?",
			       cause, code, reason ? reason : "");
		else if (code)
			printf("call %s failed: %ld %s\n", id ? id : "?", code,
			       reason ? reason : "");
		else
			printf("call %s failed: %s\n", id ? id : "?",
			       reason ? reason : "unknown reason");
	} else {
		printf("call %s %s (duration %s, hold %s)\n", id ? id : "?",
		       st ? st : "?", hc_dur(c, "duration", dur, sizeof(dur)),
		       hc_dur(c, "hold_time", hold, sizeof(hold)));
	}
	return st && strcmp(st, "completed") == 0 ? 0 : 1;
}

/*
 * A readable line for an event the user should read as it happens, or
 * NULL: info_missing -> "needs account_number: took the representative
 * route"; hold_eta -> "the company says the wait is about 2 minutes".
 */
static const char *
hc_event_note(json_object *e, char *out, size_t len)
{
	static const char *const acts[][2] = {
	    {"representative", "took the representative route"},
	    {"wait", "waited for the menu to move on"},
	    {"listen", "kept listening"},
	    {"say", "answered by voice instead"},
	    {"hold", "waited on hold"},
	    {"transfer", "rang your phone"},
	    {"hang_up", "hung up"},
	};
	const char *type = hc_str(e, "type"), *key, *act;
	json_object *d, *m;

	if (type == NULL || !json_object_object_get_ex(e, "data", &d))
		return NULL;
	/* hold_eta -> "the company says the wait is about 12 minutes" */
	if (strcmp(type, "hold_eta") == 0 &&
	    json_object_object_get_ex(d, "minutes", &m)) {
		int64_t min = json_object_get_int64(m);

		snprintf(out, len, "the company says the wait is about %lld "
				   "minute%s",
			 (long long)min, min == 1 ? "" : "s");
		return out;
	}
	if (strcmp(type, "info_missing") != 0)
		return NULL;
	key = hc_str(d, "key");
	act = hc_str(d, "action");
	if (act == NULL)
		act = "representative";
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strcmp(act, acts[i][0]) == 0) {
			snprintf(out, len, "needs %s: not guessed; %s",
				 key ? key : "?", acts[i][1]);
			return out;
		}
	/* Anything else is the digits pressed instead. */
	snprintf(out, len,
		 "needs %s: not guessed; pressed %s for the representative "
		 "route",
		 key ? key : "?", act);
	return out;
}

/* Prints the notes of events after the first *done (counted by note). */
static void
hc_print_notes(json_object *c, int *done, bool tty)
{
	json_object *v;
	char note[256];
	int n = 0;

	if (!json_object_object_get_ex(c, "events", &v) ||
	    !json_object_is_type(v, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);
		if (hc_event_note(e, note, sizeof(note)) == NULL)
			continue;
		if (n++ < *done)
			continue;
		printf(tty ? "\r%s\033[K\n" : "%s\n", note);
		(*done)++;
	}
}

/* Follows a call until it ends. */
static int
hc_follow(struct hc *h, const char *id)
{
	char path[256], line[256], last[256] = "", key[128], lastkey[128] = "";
	bool tty = isatty(STDOUT_FILENO);
	int fails = 0, notes = 0;

	snprintf(path, sizeof(path), "/api/calls/%s", id);
	for (;;) {
		json_object *c = NULL;
		int st = hc_request(h, "GET", path, NULL, &c);
		const char *status;

		if (st < 0 || st >= 500) {
			json_object_put(c);
			if (++fails >= HC_POLL_RETRIES) {
				if (tty && last[0])
					putchar('\n');
				fprintf(stderr, "holdctl: giving up on %s\n", id);
				return 1;
			}
			usleep(HC_POLL_MS * 1000);
			continue;
		}
		fails = 0;
		if (st != 200) {
			if (tty && last[0])
				putchar('\n');
			hc_http_error(h, st, c);
			json_object_put(c);
			return 1;
		}
		status = hc_str(c, "status");
		hc_status_line(c, line, sizeof(line));
		snprintf(key, sizeof(key), "%s %s", status ? status : "",
			 hc_str(c, "audio_type") ? hc_str(c, "audio_type") : "");
		if (h->json) {
			if (strcmp(key, lastkey) != 0 && !hc_terminal(status))
				printf("%s\n", json_object_to_json_string_ext(
						   c, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		} else if (tty) {
			int before = notes;
			hc_print_notes(c, &notes, tty);
			if (notes != before)
				last[0] = '\0';
			if (strcmp(line, last) != 0)
				printf("\r%s\033[K", line);
		} else {
			hc_print_notes(c, &notes, tty);
			if (strcmp(key, lastkey) != 0)
				printf("%s\n", line);
		}
		fflush(stdout);
		snprintf(last, sizeof(last), "%s", line);
		snprintf(lastkey, sizeof(lastkey), "%s", key);
		if (hc_terminal(status)) {
			int rc;
			if (tty && !h->json)
				putchar('\n');
			rc = hc_final(h, c);
			json_object_put(c);
			return rc;
		}
		json_object_put(c);
		usleep(HC_POLL_MS * 1000);
	}
}

/* "k=v,k2=v2" -> {"k":"v","k2":"v2"}; NULL after printing the fault. */
static json_object *
hc_info(const char *s)
{
	json_object *o = json_object_new_object();
	char *dup = strdup(s), *save = NULL;

	for (char *item = strtok_r(dup, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (eq == NULL || eq == item) {
			fprintf(stderr, "holdctl: --info: '%s' is not key=value\n",
				item);
			json_object_put(o);
			free(dup);
			return NULL;
		}
		*eq = '\0';
		json_object_object_add(o, item, json_object_new_string(eq + 1));
	}
	free(dup);
	return o;
}

/*
 * The call's info: the object of --info-file (which keeps values off the
 * command line, where ps shows them), then --info's pairs; the keys of
 * --secret become {"value": v, "secret": true} (apid masks them).  NULL
 * after printing the fault.
 */
static json_object *
hc_info_all(struct hc *h)
{
	json_object *info, *more, *v;
	char *dup, *save = NULL;

	if (h->info_file != NULL) {
		info = json_object_from_file(h->info_file);
		if (info == NULL || !json_object_is_type(info, json_type_object)) {
			fprintf(stderr, "holdctl: --info-file %s: not a JSON "
					"object%s%s\n",
				h->info_file, info ? "" : ": ",
				info ? "" : json_util_get_last_err());
			json_object_put(info);
			return NULL;
		}
	} else {
		info = json_object_new_object();
	}
	if (h->info != NULL) {
		if ((more = hc_info(h->info)) == NULL) {
			json_object_put(info);
			return NULL;
		}
		json_object_object_foreach(more, k, val)
		    json_object_object_add(info, k, json_object_get(val));
		json_object_put(more);
	}
	if (h->secret == NULL)
		return info;
	dup = strdup(h->secret);
	for (char *key = strtok_r(dup, ",", &save); key;
	     key = strtok_r(NULL, ",", &save)) {
		json_object *o;
		if (!json_object_object_get_ex(info, key, &v)) {
			fprintf(stderr, "holdctl: --secret: '%s' is not in the "
					"info\n",
				key);
			json_object_put(info);
			free(dup);
			return NULL;
		}
		if (json_object_is_type(v, json_type_object))
			continue; /* already {"value", "secret"} */
		o = json_object_new_object();
		json_object_object_add(o, "value", json_object_get(v));
		json_object_object_add(o, "secret", json_object_new_boolean(1));
		json_object_object_add(info, key, o);
	}
	free(dup);
	return info;
}

static int
cmd_call(struct hc *h, const char *number)
{
	json_object *body = json_object_new_object(), *reply = NULL;
	const char *id;
	int st, rc = 1;

	json_object_object_add(body, "number", json_object_new_string(number));
	if (h->intent)
		json_object_object_add(body, "intent",
				       json_object_new_string(h->intent));
	if (h->flow)
		json_object_object_add(body, "flow_id",
				       json_object_new_string(h->flow));
	if (h->to)
		json_object_object_add(body, "device",
				       json_object_new_string(h->to));
	if (h->info || h->info_file) {
		json_object *info = hc_info_all(h);
		if (info == NULL) {
			json_object_put(body);
			return 2;
		}
		json_object_object_add(body, "info", info);
	}
	st = hc_request(h, "POST", "/api/calls/hold-slayer", body, &reply);
	json_object_put(body);
	if (st < 0)
		return 1;
	if (st != 200 && st != 201) {
		hc_http_error(h, st, reply);
		goto out;
	}
	id = hc_str(reply, "call_id");
	if (id == NULL) {
		fprintf(stderr, "holdctl: apid's reply has no call_id\n");
		goto out;
	}
	if (h->json)
		printf("%s\n", json_object_to_json_string_ext(
				   reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		printf("call %s started: %s\n", id,
		       hc_str(reply, "status") ? hc_str(reply, "status") : "?");
	fflush(stdout);
	rc = h->wait ? hc_follow(h, id) : 0;
out:
	json_object_put(reply);
	return rc;
}

static void
hc_print_call(json_object *c)
{
	static const char *keys[] = {"call_id", "status", "number", "mode",
				     "intent", "flow_id", "device",
				     "started_at", "ended_at", "audio_type",
				     "recording"};
	char buf[32];
	json_object *f, *v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("%-11s %s\n", keys[i],
		       hc_str(c, keys[i]) ? hc_str(c, keys[i]) : "-");
	printf("%-11s %s\n", "duration", hc_dur(c, "duration", buf, sizeof(buf)));
	printf("%-11s %s\n", "hold_time", hc_dur(c, "hold_time", buf, sizeof(buf)));
	if (json_object_object_get_ex(c, "failure", &f) && f != NULL) {
		long code = 0;
		if (json_object_object_get_ex(f, "code", &v))
			code = (long)json_object_get_int64(v);
		printf("%-11s %ld %s%s%s%s\n", "failure", code,
		       hc_str(f, "reason") ? hc_str(f, "reason") : "",
		       hc_str(f, "cause") ? " (" : "",
		       hc_str(f, "cause") ? hc_str(f, "cause") : "",
		       hc_str(f, "cause") ? ")" : "");
	}
	if (json_object_object_get_ex(c, "events", &v) &&
	    json_object_is_type(v, json_type_array)) {
		printf("events:\n");
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *e = json_object_array_get_idx(v, i), *d;
			char note[256];
			printf("  %s  %-18s %s\n",
			       hc_str(e, "ts") ? hc_str(e, "ts") : "?",
			       hc_str(e, "type") ? hc_str(e, "type") : "?",
			       hc_event_note(e, note, sizeof(note)) ? note
			       : json_object_object_get_ex(e, "data", &d)
				   ? json_object_to_json_string_ext(
					 d, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
				   : "{}");
		}
	}
}

/* One line on the trunk registration when sipd has one ("" if off). */
static void
hc_print_registration(struct hc *h)
{
	json_object *health = NULL, *reg;
	const char *st, *reason;

	if (hc_request(h, "GET", "/api/health", NULL, &health) != 200 ||
	    !json_object_object_get_ex(health, "registration", &reg) ||
	    (st = hc_str(reg, "state")) == NULL || strcmp(st, "off") == 0)
		goto out;
	reason = hc_str(reg, "reason");
	if (strcmp(st, "registered") == 0)
		printf("trunk: registered with %s (%d s left)\n",
		       hc_str(reg, "registrar") ? hc_str(reg, "registrar") : "?",
		       json_object_get_int(json_object_object_get(reg,
								  "expires")));
	else
		printf("trunk: %s with %s%s%s\n", st,
		       hc_str(reg, "registrar") ? hc_str(reg, "registrar") : "?",
		       reason ? ": " : "", reason ? reason : "");
out:
	json_object_put(health);
}

/* Prints reply (consumed) as JSON with --json; returns 0. */
static int
hc_print_json(json_object *reply)
{
	printf("%s\n", json_object_to_json_string_ext(
			   reply, JSON_C_TO_STRING_PLAIN |
				      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(reply);
	return 0;
}

/*
 * GETs path, expecting 200.  Returns the reply (caller puts it), or NULL
 * after printing why.
 */
static json_object *
hc_get(struct hc *h, const char *path)
{
	json_object *reply = NULL;
	int st = hc_request(h, "GET", path, NULL, &reply);

	if (st < 0)
		return NULL;
	if (st != 200 || reply == NULL) {
		hc_http_error(h, st, reply);
		json_object_put(reply);
		return NULL;
	}
	return reply;
}

/* The calls table of a {calls, total} reply. */
static void
hc_print_calls(json_object *reply, const char *none)
{
	json_object *calls;
	size_t n;

	if (!json_object_object_get_ex(reply, "calls", &calls) ||
	    !json_object_is_type(calls, json_type_array) ||
	    (n = json_object_array_length(calls)) == 0) {
		printf("%s\n", none);
		return;
	}
	printf("%-36s  %-14s  %-16s  %-24s  %s\n", "CALL", "STATUS", "NUMBER",
	       "STARTED", "HOLD");
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(calls, i);
		char hold[32];
		printf("%-36s  %-14s  %-16s  %-24s  %s\n",
		       hc_str(c, "call_id") ? hc_str(c, "call_id") : "?",
		       hc_str(c, "status") ? hc_str(c, "status") : "?",
		       hc_str(c, "number") ? hc_str(c, "number") : "?",
		       hc_str(c, "started_at") ? hc_str(c, "started_at") : "?",
		       hc_dur(c, "hold_time", hold, sizeof(hold)));
	}
	if (json_object_object_get_ex(reply, "total", &calls) &&
	    json_object_get_int64(calls) > (int64_t)n)
		printf("(%zu of %lld)\n", n,
		       (long long)json_object_get_int64(calls));
}

static int
cmd_status(struct hc *h, const char *id)
{
	char path[256];
	json_object *reply;

	if (id)
		snprintf(path, sizeof(path), "/api/calls/%s", id);
	else
		snprintf(path, sizeof(path), "/api/calls?limit=100");
	if ((reply = hc_get(h, path)) == NULL)
		return 1;
	if (h->json)
		return hc_print_json(reply);
	if (id)
		hc_print_call(reply);
	else {
		hc_print_registration(h);
		hc_print_calls(reply, "no calls in progress");
	}
	json_object_put(reply);
	return 0;
}

/* holdctl history: every call, newest first. */
static int
cmd_history(struct hc *h)
{
	char path[256];
	json_object *reply;

	snprintf(path, sizeof(path), "/api/calls?status=%s&limit=%ld",
		 h->status ? h->status : "all", h->limit);
	if ((reply = hc_get(h, path)) == NULL)
		return 1;
	if (h->json)
		return hc_print_json(reply);
	hc_print_calls(reply, "no calls");
	json_object_put(reply);
	return 0;
}

static int
cmd_watch(struct hc *h, const char *id)
{
	char buf[64];
	json_object *reply, *calls;

	if (id == NULL) {
		if ((reply = hc_get(h, "/api/calls?status=all&limit=1")) == NULL)
			return 1;
		if (!json_object_object_get_ex(reply, "calls", &calls) ||
		    json_object_array_length(calls) == 0) {
			fprintf(stderr, "holdctl: there are no calls to watch\n");
			json_object_put(reply);
			return 1;
		}
		snprintf(buf, sizeof(buf), "%s",
			 hc_str(json_object_array_get_idx(calls, 0), "call_id")
			     ? hc_str(json_object_array_get_idx(calls, 0),
				      "call_id")
			     : "");
		json_object_put(reply);
		id = buf;
	}
	return hc_follow(h, id);
}

/* Sends a POST/PUT/DELETE; prints the reply or the error. */
static int
hc_change(struct hc *h, const char *method, const char *path,
	  json_object *body, const char *done)
{
	json_object *reply = NULL;
	int st = hc_request(h, method, path, body, &reply);

	if (st < 0)
		return 1;
	if (st < 200 || st > 299) {
		hc_http_error(h, st, reply);
		json_object_put(reply);
		return 1;
	}
	if (h->json && reply != NULL)
		return hc_print_json(reply);
	printf("%s\n", done);
	json_object_put(reply);
	return 0;
}

static int
cmd_transfer(struct hc *h, const char *id, const char *to)
{
	char path[256], done[512];
	json_object *body = json_object_new_object();
	int rc;

	snprintf(path, sizeof(path), "/api/calls/%s/transfer", id);
	json_object_object_add(body, "transfer_to", json_object_new_string(to));
	snprintf(done, sizeof(done), "call %s: transfer to %s requested", id, to);
	rc = hc_change(h, "POST", path, body, done);
	json_object_put(body);
	return rc;
}

/* Appends ?k=v (URL-encoded) to path. */
static void
hc_query(struct hc *h, char *path, size_t len, const char *k, const char *v)
{
	char *e;

	if (v == NULL)
		return;
	e = curl_easy_escape(h->curl, v, 0);
	snprintf(path + strlen(path), len - strlen(path), "%s%s=%s",
		 strchr(path, '?') ? "&" : "?", k, e ? e : "");
	curl_free(e);
}

static int
cmd_flows(struct hc *h, const char *sub, const char *arg)
{
	char path[1024] = "/api/call-flows", done[512];
	json_object *reply, *flows, *body;
	int rc;

	if (sub == NULL || strcmp(sub, "list") == 0) {
		hc_query(h, path, sizeof(path), "company", h->company);
		hc_query(h, path, sizeof(path), "tag", h->tag);
		if ((reply = hc_get(h, path)) == NULL)
			return 1;
		if (h->json)
			return hc_print_json(reply);
		if (!json_object_object_get_ex(reply, "flows", &flows) ||
		    json_object_array_length(flows) == 0)
			printf("no flows\n");
		else
			printf("%-24s  %-20s  %-14s  %5s  %4s  %4s  %s\n", "FLOW",
			       "COMPANY", "NUMBER", "STEPS", "OK", "FAIL",
			       "TAGS");
		for (size_t i = 0; flows && i < json_object_array_length(flows);
		     i++) {
			json_object *f = json_object_array_get_idx(flows, i), *v;
			char tags[256] = "";
			if (json_object_object_get_ex(f, "tags", &v) &&
			    json_object_is_type(v, json_type_array))
				for (size_t j = 0; j < json_object_array_length(v);
				     j++)
					snprintf(tags + strlen(tags),
						 sizeof(tags) - strlen(tags), "%s%s",
						 j ? "," : "",
						 json_object_get_string(
						     json_object_array_get_idx(v, j)));
#define HC_INT(k)                                                              \
	(json_object_object_get_ex(f, k, &v) ? (long)json_object_get_int64(v) : 0)
			printf("%-24s  %-20s  %-14s  %5ld  %4ld  %4ld  %s\n",
			       hc_str(f, "id") ? hc_str(f, "id") : "?",
			       hc_str(f, "company") ? hc_str(f, "company") : "-",
			       hc_str(f, "phone_number") ? hc_str(f, "phone_number")
							 : "-",
			       HC_INT("step_count"), HC_INT("success_count"),
			       HC_INT("fail_count"), tags[0] ? tags : "-");
#undef HC_INT
		}
		json_object_put(reply);
		return 0;
	}
	if (arg == NULL) {
		fprintf(stderr, "holdctl: flows %s needs %s\n", sub,
			strcmp(sub, "import") == 0 ? "a file" : "a flow id");
		return 2;
	}
	if (strcmp(sub, "show") == 0) {
		snprintf(path, sizeof(path), "/api/call-flows/%s", arg);
		if ((reply = hc_get(h, path)) == NULL)
			return 1;
		/* A flow is JSON either way: pretty unless --json. */
		printf("%s\n", json_object_to_json_string_ext(
				   reply, h->json ? JSON_C_TO_STRING_PLAIN
						  : JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(reply);
		return 0;
	}
	if (strcmp(sub, "delete") == 0) {
		snprintf(path, sizeof(path), "/api/call-flows/%s", arg);
		snprintf(done, sizeof(done), "flow %s deleted", arg);
		return hc_change(h, "DELETE", path, NULL, done);
	}
	if (strcmp(sub, "import") == 0) {
		const char *id;
		body = strcmp(arg, "-") == 0 ? NULL : json_object_from_file(arg);
		if (body == NULL || !json_object_is_type(body, json_type_object)) {
			fprintf(stderr, "holdctl: %s: not a JSON flow object%s%s\n",
				arg, body ? "" : ": ",
				body ? "" : json_util_get_last_err());
			json_object_put(body);
			return 1;
		}
		id = hc_str(body, "id");
		snprintf(done, sizeof(done), "flow %s imported", id ? id : "?");
		if (h->replace && id != NULL) {
			snprintf(path, sizeof(path), "/api/call-flows/%s", id);
			rc = hc_change(h, "PUT", path, body, done);
		} else {
			rc = hc_change(h, "POST", "/api/call-flows", body, done);
		}
		json_object_put(body);
		return rc;
	}
	fprintf(stderr, "holdctl: unknown flows command '%s' (list, show, "
			"import, delete)\n",
		sub);
	return 2;
}

static int
cmd_devices(struct hc *h, const char *sub, const char *name, const char *uri)
{
	char path[512], done[512];
	json_object *reply, *devs, *body;
	int rc;

	if (sub == NULL || strcmp(sub, "list") == 0) {
		if ((reply = hc_get(h, "/api/devices")) == NULL)
			return 1;
		if (h->json)
			return hc_print_json(reply);
		if (!json_object_object_get_ex(reply, "devices", &devs) ||
		    json_object_array_length(devs) == 0)
			printf("no devices\n");
		else
			printf("%-16s  %-8s  %-40s  %4s  %s\n", "DEVICE", "TYPE",
			       "SIP URI", "PRIO", "ONLINE");
		for (size_t i = 0; devs && i < json_object_array_length(devs);
		     i++) {
			json_object *d = json_object_array_get_idx(devs, i), *v;
			const char *online = "-";
			if (json_object_object_get_ex(d, "is_online", &v) && v)
				online = json_object_get_boolean(v) ? "yes" : "no";
			printf("%-16s  %-8s  %-40s  %4ld  %s\n",
			       hc_str(d, "name") ? hc_str(d, "name") : "?",
			       hc_str(d, "type") ? hc_str(d, "type") : "?",
			       hc_str(d, "sip_uri") ? hc_str(d, "sip_uri") : "?",
			       json_object_object_get_ex(d, "priority", &v)
				   ? (long)json_object_get_int64(v)
				   : 0,
			       online);
		}
		json_object_put(reply);
		return 0;
	}
	if (name == NULL) {
		fprintf(stderr, "holdctl: devices %s needs a device name\n", sub);
		return 2;
	}
	if (strcmp(sub, "remove") == 0) {
		snprintf(path, sizeof(path), "/api/devices/%s", name);
		snprintf(done, sizeof(done), "device %s removed", name);
		return hc_change(h, "DELETE", path, NULL, done);
	}
	if (strcmp(sub, "add") == 0) {
		if (uri == NULL) {
			fprintf(stderr, "holdctl: devices add needs a name and a "
					"sip: URI or number\n");
			return 2;
		}
		body = json_object_new_object();
		json_object_object_add(body, "name", json_object_new_string(name));
		json_object_object_add(body, "sip_uri", json_object_new_string(uri));
		if (h->type)
			json_object_object_add(body, "type",
					       json_object_new_string(h->type));
		if (h->priority >= 0)
			json_object_object_add(body, "priority",
					       json_object_new_int64(h->priority));
		snprintf(done, sizeof(done), "device %s added", name);
		rc = hc_change(h, "POST", "/api/devices", body, done);
		json_object_put(body);
		return rc;
	}
	fprintf(stderr,
		"holdctl: unknown devices command '%s' (list, add, remove)\n",
		sub);
	return 2;
}

static int
cmd_hangup(struct hc *h, const char *id)
{
	char path[256];
	json_object *reply = NULL;
	int st;

	snprintf(path, sizeof(path), "/api/calls/%s/hangup", id);
	st = hc_request(h, "POST", path, NULL, &reply);
	if (st < 0)
		return 1;
	if (st != 200) {
		hc_http_error(h, st, reply);
		json_object_put(reply);
		return 1;
	}
	if (h->json)
		printf("%s\n", json_object_to_json_string_ext(
				   reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		printf("call %s: hangup requested\n", id);
	json_object_put(reply);
	return 0;
}

/*
 * Finds apid and its token from the configuration apid reads (--conf,
 * $HOLDSLAYER_CONF or the default file; built-in defaults when there is
 * none): the address from [api] listen unless --api or $HOLDCTL_API says
 * otherwise, the token from $HOLDCTL_TOKEN, else the file --token-file or
 * [api] token_file names (never from the command line: ps shows that).
 */
static void
hc_setup(struct hc *h, const char *token_file)
{
	struct conf *c = NULL;
	char err[512];
	const char *path = h->conf_path ? h->conf_path : conf_default_path();
	const char *env = getenv("HOLDCTL_TOKEN");
	FILE *fp;

	if (conf_load(&c, path, err, sizeof(err)) < 0) {
		if (h->conf_path != NULL)
			fprintf(stderr, "holdctl: %s\n", err);
		if (conf_load(&c, NULL, err, sizeof(err)) < 0)
			c = NULL;
	}
	if (h->api == NULL && c != NULL) {
		const char *l = c->api_listen;
		if (strncmp(l, "0.0.0.0:", 8) == 0)
			snprintf(h->apibuf, sizeof(h->apibuf), "http://127.0.0.1%s",
				 l + 7);
		else if (strncmp(l, "[::]:", 5) == 0)
			snprintf(h->apibuf, sizeof(h->apibuf), "http://[::1]%s",
				 l + 4);
		else
			snprintf(h->apibuf, sizeof(h->apibuf), "http://%s", l);
		h->api = h->apibuf;
	}
	if (h->api == NULL)
		h->api = HC_DEFAULT_API;
	if (token_file != NULL)
		snprintf(h->token_file, sizeof(h->token_file), "%s", token_file);
	else if (c != NULL)
		snprintf(h->token_file, sizeof(h->token_file), "%s",
			 c->api_token_file);
	conf_free(c);
	if (env != NULL && env[0] != '\0') {
		snprintf(h->token, sizeof(h->token), "%s", env);
		return;
	}
	if (h->token_file[0] == '\0') {
		snprintf(h->token_err, sizeof(h->token_err),
			 "no configuration names a token file");
		return;
	}
	if ((fp = fopen(h->token_file, "r")) == NULL) {
		snprintf(h->token_err, sizeof(h->token_err), "%s: %s",
			 h->token_file, strerror(errno));
		return;
	}
	if (fgets(h->token, sizeof(h->token), fp) == NULL)
		h->token[0] = '\0';
	fclose(fp);
	h->token[strcspn(h->token, " \t\r\n")] = '\0';
	if (h->token[0] == '\0')
		snprintf(h->token_err, sizeof(h->token_err), "%s is empty",
			 h->token_file);
}

/* holdctl token: the token holdctl would send, and where it came from. */
static int
cmd_token(struct hc *h)
{
	if (h->token[0] == '\0') {
		fprintf(stderr, "holdctl: no token: %s\n",
			h->token_err[0] ? h->token_err : "none found");
		return 1;
	}
	if (h->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "token",
				       json_object_new_string(h->token));
		json_object_object_add(o, "file",
				       h->token_file[0] ? json_object_new_string(
							      h->token_file)
							: NULL);
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		printf("%s\n", h->token);
	}
	return 0;
}

/*
 * holdctl dashboard: the page apid serves, with the token in the fragment
 * (#token=), which a browser keeps to itself: the page reads it, and no
 * server, proxy or log sees it.
 */
static int
cmd_dashboard(struct hc *h)
{
	size_t n = strlen(h->api);

	if (h->token[0] == '\0') {
		fprintf(stderr, "holdctl: no token: %s\n",
			h->token_err[0] ? h->token_err : "none found");
		return 1;
	}
	while (n > 0 && h->api[n - 1] == '/')
		n--;
	printf("%.*s/#token=%s\n", (int)n, h->api, h->token);
	return 0;
}

/* A call id goes into a URL path: keep it to [A-Za-z0-9._-]. */
static bool
hc_id_ok(const char *id)
{
	if (id[0] == '\0' || strlen(id) > 64)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || strchr("._-", *p)))
			return false;
	return true;
}

int
main(int argc, char **argv)
{
	enum { O_API = 256, O_JSON, O_INTENT, O_FLOW, O_TO, O_INFO, O_WAIT,
	       O_TOKEN, O_CONF, O_LIMIT, O_STATUS, O_COMPANY, O_TAG, O_REPLACE,
	       O_TYPE, O_PRIORITY, O_INFO_FILE, O_SECRET };
	static const struct option longopts[] = {
	    {"api", required_argument, NULL, O_API},
	    {"token-file", required_argument, NULL, O_TOKEN},
	    {"conf", required_argument, NULL, O_CONF},
	    {"json", no_argument, NULL, O_JSON},
	    {"intent", required_argument, NULL, O_INTENT},
	    {"flow", required_argument, NULL, O_FLOW},
	    {"to", required_argument, NULL, O_TO},
	    {"info", required_argument, NULL, O_INFO},
	    {"info-file", required_argument, NULL, O_INFO_FILE},
	    {"secret", required_argument, NULL, O_SECRET},
	    {"wait", no_argument, NULL, O_WAIT},
	    {"limit", required_argument, NULL, O_LIMIT},
	    {"status", required_argument, NULL, O_STATUS},
	    {"company", required_argument, NULL, O_COMPANY},
	    {"tag", required_argument, NULL, O_TAG},
	    {"replace", no_argument, NULL, O_REPLACE},
	    {"type", required_argument, NULL, O_TYPE},
	    {"priority", required_argument, NULL, O_PRIORITY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0}};
	/* The commands, how many arguments each takes, and which is an id. */
	static const struct {
		const char *name;
		int min, max;
		int id_arg; /* index of the call id argument, or -1 */
	} cmds[] = {
	    {"call", 1, 1, -1},	   {"status", 0, 1, 0}, {"watch", 0, 1, 0},
	    {"hangup", 1, 1, 0},   {"transfer", 2, 2, 0},
	    {"history", 0, 0, -1}, {"flows", 0, 2, -1},
	    {"devices", 0, 3, -1}, {"token", 0, 0, -1},
	    {"dashboard", 0, 0, -1},
	};
	static struct hc h;
	const char *cmd, *args[3] = {NULL, NULL, NULL}, *token_file = NULL;
	int c, rc = 1, nargs;
	size_t ci;
	char *end;

	h.limit = 20;
	h.priority = -1;
	h.api = getenv("HOLDCTL_API");
	if (h.api != NULL && h.api[0] == '\0')
		h.api = NULL;
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case O_API:
			h.api = optarg;
			break;
		case O_TOKEN:
			token_file = optarg;
			break;
		case O_CONF:
			h.conf_path = optarg;
			break;
		case O_JSON:
			h.json = true;
			break;
		case O_INTENT:
			h.intent = optarg;
			break;
		case O_FLOW:
			h.flow = optarg;
			break;
		case O_TO:
			h.to = optarg;
			break;
		case O_INFO:
			h.info = optarg;
			break;
		case O_INFO_FILE:
			h.info_file = optarg;
			break;
		case O_SECRET:
			h.secret = optarg;
			break;
		case O_WAIT:
			h.wait = true;
			break;
		case O_LIMIT:
			h.limit = strtol(optarg, &end, 10);
			if (*end != '\0' || h.limit < 1 || h.limit > 1000) {
				fprintf(stderr, "holdctl: --limit: 1 to 1000\n");
				return 2;
			}
			break;
		case O_STATUS:
			h.status = optarg;
			break;
		case O_COMPANY:
			h.company = optarg;
			break;
		case O_TAG:
			h.tag = optarg;
			break;
		case O_REPLACE:
			h.replace = true;
			break;
		case O_TYPE:
			h.type = optarg;
			break;
		case O_PRIORITY:
			h.priority = strtol(optarg, &end, 10);
			if (*end != '\0' || h.priority < 0 || h.priority > 1000) {
				fprintf(stderr,
					"holdctl: --priority: 0 to 1000\n");
				return 2;
			}
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("holdctl %s\n", HS_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	nargs = argc - optind;
	if (nargs < 1) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	for (ci = 0; ci < sizeof(cmds) / sizeof(cmds[0]); ci++)
		if (strcmp(cmd, cmds[ci].name) == 0)
			break;
	if (ci == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "holdctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	nargs--;
	if (nargs > cmds[ci].max) {
		fprintf(stderr, "holdctl: unexpected argument '%s'\n",
			argv[optind + 1 + cmds[ci].max]);
		usage(stderr);
		return 2;
	}
	if (nargs < cmds[ci].min) {
		fprintf(stderr, "holdctl: %s needs %s\n", cmd,
			strcmp(cmd, "call") == 0       ? "a number"
			: strcmp(cmd, "transfer") == 0 ? "a call id and a device"
						       : "a call id");
		usage(stderr);
		return 2;
	}
	for (int i = 0; i < nargs; i++)
		args[i] = argv[optind + 1 + i];
	if (strcmp(cmd, "call") != 0 &&
	    (h.intent || h.flow || h.to || h.info || h.info_file || h.secret ||
	     h.wait)) {
		fprintf(stderr,
			"holdctl: --intent, --flow, --to, --info, --info-file, "
			"--secret and --wait go with call\n");
		usage(stderr);
		return 2;
	}
	if (cmds[ci].id_arg >= 0 && args[cmds[ci].id_arg] != NULL &&
	    !hc_id_ok(args[cmds[ci].id_arg])) {
		fprintf(stderr, "holdctl: '%s' is not a call id\n",
			args[cmds[ci].id_arg]);
		return 2;
	}
	/* Flow and device names go in URL paths too. */
	if ((strcmp(cmd, "flows") == 0 && args[0] &&
	     strcmp(args[0], "import") != 0 && args[1] && !hc_id_ok(args[1])) ||
	    (strcmp(cmd, "devices") == 0 && args[1] && !hc_id_ok(args[1]))) {
		fprintf(stderr, "holdctl: '%s' is not a valid name\n", args[1]);
		return 2;
	}
	hc_setup(&h, token_file);
	if (strcmp(cmd, "token") == 0)
		return cmd_token(&h);
	if (strcmp(cmd, "dashboard") == 0)
		return cmd_dashboard(&h);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (h.curl = curl_easy_init()) == NULL) {
		fprintf(stderr, "holdctl: cannot initialise libcurl\n");
		return 1;
	}
	if (strcmp(cmd, "call") == 0)
		rc = cmd_call(&h, args[0]);
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(&h, args[0]);
	else if (strcmp(cmd, "watch") == 0)
		rc = cmd_watch(&h, args[0]);
	else if (strcmp(cmd, "hangup") == 0)
		rc = cmd_hangup(&h, args[0]);
	else if (strcmp(cmd, "transfer") == 0)
		rc = cmd_transfer(&h, args[0], args[1]);
	else if (strcmp(cmd, "history") == 0)
		rc = cmd_history(&h);
	else if (strcmp(cmd, "flows") == 0)
		rc = cmd_flows(&h, args[0], args[1]);
	else if (strcmp(cmd, "devices") == 0)
		rc = cmd_devices(&h, args[0], args[1], args[2]);
	curl_easy_cleanup(h.curl);
	curl_global_cleanup();
	return rc;
}
