/*
 * stt_bus: transcripts on the bus.  classifyd.c gives each call leg a
 * segmenter (stt_worker.c) fed with the leg's audio and the classifier's
 * window decisions; finished speech segments go to the worker thread, and
 * when a transcript comes back through the worker's pipe this file
 * publishes
 *   transcript_chunk {leg, text, speaker ("company"|"user"), is_final, t,
 *                     duration, engine}
 *   hold_eta         {leg, minutes, text, t}   (a stated waiting time)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "daemon.h"
#include "log.h"
#include "msg.h"
#include "stt.h"

struct stt_bus {
	struct daemon *d;
	struct stt_worker *w; /* NULL: engine none */
	uint64_t queued, published, dropped;
};

static void
stt_bus_publish(struct stt_bus *b, const struct stt_result *r)
{
	const char *leg = msg_leg_name(r->leg);
	json_object *data;
	int minutes;

	if (r->text == NULL) {
		log_warnx("stt: call %s: segment at %.1f s not transcribed: %s",
			  r->tag, r->t, r->err);
		return;
	}
	if (r->text[0] == '\0') {
		log_debug("stt: call %s: nothing recognised at %.1f s", r->tag,
			  r->t);
		return;
	}
	log_debug("stt: call %s: %.1f s +%.1f s (%s): %s", r->tag, r->t,
		  r->duration, r->engine, r->text);
	data = json_object_new_object();
	json_object_object_add(data, "leg", json_object_new_string(leg));
	json_object_object_add(data, "text", json_object_new_string(r->text));
	json_object_object_add(data, "speaker", json_object_new_string(leg));
	json_object_object_add(data, "is_final", json_object_new_boolean(1));
	json_object_object_add(data, "t", json_object_new_double(r->t));
	json_object_object_add(data, "duration",
			       json_object_new_double(r->duration));
	json_object_object_add(data, "engine",
			       json_object_new_string(r->engine));
	bus_publish(daemon_bus(b->d), MSG_transcript_chunk, r->tag, data);
	b->published++;
	if (r->leg != MSG_LEG_COMPANY || !stt_eta_parse(r->text, &minutes))
		return;
	log_info("stt: call %s: announced wait %d min", r->tag, minutes);
	data = json_object_new_object();
	json_object_object_add(data, "leg", json_object_new_string(leg));
	json_object_object_add(data, "minutes", json_object_new_int(minutes));
	json_object_object_add(data, "text", json_object_new_string(r->text));
	json_object_object_add(data, "t", json_object_new_double(r->t));
	bus_publish(daemon_bus(b->d), MSG_hold_eta, r->tag, data);
}

static void
stt_bus_readable(struct daemon *d, void *arg, short revents)
{
	struct stt_bus *b = arg;
	struct stt_result r;

	(void)d;
	(void)revents;
	while (stt_worker_poll(b->w, &r) == 1) {
		stt_bus_publish(b, &r);
		free(r.text);
	}
}

static void
stt_bus_segment(void *arg, const char *tag, int leg, int16_t *pcm, size_t n,
		double t, double duration)
{
	struct stt_bus *b = arg;
	int r;

	if ((r = stt_worker_submit(b->w, tag, leg, t, duration, pcm, n)) < 0) {
		b->dropped++;
		log_warnx("stt: call %s: segment at %.1f s dropped: %s", tag, t,
			  r == -EAGAIN ? "too many segments waiting"
				       : strerror(-r));
		return;
	}
	b->queued++;
}

int
stt_bus_new(struct stt_bus **out, struct daemon *d, char *err, size_t errlen)
{
	struct stt_config sc;
	struct stt_bus *b;
	struct stt *s = NULL;
	int r;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errlen, "stt: out of memory");
		return -ENOMEM;
	}
	b->d = d;
	stt_config_from_conf(daemon_conf(d), &sc);
	if ((r = stt_new(&s, &sc, err, errlen)) < 0)
		goto fail;
	if (stt_kind(s) == STT_NONE) {
		stt_free(s);
		log_info("stt: transcripts off (stt_engine none)");
		*out = b;
		return 0;
	}
	if ((r = stt_worker_new(&b->w, s)) < 0) {
		stt_free(s);
		snprintf(err, errlen, "stt: cannot start the worker: %s",
			 strerror(-r));
		goto fail;
	}
	if ((r = daemon_watch_fd(d, stt_worker_fd(b->w), ZMQ_POLLIN,
				 stt_bus_readable, b)) < 0) {
		snprintf(err, errlen, "stt: cannot watch the worker: %s",
			 strerror(-r));
		goto fail;
	}
	log_info("stt: transcripts by %s", stt_kind_name(stt_kind(s)));
	*out = b;
	return 0;
fail:
	stt_worker_free(b->w);
	free(b);
	return r;
}

void
stt_bus_free(struct stt_bus *b)
{
	if (b == NULL)
		return;
	if (b->w != NULL) {
		daemon_unwatch(b->d, stt_worker_fd(b->w), NULL);
		stt_worker_free(b->w);
	}
	free(b);
}

int
stt_bus_seg_new(struct stt_bus *b, const char *call_id, int leg,
		struct stt_seg **out)
{
	*out = NULL;
	if (b == NULL || b->w == NULL)
		return 0;
	return stt_seg_new(out, stt_bus_segment, b, call_id, leg);
}

void
stt_bus_counts(const struct stt_bus *b, uint64_t *queued,
	       uint64_t *published, uint64_t *dropped)
{
	*queued = b != NULL ? b->queued : 0;
	*published = b != NULL ? b->published : 0;
	*dropped = b != NULL ? b->dropped : 0;
}
