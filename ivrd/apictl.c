/*
 * apictl: the control commands behind apid's call-flow and transfer routes.
 *
 *   flow_get {id}               -> {flow: the flow file's JSON, source}
 *   flow_put {flow, create}     -> {flow_id, path}   validate, save, load
 *   flow_delete {id}            -> {}                unload, remove the file
 *   transfer {call_id, device, device_uri}
 *                               -> {ringing}         ring another device
 *
 * Flows made through the API are saved atomically (write + rename, 0600) as
 * FLOWSDIR/api/ID.json and loaded with the rest on start and SIGHUP
 * (apictl_load).  The shipped flows (FLOWSDIR itself) are read-only here:
 * replacing or deleting one is a 409.  Learned flows (FLOWSDIR/learned) may
 * be replaced and deleted like the API's own.  Calls hold a reference to
 * their flow, so a flow replaced or deleted mid-call finishes that call.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ivrd.h"
#include "log.h"

#define APICTL_DIR "api"

/* Where f came from: "shipped", "learned" or "api". */
static const char *
apictl_source(const struct flow *f, const char *flowsdir)
{
	char buf[1024], *dir;
	size_t n = strlen(flowsdir);

	if (f->path == NULL)
		return "shipped";
	snprintf(buf, sizeof(buf), "%s", f->path);
	dir = dirname(buf);
	if (strncmp(dir, flowsdir, n) == 0 && dir[n] == '/') {
		if (strcmp(dir + n + 1, "learned") == 0)
			return "learned";
		if (strcmp(dir + n + 1, APICTL_DIR) == 0)
			return "api";
	}
	return "shipped";
}

/* Puts f (a reference is taken) in the set, replacing its id. */
static int
apictl_set_put(struct ivrd *iv, struct flow *f)
{
	struct flow **nf;

	if (iv->flows == NULL &&
	    (iv->flows = calloc(1, sizeof(*iv->flows))) == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < iv->flows->n; i++)
		if (strcmp(iv->flows->flows[i]->id, f->id) == 0) {
			flow_unref(iv->flows->flows[i]);
			iv->flows->flows[i] = flow_ref(f);
			return 0;
		}
	nf = realloc(iv->flows->flows, (iv->flows->n + 1) * sizeof(*nf));
	if (nf == NULL)
		return -ENOMEM;
	iv->flows->flows = nf;
	nf[iv->flows->n++] = flow_ref(f);
	return 0;
}

static void
apictl_set_del(struct ivrd *iv, const char *id)
{
	for (size_t i = 0; iv->flows && i < iv->flows->n; i++)
		if (strcmp(iv->flows->flows[i]->id, id) == 0) {
			flow_unref(iv->flows->flows[i]);
			memmove(&iv->flows->flows[i], &iv->flows->flows[i + 1],
				(iv->flows->n - i - 1) * sizeof(struct flow *));
			iv->flows->n--;
			return;
		}
}

void
apictl_load(struct ivrd *iv, const char *flowsdir)
{
	struct flow_set *s;
	char dir[1024], err[512];
	int bad = 0;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/" APICTL_DIR, flowsdir);
	if (access(dir, F_OK) < 0)
		return;
	if (flow_set_load(&s, dir, &bad, err, sizeof(err)) < 0) {
		log_warnx("flows: %s", err);
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		/* A shipped flow with the same id wins. */
		struct flow *old = flow_set_find(iv->flows, s->flows[i]->id);
		if (old != NULL &&
		    strcmp(apictl_source(old, flowsdir), "shipped") == 0)
			continue;
		if (apictl_set_put(iv, s->flows[i]) == 0)
			n++;
	}
	flow_set_free(s);
	if (n)
		log_info("flows: %zu flow%s made through the API loaded from %s",
			 n, n == 1 ? "" : "s", dir);
}

/* The list entry of one flow, for the "flows" command. */
void
apictl_flow_summary(const struct flow *f, const char *flowsdir,
		    json_object *o)
{
	json_object_object_add(o, "description",
			       json_object_new_string(f->description));
	json_object_object_add(o, "step_count",
			       json_object_new_int64((int64_t)f->nsteps));
	json_object_object_add(o, "success_count",
			       json_object_new_int64(f->success_count));
	json_object_object_add(o, "fail_count",
			       json_object_new_int64(f->fail_count));
	json_object_object_add(o, "tags", f->tags ? json_object_get(f->tags)
						   : json_object_new_array());
	json_object_object_add(o, "version", json_object_new_int64(f->version));
	json_object_object_add(o, "source", json_object_new_string(
						apictl_source(f, flowsdir)));
}

