# ivrsim: the simulated company (test tooling; see man/ivrsim.1).
PROGS += ivrsim
ivrsim_SRC := $(wildcard tests/ivrsim/*.c)
ivrsim_PKGS := libosip2 ortp bctoolbox espeak-ng spandsp
ivrsim_LIBS :=
