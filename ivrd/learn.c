/*
 * learn: the flows ivrd learns by exploring.  When an explored call ends
 * with the user bridged to an agent, the path it took (explore.c: each
 * menu heard and the key pressed or words said) becomes a flow: LISTEN for
 * each menu, then its DTMF or SPEAK step, then HOLD and TRANSFER.  It is
 * saved atomically as FLOWSDIR/learned/NAME.json (flow_number_name(): the
 * number's digits, or for a sip: URI a readable part and a hash) and put
 * in the loaded flow set, so the next call to the number or URI follows it
 * without exploring.
 * Later calls merge into it: a path that changed replaces the steps, the
 * timings are updated, and success_count and fail_count count the calls
 * that used it.  A learned flow is only used for an intent like the one it
 * was learned for (learn_fits).
 *
 * The paths of the last LEARN_KEEP explored calls are kept (the only state
 * of this file, in one static struct) for the "learn {call_id}" control
 * command behind POST /api/call-flows/learn.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ivrd.h"
#include "log.h"
#include "nav.h"

#define LEARN_KEEP 64
#define LEARN_LISTEN_MIN_S 20.0
#define LEARN_LISTEN_PAD_S 15.0

static struct {
	struct learn_done {
		char call_id[MSG_CALL_ID_MAX];
		char number[64];
		char intent[256];
		json_object *path;
		int success;
	} done[LEARN_KEEP];
	int next;
} learn_state;

static void
learn_now(char *out, size_t outlen)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *
learn_str(json_object *o, const char *key, const char *def)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return def;
}

static double
learn_num(json_object *o, const char *key, double def)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) &&
	    (json_object_is_type(v, json_type_double) ||
	     json_object_is_type(v, json_type_int)))
		return json_object_get_double(v);
	return def;
}

static json_object *
learn_step(const char *id, const char *type, const char *description)
{
	json_object *s = json_object_new_object();

	json_object_object_add(s, "id", json_object_new_string(id));
	json_object_object_add(s, "type", json_object_new_string(type));
	json_object_object_add(s, "description",
			       json_object_new_string(description));
	return s;
}

/* "2 billing, 3 report a lost card" */
static void
learn_options_text(json_object *opts, char *out, size_t outlen)
{
	size_t o = 0, n = opts ? json_object_array_length(opts) : 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		json_object *x = json_object_array_get_idx(opts, i);
		int l = snprintf(out + o, outlen - o, "%s%s %s", o ? ", " : "",
				 learn_str(x, "digit", "say"),
				 learn_str(x, "label", ""));
		if (l < 0)
			break;
		o += (size_t)l;
	}
	if (o >= outlen)
		out[outlen - 1] = '\0';
}

/* The actions of a path, as one string ("2,1" or "say:..."): equal paths
 * have equal signatures. */
static void
learn_signature(json_object *steps, char *out, size_t outlen)
{
	size_t o = 0, n = steps ? json_object_array_length(steps) : 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(steps, i);
		const char *type = learn_str(s, "type", "");
		const char *v = NULL;
		int l;
		if (strcmp(type, "DTMF") == 0)
			v = learn_str(s, "dtmf", "");
		else if (strcmp(type, "SPEAK") == 0)
			v = "say";
		else
			continue;
		l = snprintf(out + o, outlen - o, "%s%s", o ? "," : "", v);
		if (l < 0 || (size_t)l >= outlen - o)
			break;
		o += (size_t)l;
	}
}

/* The wait_s of the LISTEN steps of old, by index among the LISTENs. */
static double
learn_old_wait(json_object *old, int k)
{
	json_object *steps, *meta;
	int seen = 0;

	if (!old || !json_object_object_get_ex(old, "steps", &steps))
		return -1;
	for (size_t i = 0; i < json_object_array_length(steps); i++) {
		json_object *s = json_object_array_get_idx(steps, i);
		if (strcmp(learn_str(s, "type", ""), "LISTEN") != 0)
			continue;
		if (seen++ == k)
			return json_object_object_get_ex(s, "metadata", &meta)
				   ? learn_num(meta, "wait_s", -1)
				   : -1;
	}
	return -1;
}

