PROGS += notifyd
DAEMONS += notifyd
notifyd_SRC := $(wildcard notifyd/*.c)
notifyd_PKGS := libcurl
notifyd_LIBS :=
test_notify_webhook_OBJS := notifyd/webhook.c
test_notify_webhook_PKGS := libcurl
