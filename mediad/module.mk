# mediad: RTP legs, RFC 4733 DTMF, bridge, playback and recording (oRTP).
PROGS += mediad
DAEMONS += mediad
mediad_SRC := $(wildcard mediad/*.c)
mediad_PKGS := ortp bctoolbox espeak-ng
mediad_LIBS :=
test_mediad_dtmf_OBJS := mediad/dtmf.c
test_mediad_mix_OBJS := mediad/record.c
test_mediad_port_OBJS := mediad/port.c