json_object *
learn_build(const char *number, const char *intent, json_object *path,
	    json_object *old, int success, char *err, size_t errlen)
{
	json_object *flow, *steps, *s, *meta, *tags, *learned;
	char digits[64], id[96], desc[512], now[32], opts[400], sig_new[512],
	    sig_old[512];
	size_t n;
	long succ = 0, fail = 0, version = 0, calls = 0;
	json_object *oldsteps = NULL;

	if (flow_number_name(number ? number : "", digits, sizeof(digits)) <
	    0) {
		snprintf(err, errlen,
			 "learn: the number '%.128s' has no digits and is no "
			 "sip: URI",
			 number ? number : "");
		return NULL;
	}
	if (path == NULL || !json_object_is_type(path, json_type_array) ||
	    json_object_array_length(path) == 0) {
		snprintf(err, errlen,
			 "learn: the exploration recorded no menu action");
		return NULL;
	}
	n = json_object_array_length(path);
	snprintf(id, sizeof(id), "learned-%s", digits);
	learn_now(now, sizeof(now));
	flow = json_object_new_object();
	steps = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(path, i), *o;
		const char *kind = learn_str(r, "kind", "menu");
		const char *dg = learn_str(r, "digits", NULL);
		const char *say = learn_str(r, "say", NULL);
		const char *ikey = learn_str(r, "info_key", NULL);
		double wait = learn_num(r, "wait_s", 0), ow;
		char sid[32], tmpl[96];

		if (!json_object_is_type(r, json_type_object) ||
		    (dg == NULL && say == NULL)) {
			snprintf(err, errlen,
				 "learn: path entry %zu has neither digits "
				 "nor say",
				 i);
			json_object_put(steps);
			json_object_put(flow);
			return NULL;
		}
		/* Timings: the mean of this call's and the last. */
		ow = learn_old_wait(old, (int)i);
		if (ow > 0 && wait > 0)
			wait = (wait + ow) / 2;
		snprintf(sid, sizeof(sid), "menu-%zu", i + 1);
		json_object_object_get_ex(r, "options", &o);
		learn_options_text(o, opts, sizeof(opts));
		snprintf(desc, sizeof(desc), "%s %zu%s%s",
			 strcmp(kind, "data") == 0     ? "Prompt"
			 : strcmp(kind, "speech") == 0 ? "Speech prompt"
						       : "Menu",
			 i + 1, opts[0] ? ": " : "", opts);
		s = learn_step(sid, "LISTEN", desc);
		json_object_object_add(
		    s, "timeout",
		    json_object_new_double(wait + LEARN_LISTEN_PAD_S >
						   LEARN_LISTEN_MIN_S
					       ? (double)(int)(wait +
							       LEARN_LISTEN_PAD_S)
					       : LEARN_LISTEN_MIN_S));
		meta = json_object_new_object();
		json_object_object_add(
		    meta, "heard", json_object_new_string(learn_str(r, "text", "")));
		if (o)
			json_object_object_add(meta, "options",
					       json_object_get(o));
		json_object_object_add(meta, "wait_s",
				       json_object_new_double(wait));
		if (i == 0) {
			learned = json_object_new_object();
			json_object_object_add(
			    learned, "intent",
			    json_object_new_string(intent ? intent : ""));
			json_object_object_add(meta, "learned", learned);
		}
		json_object_object_add(s, "metadata", meta);
		json_object_array_add(steps, s);

		if (say != NULL) {
			snprintf(sid, sizeof(sid), "say-%zu", i + 1);
			s = learn_step(sid, "SPEAK", say);
			meta = json_object_new_object();
			json_object_object_add(
			    meta, "text",
			    json_object_new_string(intent && strcmp(say, intent) == 0
						       ? "{intent}"
						       : say));
			json_object_object_add(s, "metadata", meta);
		} else {
			snprintf(sid, sizeof(sid), "%s-%zu",
				 strcmp(kind, "data") == 0 ? "enter" : "press",
				 i + 1);
			if (ikey != NULL)
				snprintf(tmpl, sizeof(tmpl), "{info.%s}%s", ikey,
					 strchr(dg, '#') ? "#" : "");
			else
				snprintf(tmpl, sizeof(tmpl), "%s", dg);
			s = learn_step(sid, "DTMF",
				       learn_str(r, "label", "")[0]
					   ? learn_str(r, "label", "")
					   : tmpl);
			json_object_object_add(s, "dtmf",
					       json_object_new_string(tmpl));
		}
		json_object_array_add(steps, s);
	}
	json_object_array_add(steps,
			      learn_step("hold", "HOLD",
					 "Wait on hold for a live agent"));
	json_object_array_add(
	    steps, learn_step("transfer", "TRANSFER",
			      "Ring the user's phone and bridge it to the "
			      "agent"));

	if (old != NULL) {
		json_object_object_get_ex(old, "steps", &oldsteps);
		succ = (long)learn_num(old, "success_count", 0);
		fail = (long)learn_num(old, "fail_count", 0);
		version = (long)learn_num(old, "version", 1);
		if (json_object_object_get_ex(old, "steps", &oldsteps) &&
		    json_object_array_length(oldsteps) > 0) {
			json_object *m0 = NULL, *l0 = NULL;
			json_object_object_get_ex(
			    json_object_array_get_idx(oldsteps, 0), "metadata",
			    &m0);
			if (m0 && json_object_object_get_ex(m0, "learned", &l0))
				calls = (long)learn_num(l0, "calls", 0);
		}
	}
	learn_signature(steps, sig_new, sizeof(sig_new));
	learn_signature(oldsteps, sig_old, sizeof(sig_old));
	json_object_object_add(flow, "id", json_object_new_string(id));
	snprintf(desc, sizeof(desc), "%s (learned)", number);
	json_object_object_add(flow, "name", json_object_new_string(desc));
	json_object_object_add(
	    flow, "company",
	    json_object_new_string(learn_str(old, "company", "")));
	json_object_object_add(flow, "phone_number",
			       json_object_new_string(number));
	snprintf(desc, sizeof(desc),
		 "Learned by exploring the menu for \"%.200s\"%s",
		 intent ? intent : "",
		 old && strcmp(sig_new, sig_old) != 0
		     ? "; the menu changed since the last call"
		     : "");
	json_object_object_add(flow, "description",
			       json_object_new_string(desc));
	json_object_object_add(flow, "steps", steps);
	json_object_object_add(
	    flow, "created_at",
	    json_object_new_string(learn_str(old, "created_at", now)));
	json_object_object_add(flow, "updated_at", json_object_new_string(now));
	json_object_object_add(flow, "version",
			       json_object_new_int64(version + 1));
	tags = json_object_new_array();
	json_object_array_add(tags, json_object_new_string("learned"));
	json_object_object_add(flow, "tags", tags);
	json_object_object_add(flow, "success_count",
			       json_object_new_int64(succ + (success ? 1 : 0)));
	json_object_object_add(flow, "fail_count",
			       json_object_new_int64(fail));
	{
		json_object *m0 = NULL, *l0 = NULL;
		json_object_object_get_ex(json_object_array_get_idx(steps, 0),
					  "metadata", &m0);
		if (m0 && json_object_object_get_ex(m0, "learned", &l0))
			json_object_object_add(l0, "calls",
					       json_object_new_int64(calls + 1));
	}
	return flow;
}

