/*
 * eval: classifyd --eval MANIFEST.  Runs every clip of a corpus manifest
 * (tab-separated: file label seconds source license notes, one header line,
 * file relative to the manifest) through the same cls_feed() path the
 * daemon uses, as fast as the CPU allows, and scores the windows against the
 * clip's label and the human detector against notes' human_onset=SECONDS.
 * The output format is documented in classifyd(8); its last line is
 *   accuracy=A false_human=N missed_human=N human_latency_p50=S
 *   human_latency_p95=S windows=N
 */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "classifyd.h"

/* How a manifest label is scored. */
struct eval_label {
	const char *name;
	int expect;  /* enum cls_class, or -1: not scored per window */
	int session; /* a hold session: arm hold detection at the start */
};

static const struct eval_label eval_labels[] = {
    {"music", CLS_MUSIC, 0},
    {"speech_live", CLS_SPEECH, 0},
    {"speech_recorded_announcement", CLS_SPEECH, 0},
    {"silence_noise", CLS_SILENCE, 0},
    {"ringback", CLS_RINGBACK, 0},
    {"busy", CLS_BUSY, 0},
    {"dtmf", CLS_DTMF, 0},
    {"reorder", CLS_REORDER, 0},
    {"sit", CLS_SIT, 0},
    {"fax", CLS_FAX, 0},
    {"beep", CLS_BEEP, 0},
    {"hold_then_human", -1, 1},
    {"hold_only", -1, 1},
};
#define EVAL_NLABELS (sizeof(eval_labels) / sizeof(eval_labels[0]))

/* What one clip produced. */
struct eval_clip {
	struct cls_window *win;
	size_t nwin, cap;
	int oom;
	double human_t, human_onset_t; /* -1: none */
	int verbose;
	FILE *out;
	const char *file;
};

struct eval_totals {
	long conf[CLS_NCLASS][CLS_NCLASS]; /* [expected][decided] */
	long lab_ok[EVAL_NLABELS], lab_n[EVAL_NLABELS];
	long ok, n;
	int false_human, missed_human, sessions;
	double *lat;
	int nlat, latcap;
};

static void
eval_on_window(void *arg, const struct cls_window *w)
{
	struct eval_clip *ec = arg;

	if (ec->verbose > 0)
		fprintf(ec->out,
			"  %s t=%6.2f %-8s %.2f e=%6.1f pk=%6.1f fl=%.2f "
			"cen=%4.0f zcr=%.2f flux=%.2f mod=%.2f low=%.2f "
			"vo=%.2f st=%.2f sd=%4.1f ton=%.2f ton2=%.2f hzc=%.2f "
			"lst=%.2f sc=%.2f raw=%5.2f s=%5.2f%s%s\n",
			ec->file, w->t, cls_class_name(w->cls), w->confidence,
			w->energy_db, w->peak_db, w->flatness, w->centroid_hz,
			w->zcr, w->flux, w->mod4, w->low_energy, w->voiced,
			w->pitch_steady, w->energy_sd, w->tonal, w->tonal2,
			w->hzcrr, w->lster, w->spec_change, w->raw_score,
			w->speech_score,
			w->digits[0] ? " digits=" : "", w->digits);
	if (ec->oom)
		return;
	if (ec->nwin == ec->cap) {
		size_t ncap = ec->cap ? ec->cap * 2 : 256;
		struct cls_window *nw = realloc(ec->win, ncap * sizeof(*nw));

		if (nw == NULL) {
			ec->oom = 1;
			return;
		}
		ec->win = nw;
		ec->cap = ncap;
	}
	ec->win[ec->nwin++] = *w;
}

static void
eval_on_hold(void *arg, const char *type, double t)
{
	struct eval_clip *ec = arg;

	if (ec->verbose > 0)
		fprintf(ec->out, "  %s t=%6.2f hold_detected %s\n", ec->file,
			t, type);
}

static void
eval_on_human(void *arg, double confidence, const char *evidence, double t,
	      double onset_t)
{
	struct eval_clip *ec = arg;

	if (ec->verbose > 0)
		fprintf(ec->out,
			"  %s t=%6.2f human_detected conf=%.2f onset=%.2f "
			"(%s)\n",
			ec->file, t, confidence, onset_t, evidence);
	if (ec->human_t < 0) {
		ec->human_t = t;
		ec->human_onset_t = onset_t;
	}
}

