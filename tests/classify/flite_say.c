/*
 * flite_say: writes TEXT spoken by a flite voice to a WAV file (the voice's
 * own rate).  Debian ships the flite voices as libraries but no command;
 * make-menus.sh compiles this at test time.
 *   flite_say VOICE TEXT OUT.wav      VOICE: kal awb rms slt kal16
 */
#include <stdio.h>
#include <string.h>

#include <flite/flite.h>

cst_voice *register_cmu_us_kal(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_kal16(const char *voxdir);

int
main(int argc, char **argv)
{
	cst_voice *v = NULL;
	cst_wave *w;

	if (argc != 4) {
		fprintf(stderr, "usage: flite_say voice text out.wav\n");
		return 2;
	}
	flite_init();
	if (strcmp(argv[1], "kal") == 0)
		v = register_cmu_us_kal(NULL);
	else if (strcmp(argv[1], "awb") == 0)
		v = register_cmu_us_awb(NULL);
	else if (strcmp(argv[1], "rms") == 0)
		v = register_cmu_us_rms(NULL);
	else if (strcmp(argv[1], "slt") == 0)
		v = register_cmu_us_slt(NULL);
	else if (strcmp(argv[1], "kal16") == 0)
		v = register_cmu_us_kal16(NULL);
	if (v == NULL) {
		fprintf(stderr, "flite_say: unknown voice %s\n", argv[1]);
		return 2;
	}
	if ((w = flite_text_to_wave(argv[2], v)) == NULL ||
	    cst_wave_save_riff(w, argv[3]) != 0) {
		fprintf(stderr, "flite_say: cannot write %s\n", argv[3]);
		return 1;
	}
	delete_wave(w);
	return 0;
}
