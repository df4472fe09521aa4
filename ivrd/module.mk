# ivrd: the call flow runner.
PROGS += ivrd
DAEMONS += ivrd
ivrd_SRC := $(wildcard ivrd/*.c)
ivrd_PKGS := libcurl
ivrd_LIBS := -lwordnet

test_flow_OBJS := ivrd/flow.c
test_flow_listen_OBJS := ivrd/listen.c
test_flow_cond_OBJS := ivrd/flow.c
test_menu_OBJS := ivrd/menu.c ivrd/sense.c
test_nav_OBJS := ivrd/menu.c ivrd/sense.c ivrd/nav.c
test_llm_OBJS := ivrd/menu.c ivrd/sense.c ivrd/nav.c ivrd/llm.c
test_llm_PKGS := libcurl
test_menu_LIBS := -lwordnet
test_nav_LIBS := -lwordnet
test_llm_LIBS := -lwordnet
test_sense_OBJS := ivrd/menu.c ivrd/sense.c
test_sense_LIBS := -lwordnet
