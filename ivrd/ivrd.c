/*
 * ivrd: the brain of a call.  It loads the call flows of [general] flowsdir
 * (at start and on SIGHUP), answers the control commands "start", "hangup"
 * and "flows", listens to sipd (call progress) and classifyd (what the
 * company leg sounds like), and runs one struct call (call.c) per call.
 *
 * Control protocol (JSON over the bus, holdslayer-bus(7)):
 *   start {call_id, number, uri?, mode, intent?, flow_id?, device?, info?}
 *       -> {ok, flow_id}; ok:false code 404 for an unknown flow or no flow
 *       for the number, code 400 for bad input, 409 for a call_id in use.
 *   hangup {call_id} -> {ok}
 *   flows {} -> {ok, flows:[{id, name, company, phone_number}]}
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ivrd.h"
#include "log.h"
#include "nav.h"

static void
ivrd_load_flows(struct ivrd *iv, const struct conf *conf)
{
	struct flow_set *s;
	char err[512];
	int bad = 0;

	if (flow_set_load(&s, conf->flowsdir, &bad, err, sizeof(err)) < 0) {
		log_warnx("%s; %s", err,
			  iv->flows ? "keeping the flows already loaded"
				    : "no flows loaded");
		if (iv->flows == NULL)
			iv->flows = calloc(1, sizeof(*iv->flows));
		return;
	}
	flow_set_free(iv->flows);
	iv->flows = s;
	learn_load(iv, conf->flowsdir);
	apictl_load(iv, conf->flowsdir);
	log_info("flows: %zu loaded from %s%s", s->n, conf->flowsdir,
		 bad ? " (invalid files skipped, see above)" : "");
	for (size_t i = 0; i < s->n; i++)
		log_debug("flows: %s: '%s' for %s, %zu steps", s->flows[i]->id,
			  s->flows[i]->name, s->flows[i]->phone_number,
			  s->flows[i]->nsteps);
}

static int
ivrd_init(struct daemon *d, void *state)
{
	struct ivrd *iv = state;
	static const char *const sipd_topics[] = {
	    "call_ringing", "call_connected", "call_ended", "call_failed",
	    NULL};
	static const char *const classifyd_topics[] = {
	    "audio_classified", "hold_detected", "human_detected",
	    "human_retracted", "transcript_chunk", "hold_eta", NULL};
	struct bus *b = daemon_bus(d);

	iv->d = d;
	ivrd_load_flows(iv, daemon_conf(d));
	/* The WordNet database opens now: a missing one says so at once. */
	(void)sense_ready();
	if (bus_sub_connect(b, "sipd", sipd_topics) < 0 ||
	    bus_sub_connect(b, "classifyd", classifyd_topics) < 0) {
		log_warnx("bus: cannot subscribe to sipd and classifyd");
		return -EIO;
	}
	return 0;
}

static void
ivrd_reload(struct daemon *d, void *state, const struct conf *old)
{
	(void)old;
	ivrd_load_flows(state, daemon_conf(d));
}

static void
ivrd_fini(struct daemon *d, void *state)
{
	struct ivrd *iv = state;

	(void)d;
	call_end_all(iv);
	learn_cleanup();
	sense_cleanup();
	flow_set_free(iv->flows);
	iv->flows = NULL;
}

static void
ivrd_event(struct daemon *d, void *state, struct bus_in *in)
{
	struct call *c;

	(void)d;
	if (in->kind != BUS_IN_EVENT || in->ev.call_id[0] == '\0')
		return;
	c = call_find(state, in->ev.call_id);
	if (c != NULL)
		call_event(c, &in->ev);
}

/* A string member that may be absent or null (NULL), else must be a
 * string: -EINVAL otherwise. */
static int
ivrd_opt_str(json_object *o, const char *key, const char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	*out = json_object_get_string(v);
	return 0;
}

static int
ivrd_is_sip_uri(const char *s)
{
	return strncmp(s, "sip:", 4) == 0 || strncmp(s, "sips:", 5) == 0;
}

/*
 * The company URI for a number: sip:NUMBER@HOST where HOST is the host (and
 * port) of [trunk] proxy.  Returns 0 or -EINVAL with err set.
 */
