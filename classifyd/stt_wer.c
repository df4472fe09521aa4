/*
 * stt_wer: classifyd --wer MANIFEST.  Reads a corpus manifest (tab-separated:
 * file label seconds source license notes; one header line; file relative
 * to the manifest), transcribes every speech_recorded_announcement clip
 * whose notes carry its reference text after "prompt: ", and prints one line
 * per clip and the overall word error rate (classifyd(8)):
 *   FILE wer=W errors=E words=N engine=E hyp="..."
 *   options=K/N clips=C extra=X
 *   wer=W clips=N words=N errors=N skipped=N seconds=S
 * skipped counts announcement clips without a reference text; the options
 * line counts the menu options (key and description, stt_options()) of
 * the references that the transcripts recovered.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio.h"
#include "conf.h"
#include "stt.h"

#define STT_WER_LABEL "speech_recorded_announcement"
#define STT_WER_MARK "prompt: "

static double
stt_wer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Menu options of one clip: the reference's (key, label) pairs and how
 * many the transcript recovered; extra counts transcript options with no
 * reference counterpart (a key that was never offered).
 */
static void
stt_wer_options(FILE *out, int verbose, const char *ref, const char *hyp,
		int *clips, long *nref, long *hit, long *extra)
{
	struct stt_option ro[STT_OPT_MAX], ho[STT_OPT_MAX];
	int nr = stt_options(ref, ro, STT_OPT_MAX);
	int nh = stt_options(hyp, ho, STT_OPT_MAX);
	unsigned matched;
	int k;

	if (nr <= 0)
		return;
	if (nh < 0)
		nh = 0;
	k = stt_options_match(ro, nr, ho, nh, &matched);
	(*clips)++;
	*nref += nr;
	*hit += k;
	*extra += nh - k > 0 ? nh - k : 0;
	if (verbose <= 0)
		return;
	fprintf(out, "  options=%d/%d", k, nr);
	for (int i = 0; i < nr; i++)
		fprintf(out, " %s%c:%s", (matched & (1u << i)) ? "" : "!",
			ro[i].key, ro[i].label);
	fprintf(out, "\n");
}

int
stt_wer_run(const char *manifest, struct stt *s, int verbose, FILE *out)
{
	FILE *fp;
	char *line = NULL, *dir = NULL, *tmp;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, bad = 0, clips = 0, skipped = 0;
	long words = 0, errors = 0, opt_ref = 0, opt_hit = 0, opt_extra = 0;
	int opt_clips = 0;
	double t0 = stt_wer_now();

	if ((fp = fopen(manifest, "r")) == NULL) {
		fprintf(stderr, "classifyd: %s: %s\n", manifest,
			strerror(errno));
		return 1;
	}
	if ((tmp = strdup(manifest)) == NULL || (dir = strdup(dirname(tmp))) ==
						    NULL) {
		free(tmp);
		fclose(fp);
		fprintf(stderr, "classifyd: out of memory\n");
		return 1;
	}
	free(tmp);
	while ((len = getline(&line, &cap, fp)) != -1) {
		char *f[6], *p = line, *ref, *hyp = NULL, path[4096],
			    err[512];
		const char *used;
		int nf = 0, nref, d;
		int16_t *pcm = NULL;
		size_t n;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#' ||
		    (lineno == 1 && strncmp(line, "file\t", 5) == 0))
			continue;
		while (nf < 6 && p != NULL) {
			f[nf++] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (nf < 2) {
			fprintf(stderr, "classifyd: %s:%d: fewer than 2 columns\n",
				manifest, lineno);
			bad = 1;
			continue;
		}
		if (strcmp(f[1], STT_WER_LABEL) != 0)
			continue;
		if (nf < 6 || (ref = strstr(f[5], STT_WER_MARK)) == NULL) {
			skipped++;
			continue;
		}
		ref += strlen(STT_WER_MARK);
		if (f[0][0] == '/')
			snprintf(path, sizeof(path), "%s", f[0]);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, f[0]);
		if (audio_wav_read(path, &pcm, &n, err, sizeof(err)) < 0) {
			fprintf(stderr, "classifyd: %s:%d: %s\n", manifest,
				lineno, err);
			bad = 1;
			continue;
		}
		if (stt_transcribe(s, pcm, n, &hyp, &used, err, sizeof(err)) <
		    0) {
			fprintf(stderr, "classifyd: %s: %s\n", path, err);
			free(pcm);
			bad = 1;
			continue;
		}
		free(pcm);
		if ((d = stt_wer_count(ref, hyp, &nref)) < 0 || nref == 0) {
			fprintf(stderr, "classifyd: %s:%d: empty reference\n",
				manifest, lineno);
			free(hyp);
			bad = 1;
			continue;
		}
		clips++;
		words += nref;
		errors += d;
		fprintf(out, "%s wer=%.3f errors=%d words=%d engine=%s hyp=\"%s\"\n",
			f[0], (double)d / nref, d, nref, used, hyp);
		if (verbose > 0)
			fprintf(out, "  ref=\"%s\"\n", ref);
		stt_wer_options(out, verbose, ref, hyp, &opt_clips, &opt_ref,
				&opt_hit, &opt_extra);
		free(hyp);
	}
	free(line);
	free(dir);
	fclose(fp);
	fprintf(out, "options=%ld/%ld clips=%d extra=%ld\n", opt_hit, opt_ref,
		opt_clips, opt_extra);
	if (clips == 0) {
		fprintf(stderr, "classifyd: %s: no %s clip with a reference "
				"text\n",
			manifest, STT_WER_LABEL);
		bad = 1;
	}
	fprintf(out, "wer=%.3f clips=%d words=%ld errors=%ld skipped=%d "
		     "seconds=%.1f\n",
		words > 0 ? (double)errors / (double)words : 1.0, clips, words,
		errors, skipped, stt_wer_now() - t0);
	return bad;
}

int
stt_wer_main(const char *manifest, const struct conf *cf, int verbose)
{
	struct stt_config sc;
	struct stt *s = NULL;
	char err[512];
	int r;

	stt_config_from_conf(cf, &sc);
	r = stt_new(&s, &sc, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "classifyd: %s\n", err);
		return 1;
	}
	if (stt_kind(s) == STT_NONE) {
		fprintf(stderr, "classifyd: stt_engine is none: nothing to "
				"measure\n");
		stt_free(s);
		return 1;
	}
	r = stt_wer_run(manifest, s, verbose, stdout);
	stt_free(s);
	return r;
}
