# hsbus: a command-line bus client for tests and for people debugging a
# running system (subscribe, send a control request, publish an event).
PROGS += hsbus
CLIENTS += hsbus
hsbus_SRC := tests/tools/hsbus.c
hsbus_PKGS :=
hsbus_LIBS :=
