/*
 * stt: the engine object and the offline engine, pocketsphinx.  The en-us
 * acoustic model was trained on 16 kHz speech with filterbanks up to
 * 6.8 kHz; telephone audio has nothing above 4 kHz, and an empty upper band
 * makes its features look like nothing the model knows.  So a segment is
 * resampled to 16 kHz with soxr, and weak noise is mixed into the empty
 * 4-8 kHz band (band-limited noise shifted up by fs/2) before decoding,
 * with the IVR language model (stt/ivr.lm: phone-menu wording, about 570
 * words, made by stt/mklm.py) or the general US English one.  Decoding
 * with the IVR model takes about a fifteenth of the audio's duration (the
 * general model a third); the daemon runs it on a worker thread
 * (stt_worker.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/fe.h>

#include "audio.h"
#include "log.h"
#include "stt.h"

#define STT_PS_RATE 16000
/* Level of the 4-8 kHz fill relative to the segment's RMS, and its floor. */
#define STT_FILL_REL_DB (-33.0)
#define STT_FILL_MIN_DBFS (-70.0)
/*
 * Language weights: the IVR model is small and sharp, so it is trusted
 * more than the general one (measured on synthesized menus: 10 vs 6.5).
 */
#define STT_LW_IVR 10.0
#define STT_LW_GENERAL 6.5

struct stt_ps {
	ps_decoder_t *ps;
	cmd_ln_t *cfg;
	uint32_t seed;
};

struct stt {
	enum stt_kind kind;
	struct stt_ps *ps; /* the offline engine, also the fall-back */
	char *base_url, *model, *key;
	long timeout_ms;
};

static const char *const stt_kind_names[] = {
    [STT_NONE] = "none",
    [STT_POCKETSPHINX] = "pocketsphinx",
    [STT_OPENAI] = "openai",
    [STT_DEEPGRAM] = "deepgram",
};

int
stt_kind_from_name(const char *name, enum stt_kind *out)
{
	if (name == NULL || name[0] == '\0') {
		*out = STT_POCKETSPHINX;
		return 0;
	}
	for (size_t i = 0;
	     i < sizeof(stt_kind_names) / sizeof(stt_kind_names[0]); i++)
		if (strcmp(name, stt_kind_names[i]) == 0) {
			*out = (enum stt_kind)i;
			return 0;
		}
	return -EINVAL;
}

const char *
stt_kind_name(enum stt_kind k)
{
	if ((unsigned)k >= sizeof(stt_kind_names) / sizeof(stt_kind_names[0]))
		return NULL;
	return stt_kind_names[k];
}

/* ---- pocketsphinx ---- */

static int
stt_file_ok(const char *path)
{
	return access(path, R_OK) == 0;
}

/* Whether dir holds the IVR model files. */
static int
stt_ivr_dir_ok(const char *dir)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/ivr.lm", dir);
	if (!stt_file_ok(path))
		return 0;
	snprintf(path, sizeof(path), "%s/ivr.dict", dir);
	return stt_file_ok(path);
}

int
stt_data_dir_find(char *out, size_t outlen)
{
	char exe[1024], *slash;
	ssize_t len;

	snprintf(out, outlen, "%s", STT_DATA_DIR);
	if (stt_ivr_dir_ok(out))
		return 0;
	/* Run from the source tree: build/classifyd -> classifyd/stt. */
	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[len] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			snprintf(out, outlen, "%s/../classifyd/stt", exe);
			if (stt_ivr_dir_ok(out))
				return 0;
		}
	}
	snprintf(out, outlen, "%s", STT_DATA_DIR);
	return -ENOENT;
}

static cmd_ln_t *
stt_ps_config(const char *hmm, const char *dict, const char *lm,
	      const char *lw, const char *mllr)
{
	if (mllr != NULL)
		return cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-dict",
				   dict, "-lm", lm, "-lw", lw, "-samprate",
				   "16000", "-mllr", mllr, NULL);
	return cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm, "-dict", dict,
			   "-lm", lm, "-lw", lw, "-samprate", "16000", NULL);
}

/*
 * The MLLR transform to load: cfg "none" = none, a path = that file,
 * empty = mllr_matrix in the data directory, else build/stt/mllr_matrix
 * beside the running program.  NULL (logged once) when it is missing.
 */