static void
eval_on_retract(void *arg, const char *reason, double t)
{
	struct eval_clip *ec = arg;

	if (ec->verbose > 0)
		fprintf(ec->out, "  %s t=%6.2f human_retracted (%s)\n",
			ec->file, t, reason);
}

static void
eval_on_note(void *arg, const char *text, double t)
{
	struct eval_clip *ec = arg;

	if (ec->verbose > 1)
		fprintf(ec->out, "  %s t=%6.2f note %s\n", ec->file, t, text);
}

/* The value of key=NUMBER in a notes field; -1 when absent. */
static double
eval_note_num(const char *notes, const char *key)
{
	const char *p = notes;
	size_t kl = strlen(key);

	while ((p = strstr(p, key)) != NULL) {
		if ((p == notes || p[-1] == ' ' || p[-1] == ';') &&
		    p[kl] == '=') {
			char *end;
			double v = strtod(p + kl + 1, &end);

			return end == p + kl + 1 ? -1 : v;
		}
		p += kl;
	}
	return -1;
}

/* The value of key=WORD in notes into buf (empty when absent). */
static void
eval_note_str(const char *notes, const char *key, char *buf, size_t len)
{
	const char *p = notes;
	size_t kl = strlen(key), n = 0;

	buf[0] = '\0';
	while ((p = strstr(p, key)) != NULL) {
		if ((p == notes || p[-1] == ' ' || p[-1] == ';') &&
		    p[kl] == '=') {
			p += kl + 1;
			while (p[n] != '\0' && p[n] != ';' && p[n] != ' ' &&
			       n + 1 < len) {
				buf[n] = p[n];
				n++;
			}
			buf[n] = '\0';
			return;
		}
		p += kl;
	}
}

static int
eval_push_latency(struct eval_totals *t, double v)
{
	if (t->nlat == t->latcap) {
		int ncap = t->latcap ? t->latcap * 2 : 16;
		double *nl = realloc(t->lat, ncap * sizeof(*nl));

		if (nl == NULL)
			return -ENOMEM;
		t->lat = nl;
		t->latcap = ncap;
	}
	t->lat[t->nlat++] = v;
	return 0;
}