static int
ivrd_number_uri(const struct conf *conf, const char *number, char *out,
		size_t outlen, char *err, size_t errlen)
{
	char user[64], host[256];
	const char *p = conf->trunk_proxy;
	size_t n = 0, hl;

	for (const char *q = number; *q && n + 1 < sizeof(user); q++)
		if ((*q >= '0' && *q <= '9') || (*q == '+' && n == 0) ||
		    *q == '*' || *q == '#')
			user[n++] = *q;
	user[n] = '\0';
	if (strpbrk(user, "0123456789") == NULL) {
		snprintf(err, errlen, "number '%.64s' has no digits", number);
		return -EINVAL;
	}
	/* E.164: "+" and at most 15 digits. */
	if (user[0] == '+' && (strlen(user) > 16 || strpbrk(user, "*#"))) {
		snprintf(err, errlen,
			 "number '%.64s' is not E.164 ('+' and 1 to 15 digits)",
			 number);
		return -EINVAL;
	}
	if (p == NULL || *p == '\0') {
		snprintf(err, errlen,
			 "no trunk configured: set [trunk] proxy, or give a "
			 "sip: URI as uri or number");
		return -EINVAL;
	}
	if (strncmp(p, "sips:", 5) == 0)
		p += 5;
	else if (strncmp(p, "sip:", 4) == 0)
		p += 4;
	if (strchr(p, '@'))
		p = strchr(p, '@') + 1;
	hl = strcspn(p, ";?>/ ");
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(err, errlen, "[trunk] proxy '%s' has no host",
			 conf->trunk_proxy);
		return -EINVAL;
	}
	memcpy(host, p, hl);
	host[hl] = '\0';
	/* '#' would need escaping in a URI. */
	if (strchr(user, '#')) {
		snprintf(err, errlen, "number '%.64s': '#' cannot be dialled",
			 number);
		return -EINVAL;
	}
	snprintf(out, outlen, "sip:%s@%s", user, host);
	return 0;
}