static int
learn_mkdir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err, errlen, "learn: cannot create %s: %s", dir,
			 strerror(e));
		return -e;
	}
	return 0;
}

int
learn_save(const char *flowsdir, const char *number, json_object *flow,
	   char *path, size_t pathlen, char *err, size_t errlen)
{
	char dir[1024], tmp[1200], digits[64];
	const char *text;
	size_t len;
	int fd, r;

	if (flow_number_name(number, digits, sizeof(digits)) < 0) {
		snprintf(err, errlen,
			 "learn: the number '%.128s' has no digits and is no "
			 "sip: URI",
			 number);
		return -EINVAL;
	}
	if ((r = learn_mkdir(flowsdir, err, errlen)) < 0)
		return r;
	snprintf(dir, sizeof(dir), "%s/learned", flowsdir);
	if ((r = learn_mkdir(dir, err, errlen)) < 0)
		return r;
	snprintf(path, pathlen, "%s/%s.json", dir, digits);
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.XXXXXX", dir, digits);
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "learn: %s: %s", tmp, strerror(-r));
		return r;
	}
	text = json_object_to_json_string_ext(
	    flow, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		      JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fchmod(fd, 0600) < 0 || fsync(fd) < 0) {
		r = -errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "learn: cannot write %s: %s", tmp,
			 strerror(-r ? -r : EIO));
		return r ? r : -EIO;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		snprintf(err, errlen, "learn: cannot rename to %s: %s", path,
			 strerror(-r));
		return r;
	}
	return 0;
}

