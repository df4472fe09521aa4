/*
 * stt: speech-to-text for classifyd, with no knowledge of the bus.  An
 * engine is made from the [classify] stt_* settings and turns a finished
 * speech segment (8 kHz mono 16-bit PCM) into text.  Engines: "pocketsphinx"
 * (offline, stt.c), "openai" and "deepgram" (cloud, over libcurl,
 * stt_cloud.c; on any error or timeout the segment falls back to
 * pocketsphinx) and "none".  stt_text.c holds the pure text helpers (the
 * hold-time parser and word error rate), stt_worker.c the segmenter and the
 * decoding thread the daemon uses, stt_wer.c the "classifyd --wer" tool.
 *
 * stt.c includes the pocketsphinx headers, whose sphinxbase types clash with
 * <spandsp.h>: no stt_*.c file includes spandsp.
 */
#ifndef CLASSIFYD_STT_H
#define CLASSIFYD_STT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STT_ENV_KEY "HOLDSLAYER_STT_API_KEY"
#define STT_PS_MODEL_DIR "/usr/share/pocketsphinx/model/en-us"
#ifndef HS_DATAROOT
#define HS_DATAROOT "/usr/local/share/holdslayer"
#endif
/* Where make install puts classifyd/stt (ivr.lm, ivr.dict). */
#define STT_DATA_DIR HS_DATAROOT "/stt"
/* The acoustic adaptation (classifyd/stt/mkadapt.sh) in the data dir. */
#define STT_MLLR_FILE "mllr_matrix"

enum stt_kind { STT_NONE, STT_POCKETSPHINX, STT_OPENAI, STT_DEEPGRAM };

/* The [classify] stt_* settings; every string borrowed, NULL or "" unset. */
struct stt_config {
	const char *engine;	  /* "pocketsphinx" (default), "openai", ... */
	const char *base_url;	  /* cloud: scheme://host[:port][/prefix] */
	const char *model;	  /* cloud model name; pocketsphinx model dir */
	const char *api_key_file; /* cloud: file holding the key */
	long timeout_ms;	  /* cloud: whole request */
	const char *lm;		  /* "ivr" (default) or "general" */
	const char *data_dir;	  /* ivr.lm, ivr.dict; NULL/"" = found */
	const char *mllr;	  /* MLLR transform; ""/NULL = found, "none" */
};

struct stt;

/* "pocketsphinx" ... "none" to a kind; -EINVAL for an unknown name. */
int stt_kind_from_name(const char *name, enum stt_kind *out);
const char *stt_kind_name(enum stt_kind k);

/*
 * Makes an engine.  A cloud engine needs base_url and a key (from
 * api_key_file, else $HOLDSLAYER_STT_API_KEY) and also loads the offline
 * engine for fall-back.  On error returns a negative errno and writes a
 * one-line reason to err (never the key).  Free with stt_free().
 */
int stt_new(struct stt **out, const struct stt_config *cfg, char *err,
	    size_t errlen);
void stt_free(struct stt *s);
enum stt_kind stt_kind(const struct stt *s);

/*
 * Transcribes n samples of 8 kHz PCM.  On success *text is a malloc'd
 * lower-case string (possibly "" when nothing was recognised) and *used
 * names the engine that produced it ("openai", or "pocketsphinx" after a
 * fall-back; static).  A cloud failure is logged and falls back; only when
 * no engine can transcribe does it return a negative errno with err set
 * (-ENOTSUP for the "none" engine).  Not thread-safe per engine: one caller
 * at a time.
 */
int stt_transcribe(struct stt *s, const int16_t *pcm, size_t n, char **text,
		   const char **used, char *err, size_t errlen);

/* ---- stt.c: pocketsphinx ---- */

struct stt_ps;

struct stt_ps_opts {
	const char *model_dir; /* acoustic model, cmudict, general LM */
	const char *lm;	       /* "ivr" (default) or "general" */
	const char *data_dir;  /* classifyd's ivr.lm and ivr.dict */
	double lw;	       /* language weight (0 = the model's default) */
	const char *mllr;      /* MLLR transform of the means, or NULL */
};

/*
 * Loads the en-us acoustic model and the language model o->lm names:
 * "ivr" is classifyd's phone-menu trigram model (data_dir/ivr.lm) with its
 * own dictionary (ivr.dict, about 570 words), "general" the en-us model
 * with the full CMU dictionary.
 */
int stt_ps_new(struct stt_ps **out, const struct stt_ps_opts *o, char *err,
	       size_t errlen);