static int
ivrd_ctl_start(struct ivrd *iv, struct bus_ctl_req *req)
{
	const struct conf *conf = daemon_conf(iv->d);
	struct bus *b = daemon_bus(iv->d);
	const char *call_id, *number, *uri, *mode, *intent, *flow_id, *device;
	const char *device_uri = NULL;
	json_object *info = NULL, *reply;
	enum call_mode m = CALL_MODE_HOLD_SLAYER;
	struct flow *flow = NULL;
	struct call *c;
	char urib[512], err[512];
	int r, device_given = 0;

	call_id = bus_json_str(req->req, "call_id");
	if (call_id == NULL || call_id[0] == '\0' ||
	    strlen(call_id) >= MSG_CALL_ID_MAX)
		return bus_ctl_reply_err(b, req, 400,
					 "start: call_id must be a string of "
					 "1 to %d characters",
					 MSG_CALL_ID_MAX - 1);
	if (ivrd_opt_str(req->req, "number", &number) < 0 ||
	    ivrd_opt_str(req->req, "uri", &uri) < 0 ||
	    ivrd_opt_str(req->req, "mode", &mode) < 0 ||
	    ivrd_opt_str(req->req, "intent", &intent) < 0 ||
	    ivrd_opt_str(req->req, "flow_id", &flow_id) < 0 ||
	    ivrd_opt_str(req->req, "device", &device) < 0)
		return bus_ctl_reply_err(b, req, 400,
					 "start: number, uri, mode, intent, "
					 "flow_id and device must be strings");
	if (json_object_object_get_ex(req->req, "info", &info) &&
	    !json_object_is_type(info, json_type_null) &&
	    !json_object_is_type(info, json_type_object))
		return bus_ctl_reply_err(b, req, 400,
					 "start: info must be an object");
	if ((number == NULL || number[0] == '\0') &&
	    (uri == NULL || uri[0] == '\0'))
		return bus_ctl_reply_err(b, req, 400,
					 "start: number is required");
	if (number == NULL)
		number = "";
	if (mode == NULL || strcmp(mode, "hold_slayer") == 0)
		m = CALL_MODE_HOLD_SLAYER;
	else if (strcmp(mode, "direct") == 0)
		m = CALL_MODE_DIRECT;
	else
		return bus_ctl_reply_err(b, req, 400,
					 "start: mode '%.32s' is not "
					 "hold_slayer or direct",
					 mode);
	if (call_find(iv, call_id) != NULL)
		return bus_ctl_reply_err(b, req, 409,
					 "start: call %s is already running",
					 call_id);

	/* The flow. */
	if (m == CALL_MODE_HOLD_SLAYER) {
		if (flow_id != NULL && flow_id[0] != '\0') {
			flow = flow_set_find(iv->flows, flow_id);
			if (flow == NULL)
				return bus_ctl_reply_err(b, req, 404,
							 "unknown flow '%.128s'",
							 flow_id);
		} else {
			flow = flow_set_match_number(iv->flows, number);
			/* A learned flow serves the intent it was learned
			 * for; another intent explores. */
			if (flow != NULL && !learn_fits(flow, intent))
				flow = NULL;
			/* No flow: the menu is explored, when it can be. */
			if (flow == NULL && !explore_available())
				return bus_ctl_reply_err(
				    b, req, 404, "no call flow for %.64s",
				    number[0] ? number : uri);
		}
	}

	/* The user's device. */
	if (device != NULL && device[0] != '\0') {
		device_given = 1;
		device_uri = ivrd_is_sip_uri(device)
				 ? device
				 : conf_device_uri(conf, device);
		if (device_uri == NULL)
			return bus_ctl_reply_err(b, req, 400,
						 "unknown device '%.64s' (not "
						 "in [devices])",
						 device);
	} else if (conf->ivr_default_device && conf->ivr_default_device[0]) {
		device = conf->ivr_default_device;
		device_uri = conf_device_uri(conf, device);
		if (device_uri == NULL)
			return bus_ctl_reply_err(b, req, 400,
						 "[ivr] default_device '%.64s' "
						 "is not in [devices]",
						 device);
	} else {
		device = NULL;
	}
	if (flow != NULL && !device_given) {
		for (size_t i = 0; i < flow->nsteps; i++) {
			const struct flow_step *s = &flow->steps[i];
			if (s->type != FLOW_STEP_TRANSFER)
				continue;
			if (s->device != NULL &&
			    conf_device_uri(conf, s->device) == NULL)
				return bus_ctl_reply_err(
				    b, req, 400,
				    "flow '%s' step '%s' names device '%.64s', "
				    "which is not in [devices]",
				    flow->id, s->id, s->device);
			if (s->device == NULL && device_uri == NULL)
				return bus_ctl_reply_err(
				    b, req, 400,
				    "no device to transfer to: name one, or "
				    "set [ivr] default_device");
		}
	}
	if (m == CALL_MODE_HOLD_SLAYER && flow == NULL && device_uri == NULL)
		return bus_ctl_reply_err(b, req, 400,
					 "no device to transfer to: name one, or "
					 "set [ivr] default_device");
	if (m == CALL_MODE_DIRECT && device_uri == NULL)
		return bus_ctl_reply_err(b, req, 400,
					 "no device to connect: name one, or "
					 "set [ivr] default_device");

	/* The company's URI. */
	if (uri != NULL && uri[0] != '\0') {
		if (!ivrd_is_sip_uri(uri))
			return bus_ctl_reply_err(b, req, 400,
						 "start: uri '%.64s' is not a "
						 "sip: URI",
						 uri);
		snprintf(urib, sizeof(urib), "%s", uri);
	} else if (ivrd_is_sip_uri(number)) {
		snprintf(urib, sizeof(urib), "%s", number);
	} else if (ivrd_number_uri(conf, number, urib, sizeof(urib), err,
				   sizeof(err)) < 0) {
		return bus_ctl_reply_err(b, req, 400, "%s", err);
	}

	r = call_new(&c, iv, call_id, m, number, urib, device, device_uri,
		     device_given, intent,
		     json_object_is_type(info, json_type_object) ? info : NULL,
		     flow);
	if (r < 0)
		return bus_ctl_reply_err(b, req, 500, "start: %s",
					 strerror(-r));
	log_info("call %s: %s to %s, flow %s, device %s", call_id,
		 m == CALL_MODE_DIRECT ? "direct" : "hold_slayer", urib,
		 flow ? flow->id
		      : m == CALL_MODE_DIRECT ? "none" : "none (exploring)",
		 device ? device : "none");
	reply = json_object_new_object();
	json_object_object_add(reply, "flow_id",
			       flow ? json_object_new_string(flow->id) : NULL);
	return bus_ctl_reply_ok(b, req, reply);
}

