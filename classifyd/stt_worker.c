/*
 * stt_worker: how the daemon gets transcripts without stalling its loop.
 * The segmenter cuts a leg's audio into speech segments from the
 * classifier's window decisions; each finished segment is queued to ONE
 * worker thread that runs stt_transcribe() (pocketsphinx takes about a third
 * of the audio's duration, a cloud request up to stt_timeout_ms).  This is
 * the only thread in classifyd: it touches nothing but its job, the engine
 * (used by no one else while the worker lives) and the two locked queues.
 * Results come back through a pipe the event loop watches.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio.h"
#include "conf.h"
#include "log.h"
#include "stt.h"

void
stt_config_from_conf(const struct conf *cf, struct stt_config *sc)
{
	sc->engine = cf->classify_stt_engine;
	sc->base_url = cf->classify_stt_base_url;
	sc->model = cf->classify_stt_model;
	sc->api_key_file = cf->classify_stt_api_key_file;
	sc->timeout_ms = cf->classify_stt_timeout_ms;
	sc->lm = cf->classify_stt_lm;
	sc->data_dir = cf->classify_stt_data_dir;
	sc->mllr = cf->classify_stt_mllr;
}

/* ---- segmenter ---- */

#define STT_SEG_KEEP_S 1.2 /* audio kept while idle: pre-roll plus a hop */

struct stt_seg {
	stt_seg_cb cb;
	void *arg;
	char tag[64];
	int leg;
	int16_t *buf;
	size_t len, cap;
	uint64_t base;	     /* sample index of buf[0] */
	int active;
	uint64_t start;	     /* first sample of the segment */
	uint64_t speech_end; /* end of the last speech window */
};

int
stt_seg_new(struct stt_seg **out, stt_seg_cb cb, void *arg, const char *tag,
	    int leg)
{
	struct stt_seg *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (g == NULL)
		return -ENOMEM;
	g->cb = cb;
	g->arg = arg;
	snprintf(g->tag, sizeof(g->tag), "%s", tag);
	g->leg = leg;
	*out = g;
	return 0;
}

void
stt_seg_free(struct stt_seg *g)
{
	if (g == NULL)
		return;
	free(g->buf);
	free(g);
}

/* Drops buffered audio before sample index keep_from. */
static void
stt_seg_trim(struct stt_seg *g, uint64_t keep_from)
{
	size_t drop;

	if (keep_from <= g->base)
		return;
	drop = (size_t)(keep_from - g->base);
	if (drop > g->len)
		drop = g->len;
	memmove(g->buf, g->buf + drop, (g->len - drop) * sizeof(*g->buf));
	g->len -= drop;
	g->base += drop;
}

void
stt_seg_feed(struct stt_seg *g, const int16_t *pcm, size_t n)
{
	uint64_t end;

	if (g == NULL)
		return;
	if (g->len + n > g->cap) {
		size_t cap = g->cap ? g->cap : 8 * AUDIO_RATE;
		int16_t *nb;

		while (cap < g->len + n)
			cap *= 2;
		if ((nb = realloc(g->buf, cap * sizeof(*nb))) == NULL) {
			log_warnx("stt: out of memory; speech segment lost");
			g->active = 0;
			stt_seg_trim(g, g->base + g->len);
			return;
		}
		g->buf = nb;
		g->cap = cap;
	}
	memcpy(g->buf + g->len, pcm, n * sizeof(*pcm));
	g->len += n;
	end = g->base + g->len;
	if (!g->active && end > (uint64_t)(STT_SEG_KEEP_S * AUDIO_RATE) * 2)
		if (g->len > (size_t)(STT_SEG_KEEP_S * AUDIO_RATE) * 2)
			stt_seg_trim(g, end - (uint64_t)(STT_SEG_KEEP_S *
							  AUDIO_RATE));
}

/* Hands out [start, end) and forgets it. */
static void
stt_seg_emit(struct stt_seg *g, uint64_t end)
{
	uint64_t start = g->start < g->base ? g->base : g->start;
	uint64_t stop = g->base + g->len;
	int16_t *pcm;
	size_t n;

	if (end > stop)
		end = stop;
	g->active = 0;
	if (end <= start ||
	    (double)(end - start) / AUDIO_RATE < STT_SEG_MIN_S)
		return;
	n = (size_t)(end - start);
	if ((pcm = malloc(n * sizeof(*pcm))) == NULL) {
		log_warnx("stt: out of memory; speech segment lost");
		return;
	}
	memcpy(pcm, g->buf + (start - g->base), n * sizeof(*pcm));
	g->cb(g->arg, g->tag, g->leg, pcm, n, (double)start / AUDIO_RATE,
	      (double)n / AUDIO_RATE);
}