static int
eval_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile; -1 when there is no sample. */
static double
eval_pct(const double *v, int n, double p)
{
	int i;

	if (n == 0)
		return -1;
	i = (int)ceil(p * n) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* Runs one clip; returns 0 or -1 after printing why. */
static int
eval_clip_run(const char *path, const char *shown, const char *where,
	      const struct eval_label *lab, int li, const char *notes,
	      double seconds,
	      const struct cls_params *params, int verbose, FILE *out,
	      struct eval_totals *tot)
{
	struct eval_clip ec;
	struct cls_sink sink = {eval_on_window, eval_on_hold, eval_on_human,
				eval_on_retract, eval_on_note, &ec};
	struct cls *c = NULL;
	int16_t *pcm = NULL;
	size_t n = 0, ok = 0, counted = 0, lead = 0;
	char err[512] = "", expect_digits[64], heard[256] = "";
	double onset = eval_note_num(notes, "human_onset"), maxpk = -100;
	int r, rc = -1;

	memset(&ec, 0, sizeof(ec));
	ec.human_t = ec.human_onset_t = -1;
	ec.verbose = verbose;
	ec.out = out;
	ec.file = shown;
	if ((r = audio_wav_read(path, &pcm, &n, err, sizeof(err))) < 0) {
		fprintf(stderr, "classifyd: %s: %s\n", where, err);
		goto out;
	}
	/*
	 * A clip much shorter than the manifest says was cut short (a copy
	 * that did not finish, say): it is still judged, on what is there.
	 */
	if (seconds > 0 && (double)n / FEAT_RATE < seconds - 0.5)
		fprintf(stderr,
			"classifyd: %s: %s: warning: %.2f s of audio, the "
			"manifest says %.2f s (truncated?)\n",
			where, shown, (double)n / FEAT_RATE, seconds);
	if ((r = cls_new(&c, params, &sink)) < 0) {
		fprintf(stderr, "classifyd: %s: %s: cannot make a classifier: "
				"%s\n",
			where, shown, strerror(-r));
		goto out;
	}
	if (lab->session)
		cls_arm_hold(c);
	/* The daemon gets 20 ms frames; feed the file the same way. */
	for (size_t i = 0; i < n; i += FEAT_HOP)
		cls_feed(c, pcm + i, n - i < FEAT_HOP ? n - i : FEAT_HOP);
	if (ec.oom) {
		fprintf(stderr, "classifyd: %s: %s: out of memory\n", where,
			shown);
		goto out;
	}

	for (size_t i = 0; i < ec.nwin; i++) {
		if (ec.win[i].peak_db > maxpk)
			maxpk = ec.win[i].peak_db;
		if (ec.win[i].digits[0] != '\0' &&
		    strlen(heard) + strlen(ec.win[i].digits) < sizeof(heard))
			strcat(heard, ec.win[i].digits);
	}
	if (lab->expect >= 0) {
		int cadence = lab->expect == CLS_RINGBACK ||
			      lab->expect == CLS_BUSY ||
			      lab->expect == CLS_REORDER;
		int sounded = 0;

		for (size_t i = 0; i < ec.nwin; i++) {
			const struct cls_window *w = &ec.win[i];
			int want = lab->expect;

			/* DTMF: only the windows that hold a tone count. */
			if (lab->expect == CLS_DTMF && w->peak_db < maxpk - 20)
				continue;
			/*
			 * A cadence tone: the quiet before its first burst
			 * (the clip's lead silence, or the rest of an off
			 * period it starts in) holds no tone yet, and is
			 * silence; from the first burst on, the quiet parts
			 * of the cadence are the tone's.
			 */
			if (cadence && w->peak_db >= maxpk - 20)
				sounded = 1;
			if (cadence && !sounded) {
				want = CLS_SILENCE;
				lead++;
			}
			counted++;
			tot->conf[want][w->cls]++;
			if ((int)w->cls == want)
				ok++;
		}
		tot->lab_ok[li] += (long)ok;
		tot->lab_n[li] += (long)counted;
		tot->ok += (long)ok;
		tot->n += (long)counted;
		fprintf(out, "%-50s %-28s %4zu/%-4zu windows right", shown,
			lab->name, ok, counted);
		if (lead > 0)
			fprintf(out, " (the first %zu before the first burst: "
				     "silence)",
				lead);
	} else
		fprintf(out, "%-50s %-28s session", shown, lab->name);

	if (lab->expect == CLS_DTMF) {
		eval_note_str(notes, "digits", expect_digits,
			      sizeof(expect_digits));
		fprintf(out, "; digits heard '%s' expected '%s'", heard,
			expect_digits);
	}
	if (onset >= 0) {
		tot->sessions++;
		if (ec.human_t < 0) {
			tot->missed_human++;
			fprintf(out, "; human MISSED (onset %.2f)", onset);
		} else if (ec.human_t < onset) {
			tot->false_human++;
			fprintf(out, "; human FALSE at %.2f (onset %.2f)",
				ec.human_t, onset);
		} else {
			fprintf(out,
				"; human at %.2f, onset %.2f (reported %.2f), "
				"latency %.2f s",
				ec.human_t, onset, ec.human_onset_t,
				ec.human_t - onset);
			if (eval_push_latency(tot, ec.human_t - onset) < 0)
				goto out;
		}
	} else if (ec.human_t >= 0) {
		tot->false_human++;
		fprintf(out, "; human FALSE at %.2f (no human in the clip)",
			ec.human_t);
	} else if (lab->session)
		fprintf(out, "; no human, correctly");
	fprintf(out, "\n");
	rc = 0;
out:
	cls_free(c);
	free(pcm);
	free(ec.win);
	return rc;
}

static void
eval_report(const struct eval_totals *t, FILE *out)
{
	fprintf(out, "\nper-label window accuracy:\n");
	for (size_t i = 0; i < EVAL_NLABELS; i++)
		if (t->lab_n[i] > 0)
			fprintf(out, "  %-30s %.3f (%ld/%ld)\n",
				eval_labels[i].name,
				(double)t->lab_ok[i] / t->lab_n[i],
				t->lab_ok[i], t->lab_n[i]);
	fprintf(out, "\nconfusion (rows expected, columns decided):\n%-10s",
		"");
	for (int j = 0; j < CLS_NCLASS; j++)
		fprintf(out, " %8s", cls_class_name(j));
	fprintf(out, "\n");
	for (int i = 0; i < CLS_NCLASS; i++) {
		long row = 0;

		for (int j = 0; j < CLS_NCLASS; j++)
			row += t->conf[i][j];
		if (row == 0)
			continue;
		fprintf(out, "%-10s", cls_class_name(i));
		for (int j = 0; j < CLS_NCLASS; j++)
			fprintf(out, " %8ld", t->conf[i][j]);
		fprintf(out, "\n");
	}
	fprintf(out,
		"\nhuman detection: %d sessions with a human, %d detected "
		"after the onset, %d false, %d missed\n",
		t->sessions, t->nlat, t->false_human, t->missed_human);
}

int
eval_run(const char *manifest, const struct cls_params *params, int verbose,
	 FILE *out)
{
	struct eval_totals tot;
	FILE *fp;
	char *line = NULL, *dirbuf = NULL, *dir, path[4096];
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, bad = 0;

	memset(&tot, 0, sizeof(tot));
	if ((fp = fopen(manifest, "r")) == NULL) {
		fprintf(stderr, "classifyd: %s: %s\n", manifest,
			strerror(errno));
		return 1;
	}
	if ((dirbuf = strdup(manifest)) == NULL) {
		fclose(fp);
		fprintf(stderr, "classifyd: out of memory\n");
		return 1;
	}
	dir = dirname(dirbuf);
	while ((len = getline(&line, &cap, fp)) != -1) {
		char *field[6] = {0}, *p = line, *tab;
		const struct eval_label *lab = NULL;
		char where[512];
		int nf = 0, li = -1;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		snprintf(where, sizeof(where), "%s:%d", manifest, lineno);
		if (lineno == 1) {
			if (strncmp(line, "file\tlabel", 10) != 0) {
				fprintf(stderr,
					"classifyd: %s: expected the header "
					"'file<TAB>label<TAB>...'\n",
					where);
				bad = 1;
				break;
			}
			continue;
		}
		if (len == 0 || line[0] == '#')
			continue;
		while (nf < 6) {
			field[nf++] = p;
			if ((tab = strchr(p, '\t')) == NULL)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		if (nf < 2 || field[0][0] == '\0' || field[1][0] == '\0') {
			fprintf(stderr,
				"classifyd: %s: a row needs at least the "
				"file and label columns\n",
				where);
			bad = 1;
			continue;
		}
		for (size_t i = 0; i < EVAL_NLABELS; i++)
			if (strcmp(field[1], eval_labels[i].name) == 0) {
				lab = &eval_labels[i];
				li = (int)i;
			}
		if (lab == NULL) {
			fprintf(stderr, "classifyd: %s: %s: unknown label '%s'\n",
				where, field[0], field[1]);
			bad = 1;
			continue;
		}
		if (field[0][0] == '/')
			snprintf(path, sizeof(path), "%s", field[0]);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, field[0]);
		if (eval_clip_run(path, field[0], where, lab, li,
				  nf >= 6 ? field[5] : "",
				  nf >= 3 ? strtod(field[2], NULL) : 0, params,
				  verbose, out,
				  &tot) < 0)
			bad = 1;
	}
	if (ferror(fp)) {
		fprintf(stderr, "classifyd: %s: read error\n", manifest);
		bad = 1;
	}
	fclose(fp);
	free(line);
	free(dirbuf);

	eval_report(&tot, out);
	if (tot.nlat > 0)
		qsort(tot.lat, (size_t)tot.nlat, sizeof(double),
		      eval_cmp_double);
	fprintf(out,
		"accuracy=%.3f false_human=%d missed_human=%d "
		"human_latency_p50=%.2f human_latency_p95=%.2f windows=%ld\n",
		tot.n > 0 ? (double)tot.ok / tot.n : 0.0, tot.false_human,
		tot.missed_human, eval_pct(tot.lat, tot.nlat, 0.50),
		eval_pct(tot.lat, tot.nlat, 0.95), tot.n);
	free(tot.lat);
	return bad ? 1 : 0;
}