/* A hangup forwarded to sipd, answered when sipd answers. */
struct ivrd_fwd {
	struct ivrd *iv;
	struct bus_ctl_req req; /* a copy of the caller's, without its JSON */
	char call_id[MSG_CALL_ID_MAX];
};

static void
ivrd_hangup_fwd_cb(void *arg, enum bus_reply_status st, json_object *reply,
		   const char *err)
{
	struct ivrd_fwd *f = arg;
	struct bus *b = daemon_bus(f->iv->d);

	(void)reply;
	if (st == BUS_REPLY_TIMEOUT)
		bus_ctl_reply_err(b, &f->req, 503, "hangup: %s", err);
	else if (st != BUS_REPLY_OK)
		bus_ctl_reply_err(b, &f->req, 404, "no call %.64s",
				  f->call_id);
	else
		bus_ctl_reply_ok(b, &f->req, NULL);
	free(f);
}

static int
ivrd_ctl_hangup(struct ivrd *iv, struct bus_ctl_req *req)
{
	struct bus *b = daemon_bus(iv->d);
	const char *call_id = bus_json_str(req->req, "call_id");
	struct ivrd_fwd *f;
	json_object *fwd;
	struct call *c;
	char err[512];
	int64_t r;

	if (call_id == NULL || call_id[0] == '\0')
		return bus_ctl_reply_err(b, req, 400,
					 "hangup: call_id is required");
	c = call_find(iv, call_id);
	if (c != NULL) {
		bus_ctl_reply_ok(b, req, NULL);
		call_end(c, "hangup requested");
		return 0;
	}
	/*
	 * Not a call of ours (ended already, or started before a restart):
	 * ask sipd to drop whatever it still has, within half the caller's
	 * patience, and answer the caller when sipd answers.
	 */
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return bus_ctl_reply_err(b, req, 500, "hangup: out of memory");
	f->iv = iv;
	f->req = *req;
	f->req.req = NULL;
	snprintf(f->call_id, sizeof(f->call_id), "%s", call_id);
	fwd = json_object_new_object();
	json_object_object_add(fwd, "cmd", json_object_new_string("hangup"));
	json_object_object_add(fwd, "call_id", json_object_new_string(call_id));
	r = daemon_request(iv->d, "sipd", fwd,
			   (int)daemon_conf(iv->d)->ctl_timeout_ms / 2, NULL,
			   ivrd_hangup_fwd_cb, f, err, sizeof(err));
	json_object_put(fwd);
	if (r < 0) {
		free(f);
		return bus_ctl_reply_err(b, req, 503, "hangup: %s", err);
	}
	return 0;
}

static int
ivrd_ctl_flows(struct ivrd *iv, struct bus_ctl_req *req)
{
	json_object *body = json_object_new_object();
	json_object *arr = json_object_new_array();

	for (size_t i = 0; iv->flows && i < iv->flows->n; i++) {
		const struct flow *f = iv->flows->flows[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(f->id));
		json_object_object_add(o, "name",
				       json_object_new_string(f->name));
		json_object_object_add(o, "company",
				       json_object_new_string(f->company));
		json_object_object_add(o, "phone_number",
				       json_object_new_string(f->phone_number));
		apictl_flow_summary(f, daemon_conf(iv->d)->flowsdir, o);
		json_object_array_add(arr, o);
	}
	json_object_object_add(body, "flows", arr);
	return bus_ctl_reply_ok(daemon_bus(iv->d), req, body);
}

static int
ivrd_ctl(struct daemon *d, void *state, struct bus_ctl_req *req)
{
	struct ivrd *iv = state;

	(void)d;
	if (strcmp(req->cmd, "start") == 0)
		return ivrd_ctl_start(iv, req);
	if (strcmp(req->cmd, "hangup") == 0)
		return ivrd_ctl_hangup(iv, req);
	if (strcmp(req->cmd, "flows") == 0)
		return ivrd_ctl_flows(iv, req);
	if (strcmp(req->cmd, "learn") == 0)
		return learn_ctl(iv, req);
	return apictl_ctl(iv, req);
}

