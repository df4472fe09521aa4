# ivrd: the call flow runner.
PROGS += ivrd
DAEMONS += ivrd
ivrd_SRC := $(wildcard ivrd/*.c)
ivrd_PKGS :=
ivrd_LIBS :=

test_flow_OBJS := ivrd/flow.c
test_flow_listen_OBJS := ivrd/listen.c
test_flow_cond_OBJS := ivrd/flow.c