static const char *
stt_mllr_find(const char *cfg, const char *data_dir, char *buf,
	      size_t buflen)
{
	char exe[512], *slash;
	ssize_t len;

	if (cfg != NULL && strcmp(cfg, "none") == 0)
		return NULL;
	if (cfg != NULL && cfg[0] != '\0') {
		if (stt_file_ok(cfg)) {
			snprintf(buf, buflen, "%s", cfg);
			return buf;
		}
		log_warnx("stt: stt_mllr %s: %s; using the stock en-us model",
			  cfg, strerror(errno));
		return NULL;
	}
	snprintf(buf, buflen, "%s/" STT_MLLR_FILE, data_dir);
	if (stt_file_ok(buf))
		return buf;
	if ((len = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[len] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			snprintf(buf, buflen, "%s/stt/" STT_MLLR_FILE, exe);
			if (stt_file_ok(buf))
				return buf;
		}
	}
	log_warnx("stt: no acoustic adaptation (" STT_MLLR_FILE " in %s or "
		  "beside the program); using the stock en-us model",
		  data_dir);
	return NULL;
}

int
stt_ps_new(struct stt_ps **out, const struct stt_ps_opts *o, char *err,
	   size_t errlen)
{
	char hmm[1024], dict[1024], lm[1024], lw[32];
	const char *dir = o->model_dir, *mode = o->lm;
	struct stt_ps *p;
	int ivr;

	*out = NULL;
	if (dir == NULL || dir[0] == '\0')
		dir = STT_PS_MODEL_DIR;
	if (mode == NULL || mode[0] == '\0')
		mode = "ivr";
	if (strcmp(mode, "ivr") != 0 && strcmp(mode, "general") != 0) {
		snprintf(err, errlen, "stt_lm '%s': not ivr or general", mode);
		return -EINVAL;
	}
	ivr = strcmp(mode, "ivr") == 0;
	snprintf(hmm, sizeof(hmm), "%s/en-us", dir);
	if (ivr) {
		if (o->data_dir == NULL || !stt_ivr_dir_ok(o->data_dir)) {
			snprintf(err, errlen,
				 "stt_lm ivr: no ivr.lm and ivr.dict in %s",
				 o->data_dir != NULL ? o->data_dir : "?");
			return -ENOENT;
		}
		snprintf(dict, sizeof(dict), "%s/ivr.dict", o->data_dir);
		snprintf(lm, sizeof(lm), "%s/ivr.lm", o->data_dir);
	} else {
		snprintf(dict, sizeof(dict), "%s/cmudict-en-us.dict", dir);
		snprintf(lm, sizeof(lm), "%s/en-us.lm.bin", dir);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "pocketsphinx: out of memory");
		return -ENOMEM;
	}
	p->seed = 0x9e3779b9u;
	snprintf(lw, sizeof(lw), "%g",
		 o->lw > 0 ? o->lw : ivr ? STT_LW_IVR : STT_LW_GENERAL);
	/* Keep pocketsphinx's own chatter out of the daemon's log. */
	err_set_logfp(NULL);
	p->cfg = stt_ps_config(hmm, dict, lm, lw, o->mllr);
	if (p->cfg == NULL) {
		snprintf(err, errlen, "pocketsphinx: bad model directory %s",
			 dir);
		free(p);
		return -EINVAL;
	}
	p->ps = ps_init(p->cfg);
	if (p->ps == NULL && o->mllr != NULL) {
		/* A transform the model cannot take: the stock model. */
		log_warnx("stt: cannot apply the acoustic adaptation %s; using "
			  "the stock en-us model",
			  o->mllr);
		cmd_ln_free_r(p->cfg);
		p->cfg = stt_ps_config(hmm, dict, lm, lw, NULL);
		p->ps = p->cfg != NULL ? ps_init(p->cfg) : NULL;
	}
	if (p->ps == NULL) {
		snprintf(err, errlen,
			 "pocketsphinx: cannot load the model (%s, %s, %s)", hmm,
			 dict, lm);
		cmd_ln_free_r(p->cfg);
		free(p);
		return -ENOENT;
	}
	*out = p;
	return 0;
}

void
stt_ps_free(struct stt_ps *p)
{
	if (p == NULL)
		return;
	ps_free(p->ps);
	cmd_ln_free_r(p->cfg);
	free(p);
}

/* Uniform noise in [-1, 1) from a xorshift generator (reproducible). */
static double
stt_noise(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return (double)x / 2147483648.0 - 1.0;
}

/*
 * Upsamples 8 kHz PCM to 16 kHz and fills the empty 4-8 kHz band with
 * noise at STT_FILL_REL_DB below the speech.  *out is malloc'd.
 */