/* Puts flow f (a reference is taken) in the set, replacing its id. */
static void
learn_set_put(struct ivrd *iv, struct flow *f)
{
	struct flow **nf;

	if (iv->flows == NULL && (iv->flows = calloc(1, sizeof(*iv->flows))) ==
				     NULL)
		return;
	for (size_t i = 0; i < iv->flows->n; i++)
		if (strcmp(iv->flows->flows[i]->id, f->id) == 0) {
			flow_unref(iv->flows->flows[i]);
			iv->flows->flows[i] = flow_ref(f);
			return;
		}
	nf = realloc(iv->flows->flows, (iv->flows->n + 1) * sizeof(*nf));
	if (nf == NULL)
		return;
	iv->flows->flows = nf;
	nf[iv->flows->n++] = flow_ref(f);
}

void
learn_load(struct ivrd *iv, const char *flowsdir)
{
	struct flow_set *s;
	char dir[1024], err[512];
	int bad = 0;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/learned", flowsdir);
	if (access(dir, F_OK) < 0)
		return;
	if (flow_set_load(&s, dir, &bad, err, sizeof(err)) < 0) {
		log_warnx("learn: %s", err);
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		/* A shipped flow with the same id wins. */
		if (iv->flows && flow_set_find(iv->flows, s->flows[i]->id))
			continue;
		learn_set_put(iv, s->flows[i]);
		n++;
	}
	flow_set_free(s);
	if (n)
		log_info("flows: %zu learned flow%s loaded from %s", n,
			 n == 1 ? "" : "s", dir);
}

static int
learn_is_learned(const struct flow *f)
{
	if (f == NULL || f->tags == NULL)
		return 0;
	for (size_t i = 0; i < json_object_array_length(f->tags); i++)
		if (strcmp(json_object_get_string(
			       json_object_array_get_idx(f->tags, i)),
			   "learned") == 0)
			return 1;
	return 0;
}

static const char *
learn_intent_of(const struct flow *f)
{
	json_object *l;

	if (f->nsteps == 0 || f->steps[0].metadata == NULL ||
	    !json_object_object_get_ex(f->steps[0].metadata, "learned", &l))
		return NULL;
	return learn_str(l, "intent", NULL);
}

int
learn_fits(const struct flow *f, const char *intent)
{
	const char *li;
	double self, other;

	if (!learn_is_learned(f))
		return 1;
	li = learn_intent_of(f);
	if (li == NULL || intent == NULL || strcasecmp(li, intent) == 0)
		return 1;
	self = menu_match(intent, intent);
	other = menu_match(intent, li);
	return self > 0 && other >= 0.6 * self;
}

/* The flow file of path as JSON (new reference), or NULL. */
static json_object *
learn_read(const char *path)
{
	return json_object_from_file(path);
}

static void
learn_keep(struct call *c, json_object *path, int success)
{
	struct learn_done *k = &learn_state.done[learn_state.next];

	learn_state.next = (learn_state.next + 1) % LEARN_KEEP;
	json_object_put(k->path);
	snprintf(k->call_id, sizeof(k->call_id), "%s", c->id);
	snprintf(k->number, sizeof(k->number), "%s", c->number);
	snprintf(k->intent, sizeof(k->intent), "%s", c->intent);
	k->path = json_object_get(path);
	k->success = success;
}

/* Learns from path (success: the user was bridged); returns 0 or <0. */
static int
learn_from(struct ivrd *iv, const char *number, const char *intent,
	   json_object *path, int success, int failed_before, char *outpath,
	   size_t outlen, char *flow_id, size_t idlen, char *err,
	   size_t errlen)
{
	const struct conf *conf = daemon_conf(iv->d);
	char digits[64], file[1100];
	json_object *old, *flow;
	struct flow *f;
	int r;

	if (flow_number_name(number, digits, sizeof(digits)) < 0)
		digits[0] = '\0';
	snprintf(file, sizeof(file), "%s/learned/%s.json", conf->flowsdir,
		 digits);
	old = learn_read(file);
	if (old && failed_before) {
		json_object_object_add(
		    old, "fail_count",
		    json_object_new_int64(
			(int64_t)learn_num(old, "fail_count", 0) + 1));
	}
	flow = learn_build(number, intent, path, old, success, err, errlen);
	json_object_put(old);
	if (flow == NULL)
		return -EINVAL;
	r = learn_save(conf->flowsdir, number, flow, outpath, outlen, err,
		       errlen);
	if (r == 0) {
		snprintf(flow_id, idlen, "%s", learn_str(flow, "id", ""));
		if (flow_load_file(&f, outpath, err, errlen) == 0) {
			learn_set_put(iv, f);
			flow_unref(f);
		} else {
			log_warnx("learn: %s", err);
		}
	}
	json_object_put(flow);
	return r;
}