static int
apictl_flow_get(struct ivrd *iv, struct bus_ctl_req *req)
{
	struct bus *b = daemon_bus(iv->d);
	const char *id = bus_json_str(req->req, "id");
	const char *dir = daemon_conf(iv->d)->flowsdir;
	struct flow *f;
	json_object *flow, *reply;

	if (id == NULL || (f = flow_set_find(iv->flows, id)) == NULL)
		return bus_ctl_reply_err(b, req, 404, "unknown flow '%.128s'",
					 id ? id : "");
	if (f->path == NULL || (flow = json_object_from_file(f->path)) == NULL)
		return bus_ctl_reply_err(b, req, 500,
					 "flow '%.128s': its file cannot be "
					 "read",
					 id);
	reply = json_object_new_object();
	json_object_object_add(reply, "flow", flow);
	json_object_object_add(reply, "source",
			       json_object_new_string(apictl_source(f, dir)));
	return bus_ctl_reply_ok(b, req, reply);
}

/* Writes text as dir/id.json atomically, mode 0600. */
static int
apictl_write(const char *dir, const char *id, const char *text, char *path,
	     size_t pathlen, char *err, size_t errlen)
{
	char tmp[1200];
	size_t len = strlen(text);
	int fd, r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir,
			 strerror(errno));
		return -errno;
	}
	snprintf(path, pathlen, "%s/%s.json", dir, id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.XXXXXX", dir, id);
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
			 strerror(errno));
		return -errno;
	}
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fchmod(fd, 0600) < 0 || fsync(fd) < 0) {
		r = errno ? -errno : -EIO;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(-r));
		return r;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		snprintf(err, errlen, "cannot rename to %s: %s", path,
			 strerror(-r));
		return r;
	}
	return 0;
}

/*
 * flow_put {flow, create}: create (409 if the id exists) or replace (404 if
 * it does not; 409 for a shipped flow).  The flow is validated by the same
 * parser as the files (400 naming the problem).
 */