static int
stt_ps_prepare(struct stt_ps *p, const int16_t *pcm, size_t n, int16_t **out,
	       size_t *outn)
{
	int16_t *up = NULL, *wn = NULL, *lo = NULL;
	size_t nup, nlo;
	double db, amp;
	int r;

	if ((r = audio_resample(pcm, n, AUDIO_RATE, STT_PS_RATE, &up, &nup)) <
	    0)
		return r;
	db = audio_rms_dbfs(pcm, n) + STT_FILL_REL_DB;
	if (db < STT_FILL_MIN_DBFS)
		db = STT_FILL_MIN_DBFS;
	amp = 32768.0 * pow(10.0, db / 20.0) * 1.7; /* uniform RMS is 1/sqrt3 */
	if ((wn = malloc(n * sizeof(*wn))) == NULL) {
		free(up);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		wn[i] = (int16_t)(stt_noise(&p->seed) * amp);
	/* 0-4 kHz noise at 16 kHz, shifted up by fs/2 to 4-8 kHz. */
	r = audio_resample(wn, n, AUDIO_RATE, STT_PS_RATE, &lo, &nlo);
	free(wn);
	if (r < 0) {
		free(up);
		return r;
	}
	for (size_t i = 0; i < nup && i < nlo; i++) {
		long v = up[i] + ((i & 1) ? -lo[i] : lo[i]);

		up[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	free(lo);
	*out = up;
	*outn = nup;
	return 0;
}

int
stt_ps_transcribe(struct stt_ps *p, const int16_t *pcm, size_t n,
		  char **text, char *err, size_t errlen)
{
	int16_t *wide = NULL;
	size_t nwide;
	const char *hyp;
	int32_t score;
	int r;

	*text = NULL;
	if ((r = stt_ps_prepare(p, pcm, n, &wide, &nwide)) < 0) {
		snprintf(err, errlen, "pocketsphinx: cannot resample: %s",
			 strerror(-r));
		return r;
	}
	if (ps_start_utt(p->ps) < 0 ||
	    ps_process_raw(p->ps, wide, nwide, FALSE, TRUE) < 0 ||
	    ps_end_utt(p->ps) < 0) {
		free(wide);
		snprintf(err, errlen, "pocketsphinx: decoding failed");
		return -EIO;
	}
	free(wide);
	hyp = ps_get_hyp(p->ps, &score);
	if ((*text = strdup(hyp != NULL ? hyp : "")) == NULL) {
		snprintf(err, errlen, "pocketsphinx: out of memory");
		return -ENOMEM;
	}
	return 0;
}

int
stt_ps_features(struct stt_ps *p, const int16_t *pcm, size_t n,
		 const char *path, char *err, size_t errlen)
{
	int16_t *wide = NULL;
	size_t nwide;
	mfcc_t **cep = NULL, last[64];
	int32_t nfr = 0, nlast = 0, ncep, count;
	fe_t *fe = ps_get_fe(p->ps);
	FILE *fp;
	int r, bad;

	if ((r = stt_ps_prepare(p, pcm, n, &wide, &nwide)) < 0) {
		snprintf(err, errlen, "pocketsphinx: cannot resample: %s",
			 strerror(-r));
		return r;
	}
	ncep = fe_get_output_size(fe);
	if (ncep <= 0 || ncep > 64 || fe_start_utt(fe) < 0 ||
	    fe_process_utt(fe, wide, nwide, &cep, &nfr) < 0 ||
	    fe_end_utt(fe, last, &nlast) < 0) {
		free(wide);
		fe_free_2d(cep);
		snprintf(err, errlen, "pocketsphinx: feature extraction failed");
		return -EIO;
	}
	free(wide);
	if ((fp = fopen(path, "wb")) == NULL) {
		r = -errno;
		fe_free_2d(cep);
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	/* Sphinx cepstra: the number of values, then the frames (float32). */
	count = (nfr + nlast) * ncep;
	bad = fwrite(&count, sizeof(count), 1, fp) != 1;
	if (nfr > 0 && !bad)
		bad = fwrite(cep[0], sizeof(mfcc_t) * ncep, nfr, fp) !=
		      (size_t)nfr;
	if (nlast > 0 && !bad)
		bad = fwrite(last, sizeof(mfcc_t) * ncep, 1, fp) != 1;
	fe_free_2d(cep);
	if (fclose(fp) != 0 || bad) {
		snprintf(err, errlen, "%s: write failed", path);
		return -EIO;
	}
	return nfr + nlast;
}

/* ---- the engine ---- */

/* Reads the key from path (first line, trimmed); err never shows it. */
static int
stt_key_read(const char *path, char **key, char *err, size_t errlen)
{
	char buf[4096];
	FILE *fp;
	size_t len;

	if ((fp = fopen(path, "r")) == NULL) {
		int e = errno;

		snprintf(err, errlen, "stt_api_key_file %s: %s", path,
			 strerror(e));
		return -e;
	}
	if (fgets(buf, sizeof(buf), fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "stt_api_key_file %s: empty", path);
		return -EINVAL;
	}
	if ((*key = strdup(buf)) == NULL) {
		snprintf(err, errlen, "stt: out of memory");
		return -ENOMEM;
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int
stt_new(struct stt **out, const struct stt_config *cfg, char *err,
	size_t errlen)
{
	struct stt *s;
	const char *env, *psdir = NULL;
	struct stt_ps_opts po;
	char datadir[1024], mllr[1100];
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "stt: out of memory");
		return -ENOMEM;
	}
	if (stt_kind_from_name(cfg->engine, &s->kind) < 0) {
		snprintf(err, errlen,
			 "stt_engine '%s': not one of pocketsphinx, openai, "
			 "deepgram, none",
			 cfg->engine);
		r = -EINVAL;
		goto out;
	}
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
	if (s->kind == STT_OPENAI || s->kind == STT_DEEPGRAM) {
		if (cfg->base_url == NULL || cfg->base_url[0] == '\0') {
			snprintf(err, errlen, "stt_engine %s needs stt_base_url",
				 stt_kind_name(s->kind));
			r = -EINVAL;
			goto out;
		}
		if (strncmp(cfg->base_url, "http://", 7) != 0 &&
		    strncmp(cfg->base_url, "https://", 8) != 0) {
			snprintf(err, errlen,
				 "stt_base_url '%s': not an http:// or "
				 "https:// URL",
				 cfg->base_url);
			r = -EINVAL;
			goto out;
		}
		if (cfg->api_key_file != NULL && cfg->api_key_file[0] != '\0') {
			if ((r = stt_key_read(cfg->api_key_file, &s->key, err,
					      errlen)) < 0)
				goto out;
		} else if ((env = getenv(STT_ENV_KEY)) != NULL &&
			   env[0] != '\0') {
			s->key = strdup(env);
		} else {
			snprintf(err, errlen,
				 "stt_engine %s needs a key: stt_api_key_file "
				 "or $%s",
				 stt_kind_name(s->kind), STT_ENV_KEY);
			r = -EINVAL;
			goto out;
		}
		if ((r = stt_cloud_init(err, errlen)) < 0)
			goto out;
		s->base_url = strdup(cfg->base_url);
		s->model = strdup(cfg->model != NULL ? cfg->model : "");
		if (s->key == NULL || s->base_url == NULL || s->model == NULL) {
			snprintf(err, errlen, "stt: out of memory");
			r = -ENOMEM;
			goto out;
		}
	} else if (s->kind == STT_POCKETSPHINX) {
		psdir = cfg->model;
	}
	memset(&po, 0, sizeof(po));
	po.model_dir = psdir;
	po.lm = cfg->lm != NULL && cfg->lm[0] != '\0' ? cfg->lm : "ivr";
	po.data_dir = cfg->data_dir;
	if (s->kind != STT_NONE && strcmp(po.lm, "ivr") == 0 &&
	    (po.data_dir == NULL || po.data_dir[0] == '\0')) {
		if (stt_data_dir_find(datadir, sizeof(datadir)) == 0) {
			po.data_dir = datadir;
		} else {
			log_warnx("stt: no ivr.lm in %s; using the general "
				  "language model",
				  datadir);
			po.lm = "general";
		}
	}
	if (s->kind != STT_NONE)
		po.mllr = stt_mllr_find(cfg->mllr,
					po.data_dir != NULL &&
						po.data_dir[0] != '\0'
					    ? po.data_dir
					    : STT_DATA_DIR,
					mllr, sizeof(mllr));
	if (s->kind != STT_NONE &&
	    (r = stt_ps_new(&s->ps, &po, err, errlen)) < 0)
		goto out;
	*out = s;
	s = NULL;
	r = 0;
out:
	stt_free(s);
	return r;
}

void
stt_free(struct stt *s)
{
	if (s == NULL)
		return;
	stt_ps_free(s->ps);
	if (s->key != NULL) {
		explicit_bzero(s->key, strlen(s->key));
		free(s->key);
	}
	free(s->base_url);
	free(s->model);
	free(s);
}

enum stt_kind
stt_kind(const struct stt *s)
{
	return s->kind;
}

int
stt_transcribe(struct stt *s, const int16_t *pcm, size_t n, char **text,
	       const char **used, char *err, size_t errlen)
{
	char cerr[256];
	int r;

	*text = NULL;
	*used = NULL;
	if (s->kind == STT_NONE) {
		snprintf(err, errlen, "stt: the engine is 'none'");
		return -ENOTSUP;
	}
	if (s->kind == STT_OPENAI || s->kind == STT_DEEPGRAM) {
		r = stt_cloud_transcribe(s->kind, s->base_url, s->model, s->key,
					 s->timeout_ms, pcm, n, text, cerr,
					 sizeof(cerr));
		if (r == 0) {
			*used = stt_kind_name(s->kind);
			return 0;
		}
		log_warnx("stt: %s failed (%s); using pocketsphinx for this "
			  "segment",
			  stt_kind_name(s->kind), cerr);
	}
	if ((r = stt_ps_transcribe(s->ps, pcm, n, text, err, errlen)) < 0)
		return r;
	*used = stt_kind_name(STT_POCKETSPHINX);
	return 0;
}