/* Adds one to success_count or fail_count of a learned flow's file. */
static void
learn_count(struct ivrd *iv, const struct flow *fl, int success)
{
	json_object *j = learn_read(fl->path);
	char path[1100], err[512];
	struct flow *f;

	if (j == NULL)
		return;
	json_object_object_add(
	    j, success ? "success_count" : "fail_count",
	    json_object_new_int64(
		(int64_t)learn_num(j, success ? "success_count" : "fail_count",
				   0) +
		1));
	if (learn_save(daemon_conf(iv->d)->flowsdir, fl->phone_number, j,
		       path, sizeof(path), err, sizeof(err)) < 0)
		log_warnx("%s", err);
	else if (flow_load_file(&f, path, err, sizeof(err)) == 0) {
		learn_set_put(iv, f);
		flow_unref(f);
	}
	json_object_put(j);
}

void
learn_call_ended(struct call *c, json_object *path, const char *from_flow)
{
	struct ivrd *iv = c->ivrd;
	int success = c->user_up;
	char file[1100], id[FLOW_ID_MAX], err[512];

	if (path == NULL) {
		/* A call that followed a flow: count it for a learned one. */
		if (c->flow && c->company_up && learn_is_learned(c->flow))
			learn_count(iv, c->flow, success);
		return;
	}
	learn_keep(c, path, success);
	if (!success)
		return;
	if (learn_from(iv, c->number, c->intent, path, 1,
		       from_flow && strncmp(from_flow, "learned-", 8) == 0,
		       file, sizeof(file), id, sizeof(id), err,
		       sizeof(err)) < 0)
		log_warnx("call %s: %s", c->id, err);
	else
		log_info("call %s: learned flow '%s' saved as %s", c->id, id,
			 file);
}

int
learn_ctl(struct ivrd *iv, struct bus_ctl_req *req)
{
	struct bus *b = daemon_bus(iv->d);
	const char *call_id = bus_json_str(req->req, "call_id");
	struct learn_done *k = NULL;
	char file[1100], id[FLOW_ID_MAX], err[512];
	json_object *reply, *flow;

	if (call_id == NULL || call_id[0] == '\0')
		return bus_ctl_reply_err(b, req, 400,
					 "learn: call_id is required");
	for (int i = 0; i < LEARN_KEEP; i++)
		if (learn_state.done[i].path &&
		    strcmp(learn_state.done[i].call_id, call_id) == 0)
			k = &learn_state.done[i];
	if (k == NULL) {
		if (call_find(iv, call_id))
			return bus_ctl_reply_err(b, req, 409,
						 "learn: call %.64s has not "
						 "ended yet",
						 call_id);
		return bus_ctl_reply_err(b, req, 404,
					 "learn: no finished exploration for "
					 "call %.64s (ended calls that "
					 "explored a menu are kept until ivrd "
					 "restarts)",
					 call_id);
	}
	if (learn_from(iv, k->number, k->intent, k->path, k->success, 0, file,
		       sizeof(file), id, sizeof(id), err, sizeof(err)) < 0)
		return bus_ctl_reply_err(b, req, 422, "%s", err);
	reply = json_object_new_object();
	json_object_object_add(reply, "flow_id", json_object_new_string(id));
	json_object_object_add(reply, "path", json_object_new_string(file));
	flow = learn_read(file);
	json_object_object_add(reply, "flow", flow);
	return bus_ctl_reply_ok(b, req, reply);
}

void
learn_cleanup(void)
{
	for (int i = 0; i < LEARN_KEEP; i++) {
		json_object_put(learn_state.done[i].path);
		learn_state.done[i].path = NULL;
	}
}
