PROGS += notifyd
DAEMONS += notifyd
notifyd_SRC := $(wildcard notifyd/*.c)
notifyd_PKGS := libcurl sqlite3 libcrypto libsystemd
notifyd_LIBS :=
# Unit test of the parts that need no loop: signature, check, sentences.
test_notify_OBJS := notifyd/check.c notifyd/sign.c notifyd/text.c \
	notifyd/outbox.c
test_notify_PKGS := libcurl libcrypto sqlite3