static void
ivrd_status(struct daemon *d, void *state, json_object *reply)
{
	struct ivrd *iv = state;
	json_object *calls = json_object_new_array();

	json_object_object_add(reply, "flowsdir",
			       json_object_new_string(daemon_conf(d)->flowsdir));
	json_object_object_add(
	    reply, "flows",
	    json_object_new_int64(iv->flows ? (int64_t)iv->flows->n : 0));
	for (struct call *c = iv->calls; c; c = c->next) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "call_id",
				       json_object_new_string(c->id));
		json_object_object_add(
		    o, "state", json_object_new_string(call_phase_name(c->phase)));
		json_object_object_add(
		    o, "flow_id",
		    c->flow ? json_object_new_string(c->flow->id) : NULL);
		json_object_object_add(
		    o, "step_id",
		    c->flow && c->step >= 0
			? json_object_new_string(c->flow->steps[c->step].id)
			: NULL);
		json_object_array_add(calls, o);
	}
	json_object_object_add(reply, "calls", calls);
}

static int
ivrd_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Checks one file; seen (may be NULL) holds the flows of the files checked
 * before, for duplicate ids.  Returns the flow (a reference), or NULL after
 * printing why it would be skipped.
 */
static struct flow *
ivrd_check_one(const char *path, struct flow **seen, size_t nseen)
{
	struct flow *f;
	char err[768];

	if (flow_load_file(&f, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	for (size_t i = 0; i < nseen; i++)
		if (strcmp(seen[i]->id, f->id) == 0) {
			fprintf(stderr,
				"%s: id: '%s' is already the id of %s\n",
				path, f->id, seen[i]->path);
			flow_unref(f);
			return NULL;
		}
	printf("%s: ok: flow '%s' for %s, %zu step%s\n", path, f->id,
	       f->phone_number, f->nsteps, f->nsteps == 1 ? "" : "s");
	return f;
}

/*
 * -c PATH: validates a flow file, or every *.json of a directory in the
 * order ivrd loads them.  Returns the exit status: 0 when all are valid.
 */
static int
ivrd_check(const char *path)
{
	struct stat st;
	struct flow **seen = NULL, *f;
	char **names = NULL;
	size_t n = 0, ns = 0;
	struct dirent *de;
	DIR *dp;
	int bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0); /* keep ok and error lines in order */
	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		f = ivrd_check_one(path, NULL, 0);
		flow_unref(f);
		return f ? 0 : 1;
	}
	dp = opendir(path);
	if (dp == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((de = readdir(dp)) != NULL) {
		size_t l = strlen(de->d_name);
		char **nn;
		if (de->d_name[0] == '.' || l < 6 ||
		    strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (nn == NULL || (nn[n] = strdup(de->d_name)) == NULL) {
			fprintf(stderr, "%s: out of memory\n", path);
			names = nn ? nn : names;
			bad++;
			break;
		}
		names = nn;
		n++;
	}
	closedir(dp);
	if (n)
		qsort(names, n, sizeof(*names), ivrd_name_cmp);
	seen = calloc(n ? n : 1, sizeof(*seen));
	for (size_t i = 0; seen && i < n; i++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", path, names[i]);
		f = ivrd_check_one(p, seen, ns);
		if (f)
			seen[ns++] = f;
		else
			bad++;
	}
	if (n == 0)
		printf("%s: no *.json flow files\n", path);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	for (size_t i = 0; i < ns; i++)
		flow_unref(seen[i]);
	free(seen);
	return bad ? 1 : 0;
}

static int
ivrd_option(void *state, int c, const char *arg)
{
	(void)state;
	if (c != 'c')
		return -1;
	exit(ivrd_check(arg));
}

int
main(int argc, char **argv)
{
	static struct ivrd iv;
	static const struct daemon_ops ops = {
	    .name = "ivrd",
	    .summary = "Hold Slayer call flow runner: dials, steps the phone "
		       "menu, waits on hold, transfers",
	    .optstring = "c:",
	    .usage = "[-c path]",
	    .options_help = "  -c path  check the flow file, or every *.json "
			    "of the directory, and exit\n",
	    .option = ivrd_option,
	    .init = ivrd_init,
	    .ctl = ivrd_ctl,
	    .event = ivrd_event,
	    .status = ivrd_status,
	    .reload = ivrd_reload,
	    .fini = ivrd_fini,
	};

	return daemon_main(argc, argv, &ops, &iv);
}