void
stt_seg_window(struct stt_seg *g, int speech, double t, double hop)
{
	uint64_t end = (uint64_t)(t * AUDIO_RATE + 0.5);
	uint64_t wstart = (uint64_t)((t - hop) * AUDIO_RATE + 0.5);
	uint64_t pre = (uint64_t)(STT_SEG_PREROLL_S * AUDIO_RATE);

	if (g == NULL)
		return;
	if (t < hop)
		wstart = 0;
	if (speech) {
		if (!g->active) {
			g->active = 1;
			g->start = wstart > pre ? wstart - pre : 0;
		}
		g->speech_end = end;
		if ((double)(end - g->start) / AUDIO_RATE >= STT_SEG_MAX_S) {
			stt_seg_emit(g, end);
			g->active = 1; /* the speech goes on */
			g->start = end;
		}
	} else if (g->active &&
		   (double)(end - g->speech_end) / AUDIO_RATE >=
		       STT_SEG_SILENCE_S) {
		stt_seg_emit(g, g->speech_end +
				    (uint64_t)(STT_SEG_TAIL_S * AUDIO_RATE));
	}
	if (!g->active) {
		uint64_t stop = g->base + g->len,
			 keep = (uint64_t)(STT_SEG_KEEP_S * AUDIO_RATE);

		stt_seg_trim(g, stop > keep ? stop - keep : 0);
	}
}

void
stt_seg_flush(struct stt_seg *g)
{
	if (g != NULL && g->active)
		stt_seg_emit(g, g->speech_end +
				    (uint64_t)(STT_SEG_TAIL_S * AUDIO_RATE));
}

/* ---- worker thread ---- */

struct stt_job {
	struct stt_job *next;
	struct stt_result r;
	int16_t *pcm;
	size_t n;
};

struct stt_worker {
	struct stt *stt;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct stt_job *todo, *todo_tail, *done, *done_tail;
	int ntodo, stop;
	int pipe[2];
};

static void
stt_job_free(struct stt_job *j)
{
	if (j == NULL)
		return;
	free(j->pcm);
	free(j->r.text);
	free(j);
}

static void *
stt_worker_main(void *arg)
{
	struct stt_worker *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct stt_job *j;
		char byte = 1;

		while (!w->stop && w->todo == NULL)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		j = w->todo;
		w->todo = j->next;
		if (w->todo == NULL)
			w->todo_tail = NULL;
		w->ntodo--;
		pthread_mutex_unlock(&w->mu);

		if (stt_transcribe(w->stt, j->pcm, j->n, &j->r.text,
				   &j->r.engine, j->r.err,
				   sizeof(j->r.err)) < 0)
			j->r.text = NULL;
		free(j->pcm);
		j->pcm = NULL;

		pthread_mutex_lock(&w->mu);
		j->next = NULL;
		if (w->done_tail != NULL)
			w->done_tail->next = j;
		else
			w->done = j;
		w->done_tail = j;
		/* The pipe only wakes the loop; a full pipe is awake enough. */
		if (write(w->pipe[1], &byte, 1) < 0 && errno != EAGAIN)
			log_warn("stt: cannot wake the event loop");
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
stt_worker_new(struct stt_worker **out, struct stt *s)
{
	struct stt_worker *w;
	int r;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->stt = s;
	if (pipe2(w->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		r = -errno;
		free(w);
		return r;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((r = pthread_create(&w->thread, NULL, stt_worker_main, w)) != 0) {
		close(w->pipe[0]);
		close(w->pipe[1]);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		return -r;
	}
	*out = w;
	return 0;
}

void
stt_worker_free(struct stt_worker *w)
{
	struct stt_job *j, *next;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	for (j = w->todo; j != NULL; j = next) {
		next = j->next;
		stt_job_free(j);
	}
	for (j = w->done; j != NULL; j = next) {
		next = j->next;
		stt_job_free(j);
	}
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	stt_free(w->stt);
	free(w);
}

int
stt_worker_fd(const struct stt_worker *w)
{
	return w->pipe[0];
}

int
stt_worker_submit(struct stt_worker *w, const char *tag, int leg, double t,
		  double duration, int16_t *pcm, size_t n)
{
	struct stt_job *j;

	pthread_mutex_lock(&w->mu);
	if (w->ntodo >= STT_WORKER_MAX_QUEUE) {
		pthread_mutex_unlock(&w->mu);
		free(pcm);
		return -EAGAIN;
	}
	pthread_mutex_unlock(&w->mu);
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		free(pcm);
		return -ENOMEM;
	}
	snprintf(j->r.tag, sizeof(j->r.tag), "%s", tag);
	j->r.leg = leg;
	j->r.t = t;
	j->r.duration = duration;
	j->pcm = pcm;
	j->n = n;
	pthread_mutex_lock(&w->mu);
	if (w->todo_tail != NULL)
		w->todo_tail->next = j;
	else
		w->todo = j;
	w->todo_tail = j;
	w->ntodo++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

int
stt_worker_poll(struct stt_worker *w, struct stt_result *r)
{
	struct stt_job *j;
	char buf[64];

	while (read(w->pipe[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->mu);
	if ((j = w->done) != NULL) {
		w->done = j->next;
		if (w->done == NULL)
			w->done_tail = NULL;
	}
	pthread_mutex_unlock(&w->mu);
	if (j == NULL)
		return 0;
	*r = j->r;
	j->r.text = NULL;
	stt_job_free(j);
	return 1;
}
