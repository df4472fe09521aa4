# hsbus: a command-line bus client for tests and for people debugging a
# running system (subscribe, send a control request, publish an event).
PROGS += hsbus
CLIENTS += hsbus
hsbus_SRC := tests/tools/hsbus.c
hsbus_PKGS :=
hsbus_LIBS :=

# hsdial: places calls through sipd at a steady rate and reports setup
# times and failures (tests/bench/bench_sip_rate.sh).
PROGS += hsdial
hsdial_SRC := tests/tools/hsdial.c
hsdial_PKGS :=
hsdial_LIBS :=