void stt_ps_free(struct stt_ps *p);
/*
 * The IVR model's directory when stt_data_dir is unset: STT_DATA_DIR, else
 * classifyd/stt beside the build directory of the running program.  0 when
 * found (out set), -ENOENT when neither holds ivr.lm and ivr.dict.
 */
int stt_data_dir_find(char *out, size_t outlen);
int stt_ps_transcribe(struct stt_ps *p, const int16_t *pcm, size_t n,
		      char **text, char *err, size_t errlen);
/*
 * Writes the cepstra the decoder would see for n samples of 8 kHz PCM
 * (the same resampling, band fill and front end) to path as a Sphinx
 * feature file, for acoustic adaptation.  Returns the number of frames or
 * a negative errno with err set.
 */
int stt_ps_features(struct stt_ps *p, const int16_t *pcm, size_t n,
		    const char *path, char *err, size_t errlen);

/* ---- stt_cloud.c ---- */

/* curl_global_init(); once, before any thread exists. */
int stt_cloud_init(char *err, size_t errlen);

/*
 * A complete 16-bit mono PCM WAV file of n samples at rate Hz in a malloc'd
 * buffer (*out, *outlen).  Returns 0 or -ENOMEM / -EINVAL (too long).
 */
int stt_wav_build(const int16_t *pcm, size_t n, int rate, uint8_t **out,
		  size_t *outlen);

/*
 * Extracts the transcript from a service's JSON reply: {"text": ...} for
 * openai, results.channels[0].alternatives[0].transcript for deepgram.
 * *text is malloc'd.  -EINVAL (err says what was missing) on a bad reply.
 */
int stt_cloud_parse(enum stt_kind kind, const char *body, size_t len,
		    char **text, char *err, size_t errlen);

/*
 * One request to a cloud service.  key is never logged or copied into err.
 * Returns 0 with *text malloc'd, -ETIMEDOUT, -EPROTO (HTTP status >= 300
 * or a bad reply) or another negative errno, err saying why.
 */
int stt_cloud_transcribe(enum stt_kind kind, const char *base_url,
			 const char *model, const char *key, long timeout_ms,
			 const int16_t *pcm, size_t n, char **text, char *err,
			 size_t errlen);

/* ---- stt_text.c ---- */

/*
 * Finds a stated waiting time in a transcript: "your estimated wait time is
 * 12 minutes", "approximately five minutes", "less than 2 minutes", "hold
 * time 6 minutes", "about an hour".  Numbers may be digits or words (up to
 * the hundreds).  A duration counts only with a word of waiting near it
 * (wait, hold, estimated, approximately, about, less than, ... up to six
 * words before it or two after): "an hour outage" is none.  Returns 1 with
 * *minutes set, 0 when nothing was stated.
 */
int stt_eta_parse(const char *text, int *minutes);

/*
 * Splits text into normalised words (lower case, letters, digits and
 * apostrophes; digits spelled as words so "press 2" == "press two").
 * Returns the word count or -ENOMEM; *words is a malloc'd array of malloc'd
 * strings, freed with stt_words_free().
 */
int stt_words(const char *text, char ***words);
void stt_words_free(char **words, int n);

/*
 * Word-level edit distance between a reference and a hypothesis; *nref
 * gets the reference word count.  Returns the distance or -ENOMEM.
 */
int stt_wer_count(const char *ref, const char *hyp, int *nref);

/*
 * Menu options in a transcript: "for X press N", "to X, press N",
 * "press N for X", "para X oprima (el numero) N".  Each gets the key
 * ('0'..'9', '*', '#') and the content words of its description (label,
 * lower case, space-separated; "" when the key comes alone).  Returns how
 * many were stored in opts (at most max) or -ENOMEM.
 */
#define STT_OPT_MAX 32
struct stt_option {
	char key;
	char label[96];
};
int stt_options(const char *text, struct stt_option *opts, int max);

/*
 * How many reference options the hypothesis recovered: the same key with
 * at least one label word in common (each hypothesis option used once).
 * Bit i of *matched (may be NULL) is set when ref[i] was recovered.
 */
int stt_options_match(const struct stt_option *ref, int nref,
		      const struct stt_option *hyp, int nhyp,
		      unsigned *matched);

/* ---- stt_wer.c ---- */

/*
 * classifyd --wer: transcribes every clip of a corpus manifest whose notes
 * carry a reference text ("... prompt: TEXT") and prints per-clip and
 * overall WER to out (format in classifyd(8)).  Returns 0, or 1 when a row
 * or file could not be used.
 */
