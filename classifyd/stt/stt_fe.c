/*
 * stt-fe: writes the cepstra classifyd's offline engine computes for a
 * list of 8 kHz WAV files, as Sphinx feature files for sphinxtrain's bw
 * (the acoustic adaptation of classifyd/module.mk).
 *
 *     stt-fe DATA_DIR LIST
 *
 * DATA_DIR holds ivr.lm and ivr.dict; each line of LIST is "IN.wav OUT.mfc".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "../stt.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: stt-fe [-h] data_dir list\n");
}

int
main(int argc, char **argv)
{
	struct stt_ps_opts po = {.lm = "ivr"};
	struct stt_ps *p;
	char err[512], line[2048], in[1024], out[1024];
	int16_t *pcm;
	size_t n, nfiles = 0;
	long frames = 0;
	FILE *fp;
	int r, rc = 0;

	if (argc == 2 && strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (argc != 3) {
		usage(stderr);
		return 2;
	}
	po.data_dir = argv[1];
	if ((fp = fopen(argv[2], "r")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	if (stt_ps_new(&p, &po, err, sizeof(err)) < 0) {
		fprintf(stderr, "stt-fe: %s\n", err);
		fclose(fp);
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, "%1023s %1023s", in, out) != 2)
			continue;
		if (audio_wav_read(in, &pcm, &n, err, sizeof(err)) < 0) {
			fprintf(stderr, "stt-fe: %s\n", err);
			rc = 1;
			break;
		}
		r = stt_ps_features(p, pcm, n, out, err, sizeof(err));
		free(pcm);
		if (r < 0) {
			fprintf(stderr, "stt-fe: %s: %s\n", in, err);
			rc = 1;
			break;
		}
		frames += r;
		nfiles++;
	}
	fclose(fp);
	stt_ps_free(p);
	if (rc == 0)
		printf("stt-fe: %zu files, %ld frames\n", nfiles, frames);
	return rc;
}
