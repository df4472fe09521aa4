PROGS += notifyd
DAEMONS += notifyd
notifyd_SRC := $(wildcard notifyd/*.c)
notifyd_PKGS := libcurl sqlite3 libcrypto libsystemd
notifyd_LIBS :=