int stt_wer_run(const char *manifest, struct stt *s, int verbose, FILE *out);
struct conf;
/*
 * The --wer tool: builds the engine cf configures (borrowed) and runs
 * stt_wer_run() on manifest.  Returns the exit status.
 */
int stt_wer_main(const char *manifest, const struct conf *cf, int verbose);

/* ---- stt_worker.c ---- */

struct conf;
/* The [classify] stt_* keys; the strings are borrowed from cf. */
void stt_config_from_conf(const struct conf *cf, struct stt_config *sc);

/*
 * Speech segmentation for one leg.  Fed every sample and every classifier
 * window decision; when speech ends (stt_seg_silence_s of non-speech) or
 * grows past stt_seg_max_s it hands out the segment, with some context
 * around it, through the callback.
 */
#define STT_SEG_PREROLL_S 0.3
#define STT_SEG_TAIL_S 0.3
#define STT_SEG_SILENCE_S 0.9
#define STT_SEG_MAX_S 20.0
#define STT_SEG_MIN_S 0.4

struct stt_seg;
/*
 * pcm is handed over (malloc'd; the callback owns it); t is the start in
 * seconds since the leg's first sample; tag and leg as given to
 * stt_seg_new().
 */
typedef void (*stt_seg_cb)(void *arg, const char *tag, int leg, int16_t *pcm,
			   size_t n, double t, double duration);

/* tag (a call id) is copied.  Every stt_seg_* function accepts NULL. */
int stt_seg_new(struct stt_seg **out, stt_seg_cb cb, void *arg,
		const char *tag, int leg);
void stt_seg_free(struct stt_seg *g);
/* Appends n samples (call before the classifier sees them). */
void stt_seg_feed(struct stt_seg *g, const int16_t *pcm, size_t n);
/* One window decision ending at t seconds, hop seconds long. */
void stt_seg_window(struct stt_seg *g, int speech, double t, double hop);
/* Hands out a segment in progress (the leg ended). */
void stt_seg_flush(struct stt_seg *g);

/*
 * The decoding thread: transcription is slow (about a second for a few
 * seconds of speech, a cloud request up to stt_timeout_ms), so segments are
 * queued to one worker thread and the results come back through a pipe the
 * event loop watches (stt_worker_fd).  Jobs carry an opaque tag copied
 * back.
 */
struct stt_worker;

struct stt_result {
	char tag[64]; /* call id */
	int leg;
	double t, duration;
	char *text; /* malloc'd; NULL on error */
	const char *engine;
	char err[256];
};

#define STT_WORKER_MAX_QUEUE 32

/* Takes ownership of s. */
int stt_worker_new(struct stt_worker **out, struct stt *s);
/* Stops the thread (after the job in progress) and frees everything. */
void stt_worker_free(struct stt_worker *w);
int stt_worker_fd(const struct stt_worker *w);
/*
 * Queues a job; takes pcm (malloc'd) in every case.  -EAGAIN when the queue
 * is full (the segment is dropped).
 */
int stt_worker_submit(struct stt_worker *w, const char *tag, int leg,
		      double t, double duration, int16_t *pcm, size_t n);
/*
 * Takes the next finished result, if any: returns 1 and fills *r (free
 * r->text), 0 when none is ready.
 */
int stt_worker_poll(struct stt_worker *w, struct stt_result *r);

/* ---- stt_bus.c: the daemon's side ---- */

/*
 * Transcripts on the bus: makes the engine from the [classify] stt_* keys
 * and the worker, watches its pipe, and publishes transcript_chunk (and
 * hold_eta when a transcript states a waiting time) for every segment.
 * stt_bus_new() returns -EINVAL with err set for a bad configuration; with
 * stt_engine=none *out is a valid object that transcribes nothing.
 */
struct daemon;
struct stt_bus;

int stt_bus_new(struct stt_bus **out, struct daemon *d, char *err,
		size_t errlen);
void stt_bus_free(struct stt_bus *b);
/* A segmenter for one leg of a call; *out is NULL when nothing is to be
 * transcribed (engine none). */
int stt_bus_seg_new(struct stt_bus *b, const char *call_id, int leg,
		    struct stt_seg **out);
/* Segments queued, transcripts published, segments dropped. */
void stt_bus_counts(const struct stt_bus *b, uint64_t *queued,
		    uint64_t *published, uint64_t *dropped);

#endif