static int
apictl_flow_put(struct ivrd *iv, struct bus_ctl_req *req)
{
	struct bus *b = daemon_bus(iv->d);
	const struct conf *conf = daemon_conf(iv->d);
	json_object *flow = NULL, *v, *reply;
	struct flow *f = NULL, *old;
	const char *text, *src;
	char dir[1024], path[1100], err[2560], *saved = NULL;
	bool create = json_object_object_get_ex(req->req, "create", &v) &&
		      json_object_get_boolean(v);
	int r;

	if (!json_object_object_get_ex(req->req, "flow", &flow) ||
	    !json_object_is_type(flow, json_type_object))
		return bus_ctl_reply_err(b, req, 400,
					 "flow: a JSON object is required");
	text = json_object_to_json_string_ext(
	    flow, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (flow_parse(&f, "(request)", text, strlen(text), err, sizeof(err)) <
	    0)
		return bus_ctl_reply_err(b, req, 400, "%s", err);
	old = flow_set_find(iv->flows, f->id);
	if (create && old != NULL) {
		r = bus_ctl_reply_err(b, req, 409,
				      "flow '%s' exists (PUT "
				      "/api/call-flows/%s replaces it)",
				      f->id, f->id);
		goto out;
	}
	if (!create && old == NULL) {
		r = bus_ctl_reply_err(b, req, 404, "unknown flow '%s'", f->id);
		goto out;
	}
	src = old ? apictl_source(old, conf->flowsdir) : "api";
	if (strcmp(src, "shipped") == 0) {
		r = bus_ctl_reply_err(b, req, 409,
				      "flow '%s' is a shipped flow and "
				      "read-only: create a copy under another "
				      "id",
				      f->id);
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/%s", conf->flowsdir,
		 strcmp(src, "learned") == 0 ? "learned" : APICTL_DIR);
	if (old != NULL && old->path != NULL) {
		/* Replaced where it lives (a learned file keeps its name). */
		char buf[1024];
		snprintf(buf, sizeof(buf), "%s", old->path);
		snprintf(path, sizeof(path), "%s", old->path);
		saved = strdup(basename(buf));
	}
	if (saved != NULL) {
		char *dot = strrchr(saved, '.');
		if (dot != NULL)
			*dot = '\0';
	}
	if ((r = apictl_write(dir, saved ? saved : f->id, text, path,
			      sizeof(path), err, sizeof(err))) < 0) {
		r = bus_ctl_reply_err(b, req, 500, "flow '%s': %s", f->id, err);
		goto out;
	}
	/* The set holds flows as loaded from their file: reload it. */
	flow_unref(f);
	f = NULL;
	if (flow_load_file(&f, path, err, sizeof(err)) < 0 ||
	    apictl_set_put(iv, f) < 0) {
		r = bus_ctl_reply_err(b, req, 500, "flow saved as %s but not "
						   "loaded: %s",
				      path, err);
		goto out;
	}
	log_info("flows: %s %s (%s)", f->id, create ? "created" : "replaced",
		 path);
	reply = json_object_new_object();
	json_object_object_add(reply, "flow_id", json_object_new_string(f->id));
	json_object_object_add(reply, "path", json_object_new_string(path));
	r = bus_ctl_reply_ok(b, req, reply);
out:
	free(saved);
	flow_unref(f);
	return r;
}

static int
apictl_flow_delete(struct ivrd *iv, struct bus_ctl_req *req)
{
	struct bus *b = daemon_bus(iv->d);
	const char *id = bus_json_str(req->req, "id");
	const char *dir = daemon_conf(iv->d)->flowsdir;
	struct flow *f;

	if (id == NULL || (f = flow_set_find(iv->flows, id)) == NULL)
		return bus_ctl_reply_err(b, req, 404, "unknown flow '%.128s'",
					 id ? id : "");
	if (strcmp(apictl_source(f, dir), "shipped") == 0)
		return bus_ctl_reply_err(b, req, 409,
					 "flow '%.128s' is a shipped flow and "
					 "read-only",
					 id);
	if (f->path != NULL && unlink(f->path) < 0 && errno != ENOENT)
		return bus_ctl_reply_err(b, req, 500, "cannot remove %s: %s",
					 f->path, strerror(errno));
	log_info("flows: %s deleted (%s)", id, f->path ? f->path : "-");
	apictl_set_del(iv, id);
	return bus_ctl_reply_ok(b, req, NULL);
}

/*
 * transfer {call_id, device, device_uri}: the call's person goes to this
 * device.  A call on hold rings it now; a call still dialling or in the
 * menu rings it when a person answers (or, direct, when the company
 * does); one whose user leg rings or is up is a 409 (moving a bridged call
 * is not supported).
 */
static int
apictl_transfer(struct ivrd *iv, struct bus_ctl_req *req)
{
	struct bus *b = daemon_bus(iv->d);
	const char *call_id = bus_json_str(req->req, "call_id");
	const char *device = bus_json_str(req->req, "device");
	const char *uri = bus_json_str(req->req, "device_uri");
	struct call *c;
	char *nd, *nu;
	bool now;
	json_object *reply;

	if (call_id == NULL || device == NULL || uri == NULL ||
	    strncmp(uri, "sip", 3) != 0)
		return bus_ctl_reply_err(b, req, 400,
					 "transfer: call_id, device and a sip: "
					 "device_uri are required");
	if ((c = call_find(iv, call_id)) == NULL)
		return bus_ctl_reply_err(b, req, 404,
					 "transfer: no live call %.64s",
					 call_id);
	if (c->user_up || c->phase == CALL_BRIDGED)
		return bus_ctl_reply_err(b, req, 409,
					 "transfer: call %.64s is already "
					 "bridged to %s; moving it is not "
					 "supported",
					 call_id, c->device ? c->device : "?");
	if (c->user_live || c->phase == CALL_TRANSFERRING)
		return bus_ctl_reply_err(b, req, 409,
					 "transfer: call %.64s is ringing %s "
					 "already",
					 call_id, c->device ? c->device : "?");
	nd = strdup(device);
	nu = strdup(uri);
	if (nd == NULL || nu == NULL) {
		free(nd);
		free(nu);
		return bus_ctl_reply_err(b, req, 500, "out of memory");
	}
	free(c->device);
	free(c->device_uri);
	c->device = nd;
	c->device_uri = nu;
	c->device_given = 1;
	now = c->phase == CALL_ON_HOLD;
	reply = json_object_new_object();
	json_object_object_add(reply, "device", json_object_new_string(device));
	json_object_object_add(reply, "ringing", json_object_new_boolean(now));
	bus_ctl_reply_ok(b, req, reply);
	log_info("call %s: transfer to %s requested (%s)", call_id, device,
		 now ? "ringing now" : "when a person answers");
	if (now)
		call_handover(c, "transfer requested");
	return 0;
}

int
apictl_ctl(struct ivrd *iv, struct bus_ctl_req *req)
{
	if (strcmp(req->cmd, "flow_get") == 0)
		return apictl_flow_get(iv, req);
	if (strcmp(req->cmd, "flow_put") == 0)
		return apictl_flow_put(iv, req);
	if (strcmp(req->cmd, "flow_delete") == 0)
		return apictl_flow_delete(iv, req);
	if (strcmp(req->cmd, "transfer") == 0)
		return apictl_transfer(iv, req);
	return -ENOENT;
}
