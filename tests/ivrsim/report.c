/*
 * report: the per-call JSON report, written atomically (temporary file,
 * then rename) into the report directory when the call ends, and announced
 * on stdout as "ivrsim: report PATH".  The keys are listed in ivrsim(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "audio.h"
#include "ivrsim.h"
#include "log.h"

void
report_init(struct call *c)
{
	c->nodes = json_object_new_array();
	c->collected = json_object_new_object();
	c->speech = json_object_new_object();
	c->agent_node = -1;
	c->agent_start = -1;
	c->node = -1;
	for (int i = 0; i < c->ivr->sc->nnodes; i++)
		if (c->ivr->sc->nodes[i].listen > 0) {
			c->agent_node = i;
			break;
		}
}

static json_object *
str_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? json_object_new_string(s) : NULL;
}

/* A number with at most three decimals, printed without float noise. */
json_object *
json_secs(double x)
{
	char b[32];
	size_t l;

	snprintf(b, sizeof(b), "%.3f", x);
	l = strlen(b);
	while (l > 2 && b[l - 1] == '0' && b[l - 2] != '.')
		b[--l] = '\0';
	return json_object_new_double_s(strtod(b, NULL), b);
}

static int
report_write(struct call *c, char *path, size_t pathlen)
{
	struct ivrsim *ivr = c->ivr;
	json_object *o = json_object_new_object();
	const char *txt;
	char tmp[4200];
	int fd, rc = -1;
	size_t len;

	json_object_object_add(o, "scenario", json_object_new_string(ivr->sc->name));
	json_object_object_add(o, "sip_call_id", str_or_null(c->call_id));
	json_object_object_add(o, "from", str_or_null(c->from_str));
	json_object_object_add(o, "answered_at", str_or_null(c->answered_at));
	json_object_object_add(o, "ended_at", str_or_null(c->ended_at));
	json_object_object_add(o, "ended_by", str_or_null(c->ended_by));
	json_object_object_add(o, "nodes", json_object_get(c->nodes));
	json_object_object_add(o, "digits", json_object_new_string(c->digits));
	json_object_object_add(o, "collected", json_object_get(c->collected));
	json_object_object_add(o, "speech", json_object_get(c->speech));
	json_object_object_add(
	    o, "agent_node",
	    c->agent_node >= 0
		? json_object_new_string(ivr->sc->nodes[c->agent_node].name)
		: NULL);
	json_object_object_add(o, "agent_reached",
			       json_object_new_boolean(c->agent_start >= 0));
	json_object_object_add(
	    o, "agent_started_s",
	    c->agent_start >= 0
		? json_secs(c->agent_start - c->t_answer)
		: NULL);
	json_object_object_add(o, "agent_started_at",
			       str_or_null(c->agent_started_at));
	json_object_object_add(o, "heard_speech_s",
			       json_secs(c->heard_frames * 0.02));
	json_object_object_add(o, "listen_wav", str_or_null(c->listen_path));
	json_object_object_add(o, "codec", str_or_null(c->codec));

	/* One name per call: <slug>-<n>.json, skipping names already used. */
	for (;;) {
		ivr->counter++;
		snprintf(path, pathlen, "%s/%s-%lu.json", ivr->reportdir,
			 ivr->sc->slug, ivr->counter);
		if (access(path, F_OK) != 0)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(txt);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		log_warn("report: %s", tmp);
		goto out;
	}
	if (write(fd, txt, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		log_warn("report: writing %s", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		log_warn("report: rename to %s", path);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/*
 * Ends the call: closes the agent recording, writes the report and marks
 * the call done (the main loop frees it; nothing here frees the RTP
 * session, because this can run from inside an oRTP callback).
 */
void
call_end(struct call *c, const char *by)
{
	char path[4096];

	if (c->state == CS_DONE)
		return;
	c->state = CS_DONE;
	c->t_done = now_mono();
	c->phase = PH_IDLE;
	c->ended_by = by;
	now_rfc3339(c->ended_at, sizeof(c->ended_at));
	if (c->listen_wav != NULL) {
		audio_wav_close(c->listen_wav);
		c->listen_wav = NULL;
	}
	c->ivr->nended++;
	if (report_write(c, path, sizeof(path)) == 0) {
		printf("ivrsim: report %s\n", path);
		fflush(stdout);
	}
	log_info("call %d: ended by %s, nodes %s, digits '%s'", c->seq, by,
		 json_object_to_json_string_ext(c->nodes, JSON_C_TO_STRING_PLAIN),
		 c->digits);
}
